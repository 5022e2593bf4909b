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

#endif
