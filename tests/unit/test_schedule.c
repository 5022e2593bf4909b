/* Schedules on a fake clock: a simulated year of 2026 in Asia/Shanghai
 * with the example holiday calendar, DST in Europe/Berlin, windows across
 * midnight, first-match-wins, leap days, yearly RRULEs, merged holiday
 * runs, empty and malformed calendars, and operator overrides. */
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"
#include "sched/sched.h"
#include "sched/schedule.h"
#include "test.h"
#include "util/civil.h"
#include "util/tz.h"

static char tmpdir[] = "/tmp/vigil-sched-XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Load config text as if it were tmpdir/wall.yaml; NULL on errors, which
 * are copied into errbuf when given. */
static struct config *load(const char *text, char *errbuf, size_t errlen)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/wall.yaml", tmpdir);
    struct cfg_errors errs = { 0 };
    struct config *c = config_load(path, text, LAYOUTS_DIR, &errs);
    if (errbuf) {
        errbuf[0] = 0;
        for (size_t i = 0; i < errs.n; i++) {
            strncat(errbuf, errs.msgs[i], errlen - strlen(errbuf) - 2);
            strcat(errbuf, "\n");
        }
    } else {
        for (size_t i = 0; i < errs.n; i++) {
            fprintf(stderr, "  %s\n", errs.msgs[i]);
        }
    }
    cfg_errors_finish(&errs);
    return c;
}

/* UTC ms of a local time in the config's zone. */
static int64_t at(const struct config *c, int y, int mo, int d, int h,
                  int mi)
{
    return vtz_from_local(c->tz, civil_to_days(y, mo, d), h * 60 + mi) *
           1000;
}

static const char *plan_name(const struct config *c, int64_t t)
{
    return c->plans[schedule_plan_at(c, t, NULL)].name;
}

#define WALL(tz)                                                             \
    "wall:\n  timezone: " tz "\n  screens: [{id: main}]\n"                   \
    "cameras: [{id: a, url: x}, {id: b, url: x}, {id: c, url: x}]\n"
#define PLANS(...)                                                           \
    "plans:\n" __VA_ARGS__
#define PLAN(name, dwell)                                                    \
    "  " name ":\n    dwell: " dwell "\n    screens:\n      main:\n"         \
    "        - {layout: 1x1, tiles: [a]}\n"                                  \
    "        - {layout: 1x1, tiles: [b]}\n"                                  \
    "        - {layout: 1x1, tiles: [c]}\n"

static void year_2026_shanghai(void)
{
    char ics[512];
    snprintf(ics, sizeof(ics), "%s", EXAMPLES_DIR "/holidays-cn-2026.ics");
    char text[2048];
    snprintf(text, sizeof(text),
             WALL("Asia/Shanghai") PLANS(PLAN("holiday", "20s")
                                             PLAN("night", "10s")
                                                 PLAN("weekend", "10s")
                                                     PLAN("day", "15s"))
             "calendars:\n  ph:\n    ics: %s\n    dates: [2026-12-31]\n"
             "schedule:\n"
             "  - {plan: holiday, when: {calendar: ph, from_eve: '18:00'}}\n"
             "  - {plan: night, when: {time: '22:00-06:00'}}\n"
             "  - {plan: weekend, when: {weekdays: [sat, sun]}}\n"
             "  - {plan: day}\n",
             ics);
    struct config *c = load(text, NULL, 0);
    CHECK(c != NULL);
    if (!c) {
        return;
    }
    /* Walk the year's timeline: every stretch of the holiday plan runs
     * from 18:00 on an eve to 00:00 after a run's last day. */
    static const int expect[][2][5] = {
        { { 2025, 12, 31, 18, 0 }, { 2026, 1, 4, 0, 0 } },
        { { 2026, 2, 14, 18, 0 }, { 2026, 2, 24, 0, 0 } },
        { { 2026, 4, 3, 18, 0 }, { 2026, 4, 7, 0, 0 } },
        { { 2026, 4, 30, 18, 0 }, { 2026, 5, 6, 0, 0 } },
        { { 2026, 6, 18, 18, 0 }, { 2026, 6, 22, 0, 0 } },
        { { 2026, 9, 24, 18, 0 }, { 2026, 9, 28, 0, 0 } },
        { { 2026, 9, 30, 18, 0 }, { 2026, 10, 8, 0, 0 } },
        { { 2026, 12, 30, 18, 0 }, { 2027, 1, 1, 0, 0 } },
    };
    int64_t t = at(c, 2025, 12, 31, 0, 0), end = at(c, 2027, 1, 2, 0, 0);
    int n = 0, changes = 0;
    int64_t hol_start = -1;
    int prev = schedule_plan_at(c, t, NULL);
    while (t < end) {
        int64_t nx = schedule_next_change(c, t, end - t);
        if (nx == INT64_MAX) {
            break;
        }
        int p = schedule_plan_at(c, nx, NULL);
        CHECK(p != prev);
        changes++;
        if (!strcmp(c->plans[p].name, "holiday")) {
            hol_start = nx;
        } else if (!strcmp(c->plans[prev].name, "holiday") && n < 8) {
            const int *s = expect[n][0], *e = expect[n][1];
            CHECK_INT(hol_start, at(c, s[0], s[1], s[2], s[3], s[4]));
            CHECK_INT(nx, at(c, e[0], e[1], e[2], e[3], e[4]));
            n++;
        }
        prev = p;
        t = nx;
    }
    CHECK_INT(n, 8);
    /* Nights every day, weekends, 8 holiday stretches: 2 changes a day
     * except where a holiday or weekend night runs into the next. */
    fprintf(stderr, "  %d plan changes in the year\n", changes);
    CHECK(changes > 600);
    /* a Saturday afternoon, a Wednesday night after midnight, a Monday */
    CHECK_STR(plan_name(c, at(c, 2026, 3, 14, 15, 0)), "weekend");
    CHECK_STR(plan_name(c, at(c, 2026, 3, 11, 2, 0)), "night");
    CHECK_STR(plan_name(c, at(c, 2026, 3, 9, 10, 0)), "day");
    /* the eve before 18:00 is still an ordinary day; a holiday night is
     * the holiday plan (first match wins over the night rule) */
    CHECK_STR(plan_name(c, at(c, 2026, 9, 30, 17, 59)), "day");
    CHECK_STR(plan_name(c, at(c, 2026, 10, 3, 23, 0)), "holiday");
    /* the plan's stretch and epoch: since the eve, until the end */
    int64_t now = at(c, 2026, 10, 2, 12, 0);
    CHECK_INT(schedule_plan_since(c, now, SCHEDULE_HORIZON_MS),
              at(c, 2026, 9, 30, 18, 0));
    CHECK_INT(schedule_next_change(c, now, SCHEDULE_HORIZON_MS),
              at(c, 2026, 10, 8, 0, 0));
    config_unref(c);
}

static void dst_berlin(void)
{
    struct config *c = load(
        WALL("Europe/Berlin") PLANS(PLAN("night", "7s") PLAN("day", "10s"))
        "schedule:\n  - {plan: night, when: {time: '22:00-06:00'}}\n"
        "  - {plan: day}\n",
        NULL, 0);
    CHECK(c != NULL);
    if (!c) {
        return;
    }
    /* Spring forward, 2026-03-29 02:00 CET -> 03:00 CEST: the night that
     * began at 22:00 CET (21:00 UTC) ends at 06:00 CEST (04:00 UTC): one
     * hour shorter, and no change lost or doubled. */
    int64_t start = at(c, 2026, 3, 28, 22, 0);
    CHECK_INT(start, INT64_C(1774731600) * 1000); /* 21:00 UTC */
    int64_t endn = schedule_next_change(c, start, SCHEDULE_HORIZON_MS);
    CHECK_INT(endn, INT64_C(1774756800) * 1000); /* 04:00 UTC */
    CHECK_INT(endn - start, 7 * 3600 * 1000);
    /* Fall back, 2026-10-25 03:00 CEST -> 02:00 CET: 9 hours of night */
    start = schedule_next_change(c, at(c, 2026, 10, 24, 12, 0),
                                 SCHEDULE_HORIZON_MS);
    CHECK_INT(start, at(c, 2026, 10, 24, 22, 0));
    endn = schedule_next_change(c, start, SCHEDULE_HORIZON_MS);
    CHECK_INT(endn - start, 9 * 3600 * 1000);
    CHECK_INT(endn, at(c, 2026, 10, 25, 6, 0));
    /* Pages through the change: every page lasts exactly its dwell and the
     * sequence never skips or repeats. */
    struct sched_screen ss;
    int night = schedule_plan_at(c, start, NULL);
    sched_screen_build(c, night, 0, &ss);
    struct sched_view v;
    int last = -1, flips = 0;
    int64_t since = start;
    for (int64_t t = start; t < endn; t += 500) {
        sched_eval(&ss, start, t, NULL, &v);
        if (v.page != last) {
            if (last >= 0) {
                CHECK_INT(t - since, 7000);
                CHECK_INT(v.page, (last + 1) % 3);
            }
            since = t;
            last = v.page;
            flips++;
        }
    }
    CHECK_INT(flips, (int)((endn - start) / 7000) + 1);
    sched_screen_finish(&ss);
    /* local times inside the gap and the overlap */
    /* 02:30 on 03-29 does not exist: shifted forward to 03:30 CEST */
    CHECK_INT(at(c, 2026, 3, 29, 2, 30), INT64_C(1774747800) * 1000);
    /* 02:30 on 10-25 happens twice: the first, 02:30 CEST (00:30 UTC) */
    CHECK_INT(at(c, 2026, 10, 25, 2, 30), INT64_C(1792888200) * 1000);
    config_unref(c);
}

static void windows_weekdays_overlaps(void)
{
    struct config *c = load(
        WALL("UTC") PLANS(PLAN("fri-night", "5s") PLAN("late", "5s")
                              PLAN("xmas", "5s") PLAN("day", "5s"))
        "schedule:\n"
        "  - {plan: xmas, when: {dates: ['2026-12-24..2026-12-26']}}\n"
        "  - {plan: fri-night, when: {time: '22:00-06:00', weekdays: [fri]}}\n"
        "  - {plan: late, when: {time: '20:00-23:00'}}\n"
        "  - {plan: day}\n",
        NULL, 0);
    CHECK(c != NULL);
    if (!c) {
        return;
    }
    /* 2026-11-27 is a Friday */
    CHECK_STR(plan_name(c, at(c, 2026, 11, 27, 21, 59)), "late");
    CHECK_STR(plan_name(c, at(c, 2026, 11, 27, 22, 0)), "fri-night");
    /* after midnight the window still belongs to Friday */
    CHECK_STR(plan_name(c, at(c, 2026, 11, 28, 5, 59)), "fri-night");
    CHECK_STR(plan_name(c, at(c, 2026, 11, 28, 6, 0)), "day");
    /* Saturday 22:00 is not a Friday night: the next rule wins */
    CHECK_STR(plan_name(c, at(c, 2026, 11, 28, 22, 30)), "late");
    CHECK_STR(plan_name(c, at(c, 2026, 11, 28, 23, 0)), "day");
    /* a date range beats everything after it, even on a Friday night */
    CHECK_STR(plan_name(c, at(c, 2026, 12, 25, 23, 0)), "xmas");
    CHECK_STR(plan_name(c, at(c, 2026, 12, 26, 23, 59)), "xmas");
    CHECK_STR(plan_name(c, at(c, 2026, 12, 27, 0, 0)), "day");
    /* across the year end: 2027-01-01 is a Friday, but its first hours
     * belong to Thursday's window; its own night starts at 22:00 */
    CHECK_STR(plan_name(c, at(c, 2026, 12, 31, 23, 59)), "day");
    CHECK_STR(plan_name(c, at(c, 2027, 1, 1, 0, 0)), "day");
    CHECK_STR(plan_name(c, at(c, 2027, 1, 1, 22, 0)), "fri-night");
    CHECK_STR(plan_name(c, at(c, 2027, 1, 2, 3, 0)), "fri-night");
    config_unref(c);
}

static void leap_day(void)
{
    char err[1024];
    struct config *c = load(
        WALL("UTC") PLANS(PLAN("leap", "5s") PLAN("day", "5s"))
        "schedule:\n  - {plan: leap, when: {dates: [2028-02-29]}}\n"
        "  - {plan: day}\n",
        NULL, 0);
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(plan_name(c, at(c, 2028, 2, 28, 23, 59)), "day");
        CHECK_STR(plan_name(c, at(c, 2028, 2, 29, 0, 0)), "leap");
        CHECK_STR(plan_name(c, at(c, 2028, 3, 1, 0, 0)), "day");
        config_unref(c);
    }
    c = load(WALL("UTC") PLANS(PLAN("leap", "5s"))
             "schedule:\n  - {plan: leap, when: {dates: [2027-02-29]}}\n",
             err, sizeof(err));
    CHECK(c == NULL);
    CHECK(strstr(err, "'2027-02-29' is not a date") != NULL);
    config_unref(c);
}

#define ICS_HEAD "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
#define EVENT(start, end, extra)                                             \
    "BEGIN:VEVENT\r\nUID:" start "@t\r\nDTSTAMP:20260101T000000Z\r\n"        \
    "DTSTART;VALUE=DATE:" start "\r\nDTEND;VALUE=DATE:" end "\r\n" extra     \
    "SUMMARY:x\r\nEND:VEVENT\r\n"
#define ICS_TAIL "END:VCALENDAR\r\n"
#define CAL_CONFIG(file)                                                     \
    WALL("Asia/Shanghai") PLANS(PLAN("hol", "5s") PLAN("day", "5s"))         \
    "calendars:\n  c:\n    ics: " file "\n"                                  \
    "schedule:\n  - {plan: hol, when: {calendar: c, from_eve: '18:00'}}\n"   \
    "  - {plan: day}\n"

static void rrule_yearly(void)
{
    write_file("xmas.ics", ICS_HEAD EVENT("20251225", "20251226",
                                          "RRULE:FREQ=YEARLY\r\n") ICS_TAIL);
    struct config *c = load(CAL_CONFIG("xmas.ics"), NULL, 0);
    CHECK(c != NULL);
    if (!c) {
        return;
    }
    for (int y = 2025; y <= 2030; y++) {
        CHECK_STR(plan_name(c, at(c, y, 12, 24, 17, 59)), "day");
        CHECK_STR(plan_name(c, at(c, y, 12, 24, 18, 0)), "hol");
        CHECK_STR(plan_name(c, at(c, y, 12, 25, 23, 59)), "hol");
        CHECK_STR(plan_name(c, at(c, y, 12, 26, 0, 0)), "day");
    }
    config_unref(c);
}

static void back_to_back_and_timed(void)
{
    /* Jan 1-2 and Jan 3-4 are two events but one run; a timed event on
     * Jan 10 from 09:00 to 11:30 local. */
    write_file("b2b.ics",
               ICS_HEAD EVENT("20260101", "20260103", "")
                   EVENT("20260103", "20260105", "")
               "BEGIN:VEVENT\r\nUID:timed@t\r\nDTSTAMP:20260101T000000Z\r\n"
               "DTSTART;TZID=Asia/Shanghai:20260110T090000\r\n"
               "DTEND;TZID=Asia/Shanghai:20260110T113000\r\n"
               "END:VEVENT\r\n" ICS_TAIL);
    struct config *c = load(CAL_CONFIG("b2b.ics"), NULL, 0);
    CHECK(c != NULL);
    if (!c) {
        return;
    }
    int64_t s = at(c, 2025, 12, 31, 18, 0);
    CHECK_INT(schedule_next_change(c, at(c, 2025, 12, 31, 12, 0),
                                   SCHEDULE_HORIZON_MS),
              s);
    /* no change on the eve of the second event: one run until Jan 5 */
    CHECK_INT(schedule_next_change(c, s, SCHEDULE_HORIZON_MS),
              at(c, 2026, 1, 5, 0, 0));
    CHECK_STR(plan_name(c, at(c, 2026, 1, 10, 8, 59)), "day");
    CHECK_STR(plan_name(c, at(c, 2026, 1, 10, 9, 0)), "hol");
    CHECK_STR(plan_name(c, at(c, 2026, 1, 10, 11, 29)), "hol");
    CHECK_STR(plan_name(c, at(c, 2026, 1, 10, 11, 30)), "day");
    config_unref(c);
}

static void empty_and_malformed_calendars(void)
{
    write_file("empty.ics", ICS_HEAD ICS_TAIL);
    struct config *c = load(CAL_CONFIG("empty.ics"), NULL, 0);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(c->calendars[0].n_days, 0);
        CHECK_INT(schedule_next_change(c, at(c, 2026, 1, 1, 0, 0),
                                       SCHEDULE_HORIZON_MS),
                  INT64_MAX);
        config_unref(c);
    }
    char err[1024];
    write_file("bad.ics", ICS_HEAD
               "BEGIN:VEVENT\r\nUID:x@t\r\n"
               "DTSTART;VALUE=DATE:20261301\r\n"
               "END:VEVENT\r\n"
               "BEGIN:VEVENT\r\nUID:y@t\r\nTHIS LINE IS BROKEN\r\n"
               "DTSTART;VALUE=DATE:20260101\r\nEND:VEVENT\r\n"
               "BEGIN:VEVENT\r\n" ICS_TAIL);
    c = load(CAL_CONFIG("bad.ics"), err, sizeof(err));
    CHECK(c == NULL);
    CHECK(strstr(err, "/bad.ics:6:1: DTSTART is not a valid date") != NULL);
    CHECK(strstr(err, "/bad.ics:10:1: malformed line: THIS LINE") != NULL);
    CHECK(strstr(err, "/bad.ics:14:1: END:VCALENDAR does not close "
                      "BEGIN:VEVENT") != NULL);
    if (!strstr(err, "bad.ics:6:1")) {
        fprintf(stderr, "%s", err);
    }
    config_unref(c);
}

static void overrides(void)
{
    struct config *c = load(WALL("UTC") PLANS(PLAN("p", "10s"))
                            "schedule:\n  - {plan: p}\n",
                            NULL, 0);
    if (!c) {
        CHECK(0);
        return;
    }
    struct sched_screen ss;
    sched_screen_build(c, 0, 0, &ss);
    struct sched_overrides ov;
    sched_overrides_init(&ov);
    struct sched_view v;
    int64_t t = 990000; /* page 0 starts here (epoch 0, 30 s cycle) */
    sched_eval_overridden(&ss, 0, 0, t + 2000, &ov, c->layouts, NULL, &v);
    CHECK_INT(v.page, 0);
    /* next page: the view jumps to page 1 at once and page 1 lasts a full
     * dwell from now */
    ov.shift_ms[0] += sched_page_step(&ss, &v, t + 2000, +1);
    sched_eval_overridden(&ss, 0, 0, t + 2000, &ov, c->layouts, NULL, &v);
    CHECK_INT(v.page, 1);
    CHECK_INT(v.page_start_ms, t + 2000);
    CHECK_INT(v.next_change_ms, t + 12000);
    /* previous page: back to page 0 */
    ov.shift_ms[0] += sched_page_step(&ss, &v, t + 3000, -1);
    sched_eval_overridden(&ss, 0, 0, t + 3000, &ov, c->layouts, NULL, &v);
    CHECK_INT(v.page, 0);
    /* pause: the page stands still past its end, then resumes */
    ov.paused = true;
    ov.paused_at_ms = t + 3000;
    ov.pause_until_ms = t + 60000;
    sched_eval_overridden(&ss, 0, 0, t + 50000, &ov, c->layouts, NULL, &v);
    CHECK_INT(v.page, 0);
    CHECK(v.next_change_ms == INT64_MAX);
    CHECK_INT(sched_overrides_next_expiry(&ov), t + 60000);
    /* pin camera c into tile 0 for 5 s */
    ov.pins[ov.n_pins++] = (struct sched_pin){ 0, 0, 2, t + 55000 };
    sched_eval_overridden(&ss, 0, 0, t + 50000, &ov, c->layouts, NULL, &v);
    CHECK_INT(v.cams[0], 2);
    CHECK_INT(sched_overrides_next_expiry(&ov), t + 55000);
    CHECK_INT(sched_overrides_expire(&ov, t + 55000), 1);
    CHECK_INT(ov.n_pins, 0);
    CHECK_INT(sched_overrides_expire(&ov, t + 60000), 1);
    CHECK(!ov.paused);
    /* a camera full screen, then the screen in another layout */
    ov.full_layout = config_find_layout(c, "1x1");
    ov.fullscreen[0] = 1;
    sched_eval_overridden(&ss, 0, 0, t + 61000, &ov, c->layouts, NULL, &v);
    CHECK_INT(v.layout, ov.full_layout);
    CHECK_INT(v.n_tiles, 1);
    CHECK_INT(v.cams[0], 1);
    ov.fullscreen[0] = -1;
    ov.layout[0] = config_find_layout(c, "2x2");
    sched_eval_overridden(&ss, 0, 0, t + 61000, &ov, c->layouts, NULL, &v);
    CHECK_INT(v.n_tiles, 4);
    CHECK_INT(v.cams[1], -1);
    sched_screen_finish(&ss);
    config_unref(c);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(year_2026_shanghai);
    RUN(dst_berlin);
    RUN(windows_weekdays_overlaps);
    RUN(leap_day);
    RUN(rrule_yearly);
    RUN(back_to_back_and_timed);
    RUN(empty_and_malformed_calendars);
    RUN(overrides);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    CHECK_INT(system(cmd), 0);
    return test_done();
}
