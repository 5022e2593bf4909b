/*
 * URLs (cameras, sinks): their parts, credentials made safe to hand on,
 * the protocols a scheme may use, and the one redactor every printed URL
 * goes through. Pure string work; any thread.
 */
#ifndef VIGIL_UTIL_URL_H
#define VIGIL_UTIL_URL_H

#include <stddef.h>

/* A URL's parts, pointing into it (not NUL-terminated). */
struct url_parts {
    const char *scheme;
    size_t scheme_len;
    const char *userinfo;   /* "user[:password]", NULL: none */
    size_t userinfo_len;
    const char *host;       /* host[:port] or [v6][:port] */
    size_t host_len;
    const char *rest;       /* path, query and fragment (NUL-terminated) */
};

/*
 * Split scheme://[userinfo@]host[:port][rest]. The userinfo ends at the
 * authority's last '@' (RFC 3986); when what comes before the first '/',
 * '?' or '#' is no host and an '@' follows, the credentials hold those
 * characters unencoded and end at the URL's last '@' (so a password may
 * hold '@', ' ', '#', '!' and slashes typed as they are, unless the path has an
 * '@' too: then encode them). Returns 0, or -EINVAL without "scheme://".
 */
int url_split(const char *url, struct url_parts *out);

/* The URL with its user and password percent-encoded (what is encoded
 * already stays), as FFmpeg expects them (it decodes them for Basic and
 * Digest). Malloc'd; a URL without credentials comes back as it is. */
char *url_normalize(const char *url);

/* The one redactor, for every URL that is printed: credentials replaced
 * by "***" before the host; the values of query keys that hold secrets (token,
 * key, password, signature...) as ***; for http(s), the path beyond its
 * first segment (where webhook URLs carry theirs) as ***; the fragment
 * dropped. Always NUL-terminates; truncates to size. */
void url_redact(const char *url, char *out, size_t size);
/* Every URL found in a line of text, redacted, and the value of an
 * "Authorization:" header masked: for the log sink. */
void url_redact_text(const char *in, char *out, size_t size);

/* What a camera URL is, by its scheme. A path without one is a file;
 * "lavfi:GRAPH" a filter graph; pipe:, concat:, subfile: and any scheme
 * not listed are URL_FORBIDDEN. */
enum url_kind {
    URL_RTSP,       /* rtsp, rtsps */
    URL_HTTP,       /* http, https (HLS too) */
    URL_RTMP,       /* rtmp, rtmps */
    URL_SRT,
    URL_UDP,        /* udp, rtp (MPEG-TS from encoders) */
    URL_FILE,       /* file:, or a path */
    URL_LAVFI,
    URL_FORBIDDEN,
};

enum url_kind url_kind(const char *url);
/* FFmpeg's protocol_whitelist for a kind (NULL: none to set), so that a
 * hostile server or playlist cannot redirect a camera elsewhere (to local
 * files, say). */
const char *url_protocols(enum url_kind k);

/* Non-zero when the URL names a live network stream rather than a local
 * file or lavfi graph, which Vigil plays at their own pace. */
int url_is_network(const char *url);

#endif
