#include "util/civil.h"

int32_t civil_to_days(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct civil civil_from_days(int32_t z)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp + (mp < 10 ? 3 : -9);
    return (struct civil){ y + (m <= 2), m, d };
}

int civil_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0) */
    int w = (int)((days % 7 + 7 + 3) % 7);
    return w;
}

int32_t civil_ymd_to_days(int32_t ymd)
{
    return civil_to_days(ymd / 10000, ymd / 100 % 100, ymd % 100);
}

int32_t civil_days_to_ymd(int32_t days)
{
    struct civil c = civil_from_days(days);
    return c.year * 10000 + c.month * 100 + c.day;
}
