/* Camera URLs carry credentials; these helpers keep them out of output. */
#ifndef VIGIL_UTIL_URL_H
#define VIGIL_UTIL_URL_H

#include <stddef.h>

/* Copy url to out with any userinfo ("user:pass@") replaced by "***@".
 * Always NUL-terminates; truncates to size. */
void url_redact(const char *url, char *out, size_t size);

/* Non-zero when the URL names a live network stream (rtsp, rtsps, rtp,
 * udp, srt, rtmp, http...) rather than a local file or lavfi graph, which
 * Vigil plays at their own pace. */
int url_is_network(const char *url);

#endif
