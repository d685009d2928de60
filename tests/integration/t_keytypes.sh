#!/usr/bin/env bash
# Every key type and interval: names and bounds as the catalog has them.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"

# "name lo hi" lines, ordered by the lower bound cast to TYPE.
layout() { # TABLE TYPE
    q "SELECT string_agg(name || ' ' || lo || ' ' || hi, E'\n' ORDER BY lo::$2) FROM $(parts_of "$1")"
}

# Gaps/overlaps between consecutive partitions (empty when contiguous).
gaps() { # TABLE TYPE
    q "SELECT string_agg(name, ',') FROM (
           SELECT name, lo::$2 AS lo, lag(hi::$2) OVER (ORDER BY lo::$2) AS prev FROM $(parts_of "$1")
       ) s WHERE prev IS NOT NULL AND prev <> lo"
}

create_ok() { # TABLE ARGS...: create must succeed
    local t=$1
    shift
    run "$PGSTRATA" create "$t" "$@" -q
    is "$RUN_RC" 0 "create $t $*" || diag "$RUN_ERR"
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

NOW='2026-02-17 10:20'

# ---- date, daily ---------------------------------------------------------------
q "CREATE TABLE d_events (k date NOT NULL, v int) PARTITION BY RANGE (k)"
create_ok d_events --column k --interval '1 day' --now "$NOW"
is "$(layout d_events date)" "d_events_p20260217 2026-02-17 2026-02-18
d_events_p20260218 2026-02-18 2026-02-19
d_events_p20260219 2026-02-19 2026-02-20
d_events_p20260220 2026-02-20 2026-02-21
d_events_p20260221 2026-02-21 2026-02-22" "date key, daily: today + 4 ahead, bounds are dates"
is "$(q "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'd_events_p20260217'")" \
    "FOR VALUES FROM ('2026-02-17') TO ('2026-02-18')" "date bounds verbatim"
q "INSERT INTO d_events VALUES ('2026-02-21', 1)"
is "$(q "SELECT tableoid::regclass FROM d_events")" "d_events_p20260221" "a date row lands in its day"

# ---- timestamp without time zone, hourly -----------------------------------------
q "CREATE TABLE ts_events (k timestamp NOT NULL) PARTITION BY RANGE (k)"
create_ok ts_events --column k --interval '1 hour' --now "$NOW"
is "$(layout ts_events timestamp)" "ts_events_p20260217_1000 2026-02-17 10:00:00 2026-02-17 11:00:00
ts_events_p20260217_1100 2026-02-17 11:00:00 2026-02-17 12:00:00
ts_events_p20260217_1200 2026-02-17 12:00:00 2026-02-17 13:00:00
ts_events_p20260217_1300 2026-02-17 13:00:00 2026-02-17 14:00:00
ts_events_p20260217_1400 2026-02-17 14:00:00 2026-02-17 15:00:00" \
    "timestamp key, hourly: names _pYYYYMMDD_HH00, bounds on the hour"
# Across midnight: the names follow the day.
run "$PGSTRATA" maintain ts_events --now '2026-02-17 22:30' -q
is "$RUN_RC" 0 "maintain the hourly table past midnight"
is "$(q "SELECT string_agg(name, ',' ORDER BY lo::timestamp) FROM $(parts_of ts_events)
          WHERE lo::timestamp >= '2026-02-17 22:00'")" \
    "ts_events_p20260217_2200,ts_events_p20260217_2300,ts_events_p20260218_0000,ts_events_p20260218_0100,ts_events_p20260218_0200" \
    "hourly names across midnight"
is "$(gaps ts_events timestamp)" "" "hourly partitions are contiguous"

# ---- bigint, interval 1000 -------------------------------------------------------
q "CREATE TABLE b_events (id bigint NOT NULL, note text) PARTITION BY RANGE (id)"
create_ok b_events --column id --interval 1000 --now "$NOW"
is "$(layout b_events bigint)" "b_events_p0 0 1000
b_events_p1000 1000 2000
b_events_p2000 2000 3000
b_events_p3000 3000 4000
b_events_p4000 4000 5000" "bigint, empty table: [0, 1000) + 4 ahead"
q "INSERT INTO b_events SELECT g, 'r' FROM generate_series(1, 4999) g"
run "$PGSTRATA" maintain b_events -q
is "$RUN_RC" 0 "maintain after rows up to 4999"
is "$(q "SELECT max(hi::bigint) FROM $(parts_of b_events)")" 9000 \
    "max(key) 4999 is in [4000, 5000): 4 ranges ahead reach 9000"
q "INSERT INTO b_events SELECT g, 'r' FROM generate_series(5000, 5500) g"
run "$PGSTRATA" maintain b_events -q
is "$RUN_RC" 0 "maintain after rows up to 5500"
is "$(q "SELECT string_agg(name, ',' ORDER BY lo::bigint) FROM $(parts_of b_events) WHERE lo::bigint >= 5000")" \
    "b_events_p5000,b_events_p6000,b_events_p7000,b_events_p8000,b_events_p9000" \
    "max(key) 5500 is in [5000, 6000): b_events_p5000 .. p9000"
is "$(q "SELECT lo || ' ' || hi FROM $(parts_of b_events) WHERE name = 'b_events_p9000'")" "9000 10000" \
    "b_events_p9000 is [9000, 10000)"
is "$(q "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'b_events_p5000'")" \
    "FOR VALUES FROM ('5000') TO ('6000')" "bigint bounds verbatim"
is "$(gaps b_events bigint)" "" "bigint partitions are contiguous"
# Retention 3: keep the newest 3 ranges up to the one holding max(key).
run "$PGSTRATA" policy set b_events --retention 3 -q
is "$RUN_RC" 0 "policy set --retention 3"
run "$PGSTRATA" maintain b_events -q
is "$RUN_RC" 0 "maintain with retention 3"
is "$(q "SELECT string_agg(name, ',' ORDER BY lo::bigint) FROM $(parts_of b_events)")" \
    "b_events_p3000,b_events_p4000,b_events_p5000,b_events_p6000,b_events_p7000,b_events_p8000,b_events_p9000" \
    "retention 3 keeps [3000,4000) [4000,5000) [5000,6000) and the ranges ahead"
is "$(q "SELECT min(id) || ' ' || max(id) || ' ' || count(*) FROM b_events")" "3000 5500 2501" \
    "rows below 3000 went with their partitions; the rest are there"
is "$(q "SELECT count(*) FROM pg_class WHERE relname IN ('b_events_p0', 'b_events_p1000', 'b_events_p2000')")" 0 \
    "retired tables are dropped"

# ---- integer, interval 100, negative start ----------------------------------------
q "CREATE TABLE i_events (n integer NOT NULL) PARTITION BY RANGE (n)"
create_ok i_events --column n --interval 100 --start -250 --now "$NOW"
is "$(q "SELECT name || ' ' || lo || ' ' || hi FROM $(parts_of i_events) ORDER BY lo::int LIMIT 1")" \
    "i_events_pm300 -300 -200" "--start -250: the first partition is _pm300 [-300, -200)"
is "$(q "SELECT string_agg(name, ',' ORDER BY lo::int) FROM $(parts_of i_events)")" \
    "i_events_pm300,i_events_pm200,i_events_pm100,i_events_p0,i_events_p100" \
    "negative ranges are named _pm<n>, then _p0, _p100"
is "$(q "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'i_events_pm100'")" \
    "FOR VALUES FROM ('-100') TO (0)" "[-100, 0) verbatim"
is "$(gaps i_events int)" "" "integer partitions are contiguous"
q "INSERT INTO i_events VALUES (-250), (-1), (0), (199)"
is "$(q "SELECT string_agg(tableoid::regclass::text, ',' ORDER BY n) FROM i_events")" \
    "i_events_pm300,i_events_pm100,i_events_p0,i_events_p100" "integer rows land where the names say"

# ---- monthly ---------------------------------------------------------------------
q "CREATE TABLE m_events (k timestamptz NOT NULL) PARTITION BY RANGE (k)"
create_ok m_events --column k --interval '1 month' --now "$NOW"
is "$(layout m_events timestamptz)" "m_events_p20260201 2026-02-01 00:00:00+00 2026-03-01 00:00:00+00
m_events_p20260301 2026-03-01 00:00:00+00 2026-04-01 00:00:00+00
m_events_p20260401 2026-04-01 00:00:00+00 2026-05-01 00:00:00+00
m_events_p20260501 2026-05-01 00:00:00+00 2026-06-01 00:00:00+00
m_events_p20260601 2026-06-01 00:00:00+00 2026-07-01 00:00:00+00" "monthly: first of each month, UTC"

# ---- quarterly -------------------------------------------------------------------
q "CREATE TABLE q_events (k timestamptz NOT NULL) PARTITION BY RANGE (k)"
create_ok q_events --column k --interval '1 quarter' --now "$NOW"
is "$(layout q_events timestamptz)" "q_events_p20260101 2026-01-01 00:00:00+00 2026-04-01 00:00:00+00
q_events_p20260401 2026-04-01 00:00:00+00 2026-07-01 00:00:00+00
q_events_p20260701 2026-07-01 00:00:00+00 2026-10-01 00:00:00+00
q_events_p20261001 2026-10-01 00:00:00+00 2027-01-01 00:00:00+00
q_events_p20270101 2027-01-01 00:00:00+00 2027-04-01 00:00:00+00" "quarterly: bounds at Jan/Apr/Jul/Oct 1"
is "$(q "SELECT count(*) FROM $(parts_of q_events)
          WHERE extract(month FROM lo::timestamptz) NOT IN (1, 4, 7, 10) OR extract(day FROM lo::timestamptz) <> 1")" 0 \
    "every quarterly lower bound is a quarter start"

# ---- weekly ----------------------------------------------------------------------
q "CREATE TABLE w_events (k timestamptz NOT NULL) PARTITION BY RANGE (k)"
create_ok w_events --column k --interval '1 week' --now "$NOW"
is "$(q "SELECT count(*) FROM $(parts_of w_events)")" 5 "weekly: this week + 4 ahead"
is "$(q "SELECT count(*) FROM $(parts_of w_events)
          WHERE extract(isodow FROM lo::timestamptz) <> 1 OR extract(isodow FROM hi::timestamptz) <> 1
             OR lo::timestamptz <> date_trunc('day', lo::timestamptz)")" 0 \
    "weekly bounds are Monday midnights"
is "$(q "SELECT count(*) FROM $(parts_of w_events) WHERE hi::timestamptz - lo::timestamptz <> interval '7 days'")" 0 \
    "each week is 7 days"
is "$(q "SELECT name FROM $(parts_of w_events) ORDER BY lo::timestamptz LIMIT 1")" "w_events_p20260216" \
    "the current week starts Monday 2026-02-16 (now is Tuesday the 17th)"
is "$(gaps w_events timestamptz)" "" "weekly partitions are contiguous"

# ---- 15 minutes ------------------------------------------------------------------
q "CREATE TABLE f_events (k timestamptz NOT NULL) PARTITION BY RANGE (k)"
create_ok f_events --column k --interval '15 minutes' --now "$NOW"
is "$(layout f_events timestamptz)" "f_events_p20260217_1015 2026-02-17 10:15:00+00 2026-02-17 10:30:00+00
f_events_p20260217_1030 2026-02-17 10:30:00+00 2026-02-17 10:45:00+00
f_events_p20260217_1045 2026-02-17 10:45:00+00 2026-02-17 11:00:00+00
f_events_p20260217_1100 2026-02-17 11:00:00+00 2026-02-17 11:15:00+00
f_events_p20260217_1115 2026-02-17 11:15:00+00 2026-02-17 11:30:00+00" \
    "15 minutes: now 10:20 is in [10:15, 10:30); names _pYYYYMMDD_HHMM"

# ---- every policy is recorded with its key type ----------------------------------
is "$(q "SELECT string_agg(parent_table || ':' || key_type || ':' || part_interval, ',' ORDER BY parent_table)
          FROM pgstrata.policy")" \
    "b_events:bigint:1000,d_events:date:1 day,f_events:timestamptz:15 minutes,i_events:integer:100,m_events:timestamptz:1 month,q_events:timestamptz:1 quarter,ts_events:timestamp:1 hour,w_events:timestamptz:1 week" \
    "policy rows: key types and intervals"

# A second maintain of everything at the creation clock changes no layout.
before=$(q "SELECT count(*) FROM pg_inherits")
run "$PGSTRATA" maintain d_events m_events q_events w_events --now "$NOW" -q
is "$RUN_RC" 0 "maintain at the creation clock"
is "$(q "SELECT count(*) FROM pg_inherits")" "$before" "no partition added or removed"

done_testing
