/*
 * Civil dates as day numbers (days since 1970-01-01), after Howard
 * Hinnant's public-domain algorithms. Pure arithmetic, proleptic Gregorian.
 */
#ifndef VIGIL_UTIL_CIVIL_H
#define VIGIL_UTIL_CIVIL_H

#include <stdint.h>

struct civil {
    int year, month, day; /* month 1-12, day 1-31 */
};

int32_t civil_to_days(int year, int month, int day);
struct civil civil_from_days(int32_t days);
/* 0 = Monday ... 6 = Sunday */
int civil_weekday(int32_t days);
/* yyyymmdd <-> day number */
int32_t civil_ymd_to_days(int32_t ymd);
int32_t civil_days_to_ymd(int32_t days);

/* floor division for negative times */
static inline int64_t civil_floordiv(int64_t a, int64_t b)
{
    return a / b - ((a % b) != 0 && ((a < 0) != (b < 0)));
}

#endif
