#include "core/civil.h"

#include <limits.h>
#include <stdio.h>

int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && a < 0)
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && is_leap(y))
        return 29;
    return len[m - 1];
}

/* Days from 1970-01-01 to y-m-d (m in 1..12, d may run past the month).
 *
 * The year is shifted to start on March 1, so the leap day is the last day of
 * the shifted year and the month lengths Mar..Feb follow the pattern that
 * (153 * mp + 2) / 5 produces. Years are grouped in 400-year eras of 146097
 * days, which makes the computation exact for any year, also before 1970. */
static int64_t days_from_civil(int64_t y, int m, int64_t d)
{
    if (m <= 2)
        y--;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400; /* 0..399 */
    int64_t mp = (m + 9) % 12;   /* March = 0 .. February = 11 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    /* 719468 = days from 0000-03-01 to 1970-01-01 */
    return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097; /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

/* Splits t into a date and the seconds into the day (0..86399). */
static void split(int64_t t, int64_t *y, int *m, int *d, int64_t *sod)
{
    int64_t days = floor_div(t, CIVIL_DAY);
    *sod = t - days * CIVIL_DAY;
    civil_from_days(days, y, m, d);
}

int64_t civil_from_fields(const CivilFields *f)
{
    /* Normalise an out-of-range month into the year; days, hours, minutes
     * and seconds simply add up. */
    int64_t idx = (int64_t)f->year * 12 + (f->month - 1);
    int64_t y = floor_div(idx, 12);
    int m = (int)floor_mod(idx, 12) + 1;
    int64_t days = days_from_civil(y, m, 1) + ((int64_t)f->day - 1);
    return days * CIVIL_DAY + (int64_t)f->hour * 3600 + (int64_t)f->minute * 60 + f->second;
}

void civil_to_fields(int64_t t, CivilFields *f)
{
    int64_t y, sod;
    int m, d;
    split(t, &y, &m, &d, &sod);
    f->year = y > INT_MAX ? INT_MAX : y < INT_MIN ? INT_MIN : (int)y;
    f->month = m;
    f->day = d;
    f->hour = (int)(sod / 3600);
    f->minute = (int)(sod / 60 % 60);
    f->second = (int)(sod % 60);
}

int64_t civil_day_number(int64_t t)
{
    return floor_div(t, CIVIL_DAY);
}

int civil_weekday(int64_t t)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    return (int)floor_mod(civil_day_number(t) + 3, 7);
}

/* Reads exactly n digits. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

bool civil_parse(const char *text, int64_t *out)
{
    CivilFields f = {0, 0, 0, 0, 0, 0};
    const char *p = text;

    if (!text)
        return false;
    if (!digits(&p, 4, &f.year) || *p++ != '-' || !digits(&p, 2, &f.month) || *p++ != '-' ||
        !digits(&p, 2, &f.day))
        return false;
    if (*p == ' ' || *p == 'T') {
        p++;
        if (!digits(&p, 2, &f.hour) || *p++ != ':' || !digits(&p, 2, &f.minute))
            return false;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &f.second))
                return false;
            if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                    return false;
                while (*p >= '0' && *p <= '9')
                    p++;
            }
        }
    }
    if (*p != '\0')
        return false;
    if (f.year < 1 || f.year > 9999 || f.month < 1 || f.month > 12 || f.day < 1 ||
        f.day > days_in_month(f.year, f.month) || f.hour > 23 || f.minute > 59 || f.second > 59)
        return false;
    *out = civil_from_fields(&f);
    return true;
}

void civil_format(int64_t t, bool with_time, char buf[32])
{
    int64_t y, sod;
    int m, d;
    split(t, &y, &m, &d, &sod);
    /* Years outside 0..9999 only arise from values no parser produces; they
     * still print, just wider (at most 12 digits and a sign). */
    long long yy = (long long)y;
    if (with_time)
        snprintf(buf, 32, "%04lld-%02d-%02d %02d:%02d:%02d", yy, m, d, (int)(sod / 3600),
                 (int)(sod / 60 % 60), (int)(sod % 60));
    else
        snprintf(buf, 32, "%04lld-%02d-%02d", yy, m, d);
}

int64_t civil_add_months(int64_t t, int64_t months)
{
    int64_t y, sod;
    int m, d;
    split(t, &y, &m, &d, &sod);
    int64_t idx = y * 12 + (m - 1) + months;
    y = floor_div(idx, 12);
    m = (int)floor_mod(idx, 12) + 1;
    int dim = days_in_month(y, m);
    if (d > dim)
        d = dim;
    return days_from_civil(y, m, d) * CIVIL_DAY + sod;
}
