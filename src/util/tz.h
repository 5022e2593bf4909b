/*
 * Time zones (IANA names, from the system's zoneinfo through libical).
 * Loading reads files (do it at config time); conversions afterwards are
 * pure computations on the loaded rules. Not thread-safe: libical's zone
 * cache is shared, so conversions run on one thread (the loop thread, or
 * the CLI).
 */
#ifndef VIGIL_UTIL_TZ_H
#define VIGIL_UTIL_TZ_H

#include <stddef.h>
#include <stdint.h>

struct vtz;

/* "Asia/Shanghai", "UTC"... NULL when unknown. */
struct vtz *vtz_load(const char *name);
void vtz_free(struct vtz *z);
const char *vtz_name(const struct vtz *z);

/* UTC offset in seconds (east positive) at UTC second t. */
int vtz_offset(const struct vtz *z, int64_t t);

/* UTC second of local (day number, minute of day). A local time that a
 * DST gap skips is shifted forward by the gap (02:30 -> 03:30, as mktime
 * does); one that a DST overlap repeats maps to its first occurrence. */
int64_t vtz_from_local(const struct vtz *z, int32_t days, int minute);

/* Wall-clock ms as local "YYYY-MM-DD HH:MM:SS" in zone z; "never" for
 * INT64_MAX and INT64_MIN. */
void vtz_format_local(const struct vtz *z, int64_t t_ms, char *buf,
                      size_t size);

/* Parse local "YYYY-MM-DD HH:MM[:SS]" (or with a T between) in zone z.
 * Returns 0, or -EINVAL for a malformed or impossible time. */
int vtz_parse_local(const struct vtz *z, const char *s, int64_t *t_ms);

/* Wall-clock ms as RFC 3339 with milliseconds and z's UTC offset at that
 * instant ("2026-10-01T03:12:07.412+08:00"). */
void vtz_format_rfc3339(const struct vtz *z, int64_t t_ms, char *buf,
                        size_t size);

#endif
