/* Pictures put straight into a software canvas (one swscale pass): the
 * picture's colour fills exactly its rectangle and nothing outside it
 * changes, wherever the rectangle lies (the canvas's right edge, its last
 * row) and whatever its width (swscale's x86 code writes whole blocks of
 * pixels past the end of a row); a picture within 2 pixels of its place
 * is centred, not scaled; one that is not is scaled into it; a crop
 * shows the part asked for; the colour matrix is the picture's own. */
#include <stdlib.h>

#include <libavutil/frame.h>

#include "render/render_internal.h"
#include "test.h"

#define CW 640
#define CH 360
#define SENTINEL 0x5a5a5a5au

static SDL_Surface *canvas;

/* A w x h 4:2:0 picture of one colour (limited range Y, U, V), its left
 * half of another luma when split is set. */
static AVFrame *picture(int w, int h, int y, int u, int v, int split)
{
    AVFrame *f = av_frame_alloc();
    f->width = w;
    f->height = h;
    f->format = AV_PIX_FMT_YUV420P;
    if (av_frame_get_buffer(f, 0) < 0) {
        abort();
    }
    for (int r = 0; r < h; r++) {
        memset(f->data[0] + r * f->linesize[0], y, (size_t)w);
        if (split) {
            memset(f->data[0] + r * f->linesize[0], 16, (size_t)w / 2);
        }
    }
    for (int r = 0; r < (h + 1) / 2; r++) {
        memset(f->data[1] + r * f->linesize[1], u, (size_t)(w + 1) / 2);
        memset(f->data[2] + r * f->linesize[2], v, (size_t)(w + 1) / 2);
    }
    return f;
}

/* canvas_put() at dst; *out (when not NULL): where it wrote */
static int put(struct canvas_scaler *cs, SDL_Surface *c, const AVFrame *f,
               struct layout_rect src, struct layout_rect dst,
               struct layout_rect *out)
{
    int ret = canvas_put(cs, c, f, src, &dst);
    if (out) {
        *out = dst;
    }
    return ret;
}

static uint32_t px(SDL_Surface *c, int x, int y)
{
    return ((uint32_t *)((uint8_t *)c->pixels + y * c->pitch))[x];
}

static void clear(SDL_Surface *c)
{
    for (int y = 0; y < c->h; y++) {
        for (int x = 0; x < c->w; x++) {
            ((uint32_t *)((uint8_t *)c->pixels + y * c->pitch))[x] = SENTINEL;
        }
    }
}

static int near(uint32_t p, uint32_t rgb)
{
    for (int k = 0; k < 24; k += 8) {
        int d = (int)(p >> k & 255) - (int)(rgb >> k & 255);
        if (d < -6 || d > 6) {
            return 0;
        }
    }
    return 1;
}

/* Every pixel inside r is near rgb and every pixel outside is untouched. */
static int exactly(SDL_Surface *c, struct layout_rect r, uint32_t rgb)
{
    int bad = 0;
    for (int y = 0; y < c->h; y++) {
        for (int x = 0; x < c->w; x++) {
            uint32_t p = px(c, x, y);
            int in = x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
            bad += in ? !near(p, rgb) : p != SENTINEL;
        }
    }
    if (bad) {
        fprintf(stderr, "rect %d,%d %dx%d: %d pixels wrong\n", r.x, r.y, r.w,
                r.h, bad);
    }
    return bad == 0;
}

/* Limited-range BT.601 grey (Y 126, U V 128) is RGB 128; white 235 is
 * 255. */
static void unscaled_anywhere(void)
{
    SDL_Surface *c = canvas;
    struct canvas_scaler cs = { 0 };
    /* widths around every multiple of swscale's blocks, at the right edge
     * and the bottom */
    for (int w = 40; w <= 72; w++) {
        struct layout_rect places[] = {
            { 3, 5, w, 30 },
            { CW - w, 7, w, 31 },
            { CW - w, CH - 29, w, 29 },
            { 1, CH - 30, w, 30 },
        };
        AVFrame *f = picture(w, 31, 126, 128, 128, 0);
        for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
            clear(c);
            struct layout_rect d = places[i];
            struct layout_rect s = { 0, 0, w, d.h };
            CHECK_INT(put(&cs, c, f, s, d, NULL), 0);
            CHECK(exactly(c, d, 0x808080));
        }
        av_frame_free(&f);
    }
    canvas_scaler_free(&cs);
}

static void near_sizes_are_centred(void)
{
    SDL_Surface *c = canvas;
    struct canvas_scaler cs = { 0 };
    AVFrame *f = picture(100, 60, 235, 128, 128, 0);
    /* 2 px wider and taller than its place: cropped by one on each side */
    clear(c);
    CHECK_INT(put(&cs, c, f, (struct layout_rect){ 0, 0, 100, 60 },
                  (struct layout_rect){ 10, 10, 98, 58 }, NULL),
              0);
    CHECK(exactly(c, (struct layout_rect){ 10, 10, 98, 58 }, 0xffffff));
    CHECK_INT(cs.src_w, 98);
    CHECK_INT(cs.dst_w, 98); /* a conversion, not a scale */
    /* 2 px narrower: centred, the column either side left alone */
    clear(c);
    struct layout_rect out;
    CHECK_INT(put(&cs, c, f, (struct layout_rect){ 0, 0, 100, 60 },
                  (struct layout_rect){ 10, 10, 102, 60 }, &out),
              0);
    CHECK(exactly(c, (struct layout_rect){ 11, 10, 100, 60 }, 0xffffff));
    CHECK_INT(out.x, 11);
    CHECK_INT(out.w, 100);
    av_frame_free(&f);
    canvas_scaler_free(&cs);
}

static void scaled_and_cropped(void)
{
    SDL_Surface *c = canvas;
    struct canvas_scaler cs = { 0 };
    AVFrame *f = picture(320, 180, 126, 128, 128, 0);
    clear(c);
    struct layout_rect d = { 5, 9, 157, 87 };
    CHECK_INT(put(&cs, c, f, (struct layout_rect){ 0, 0, 320, 180 },
                  d, NULL),
              0);
    CHECK(exactly(c, d, 0x808080));
    CHECK_INT(cs.dst_w, 157);
    av_frame_free(&f);
    /* the right half of a picture whose left half is black: all grey */
    f = picture(320, 180, 126, 128, 128, 1);
    clear(c);
    d = (struct layout_rect){ 200, 100, 160, 180 };
    CHECK_INT(put(&cs, c, f, (struct layout_rect){ 160, 0, 160, 180 },
                  d, NULL),
              0);
    CHECK(exactly(c, d, 0x808080));
    /* the whole of it: the left half black */
    clear(c);
    CHECK_INT(put(&cs, c, f, (struct layout_rect){ 0, 0, 320, 180 },
                  (struct layout_rect){ 0, 0, 320, 180 }, NULL),
              0);
    CHECK(near(px(c, 40, 90), 0x000000));
    CHECK(near(px(c, 150, 170), 0x000000));
    CHECK(near(px(c, 170, 10), 0x808080));
    CHECK(near(px(c, 319, 179), 0x808080));
    av_frame_free(&f);
    canvas_scaler_free(&cs);
}

static void refused(void)
{
    SDL_Surface *c = canvas;
    struct canvas_scaler cs = { 0 };
    AVFrame *f = picture(64, 32, 126, 128, 128, 0);
    struct layout_rect s = { 0, 0, 64, 32 };
    CHECK(put(&cs, c, f, s, (struct layout_rect){ CW - 10, 0, 64, 32 },
              NULL) < 0);
    CHECK(put(&cs, c, f, s, (struct layout_rect){ -1, 0, 64, 32 }, NULL) <
          0);
    CHECK(put(&cs, c, f, (struct layout_rect){ 32, 0, 64, 32 },
              (struct layout_rect){ 0, 0, 64, 32 }, NULL) < 0);
    /* a canvas without the slack */
    SDL_Surface *plain = SDL_CreateRGBSurfaceWithFormat(0, 64, 32, 32,
                                                        SDL_PIXELFORMAT_ARGB8888);
    CHECK(put(&cs, plain, f, s, (struct layout_rect){ 0, 0, 64, 32 },
              NULL) < 0);
    SDL_FreeSurface(plain);
    av_frame_free(&f);
    canvas_scaler_free(&cs);
}

/* The colour matrix: what a picture says, or what its own size implies
 * (BT.709 above 576 lines). Y 81, U 90, V 240 is red in BT.601 (RGB 254,
 * 0, 0) and RGB 255, 24, 0 in BT.709. */
static void matrix(void)
{
    SDL_Surface *c = canvas;
    static const struct {
        int w, h;
        enum AVColorSpace says;
        uint32_t rgb;
    } cases[] = {
        { 160, 90, AVCOL_SPC_UNSPECIFIED, 0xfe0000 },
        { 160, 90, AVCOL_SPC_BT709, 0xff1800 },
        { 1280, 720, AVCOL_SPC_UNSPECIFIED, 0xff1800 },
        { 1280, 720, AVCOL_SPC_SMPTE170M, 0xfe0000 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct canvas_scaler cs = { 0 };
        AVFrame *f = picture(cases[i].w, cases[i].h, 81, 90, 240, 0);
        f->colorspace = cases[i].says;
        clear(c);
        struct layout_rect d = { 10, 10, 160, 90 };
        struct layout_rect s = { 0, 0, cases[i].w, cases[i].h };
        CHECK_INT(put(&cs, c, f, s, d, NULL), 0);
        CHECK(exactly(c, d, cases[i].rgb));
        av_frame_free(&f);
        canvas_scaler_free(&cs);
    }
}

int main(void)
{
    canvas = canvas_create(CW, CH);
    CHECK(canvas != NULL);
    RUN(unscaled_anywhere);
    RUN(near_sizes_are_centred);
    RUN(scaled_and_cropped);
    RUN(refused);
    RUN(matrix);
    canvas_destroy(canvas);
    canvas_destroy(NULL);
    return test_done();
}
