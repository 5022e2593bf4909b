/*
 * libfyaml helpers. libfyaml 0.7 exposes positions only on tokens, so a
 * collection node's position is that of its first scalar (a sequence's
 * first item, a mapping's first key); errors about a value are usually
 * reported on the value itself or its key, which are scalars.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/yaml.h"
#include "util/mem.h"

#define MAX_YAML_BYTES (16u << 20)

static bool node_mark(struct fy_node *n, int *line, int *col)
{
    for (int depth = 0; n && depth < 32; depth++) {
        void *it = NULL;
        switch (fy_node_get_type(n)) {
        case FYNT_SCALAR: {
            struct fy_token *t = fy_node_get_scalar_token(n);
            const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
            if (!m) {
                return false;
            }
            *line = m->line + 1;
            *col = m->column + 1;
            return true;
        }
        case FYNT_SEQUENCE:
            n = fy_node_sequence_iterate(n, &it);
            break;
        case FYNT_MAPPING: {
            struct fy_node_pair *pr = fy_node_mapping_iterate(n, &it);
            n = pr ? fy_node_pair_key(pr) : NULL;
            break;
        }
        default:
            return false;
        }
    }
    return false;
}

void yp_error(struct yp *p, struct fy_node *n, const char *fmt, ...)
{
    char msg[512];
    va_list va;
    va_start(va, fmt);
    vsnprintf(msg, sizeof(msg), fmt, va);
    va_end(va);
    int line = 1, col = 1;
    if (!node_mark(n, &line, &col)) {
        line = col = 1;
    }
    cfg_errors_add(p->errs, "%s:%d:%d: %s", p->file, line, col, msg);
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2
                             : c >= 0xe0 && c <= 0xef ? 3
                             : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (!len || len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
        (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f)) {
        return 0;
    }
    return len;
}

/* YAML is Unicode text: say where it is not (libfyaml 0.8 can loop for
 * ever on a directive line with a broken byte, so nothing else reaches
 * it). Returns false after adding the error. */
static bool utf8_ok(struct yp *p, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    int line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        size_t k = s[i] ? utf8_seq(s + i, len - i) : 0;
        if (!k) {
            cfg_errors_add(p->errs, "%s:%d:%d: not UTF-8 text (byte 0x%02x)",
                           p->file, line, col, s[i]);
            return false;
        }
        if (s[i] == '\n') {
            line++;
            col = 0;
        }
        i += k;
        col++;
    }
    return true;
}

/* The whole file, NUL-terminated, at most MAX_YAML_BYTES. */
static char *read_text(struct yp *p, size_t *len)
{
    FILE *f = fopen(p->file, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        cfg_errors_add(p->errs, "%s: cannot read: %s", p->file,
                       strerror(errno));
        if (f) {
            fclose(f);
        }
        return NULL;
    }
    if (st.st_size > (off_t)MAX_YAML_BYTES) {
        cfg_errors_add(p->errs, "%s: larger than 16 MiB", p->file);
        fclose(f);
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1; /* grows if the file does */
    char *buf = xmalloc(cap + 1);
    *len = 0;
    size_t got;
    while ((got = fread(buf + *len, 1, cap - *len, f)) > 0) {
        *len += got;
        if (*len == cap && cap <= MAX_YAML_BYTES) {
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
    }
    bool err = ferror(f) || *len > MAX_YAML_BYTES;
    fclose(f);
    if (err) {
        cfg_errors_add(p->errs, "%s: cannot read", p->file);
        free(buf);
        return NULL;
    }
    buf[*len] = 0;
    return buf;
}

struct fy_document *yp_parse(struct yp *p, const char *text)
{
    size_t len = 0;
    char *owned = NULL;
    if (text) {
        len = strlen(text);
    } else if (!(text = owned = read_text(p, &len))) {
        return NULL;
    }
    if (!utf8_ok(p, text, len)) {
        free(owned);
        return NULL;
    }
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag) {
        cfg_errors_add(p->errs, "%s: cannot create YAML diagnostics",
                       p->file);
        free(owned);
        return NULL;
    }
    fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg pcfg = {
        .flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_AUTO,
        .diag = diag,
    };
    /* a file's text goes to the document, which frees it */
    struct fy_document *doc =
        owned ? fy_document_build_from_malloc_string(&pcfg, owned, len)
              : fy_document_build_from_string(&pcfg, text, len);
    if (!doc) {
        void *it = NULL;
        struct fy_diag_error *de;
        int n = 0;
        while ((de = fy_diag_errors_iterate(diag, &it))) {
            cfg_errors_add(p->errs, "%s:%d:%d: YAML syntax: %s", p->file,
                           de->line, de->column, de->msg);
            n++;
        }
        if (!n) {
            /* libfyaml builds no document from an empty stream */
            cfg_errors_add(p->errs, "%s:1:1: the file is empty", p->file);
        }
    }
    fy_diag_destroy(diag);
    return doc;
}

bool yp_is_map(struct yp *p, struct fy_node *n, const char *what)
{
    if (n && fy_node_get_type(n) == FYNT_MAPPING) {
        return true;
    }
    yp_error(p, n, "%s: expected a mapping (key: value)", what);
    return false;
}

bool yp_is_seq(struct yp *p, struct fy_node *n, const char *what)
{
    if (n && fy_node_get_type(n) == FYNT_SEQUENCE) {
        return true;
    }
    yp_error(p, n, "%s: expected a list", what);
    return false;
}

const char *yp_str(struct yp *p, struct fy_node *n, const char *what)
{
    if (!n || fy_node_get_type(n) != FYNT_SCALAR) {
        yp_error(p, n, "%s: expected a single value", what);
        return NULL;
    }
    return fy_node_get_scalar0(n);
}

bool yp_bool(struct yp *p, struct fy_node *n, const char *what, bool *out)
{
    const char *s = yp_str(p, n, what);
    if (!s) {
        return false;
    }
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
        *out = true;
    } else if (!strcmp(s, "false") || !strcmp(s, "no") ||
               !strcmp(s, "off")) {
        *out = false;
    } else {
        yp_error(p, n, "%s: '%s' is not true or false", what, s);
        return false;
    }
    return true;
}

bool yp_int(struct yp *p, struct fy_node *n, const char *what, int lo,
            int hi, int *out)
{
    const char *s = yp_str(p, n, what);
    if (!s) {
        return false;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) {
        yp_error(p, n, "%s: '%s' is not a whole number from %d to %d", what,
                 s, lo, hi);
        return false;
    }
    *out = (int)v;
    return true;
}

bool yp_duration(struct yp *p, struct fy_node *n, const char *what,
                 int64_t *out_ms)
{
    const char *s = yp_str(p, n, what);
    if (!s) {
        return false;
    }
    if (!config_parse_duration(s, out_ms)) {
        yp_error(p, n, "%s: '%s' is not a duration (500ms, 2s, 5m, 1h)",
                 what, s);
        return false;
    }
    return true;
}

bool yp_size(struct yp *p, struct fy_node *n, const char *what, int *w,
             int *h)
{
    const char *s = yp_str(p, n, what);
    if (!s) {
        return false;
    }
    char tail;
    if (sscanf(s, "%dx%d%c", w, h, &tail) != 2 || *w < 1 || *h < 1 ||
        *w > 16384 || *h > 16384) {
        yp_error(p, n, "%s: '%s' is not a size WIDTHxHEIGHT", what, s);
        return false;
    }
    return true;
}

bool yp_enum(struct yp *p, struct fy_node *n, const char *what,
             const char *const *names, int *out)
{
    const char *s = yp_str(p, n, what);
    if (!s) {
        return false;
    }
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        if (!strcmp(s, names[i])) {
            *out = i;
            return true;
        }
        size_t l = strlen(list);
        snprintf(list + l, sizeof(list) - l, "%s%s", i ? " | " : "",
                 names[i]);
    }
    yp_error(p, n, "%s: '%s' must be one of %s", what, s, list);
    return false;
}

struct fy_node *yp_get(struct fy_node *map, const char *key)
{
    return fy_node_mapping_lookup_by_string(map, key, FY_NT);
}
