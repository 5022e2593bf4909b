#include <string.h>

#include <libical/ical.h>

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
