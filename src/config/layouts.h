/* Layout definitions in YAML: shipped files (layouts/NAME.yaml) and the
 * config's inline `layouts:` list. Private to src/config. */
#ifndef VIGIL_CONFIG_LAYOUTS_H
#define VIGIL_CONFIG_LAYOUTS_H

#include <libfyaml.h>

#include "config/config.h"
#include "config/yaml.h"

/* Append every DIR/NAME.yaml layout to c->layouts (sorted by file name). A
 * NULL dir loads nothing. */
void layouts_load_dir(struct config *c, const char *dir,
                      struct cfg_errors *errs);
/* Append the layouts of a `layouts:` list. */
void layouts_parse_list(struct config *c, struct yp *p, struct fy_node *seq);

#endif
