/*
 * `vigil plan`: the schedule and the patrol evaluated at chosen instants,
 * printed for an administrator checking a holiday plan before the holiday.
 * Runs on the caller's thread; loads the config and touches nothing else.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "sched/sched.h"
#include "sched/schedule.h"
#include "util/log.h"
#include "util/tz.h"
#include "vigil/vigil.h"

static void describe_rule(const struct config *c, int rule, char *buf,
                          size_t size)
{
    if (rule < 0) {
        snprintf(buf, size, "no rule matches: the first plan");
        return;
    }
    const struct cfg_rule *r = &c->rules[rule];
    if (!r->has_when) {
        snprintf(buf, size, "rule %d (the default)", rule + 1);
        return;
    }
    const struct cfg_when *w = &r->when;
    size_t n = (size_t)snprintf(buf, size, "rule %d:", rule + 1);
    if (w->has_time && n < size) {
        n += (size_t)snprintf(buf + n, size - n, " time %02d:%02d-%02d:%02d",
                              w->time_from_min / 60, w->time_from_min % 60,
                              w->time_to_min / 60, w->time_to_min % 60);
    }
    if (w->weekdays && n < size) {
        static const char *const days[] = { "mon", "tue", "wed", "thu",
                                            "fri", "sat", "sun" };
        n += (size_t)snprintf(buf + n, size - n, " weekdays");
        for (int i = 0; i < 7 && n < size; i++) {
            if (w->weekdays & (1u << i)) {
                n += (size_t)snprintf(buf + n, size - n, " %s", days[i]);
            }
        }
    }
    if (w->n_date_ranges && n < size) {
        n += (size_t)snprintf(buf + n, size - n, " dates(%d)",
                              w->n_date_ranges);
    }
    if (w->calendar >= 0 && n < size) {
        n += (size_t)snprintf(buf + n, size - n, " calendar %s",
                              c->calendars[w->calendar].name);
        if (w->from_eve_min >= 0 && n < size) {
            snprintf(buf + n, size - n, " from_eve %02d:%02d",
                     w->from_eve_min / 60, w->from_eve_min % 60);
        }
    }
}

static void print_at(const struct config *c, int64_t t, FILE *out)
{
    char a[32], b[32], rule_s[256];
    int rule;
    int plan = schedule_plan_at(c, t, &rule);
    int64_t since = schedule_plan_since(c, t, SCHEDULE_HORIZON_MS);
    int64_t until = schedule_next_change(c, t, SCHEDULE_HORIZON_MS);
    vtz_format_local(c->tz, t, a, sizeof(a));
    fprintf(out, "at %s (%s)\n", a, vtz_name(c->tz));
    describe_rule(c, rule, rule_s, sizeof(rule_s));
    fprintf(out, "%s -> plan %s\n", rule_s, c->plans[plan].name);
    vtz_format_local(c->tz, since, a, sizeof(a));
    vtz_format_local(c->tz, until, b, sizeof(b));
    fprintf(out, "plan %s since %s, until %s\n", c->plans[plan].name,
            since == INT64_MIN ? "(the horizon)" : a, b);
    int64_t epoch = since == INT64_MIN ? 0 : since;
    int64_t next = until;
    for (int s = 0; s < c->n_screens; s++) {
        struct sched_screen ss;
        struct sched_view v;
        sched_screen_build(c, plan, s, &ss);
        sched_eval(&ss, epoch, t, NULL, &v);
        if (v.page < 0) {
            fprintf(out, "screen %s: blank\n", c->screens[s].id);
        } else {
            vtz_format_local(c->tz, v.page_start_ms, a, sizeof(a));
            vtz_format_local(c->tz, v.next_change_ms, b, sizeof(b));
            fprintf(out, "screen %s: page %d/%d (%s) from %s to %s:",
                    c->screens[s].id, v.page + 1, v.n_pages,
                    c->layouts[v.layout].name, a + 11,
                    v.next_change_ms == INT64_MAX ? "never" : b + 11);
            for (int i = 0; i < v.n_tiles; i++) {
                fprintf(out, " %s",
                        v.cams[i] >= 0 ? c->cameras[v.cams[i]].id : "-");
            }
            fputc('\n', out);
        }
        if (v.next_change_ms < next) {
            next = v.next_change_ms;
        }
        sched_screen_finish(&ss);
    }
    vtz_format_local(c->tz, next, a, sizeof(a));
    fprintf(out, "next change: %s%s\n", a,
            next == until && until != INT64_MAX ? " (plan)" : " (page)");
}

static void print_timeline(const struct config *c, int64_t from, int64_t to,
                           FILE *out)
{
    char a[32], rule_s[256];
    int rule;
    int plan = schedule_plan_at(c, from, &rule);
    vtz_format_local(c->tz, from, a, sizeof(a));
    describe_rule(c, rule, rule_s, sizeof(rule_s));
    fprintf(out, "%s  %-16s %s\n", a, c->plans[plan].name, rule_s);
    for (int64_t t = from; t < to;) {
        t = schedule_next_change(c, t, to - t);
        if (t == INT64_MAX || t >= to) {
            break;
        }
        plan = schedule_plan_at(c, t, &rule);
        vtz_format_local(c->tz, t, a, sizeof(a));
        describe_rule(c, rule, rule_s, sizeof(rule_s));
        fprintf(out, "%s  %-16s %s\n", a, c->plans[plan].name, rule_s);
    }
}

int vigil_plan_print(const char *path, const char *at, const char *from,
                     const char *to, FILE *out,
                     const struct vigil_settings *s)
{
    vlog_setup(s->log_level, s->log_cb, s->log_cookie);
    struct vlog *log = vlog_create(NULL, "config");
    struct config *c = config_load_file(path, log);
    int ret = c ? 0 : VIGIL_ECONFIG;
    int64_t t0 = 0, t1 = 0;
    if (c && at) {
        if ((ret = vtz_parse_local(c->tz, at, &t0)) < 0) {
            VLOG_ERR(log, "--at '%s': expected YYYY-MM-DD HH:MM", at);
        } else {
            print_at(c, t0, out);
        }
    } else if (c && from && to) {
        if (vtz_parse_local(c->tz, from, &t0) < 0 ||
            vtz_parse_local(c->tz, to, &t1) < 0 || t1 <= t0) {
            VLOG_ERR(log, "--from/--to: expected YYYY-MM-DD HH:MM, from "
                          "before to");
            ret = -EINVAL;
        } else {
            print_timeline(c, t0, t1, out);
        }
    } else if (c) {
        ret = -EINVAL;
    }
    config_unref(c);
    vlog_destroy(log);
    return ret;
}
