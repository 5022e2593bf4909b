#include <stdlib.h>

#include "layout/layout.h"
#include "test.h"

static struct layout make(int cols, int rows, int n, const int *cells)
{
    struct layout l = { .name = NULL, .cols = cols, .rows = rows };
    l.n_cells = n;
    l.cells = calloc((size_t)n, sizeof(*l.cells));
    for (int i = 0; i < n; i++) {
        l.cells[i] = (struct layout_rect){ cells[4 * i], cells[4 * i + 1],
                                           cells[4 * i + 2],
                                           cells[4 * i + 3] };
    }
    return l;
}

static void grid_fill(void)
{
    struct layout l = { .cols = 3, .rows = 2 };
    layout_fill_grid(&l);
    CHECK_INT(l.n_cells, 6);
    CHECK_INT(l.cells[4].x, 1);
    CHECK_INT(l.cells[4].y, 1);
    char err[128];
    CHECK_INT(layout_validate(&l, err, sizeof(err)), -1);
    layout_finish(&l);
}

static void validation(void)
{
    char err[128];
    static const int ok[] = { 0, 0, 3, 3, 3, 0, 1, 1, 3, 1, 1, 1, 3, 2, 1, 1 };
    struct layout l = make(4, 3, 4, ok);
    CHECK_INT(layout_validate(&l, err, sizeof(err)), -1);
    layout_finish(&l);

    static const int outside[] = { 0, 0, 2, 2, 2, 0, 3, 1 };
    l = make(4, 3, 2, outside);
    CHECK_INT(layout_validate(&l, err, sizeof(err)), 1);
    CHECK(strstr(err, "outside") != NULL);
    layout_finish(&l);

    static const int overlap[] = { 0, 0, 2, 2, 1, 1, 1, 1 };
    l = make(3, 3, 2, overlap);
    CHECK_INT(layout_validate(&l, err, sizeof(err)), 1);
    CHECK(strstr(err, "overlaps tile 0") != NULL);
    layout_finish(&l);

    static const int empty_span[] = { 0, 0, 0, 1 };
    l = make(2, 2, 1, empty_span);
    CHECK_INT(layout_validate(&l, err, sizeof(err)), 0);
    layout_finish(&l);

    struct layout big = { .cols = 17, .rows = 1 };
    CHECK_INT(layout_validate(&big, err, sizeof(err)), 0);
}

static void rects_tile_exactly(void)
{
    /* 3 columns over 1000 px: edges 0, 333, 667, 1000; no gaps. */
    struct layout l = { .cols = 3, .rows = 3 };
    layout_fill_grid(&l);
    int right = 0;
    for (int i = 0; i < 3; i++) {
        struct layout_rect r = layout_tile_rect(&l, i, 1000, 600);
        CHECK_INT(r.x, right);
        right = r.x + r.w;
        CHECK_INT(r.h, 200);
    }
    CHECK_INT(right, 1000);
    layout_finish(&l);
    static const int big[] = { 0, 0, 2, 2, 2, 0, 1, 1 };
    l = make(3, 3, 2, big);
    struct layout_rect r = layout_tile_rect(&l, 0, 1920, 1080);
    CHECK_INT(r.w, 1280);
    CHECK_INT(r.h, 720);
    layout_finish(&l);
}

static void fit(void)
{
    struct layout_rect dst = { 100, 50, 400, 400 }, d, s;
    /* 16:9 into a square: letterbox bars top and bottom */
    layout_fit_rect(LAYOUT_FIT_LETTERBOX, 1600, 900, dst, &d, &s);
    CHECK_INT(d.w, 400);
    CHECK_INT(d.h, 225);
    CHECK_INT(d.y, 50 + (400 - 225) / 2);
    CHECK_INT(s.w, 1600);
    /* fill: crop the sides of the picture */
    layout_fit_rect(LAYOUT_FIT_FILL, 1600, 900, dst, &d, &s);
    CHECK_INT(d.w, 400);
    CHECK_INT(d.h, 400);
    CHECK_INT(s.w, 900);
    CHECK_INT(s.x, 350);
    /* stretch: everything to everything */
    layout_fit_rect(LAYOUT_FIT_STRETCH, 1600, 900, dst, &d, &s);
    CHECK_INT(d.h, 400);
    CHECK_INT(s.w, 1600);
    /* taller picture: pillarbox */
    layout_fit_rect(LAYOUT_FIT_LETTERBOX, 300, 600, dst, &d, &s);
    CHECK_INT(d.w, 200);
    CHECK_INT(d.x, 200);
    /* aspect ratios within a percent: neither a pixel's bars nor a
     * pixel's crop, the whole picture fills the box */
    struct layout_rect box = { 1, 1, 638, 358 };
    for (int f = LAYOUT_FIT_LETTERBOX; f <= LAYOUT_FIT_FILL; f++) {
        layout_fit_rect((enum layout_fit)f, 1280, 720, box, &d, &s);
        CHECK_INT(d.x, 1);
        CHECK_INT(d.w, 638);
        CHECK_INT(d.h, 358);
        CHECK_INT(s.y, 0);
        CHECK_INT(s.h, 720);
    }
    /* the edge: 2 pixels' bars in a 225-high box are filled, 5 stay */
    box = (struct layout_rect){ 0, 0, 400, 225 };
    layout_fit_rect(LAYOUT_FIT_LETTERBOX, 1600, 893, box, &d, &s);
    CHECK_INT(d.h, 225);
    layout_fit_rect(LAYOUT_FIT_LETTERBOX, 1600, 880, box, &d, &s);
    CHECK_INT(d.h, 220);
    CHECK_INT(d.y, 2);
}

/* A full-screen picture in its bordered tile is centred, not scaled. */
static void near_sizes(void)
{
    CHECK(layout_near_size(1280, 1276));
    CHECK(layout_near_size(1268, 1280)); /* 1% of 1280 is 12 */
    CHECK(!layout_near_size(1267, 1280));
    CHECK(layout_near_size(100, 98)); /* small: 2 pixels */
    CHECK(!layout_near_size(100, 97));
    CHECK(!layout_near_size(320, 640));

    /* 1280x720 in a 1280x720 tile less a 1 px border: the aspect ratios
     * within a percent, so it fills the box (not letterboxed to 1276x718
     * with a pixel's bars), centred there, a pixel off each edge */
    struct layout_rect box = { 1, 1, 1278, 718 }, dst, src;
    layout_fit_rect(LAYOUT_FIT_LETTERBOX, 1280, 720, box, &dst, &src);
    CHECK_INT(dst.w, 1278);
    CHECK_INT(dst.h, 718);
    layout_centre_near(&src, &dst);
    CHECK_INT(src.x, 1);
    CHECK_INT(src.w, 1278);
    CHECK_INT(src.y, 1);
    CHECK_INT(src.h, 718);
    CHECK_INT(dst.x, 1);
    CHECK_INT(dst.w, 1278);
    CHECK(layout_shown_as_is(LAYOUT_FIT_LETTERBOX, 1280, 720, box));
    CHECK(layout_shown_as_is(LAYOUT_FIT_FILL, 1280, 720, box));
    /* a 6x6 grid's 318x178 box: half of 640x360 is shown as it is, the
     * whole picture is not; nor a 4:3 one near in width only */
    box = (struct layout_rect){ 0, 0, 318, 178 };
    CHECK(layout_shown_as_is(LAYOUT_FIT_LETTERBOX, 320, 180, box));
    CHECK(!layout_shown_as_is(LAYOUT_FIT_LETTERBOX, 640, 360, box));
    CHECK(!layout_shown_as_is(LAYOUT_FIT_LETTERBOX, 320, 240, box));
    /* fill crops a 4:3 picture to the box's aspect: near once cropped */
    CHECK(layout_shown_as_is(LAYOUT_FIT_FILL, 320, 240,
                             (struct layout_rect){ 0, 0, 320, 180 }));
    /* narrower than its place: centred, the place cut to it */
    src = (struct layout_rect){ 0, 0, 636, 360 };
    dst = (struct layout_rect){ 10, 20, 640, 360 };
    layout_centre_near(&src, &dst);
    CHECK_INT(dst.x, 12);
    CHECK_INT(dst.w, 636);
    CHECK_INT(src.w, 636);
    /* too far apart: left to the scaler */
    src = (struct layout_rect){ 0, 0, 1280, 720 };
    dst = (struct layout_rect){ 0, 0, 640, 360 };
    layout_centre_near(&src, &dst);
    CHECK_INT(src.w, 1280);
    CHECK_INT(dst.w, 640);
}

int main(void)
{
    RUN(grid_fill);
    RUN(validation);
    RUN(rects_tile_exactly);
    RUN(fit);
    RUN(near_sizes);
    return test_done();
}
