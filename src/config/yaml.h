/*
 * Thin helpers over libfyaml's node API for the config parsers: typed
 * scalar reads, unknown-key checks and error reporting with positions.
 * Private to src/config.
 */
#ifndef VIGIL_CONFIG_YAML_H
#define VIGIL_CONFIG_YAML_H

#include <stdbool.h>
#include <stdint.h>

#include <libfyaml.h>

#include "config/config.h"

struct yp {
    const char *file;           /* name used in messages */
    struct cfg_errors *errs;
    int n_errors_before;
};

/* Parse a YAML document from a file or from text. Syntax errors are added
 * to p->errs with their position; returns NULL then. */
struct fy_document *yp_parse(struct yp *p, const char *text);

void yp_error(struct yp *p, struct fy_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

bool yp_is_map(struct yp *p, struct fy_node *n, const char *what);
bool yp_is_seq(struct yp *p, struct fy_node *n, const char *what);
/* NUL-terminated scalar text, or NULL (error reported). */
const char *yp_str(struct yp *p, struct fy_node *n, const char *what);
bool yp_bool(struct yp *p, struct fy_node *n, const char *what, bool *out);
bool yp_int(struct yp *p, struct fy_node *n, const char *what, int lo,
            int hi, int *out);
bool yp_duration(struct yp *p, struct fy_node *n, const char *what,
                 int64_t *out_ms);
bool yp_size(struct yp *p, struct fy_node *n, const char *what, int *w,
             int *h);
/* Match a scalar against a NULL-terminated list of names. */
bool yp_enum(struct yp *p, struct fy_node *n, const char *what,
             const char *const *names, int *out);

/* Value for key, or NULL. */
struct fy_node *yp_get(struct fy_node *map, const char *key);

#endif
