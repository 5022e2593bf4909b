/*
 * Option tables: every section of the config is a table of its keys, each
 * with a type, where it goes in its struct, its range, its default, its
 * help text and whether a change applies live or needs a restart. One
 * table drives parsing (unknown keys, types, ranges, file:line:column
 * errors), defaults, the reload diff and the generated reference
 * (`vigil --config-reference`, docs/configuration.md). Keys whose values
 * are structures (plans, tiles, schedule rules...) are parsed by their
 * own function, named in the table, and still documented and diffed by
 * it. Private to src/config.
 */
#ifndef VIGIL_CONFIG_OPTIONS_H
#define VIGIL_CONFIG_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libfyaml.h>

#include "config/config.h"
#include "config/yaml.h"

/* One load in progress. */
struct cfg_ctx {
    struct yp yp;
    struct config *c;
    char *dir;                  /* the config's folder, for relative paths */
};

#define ERR(cx, node, ...) yp_error(&(cx)->yp, node, __VA_ARGS__)

enum opt_type {
    OPT_STR,       /* char *, malloc'd */
    OPT_PATH,      /* char *, relative to the config's folder */
    OPT_BOOL,      /* bool */
    OPT_INT,       /* int in [min, max] */
    OPT_DURATION,  /* int64_t ms in [min, max] (max 0: none) */
    OPT_BYTES,     /* int64_t bytes in [min, max]: 512KiB, 16MiB, 1GiB */
    OPT_FRACTION,  /* double in (0, 1] */
    OPT_ENUM,      /* int: the index in names */
    OPT_SIZE,      /* int width at off, int height at off2 */
    OPT_LISTEN,    /* char *host at off, int port at off2 */
    OPT_STRLIST,   /* char **v at off, int count at off2 */
    OPT_SECTION,   /* a mapping of its own: sub, fields in the same struct */
    OPT_CUSTOM,    /* parsed by parse(); compared by diff() */
};

#define OPT_RESTART 1u  /* a change needs a restart (else it applies live) */
#define OPT_REQUIRED 2u /* "<table>: '<key>' is required" when absent */
#define OPT_PER_KEY 4u  /* a list whose items' keys say (reference) */

/* A table entry's type and offset, with the field's C type checked at
 * compile time against what the type stores (a duration in an int would
 * be a misaligned, truncated store): { "key", OPT_FIELD(T, f, DURATION),
 * ... }. */
#define OPT_CHECKED(T, f, ok)                                                \
    (offsetof(T, f) +                                                        \
     0 * sizeof(struct {                                                     \
         _Static_assert(ok, #f ": not the C type its option stores");        \
         int x_;                                                             \
     }))
#define OPT_IS(T, f, type) _Generic(((T *)0)->f, type: 1, default: 0)
#define OPT_CHECK_DURATION(T, f) OPT_CHECKED(T, f, OPT_IS(T, f, int64_t))
#define OPT_CHECK_INT(T, f) OPT_CHECKED(T, f, OPT_IS(T, f, int))
#define OPT_CHECK_BYTES(T, f) OPT_CHECK_DURATION(T, f)
#define OPT_CHECK_BOOL(T, f) OPT_CHECKED(T, f, OPT_IS(T, f, bool))
#define OPT_CHECK_FRACTION(T, f) OPT_CHECKED(T, f, OPT_IS(T, f, double))
#define OPT_CHECK_STR(T, f) OPT_CHECKED(T, f, OPT_IS(T, f, char *))
#define OPT_CHECK_PATH(T, f) OPT_CHECK_STR(T, f)
#define OPT_CHECK_ENUM(T, f)                                                 \
    OPT_CHECKED(T, f, sizeof(((T *)0)->f) == sizeof(int))
#define OPT_FIELD(T, f, kind) OPT_##kind, OPT_CHECK_##kind(T, f)

struct opt_table;
struct opt;

typedef void (*opt_parse_fn)(struct cfg_ctx *cx, struct fy_node *value,
                             void *base);
/* Add what differs between a and b (bases of the same table) to d, under
 * path (the key's full name). */
typedef void (*opt_diff_fn)(const struct opt *o, const char *path,
                            const void *a, const void *b,
                            struct cfg_diff *d);

struct opt {
    const char *key;
    enum opt_type type;
    size_t off, off2;
    int64_t min, max;           /* OPT_INT, OPT_DURATION (max 0: none) */
    const char *const *names;   /* OPT_ENUM, NULL-terminated */
    const char *def;            /* the default as YAML writes it; NULL:
                                 * none (zero), or see def_doc */
    const char *def_doc;        /* the default in words, when it is not a
                                 * plain value */
    const char *help;
    const char *example;        /* the value in an example */
    unsigned flags;             /* OPT_RESTART, OPT_REQUIRED */
    const struct opt_table *sub; /* OPT_SECTION; for OPT_CUSTOM, the
                                  * table of its items (reference) */
    opt_parse_fn parse;         /* OPT_CUSTOM */
    opt_diff_fn diff;           /* OPT_CUSTOM: NULL compares nothing */
    const char *type_doc;       /* its type in words (OPT_CUSTOM; any
                                 * other type, instead of the usual) */
};

struct opt_table {
    const char *name;   /* in messages about the mapping ("alerts") */
    const char *label;  /* before a key in messages about a value
                         * ("alerts." -> "alerts.stall_after: ...") */
    const char *path;   /* in the reference and the diff ("alerts") */
    const char *help;
    const struct opt *opts; /* ends with { NULL } */
    /* After the keys: checks across keys and derived values. */
    void (*check)(struct cfg_ctx *cx, struct fy_node *map, void *base);
};

/* Set every key's default in base (paths relative to dir). */
void opt_defaults(const struct opt_table *t, void *base, const char *dir);
/* Parse mapping `map` into base: unknown keys are errors, then each key
 * present is parsed in table order (the order of their dependencies),
 * then the table's check. Returns false when map is not a mapping. */
bool opt_parse(struct cfg_ctx *cx, struct fy_node *map,
               const struct opt_table *t, void *base);
/* Report every key of mapping `map` that t does not have. */
void opt_check_keys(struct yp *yp, struct fy_node *map,
                    const struct opt_table *t);
/* Free what the table's typed keys own in base (not OPT_CUSTOM's). */
void opt_free(const struct opt_table *t, void *base);
/* Add every key of t that differs between bases a and b to d, named
 * path.key (path "" for the top level). */
void opt_diff(const struct opt_table *t, const char *path, const void *a,
              const void *b, struct cfg_diff *d);
void opt_diff_add(struct cfg_diff *d, const char *key, bool restart);
/* Markdown reference of t and the tables below it. */
void opt_reference(const struct opt_table *t, FILE *out);
/* The same, as the sections of a man page (roff). */
void opt_manpage(const struct opt_table *t, FILE *out);

/* "100ms", "2s", "5m", "1h": a duration as the config writes it. */
void opt_format_duration(int64_t ms, char *buf, size_t size);
/* "64KiB", "16MiB": a size; and its parser (false: malformed). */
void opt_format_bytes(int64_t n, char *buf, size_t size);
bool opt_parse_bytes(const char *s, int64_t *out);

/* ---- the tables (tables.c, alerts.c, plans.c) ---- */

extern const struct opt_table cfg_root_table, cfg_alerts_table;
extern const struct opt_table cfg_plan_table, cfg_entry_table,
    cfg_tile_table, cfg_calendar_table, cfg_rule_table, cfg_when_table,
    cfg_layout_table;

/* plans.c: the custom keys of the root table */
void cfg_parse_plans(struct cfg_ctx *cx, struct fy_node *n, void *base);
void cfg_parse_calendars(struct cfg_ctx *cx, struct fy_node *n, void *base);
void cfg_parse_schedule(struct cfg_ctx *cx, struct fy_node *n, void *base);
void cfg_diff_plans(const struct opt *o, const char *path, const void *a,
                    const void *b, struct cfg_diff *d);
void cfg_diff_calendars(const struct opt *o, const char *path,
                        const void *a, const void *b, struct cfg_diff *d);
void cfg_diff_schedule(const struct opt *o, const char *path, const void *a,
                       const void *b, struct cfg_diff *d);
void cfg_free_plans(struct config *c);

/* tables.c: the root's defaults (and the machine's zone), and freeing
 * what the tables' typed keys own in a config */
void config_defaults(struct config *c, const char *dir);
void config_free_tables(struct config *c);

#endif
