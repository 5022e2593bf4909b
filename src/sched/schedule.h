/*
 * Which plan runs when: the config's schedule rules evaluated at a UTC
 * instant in the wall's time zone. Pure: the instant is an argument (zone
 * rules are loaded with the config).
 *
 * Rules are tried in order and the first that matches wins; a rule without
 * `when` always matches. A rule's conditions all have to hold:
 *   - time "A-B": local time in [A, B); a window with A > B crosses
 *     midnight, and its after-midnight part belongs to the day it started
 *     on (for weekdays and dates);
 *   - weekdays, dates: of that day;
 *   - calendar: the local day is a holiday, or a timed event is on; with
 *     from_eve "HH:MM" the rule also holds from HH:MM on the day before
 *     each run of consecutive holidays (so it runs uninterrupted from the
 *     eve to the end of the run's last day).
 * Everything changes on whole local minutes, so the timeline is found by
 * stepping minutes.
 */
#ifndef VIGIL_SCHED_SCHEDULE_H
#define VIGIL_SCHED_SCHEDULE_H

#include <stdint.h>

#include "config/config.h"

#define SCHEDULE_HORIZON_MS (INT64_C(400) * 86400 * 1000)

/* Rule matching at t (ms); *rule receives its index (-1: none, the first
 * plan is used). Returns the plan index. */
int schedule_plan_at(const struct config *c, int64_t t_ms, int *rule);

/* First instant after t_ms (a whole minute) at which the plan differs from
 * the one at t_ms, searching up to horizon_ms ahead; INT64_MAX if none. */
int64_t schedule_next_change(const struct config *c, int64_t t_ms,
                             int64_t horizon_ms);

/* Instant (a whole minute) at which the plan running at t_ms took over,
 * searching up to horizon_ms back; INT64_MIN if it ran all that time. */
int64_t schedule_plan_since(const struct config *c, int64_t t_ms,
                            int64_t horizon_ms);

#endif
