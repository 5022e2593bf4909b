/*
 * Camera and sink URLs: one reading of their parts, shared by the config
 * (which percent-encodes credentials and checks the scheme), the sources
 * (which set FFmpeg's protocol allow-list from it) and every place a URL
 * is printed (the one redactor). Pure string work.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "util/url.h"

static bool is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/* host, [v6] or either with :port */
static bool valid_host(const char *h, size_t n)
{
    if (!n) {
        return false;
    }
    size_t i = 0;
    if (h[0] == '[') {
        const char *close = memchr(h, ']', n);
        if (!close) {
            return false;
        }
        i = (size_t)(close - h) + 1;
    } else {
        while (i < n && is_host_char(h[i])) {
            i++;
        }
        if (!i) {
            return false;
        }
    }
    if (i == n) {
        return true;
    }
    if (h[i] != ':' || i + 1 == n) {
        return false;
    }
    for (i++; i < n; i++) {
        if (h[i] < '0' || h[i] > '9') {
            return false;
        }
    }
    return true;
}

int url_split(const char *url, struct url_parts *out)
{
    memset(out, 0, sizeof(*out));
    const char *sep = strstr(url, "://");
    const char *colon = strchr(url, ':');
    if (!sep || colon != sep || sep == url) {
        return -EINVAL;
    }
    out->scheme = url;
    out->scheme_len = (size_t)(sep - url);
    const char *p = sep + 3;
    /* RFC 3986: the authority ends at the first '/', '?' or '#'; its
     * userinfo at its last '@' */
    const char *end = p + strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *q = p; q < end; q++) {
        at = *q == '@' ? q : at;
    }
    bool host_ok = at ? valid_host(at + 1, (size_t)(end - at - 1))
                      : valid_host(p, (size_t)(end - p));
    if (!host_ok && strchr(end, '@')) {
        /* An '@' further on while what precedes the first '/' is no
         * host: credentials with '/', '?' or '#' in them, not encoded.
         * The userinfo then ends at the URL's last '@'. */
        const char *last = strrchr(end, '@');
        const char *last_end = last + 1 + strcspn(last + 1, "/?#");
        if (valid_host(last + 1, (size_t)(last_end - last - 1))) {
            at = last;
            end = last_end;
        }
    }
    if (at) {
        out->userinfo = p;
        out->userinfo_len = (size_t)(at - p);
        out->host = at + 1;
    } else {
        out->host = p;
    }
    out->host_len = (size_t)(end - out->host);
    out->rest = end;
    return 0;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* Percent-encode s[0..n) onto out, keeping what is already encoded. */
static size_t encode(const char *s, size_t n, char *out, size_t o,
                     size_t size)
{
    for (size_t i = 0; i < n && o + 4 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) ||
            (c == '%' && i + 2 < n && is_hex(s[i + 1]) &&
             is_hex(s[i + 2]))) {
            out[o++] = (char)c;
        } else {
            o += (size_t)snprintf(out + o, size - o, "%%%02X", c);
        }
    }
    return o;
}

char *url_normalize(const char *url)
{
    struct url_parts u;
    if (url_split(url, &u) < 0 || !u.userinfo) {
        return xstrdup(url);
    }
    size_t size = strlen(url) * 3 + 8, o;
    char *out = xmalloc(size);
    o = (size_t)snprintf(out, size, "%.*s://", (int)u.scheme_len, u.scheme);
    const char *colon = memchr(u.userinfo, ':', u.userinfo_len);
    size_t user_len = colon ? (size_t)(colon - u.userinfo) : u.userinfo_len;
    o = encode(u.userinfo, user_len, out, o, size);
    if (colon) {
        out[o++] = ':';
        o = encode(colon + 1, u.userinfo_len - user_len - 1, out, o, size);
    }
    snprintf(out + o, size - o, "@%.*s%s", (int)u.host_len, u.host, u.rest);
    return out;
}

/* Query keys whose values are secrets. */
static bool secret_key(const char *k, size_t n)
{
    static const char *const keys[] = { "token", "access_token", "key",
                                        "apikey", "api_key", "pass",
                                        "password", "pwd", "secret", "auth",
                                        "sig", "signature", "user",
                                        "username", "passphrase" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strlen(keys[i]) == n && !strncasecmp(k, keys[i], n)) {
            return true;
        }
    }
    return false;
}

/* rest (path, query, fragment) with secret query values masked and, for
 * http(s), the path beyond its first segment (webhook URLs carry their
 * secret there). */
static void redact_rest(const struct url_parts *u, char *out, size_t size)
{
    const char *r = u->rest;
    size_t o = 0;
    bool http = (u->scheme_len == 4 && !strncasecmp(u->scheme, "http", 4)) ||
                (u->scheme_len == 5 && !strncasecmp(u->scheme, "https", 5));
    size_t path = strcspn(r, "?#");
    if (http && path > 1) {
        size_t first = 1 + strcspn(r + 1, "/?#");
        o = (size_t)snprintf(out, size, "%.*s%s", (int)first, r,
                             first < path ? "/***" : "");
    } else {
        o = (size_t)snprintf(out, size, "%.*s", (int)path, r);
    }
    r += path;
    while (*r && o + 1 < size) {
        /* one query item: "?k=v" or "&k=v" */
        char lead = *r++;
        size_t item = strcspn(r, "&#");
        const char *eq = memchr(r, '=', item);
        if (lead == '#') {
            break; /* fragments are not sent; drop them */
        }
        if (eq && secret_key(r, (size_t)(eq - r))) {
            o += (size_t)snprintf(out + o, size - o, "%c%.*s=***", lead,
                                  (int)(eq - r), r);
        } else {
            o += (size_t)snprintf(out + o, size - o, "%c%.*s", lead,
                                  (int)item, r);
        }
        r += item;
    }
    out[o < size ? o : size - 1] = 0;
}

void url_redact(const char *url, char *out, size_t size)
{
    struct url_parts u;
    if (url_split(url, &u) < 0) {
        snprintf(out, size, "%s", url);
        return;
    }
    char rest[512];
    redact_rest(&u, rest, sizeof(rest));
    snprintf(out, size, "%.*s://%s%.*s%s", (int)u.scheme_len, u.scheme,
             u.userinfo ? "***@" : "", (int)u.host_len, u.host, rest);
}

/* The scheme's letters end right before "://". */
static const char *scheme_start(const char *text, const char *sep)
{
    const char *s = sep;
    while (s > text && ((s[-1] >= 'a' && s[-1] <= 'z') ||
                        (s[-1] >= 'A' && s[-1] <= 'Z') ||
                        (s[-1] >= '0' && s[-1] <= '9') || s[-1] == '+' ||
                        s[-1] == '-' || s[-1] == '.')) {
        s--;
    }
    return s;
}

void url_redact_text(const char *in, char *out, size_t size)
{
    size_t o = 0;
    const char *p = in;
    while (o + 1 < size) {
        const char *sep = strstr(p, "://");
        if (!sep) {
            break;
        }
        const char *start = scheme_start(p, sep);
        if (start == sep) {
            size_t n = (size_t)(sep + 3 - p);
            o += (size_t)snprintf(out + o, size - o, "%.*s", (int)n, p);
            p = sep + 3;
            continue;
        }
        /* a URL runs to the next blank or quote */
        size_t len = (size_t)(sep - start) + 3 + strcspn(sep + 3, " \t\n\"'<>");
        char url[1024], shown[1100];
        snprintf(url, sizeof(url), "%.*s", (int)len, start);
        url_redact(url, shown, sizeof(shown));
        o += (size_t)snprintf(out + o, size - o, "%.*s%s", (int)(start - p), p,
                              shown);
        p = start + len;
    }
    if (o + 1 < size) {
        snprintf(out + o, size - o, "%s", p);
    }
    /* a header that carries credentials, as some libraries log them */
    char *h = strcasestr(out, "Authorization:");
    if (h) {
        snprintf(h + 14, size - (size_t)(h + 14 - out), " ***");
    }
}

enum url_kind url_kind(const char *url)
{
    static const struct {
        const char *scheme;
        enum url_kind kind;
    } map[] = {
        { "rtsp", URL_RTSP },   { "rtsps", URL_RTSP }, { "http", URL_HTTP },
        { "https", URL_HTTP },  { "rtmp", URL_RTMP },  { "rtmps", URL_RTMP },
        { "srt", URL_SRT },     { "udp", URL_UDP },    { "rtp", URL_UDP },
        { "file", URL_FILE },
    };
    if (!strncmp(url, "lavfi:", 6)) {
        return URL_LAVFI;
    }
    struct url_parts u;
    if (url_split(url, &u) < 0) {
        /* no scheme://: a path, unless "pipe:", "concat:" and the like */
        const char *colon = strchr(url, ':');
        const char *slash = strchr(url, '/');
        return colon && (!slash || colon < slash) ? URL_FORBIDDEN : URL_FILE;
    }
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strlen(map[i].scheme) == u.scheme_len &&
            !strncasecmp(url, map[i].scheme, u.scheme_len)) {
            return map[i].kind;
        }
    }
    return URL_FORBIDDEN;
}

const char *url_protocols(enum url_kind k)
{
    switch (k) {
    case URL_RTSP:
        return "rtsp,rtsps,rtp,srtp,udp,tcp,tls";
    case URL_HTTP:
        return "http,https,tcp,tls,crypto";
    case URL_RTMP:
        return "rtmp,rtmps,rtmpt,rtmpts,tcp,tls";
    case URL_SRT:
        return "srt,udp";
    case URL_UDP:
        return "udp,rtp";
    case URL_FILE:
        return "file";
    case URL_LAVFI:
    case URL_FORBIDDEN:
        break;
    }
    return NULL;
}

int url_is_network(const char *url)
{
    enum url_kind k = url_kind(url);
    return k != URL_FILE && k != URL_LAVFI && k != URL_FORBIDDEN;
}
