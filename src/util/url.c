#include <stdio.h>
#include <string.h>

#include "util/url.h"

void url_redact(const char *url, char *out, size_t size)
{
    const char *scheme_end = strstr(url, "://");
    const char *auth = scheme_end ? scheme_end + 3 : NULL;
    const char *at = NULL;
    if (auth) {
        /* userinfo ends at the last '@' before the path starts */
        size_t host_len = strcspn(auth, "/?#");
        for (const char *p = auth; p < auth + host_len; p++) {
            if (*p == '@') {
                at = p;
            }
        }
    }
    if (!at) {
        snprintf(out, size, "%s", url);
        return;
    }
    snprintf(out, size, "%.*s***%s", (int)(auth - url), url, at);
}

int url_is_network(const char *url)
{
    static const char *const schemes[] = { "rtsp://", "rtsps://", "rtp://",
                                           "udp://",  "srt://",   "rtmp://",
                                           "http://", "https://", "tcp://" };
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (!strncmp(url, schemes[i], strlen(schemes[i]))) {
            return 1;
        }
    }
    return 0;
}
