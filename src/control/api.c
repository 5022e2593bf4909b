/*
 * The API's wire format: request routes to typed core commands and
 * queries, status snapshots to JSON documents, core error codes to HTTP
 * status codes. The HTTP server (control.c) hands every authorized
 * request under /api/ and /metrics here. Loop thread.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "control/internal.h"
#include "util/civil.h"
#include "util/mem.h"
#include "util/tz.h"
#include "vigil/vigil.h"

#define MAX_FOR_MS (INT64_C(366) * 86400 * 1000) /* a year */
#define JOURNAL_LIMIT 1000

/* ---- small pieces ---- */

const char *api_state_name(enum ctl_cam_state s)
{
    static const char *const n[] = { "connecting", "live", "stalled",
                                     "down" };
    return n[s];
}

json_t *api_time_json(const struct vtz *tz, int64_t ms)
{
    if (ms == INT64_MAX || ms == INT64_MIN) {
        return json_null();
    }
    char ts[48];
    vtz_format_rfc3339(tz, ms, ts, sizeof(ts));
    return json_string(ts);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

void ctl_result_add(struct ctl_result *r, const char *fmt, ...)
{
    va_list va;
    va_start(va, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, va);
    va_end(va);
    r->lines = xrealloc(r->lines, sizeof(char *) * (size_t)(r->n_lines + 1));
    r->lines[r->n_lines++] = xstrdup(buf);
}

void ctl_result_finish(struct ctl_result *r)
{
    for (int i = 0; i < r->n_lines; i++) {
        free(r->lines[i]);
    }
    free(r->lines);
    r->lines = NULL;
    r->n_lines = 0;
}

/* ---- documents ---- */

static json_t *overrides_json(const struct vtz *tz,
                              const struct ctl_overrides *ov)
{
    json_t *o = json_object();
    if (ov->paused) {
        json_object_set_new(o, "paused",
                            json_pack("{s:o, s:o}", "since",
                                      api_time_json(tz, ov->paused_since_ms),
                                      "until",
                                      api_time_json(tz, ov->paused_until_ms)));
    }
    if (ov->plan) {
        json_object_set_new(o, "plan",
                            json_pack("{s:s, s:o, s:o}", "plan", ov->plan,
                                      "since",
                                      api_time_json(tz, ov->plan_since_ms),
                                      "until",
                                      api_time_json(tz, ov->plan_until_ms)));
    }
    json_t *pages = json_array();
    for (int i = 0; i < ov->n_shifts; i++) {
        json_array_append_new(
            pages, json_pack("{s:s, s:f, s:o}", "screen", ov->shifts[i].screen,
                             "shift_s", ov->shifts[i].shift_ms / 1000.0,
                             "until",
                             api_time_json(tz, ov->shifts[i].until_ms)));
    }
    json_object_set_new(o, "pages", pages);
    json_t *layouts = json_array(), *full = json_array(), *pins = json_array();
    for (int i = 0; i < ov->n_layouts; i++) {
        json_array_append_new(
            layouts, json_pack("{s:s, s:s, s:o}", "screen",
                               ov->layouts[i].screen, "layout",
                               ov->layouts[i].layout, "until",
                               api_time_json(tz, ov->layouts[i].until_ms)));
    }
    for (int i = 0; i < ov->n_full; i++) {
        json_array_append_new(full, json_pack("{s:s, s:s}", "screen",
                                              ov->full[i].screen, "camera",
                                              ov->full[i].camera));
    }
    for (int i = 0; i < ov->n_pins; i++) {
        json_array_append_new(
            pins, json_pack("{s:s, s:i, s:s, s:o}", "screen",
                            ov->pins[i].screen, "tile", ov->pins[i].tile,
                            "camera", ov->pins[i].camera, "until",
                            api_time_json(tz, ov->pins[i].until_ms)));
    }
    json_object_set_new(o, "layouts", layouts);
    json_object_set_new(o, "fullscreen", full);
    json_object_set_new(o, "pins", pins);
    return o;
}

json_t *api_screen_json(const struct vtz *tz, const struct ctl_screen *s)
{
    json_t *tiles = json_array();
    for (int t = 0; t < s->n_tiles; t++) {
        json_array_append_new(tiles, json_pack("{s:i, s:o}", "tile", t,
                                               "camera",
                                               str_or_null(s->tiles[t])));
    }
    json_t *sw = json_array();
    for (int i = 0; i < s->n_switches; i++) {
        json_array_append_new(sw, json_integer(s->switch_ms[i]));
    }
    return json_pack("{s:s, s:i, s:i, s:o, s:i, s:i, s:o, s:o, s:o, s:b, "
                     "s:o}",
                     "id", s->id, "width", s->width, "height", s->height,
                     "layout", str_or_null(s->layout), "page", s->page,
                     "pages", s->pages, "page_started",
                     api_time_json(tz, s->page_started_ms), "next_change",
                     api_time_json(tz, s->next_change_ms), "tiles", tiles,
                     "fullscreen", s->fullscreen, "page_switch_ms", sw);
}

static json_t *stream_json(const struct ctl_stream *st)
{
    return json_pack("{s:s, s:i, s:i, s:b, s:i, s:I, s:I, s:I}", "state",
                     st->state, "width", st->width, "height", st->height,
                     "decoding", st->decoding, "threads", st->threads,
                     "packets", (json_int_t)st->packets, "frames",
                     (json_int_t)st->frames, "shed_frames",
                     (json_int_t)st->shed_frames);
}

json_t *api_camera_json(const struct ctl_camera *c)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:f, s:o, s:I, s:I, s:I, s:I, s:i, s:i, s:s}",
        "id", c->id, "name", c->name, "state", api_state_name(c->state),
        "reason", c->reason, "fps", c->fps, "last_frame_age_ms",
        c->last_frame_age_ms >= 0 ? json_integer(c->last_frame_age_ms)
                                  : json_null(),
        "frames", (json_int_t)c->frames, "reconnects",
        (json_int_t)c->reconnects, "frames_dropped", (json_int_t)c->dropped,
        "decode_errors", (json_int_t)c->decode_errors, "width", c->width,
        "height", c->height, "codec", c->codec);
    json_object_set_new(o, "last_packet_age_ms",
                        c->last_packet_age_ms >= 0
                            ? json_integer(c->last_packet_age_ms)
                            : json_null());
    json_object_set_new(o, "fps_in", json_real(c->fps_in));
    json_object_set_new(o, "fps_out", json_real(c->fps_out));
    json_object_set_new(o, "decoding", json_boolean(c->decoding));
    json_object_set_new(o, "lag_ms", json_integer(c->lag_ms));
    json_object_set_new(o, "behind", json_boolean(c->behind));
    json_object_set_new(o, "stream", json_string(c->on_sub ? "sub" : "main"));
    json_object_set_new(o, "shed_frames",
                        json_integer((json_int_t)c->shed_frames));
    json_t *streams = json_pack("{s:o}", "main", stream_json(&c->main));
    if (c->has_sub) {
        json_object_set_new(streams, "sub", stream_json(&c->sub));
    }
    json_object_set_new(o, "streams", streams);
    json_object_set_new(
        o, "glass_to_glass_ms",
        c->latency_n ? json_pack("{s:i, s:I, s:I, s:I}", "n", c->latency_n,
                                 "p50", (json_int_t)c->latency_p50, "p95",
                                 (json_int_t)c->latency_p95, "max",
                                 (json_int_t)c->latency_max)
                     : json_null());
    json_object_set_new(o, "hwaccel", json_string(c->hwaccel));
    json_object_set_new(o, "frames_shown",
                        json_integer((json_int_t)c->frames_shown));
    json_object_set_new(o, "gop_cache_bytes",
                        json_integer((json_int_t)c->gop_cache_bytes));
    json_object_set_new(o, "condition", str_or_null(c->condition));
    return o;
}

static json_t *alert_json(const struct vtz *tz, const struct ctl_alert *a)
{
    json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:b}",
                          "alert", a->id, "camera", str_or_null(a->camera),
                          "condition", a->condition, "detail", a->detail,
                          "severity", a->severity, "state", a->state,
                          "raised", api_time_json(tz, a->raised_ms),
                          "flapping", a->flapping);
    if (a->acked) {
        json_object_set_new(o, "acknowledged",
                            api_time_json(tz, a->acked_ms));
        json_object_set_new(o, "by", json_string(a->by));
        json_object_set_new(o, "note", json_string(a->note));
    }
    if (a->cleared) {
        json_object_set_new(o, "cleared", api_time_json(tz, a->cleared_ms));
    }
    return o;
}

static json_t *alerts_json(const struct ctl_status *st)
{
    json_t *arr = json_array();
    for (int i = 0; i < st->n_alerts; i++) {
        json_array_append_new(arr, alert_json(st->tz, &st->alerts[i]));
    }
    return arr;
}

static json_t *load_json(const struct vtz *tz, const struct ctl_load *l)
{
    return json_pack("{s:f, s:f, s:f, s:f, s:i, s:i, s:s, s:o, s:I, s:I, "
                     "s:I, s:i}",
                     "decode", l->decode, "render", l->render, "process",
                     l->process, "budget", l->budget, "cores", l->cores,
                     "decode_slots", l->decode_slots, "shed", l->shed,
                     "shed_since", api_time_json(tz, l->shed_since_ms),
                     "shed_events", (json_int_t)l->shed_events,
                     "shed_frames", (json_int_t)l->shed_frames,
                     "preroll_skipped", (json_int_t)l->preroll_skipped,
                     "behind", l->behind);
}

static json_t *status_json(const struct ctl_status *st)
{
    json_t *cams = json_array(), *screens = json_array();
    for (int i = 0; i < st->n_cameras; i++) {
        json_array_append_new(cams, api_camera_json(&st->cameras[i]));
    }
    for (int s = 0; s < st->n_screens; s++) {
        json_array_append_new(screens,
                              api_screen_json(st->tz, &st->screens[s]));
    }
    json_t *sinks = json_object();
    for (int i = 0; i < st->n_sinks; i++) {
        json_object_set_new(sinks, st->sinks[i].name,
                            json_pack("{s:i, s:I}", "pending",
                                      st->sinks[i].pending, "dropped",
                                      (json_int_t)st->sinks[i].dropped));
    }
    json_t *doc = json_pack(
        "{s:s, s:o, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I}", "wall",
        st->wall, "time", api_time_json(st->tz, st->time_ms), "time_ms",
        (json_int_t)st->time_ms, "plan", st->plan, "plan_since",
        api_time_json(st->tz, st->plan_since_ms), "rule",
        st->rule > 0 ? json_integer(st->rule) : json_null(), "overrides",
        overrides_json(st->tz, &st->ov), "cameras", cams, "screens", screens,
        "alerts", alerts_json(st), "frames_composed",
        (json_int_t)st->frames_composed);
    json_object_set_new(doc, "sinks", sinks);
    json_object_set_new(doc, "load", load_json(st->tz, &st->load));
    return doc;
}

static json_t *cameras_json(const struct ctl_status *st)
{
    json_t *arr = json_array();
    for (int i = 0; i < st->n_cameras; i++) {
        const struct ctl_camera *c = &st->cameras[i];
        json_t *o = api_camera_json(c);
        json_t *groups = json_array();
        for (int g = 0; g < c->n_groups; g++) {
            json_array_append_new(groups, json_string(c->groups[g]));
        }
        json_object_set_new(o, "groups", groups);
        json_object_set_new(o, "has_sub", json_boolean(c->has_sub));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *layouts_json(const struct ctl_status *st)
{
    json_t *arr = json_array();
    for (int i = 0; i < st->n_layouts; i++) {
        const struct ctl_layout *l = &st->layouts[i];
        json_t *cells = json_array();
        for (int k = 0; k < l->n_cells; k++) {
            json_array_append_new(cells, json_pack("[i, i, i, i]",
                                                   l->cells[k][0],
                                                   l->cells[k][1],
                                                   l->cells[k][2],
                                                   l->cells[k][3]));
        }
        char grid[16];
        snprintf(grid, sizeof(grid), "%dx%d", l->cols, l->rows);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:o}", "name",
                                             l->name, "grid", grid, "tiles",
                                             l->n_cells, "cells", cells));
    }
    return arr;
}

static json_t *plans_json(const struct ctl_status *st)
{
    json_t *arr = json_array();
    for (int p = 0; p < st->n_plans; p++) {
        const struct ctl_plan *pl = &st->plans[p];
        json_t *screens = json_object();
        for (int s = 0; s < pl->n_screens; s++) {
            json_object_set_new(screens, pl->screens[s].screen,
                                json_pack("{s:i, s:f}", "pages",
                                          pl->screens[s].pages, "cycle_s",
                                          pl->screens[s].cycle_ms / 1000.0));
        }
        json_array_append_new(arr, json_pack("{s:s, s:f, s:b, s:o}", "name",
                                             pl->name, "dwell_s",
                                             pl->dwell_ms / 1000.0,
                                             "running", pl->running,
                                             "screens", screens));
    }
    return arr;
}

/* ---- /api/alerts ---- */

/* since=: milliseconds since the epoch, or RFC 3339 with its offset
 * ("2026-10-01T03:12:07.412+08:00", "...Z"); without an offset, a local
 * time in the wall's zone. */
static int parse_since(const struct vtz *tz, const char *s, int64_t *ms)
{
    char *end;
    if (!*s) {
        return -EINVAL;
    }
    long long v = strtoll(s, &end, 10);
    if (!*end) {
        *ms = v;
        return 0;
    }
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
               &n) != 6 || n != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
        h > 23 || mi > 59 || sec > 60) {
        return -EINVAL;
    }
    const char *p = s + n;
    int frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            if (digits < 3) {
                frac = frac * 10 + (*p - '0');
            }
        }
        for (; digits > 0 && digits < 3; digits++) {
            frac *= 10;
        }
    }
    int64_t days = civil_to_days(y, mo, d);
    if (!*p) {
        *ms = (vtz_from_local(tz, (int32_t)days, h * 60 + mi) + sec) * 1000 +
              frac;
        return 0;
    }
    int off = 0;
    if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = atoi(p + 1), om = atoi(p + 4);
        off = (*p == '-' ? -1 : 1) * (oh * 60 + om);
    } else if (strcmp(p, "Z") && strcmp(p, "z")) {
        return -EINVAL;
    }
    *ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - off * 60) * 1000 +
          frac;
    return 0;
}

/* A cursor "SEQ.OFFSET". */
static bool parse_cursor(const char *s, uint64_t *seq, int64_t *off)
{
    char *end;
    unsigned long long q = strtoull(s, &end, 10);
    if (end == s || *end != '.') {
        return false;
    }
    long long o = strtoll(end + 1, &end, 10);
    if (*end || o < 0) {
        return false;
    }
    *seq = q;
    *off = o;
    return true;
}

/* GET /api/alerts: since=TIME, after=CURSOR or before=CURSOR (nothing:
 * the newest), limit=N (at most JOURNAL_LIMIT; 100 without). Read off the
 * loop thread; answered in control_journal_done. */
static void get_alerts(struct control *ctl, struct conn *c,
                       const struct request *rq)
{
    void *ctx;
    const struct control_ops *ops = control_ops_of(ctl, &ctx);
    char since[64], lim[32], after[48], before[48];
    struct ctl_journal_query q = { .since_ms = INT64_MIN, .limit = 100 };
    struct ctl_status *st;
    if (ops->status(ctx, 0, &st) < 0) {
        conn_send_error(c, 503, "status unavailable");
        return;
    }
    int has = query_get(rq->query, rq->qlen, "since", since, sizeof(since));
    int bad = has < 0 || (has && parse_since(st->tz, since, &q.since_ms) < 0);
    ops->status_free(ctx, st);
    if (bad) {
        conn_send_error(c, 400, "since: expected RFC 3339 time or ms");
        return;
    }
    has = query_get(rq->query, rq->qlen, "limit", lim, sizeof(lim));
    if (has) {
        char *end;
        long v = has > 0 ? strtol(lim, &end, 10) : 0;
        if (has < 0 || *end || v < 1) {
            conn_send_error(c, 400, "limit: expected a positive number");
            return;
        }
        q.limit = v < JOURNAL_LIMIT ? (int)v : JOURNAL_LIMIT;
    }
    int ha = query_get(rq->query, rq->qlen, "after", after, sizeof(after));
    int hb = query_get(rq->query, rq->qlen, "before", before, sizeof(before));
    if (ha < 0 || hb < 0 ||
        (ha && !parse_cursor(after, &q.after_seq, &q.after_off)) ||
        (hb && !parse_cursor(before, &q.before_seq, &q.before_off))) {
        conn_send_error(c, 400, "after/before: expected a cursor from an "
                                "earlier answer");
        return;
    }
    q.has_after = ha > 0;
    q.has_before = hb > 0;
    int ret = ops->journal(ctx, &q, conn_defer(c));
    if (ret < 0) {
        conn_send_error(c, 503, ret == -EBUSY ? "too many journal reads at "
                                                "once"
                                              : "journal unavailable");
    }
}

void control_journal_done(struct control *ctl, uint64_t token,
                          const struct ctl_journal_page *page)
{
    struct conn *c = control_deferred(ctl, token);
    void *ctx;
    const struct control_ops *ops = control_ops_of(ctl, &ctx);
    struct ctl_status *st;
    if (!c) {
        return;
    }
    if (!page || ops->status(ctx, 0, &st) < 0) {
        conn_send_error(c, 503, "the journal could not be read");
        return;
    }
    json_t *events = json_array();
    for (int i = 0; i < page->n; i++) {
        json_error_t err;
        json_t *o = json_loads(page->lines[i], 0, &err);
        if (o) {
            json_array_append_new(events, o);
        }
    }
    json_t *doc = json_pack("{s:o, s:o}", "events", events, "open",
                            alerts_json(st));
    char cur[64];
    if (page->more_before) {
        snprintf(cur, sizeof(cur), "%llu.%lld",
                 (unsigned long long)page->first_seq,
                 (long long)page->first_off);
        json_object_set_new(doc, "before", json_string(cur));
    }
    if (page->more_after || page->n) {
        /* where new lines will be: polling from here misses none */
        snprintf(cur, sizeof(cur), "%llu.%lld",
                 (unsigned long long)page->end_seq, (long long)page->end_off);
        json_object_set_new(doc, "after", json_string(cur));
    }
    ops->status_free(ctx, st);
    conn_send_json(c, 200, doc);
}

/* GET /api/<name> */
static void get_doc(struct control *ctl, struct conn *c, const char *name,
                    const struct request *rq)
{
    void *ctx;
    const struct control_ops *ops = control_ops_of(ctl, &ctx);
    bool catalog = !strcmp(name, "layouts") || !strcmp(name, "plans");
    if (!strcmp(name, "alerts")) {
        get_alerts(ctl, c, rq);
        return;
    }
    if (!catalog && strcmp(name, "status") && strcmp(name, "cameras")) {
        conn_send_error(c, 404, "no such route");
        return;
    }
    struct ctl_status *st;
    if (ops->status(ctx, catalog ? CTL_STATUS_CATALOG : 0, &st) < 0) {
        conn_send_error(c, 503, "status unavailable");
        return;
    }
    conn_send_json(c, 200,
                   !strcmp(name, "status")    ? status_json(st)
                   : !strcmp(name, "cameras") ? cameras_json(st)
                   : !strcmp(name, "layouts") ? layouts_json(st)
                                              : plans_json(st));
    ops->status_free(ctx, st);
}

/* ---- commands ---- */

static const struct {
    const char *name;
    enum ctl_cmd_kind kind;
} commands[] = {
    { "pause", CTL_CMD_PAUSE },   { "resume", CTL_CMD_RESUME },
    { "next", CTL_CMD_NEXT },     { "prev", CTL_CMD_PREV },
    { "page", CTL_CMD_PAGE },     { "plan", CTL_CMD_PLAN },
    { "pin", CTL_CMD_PIN },       { "layout", CTL_CMD_LAYOUT },
    { "fullscreen", CTL_CMD_FULLSCREEN }, { "schedule", CTL_CMD_SCHEDULE },
    { "reload", CTL_CMD_RELOAD }, { "ack", CTL_CMD_ACK },
    { "close", CTL_CMD_CLOSE },
};

/* An optional string argument: absent, null (*is_null) or a string;
 * anything else is a type error. */
static int arg_str(json_t *args, const char *key, const char **out,
                   bool *is_null, char *err, size_t esize)
{
    json_t *v = json_object_get(args, key);
    *out = NULL;
    if (is_null) {
        *is_null = json_is_null(v);
    }
    if (!v || (is_null && json_is_null(v))) {
        return 0;
    }
    if (!json_is_string(v)) {
        snprintf(err, esize, "'%s' must be a string%s", key,
                 is_null ? " or null" : "");
        return -EINVAL;
    }
    *out = json_string_value(v);
    return 0;
}

/* An optional integer argument (-1 when absent; *is_null for null). */
static int arg_int(json_t *args, const char *key, int *out, bool *is_null,
                   char *err, size_t esize)
{
    json_t *v = json_object_get(args, key);
    *out = -1;
    if (is_null) {
        *is_null = json_is_null(v);
    }
    if (!v || (is_null && json_is_null(v))) {
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > 1000000) {
        snprintf(err, esize, "'%s' must be a whole number from 0", key);
        return -EINVAL;
    }
    *out = (int)json_integer_value(v);
    return 0;
}

/* for_s: how long an override holds, in (0 s, a year]. */
static int arg_for(json_t *args, int64_t *for_ms, char *err, size_t esize)
{
    json_t *v = json_object_get(args, "for_s");
    *for_ms = 0;
    if (!v) {
        return 0;
    }
    double s = json_number_value(v);
    if (!json_is_number(v) || !isfinite(s) || s <= 0 ||
        s * 1000 > (double)MAX_FOR_MS) {
        snprintf(err, esize, "'for_s' must be a number of seconds above 0, "
                             "at most a year");
        return -EINVAL;
    }
    *for_ms = (int64_t)(s * 1000.0 + 0.5);
    *for_ms = *for_ms > 0 ? *for_ms : 1;
    return 0;
}

/* The typed command for POST /api/<name> with its JSON arguments.
 * Returns 0, -ENOENT (no such command) or -EINVAL (err says why). */
static int parse_command(const char *name, json_t *args,
                         struct ctl_command *cmd, char *err, size_t esize)
{
    size_t i, n = sizeof(commands) / sizeof(commands[0]);
    for (i = 0; i < n && strcmp(commands[i].name, name); i++) {
    }
    if (i == n) {
        snprintf(err, esize, "no such command");
        return -ENOENT;
    }
    *cmd = (struct ctl_command){ .kind = commands[i].kind };
    bool null_name = false, null_tile = false, null_cam = false;
    int ret = arg_str(args, "screen", &cmd->screen, NULL, err, esize);
    ret = ret ? ret : arg_int(args, "tile", &cmd->tile, &null_tile, err,
                              esize);
    ret = ret ? ret : arg_str(args, "camera", &cmd->camera, &null_cam, err,
                              esize);
    ret = ret ? ret : arg_int(args, "page", &cmd->page, NULL, err, esize);
    ret = ret ? ret : arg_for(args, &cmd->for_ms, err, esize);
    ret = ret ? ret : arg_str(args, "alert", &cmd->alert, NULL, err, esize);
    ret = ret ? ret : arg_str(args, "by", &cmd->by, NULL, err, esize);
    ret = ret ? ret : arg_str(args, "note", &cmd->note, NULL, err, esize);
    const char *key = cmd->kind == CTL_CMD_PLAN     ? "plan"
                      : cmd->kind == CTL_CMD_LAYOUT ? "layout"
                                                    : NULL;
    if (!ret && key) {
        ret = arg_str(args, key, &cmd->name, &null_name, err, esize);
    }
    if (ret) {
        return ret;
    }
    switch (cmd->kind) {
    case CTL_CMD_PLAN:
        cmd->clear = null_name;
        break;
    case CTL_CMD_LAYOUT:
        cmd->clear = !cmd->name; /* null or absent: the plan's */
        break;
    case CTL_CMD_PIN:
        if (cmd->tile < 0) {
            snprintf(err, esize, "pin needs a tile");
            return -EINVAL;
        }
        cmd->clear = !cmd->camera; /* null or absent: unpin */
        break;
    case CTL_CMD_PAGE:
        if (cmd->page < 0) {
            snprintf(err, esize, "page needs a page number");
            return -EINVAL;
        }
        break;
    case CTL_CMD_FULLSCREEN:
        /* a camera, or a tile (again: back); null or nothing: back */
        cmd->clear = !cmd->camera && cmd->tile < 0;
        break;
    case CTL_CMD_ACK:
    case CTL_CMD_CLOSE:
        if (!cmd->alert) {
            snprintf(err, esize, "'alert' (the alert id) is required");
            return -EINVAL;
        }
        break;
    default:
        break;
    }
    (void)null_tile;
    (void)null_cam;
    return 0;
}

static int http_status_of(int err)
{
    switch (err) {
    case 0:
        return 200;
    case -ENOENT:
        return 404;
    case -EINVAL:
    case VIGIL_ECONFIG:
        return 400;
    case -EBUSY:
    case -EALREADY:
    case -ENOTSUP:
    case VIGIL_ERESTART:
        return 409;
    default:
        return 500;
    }
}

static json_t *lines_json(const struct ctl_result *r)
{
    json_t *arr = json_array();
    for (int i = 0; i < r->n_lines; i++) {
        json_array_append_new(arr, json_string(r->lines[i]));
    }
    return arr;
}

/* POST /api/<name> */
static void post_command(struct control *ctl, struct conn *c,
                         const char *name, const struct request *rq)
{
    void *ctx;
    const struct control_ops *ops = control_ops_of(ctl, &ctx);
    json_error_t jerr;
    json_t *args = rq->body_len ? json_loadb(rq->body, rq->body_len, 0, &jerr)
                                : json_object();
    if (!json_is_object(args)) {
        json_decref(args);
        conn_send_error(c, 400, "the body must be a JSON object");
        return;
    }
    struct ctl_command cmd;
    struct ctl_result res = { .error = "" };
    int ret = parse_command(name, args, &cmd, res.error, sizeof(res.error));
    if (ret == 0) {
        ret = ops->command(ctx, &cmd, &res);
    }
    int status = http_status_of(ret);
    json_t *reply;
    if (ret == 0) {
        reply = json_pack("{s:b}", "ok", 1);
        if (cmd.kind == CTL_CMD_RELOAD) {
            json_object_set_new(reply, "applied", lines_json(&res));
        }
    } else {
        reply = json_pack("{s:s, s:i}", "error",
                          res.error[0] ? res.error : vigil_strerror(ret),
                          "status", status);
        if (ret == VIGIL_ECONFIG || ret == VIGIL_ERESTART) {
            json_object_set_new(reply,
                                ret == VIGIL_ECONFIG ? "errors" : "changed",
                                lines_json(&res));
        }
    }
    ctl_result_finish(&res);
    json_decref(args);
    conn_send_json(c, status, reply);
}

/* ---- routes ---- */

static void get_metrics(struct control *ctl, struct conn *c)
{
    void *ctx;
    const struct control_ops *ops = control_ops_of(ctl, &ctx);
    struct ctl_status *st;
    if (ops->status(ctx, 0, &st) < 0) {
        conn_send_error(c, 503, "status unavailable");
        return;
    }
    char *text = metrics_text(st);
    ops->status_free(ctx, st);
    conn_send(c, 200, "text/plain; version=0.0.4", text, strlen(text));
}

static void get_snapshot(struct control *ctl, struct conn *c,
                         const struct request *rq)
{
    void *ctx;
    const struct control_ops *ops = control_ops_of(ctl, &ctx);
    char screen[128];
    int has = query_get(rq->query, rq->qlen, "screen", screen,
                        sizeof(screen));
    int ret = ops->snapshot(ctx, has > 0 ? screen : NULL, conn_defer(c));
    if (ret == -ENOENT) {
        conn_send_error(c, 404, "no such screen");
    } else if (ret < 0) {
        conn_send_error(c, 503, ret == -EBUSY ? "too many snapshots at once"
                                              : "snapshot unavailable");
    }
}

int api_handle(struct control *ctl, struct conn *c, const struct request *rq)
{
    bool is_get = rq->method == HTTP_GET || rq->method == HTTP_HEAD;
    bool is_post = rq->method == HTTP_POST;
    const char *path = rq->path;
    size_t plen = rq->plen;
#define ROUTE(s) (plen == strlen(s) && !strncmp(path, s, plen))
    bool api = plen > 5 && !strncmp(path, "/api/", 5);
    if (!api && !ROUTE("/metrics")) {
        return -ENOENT;
    }
    if (ROUTE("/api/snapshot.png") && is_get) {
        get_snapshot(ctl, c, rq);
    } else if (ROUTE("/api/events") && is_get) {
        conn_start_stream(c);
    } else if (ROUTE("/metrics") && is_get) {
        get_metrics(ctl, c);
    } else if (api && plen < 64 && (is_get || is_post)) {
        char name[64];
        memcpy(name, path + 5, plen - 5);
        name[plen - 5] = 0;
        if (is_get) {
            get_doc(ctl, c, name, rq);
        } else {
            post_command(ctl, c, name, rq);
        }
    } else {
        conn_send_error(c, 405, "method not allowed");
    }
#undef ROUTE
    return 0;
}

/* ---- events ---- */

static void broadcast_json(struct control *c, const char *name, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (text) {
        control_broadcast(c, name, text);
        free(text);
    }
}

void control_event_camera(struct control *c, const struct ctl_camera *cam)
{
    broadcast_json(c, "camera", api_camera_json(cam));
}

void control_event_screen(struct control *c, const struct vtz *tz,
                          const struct ctl_screen *s)
{
    broadcast_json(c, "page", api_screen_json(tz, s));
}

void control_event_load(struct control *c, const char *shed, double load)
{
    broadcast_json(c, "load", json_pack("{s:s, s:f}", "shed", shed, "load",
                                        load));
}

void control_event_line(struct control *c, const char *name,
                        const char *json)
{
    control_broadcast(c, name, json);
}
