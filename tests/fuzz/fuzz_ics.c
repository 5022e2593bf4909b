/* An iCalendar holiday file (RFC 5545, through libical), as a calendar of
 * the config imports it, evaluated by the schedule at a few instants. */
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "fuzz.h"
#include "sched/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *ics = fuzz_write("holidays.ics", data, size);
    char wall[1024];
    snprintf(wall, sizeof(wall),
             "wall: {timezone: Europe/Berlin, screens: [{id: main}]}\n"
             "cameras: [{id: a, url: 'rtsp://127.0.0.1/a'}]\n"
             "plans: {p: {screens: {main: [{layout: 1x1, tiles: [a]}]}},\n"
             "        q: {screens: {main: [{layout: 1x1, tiles: [a]}]}}}\n"
             "calendars: {h: {ics: '%s'}}\n"
             "schedule: [{plan: q, when: {calendar: h, from_eve: '18:00'}},"
             " {plan: p}]\n",
             ics);
    struct cfg_errors errs = { 0 };
    struct config *c = config_load("wall.yaml", wall, LAYOUTS_DIR, &errs);
    /* the schedule over the calendar: 2026-12-24 12:00 UTC, a year on */
    for (int64_t t = 1798113600000LL; c && t < 1829649600000LL;
         t += 37 * 86400000LL) {
        int rule;
        schedule_plan_at(c, t, &rule);
        schedule_next_change(c, t, 8 * 86400000LL);
    }
    config_unref(c);
    cfg_errors_finish(&errs);
    return 0;
}
