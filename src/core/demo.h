/* The built-in demo wall: 16 synthetic lavfi cameras, one of which drops
 * out every 30 s. */
#ifndef VIGIL_CORE_DEMO_H
#define VIGIL_CORE_DEMO_H

/* The demo configuration as YAML text (malloc'd). font_path is used by the
 * lavfi drawtext labels. */
char *demo_config_text(const char *font_path);

#endif
