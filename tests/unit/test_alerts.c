/* Alert lifecycle on a fake clock: raise and clear with debounce, one
 * alert per outage, acknowledge and close, flapping folded into one
 * alert, the systemic guard, restore after a restart. */
#include <errno.h>
#include <stdlib.h>

#include "alert/lifecycle.h"
#include "test.h"

struct log_entry {
    char id[16];
    int camera;
    char event[16];
    char condition[24];
    int64_t t;
};

static struct log_entry events[256];
static int n_events;

static void record(void *ctx, const struct alert *a, const char *event,
                   int64_t now)
{
    if (n_events < 256) {
        struct log_entry *e = &events[n_events++];
        snprintf(e->id, sizeof(e->id), "%s", a->id);
        e->camera = a->camera;
        snprintf(e->event, sizeof(e->event), "%s", event);
        snprintf(e->condition, sizeof(e->condition), "%s", a->condition);
        e->t = now;
    }
}

static int count(const char *event)
{
    int n = 0;
    for (int i = 0; i < n_events; i++) {
        n += !strcmp(events[i].event, event);
    }
    return n;
}

/* The config's defaults (alerts.flap, alerts.systemic). */
static void rules_default(struct alert_rules *r)
{
    *r = (struct alert_rules){
        .flap_count = 3,
        .flap_window_ms = 10 * 60 * 1000,
        .flap_quiet_ms = 60 * 1000,
        .systemic_min = 3,
        .systemic_fraction = 0.5,
    };
}

static struct alert_life *make(int64_t raise, int64_t clear, int flap,
                               int cams)
{
    struct alert_rules r;
    rules_default(&r);
    r.raise_after_ms = raise;
    r.clear_after_ms = clear;
    r.flap_count = flap;
    r.systemic_min = 0;
    n_events = 0;
    return alert_life_create(&r, cams, 1, record, NULL);
}

static void raise_and_clear_with_debounce(void)
{
    struct alert_life *l = make(2000, 3000, 0, 4);
    int64_t t = 100000;
    alert_life_condition(l, 1, "stalled", "no frame", t);
    CHECK_INT(alert_life_tick(l, t), t + 2000); /* deadline returned */
    CHECK_INT(n_events, 0);
    /* a blip shorter than raise_after raises nothing */
    alert_life_condition(l, 1, NULL, "", t + 1500);
    CHECK(alert_life_tick(l, t + 1500) == INT64_MAX);
    CHECK_INT(n_events, 0);
    /* a real outage: raised after 2 s */
    alert_life_condition(l, 1, "stalled", "no frame", t + 5000);
    alert_life_tick(l, t + 6999);
    CHECK_INT(n_events, 0);
    alert_life_tick(l, t + 7000);
    CHECK_INT(n_events, 1);
    CHECK_STR(events[0].event, "raised");
    CHECK_STR(events[0].id, "A-000001");
    CHECK_INT(events[0].camera, 1);
    /* stalled -> down is the same outage: no new alert */
    alert_life_condition(l, 1, "down", "refused", t + 8000);
    alert_life_tick(l, t + 8000);
    CHECK_INT(n_events, 1);
    int n;
    const struct alert *open = alert_life_open(l, &n);
    CHECK_INT(n, 1);
    CHECK_STR(open[0].condition, "down");
    /* healthy for less than clear_after, then down again: still one */
    alert_life_condition(l, 1, NULL, "", t + 9000);
    alert_life_tick(l, t + 11000);
    alert_life_condition(l, 1, "down", "refused", t + 11500);
    alert_life_tick(l, t + 20000);
    CHECK_INT(n_events, 1);
    /* healthy for clear_after: cleared, same id */
    alert_life_condition(l, 1, NULL, "", t + 21000);
    CHECK_INT(alert_life_tick(l, t + 21000), t + 24000);
    alert_life_tick(l, t + 24000);
    CHECK_INT(n_events, 2);
    CHECK_STR(events[1].event, "cleared");
    CHECK_STR(events[1].id, "A-000001");
    /* cleared but not acknowledged: still listed until acknowledged */
    alert_life_open(l, &n);
    CHECK_INT(n, 1);
    CHECK_INT(alert_life_ack(l, "A-000001", "duty-officer-2", "seen",
                             t + 25000),
              0);
    CHECK_STR(events[2].event, "acknowledged");
    CHECK_STR(events[3].event, "closed");
    alert_life_open(l, &n);
    CHECK_INT(n, 0);
    alert_life_destroy(l);
}

static void ack_then_clear_and_operator_close(void)
{
    struct alert_life *l = make(0, 0, 0, 2);
    alert_life_condition(l, 0, "down", "refused", 1000);
    alert_life_tick(l, 1000);
    CHECK_INT(alert_life_ack(l, "A-000001", "op", "on it", 2000), 0);
    CHECK_INT(alert_life_ack(l, "A-000001", "op", "again", 2100), -EALREADY);
    CHECK_INT(alert_life_ack(l, "A-999999", "op", "", 2100), -ENOENT);
    alert_life_condition(l, 0, NULL, "", 3000);
    alert_life_tick(l, 3000);
    /* raised, acknowledged, cleared, closed */
    CHECK_INT(n_events, 4);
    CHECK_STR(events[3].event, "closed");
    /* closed by an operator while still failing: no new alert until the
     * camera recovers and fails again */
    alert_life_condition(l, 1, "down", "refused", 4000);
    alert_life_tick(l, 4000);
    CHECK_STR(events[4].id, "A-000002");
    CHECK_INT(alert_life_close(l, "A-000002", "op", "known outage", 5000), 0);
    CHECK_STR(events[5].event, "closed");
    alert_life_tick(l, 6000);
    CHECK_INT(n_events, 6);
    alert_life_condition(l, 1, NULL, "", 7000);
    alert_life_condition(l, 1, "down", "refused", 8000);
    alert_life_tick(l, 8000);
    CHECK_INT(n_events, 7);
    CHECK_STR(events[6].id, "A-000003");
    alert_life_destroy(l);
}

static void flapping_folds_drops(void)
{
    struct alert_life *l = make(0, 0, 3, 1);
    int64_t t = 0;
    /* ten drops, 20 s apart, each 5 s long */
    for (int i = 0; i < 10; i++, t += 20000) {
        alert_life_condition(l, 0, "down", "reset", t);
        alert_life_tick(l, t);
        alert_life_condition(l, 0, NULL, "", t + 5000);
        alert_life_tick(l, t + 5000);
    }
    /* drops 1 and 2 are ordinary alerts; the third becomes one flapping
     * alert that stays open through the other eight */
    CHECK_INT(count("raised"), 2);
    CHECK_INT(count("flapping"), 1);
    CHECK_INT(count("cleared"), 2);
    int n;
    const struct alert *open = alert_life_open(l, &n);
    CHECK_INT(n, 3); /* two cleared-unacknowledged + the flapping one */
    CHECK(open[2].flapping);
    CHECK_STR(open[2].condition, "flapping");
    /* quiet for flap_quiet (60 s): the flapping alert clears */
    alert_life_tick(l, t + 60000);
    CHECK_INT(count("cleared"), 3);
    alert_life_destroy(l);
}

static void systemic_guard(void)
{
    struct alert_rules r;
    rules_default(&r);
    r.flap_count = 0;
    n_events = 0;
    struct alert_life *l = alert_life_create(&r, 10, 1, record, NULL);
    /* one camera fails alone: its own alert */
    alert_life_condition(l, 0, "down", "refused", 1000);
    alert_life_tick(l, 1000);
    CHECK_INT(count("raised"), 1);
    /* then the network goes: 7 of 10 at once -> one wall-wide alert */
    for (int i = 1; i < 8; i++) {
        alert_life_condition(l, i, "down", "unreachable", 2000);
    }
    alert_life_tick(l, 2000);
    CHECK_INT(count("raised"), 2);
    CHECK_INT(events[1].camera, ALERT_NO_CAMERA);
    CHECK_STR(events[1].condition, "systemic");
    /* the network returns: the systemic alert clears, camera 0 (failing
     * before) keeps its own alert, nobody else raised one */
    for (int i = 1; i < 8; i++) {
        alert_life_condition(l, i, NULL, "", 3000);
    }
    alert_life_tick(l, 3000);
    CHECK_INT(count("cleared"), 1);
    CHECK_INT(count("raised"), 2);
    int n;
    alert_life_open(l, &n);
    CHECK_INT(n, 2); /* camera 0's, and the cleared systemic one */
    alert_life_destroy(l);
}

static void restore_after_restart(void)
{
    struct alert_life *l = make(0, 0, 0, 3);
    struct alert a = { .camera = 2, .raised_ms = 500 };
    snprintf(a.id, sizeof(a.id), "A-000041");
    snprintf(a.condition, sizeof(a.condition), "down");
    alert_life_restore(l, &a);
    /* presumed still failing: no new alert while the camera reconnects */
    alert_life_condition(l, 2, "down", "refused", 1000);
    alert_life_tick(l, 1000);
    CHECK_INT(n_events, 0);
    int n;
    alert_life_open(l, &n);
    CHECK_INT(n, 1);
    /* it comes back: the restored alert clears under its old id */
    alert_life_condition(l, 2, NULL, "", 2000);
    alert_life_tick(l, 2000);
    CHECK_INT(n_events, 1);
    CHECK_STR(events[0].event, "cleared");
    CHECK_STR(events[0].id, "A-000041");
    /* and new ids continue after it */
    alert_life_condition(l, 0, "down", "refused", 3000);
    alert_life_tick(l, 3000);
    CHECK_STR(events[1].id, "A-000042");
    alert_life_destroy(l);
}

int main(void)
{
    RUN(raise_and_clear_with_debounce);
    RUN(ack_then_clear_and_operator_close);
    RUN(flapping_folds_drops);
    RUN(systemic_guard);
    RUN(restore_after_restart);
    return test_done();
}
