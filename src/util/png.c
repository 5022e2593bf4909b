#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "util/mem.h"
#include "util/png.h"

struct membuf {
    uint8_t *data;
    size_t len, cap;
};

static void write_fn(png_structp png, png_bytep data, png_size_t len)
{
    struct membuf *m = png_get_io_ptr(png);
    if (m->len + len > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < m->len + len) {
            cap *= 2;
        }
        m->data = xrealloc(m->data, cap);
        m->cap = cap;
    }
    memcpy(m->data + m->len, data, len);
    m->len += len;
}

static void flush_fn(png_structp png)
{
    (void)png;
}

int png_encode_rgb(const uint8_t *rgb, int w, int h,
                   const char *const *texts, uint8_t **out, size_t *out_len)
{
    struct membuf m = { 0 };
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return -ENOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(m.data);
        return -EIO;
    }
    png_set_write_fn(png, &m, write_fn, flush_fn);
    /* Speed over size: snapshots are fetched often and live briefly. */
    png_set_compression_level(png, 1);
    png_set_filter(png, 0, PNG_FILTER_SUB);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_text text[8];
    int n_text = 0;
    for (; texts && n_text < 8 && texts[2 * n_text]; n_text++) {
        text[n_text] = (png_text){ .compression = PNG_TEXT_COMPRESSION_NONE,
                                   .key = (png_charp)texts[2 * n_text],
                                   .text = (png_charp)texts[2 * n_text + 1] };
    }
    if (n_text) {
        png_set_text(png, info, text, n_text);
    }
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        png_write_row(png, (png_const_bytep)(rgb + (size_t)y * (size_t)w * 3));
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = m.data;
    *out_len = m.len;
    return 0;
}
