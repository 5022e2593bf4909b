/*
 * Layout geometry. Pure: no I/O, no clocks, no SDL or FFmpeg types.
 *
 * A layout is a grid of cols x rows unit cells and a list of tiles, each a
 * rectangle of whole cells [column, row, column span, row span]. Tile order
 * is the order in which a page's cameras fill the layout. The YAML format
 * (layouts/NAME.yaml and inline in a config) is parsed by src/config; this
 * module validates and maps tiles onto pixels.
 */
#ifndef VIGIL_LAYOUT_H
#define VIGIL_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#define LAYOUT_MAX_GRID 16

struct layout_rect {
    int x, y, w, h;
};

struct layout {
    char *name;
    int cols, rows;
    int n_cells;
    struct layout_rect *cells; /* in grid units */
};

enum layout_fit {
    LAYOUT_FIT_LETTERBOX, /* whole picture, bars around it */
    LAYOUT_FIT_FILL,      /* fill the tile, crop the overflow */
    LAYOUT_FIT_STRETCH,   /* fill the tile, distort */
};

/* Give l one tile per grid cell, row-major (a plain NxM grid). */
void layout_fill_grid(struct layout *l);

/*
 * Check that every tile lies inside the grid, has a positive span and
 * overlaps no other tile. On failure returns the index of the first bad
 * tile and writes a message into err; returns -1 when valid.
 */
int layout_validate(const struct layout *l, char *err, size_t errlen);

/* Pixel rectangle of tile i on a canvas of w x h. Tiles share edges
 * exactly: no gaps, no overlap, whatever the rounding. */
struct layout_rect layout_tile_rect(const struct layout *l, int i, int w,
                                    int h);

/*
 * Place a src_w x src_h picture into dst according to fit. *out_dst is the
 * on-canvas rectangle to draw into, *out_src the part of the picture to
 * draw (cropped for FILL). Where the aspect ratios are within a percent
 * (the bars or the crop near nothing, layout_near_size), the whole
 * picture gets the whole of dst.
 */
void layout_fit_rect(enum layout_fit fit, int src_w, int src_h,
                     struct layout_rect dst, struct layout_rect *out_dst,
                     struct layout_rect *out_src);

/* Whether a picture side of `have` pixels may stand for one of `want`
 * unscaled: within 1%, or 2 pixels (sizes are rounded to even). Scaling
 * by less costs a whole pass per picture and blurs it. */
bool layout_near_size(int have, int want);

/* A picture part src near its place dst in both sides
 * (layout_near_size) is centred there instead of scaled: the longer of
 * the two sides is cut to the shorter (the picture loses at most 0.5%
 * at each edge, or the place gains a bar as thin). Else both stay. */
void layout_centre_near(struct layout_rect *src, struct layout_rect *dst);

/* Whether a w x h picture, fitted into box, is shown there as it is
 * (centred by layout_centre_near) rather than scaled. */
bool layout_shown_as_is(enum layout_fit fit, int w, int h,
                        struct layout_rect box);

void layout_finish(struct layout *l);

#endif
