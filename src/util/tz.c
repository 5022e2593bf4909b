#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libical/ical.h>

#include "util/civil.h"
#include "util/mem.h"
#include "util/tz.h"

struct vtz {
    char *name;
    icaltimezone *zone; /* owned by libical's builtin cache */
};

struct vtz *vtz_load(const char *name)
{
    icaltimezone *zone = !strcmp(name, "UTC")
                             ? icaltimezone_get_utc_timezone()
                             : icaltimezone_get_builtin_timezone(name);
    if (!zone) {
        return NULL;
    }
    struct vtz *z = xzalloc(sizeof(*z));
    z->name = xstrdup(name);
    z->zone = zone;
    return z;
}

void vtz_free(struct vtz *z)
{
    if (z) {
        free(z->name);
        free(z);
    }
}

const char *vtz_name(const struct vtz *z)
{
    return z->name;
}

int vtz_offset(const struct vtz *z, int64_t t)
{
    struct icaltimetype utc = icaltime_from_timet_with_zone(
        (time_t)t, 0, icaltimezone_get_utc_timezone());
    int is_daylight = 0;
    return icaltimezone_get_utc_offset_of_utc_time(z->zone, &utc,
                                                    &is_daylight);
}

int64_t vtz_from_local(const struct vtz *z, int32_t days, int minute)
{
    int64_t local = (int64_t)days * 86400 + (int64_t)minute * 60;
    int64_t rough = local - vtz_offset(z, local);
    /* The offsets in force well before and well after: they differ only
     * around a transition. */
    int64_t c1 = local - vtz_offset(z, rough - 6 * 3600);
    int64_t c2 = local - vtz_offset(z, rough + 6 * 3600);
    int v1 = c1 + vtz_offset(z, c1) == local;
    int v2 = c2 + vtz_offset(z, c2) == local;
    if (v1 && v2) {
        return c1 < c2 ? c1 : c2; /* overlap: the first occurrence */
    }
    if (v2) {
        return c2;
    }
    /* valid with the earlier offset, or in a gap: then c1 is the local
     * time shifted forward by the gap, as mktime() does */
    return c1;
}

/* Local broken-down time of UTC ms t. */
static void local_parts(const struct vtz *z, int64_t t_ms, struct civil *cv,
                        int *sec_of_day, int *off)
{
    int64_t secs = civil_floordiv(t_ms, 1000);
    *off = vtz_offset(z, secs);
    int64_t local_s = secs + *off;
    int32_t day = (int32_t)civil_floordiv(local_s, 86400);
    *sec_of_day = (int)(local_s - (int64_t)day * 86400);
    *cv = civil_from_days(day);
}

void vtz_format_local(const struct vtz *z, int64_t t_ms, char *buf,
                      size_t size)
{
    if (t_ms == INT64_MAX || t_ms == INT64_MIN) {
        snprintf(buf, size, "never");
        return;
    }
    struct civil cv;
    int sec, off;
    local_parts(z, t_ms, &cv, &sec, &off);
    snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d", cv.year, cv.month,
             cv.day, sec / 3600, sec / 60 % 60, sec % 60);
}

int vtz_parse_local(const struct vtz *z, const char *s, int64_t *t_ms)
{
    int y, mo, d, h, mi, sec = 0;
    char tail;
    int n = sscanf(s, "%d-%d-%d %d:%d:%d%c", &y, &mo, &d, &h, &mi, &sec,
                   &tail);
    if (n != 5 && n != 6) {
        n = sscanf(s, "%d-%d-%dT%d:%d:%d%c", &y, &mo, &d, &h, &mi, &sec,
                   &tail);
    }
    if ((n != 5 && n != 6) || mo < 1 || mo > 12 || d < 1 || d > 31 ||
        h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) {
        return -EINVAL;
    }
    int32_t day = civil_to_days(y, mo, d);
    *t_ms = (vtz_from_local(z, day, h * 60 + mi) + sec) * 1000;
    return 0;
}

void vtz_format_rfc3339(const struct vtz *z, int64_t t_ms, char *buf,
                        size_t size)
{
    struct civil cv;
    int sec, off;
    local_parts(z, t_ms, &cv, &sec, &off);
    int off_min = off / 60;
    char sign = off_min < 0 ? '-' : '+';
    off_min = off_min < 0 ? -off_min : off_min;
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d",
             cv.year, cv.month, cv.day, sec / 3600, sec / 60 % 60, sec % 60,
             (int)(t_ms - civil_floordiv(t_ms, 1000) * 1000), sign,
             off_min / 60, off_min % 60);
}
