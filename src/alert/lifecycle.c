/*
 * Alert lifecycle rules (see lifecycle.h). Owned by the alert bus on the
 * loop thread; nothing here is shared or blocking.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alert/lifecycle.h"
#include "util/mem.h"

#define MAX_DROPS 32

struct cam_track {
    char cond[24];           /* "" when healthy */
    char detail[192];
    int64_t since_ms;        /* when cond (or health) began */
    int alert;               /* index into alerts of its open alert, -1 */
    bool suppressed;         /* closed by an operator while failing */
    int64_t drops[MAX_DROPS]; /* outage starts, newest last */
    int n_drops;
};

struct alert_life {
    struct alert_rules rules;
    alert_emit_fn emit;
    void *ctx;
    unsigned next_id;
    int n_cams;
    struct cam_track *cams;
    struct alert *alerts;    /* not closed, oldest first */
    int n_alerts;
    size_t cap_alerts;
    int systemic;            /* index of the systemic alert, -1 */
    int64_t systemic_ok_since;
};

struct alert_life *alert_life_create(const struct alert_rules *rules,
                                     int n_cameras, unsigned first_id,
                                     alert_emit_fn emit, void *ctx)
{
    struct alert_life *l = xzalloc(sizeof(*l));
    l->rules = *rules;
    l->emit = emit;
    l->ctx = ctx;
    l->next_id = first_id ? first_id : 1;
    l->n_cams = n_cameras;
    l->cams = xcalloc((size_t)n_cameras + 1, sizeof(*l->cams));
    for (int i = 0; i < n_cameras; i++) {
        l->cams[i].alert = -1;
    }
    l->systemic = -1;
    return l;
}

void alert_life_set_rules(struct alert_life *l, const struct alert_rules *r)
{
    l->rules = *r;
}

void alert_life_destroy(struct alert_life *l)
{
    if (!l) {
        return;
    }
    free(l->cams);
    free(l->alerts);
    free(l);
}

/* ---- bookkeeping of the open list ---- */

static void relink(struct alert_life *l)
{
    for (int i = 0; i < l->n_cams; i++) {
        l->cams[i].alert = -1;
    }
    l->systemic = -1;
    for (int i = 0; i < l->n_alerts; i++) {
        const struct alert *a = &l->alerts[i];
        if (a->camera >= 0 && a->camera < l->n_cams && !a->cleared) {
            l->cams[a->camera].alert = i;
        } else if (a->camera == ALERT_NO_CAMERA && !a->cleared) {
            l->systemic = i;
        }
    }
}

static struct alert *add_alert(struct alert_life *l, int camera,
                               const char *cond, const char *detail,
                               int64_t now)
{
    XGROW(l->alerts, l->cap_alerts, (size_t)l->n_alerts + 1);
    struct alert *a = &l->alerts[l->n_alerts++];
    memset(a, 0, sizeof(*a));
    snprintf(a->id, sizeof(a->id), "A-%06u", l->next_id++);
    a->camera = camera;
    snprintf(a->condition, sizeof(a->condition), "%s", cond);
    snprintf(a->detail, sizeof(a->detail), "%s", detail);
    snprintf(a->severity, sizeof(a->severity), "%s",
             camera == ALERT_NO_CAMERA ? "critical" : "major");
    a->raised_ms = now;
    return a;
}

static void remove_alert(struct alert_life *l, int i)
{
    memmove(&l->alerts[i], &l->alerts[i + 1],
            sizeof(*l->alerts) * (size_t)(l->n_alerts - i - 1));
    l->n_alerts--;
    relink(l);
}

static void emit(struct alert_life *l, struct alert *a, const char *ev,
                 int64_t now)
{
    if (l->emit) {
        l->emit(l->ctx, a, ev, now);
    }
}

static int find(struct alert_life *l, const char *id)
{
    for (int i = 0; i < l->n_alerts; i++) {
        if (!strcmp(l->alerts[i].id, id)) {
            return i;
        }
    }
    return -1;
}

/* ---- inputs ---- */

void alert_life_condition(struct alert_life *l, int camera, const char *cond,
                          const char *detail, int64_t now)
{
    if (camera < 0 || camera >= l->n_cams) {
        return;
    }
    struct cam_track *c = &l->cams[camera];
    const char *nc = cond ? cond : "";
    bool was_bad = c->cond[0], is_bad = nc[0];
    if (was_bad != is_bad) {
        c->since_ms = now;
    }
    snprintf(c->cond, sizeof(c->cond), "%s", nc);
    snprintf(c->detail, sizeof(c->detail), "%s", detail ? detail : "");
    if (!is_bad) {
        c->suppressed = false;
    }
    /* An open alert follows its condition (stalled -> down): same id. */
    if (is_bad && c->alert >= 0 && !l->alerts[c->alert].flapping) {
        struct alert *a = &l->alerts[c->alert];
        snprintf(a->condition, sizeof(a->condition), "%s", nc);
        snprintf(a->detail, sizeof(a->detail), "%s", c->detail);
    }
}

static int recent_drops(const struct alert_life *l, const struct cam_track *c,
                        int64_t now)
{
    int n = 0;
    for (int i = 0; i < c->n_drops; i++) {
        n += now - c->drops[i] <= l->rules.flap_window_ms;
    }
    return n;
}

static void note_drop(struct cam_track *c, int64_t when)
{
    if (c->n_drops == MAX_DROPS) {
        memmove(c->drops, c->drops + 1, sizeof(c->drops[0]) * (MAX_DROPS - 1));
        c->n_drops--;
    }
    c->drops[c->n_drops++] = when;
}

/* Is the wall failing as a whole? Counts cameras whose condition held
 * raise_after. */
static bool systemic_now(const struct alert_life *l, int64_t now)
{
    if (!l->rules.systemic_min || !l->n_cams) {
        return false;
    }
    int bad = 0;
    for (int i = 0; i < l->n_cams; i++) {
        bad += l->cams[i].cond[0] &&
               now - l->cams[i].since_ms >= l->rules.raise_after_ms;
    }
    return bad >= l->rules.systemic_min &&
           bad >= l->rules.systemic_fraction * l->n_cams;
}

static void clear_alert(struct alert_life *l, int i, int64_t now)
{
    struct alert *a = &l->alerts[i];
    a->cleared = true;
    a->cleared_ms = now;
    emit(l, a, "cleared", now);
    if (a->acked) {
        a->closed = true;
        a->closed_ms = now;
        emit(l, a, "closed", now);
        remove_alert(l, i);
    } else {
        relink(l);
    }
}

static void tick_systemic(struct alert_life *l, int64_t now, int64_t *next)
{
    bool sys = systemic_now(l, now);
    if (sys && l->systemic < 0) {
        int bad = 0;
        for (int i = 0; i < l->n_cams; i++) {
            bad += l->cams[i].cond[0] != 0;
        }
        char detail[192];
        snprintf(detail, sizeof(detail),
                 "%d of %d cameras failing at once (network or host "
                 "trouble?)", bad, l->n_cams);
        add_alert(l, ALERT_NO_CAMERA, "systemic", detail, now);
        relink(l);
        emit(l, &l->alerts[l->systemic], "raised", now);
    } else if (!sys && l->systemic >= 0) {
        if (!l->systemic_ok_since) {
            l->systemic_ok_since = now;
        }
        int64_t due = l->systemic_ok_since + l->rules.clear_after_ms;
        if (now >= due) {
            l->systemic_ok_since = 0;
            clear_alert(l, l->systemic, now);
        } else if (due < *next) {
            *next = due;
        }
    }
    if (sys) {
        l->systemic_ok_since = 0;
    }
}

static void tick_camera(struct alert_life *l, int cam, int64_t now,
                        int64_t *next)
{
    struct cam_track *c = &l->cams[cam];
    struct alert *a = c->alert >= 0 ? &l->alerts[c->alert] : NULL;
    if (c->cond[0] && !a && !c->suppressed) {
        int64_t due = c->since_ms + l->rules.raise_after_ms;
        if (now < due) {
            if (due < *next) {
                *next = due;
            }
            return;
        }
        if (l->systemic >= 0) {
            return; /* folded into the wall-wide alert */
        }
        note_drop(c, c->since_ms);
        bool flap = l->rules.flap_count &&
                    recent_drops(l, c, now) >= l->rules.flap_count;
        a = add_alert(l, cam, flap ? "flapping" : c->cond, c->detail, now);
        relink(l);
        if (flap) {
            a->flapping = true;
            snprintf(a->detail, sizeof(a->detail),
                     "dropped %d times in %lld min; last: %.100s",
                     recent_drops(l, c, now),
                     (long long)(l->rules.flap_window_ms / 60000), c->detail);
            emit(l, a, "flapping", now);
        } else {
            emit(l, a, "raised", now);
        }
    } else if (a && a->flapping && c->cond[0] && c->since_ms > a->raised_ms &&
               (!c->n_drops || c->drops[c->n_drops - 1] != c->since_ms)) {
        note_drop(c, c->since_ms); /* another drop folded in */
    } else if (a && !c->cond[0]) {
        int64_t quiet = a->flapping ? l->rules.flap_quiet_ms
                                    : l->rules.clear_after_ms;
        int64_t due = c->since_ms + quiet;
        if (now >= due) {
            clear_alert(l, c->alert, now);
        } else if (due < *next) {
            *next = due;
        }
    }
}

int64_t alert_life_tick(struct alert_life *l, int64_t now)
{
    int64_t next = INT64_MAX;
    tick_systemic(l, now, &next);
    for (int i = 0; i < l->n_cams; i++) {
        tick_camera(l, i, now, &next);
    }
    return next;
}

int alert_life_ack(struct alert_life *l, const char *id, const char *by,
                   const char *note, int64_t now)
{
    int i = find(l, id);
    if (i < 0) {
        return -ENOENT;
    }
    struct alert *a = &l->alerts[i];
    if (a->acked) {
        return -EALREADY;
    }
    a->acked = true;
    a->acked_ms = now;
    snprintf(a->by, sizeof(a->by), "%s", by ? by : "");
    snprintf(a->note, sizeof(a->note), "%s", note ? note : "");
    emit(l, a, "acknowledged", now);
    if (a->cleared) {
        a->closed = true;
        a->closed_ms = now;
        emit(l, a, "closed", now);
        remove_alert(l, i);
    }
    return 0;
}

int alert_life_close(struct alert_life *l, const char *id, const char *by,
                     const char *note, int64_t now)
{
    int i = find(l, id);
    if (i < 0) {
        return -ENOENT;
    }
    struct alert *a = &l->alerts[i];
    a->closed = true;
    a->closed_ms = now;
    snprintf(a->by, sizeof(a->by), "%s", by ? by : "");
    snprintf(a->note, sizeof(a->note), "%s", note ? note : "");
    emit(l, a, "closed", now);
    if (a->camera >= 0 && a->camera < l->n_cams && !a->cleared &&
        l->cams[a->camera].cond[0]) {
        /* the operator knows: no new alert until the camera recovers */
        l->cams[a->camera].suppressed = true;
    }
    remove_alert(l, i);
    return 0;
}

/* A restored open alert: until the camera says otherwise it is presumed
 * still failing, so the alert is neither raised again nor cleared on a
 * guess. */
static void presume_failing(struct alert_life *l, const struct alert *a)
{
    if (a->camera >= 0 && a->camera < l->n_cams && !a->cleared) {
        struct cam_track *c = &l->cams[a->camera];
        snprintf(c->cond, sizeof(c->cond), "%s", a->condition);
        snprintf(c->detail, sizeof(c->detail), "%s", a->detail);
        c->since_ms = a->raised_ms;
    }
}

void alert_life_restore(struct alert_life *l, const struct alert *a)
{
    unsigned n;
    if (sscanf(a->id, "A-%u", &n) == 1 && n >= l->next_id) {
        l->next_id = n + 1;
    }
    int i = find(l, a->id);
    if (i < 0) {
        XGROW(l->alerts, l->cap_alerts, (size_t)l->n_alerts + 1);
        i = l->n_alerts++;
    }
    l->alerts[i] = *a;
    if (a->closed) {
        remove_alert(l, i);
        return;
    }
    presume_failing(l, a);
    relink(l);
}

void alert_life_restore_many(struct alert_life *l, const struct alert *list,
                             int n)
{
    XGROW(l->alerts, l->cap_alerts, (size_t)l->n_alerts + (size_t)n + 1);
    for (int k = 0; k < n; k++) {
        const struct alert *a = &list[k];
        unsigned num;
        if (a->closed) {
            continue;
        }
        if (sscanf(a->id, "A-%u", &num) == 1 && num >= l->next_id) {
            l->next_id = num + 1;
        }
        l->alerts[l->n_alerts++] = *a;
        presume_failing(l, a);
    }
    relink(l);
}

const struct alert *alert_life_open(const struct alert_life *l, int *n)
{
    *n = l->n_alerts;
    return l->alerts;
}

unsigned alert_life_last_id(const struct alert_life *l)
{
    return l->next_id - 1;
}
