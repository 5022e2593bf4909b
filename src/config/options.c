/*
 * The option-table machinery (see options.h): defaults, parsing, freeing,
 * diffing and the reference, all by walking a table. Runs wherever config
 * loading runs; pure apart from the YAML nodes it reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/options.h"
#include "util/mem.h"

#define AT(base, off, type) ((type *)((char *)(base) + (off)))
#define CAT(base, off, type) ((const type *)((const char *)(base) + (off)))

void opt_format_duration(int64_t ms, char *buf, size_t size)
{
    if (ms && ms % 3600000 == 0) {
        snprintf(buf, size, "%lldh", (long long)(ms / 3600000));
    } else if (ms && ms % 60000 == 0) {
        snprintf(buf, size, "%lldm", (long long)(ms / 60000));
    } else if (ms % 1000 == 0) {
        snprintf(buf, size, "%llds", (long long)(ms / 1000));
    } else {
        snprintf(buf, size, "%lldms", (long long)ms);
    }
}

void opt_format_bytes(int64_t n, char *buf, size_t size)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB" };
    int u = 0;
    while (u < 3 && n && n % 1024 == 0) {
        n /= 1024;
        u++;
    }
    snprintf(buf, size, "%lld%s", (long long)n, units[u]);
}

bool opt_parse_bytes(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno || v < 0) {
        return false;
    }
    int64_t mul = !strcmp(end, "") || !strcmp(end, "B") ? 1
                  : !strcmp(end, "KiB")                 ? 1024
                  : !strcmp(end, "MiB")                 ? 1024 * 1024
                  : !strcmp(end, "GiB") ? INT64_C(1024) * 1024 * 1024
                                        : 0;
    if (!mul || v > INT64_MAX / mul) {
        return false;
    }
    *out = v * mul;
    return true;
}

static char *path_of(const char *value, const char *dir)
{
    return value[0] == '/' || !dir ? xstrdup(value)
                                   : xasprintf("%s/%s", dir, value);
}

/* HOST:PORT, with [v6]:PORT. */
static bool parse_listen(const char *s, char **host, int *port)
{
    const char *colon = strrchr(s, ':');
    char *end = NULL;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == s || !end || *end || colon[1] == 0 || p < 0 ||
        p > 65535) {
        return false;
    }
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    free(*host);
    *host = xmalloc(hl + 1);
    memcpy(*host, h, hl);
    (*host)[hl] = 0;
    *port = (int)p;
    return true;
}

static bool parse_fraction(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || errno || !(d > 0 && d <= 1)) {
        return false;
    }
    *out = d;
    return true;
}

static void free_strv(char ***v, int *n)
{
    for (int i = 0; *v && i < *n; i++) {
        free((*v)[i]);
    }
    free(*v);
    *v = NULL;
    *n = 0;
}

/* ---- defaults ---- */

static void set_default(const struct opt *o, void *base, const char *dir)
{
    const char *d = o->def;
    switch (o->type) {
    case OPT_STR:
    case OPT_PATH:
        free(*AT(base, o->off, char *));
        *AT(base, o->off, char *) = !d ? NULL
                                    : o->type == OPT_PATH ? path_of(d, dir)
                                                          : xstrdup(d);
        break;
    case OPT_BOOL:
        *AT(base, o->off, bool) = d && !strcmp(d, "true");
        break;
    case OPT_INT:
        *AT(base, o->off, int) = d ? atoi(d) : 0;
        break;
    case OPT_DURATION:
        *AT(base, o->off, int64_t) = 0;
        if (d && !config_parse_duration(d, AT(base, o->off, int64_t))) {
            abort(); /* a table's own default is always valid */
        }
        break;
    case OPT_BYTES:
        *AT(base, o->off, int64_t) = 0;
        if (d && !opt_parse_bytes(d, AT(base, o->off, int64_t))) {
            abort();
        }
        break;
    case OPT_FRACTION:
        *AT(base, o->off, double) = d ? strtod(d, NULL) : 0;
        break;
    case OPT_ENUM:
        *AT(base, o->off, int) = 0;
        for (int i = 0; d && o->names[i]; i++) {
            if (!strcmp(o->names[i], d)) {
                *AT(base, o->off, int) = i;
            }
        }
        break;
    case OPT_SIZE:
        if (d && sscanf(d, "%dx%d", AT(base, o->off, int),
                        AT(base, o->off2, int)) != 2) {
            abort();
        }
        break;
    case OPT_LISTEN:
        if (d && !parse_listen(d, AT(base, o->off, char *),
                               AT(base, o->off2, int))) {
            abort();
        }
        break;
    case OPT_SECTION:
        opt_defaults(o->sub, base, dir);
        break;
    case OPT_STRLIST:
    case OPT_CUSTOM:
        break;
    }
}

void opt_defaults(const struct opt_table *t, void *base, const char *dir)
{
    for (const struct opt *o = t->opts; o->key; o++) {
        set_default(o, base, dir);
    }
}

/* ---- parsing ---- */

static void parse_range(struct cfg_ctx *cx, const struct opt *o,
                        struct fy_node *n, const char *what, int64_t *v)
{
    char lo[32], hi[32];
    opt_format_duration(o->min, lo, sizeof(lo));
    opt_format_duration(o->max, hi, sizeof(hi));
    if (o->max && (*v < o->min || *v > o->max)) {
        ERR(cx, n, "%s: must be between %s and %s", what, lo, hi);
    } else if (*v < o->min) {
        ERR(cx, n, "%s: must be at least %s", what, lo);
    }
}

static void parse_strlist(struct cfg_ctx *cx, const struct opt *o,
                          struct fy_node *n, const char *what, void *base)
{
    char ***v = AT(base, o->off, char **);
    int *count = AT(base, o->off2, int);
    if (!yp_is_seq(&cx->yp, n, what)) {
        return;
    }
    free_strv(v, count);
    *v = xcalloc((size_t)fy_node_sequence_item_count(n) + 1, sizeof(char *));
    void *it = NULL;
    struct fy_node *item;
    char item_what[112];
    snprintf(item_what, sizeof(item_what), "%s item", what);
    while ((item = fy_node_sequence_iterate(n, &it))) {
        const char *s = yp_str(&cx->yp, item, item_what);
        if (s) {
            (*v)[(*count)++] = xstrdup(s);
        }
    }
}

static void parse_one(struct cfg_ctx *cx, const struct opt *o,
                      struct fy_node *n, const struct opt_table *t,
                      void *base)
{
    char what[96];
    snprintf(what, sizeof(what), "%s%s", t->label, o->key);
    struct yp *yp = &cx->yp;
    const char *s;
    switch (o->type) {
    case OPT_STR:
    case OPT_PATH:
        if ((s = yp_str(yp, n, what))) {
            free(*AT(base, o->off, char *));
            *AT(base, o->off, char *) = o->type == OPT_PATH
                                            ? path_of(s, cx->dir)
                                            : xstrdup(s);
        }
        break;
    case OPT_BOOL:
        yp_bool(yp, n, what, AT(base, o->off, bool));
        break;
    case OPT_INT:
        yp_int(yp, n, what, (int)o->min, (int)o->max, AT(base, o->off, int));
        break;
    case OPT_DURATION:
        if (yp_duration(yp, n, what, AT(base, o->off, int64_t))) {
            parse_range(cx, o, n, what, AT(base, o->off, int64_t));
        }
        break;
    case OPT_BYTES:
        if ((s = yp_str(yp, n, what)) &&
            !opt_parse_bytes(s, AT(base, o->off, int64_t))) {
            ERR(cx, n, "%s: '%s' is not a size (64KiB, 16MiB, 1GiB)", what,
                s);
        } else if (s && (*AT(base, o->off, int64_t) < o->min ||
                         (o->max && *AT(base, o->off, int64_t) > o->max))) {
            char lo[32], hi[32];
            opt_format_bytes(o->min, lo, sizeof(lo));
            opt_format_bytes(o->max, hi, sizeof(hi));
            ERR(cx, n, "%s: must be between %s and %s", what, lo, hi);
        }
        break;
    case OPT_FRACTION:
        if ((s = yp_str(yp, n, what)) &&
            !parse_fraction(s, AT(base, o->off, double))) {
            ERR(cx, n, "%s: '%s' is not a number in (0, 1]", what, s);
        }
        break;
    case OPT_ENUM:
        yp_enum(yp, n, what, o->names, AT(base, o->off, int));
        break;
    case OPT_SIZE:
        yp_size(yp, n, what, AT(base, o->off, int), AT(base, o->off2, int));
        break;
    case OPT_LISTEN:
        if ((s = yp_str(yp, n, what)) &&
            !parse_listen(s, AT(base, o->off, char *),
                          AT(base, o->off2, int))) {
            ERR(cx, n, "%s: '%s' is not HOST:PORT", what, s);
        }
        break;
    case OPT_STRLIST:
        parse_strlist(cx, o, n, what, base);
        break;
    case OPT_SECTION:
        opt_parse(cx, n, o->sub, base);
        break;
    case OPT_CUSTOM:
        o->parse(cx, n, base);
        break;
    }
}

void opt_check_keys(struct yp *yp, struct fy_node *map,
                    const struct opt_table *t)
{
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(pr);
        const char *ks = k && fy_node_get_type(k) == FYNT_SCALAR
                             ? fy_node_get_scalar0(k)
                             : NULL;
        const struct opt *o = t->opts;
        while (ks && o->key && strcmp(o->key, ks)) {
            o++;
        }
        if (!ks || !o->key) {
            yp_error(yp, k, "%s: unknown key '%s'", t->name, ks ? ks : "?");
        }
    }
}

bool opt_parse(struct cfg_ctx *cx, struct fy_node *map,
               const struct opt_table *t, void *base)
{
    if (!yp_is_map(&cx->yp, map, t->name)) {
        return false;
    }
    opt_check_keys(&cx->yp, map, t);
    for (const struct opt *o = t->opts; o->key; o++) {
        struct fy_node *v = yp_get(map, o->key);
        if (v) {
            parse_one(cx, o, v, t, base);
        } else if (o->flags & OPT_REQUIRED) {
            ERR(cx, map, "%s: '%s' is required", t->name, o->key);
        }
    }
    if (t->check) {
        t->check(cx, map, base);
    }
    return true;
}

void opt_free(const struct opt_table *t, void *base)
{
    for (const struct opt *o = t->opts; o->key; o++) {
        if (o->type == OPT_STR || o->type == OPT_PATH ||
            o->type == OPT_LISTEN) {
            free(*AT(base, o->off, char *));
            *AT(base, o->off, char *) = NULL;
        } else if (o->type == OPT_STRLIST) {
            free_strv(AT(base, o->off, char **), AT(base, o->off2, int));
        } else if (o->type == OPT_SECTION) {
            opt_free(o->sub, base);
        }
    }
}

/* ---- diff ---- */

void opt_diff_add(struct cfg_diff *d, const char *key, bool restart)
{
    for (int i = 0; i < d->n; i++) {
        if (!strcmp(d->keys[i].key, key)) {
            return;
        }
    }
    d->keys = xrealloc(d->keys, sizeof(*d->keys) * (size_t)(d->n + 1));
    snprintf(d->keys[d->n].key, sizeof(d->keys[d->n].key), "%s", key);
    d->keys[d->n++].restart = restart;
    d->n_restart += restart;
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same(const struct opt *o, const void *a, const void *b)
{
    switch (o->type) {
    case OPT_STR:
    case OPT_PATH:
        return str_eq(*CAT(a, o->off, char *), *CAT(b, o->off, char *));
    case OPT_BOOL:
        return *CAT(a, o->off, bool) == *CAT(b, o->off, bool);
    case OPT_INT:
    case OPT_ENUM:
        return *CAT(a, o->off, int) == *CAT(b, o->off, int);
    case OPT_DURATION:
    case OPT_BYTES:
        return *CAT(a, o->off, int64_t) == *CAT(b, o->off, int64_t);
    case OPT_FRACTION:
        return *CAT(a, o->off, double) == *CAT(b, o->off, double);
    case OPT_SIZE:
        return *CAT(a, o->off, int) == *CAT(b, o->off, int) &&
               *CAT(a, o->off2, int) == *CAT(b, o->off2, int);
    case OPT_LISTEN:
        return str_eq(*CAT(a, o->off, char *), *CAT(b, o->off, char *)) &&
               *CAT(a, o->off2, int) == *CAT(b, o->off2, int);
    case OPT_STRLIST: {
        int n = *CAT(a, o->off2, int);
        char *const *x = *(char **const *)((const char *)a + o->off);
        char *const *y = *(char **const *)((const char *)b + o->off);
        if (n != *CAT(b, o->off2, int)) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (strcmp(x[i], y[i])) {
                return false;
            }
        }
        return true;
    }
    case OPT_SECTION:
    case OPT_CUSTOM:
        break;
    }
    return true;
}

void opt_diff(const struct opt_table *t, const char *path, const void *a,
              const void *b, struct cfg_diff *d)
{
    for (const struct opt *o = t->opts; o->key; o++) {
        char key[128];
        snprintf(key, sizeof(key), "%s%s%s", path, *path ? "." : "", o->key);
        if (o->type == OPT_SECTION) {
            opt_diff(o->sub, key, a, b, d);
        } else if (o->type == OPT_CUSTOM) {
            if (o->diff) {
                o->diff(o, key, a, b, d);
            }
        } else if (!same(o, a, b)) {
            opt_diff_add(d, key, o->flags & OPT_RESTART);
        }
    }
}

/* ---- reference ---- */

static const char *type_name(const struct opt *o, char *buf, size_t size)
{
    if (o->type_doc) {
        return o->type_doc;
    }
    switch (o->type) {
    case OPT_STR:
        return "text";
    case OPT_PATH:
        return "path";
    case OPT_BOOL:
        return "true / false";
    case OPT_INT:
        snprintf(buf, size, "whole number, %lld to %lld",
                 (long long)o->min, (long long)o->max);
        return buf;
    case OPT_DURATION: {
        char lo[32], hi[32];
        opt_format_duration(o->min, lo, sizeof(lo));
        opt_format_duration(o->max, hi, sizeof(hi));
        if (o->max) {
            snprintf(buf, size, "duration, %s to %s", lo, hi);
        } else if (o->min) {
            snprintf(buf, size, "duration, at least %s", lo);
        } else {
            snprintf(buf, size, "duration");
        }
        return buf;
    }
    case OPT_BYTES: {
        char lo[32], hi[32];
        opt_format_bytes(o->min, lo, sizeof(lo));
        opt_format_bytes(o->max, hi, sizeof(hi));
        snprintf(buf, size, "size, %s to %s", lo, hi);
        return buf;
    }
    case OPT_FRACTION:
        return "number in (0, 1]";
    case OPT_ENUM: {
        size_t n = 0;
        buf[0] = 0;
        for (int i = 0; o->names[i] && n < size; i++) {
            n += (size_t)snprintf(buf + n, size - n, "%s`%s`",
                                  i ? " \\| " : "", o->names[i]);
        }
        return buf;
    }
    case OPT_SIZE:
        return "WIDTHxHEIGHT";
    case OPT_LISTEN:
        return "HOST:PORT";
    case OPT_STRLIST:
        return "list of text";
    case OPT_SECTION:
        return "mapping";
    case OPT_CUSTOM:
        return o->type_doc;
    }
    return "?";
}

/* One key's reference entry, the same for every format. */
struct ref_row {
    char type[256];
    char def[160];
    const char *reload;
};

static void ref_row(const struct opt *o, struct ref_row *r)
{
    bool per_key = o->type == OPT_SECTION || (o->flags & OPT_PER_KEY);
    char tmp[256];
    snprintf(r->type, sizeof(r->type), "%s", type_name(o, tmp, sizeof(tmp)));
    if (o->type == OPT_SECTION) {
        snprintf(r->def, sizeof(r->def), "see its keys");
    } else if (o->def_doc) {
        snprintf(r->def, sizeof(r->def), "%s", o->def_doc);
    } else if (o->def) {
        snprintf(r->def, sizeof(r->def), "`%s`", o->def);
    } else if (o->flags & OPT_REQUIRED) {
        snprintf(r->def, sizeof(r->def), "required");
    } else {
        snprintf(r->def, sizeof(r->def), "none");
    }
    r->reload = per_key ? "per key"
                : o->flags & OPT_RESTART ? "restart"
                                         : "live";
}

static void reference_rows(const struct opt_table *t, FILE *out)
{
    fprintf(out, "| key | type | default | on reload | example | meaning "
                 "|\n|---|---|---|---|---|---|\n");
    for (const struct opt *o = t->opts; o->key; o++) {
        struct ref_row r;
        ref_row(o, &r);
        fprintf(out, "| `%s` | %s | %s | %s | %s%s%s | %s |\n", o->key,
                r.type, r.def, r.reload, o->example ? "`" : "",
                o->example ? o->example : "", o->example ? "`" : "",
                o->help);
    }
    fputc('\n', out);
}

void opt_reference(const struct opt_table *t, FILE *out)
{
    if (t->path[0]) {
        fprintf(out, "## `%s`\n\n", t->path);
    }
    fprintf(out, "%s\n\n", t->help);
    reference_rows(t, out);
    for (const struct opt *o = t->opts; o->key; o++) {
        if (o->sub) {
            opt_reference(o->sub, out);
        }
    }
}

/* Text for roff: `code` in bold, *emphasis* in italics, Markdown's "\\|"
 * as "|", backslashes escaped, and no line that roff would read as a
 * request. */
static void man_text(FILE *out, const char *s)
{
    bool bold = false, italic = false;
    fputs("\\&", out);
    for (; *s; s++) {
        if (*s == '`') {
            /* \fR ends every font: back to italics inside emphasis */
            fputs(bold ? (italic ? "\\fI" : "\\fR") : "\\fB", out);
            bold = !bold;
        } else if (*s == '*' && !bold) {
            fputs(italic ? "\\fR" : "\\fI", out);
            italic = !italic;
        } else if (*s == '\\' && s[1] == '|') {
            fputc('|', out);
            s++;
        } else if (*s == '\\') {
            fputs("\\e", out);
        } else if (*s == '-') {
            fputs("\\-", out);
        } else if (*s == '\n') {
            fputs("\n\\&", out);
        } else {
            fputc(*s, out);
        }
    }
    if (bold || italic) {
        fputs("\\fR", out);
    }
}

void opt_manpage(const struct opt_table *t, FILE *out)
{
    fputs(".SS \"", out);
    fputs(t->path[0] ? t->path : "top level", out);
    fputs("\"\n.PP\n", out);
    man_text(out, t->help);
    fputc('\n', out);
    for (const struct opt *o = t->opts; o->key; o++) {
        struct ref_row r;
        ref_row(o, &r);
        fputs(".TP\n.B ", out);
        man_text(out, o->key);
        fputs("\n", out);
        man_text(out, o->help);
        fputs("\n.br\nType: ", out);
        man_text(out, r.type);
        fputs("; default: ", out);
        man_text(out, r.def);
        fputs("; on reload: ", out);
        man_text(out, r.reload);
        if (o->example) {
            fputs(".\n.br\nExample: \\fB", out);
            man_text(out, o->example);
            fputs("\\fR", out);
        }
        fputs("\n", out);
    }
    for (const struct opt *o = t->opts; o->key; o++) {
        if (o->sub) {
            opt_manpage(o->sub, out);
        }
    }
}
