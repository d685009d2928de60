/* Partition intervals, durations, and the grid of aligned bounds.
 *
 * A key value is an int64 in "key space": civil seconds (core/civil.h) for
 * timestamptz, timestamp and date keys; the value itself for integer and
 * bigint keys. */
#ifndef PGSTRATA_INTERVAL_H
#define PGSTRATA_INTERVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum KeyType {
    KEY_TIMESTAMPTZ,
    KEY_TIMESTAMP,
    KEY_DATE,
    KEY_INTEGER,
    KEY_BIGINT,
} KeyType;

/* Maps a PostgreSQL type name (format_type output: "timestamp with time zone",
 * "timestamp without time zone", "date", "integer", "bigint") to KeyType. */
bool key_type_from_pg(const char *pg_type, KeyType *out);
/* "timestamptz", "timestamp", "date", "integer", "bigint" */
const char *key_type_name(KeyType t);
bool key_type_is_time(KeyType t);

typedef enum IntervalUnit {
    UNIT_MINUTE, /* sub-day: 15 minutes, 2 hours (= 120 minutes) */
    UNIT_DAY,
    UNIT_WEEK,    /* ISO weeks, starting Monday */
    UNIT_MONTH,   /* quarters = 3 months, years = 12 months */
    UNIT_NUMERIC, /* integer keys */
} IntervalUnit;

typedef struct PartInterval {
    IntervalUnit unit;
    int64_t count; /* > 0 */
} PartInterval;

/* Parses what a user types for --interval:
 *   "15 minutes", "1 minute", "2 hours", "hour", "1 day", "daily", "2 weeks",
 *   "week", "weekly", "1 month", "monthly", "quarter", "1 quarter",
 *   "quarterly", "2 quarters", "1 year", "yearly", "annually", "2 years",
 *   "hourly", and a bare positive integer "100000" (numeric).
 * Units are case-insensitive, singular or plural; extra spaces allowed.
 * Minutes must divide a day evenly (1, 5, 15, 30, 60, 120, ... 720); hours are
 * 60-minute multiples with the same rule ("24 hours" reads as "1 day"); counts
 * of a unit are 1..10000; a bare number is any positive bigint.
 * On failure writes a one-line reason (no trailing period) into err. */
bool interval_parse(const char *text, PartInterval *out, char *err, size_t errlen);
/* Canonical text that interval_parse reads back to the same value:
 * minutes print as hours when divisible by 60 ("15 minutes", "1 hour",
 * "2 hours"); "1 day", "3 days", "1 week", "2 weeks"; months print as years
 * when divisible by 12 ("1 year", "2 years"), 3 months as "1 quarter",
 * otherwise "1 month", "6 months"; numeric prints the number.
 * buf holds 48 bytes. */
void interval_format(const PartInterval *iv, char buf[48]);
/* Whether the interval suits the key type: numeric only for integer/bigint;
 * time units only for time keys; sub-day units not for date keys. On false,
 * err says why, e.g. "interval \"1 hour\" is shorter than a day, which a date column
 * cannot hold". */
bool interval_fits_key(const PartInterval *iv, KeyType key, char *err, size_t errlen);

/* The grid: aligned partition bounds.
 *   UNIT_MINUTE: multiples of count*60 seconds since 1970-01-01 00:00
 *   UNIT_DAY:    multiples of count days since 1970-01-01
 *   UNIT_WEEK:   multiples of count weeks since Monday 1969-12-29
 *   UNIT_MONTH:  month index (year*12 + month-1) a multiple of count, day 1
 *   UNIT_NUMERIC: multiples of count (floor, also for negative values) */
int64_t grid_floor(const PartInterval *iv, int64_t v);
/* The grid point after grid_floor(v): the upper bound of v's cell. */
int64_t grid_next(const PartInterval *iv, int64_t v);

/* A span of time with PostgreSQL's interval parts, for --retention,
 * --premake (as a duration) and --drop-delay. */
typedef struct Duration {
    int64_t months;
    int64_t days;
    int64_t seconds;
} Duration;

/* Parses "90 days", "1 year", "6 months", "36 hours", "2 weeks", "1 year 6
 * months", "30 minutes", "45 seconds", "1 quarter", and "0" (zero).
 * Units as interval_parse plus seconds; numbers 0..1000000.
 * On failure err says why. */
bool duration_parse(const char *text, Duration *out, char *err, size_t errlen);
/* Canonical: "1 year 6 months 3 days 02:00:00"-free form: parts joined as
 * "N years N months N days N hours N minutes N seconds", zero parts omitted,
 * "0" for zero; duration_parse reads it back. buf holds 96 bytes. */
void duration_format(const Duration *d, char buf[96]);
bool duration_is_zero(const Duration *d);
/* t + sign*d on civil time: months first (clamped), then days, then seconds. */
int64_t civil_add_duration(int64_t t, const Duration *d, int sign);
/* Whether d spans at least one interval (retention shorter than one interval is
 * rejected). Compares d applied to the start of the cell holding `at`. */
bool duration_covers_interval(const Duration *d, const PartInterval *iv, int64_t at);

/* A key value as the planner needs to print it in SQL and names:
 * timestamptz -> '2026-11-22 00:00:00' (zone added by caller), timestamp ->
 * '2026-11-22 00:00:00', date -> '2026-11-22', integers -> '-100'. buf 48. */
void key_format(KeyType key, int64_t v, char buf[48]);
/* Reverse of key_format, also reading what PostgreSQL prints (fractions,
 * dates for timestamp keys). */
bool key_parse(KeyType key, const char *text, int64_t *out);
/* key_parse of a value as PostgreSQL prints it in a bound or a CHECK: a
 * timestamptz carries the session's UTC offset ("... 00:00:00+01"), which is
 * dropped, leaving the civil time in the session's zone. len bytes of text. */
bool key_parse_printed(KeyType key, const char *text, size_t len, int64_t *out);

#endif
