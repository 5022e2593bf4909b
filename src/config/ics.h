/* iCalendar (RFC 5545) holiday files, read with libical. Private to
 * src/config. */
#ifndef VIGIL_CONFIG_ICS_H
#define VIGIL_CONFIG_ICS_H

#include "config/config.h"

struct vtz;

/*
 * Read the VEVENTs of `path` into cal: all-day events (DTSTART;VALUE=DATE,
 * DTEND exclusive, or DURATION, or one day) become days, timed events
 * become UTC spans; yearly and other RRULEs are expanded up to 2100.
 * Floating times are in tz. Errors name `display:line:1`. Returns the
 * number of errors added.
 */
int ics_load(const char *path, const char *display, const struct vtz *tz,
             struct cfg_calendar *cal, struct cfg_errors *errs);

/* Sort and deduplicate cal->days. */
void ics_days_finish(struct cfg_calendar *cal);

#endif
