/* PNG encoding (libpng) of an RGB24 picture into memory. */
#ifndef VIGIL_UTIL_PNG_H
#define VIGIL_UTIL_PNG_H

#include <stddef.h>
#include <stdint.h>

/* Encode w x h RGB24 rows (stride w*3), with texts (NULL, or key, value,
 * ..., NULL: up to 8 tEXt chunks). Returns 0 and a malloc'd buffer in
 * *out / *out_len, or a negative error. Thread-safe (no shared state). */
int png_encode_rgb(const uint8_t *rgb, int w, int h,
                   const char *const *texts, uint8_t **out, size_t *out_len);

#endif
