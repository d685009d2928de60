#!/usr/bin/env bash
# Daylight saving time: day and longer bounds follow the policy's time zone
# (23- and 25-hour days), sub-day intervals stay exactly one interval long.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"

# (name, lo, hi) of each partition, bounds cast to timestamptz (the server is UTC).
parts_tz_of() {
    echo "(SELECT c.relname::text AS name, m[1]::timestamptz AS lo, m[2]::timestamptz AS hi
             FROM pg_catalog.pg_inherits i
             JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
             CROSS JOIN LATERAL pg_catalog.regexp_match(
                 pg_catalog.pg_get_expr(c.relpartbound, c.oid), $BOUND_RE) m
            WHERE i.inhparent = $(lit "$1")::regclass) AS parts"
}

gaps() { # TABLE: names of partitions not starting where the previous one ends
    q "SELECT coalesce(string_agg(name, ','), '') FROM (
           SELECT name, lo, lag(hi) OVER (ORDER BY lo) AS prev FROM $(parts_tz_of "$1")
       ) s WHERE prev IS NOT NULL AND prev <> lo"
}

# Partitions whose bounds are not midnight in ZONE (empty when all are).
not_midnight() { # TABLE ZONE
    q "SELECT coalesce(string_agg(name, ','), '') FROM $(parts_tz_of "$1")
        WHERE (lo AT TIME ZONE $(lit "$2"))::time <> '00:00' OR (hi AT TIME ZONE $(lit "$2"))::time <> '00:00'"
}

hours() { # TABLE NAME: length of one partition in hours
    q "SELECT trim_scale(extract(epoch FROM hi - lo) / 3600) FROM $(parts_tz_of "$1") WHERE name = $(lit "$2")"
}

create_ok() { # TABLE ARGS...
    local t=$1
    shift
    q "CREATE TABLE $t (k timestamptz NOT NULL, v int) PARTITION BY RANGE (k)"
    run "$PGSTRATA" create "$t" --column k "$@" -q
    is "$RUN_RC" 0 "create $t $*" || diag "$RUN_ERR"
}

NY=America/New_York

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

# ---- New York, daily, spring forward (2026-03-08, 02:00 -> 03:00) ------------------
create_ok ny_spring --interval '1 day' --time-zone "$NY" --now '2026-03-06 17:00'
is "$(q "SELECT string_agg(name, ',' ORDER BY lo) FROM $(parts_tz_of ny_spring)")" \
    "ny_spring_p20260306,ny_spring_p20260307,ny_spring_p20260308,ny_spring_p20260309,ny_spring_p20260310" \
    "today (local) + 4 ahead"
is "$(hours ny_spring ny_spring_p20260308)" 23 "2026-03-08 is 23 hours long in New York"
is "$(hours ny_spring ny_spring_p20260307)" 24 "2026-03-07 is 24 hours"
is "$(hours ny_spring ny_spring_p20260309)" 24 "2026-03-09 is 24 hours"
is "$(q "SELECT lo || ' ' || hi FROM $(parts_tz_of ny_spring) WHERE name = 'ny_spring_p20260308'")" \
    "2026-03-08 05:00:00+00 2026-03-09 04:00:00+00" "2026-03-08 is [05:00, 04:00 next day) UTC"
is "$(not_midnight ny_spring "$NY")" "" "every bound is a New York midnight"
is "$(gaps ny_spring)" "" "contiguous"

# ---- New York, daily, fall back (2026-11-01, 02:00 -> 01:00) -----------------------
create_ok ny_fall --interval '1 day' --time-zone "$NY" --now '2026-10-30 16:00'
is "$(hours ny_fall ny_fall_p20261101)" 25 "2026-11-01 is 25 hours long in New York"
is "$(hours ny_fall ny_fall_p20261031)" 24 "2026-10-31 is 24 hours"
is "$(hours ny_fall ny_fall_p20261102)" 24 "2026-11-02 is 24 hours"
is "$(q "SELECT lo || ' ' || hi FROM $(parts_tz_of ny_fall) WHERE name = 'ny_fall_p20261101'")" \
    "2026-11-01 04:00:00+00 2026-11-02 05:00:00+00" "2026-11-01 is [04:00, 05:00 next day) UTC"
is "$(not_midnight ny_fall "$NY")" "" "every bound is a New York midnight"
is "$(gaps ny_fall)" "" "contiguous"

# ---- a whole season in one table: maintain from March to November ----------------
create_ok ny_year --interval '1 day' --time-zone "$NY" --now '2026-03-01 12:00'
run "$PGSTRATA" maintain ny_year --now '2026-11-05 12:00' -q
is "$RUN_RC" 0 "maintain ny_year eight months later"
is "$(q "SELECT count(*) FROM $(parts_tz_of ny_year)")" \
    "$(q "SELECT date '2026-11-10' - date '2026-03-01'")" "one partition per local day, Mar 1 .. Nov 9"
is "$(q "SELECT string_agg(name || '=' || trim_scale(extract(epoch FROM hi - lo) / 3600), ',' ORDER BY lo)
          FROM $(parts_tz_of ny_year) WHERE hi - lo <> interval '24 hours'")" \
    "ny_year_p20260308=23,ny_year_p20261101=25" "only the two DST days are not 24 hours"
is "$(not_midnight ny_year "$NY")" "" "every bound is a New York midnight"
is "$(gaps ny_year)" "" "contiguous across both transitions"
is "$(q "SELECT count(*) FROM $(parts_tz_of ny_year)
          WHERE name <> 'ny_year_p' || to_char(lo AT TIME ZONE 'America/New_York', 'YYYYMMDD')")" 0 \
    "each name is the local date of its lower bound"

# ---- 'today' is the local day, not the UTC one ------------------------------------
# 04:30 UTC on 2026-03-08 is 23:30 EST on 2026-03-07.
create_ok ny_late --interval '1 day' --time-zone "$NY" --now '2026-03-08 04:30+00'
is "$(q "SELECT name || ' ' || lo FROM $(parts_tz_of ny_late) ORDER BY lo LIMIT 1")" \
    "ny_late_p20260307 2026-03-07 05:00:00+00" "at 23:30 local on Mar 7, today is Mar 7"
# 03:30 UTC on 2026-03-09 is 23:30 EDT on 2026-03-08.
create_ok ny_late2 --interval '1 day' --time-zone "$NY" --now '2026-03-09 03:30+00'
is "$(q "SELECT name || ' ' || lo FROM $(parts_tz_of ny_late2) ORDER BY lo LIMIT 1")" \
    "ny_late2_p20260308 2026-03-08 05:00:00+00" "at 23:30 local on Mar 8 (EDT), today is Mar 8"

# ---- Europe/Berlin, monthly ------------------------------------------------------
# CET -> CEST on 2026-03-29, back on 2026-10-25.
create_ok be_monthly --interval '1 month' --time-zone Europe/Berlin --premake 12 --now '2026-01-15 12:00'
is "$(q "SELECT count(*) FROM $(parts_tz_of be_monthly)")" 13 "this month + 12 ahead"
is "$(not_midnight be_monthly Europe/Berlin)" "" "every bound is a Berlin midnight"
is "$(q "SELECT count(*) FROM $(parts_tz_of be_monthly)
          WHERE extract(day FROM lo AT TIME ZONE 'Europe/Berlin') <> 1
             OR extract(day FROM hi AT TIME ZONE 'Europe/Berlin') <> 1")" 0 "every bound is the 1st of a month"
is "$(q "SELECT lo || ' ' || hi FROM $(parts_tz_of be_monthly) WHERE name = 'be_monthly_p20260101'")" \
    "2025-12-31 23:00:00+00 2026-01-31 23:00:00+00" "January is [Dec 31 23:00, Jan 31 23:00) UTC"
is "$(hours be_monthly be_monthly_p20260301)" 743 "March 2026 in Berlin is 31 days minus an hour"
is "$(hours be_monthly be_monthly_p20261001)" 745 "October 2026 in Berlin is 31 days plus an hour"
is "$(hours be_monthly be_monthly_p20260601)" 720 "June is 30 days"
is "$(gaps be_monthly)" "" "contiguous"

# ---- New York, hourly: every hour is one hour, through both DST nights -------------
create_ok ny_hourly --interval '1 hour' --time-zone "$NY" --premake 6 --now '2026-03-08 05:30+00'
run "$PGSTRATA" maintain ny_hourly --now '2026-03-08 10:30+00' -q
is "$RUN_RC" 0 "maintain ny_hourly through the spring-forward night"
is "$(q "SELECT count(*) FROM $(parts_tz_of ny_hourly) WHERE hi - lo <> interval '1 hour'")" 0 \
    "spring: every partition is exactly one hour"
is "$(q "SELECT min(lo) || ' ' || max(hi) FROM $(parts_tz_of ny_hourly)")" \
    "2026-03-08 05:00:00+00 2026-03-08 17:00:00+00" "spring: [05:00, 17:00) UTC, across 07:00 UTC (02:00 EST)"
is "$(q "SELECT count(*) FROM $(parts_tz_of ny_hourly)")" 12 "spring: 12 hourly partitions"
is "$(gaps ny_hourly)" "" "spring: contiguous"
is "$(q "SELECT count(*) FROM $(parts_tz_of ny_hourly) WHERE lo <> date_trunc('hour', lo)")" 0 "spring: bounds on the hour"

create_ok ny_hourly_fall --interval '1 hour' --time-zone "$NY" --premake 6 --now '2026-11-01 04:30+00'
run "$PGSTRATA" maintain ny_hourly_fall --now '2026-11-01 08:30+00' -q
is "$RUN_RC" 0 "maintain ny_hourly_fall through the fall-back night"
is "$(q "SELECT count(*) FROM $(parts_tz_of ny_hourly_fall) WHERE hi - lo <> interval '1 hour'")" 0 \
    "fall: every partition is exactly one hour"
is "$(q "SELECT count(*) FROM $(parts_tz_of ny_hourly_fall)
          WHERE (lo AT TIME ZONE 'America/New_York')::time = '01:00'")" 2 \
    "fall: the repeated local hour 01:00 gets two partitions (EDT and EST)"
is "$(q "SELECT count(DISTINCT name) = count(*) FROM $(parts_tz_of ny_hourly_fall)")" t "fall: names are unique"
is "$(q "SELECT count(*) FROM $(parts_tz_of ny_hourly_fall)
          WHERE name <> 'ny_hourly_fall_p' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD_HH24MI')")" 0 \
    "sub-day names follow the UTC lower bound"
is "$(gaps ny_hourly_fall)" "" "fall: contiguous"

# Rows on both sides of the transitions land in the right partitions.
q "INSERT INTO ny_fall VALUES ('2026-11-01 00:30-04', 1), ('2026-11-01 01:30-04', 2),
                             ('2026-11-01 01:30-05', 3), ('2026-11-01 23:30-05', 4), ('2026-11-02 00:30-05', 5)"
is "$(q "SELECT string_agg(tableoid::regclass::text, ',' ORDER BY v) FROM ny_fall")" \
    "ny_fall_p20261101,ny_fall_p20261101,ny_fall_p20261101,ny_fall_p20261101,ny_fall_p20261102" \
    "rows of the 25-hour day stay in it"

done_testing
