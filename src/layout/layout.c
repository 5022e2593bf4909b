/*
 * Layout maths: validation, tile rectangles and picture fitting. Pure and
 * thread-agnostic; used by config (validation) and render (placement).
 */
#include <stdio.h>
#include <stdlib.h>

#include "layout/layout.h"
#include "util/mem.h"

void layout_fill_grid(struct layout *l)
{
    free(l->cells);
    l->n_cells = l->cols * l->rows;
    l->cells = xcalloc((size_t)l->n_cells, sizeof(*l->cells));
    for (int i = 0; i < l->n_cells; i++) {
        l->cells[i] = (struct layout_rect){ i % l->cols, i / l->cols, 1, 1 };
    }
}

static int overlaps(struct layout_rect a, struct layout_rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h &&
           b.y < a.y + a.h;
}

int layout_validate(const struct layout *l, char *err, size_t errlen)
{
    if (l->cols < 1 || l->rows < 1 || l->cols > LAYOUT_MAX_GRID ||
        l->rows > LAYOUT_MAX_GRID) {
        snprintf(err, errlen, "grid %dx%d out of range (1x1 to %dx%d)",
                 l->cols, l->rows, LAYOUT_MAX_GRID, LAYOUT_MAX_GRID);
        return 0;
    }
    if (l->n_cells < 1) {
        snprintf(err, errlen, "layout has no tiles");
        return 0;
    }
    for (int i = 0; i < l->n_cells; i++) {
        struct layout_rect c = l->cells[i];
        if (c.w < 1 || c.h < 1) {
            snprintf(err, errlen, "tile %d: span %dx%d must be at least 1x1",
                     i, c.w, c.h);
            return i;
        }
        if (c.x < 0 || c.y < 0 || c.x + c.w > l->cols ||
            c.y + c.h > l->rows) {
            snprintf(err, errlen,
                     "tile %d: [%d, %d, %d, %d] lies outside the %dx%d grid",
                     i, c.x, c.y, c.w, c.h, l->cols, l->rows);
            return i;
        }
        for (int j = 0; j < i; j++) {
            if (overlaps(c, l->cells[j])) {
                snprintf(err, errlen, "tile %d overlaps tile %d", i, j);
                return i;
            }
        }
    }
    return -1;
}

/* Edge k of n equal parts of len, rounded so adjacent tiles meet. */
static int edge(int k, int n, int len)
{
    return (int)(((long long)k * len + n / 2) / n);
}

struct layout_rect layout_tile_rect(const struct layout *l, int i, int w,
                                    int h)
{
    struct layout_rect c = l->cells[i];
    int x0 = edge(c.x, l->cols, w), x1 = edge(c.x + c.w, l->cols, w);
    int y0 = edge(c.y, l->rows, h), y1 = edge(c.y + c.h, l->rows, h);
    return (struct layout_rect){ x0, y0, x1 - x0, y1 - y0 };
}

void layout_fit_rect(enum layout_fit fit, int src_w, int src_h,
                     struct layout_rect dst, struct layout_rect *out_dst,
                     struct layout_rect *out_src)
{
    *out_dst = dst;
    *out_src = (struct layout_rect){ 0, 0, src_w, src_h };
    if (fit == LAYOUT_FIT_STRETCH || src_w <= 0 || src_h <= 0 ||
        dst.w <= 0 || dst.h <= 0) {
        return;
    }
    /* Compare aspect ratios without floating point: src_w/src_h vs
     * dst.w/dst.h. */
    long long lhs = (long long)src_w * dst.h, rhs = (long long)dst.w * src_h;
    if (fit == LAYOUT_FIT_LETTERBOX) {
        if (lhs > rhs) { /* wider than the tile: bars top and bottom */
            int h = (int)((long long)dst.w * src_h / src_w);
            out_dst->y = dst.y + (dst.h - h) / 2;
            out_dst->h = h;
        } else if (lhs < rhs) { /* taller: bars left and right */
            int w = (int)((long long)dst.h * src_w / src_h);
            out_dst->x = dst.x + (dst.w - w) / 2;
            out_dst->w = w;
        }
    } else { /* FILL: crop the picture to the tile's aspect */
        if (lhs > rhs) {
            int w = (int)((long long)src_h * dst.w / dst.h);
            out_src->x = (src_w - w) / 2;
            out_src->w = w;
        } else if (lhs < rhs) {
            int h = (int)((long long)src_w * dst.h / dst.w);
            out_src->y = (src_h - h) / 2;
            out_src->h = h;
        }
    }
    /* Aspect ratios within a percent (a rounding, or the tile's border):
     * bars or a crop of a pixel or two would show as slivers, and would
     * keep a picture near the box (or an exact half of one) from being
     * shown as it is. The picture fills the box, stretched by a percent
     * at most (2 pixels in a small box). */
    if (layout_near_size(out_dst->w, dst.w) &&
        layout_near_size(out_dst->h, dst.h) &&
        layout_near_size(out_src->w, src_w) &&
        layout_near_size(out_src->h, src_h)) {
        *out_dst = dst;
        *out_src = (struct layout_rect){ 0, 0, src_w, src_h };
    }
}

bool layout_near_size(int have, int want)
{
    int d = abs(have - want), most = want / 100;
    return d <= (most > 2 ? most : 2);
}

/* one side: cut the longer to the shorter, centred */
static void centre_side(int *src_at, int *src_len, int *dst_at, int *dst_len)
{
    int d = *src_len - *dst_len;
    if (d > 0) {
        *src_at += d / 2;
        *src_len = *dst_len;
    } else if (d < 0) {
        *dst_at += -d / 2;
        *dst_len = *src_len;
    }
}

bool layout_shown_as_is(enum layout_fit fit, int w, int h,
                        struct layout_rect box)
{
    struct layout_rect dst, src;
    layout_fit_rect(fit, w, h, box, &dst, &src);
    return layout_near_size(src.w, dst.w) && layout_near_size(src.h, dst.h);
}

void layout_centre_near(struct layout_rect *src, struct layout_rect *dst)
{
    if (!layout_near_size(src->w, dst->w) ||
        !layout_near_size(src->h, dst->h)) {
        return;
    }
    centre_side(&src->x, &src->w, &dst->x, &dst->w);
    centre_side(&src->y, &src->h, &dst->y, &dst->h);
}

void layout_finish(struct layout *l)
{
    if (!l) {
        return;
    }
    free(l->name);
    free(l->cells);
    l->name = NULL;
    l->cells = NULL;
}
