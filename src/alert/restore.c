/*
 * Restoring the open alerts at start: the journal's checkpoint (the open
 * alerts when it was written) and then every journal line after it,
 * applied in order. Linear in the lines read: alerts are found by the
 * number in their id through a hash table, not by a search. Loop thread
 * (at the bus's creation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/journal.h"
#include "alert/restore.h"
#include "config/config.h"
#include "util/mem.h"

struct table {
    struct alert *list;      /* in the order they were raised */
    size_t n, cap;
    unsigned *slot_id;       /* open addressing: id number, 0 empty */
    size_t *slot_at;         /* its index in list */
    size_t slots;            /* a power of two */
    unsigned last_id;
    const struct config *cfg;
};

static void grow_slots(struct table *t);

static size_t *lookup(struct table *t, unsigned id, bool add)
{
    if (add && (t->n + 1) * 2 > t->slots) {
        grow_slots(t);
    }
    size_t mask = t->slots - 1, i = (id * 2654435761u) & mask;
    while (t->slot_id[i] && t->slot_id[i] != id) {
        i = (i + 1) & mask;
    }
    if (t->slot_id[i] == id) {
        return &t->slot_at[i];
    }
    if (!add) {
        return NULL;
    }
    t->slot_id[i] = id;
    return &t->slot_at[i];
}

static void grow_slots(struct table *t)
{
    unsigned *old_id = t->slot_id;
    size_t *old_at = t->slot_at, old = t->slots;
    t->slots = old ? old * 2 : 1024;
    t->slot_id = xcalloc(t->slots, sizeof(unsigned));
    t->slot_at = xcalloc(t->slots, sizeof(size_t));
    for (size_t i = 0; i < old; i++) {
        if (old_id[i]) {
            size_t mask = t->slots - 1, k = (old_id[i] * 2654435761u) & mask;
            while (t->slot_id[k]) {
                k = (k + 1) & mask;
            }
            t->slot_id[k] = old_id[i];
            t->slot_at[k] = old_at[i];
        }
    }
    free(old_id);
    free(old_at);
}

static struct alert *get(struct table *t, unsigned id, bool create)
{
    size_t *at = lookup(t, id, false);
    if (at) {
        return &t->list[*at];
    }
    if (!create) {
        return NULL;
    }
    XGROW(t->list, t->cap, t->n + 1);
    struct alert *a = &t->list[t->n];
    memset(a, 0, sizeof(*a));
    *lookup(t, id, true) = t->n++;
    return a;
}

static int camera_index(const struct config *c, const char *id)
{
    int i = id ? config_find_camera(c, id) : ALERT_NO_CAMERA;
    return id && i < 0 ? ALERT_GONE_CAMERA : i;
}

static void copy(char *dst, size_t size, json_t *v, const char *dflt)
{
    const char *s = json_string_value(v);
    snprintf(dst, size, "%s", s ? s : dflt);
}

/* What a "raised" line says of its alert. */
static void raised_fields(const struct config *cfg, json_t *o,
                          struct alert *a)
{
    a->camera = camera_index(cfg, json_string_value(
                                      json_object_get(o, "camera")));
    copy(a->condition, sizeof(a->condition), json_object_get(o, "condition"),
         "down");
    copy(a->detail, sizeof(a->detail), json_object_get(o, "detail"), "");
    copy(a->severity, sizeof(a->severity), json_object_get(o, "severity"),
         "major");
}

/* The string value of "key" in a journal line, when it has no escapes
 * (ids and event names never do): its start and length. */
static bool plain_value(const char *line, size_t len, const char *key,
                        const char **v, size_t *vlen)
{
    char pat[24];
    int n = snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = memmem(line, len, pat, (size_t)n);
    if (!p) {
        return false;
    }
    p += n;
    const char *q = memchr(p, '"', len - (size_t)(p - line));
    if (!q || memchr(p, '\\', (size_t)(q - p))) {
        return false;
    }
    *v = p;
    *vlen = (size_t)(q - p);
    return true;
}

static bool is(const char *v, size_t n, const char *word)
{
    return n == strlen(word) && !memcmp(v, word, n);
}

/* The text an alert keeps from its raised (or acknowledged) line. The
 * fast way: plain values found in the line; false when one holds an
 * escape (then json_fields reads the line properly). */
static bool fast_fields(struct alert *a, const struct config *cfg,
                        const char *text, size_t len, bool raise)
{
    static const char *const keys[] = { "camera", "condition", "detail",
                                        "severity", "by", "note" };
    const char *v[6] = { 0 };
    size_t n[6] = { 0 };
    for (int k = raise ? 0 : 4; k < 6; k++) {
        char pat[24];
        int pl = snprintf(pat, sizeof(pat), "\"%s\":", keys[k]);
        bool present = memmem(text, len, pat, (size_t)pl) != NULL;
        if (present && !plain_value(text, len, keys[k], &v[k], &n[k])) {
            return false; /* escaped, or not a string */
        }
    }
    if (raise) {
        char cam[72];
        snprintf(cam, sizeof(cam), "%.*s", (int)n[0], v[0] ? v[0] : "");
        a->camera = camera_index(cfg, v[0] ? cam : NULL);
        snprintf(a->condition, sizeof(a->condition), "%.*s", (int)n[1],
                 v[1] ? v[1] : "down");
        snprintf(a->detail, sizeof(a->detail), "%.*s", (int)n[2],
                 v[2] ? v[2] : "");
        snprintf(a->severity, sizeof(a->severity), "%.*s", (int)n[3],
                 v[3] ? v[3] : "major");
        if (!v[1]) {
            snprintf(a->condition, sizeof(a->condition), "down");
        }
        if (!v[3]) {
            snprintf(a->severity, sizeof(a->severity), "major");
        }
    }
    if (v[4]) {
        snprintf(a->by, sizeof(a->by), "%.*s", (int)n[4], v[4]);
    }
    if (v[5]) {
        snprintf(a->note, sizeof(a->note), "%.*s", (int)n[5], v[5]);
    }
    return true;
}

static void json_fields(struct alert *a, const struct config *cfg,
                        const char *text, size_t len, bool raise)
{
    json_error_t err;
    json_t *o = json_loadb(text, len, 0, &err);
    if (!o) {
        return;
    }
    if (raise) {
        raised_fields(cfg, o, a);
    }
    if (json_object_get(o, "by")) {
        copy(a->by, sizeof(a->by), json_object_get(o, "by"), "");
    }
    if (json_object_get(o, "note")) {
        copy(a->note, sizeof(a->note), json_object_get(o, "note"), "");
    }
    json_decref(o);
}

/* One journal line applied. Most lines (cleared, closed, wall events) are
 * read for their id and event only; the ones that carry text an alert
 * keeps (raised, flapping, acknowledged) are parsed whole. */
static void apply(void *ctx, const char *text, size_t len)
{
    struct table *t = ctx;
    const char *id, *ev;
    size_t id_len, ev_len;
    unsigned num;
    if (!plain_value(text, len, "alert", &id, &id_len) ||
        !plain_value(text, len, "event", &ev, &ev_len) || id_len > 15 ||
        sscanf(id, "A-%u", &num) != 1 || !num) {
        return; /* a wall event, or not a line of ours */
    }
    t->last_id = num > t->last_id ? num : t->last_id;
    bool raise = is(ev, ev_len, "raised") || is(ev, ev_len, "flapping");
    struct alert *a = get(t, num, raise);
    if (!a) {
        return; /* an event of an alert closed before the checkpoint */
    }
    int64_t ts = journal_line_ts(text, len);
    if (is(ev, ev_len, "cleared")) {
        a->cleared = true;
        a->cleared_ms = ts;
        return;
    }
    if (is(ev, ev_len, "closed")) {
        a->closed = true;
        return;
    }
    if (raise) {
        snprintf(a->id, sizeof(a->id), "%.*s", (int)id_len, id);
        a->raised_ms = ts;
        a->flapping = is(ev, ev_len, "flapping");
    } else if (is(ev, ev_len, "acknowledged")) {
        a->acked = true;
        a->acked_ms = ts;
    }
    if (!fast_fields(a, t->cfg, text, len, raise)) {
        json_fields(a, t->cfg, text, len, raise);
    }
}

static void from_checkpoint(struct table *t, json_t *open)
{
    size_t i;
    json_t *o;
    json_array_foreach(open, i, o)
    {
        unsigned num;
        const char *id = json_string_value(json_object_get(o, "id"));
        if (!id || sscanf(id, "A-%u", &num) != 1 || !num) {
            continue;
        }
        struct alert *a = get(t, num, true);
        snprintf(a->id, sizeof(a->id), "%s", id);
        raised_fields(t->cfg, o, a);
        copy(a->by, sizeof(a->by), json_object_get(o, "by"), "");
        copy(a->note, sizeof(a->note), json_object_get(o, "note"), "");
        a->acked = json_is_true(json_object_get(o, "acked"));
        a->cleared = json_is_true(json_object_get(o, "cleared"));
        a->flapping = json_is_true(json_object_get(o, "flapping"));
        a->raised_ms = json_integer_value(json_object_get(o, "raised_ms"));
        a->acked_ms = json_integer_value(json_object_get(o, "acked_ms"));
        a->cleared_ms = json_integer_value(json_object_get(o, "cleared_ms"));
    }
}

int restore_open_alerts(struct journal *j, const struct config *cfg,
                        struct alert **out, unsigned *last_id)
{
    struct table t = { .cfg = cfg };
    unsigned ck_last = 0;
    int64_t off = 0;
    grow_slots(&t);
    json_t *open = journal_load_checkpoint(j, &ck_last, &off);
    if (open) {
        from_checkpoint(&t, open);
        t.last_id = ck_last;
        json_decref(open);
    }
    /* after the checkpoint, or every line there is without one */
    journal_replay(j, !open, off, apply, &t);
    int n = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (!t.list[i].closed && t.list[i].id[0]) {
            t.list[n++] = t.list[i];
        }
    }
    free(t.slot_id);
    free(t.slot_at);
    *out = t.list;
    *last_id = t.last_id;
    return n;
}

json_t *restore_checkpoint_json(const struct alert *list, int n,
                                const struct config *cfg)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        const struct alert *a = &list[i];
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:I, s:I, s:I, s:s, s:s}",
            "id", a->id, "condition", a->condition, "detail", a->detail,
            "severity", a->severity, "acked", a->acked, "cleared",
            a->cleared, "flapping", a->flapping, "raised_ms",
            (json_int_t)a->raised_ms, "acked_ms", (json_int_t)a->acked_ms,
            "cleared_ms", (json_int_t)a->cleared_ms, "by", a->by, "note",
            a->note);
        if (a->camera >= 0 && a->camera < cfg->n_cameras) {
            json_object_set_new(o, "camera",
                                json_string(cfg->cameras[a->camera].id));
        }
        json_array_append_new(arr, o);
    }
    return arr;
}
