#!/usr/bin/env bash
# A year and more of daily life: create a daily policy with 30 days of retention,
# then run maintain once per simulated day for 400 days, inserting a row per day,
# and check the catalog (never just pgstrata's own output) as it goes.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"

# ---- helpers -------------------------------------------------------------------

# Everything about the layout that must not change in a no-op pass.
layout() {
    q "SELECT coalesce(string_agg(name || ' ' || lo || ' ' || hi, E'\n' ORDER BY lo::timestamptz), '')
         FROM $(parts_of events)"
}

ms_now() { date +%s%N | cut -c1-13; }

# ---- setup ---------------------------------------------------------------------

q "CREATE TABLE events (
       id bigint GENERATED ALWAYS AS IDENTITY,
       event_time timestamptz NOT NULL,
       payload jsonb
   ) PARTITION BY RANGE (event_time)" || bail "cannot create the table"

run "$PGSTRATA" init
is "$RUN_RC" 0 "init"

run "$PGSTRATA" create events --column event_time --interval '1 day' --premake 3 \
    --retention '30 days' --now '2026-01-01 03:00'
is "$RUN_RC" 0 "create exits 0"
is "$RUN_ERR" "" "create prints nothing on stderr"
is "$(q "SELECT count(*) FROM $(parts_of events)")" 4 "create makes today + 3 ahead"
is "$(q "SELECT min(lo::timestamptz) || ' ' || max(hi::timestamptz) FROM $(parts_of events)")" \
    "2026-01-01 00:00:00+00 2026-01-05 00:00:00+00" "create covers [Jan 1, Jan 5)"
is "$(q "SELECT string_agg(name, ',' ORDER BY name) FROM $(parts_of events)")" \
    "events_p20260101,events_p20260102,events_p20260103,events_p20260104" "partition names"

# ---- the loop ------------------------------------------------------------------

# Checks of the layout at one simulated day; prints one problem per line.
check_day() { # DAY (YYYY-MM-DD): now is DAY 03:00 UTC
    local now="$1 03:00+00"
    q "WITH p AS (SELECT name, lo::timestamptz AS lo, hi::timestamptz AS hi FROM $(parts_of events)),
            o AS (SELECT *, lag(hi) OVER (ORDER BY lo) AS prev_hi FROM p)
       SELECT 'coverage ahead ' || (SELECT max(hi) FROM p) || ' < now + 3 days'
        WHERE (SELECT max(hi) FROM p) < timestamptz '$now' + interval '3 days'
       UNION ALL
       SELECT 'past retention: ' || name || ' ends ' || hi FROM p
        WHERE hi <= timestamptz '$now' - interval '30 days'
       UNION ALL
       SELECT 'gap or overlap before ' || name || ': previous ends ' || prev_hi || ', this starts ' || lo
         FROM o WHERE prev_hi IS NOT NULL AND prev_hi <> lo
       UNION ALL
       SELECT 'duplicate lower bound ' || lo FROM p GROUP BY lo HAVING count(*) > 1
       UNION ALL
       SELECT 'retired too early: nothing holds now - 30 days'
        WHERE timestamptz '$now' - interval '30 days' >= timestamptz '2026-01-01 00:00+00'
          AND NOT EXISTS (SELECT 1 FROM p WHERE lo <= timestamptz '$now' - interval '30 days'
                                             AND hi > timestamptz '$now' - interval '30 days')
       UNION ALL
       SELECT 'no partition for today' WHERE NOT EXISTS (
           SELECT 1 FROM p WHERE lo <= timestamptz '$now' AND hi > timestamptz '$now')"
}

DAYS=400
# Two simulated days per pass (200 passes): within premake (3), so each day's
# rows, inserted before the pass, always have a partition. Fixed, not adapted
# to the machine's speed, so every run does the same thing.
STEP=2
last_day=2026-01-01
maintain_failures=0
loop_start=$(ms_now)
calls=0
call_ms=0
i=0
while ((i < DAYS)); do
    next=$((i + STEP))
    ((next > DAYS)) && next=$DAYS
    day=$(date -u -d "2026-01-01 + $next days" +%F)
    # One row per day at noon, for each day this step covers.
    q "INSERT INTO events (event_time, payload)
       SELECT d + interval '12 hours', jsonb_build_object('day', d::date)
         FROM generate_series(timestamptz '$last_day 00:00+00' + interval '1 day',
                              timestamptz '$day 00:00+00', interval '1 day') d" >/dev/null
    t0=$(ms_now)
    run "$PGSTRATA" maintain --now "$day 03:00" -q
    t1=$(ms_now)
    calls=$((calls + 1))
    call_ms=$((call_ms + t1 - t0))
    if [[ "$RUN_RC" != 0 ]]; then
        maintain_failures=$((maintain_failures + 1))
        diag "maintain --now '$day 03:00' exited $RUN_RC: $RUN_ERR"
    fi
    # Every 25 simulated days, check the catalog.
    if (((next / 25) != (i / 25))) || ((next == DAYS)); then
        problems=$(check_day "$day")
        is "$problems" "" "day $next ($day): ahead >= 3 days, nothing past retention, contiguous, no duplicates"
    fi
    last_day=$day
    i=$next
done
loop_ms=$(($(ms_now) - loop_start))
diag "$calls maintain calls over $DAYS days in ${loop_ms} ms (maintain alone: $((call_ms / calls)) ms per call)"
is "$maintain_failures" 0 "every maintain exited 0"

# ---- the end state -------------------------------------------------------------

final="$last_day 03:00+00"
is "$last_day" "2027-02-05" "the clock ends 400 days after 2026-01-01"
# Kept: the 30 days before today whose partitions end after now - 30 days
# (days D-30 .. D-1), today, and 3 days ahead: 30 + 1 + 3.
expected=$((30 + 1 + 3))
is "$(q "SELECT count(*) FROM $(parts_of events)")" "$expected" "exactly $expected partitions (30 kept + today + 3 ahead)"
is "$(q "SELECT min(lo::timestamptz) || ' ' || max(hi::timestamptz) FROM $(parts_of events)")" \
    "$(q "SELECT (timestamptz '$final' - interval '30 days')::date::timestamptz || ' '
              || ((timestamptz '$final')::date + 4)::timestamptz")" \
    "partitions span [D-30, D+4) in days"
is "$(q "SELECT count(*) FROM $(parts_of events) WHERE name !~ '^events_p[0-9]{8}\$'")" 0 \
    "every partition is named events_pYYYYMMDD"
is "$(q "SELECT count(*) FROM $(parts_of events)
          WHERE name <> 'events_p' || to_char(lo::timestamptz AT TIME ZONE 'UTC', 'YYYYMMDD')")" 0 \
    "each name matches its lower bound"

# Rows: those in retired partitions are gone, all the others are there.
is "$(q "SELECT count(*) FROM events WHERE event_time < timestamptz '$final' - interval '30 days'")" 0 \
    "no row older than 30 days is left"
is "$(q "SELECT count(*) FROM events WHERE event_time >= timestamptz '$final' - interval '30 days'")" 31 \
    "all 31 rows of the last 30 days (D-30 noon .. D noon) are there"
is "$(q "SELECT count(DISTINCT event_time::date) FROM events")" 31 "one row per kept day"
is "$(q "SELECT min(event_time) || ' ' || max(event_time) FROM events")" \
    "$(q "SELECT (timestamptz '$final' - interval '30 days')::date + time '12:00' || '+00 '
              || (timestamptz '$final')::date + time '12:00' || '+00'")" \
    "oldest row is D-30 noon, newest D noon"
# No stray tables: every events_p* relation is a partition.
is "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE 'events\\_p%' AND relkind = 'r'
          AND NOT relispartition")" 0 "no detached leftovers"

# Statistics on the parent (rows were inserted before the last maintain).
ok "$(( $(q "SELECT count(*) FROM pg_statistic WHERE starelid = 'events'::regclass AND stainherit") > 0 ? 0 : 1 ))" \
    "the parent has inheritance statistics (pg_statistic stainherit)"

# Bookkeeping.
ok "$(( $(q "SELECT count(*) FROM pgstrata.audit WHERE outcome = 'ok'") > 0 ? 0 : 1 ))" "audit has ok rows"
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE outcome = 'failed'")" 0 "audit has no failed rows"
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE outcome = 'ok' AND action = 'drop'")" \
    "$(q "SELECT count(*) FROM pgstrata.audit WHERE outcome = 'ok' AND action = 'detach'")" \
    "every detach was followed by a drop"
is "$(q "SELECT count(*) FROM pgstrata.pending")" 0 "pgstrata.pending is empty"
is "$(q "SELECT count(*) FROM pgstrata.retired")" 0 "pgstrata.retired is empty (drop mode)"

# ---- a second pass at the same clock is a no-op --------------------------------

before=$(layout)
audit_before=$(q "SELECT count(*) FROM pgstrata.audit")
run "$PGSTRATA" plan --now "$last_day 03:00"
is "$RUN_RC" 0 "plan at the same clock exits 0"
is "$RUN_OUT" "nothing to do: every table is up to date" "plan at the same clock: nothing to do"
run "$PGSTRATA" maintain --now "$last_day 03:00"
is "$RUN_RC" 0 "maintain at the same clock exits 0"
like "$RUN_OUT" 'maintained 1 table: 0 actions done, 0 failed' "maintain at the same clock does nothing"
is "$(layout)" "$before" "catalog unchanged by the second pass"
is "$(q "SELECT count(*) FROM pgstrata.audit")" "$audit_before" "no new audit rows"

done_testing
