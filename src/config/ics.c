/*
 * iCalendar reader. libical parses each content line (property name,
 * parameters, value); this file only follows the BEGIN/END structure, so
 * it knows the physical line of every property and can name it in errors.
 * Lines are unfolded per RFC 5545 3.1 (a line starting with a space or tab
 * continues the previous one).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>

#include "config/ics.h"
#include "util/civil.h"
#include "util/mem.h"
#include "util/tz.h"

#define HORIZON_YEAR 2100
#define MAX_OCCURRENCES 5000

struct prop {
    icalproperty *p;
    int line;
};

struct event {
    int line; /* BEGIN:VEVENT */
    struct prop dtstart, dtend, duration, rrule;
};

struct reader {
    const char *display;
    const struct vtz *tz;
    struct cfg_calendar *cal;
    struct cfg_errors *errs;
    int n_errors;
};

static void err(struct reader *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err(struct reader *r, int line, const char *fmt, ...)
{
    char msg[256];
    va_list va;
    va_start(va, fmt);
    vsnprintf(msg, sizeof(msg), fmt, va);
    va_end(va);
    cfg_errors_add(r->errs, "%s:%d:1: %s", r->display, line, msg);
    r->n_errors++;
}

static void add_day(struct cfg_calendar *cal, int32_t day, size_t *cap)
{
    XGROW(cal->days, *cap, (size_t)cal->n_days + 1);
    cal->days[cal->n_days++] = day;
}

static bool valid_date(struct icaltimetype t)
{
    static const int mdays[] = { 31, 29, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31 };
    if (t.month < 1 || t.month > 12 || t.day < 1 ||
        t.day > mdays[t.month - 1] || t.year < 1900 || t.year > 2200) {
        return false;
    }
    if (t.month == 2 && t.day == 29 && icaltime_days_in_month(2, t.year) < 29) {
        return false;
    }
    return t.is_date ||
           (t.hour >= 0 && t.hour < 24 && t.minute >= 0 && t.minute < 60 &&
            t.second >= 0 && t.second <= 60);
}

static int32_t day_of(struct icaltimetype t)
{
    return civil_to_days(t.year, t.month, t.day);
}

/* UTC seconds of a date-time property value. */
static int64_t utc_of(struct reader *r, struct prop *pr, struct icaltimetype t)
{
    icalparameter *tzp =
        icalproperty_get_first_parameter(pr->p, ICAL_TZID_PARAMETER);
    icaltimezone *zone = NULL;
    if (tzp) {
        zone = icaltimezone_get_builtin_timezone(icalparameter_get_tzid(tzp));
        if (!zone) {
            err(r, pr->line, "unknown TZID '%s'", icalparameter_get_tzid(tzp));
        }
    }
    if (icaltime_is_utc(t)) {
        zone = icaltimezone_get_utc_timezone();
    }
    if (zone) {
        return (int64_t)icaltime_as_timet_with_zone(t, zone);
    }
    /* floating: the wall's own time zone */
    return vtz_from_local(r->tz, day_of(t), t.hour * 60 + t.minute) +
           t.second;
}

static void add_occurrence(struct reader *r, struct event *ev,
                           struct icaltimetype start, int64_t len_days,
                           int64_t len_s, size_t *cap_days,
                           size_t *cap_spans)
{
    struct cfg_calendar *cal = r->cal;
    if (start.is_date) {
        for (int64_t d = 0; d < len_days && d < 366; d++) {
            add_day(cal, day_of(start) + (int32_t)d, cap_days);
        }
        return;
    }
    int64_t s = utc_of(r, &ev->dtstart, start);
    if ((size_t)cal->n_spans + 1 > *cap_spans) {
        *cap_spans = *cap_spans ? *cap_spans * 2 : 8;
        cal->span_from = xrealloc(cal->span_from,
                                  sizeof(int64_t) * *cap_spans);
        cal->span_to = xrealloc(cal->span_to, sizeof(int64_t) * *cap_spans);
    }
    cal->span_from[cal->n_spans] = s * 1000;
    cal->span_to[cal->n_spans] = (s + len_s) * 1000;
    cal->n_spans++;
}

static void expand(struct reader *r, struct event *ev, size_t *cap_days,
                   size_t *cap_spans)
{
    if (!ev->dtstart.p) {
        err(r, ev->line, "VEVENT without DTSTART");
        return;
    }
    struct icaltimetype start = icalproperty_get_dtstart(ev->dtstart.p);
    if (!valid_date(start)) {
        err(r, ev->dtstart.line, "DTSTART is not a valid date or time");
        return;
    }
    int64_t len_days = 1, len_s = 0;
    if (ev->dtend.p) {
        struct icaltimetype end = icalproperty_get_dtend(ev->dtend.p);
        if (!valid_date(end) || end.is_date != start.is_date) {
            err(r, ev->dtend.line, "DTEND is not a valid %s",
                start.is_date ? "date" : "date-time");
            return;
        }
        if (start.is_date) {
            len_days = day_of(end) - day_of(start);
        } else {
            len_s = utc_of(r, &ev->dtend, end) - utc_of(r, &ev->dtstart,
                                                       start);
        }
        if (len_days <= 0 || (!start.is_date && len_s <= 0)) {
            err(r, ev->dtend.line, "DTEND is not after DTSTART");
            return;
        }
    } else if (ev->duration.p) {
        struct icaldurationtype d = icalproperty_get_duration(ev->duration.p);
        int secs = icaldurationtype_as_int(d);
        if (secs <= 0) {
            err(r, ev->duration.line, "DURATION must be positive");
            return;
        }
        len_days = (secs + 86399) / 86400;
        len_s = secs;
    } else if (!start.is_date) {
        len_s = 1; /* a timed event without end is an instant */
    }
    if (!ev->rrule.p) {
        add_occurrence(r, ev, start, len_days, len_s, cap_days, cap_spans);
        return;
    }
    struct icalrecurrencetype rule = icalproperty_get_rrule(ev->rrule.p);
    icalrecur_iterator *it = icalrecur_iterator_new(rule, start);
    if (!it) {
        err(r, ev->rrule.line, "RRULE cannot be expanded");
        return;
    }
    struct icaltimetype occ;
    for (int n = 0; n < MAX_OCCURRENCES; n++) {
        occ = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(occ) || occ.year > HORIZON_YEAR) {
            break;
        }
        add_occurrence(r, ev, occ, len_days, len_s, cap_days, cap_spans);
    }
    icalrecur_iterator_free(it);
}

static void event_clear(struct event *ev)
{
    struct prop *ps[] = { &ev->dtstart, &ev->dtend, &ev->duration,
                          &ev->rrule };
    for (size_t i = 0; i < 4; i++) {
        if (ps[i]->p) {
            icalproperty_free(ps[i]->p);
        }
    }
    memset(ev, 0, sizeof(*ev));
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 >= cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Handle one unfolded content line that started at physical `line`. */
static void content_line(struct reader *r, char *text, int line,
                         char stack[][32], int *depth, struct event *ev,
                         size_t *cap_days, size_t *cap_spans)
{
    if (!*text) {
        return;
    }
    if (!strncasecmp(text, "BEGIN:", 6)) {
        if (*depth >= 8) {
            err(r, line, "components nested too deeply");
            return;
        }
        snprintf(stack[(*depth)++], 32, "%s", text + 6);
        if (!strcasecmp(text + 6, "VEVENT")) {
            event_clear(ev);
            ev->line = line;
        }
        return;
    }
    if (!strncasecmp(text, "END:", 4)) {
        if (!*depth || strcasecmp(stack[*depth - 1], text + 4)) {
            err(r, line, "END:%s does not close BEGIN:%s", text + 4,
                *depth ? stack[*depth - 1] : "(nothing)");
            return;
        }
        (*depth)--;
        if (!strcasecmp(text + 4, "VEVENT")) {
            expand(r, ev, cap_days, cap_spans);
            event_clear(ev);
        }
        return;
    }
    icalproperty *p = icalproperty_new_from_string(text);
    if (!p) {
        err(r, line, "malformed line: %.40s", text);
        return;
    }
    bool in_event = *depth && !strcasecmp(stack[*depth - 1], "VEVENT");
    struct prop *slot = NULL;
    switch (in_event ? icalproperty_isa(p) : ICAL_NO_PROPERTY) {
    case ICAL_DTSTART_PROPERTY: slot = &ev->dtstart; break;
    case ICAL_DTEND_PROPERTY: slot = &ev->dtend; break;
    case ICAL_DURATION_PROPERTY: slot = &ev->duration; break;
    case ICAL_RRULE_PROPERTY: slot = &ev->rrule; break;
    default: break;
    }
    if (slot && !slot->p) {
        slot->p = p;
        slot->line = line;
    } else {
        icalproperty_free(p);
    }
}

int ics_load(const char *path, const char *display, const struct vtz *tz,
             struct cfg_calendar *cal, struct cfg_errors *errs)
{
    struct reader r = { display, tz, cal, errs, 0 };
    size_t len;
    char *buf = read_file(path, &len);
    if (!buf) {
        cfg_errors_add(errs, "%s:1:1: cannot read: %s", display,
                       strerror(errno));
        return 1;
    }
    size_t cap_days = (size_t)cal->n_days, cap_spans = 0;
    char stack[8][32];
    int depth = 0, line = 0, start_line = 0;
    struct event ev = { 0 };
    char *logical = xmalloc(len + 1);
    size_t ll = 0;
    for (char *p = buf; p < buf + len;) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        char *end = nl ? nl : buf + len;
        size_t n = (size_t)(end - p);
        if (n && p[n - 1] == '\r') {
            n--;
        }
        line++;
        if (n && (p[0] == ' ' || p[0] == '\t') && ll) {
            memcpy(logical + ll, p + 1, n - 1); /* folded continuation */
            ll += n - 1;
        } else {
            logical[ll] = 0;
            content_line(&r, logical, start_line, stack, &depth, &ev,
                         &cap_days, &cap_spans);
            memcpy(logical, p, n);
            ll = n;
            start_line = line;
        }
        p = nl ? nl + 1 : buf + len;
    }
    logical[ll] = 0;
    content_line(&r, logical, start_line, stack, &depth, &ev, &cap_days,
                 &cap_spans);
    if (depth) {
        err(&r, line, "BEGIN:%s is never closed", stack[depth - 1]);
    } else if (!line) {
        err(&r, 1, "the file is empty");
    }
    event_clear(&ev);
    free(logical);
    free(buf);
    ics_days_finish(cal);
    return r.n_errors;
}

static int cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

void ics_days_finish(struct cfg_calendar *cal)
{
    if (!cal->n_days) {
        return;
    }
    qsort(cal->days, (size_t)cal->n_days, sizeof(int32_t), cmp_day);
    int n = 1;
    for (int i = 1; i < cal->n_days; i++) {
        if (cal->days[i] != cal->days[n - 1]) {
            cal->days[n++] = cal->days[i];
        }
    }
    cal->n_days = n;
}
