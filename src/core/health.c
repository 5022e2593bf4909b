/*
 * Camera health (see health.h). Each camera keeps what the rules need to
 * remember between steps; nothing here reads a clock or takes a lock.
 */
#include <stdio.h>
#include <string.h>

#include "core/health.h"
#include "util/mem.h"
#include "util/time.h"

#define COND_SIZE 24

struct cam {
    enum health_state state;
    int64_t since_ns;
    bool failed;         /* down since the last time it was live */
    char cond[COND_SIZE]; /* reported: "" healthy, "?" not yet */
    int online;          /* reported: -1 unknown, 0, 1 */
    /* decode error rate, sampled once a second */
    int64_t err_sample_ns;
    uint64_t err_prev, pkt_prev;
    int err_bad, err_good;
    bool err_sustained;
};

struct health {
    struct health_rules rules;
    int n;
    struct cam *cams;
};

/* Busy this long (a slot wait, a packet's decode or a GOP catch-up), a
 * decoder has hung or the wall is hopelessly behind: a stall after all. */
#define HEALTH_BUSY_NS (5 * VT_S)

const char *health_state_name(enum health_state s)
{
    static const char *const n[] = { "connecting", "live", "stalled",
                                     "down" };
    return n[s];
}

struct health *health_create(int n_cameras, const struct health_rules *r,
                             int64_t now_ns)
{
    struct health *h = xzalloc(sizeof(*h));
    h->rules = *r;
    h->n = n_cameras;
    h->cams = xcalloc((size_t)n_cameras + 1, sizeof(*h->cams));
    for (int i = 0; i < n_cameras; i++) {
        h->cams[i].since_ns = now_ns;
        h->cams[i].online = -1;
        strcpy(h->cams[i].cond, "?");
    }
    return h;
}

void health_destroy(struct health *h)
{
    if (h) {
        free(h->cams);
        free(h);
    }
}

void health_set_rules(struct health *h, const struct health_rules *r)
{
    h->rules = *r;
}

int64_t health_stall_budget(const struct health_rules *r,
                            const struct source_status *st)
{
    if (r->stall_after_ms) {
        return r->stall_after_ms * VT_MS;
    }
    if (!st->frame_interval_ns) {
        return VT_S;
    }
    int64_t ten = 10 * st->frame_interval_ns;
    return ten > 500 * VT_MS ? ten : 500 * VT_MS;
}

/* A hidden stream is watched by its packets, a decoded one by its
 * pictures. While its worker is busy decoding (a GOP catch-up on a slow
 * machine) or waiting for a decode slot (a starved one), it reads nothing:
 * that is the wall being slow, not the camera stalling, so it is judged as
 * it was when that began, for up to HEALTH_BUSY_NS. A stall that was
 * there before stays a stall. */
static bool stalled(const struct source_status *st, bool by_pictures,
                    int64_t now, int64_t budget)
{
    int64_t at = now;
    if (st->busy_since_ns && st->busy_since_ns < now &&
        now - st->busy_since_ns < HEALTH_BUSY_NS) {
        at = st->busy_since_ns;
    }
    return at - (by_pictures ? st->last_frame_ns : st->last_packet_ns) >
           budget;
}

bool health_stream_ok(const struct health *h, const struct source_status *st,
                      int64_t now_ns)
{
    return st->state == SOURCE_LIVE &&
           !stalled(st, false, now_ns, health_stall_budget(&h->rules, st));
}

/* Sustained decode errors: more than 1 packet in 5 failing, 3 seconds in a
 * row (and healthy again after 3 good seconds). */
static void sample_errors(struct cam *c, const struct source_status *st,
                          int64_t now)
{
    if (now - c->err_sample_ns < VT_S) {
        return;
    }
    uint64_t de = st->decode_errors - c->err_prev;
    uint64_t dp = st->packets - c->pkt_prev;
    c->err_prev = st->decode_errors;
    c->pkt_prev = st->packets;
    c->err_sample_ns = now;
    if (dp && de * 5 > dp) {
        c->err_good = 0;
        c->err_sustained |= ++c->err_bad >= 3;
    } else {
        c->err_bad = 0;
        c->err_sustained &= ++c->err_good < 3;
    }
}

/* The state a status shows now, and its condition ("" healthy). */
static enum health_state evaluate(const struct health *h, struct cam *c,
                                  const struct source_status *st,
                                  int64_t now, char *cond, char *detail,
                                  size_t size)
{
    int64_t budget = health_stall_budget(&h->rules, st);
    cond[0] = 0;
    switch (st->state) {
    case SOURCE_LIVE:
        c->failed = false;
        sample_errors(c, st, now);
        if (stalled(st, st->decoding, now, budget)) {
            strcpy(cond, "stalled");
            snprintf(detail, size, "no %s for %.1f s",
                     st->decoding ? "decoded frame" : "data", budget / 1e9);
            return HEALTH_STALLED;
        }
        if (c->err_sustained) {
            strcpy(cond, "decode_errors");
            snprintf(detail, size, "%llu of %llu packets failed to decode",
                     (unsigned long long)st->decode_errors,
                     (unsigned long long)st->packets);
        }
        return HEALTH_LIVE;
    case SOURCE_DOWN:
        c->failed = true;
        strcpy(cond, st->fault == SOURCE_FAULT_AUTH        ? "auth_failed"
                     : st->fault == SOURCE_FAULT_NOT_FOUND ? "not_found"
                                                           : "down");
        snprintf(detail, size, "%s", st->reason);
        return HEALTH_DOWN;
    case SOURCE_CONNECTING:
    default:
        /* The first picture waits for a keyframe (up to a GOP, often
         * 2 s): only a long wait is a fault. */
        if (st->connected_ns && st->session_packets && !st->session_frames &&
            now - st->connected_ns > (3 * budget > 5 * VT_S ? 3 * budget
                                                            : 5 * VT_S)) {
            /* connected and fed, but nothing decodes */
            strcpy(cond, "no_keyframe");
            snprintf(detail, size,
                     "%llu packets in %.1f s, no picture decoded",
                     (unsigned long long)st->session_packets,
                     (now - st->connected_ns) / 1e9);
            return HEALTH_STALLED;
        }
        if (c->failed) {
            /* reconnecting after a failure is still the same outage */
            snprintf(cond, COND_SIZE, "%s",
                     c->cond[0] && strcmp(c->cond, "?") ? c->cond : "down");
            snprintf(detail, size, "%s", st->reason);
            return HEALTH_DOWN;
        }
        return HEALTH_CONNECTING;
    }
}

void health_step(struct health *h, int cam, const struct source_status *st,
                 int64_t now_ns, struct health_report *out)
{
    struct cam *c = &h->cams[cam];
    char cond[COND_SIZE];
    memset(out, 0, sizeof(*out));
    enum health_state s = evaluate(h, c, st, now_ns, cond, out->detail,
                                   sizeof(out->detail));
    if (s != HEALTH_CONNECTING && strcmp(cond, c->cond)) {
        snprintf(c->cond, sizeof(c->cond), "%s", cond);
        out->condition_changed = true;
    }
    int online = s == HEALTH_LIVE         ? 1
                 : s == HEALTH_CONNECTING ? c->online
                                          : 0;
    if (online != c->online && online >= 0) {
        c->online = online;
        out->online_changed = true;
    }
    out->online = c->online == 1;
    if (s != c->state) {
        c->state = s;
        c->since_ns = now_ns;
        out->state_changed = true;
    }
    out->state = s;
    out->condition = cond[0] ? health_condition(h, cam) : NULL;
    if (!cond[0]) {
        out->detail[0] = 0;
    }
}

enum health_state health_state(const struct health *h, int cam)
{
    return h->cams[cam].state;
}

int64_t health_since(const struct health *h, int cam)
{
    return h->cams[cam].since_ns;
}

const char *health_condition(const struct health *h, int cam)
{
    const char *c = h->cams[cam].cond;
    return c[0] && strcmp(c, "?") ? c : NULL;
}
