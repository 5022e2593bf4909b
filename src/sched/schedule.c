/*
 * Schedule evaluation. The zone offset is looked up once per quarter hour
 * of UTC (every zone's transitions fall on quarter hours), so stepping a
 * year minute by minute costs arithmetic, not zone lookups.
 */
#include <stdbool.h>

#include "sched/schedule.h"
#include "util/civil.h"
#include "util/tz.h"

#define MINUTE_MS INT64_C(60000)
#define QUARTER_MS (15 * MINUTE_MS)

struct local_clock {
    const struct vtz *tz;
    int64_t block;      /* quarter-hour block whose offset is cached */
    int offset_s;
};

struct local_time {
    int32_t day;
    int minute;
};

static struct local_time to_local(struct local_clock *lc, int64_t t_ms)
{
    int64_t block = civil_floordiv(t_ms, QUARTER_MS);
    if (block != lc->block) {
        lc->block = block;
        lc->offset_s = vtz_offset(lc->tz, civil_floordiv(t_ms, 1000));
    }
    int64_t local_min = civil_floordiv(t_ms + lc->offset_s * INT64_C(1000),
                                       MINUTE_MS);
    struct local_time lt;
    lt.day = (int32_t)civil_floordiv(local_min, 1440);
    lt.minute = (int)(local_min - (int64_t)lt.day * 1440);
    return lt;
}

static bool is_holiday(const struct cfg_calendar *cal, int32_t day)
{
    int lo = 0, hi = cal->n_days - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (cal->days[mid] == day) {
            return true;
        }
        if (cal->days[mid] < day) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return false;
}

static bool calendar_on(const struct cfg_calendar *cal,
                        const struct cfg_when *w, int64_t t_ms,
                        struct local_time lt)
{
    if (is_holiday(cal, lt.day)) {
        return true;
    }
    /* the eve of a run: tomorrow starts one, today is not part of it */
    if (w->from_eve_min >= 0 && lt.minute >= w->from_eve_min &&
        is_holiday(cal, lt.day + 1)) {
        return true;
    }
    for (int i = 0; i < cal->n_spans; i++) {
        if (t_ms >= cal->span_from[i] && t_ms < cal->span_to[i]) {
            return true;
        }
    }
    return false;
}

static bool rule_matches(const struct config *c, const struct cfg_rule *r,
                         int64_t t_ms, struct local_time lt)
{
    if (!r->has_when) {
        return true;
    }
    const struct cfg_when *w = &r->when;
    int32_t day = lt.day; /* the day the time window started on */
    if (w->has_time) {
        int a = w->time_from_min, b = w->time_to_min, m = lt.minute;
        if (a < b) {
            if (m < a || m >= b) {
                return false;
            }
        } else if (a > b) {
            if (m < b) {
                day--;
            } else if (m < a) {
                return false;
            }
        }
        /* a == b: the whole day */
    }
    if (w->weekdays && !(w->weekdays & (1u << civil_weekday(day)))) {
        return false;
    }
    if (w->n_date_ranges) {
        bool in = false;
        for (int i = 0; i < w->n_date_ranges && !in; i++) {
            in = day >= w->date_from[i] && day <= w->date_to[i];
        }
        if (!in) {
            return false;
        }
    }
    if (w->calendar >= 0 &&
        !calendar_on(&c->calendars[w->calendar], w, t_ms, lt)) {
        return false;
    }
    return true;
}

static int plan_at(const struct config *c, struct local_clock *lc,
                   int64_t t_ms, int *rule)
{
    struct local_time lt = to_local(lc, t_ms);
    for (int i = 0; i < c->n_rules; i++) {
        if (c->rules[i].plan >= 0 && rule_matches(c, &c->rules[i], t_ms, lt)) {
            if (rule) {
                *rule = i;
            }
            return c->rules[i].plan;
        }
    }
    if (rule) {
        *rule = -1;
    }
    return c->n_plans ? 0 : -1;
}

static struct local_clock clock_for(const struct config *c)
{
    return (struct local_clock){ c->tz, INT64_MIN, 0 };
}

int schedule_plan_at(const struct config *c, int64_t t_ms, int *rule)
{
    struct local_clock lc = clock_for(c);
    return plan_at(c, &lc, t_ms, rule);
}

int64_t schedule_next_change(const struct config *c, int64_t t_ms,
                             int64_t horizon_ms)
{
    struct local_clock lc = clock_for(c);
    int now = plan_at(c, &lc, t_ms, NULL);
    int64_t t = (civil_floordiv(t_ms, MINUTE_MS) + 1) * MINUTE_MS;
    for (; t <= t_ms + horizon_ms; t += MINUTE_MS) {
        if (plan_at(c, &lc, t, NULL) != now) {
            return t;
        }
    }
    return INT64_MAX;
}

int64_t schedule_plan_since(const struct config *c, int64_t t_ms,
                            int64_t horizon_ms)
{
    struct local_clock lc = clock_for(c);
    int now = plan_at(c, &lc, t_ms, NULL);
    int64_t t = civil_floordiv(t_ms, MINUTE_MS) * MINUTE_MS;
    for (; t >= t_ms - horizon_ms; t -= MINUTE_MS) {
        if (plan_at(c, &lc, t - MINUTE_MS, NULL) != now) {
            return t;
        }
    }
    return INT64_MIN;
}
