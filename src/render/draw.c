/*
 * Composing a screen (main thread): each camera's newest picture into its
 * tile, converted straight into a software canvas (canvas.c) or uploaded
 * once into a texture per screen (the only copy of a frame) that a GPU
 * renderer scales; dimmed with NO SIGNAL when the camera is not live, its
 * label, the alert banner and the status line. With the same scene and
 * nothing drawn over the tiles, only tiles with a new picture are drawn.
 */
#include <stdio.h>
#include <string.h>

#include <libavutil/pixfmt.h>

#include "frame/caps.h"
#include "layout/layout.h"
#include "render/render_internal.h"
#include "render/scene.h"
#include "util/log.h"

/* Where a tile's picture goes: the tile less its border. */
static struct layout_rect tile_inner(struct layout_rect tile)
{
    return (struct layout_rect){ tile.x + TILE_INSET, tile.y + TILE_INSET,
                                 tile.w - 2 * TILE_INSET,
                                 tile.h - 2 * TILE_INSET };
}

static TTF_Font *font(struct render *r, int size)
{
    size = size < FONT_MIN ? FONT_MIN : size > FONT_MAX ? FONT_MAX : size;
    if (!r->fonts[size] && r->p.font_path) {
        r->fonts[size] = TTF_OpenFont(r->p.font_path, size);
        if (!r->fonts[size]) {
            VLOG_WARN(r->log, "font %s: %s", r->p.font_path, TTF_GetError());
            r->p.font_path = NULL; /* do not retry every frame */
        }
    }
    return r->fonts[size];
}

static SDL_Texture *text_texture(struct render *r, SDL_Renderer *sr,
                                 int size, const char *text, SDL_Color fg)
{
    TTF_Font *f = font(r, size);
    if (!f || !*text) {
        return NULL;
    }
    SDL_Surface *surf = TTF_RenderUTF8_Blended(f, text, fg);
    if (!surf) {
        return NULL;
    }
    SDL_Texture *t = SDL_CreateTextureFromSurface(sr, surf);
    SDL_FreeSurface(surf);
    return t;
}

/* Fill a rectangle; blended only when the colour is translucent. SDL's
 * software renderer blends pixel by pixel even at full opacity, and the
 * opaque background of every tile drawn that way was the largest cost of
 * composing a wall (bench/RESULTS.md). */
static void fill(SDL_Renderer *sr, const SDL_Rect *rect, SDL_Color c)
{
    SDL_SetRenderDrawBlendMode(sr, c.a == 255 ? SDL_BLENDMODE_NONE
                                              : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(sr, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(sr, rect);
}

/* Draw t with a translucent box behind it; anchor: 0 bottom-left of rect,
 * 1 centred at (cx, cy). */
static SDL_Rect draw_boxed(SDL_Renderer *sr, SDL_Texture *t, int x, int y,
                           int centred, SDL_Color box)
{
    int tw, th;
    if (!t || SDL_QueryTexture(t, NULL, NULL, &tw, &th) != 0) {
        return (SDL_Rect){ 0 };
    }
    SDL_Rect dst = { centred ? x - tw / 2 : x, centred ? y - th / 2 : y - th,
                     tw, th };
    SDL_Rect bg = { dst.x - 4, dst.y - 2, tw + 8, th + 4 };
    fill(sr, &bg, box);
    SDL_RenderCopy(sr, t, NULL, &dst);
    return bg;
}

static void upload(struct render *r, struct screen *s, int cam)
{
    struct held *h = &r->held[cam];
    struct cam_tex *ct = &s->tex[cam];
    AVFrame *f = h->frame;
    if (!f || ct->gen == h->gen) {
        return;
    }
    /* NV12 (what GPUs decode to) goes up as it is; the rest is 4:2:0
     * planar */
    Uint32 fmt = f->format == AV_PIX_FMT_NV12 ? SDL_PIXELFORMAT_NV12
                                              : SDL_PIXELFORMAT_IYUV;
    /* The picture's matrix (frame_colour_space(), as the canvas takes
     * it), not SDL's own guess from the texture's size, which ignores
     * what a stream says. Pictures come at video levels (frame_caps), for
     * which SDL2 has two matrices (BT.709 the nearer for the wide-gamut
     * ones), set for all at once: SDL 2.26's renderers fix a texture's
     * when it is made, others read it when their queue is drawn
     * (draw_picture() sees to both). */
    enum AVColorSpace csp = frame_colour_space(f);
    SDL_YUV_CONVERSION_MODE mode =
        csp == AVCOL_SPC_BT709 || csp == AVCOL_SPC_BT2020_NCL ||
                csp == AVCOL_SPC_BT2020_CL || csp == AVCOL_SPC_SMPTE240M
            ? SDL_YUV_CONVERSION_BT709
            : SDL_YUV_CONVERSION_BT601;
    if (!ct->tex || ct->w != f->width || ct->h != f->height ||
        ct->fmt != fmt || ct->mode != mode) {
        if (ct->tex) {
            SDL_DestroyTexture(ct->tex);
        }
        SDL_SetYUVConversionMode(mode);
        ct->mode = mode;
        ct->tex = SDL_CreateTexture(s->r, fmt, SDL_TEXTUREACCESS_STREAMING,
                                    f->width, f->height);
        ct->w = f->width;
        ct->h = f->height;
        ct->fmt = fmt;
        if (!ct->tex) {
            VLOG_WARN(r->log, "texture %dx%d: %s", f->width, f->height,
                      SDL_GetError());
            return;
        }
        SDL_SetTextureScaleMode(ct->tex, SDL_ScaleModeLinear);
    }
    /* The single allowed copy: frame planes into the texture. */
    int ret = fmt == SDL_PIXELFORMAT_NV12
                  ? SDL_UpdateNVTexture(ct->tex, NULL, f->data[0],
                                        f->linesize[0], f->data[1],
                                        f->linesize[1])
                  : SDL_UpdateYUVTexture(ct->tex, NULL, f->data[0],
                                         f->linesize[0], f->data[1],
                                         f->linesize[1], f->data[2],
                                         f->linesize[2]);
    if (ret == 0) {
        ct->gen = h->gen;
    }
}

/* A tile's background, where no picture covers it. */
static const SDL_Color TILE_BG = { 14, 14, 16, 255 };

/* The tile's background where its picture d does not cover inner (the
 * bars; filling the whole tile first cost a pass over it per picture). */
static void fill_around(SDL_Renderer *sr, SDL_Rect in, struct layout_rect d)
{
    SDL_Rect bars[4] = {
        { in.x, in.y, in.w, d.y - in.y },
        { in.x, d.y + d.h, in.w, in.y + in.h - d.y - d.h },
        { in.x, d.y, d.x - in.x, d.h },
        { d.x + d.w, d.y, in.x + in.w - d.x - d.w, d.h },
    };
    for (int i = 0; i < 4; i++) {
        if (bars[i].w > 0 && bars[i].h > 0) {
            fill(sr, &bars[i], TILE_BG);
        }
    }
}

/* The picture of camera cam into inner, dimmed unless live. A canvas
 * takes it in one swscale pass (canvas.c); a GPU renderer scales the
 * picture's texture. The tile's background shows where the picture does
 * not cover it. */
static void draw_picture(struct render *r, struct screen *s, int cam,
                         SDL_Rect inner, int live)
{
    SDL_Renderer *sr = s->r;
    struct cam_tex *ct = &s->tex[cam];
    const AVFrame *f = r->held[cam].frame;
    int w = f ? f->width : 0, h = f ? f->height : 0;
    if (f && !s->canvas) {
        upload(r, s, cam);
        if (!ct->tex || !ct->gen) {
            f = NULL;
        }
        w = ct->w;
        h = ct->h;
    }
    if (!f) {
        fill(sr, &inner, TILE_BG);
        return;
    }
    struct layout_rect d, src;
    layout_fit_rect(r->scene->cfg->fit, w, h,
                    (struct layout_rect){ inner.x, inner.y, inner.w,
                                          inner.h },
                    &d, &src);
    if (s->canvas) {
        /* what SDL has queued goes first: the picture is written past it */
        SDL_RenderFlush(sr);
        if (canvas_put(&ct->scaler, s->canvas, f, src, &d) < 0) {
            fill(sr, &inner, TILE_BG);
            return;
        }
    } else {
        SDL_Rect srr = { src.x, src.y, src.w, src.h };
        SDL_Rect dr = { d.x, d.y, d.w, d.h };
        Uint8 m = live ? 255 : 70;
        SDL_SetTextureColorMod(ct->tex, m, m, m);
        if (SDL_GetYUVConversionMode() != ct->mode) {
            /* what is queued is drawn with the matrix it was queued with */
            SDL_RenderFlush(sr);
            SDL_SetYUVConversionMode(ct->mode);
        }
        SDL_RenderCopy(sr, ct->tex, &srr, &dr);
    }
    fill_around(sr, inner, d);
    if (s->canvas && !live) {
        /* the same as a GPU renderer's colour mod of 70 */
        SDL_Rect dr = { d.x, d.y, d.w, d.h };
        fill(sr, &dr, (SDL_Color){ 0, 0, 0, 255 - 70 });
    }
}

/* What a tile shows that moves with the clock: its camera's seconds out
 * of live (-1 while live, or for a blank tile). */
static int64_t tile_clock(const struct render *r, int cam, int64_t now)
{
    if (cam < 0 || cam >= r->n_cams) {
        return -1;
    }
    const struct scene_cam *sc = &r->scene->cams[cam];
    return sc->state == SCENE_CAM_LIVE ? -1 : (now - sc->since_ns) / VT_S;
}

static void draw_tile(struct render *r, struct screen *s, int cam,
                      struct layout_rect rc, int64_t now)
{
    const struct config *cfg = r->scene->cfg;
    SDL_Renderer *sr = s->r;
    struct layout_rect in = tile_inner(rc);
    SDL_Rect inner = { in.x, in.y, in.w, in.h };
    if (cam < 0 || cam >= r->n_cams) {
        /* a blank tile stays plainly blank */
        fill(sr, &inner, TILE_BG);
        return;
    }
    const struct scene_cam *sc = &r->scene->cams[cam];
    struct cam_tex *ct = &s->tex[cam];
    draw_picture(r, s, cam, inner, sc->state == SCENE_CAM_LIVE);
    /* the tile's text stays in the tile (a narrow one's NO SIGNAL would
     * reach its neighbour, which is not drawn again with it) */
    SDL_RenderSetClipRect(sr, &inner);
    int fsize = inner.h / 16;
    if (sc->state != SCENE_CAM_LIVE) {
        static const char *const what[] = { "connecting", "live", "stalled",
                                            "down" };
        char line[64];
        int64_t secs = tile_clock(r, cam, now);
        snprintf(line, sizeof(line), "%s %s",
                 sc->state == SCENE_CAM_CONNECTING ? "CONNECTING"
                                                   : "NO SIGNAL",
                 "");
        SDL_Texture *t1 = text_texture(r, sr, fsize * 2, line,
                                       (SDL_Color){ 255, 80, 60, 255 });
        snprintf(line, sizeof(line), "%s for %lld s", what[sc->state],
                 (long long)secs);
        SDL_Texture *t2 = text_texture(r, sr, fsize + 2, line,
                                       (SDL_Color){ 230, 230, 230, 255 });
        int cx = inner.x + inner.w / 2, cy = inner.y + inner.h / 2;
        draw_boxed(sr, t1, cx, cy - fsize, 1, (SDL_Color){ 0, 0, 0, 160 });
        draw_boxed(sr, t2, cx, cy + fsize, 1, (SDL_Color){ 0, 0, 0, 160 });
        if (t1) {
            SDL_DestroyTexture(t1);
        }
        if (t2) {
            SDL_DestroyTexture(t2);
        }
    }
    if (cfg->labels) {
        int lsize = fsize + 4;
        if (!ct->label || ct->label_size != lsize) {
            if (ct->label) {
                SDL_DestroyTexture(ct->label);
            }
            ct->label = text_texture(r, sr, lsize, cfg->cameras[cam].name,
                                     (SDL_Color){ 255, 255, 255, 255 });
            ct->label_size = lsize;
        }
        draw_boxed(sr, ct->label, inner.x + 6, inner.y + inner.h - 4, 0,
                   (SDL_Color){ 0, 0, 0, 150 });
    }
    SDL_RenderSetClipRect(sr, NULL);
}

/* Where a screen's overlays lie (for redrawing what is under them). */
static void note_overlay(struct screen *s, SDL_Rect at)
{
    int max = (int)(sizeof(s->over) / sizeof(s->over[0]));
    if (at.w <= 0 || at.h <= 0) {
        return;
    }
    if (s->n_over < max) {
        s->over[s->n_over++] = at;
    } else {
        /* more than fit: the last one grows to cover them */
        SDL_UnionRect(&s->over[max - 1], &at, &s->over[max - 1]);
    }
}

/* Wall-wide overlays: the alert banner across the top (open alerts, also
 * for cameras not on this page) and the override status line at the
 * bottom right. Where they lie is kept in s->over. */
static void draw_overlays(struct render *r, int si)
{
    struct screen *s = &r->screens[si];
    s->n_over = 0;
    const struct scene *sc = r->scene;
    const char *status_line = sc->screens[si].status_line;
    int fsize = s->h / 40;
    if (sc->n_open_alerts > 0) {
        char text[512];
        size_t n = (size_t)snprintf(text, sizeof(text), "ALERTS %d",
                                    sc->n_open_alerts);
        for (int i = 0; i < sc->n_banner && n < sizeof(text); i++) {
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s",
                                  i ? "  |  " : ":  ", sc->banner[i]);
        }
        SDL_Texture *t = text_texture(r, s->r, fsize, text,
                                      (SDL_Color){ 255, 255, 255, 255 });
        int th = 0;
        if (t) {
            SDL_QueryTexture(t, NULL, NULL, NULL, &th);
        }
        SDL_Rect bar = { 0, 0, s->w, th + 8 };
        fill(s->r, &bar, (SDL_Color){ 170, 20, 20, 200 });
        note_overlay(s, bar);
        if (t) {
            int tw;
            SDL_QueryTexture(t, NULL, NULL, &tw, NULL);
            SDL_Rect dst = { 8, 4, tw, th };
            SDL_RenderCopy(s->r, t, NULL, &dst);
            SDL_DestroyTexture(t);
        }
    }
    if (r->help) {
        static const char *const lines[] = {
            "Right / Left   next / previous page",
            "Space          pause / resume the patrol",
            "1-9            tile N full screen (again or Esc: back)",
            "click          a tile full screen (click again: back)",
            "F1-F12         switch to plan 1-12 (again: the schedule)",
            "A              acknowledge the newest alert",
            "H              this help          Q  quit",
        };
        int y = s->h / 4;
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
            SDL_Texture *t = text_texture(r, s->r, fsize + 4, lines[i],
                                          (SDL_Color){ 255, 255, 255, 255 });
            note_overlay(s, draw_boxed(s->r, t, s->w / 4, y, 0,
                                       (SDL_Color){ 0, 0, 0, 210 }));
            if (t) {
                int th;
                SDL_QueryTexture(t, NULL, NULL, NULL, &th);
                y += th + 6;
                SDL_DestroyTexture(t);
            }
        }
    }
    if (status_line[0]) {
        SDL_Texture *t = text_texture(r, s->r, fsize, status_line,
                                      (SDL_Color){ 255, 220, 60, 255 });
        int tw, th;
        if (t && SDL_QueryTexture(t, NULL, NULL, &tw, &th) == 0) {
            note_overlay(s, draw_boxed(s->r, t, s->w - tw - 10, s->h - 6,
                                       0, (SDL_Color){ 0, 0, 0, 190 }));
            SDL_DestroyTexture(t);
        }
    }
}

/* A new scene: free the textures and scalers of cameras no longer on
 * this screen; the next picture makes new ones. */
static void release_hidden(struct render *r, struct screen *s,
                           const struct scene_screen *ss)
{
    for (int c = 0; c < r->n_cams; c++) {
        struct cam_tex *ct = &s->tex[c];
        if (!ct->tex && !ct->scaler.sws) {
            continue;
        }
        int shown = 0;
        for (int t = 0; t < ss->n_tiles && !shown; t++) {
            shown = ss->cams[t] == c;
        }
        if (!shown) {
            canvas_scaler_free(&ct->scaler);
            if (ct->tex) {
                SDL_DestroyTexture(ct->tex);
            }
            ct->tex = NULL;
            ct->w = ct->h = 0;
            ct->gen = 0;
        }
    }
}

/* Anything drawn over the tiles: the tiles under it are drawn again,
 * and it over them, when one of them changes. */
static int screen_overlaid(const struct render *r, int si)
{
    return r->scene->n_open_alerts > 0 ||
           r->scene->screens[si].status_line[0] || r->help;
}

/* A software window: what this composition drew goes from the canvas
 * to the window surface, and only that is put on the screen (a whole
 * 1080p canvas each time cost more than composing it). A window of
 * another size than the screen takes the canvas scaled, whole. */
static void present_canvas(struct render *r, struct screen *s)
{
    SDL_RenderFlush(s->r);
    SDL_Surface *ws = SDL_GetWindowSurface(s->win);
    if (!ws) {
        return;
    }
    int ret;
    if (ws->w == s->w && ws->h == s->h) {
        ret = 0;
        for (int i = 0; i < s->n_dirty && ret == 0; i++) {
            SDL_Rect rc = s->dirty[i];
            ret = SDL_BlitSurface(s->canvas, &rc, ws, &rc);
        }
        if (ret == 0) {
            ret = SDL_UpdateWindowSurfaceRects(s->win, s->dirty, s->n_dirty);
        }
    } else {
        ret = SDL_BlitScaled(s->canvas, NULL, ws, NULL);
        if (ret == 0) {
            ret = SDL_UpdateWindowSurface(s->win);
        }
    }
    if (ret != 0) {
        VLOG_DEBUG(r->log, "present: %s", SDL_GetError());
    }
}

static void present(SDL_Renderer *sr, SDL_Texture *t)
{
    SDL_SetRenderDrawColor(sr, 0, 0, 0, 255);
    SDL_RenderClear(sr);
    SDL_RenderCopy(sr, t, NULL, NULL);
    SDL_RenderPresent(sr);
}

/* A rectangle this composition drew, for the window (all of the screen
 * when there are more than the list holds). */
static void add_dirty(struct screen *s, SDL_Rect at)
{
    if (s->n_dirty == 1 && s->dirty[0].w == s->w && s->dirty[0].h == s->h) {
        return;
    }
    if (s->n_dirty < (int)(sizeof(s->dirty) / sizeof(s->dirty[0]))) {
        s->dirty[s->n_dirty++] = at;
    } else {
        s->n_dirty = 1;
        s->dirty[0] = (SDL_Rect){ 0, 0, s->w, s->h };
    }
}

/* A tile lies under one of the screen's overlays. */
static int under_overlay(const struct screen *s, SDL_Rect at)
{
    for (int i = 0; i < s->n_over; i++) {
        if (SDL_HasIntersection(&at, &s->over[i])) {
            return 1;
        }
    }
    return 0;
}

void render_compose(struct render *r, int si, int64_t now)
{
    struct screen *s = &r->screens[si];
    const struct scene_screen *ss = &r->scene->screens[si];
    if (s->target) {
        SDL_SetRenderTarget(s->r, s->target);
    }
    /* The canvas keeps what was drawn: with the same scene, only tiles
     * with a new picture, or a "for N s" that moved, are drawn (each
     * draw_tile paints its whole tile); where one lies under an overlay
     * (the alert banner, the status line, the help), every tile under it
     * is drawn again and the overlays over them. What the overlays say
     * comes with the scene (the help with a redraw), which draws all. */
    int full = s->drawn_scene != r->scene_seq;
    if (full) {
        release_hidden(r, s, ss);
        SDL_SetRenderDrawColor(s->r, 0, 0, 0, 255);
        SDL_RenderClear(s->r);
        s->n_over = 0;
    }
    s->n_dirty = full ? 1 : 0;
    s->dirty[0] = (SDL_Rect){ 0, 0, s->w, s->h };
    const struct layout *l =
        ss->layout >= 0 ? &r->scene->cfg->layouts[ss->layout] : NULL;
    int n = l ? (ss->n_tiles < l->n_cells ? ss->n_tiles : l->n_cells) : 0;
    int over = !full && s->n_over > 0 && screen_overlaid(r, si);
    int redraw[64] = { 0 }, under_changed = 0;
    SDL_Rect rects[64];
    for (int t = 0; t < n && t < 64; t++) {
        int c = ss->cams[t];
        struct layout_rect rc = layout_tile_rect(l, t, s->w, s->h);
        rects[t] = (SDL_Rect){ rc.x, rc.y, rc.w, rc.h };
        uint64_t gen = c >= 0 ? r->held[c].gen : 0;
        redraw[t] = full || gen != s->drawn_gen[t] ||
                    tile_clock(r, c, now) != s->drawn_clock[t];
        under_changed |= redraw[t] && over && under_overlay(s, rects[t]);
    }
    if (under_changed) {
        /* what lies under the overlays from scratch: the background,
         * every tile there, then the overlays, blended once */
        for (int i = 0; i < s->n_over; i++) {
            fill(s->r, &s->over[i], (SDL_Color){ 0, 0, 0, 255 });
            add_dirty(s, s->over[i]);
        }
        for (int t = 0; t < n && t < 64; t++) {
            redraw[t] |= under_overlay(s, rects[t]);
        }
    }
    for (int t = 0; t < n && t < 64; t++) {
        if (!redraw[t]) {
            continue;
        }
        int c = ss->cams[t];
        draw_tile(r, s, c, (struct layout_rect){ rects[t].x, rects[t].y,
                                                 rects[t].w, rects[t].h },
                  now);
        if (!full) {
            add_dirty(s, rects[t]);
        }
        s->drawn_gen[t] = c >= 0 ? r->held[c].gen : 0;
        s->drawn_clock[t] = tile_clock(r, c, now);
        render_note_latency(r, c);
    }
    if (full || under_changed) {
        draw_overlays(r, si);
    }
    s->drawn_scene = r->scene_seq;
    if (s->target) {
        SDL_SetRenderTarget(s->r, NULL);
        if (!r->p.headless) {
            present(s->r, s->target);
        }
    } else if (s->win) {
        present_canvas(r, s);
    }
}

/* Forget every label texture; they are made again as tiles are drawn. */
void render_drop_labels(struct render *r)
{
    for (int si = 0; si < r->n_screens; si++) {
        for (int c = 0; c < r->n_cams; c++) {
            struct cam_tex *ct = &r->screens[si].tex[c];
            if (ct->label) {
                SDL_DestroyTexture(ct->label);
                ct->label = NULL;
                ct->label_size = 0;
            }
        }
    }
}

int render_any_overlay(struct render *r)
{
    for (int si = 0; si < r->n_screens; si++) {
        const struct scene_screen *ss = &r->scene->screens[si];
        for (int t = 0; t < ss->n_tiles; t++) {
            int c = ss->cams[t];
            if (c >= 0 && r->scene->cams[c].state != SCENE_CAM_LIVE) {
                return 1;
            }
        }
    }
    return 0;
}
