/* Civil (wall-clock) time without a zone, as plain arithmetic.
 *
 * The planner works in civil time: for a timestamptz key the catalog reader
 * converts bounds and "now" into the policy's zone on the server, and bound
 * literals are written back as 'YYYY-MM-DD HH:MM:SS <zone>', so PostgreSQL
 * itself resolves DST. Here a civil time is seconds since 1970-01-01 00:00:00
 * on the proleptic Gregorian calendar, as if every day had 86400 seconds. */
#ifndef PGSTRATA_CIVIL_H
#define PGSTRATA_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

#define CIVIL_DAY 86400LL

typedef struct CivilFields {
    int year;   /* 1..9999 accepted by civil_parse */
    int month;  /* 1..12 */
    int day;    /* 1..31 */
    int hour;   /* 0..23 */
    int minute; /* 0..59 */
    int second; /* 0..59 */
} CivilFields;

/* Division rounding toward negative infinity; b > 0. */
int64_t floor_div(int64_t a, int64_t b);

int64_t civil_from_fields(const CivilFields *f);
void civil_to_fields(int64_t t, CivilFields *f);
/* Days since 1970-01-01 (floor), and day of week with Monday = 0. */
int64_t civil_day_number(int64_t t);
int civil_weekday(int64_t t);

/* Accepts 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM', 'YYYY-MM-DD HH:MM:SS' with an
 * optional fraction (dropped) and 'T' instead of the space. Anything else,
 * or an impossible date such as 2026-02-30, returns false. */
bool civil_parse(const char *text, int64_t *out);
/* 'YYYY-MM-DD HH:MM:SS' (with_time) or 'YYYY-MM-DD'. buf holds 32 bytes. */
void civil_format(int64_t t, bool with_time, char buf[32]);

/* t + months, with the day clamped to the month's last day (Jan 31 + 1 month
 * = Feb 28/29), as PostgreSQL does. months may be negative. */
int64_t civil_add_months(int64_t t, int64_t months);

#endif
