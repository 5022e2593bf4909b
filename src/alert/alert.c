/*
 * Alert bus. Owns the journal (journal.c), the lifecycle rules, the tick
 * timer that fires the debounce deadlines, and the sinks. Runs on the loop
 * thread.
 *
 * Order of delivery for every event: the journal (written and synced),
 * then each sink. A crash after the journal write loses nothing a sink had
 * seen; on restart the journal's checkpoint and what came after it
 * restore what was open (restore.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alert/alert.h"
#include "alert/journal.h"
#include "alert/lifecycle.h"
#include "alert/restore.h"
#include "alert/sink.h"
#include "config/config.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"
#include "util/tz.h"

#define MAX_SINKS 4

struct alert_bus {
    struct vlog *log;
    struct config *cfg;          /* a reference; swapped by a reload */
    char *wall;
    struct journal *journal;
    struct alert_life *life;
    uv_timer_t timer;
    struct alert_sink *sinks[MAX_SINKS];
    int n_sinks;
    struct alert_sink *exec;     /* always there; runs nothing without a
                                  * command (alerts.exec is live) */
    alert_event_fn on_event;
    void *event_ctx;
};

static const char *camera_id(const struct alert_bus *b, int cam)
{
    return cam >= 0 && cam < b->cfg->n_cameras ? b->cfg->cameras[cam].id
                                               : NULL;
}

/* ---- journal ---- */

static void fan_out(struct alert_bus *b, json_t *line, const struct alert *a,
                    const char *event)
{
    const char *cam = a ? camera_id(b, a->camera) : NULL;
    const char *name = cam ? b->cfg->cameras[a->camera].name : NULL;
    for (int i = 0; i < b->n_sinks; i++) {
        b->sinks[i]->event(b->sinks[i], line, a, event, cam, name);
    }
}



/* Write and sync one line, then tell the sinks and the listener. */
static void journal_write(struct alert_bus *b, json_t *line,
                          const struct alert *a, const char *event)
{
    char *s = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s) {
        return;
    }
    journal_append(b->journal, s, strlen(s)); /* logs its own failures */
    fan_out(b, line, a, event);
    if (b->on_event) {
        b->on_event(b->event_ctx, a ? "alert" : event ? event : "event", s);
    }
    free(s);
}

static json_t *line_new(struct alert_bus *b, int64_t wall_ms)
{
    char ts[48];
    vtz_format_rfc3339(b->cfg->tz, wall_ms, ts, sizeof(ts));
    return json_pack("{s:s, s:s}", "ts", ts, "wall", b->wall);
}

/* The lifecycle's events: journal line in the shared format, then sinks. */
static void life_event(void *ctx, const struct alert *a, const char *event,
                       int64_t now)
{
    struct alert_bus *b = ctx;
    json_t *line = line_new(b, now);
    json_object_set_new(line, "alert", json_string(a->id));
    const char *cam = camera_id(b, a->camera);
    if (cam) {
        json_object_set_new(line, "camera", json_string(cam));
    }
    json_object_set_new(line, "event", json_string(event));
    if (!strcmp(event, "raised") || !strcmp(event, "flapping")) {
        json_object_set_new(line, "condition", json_string(a->condition));
        json_object_set_new(line, "detail", json_string(a->detail));
        json_object_set_new(line, "severity", json_string(a->severity));
    } else if (!strcmp(event, "cleared")) {
        json_object_set_new(line, "condition", json_string(a->condition));
        json_object_set_new(line, "detail", json_string("condition gone"));
        json_object_set_new(line, "duration_s",
                            json_real((now - a->raised_ms) / 1000.0));
    } else if (!strcmp(event, "acknowledged") || !strcmp(event, "closed")) {
        if (a->by[0]) {
            json_object_set_new(line, "by", json_string(a->by));
        }
        if (a->note[0]) {
            json_object_set_new(line, "note", json_string(a->note));
        }
    }
    VLOG_INFO(b->log, "%s %s%s%s %s", a->id, event, cam ? " " : "",
              cam ? cam : "", a->condition);
    journal_write(b, line, a, event);
    json_decref(line);
}

void alert_bus_journal(struct alert_bus *b, const char *event,
                       const struct alert_field *fields, int n,
                       int64_t wall_ms)
{
    json_t *line = line_new(b, wall_ms);
    json_object_set_new(line, "event", json_string(event));
    for (int i = 0; i < n; i++) {
        const struct alert_field *f = &fields[i];
        json_object_set_new(line, f->key,
                            f->type == ALERT_FIELD_STR   ? json_string(f->str)
                            : f->type == ALERT_FIELD_INT ? json_integer(f->i)
                                                         : json_real(f->num));
    }
    journal_write(b, line, NULL, event);
    json_decref(line);
}

/* ---- checkpoints ---- */

/* After a rotation, and at the end: what is open, so that a restart
 * reads only what comes after. */
static void checkpoint(void *ctx)
{
    struct alert_bus *b = ctx;
    int n;
    const struct alert *list = alert_life_open(b->life, &n);
    json_t *open = restore_checkpoint_json(list, n, b->cfg);
    journal_checkpoint(b->journal, open, alert_life_last_id(b->life));
    json_decref(open);
}

/* ---- timer ---- */

static void tick(struct alert_bus *b);

static void timer_cb(uv_timer_t *t)
{
    tick(t->data);
}

static void tick(struct alert_bus *b)
{
    int64_t now = vt_wall_ms();
    int64_t next = alert_life_tick(b->life, now);
    if (next != INT64_MAX) {
        uv_timer_start(&b->timer, timer_cb,
                       (uint64_t)(next > now ? next - now : 0), 0);
    } else {
        uv_timer_stop(&b->timer);
    }
}

/* ---- public ---- */

/* The lifecycle's rules from the config (whose option tables hold their
 * defaults). */
static void rules_of(const struct config *cfg, struct alert_rules *rules)
{
    *rules = (struct alert_rules){
        .raise_after_ms = cfg->raise_after_ms,
        .clear_after_ms = cfg->clear_after_ms,
        .flap_count = cfg->flap_count,
        .flap_window_ms = cfg->flap_window_ms,
        .flap_quiet_ms = cfg->flap_quiet_ms,
        .systemic_min = cfg->systemic_min,
        .systemic_fraction = cfg->systemic_fraction,
    };
}

struct alert_bus *alert_bus_create(struct config *cfg, uv_loop_t *loop,
                                   alert_event_fn on_event, void *ctx)
{
    struct alert_bus *b = xzalloc(sizeof(*b));
    b->on_event = on_event;
    b->event_ctx = ctx;
    b->log = vlog_create(NULL, "alert");
    b->cfg = config_ref(cfg);
    b->wall = xstrdup(cfg->wall_name);
    struct journal_params jp = { cfg->journal, cfg->journal_max_bytes,
                                 cfg->journal_keep };
    if (!(b->journal = journal_open(&jp, checkpoint, b, b->log))) {
        free(b->wall);
        config_unref(b->cfg);
        vlog_destroy(b->log);
        free(b);
        return NULL;
    }
    struct alert_rules rules;
    rules_of(cfg, &rules);
    struct alert *old = NULL;
    unsigned last_id = 0;
    int restored = restore_open_alerts(b->journal, cfg, &old, &last_id);
    b->life = alert_life_create(&rules, cfg->n_cameras, last_id + 1,
                                life_event, b);
    alert_life_restore_many(b->life, old, restored);
    free(old);
    journal_rotate_if_full(b->journal); /* with its checkpoint */
    uv_timer_init(loop, &b->timer);
    b->timer.data = b;
    VLOG_INFO(b->log, "journal %s: %d open alert(s) restored, next id "
                      "A-%06u",
              cfg->journal, restored, alert_life_last_id(b->life) + 1);
    char *password = cfg->mqtt_password_file
                         ? file_first_line(cfg->mqtt_password_file)
                         : NULL;
    if (cfg->mqtt_url && cfg->mqtt_topic &&
        (b->sinks[b->n_sinks] = sink_mqtt_create(
             cfg->mqtt_url, cfg->mqtt_topic, cfg->wall_name,
             cfg->mqtt_username, password))) {
        b->n_sinks++;
    }
    free(password);
    if (cfg->webhook_url &&
        (b->sinks[b->n_sinks] = sink_webhook_create(cfg->webhook_url))) {
        b->n_sinks++;
    }
    b->exec = sink_exec_create(loop, cfg->exec_argv, cfg->n_exec_argv,
                               (int)cfg->exec_timeout_ms);
    b->sinks[b->n_sinks++] = b->exec;
    return b;
}

void alert_bus_set_config(struct alert_bus *b, struct config *cfg)
{
    struct alert_rules rules;
    rules_of(cfg, &rules);
    alert_life_set_rules(b->life, &rules);
    sink_exec_set_command(b->exec, cfg->exec_argv, cfg->n_exec_argv,
                          (int)cfg->exec_timeout_ms);
    config_unref(b->cfg);
    b->cfg = config_ref(cfg);
    tick(b); /* new debounce times */
}

static void timer_closed(uv_handle_t *h)
{
    struct alert_bus *b = h->data;
    alert_life_destroy(b->life);
    config_unref(b->cfg);
    free(b->wall);
    vlog_destroy(b->log);
    free(b);
}

void alert_bus_destroy(struct alert_bus *b)
{
    if (!b) {
        return;
    }
    for (int i = 0; i < b->n_sinks; i++) {
        b->sinks[i]->destroy(b->sinks[i]);
    }
    checkpoint(b); /* a restart reads nothing before this */
    journal_close(b->journal);
    uv_timer_stop(&b->timer);
    /* freed once the loop has closed the timer */
    uv_close((uv_handle_t *)&b->timer, timer_closed);
}

void alert_bus_condition(struct alert_bus *b, int cam, const char *cond,
                         const char *detail, int64_t wall_ms)
{
    alert_life_condition(b->life, cam, cond, detail, wall_ms);
    tick(b);
}

void alert_bus_camera_online(struct alert_bus *b, int cam, bool online)
{
    const char *id = camera_id(b, cam);
    for (int i = 0; id && i < b->n_sinks; i++) {
        if (b->sinks[i]->camera_status) {
            b->sinks[i]->camera_status(b->sinks[i], id, online);
        }
    }
}

int alert_bus_ack(struct alert_bus *b, const char *id, const char *by,
                  const char *note, int64_t wall_ms)
{
    int ret = alert_life_ack(b->life, id, by, note, wall_ms);
    tick(b);
    return ret;
}

int alert_bus_close(struct alert_bus *b, const char *id, const char *by,
                    const char *note, int64_t wall_ms)
{
    int ret = alert_life_close(b->life, id, by, note, wall_ms);
    tick(b);
    return ret;
}

const struct alert *alert_bus_open(const struct alert_bus *b, int *n)
{
    return alert_life_open(b->life, n);
}

int alert_bus_open_count(const struct alert_bus *b)
{
    int n;
    alert_life_open(b->life, &n);
    return n;
}

int alert_bus_banner(const struct alert_bus *b, char lines[][96], int max)
{
    int n, k = 0;
    const struct alert *list = alert_life_open(b->life, &n);
    for (int i = n - 1; i >= 0 && k < max; i--) {
        const struct alert *a = &list[i];
        if (a->acked || a->cleared) {
            continue;
        }
        const char *cam = camera_id(b, a->camera);
        snprintf(lines[k++], 96, "%s %s",
                 cam ? b->cfg->cameras[a->camera].name : "WALL",
                 a->condition);
    }
    return k;
}

void alert_bus_journal_layout(const struct alert_bus *b,
                              struct journal_layout *out)
{
    journal_layout(b->journal, out);
}

/* The exec sink is listed only with a command. */
static bool listed(const struct alert_bus *b, int i)
{
    return b->sinks[i] != b->exec || sink_exec_argc(b->exec) > 0;
}

int alert_bus_sinks(const struct alert_bus *b)
{
    int n = 0;
    for (int i = 0; i < b->n_sinks; i++) {
        n += listed(b, i);
    }
    return n;
}

/* The i-th listed sink. */
static struct alert_sink *nth(const struct alert_bus *b, int k)
{
    for (int i = 0; i < b->n_sinks; i++) {
        if (listed(b, i) && k-- == 0) {
            return b->sinks[i];
        }
    }
    return NULL;
}

const char *alert_bus_sink_name(const struct alert_bus *b, int i)
{
    return nth(b, i)->name;
}

int alert_bus_sink_pending(const struct alert_bus *b, int i)
{
    struct alert_sink *s = nth(b, i);
    return s->pending(s);
}

unsigned long alert_bus_sink_dropped(const struct alert_bus *b, int i)
{
    struct alert_sink *s = nth(b, i);
    return s->dropped ? s->dropped(s) : 0;
}
