/* Internal helpers of src/core shared between engine.c and plan.c. */
#ifndef VIGIL_CORE_ENGINE_H
#define VIGIL_CORE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct vlog;

/* Load and validate a config file (NULL path: the demo), logging every
 * error. */
struct config *engine_load_config(const char *path, struct vlog *log);

/* "YYYY-MM-DD HH:MM:SS" in the wall's zone; "never" for INT64_MAX/MIN. */
void engine_format_local(const struct config *c, int64_t t_ms, char *buf,
                         size_t size);
/* Parse "YYYY-MM-DD HH:MM[:SS]" (or with a T) in the wall's zone. */
int engine_parse_local(const struct config *c, const char *s, int64_t *t_ms);

#endif
