#!/usr/bin/env bash
# Concurrent runs: two maintains at once over the same tables (one skips or waits
# per table, thanks to the per-table advisory lock), with --wait, with the table
# lists in opposite orders, and a create while a maintain runs.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"

NT=10
TABLES=()
for i in $(seq -w 1 $NT); do TABLES+=("ct$i"); done
REVERSED=()
for ((i = ${#TABLES[@]} - 1; i >= 0; i--)); do REVERSED+=("${TABLES[$i]}"); done

# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    # Only jobs of this shell still running (never a pid that may have been reused).
    local p
    for p in $(jobs -p); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    return 0
}

mk() {
    q "CREATE TABLE $1 (id bigserial, event_time timestamptz NOT NULL, payload text)
       PARTITION BY RANGE (event_time)" || return 1
    run "$PGSTRATA" create "$1" --column event_time --interval '1 day' --now '2024-06-10 12:00' -q
    is "$RUN_RC" 0 "create $1" || diag "$RUN_ERR"
}

# Every table has exactly the partitions FROM..TO, each once; nothing pending.
check_all() {
    local from=$1 to=$2 label=$3 t bad=""
    for t in "${TABLES[@]}"; do
        [[ "$(parts "$t")" == "$(want_parts "$t" "$from" "$to")" ]] || bad+=" $t"
    done
    is "$bad" "" "$label: every table has exactly the partitions $from .. $to"
    is "$(q "SELECT count(*) FROM (SELECT i.inhparent, pg_get_expr(c.relpartbound, c.oid)
              FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             GROUP BY 1, 2 HAVING count(*) > 1) d")" 0 "$label: no duplicate partitions"
    is "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE 'ct%\\_p%' AND relkind = 'r'
              AND NOT relispartition")" 0 "$label: no standalone leftover tables"
    is "$(q "SELECT count(*) FROM pgstrata.pending")" 0 "$label: pgstrata.pending empty"
    is "$(q "SELECT count(*) FROM pgstrata.audit WHERE outcome <> 'ok'")" 0 \
        "$label: no failed or skipped action in the audit"
}

# Runs two maintains at once: A with args $A_ARGS, B with $B_ARGS.
two_at_once() {
    local label=$1
    "$PGSTRATA" maintain "${A_ARGS[@]}" >"$TEST_TMPDIR/a.out" 2>"$TEST_TMPDIR/a.err" &
    local a=$!
    "$PGSTRATA" maintain "${B_ARGS[@]}" >"$TEST_TMPDIR/b.out" 2>"$TEST_TMPDIR/b.err" &
    local b=$!
    wait "$a"
    RC_A=$?
    wait "$b"
    RC_B=$?
    is "$RC_A" 0 "$label: run A exits 0" || diag "$(cat "$TEST_TMPDIR/a.out" "$TEST_TMPDIR/a.err")"
    is "$RC_B" 0 "$label: run B exits 0" || diag "$(cat "$TEST_TMPDIR/b.out" "$TEST_TMPDIR/b.err")"
    is "$(cat "$TEST_TMPDIR/a.err")" "" "$label: run A wrote nothing to stderr"
    is "$(cat "$TEST_TMPDIR/b.err")" "" "$label: run B wrote nothing to stderr"
    local sa sb
    sa=$(grep -c "another pgstrata run is maintaining it" "$TEST_TMPDIR/a.out")
    sb=$(grep -c "another pgstrata run is maintaining it" "$TEST_TMPDIR/b.out")
    diag "$label: A: $(tail -n1 "$TEST_TMPDIR/a.out") ($sa tables skipped)"
    diag "$label: B: $(tail -n1 "$TEST_TMPDIR/b.out") ($sb tables skipped)"
    SKIPPED_A=$sa SKIPPED_B=$sb
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"
for t in "${TABLES[@]}"; do mk "$t"; done

# ---- two maintains at once, without --wait: 20 new partitions per table -------
# At 06-30 12:00 (premake 4) the horizon is 07-05: 06-15 .. 07-04 are missing.
A_ARGS=(--now '2024-06-30 12:00')
B_ARGS=("${REVERSED[@]}" --now '2024-06-30 12:00')
two_at_once "skip"
ok "$((SKIPPED_A + SKIPPED_B <= NT ? 0 : 1))" "skip: each table was skipped by at most one of the runs"
check_all 2024-06-10 2024-07-04 "skip"

# ---- the same with --wait: both complete, neither skips ------------------------
A_ARGS=(--wait "${TABLES[@]}" --now '2024-07-20 12:00')
B_ARGS=(--wait "${REVERSED[@]}" --now '2024-07-20 12:00')
two_at_once "wait"
is "$((SKIPPED_A + SKIPPED_B))" 0 "wait: no table was skipped"
like "$(cat "$TEST_TMPDIR/a.out")" "maintained $NT tables" "wait: A maintained all $NT tables"
like "$(cat "$TEST_TMPDIR/b.out")" "maintained $NT tables" "wait: B maintained all $NT tables"
check_all 2024-06-10 2024-07-24 "wait"

# ---- three at once, mixed: --wait, plain, --wait -------------------------------
"$PGSTRATA" maintain --wait --now '2024-08-09 12:00' -q >"$TEST_TMPDIR/c1.out" 2>"$TEST_TMPDIR/c1.err" &
c1=$!
"$PGSTRATA" maintain --now '2024-08-09 12:00' -q >"$TEST_TMPDIR/c2.out" 2>"$TEST_TMPDIR/c2.err" &
c2=$!
"$PGSTRATA" maintain --wait "${REVERSED[@]}" --now '2024-08-09 12:00' -q >"$TEST_TMPDIR/c3.out" 2>"$TEST_TMPDIR/c3.err" &
c3=$!
for p in $c1 $c2 $c3; do
    wait "$p"
    is "$?" 0 "three at once: run $p exits 0"
done
is "$(cat "$TEST_TMPDIR/c1.err" "$TEST_TMPDIR/c2.err" "$TEST_TMPDIR/c3.err")" "" "three at once: no stderr"
check_all 2024-06-10 2024-08-13 "three at once"

# ---- overlapping table sets: A holds ct01..ct05 while B runs over all ---------
A_ARGS=("${TABLES[@]:0:5}" --now '2024-08-19 12:00')
"$PGSTRATA" maintain "${A_ARGS[@]}" >"$TEST_TMPDIR/a.out" 2>"$TEST_TMPDIR/a.err" &
a=$!
for _ in $(seq 200); do
    [[ $(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") -ge 5 ]] && break
    kill -0 "$a" 2>/dev/null || break
    sleep 0.02
done
run "$PGSTRATA" maintain --now '2024-08-19 12:00'
is "$RUN_RC" 0 "overlap: B exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$RUN_ERR" "" "overlap: B wrote nothing to stderr"
diag "overlap: B: $(tail -n1 <<<"$RUN_OUT") ($(grep -c "another pgstrata run" <<<"$RUN_OUT") tables skipped)"
wait "$a"
is "$?" 0 "overlap: A exits 0" || diag "$(cat "$TEST_TMPDIR/a.out" "$TEST_TMPDIR/a.err")"
is "$(cat "$TEST_TMPDIR/a.err")" "" "overlap: A wrote nothing to stderr"
# Whatever B skipped, a last pass over all completes the work.
run "$PGSTRATA" maintain --now '2024-08-19 12:00'
is "$RUN_RC" 0 "overlap: a third run exits 0"
check_all 2024-06-10 2024-08-23 "overlap"

# ---- create while a maintain runs ---------------------------------------------
q "CREATE TABLE cnew (id bigserial, event_time timestamptz NOT NULL, payload text)
   PARTITION BY RANGE (event_time)"
"$PGSTRATA" maintain --now '2024-08-29 12:00' >"$TEST_TMPDIR/m.out" 2>"$TEST_TMPDIR/m.err" &
m=$!
sleep 0.2
run "$PGSTRATA" create cnew --column event_time --interval '1 day' --premake 20 --now '2024-08-29 12:00'
is "$RUN_RC" 0 "create while a maintain runs exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$RUN_ERR" "" "... nothing on stderr"
if kill -0 "$m" 2>/dev/null; then
    pass "the maintain was still running when create finished"
else
    diag "the maintain finished before create did (no overlap this time)"
    skip "overlap not observed"
fi
wait "$m"
is "$?" 0 "the maintain exits 0" || diag "$(cat "$TEST_TMPDIR/m.out" "$TEST_TMPDIR/m.err")"
is "$(cat "$TEST_TMPDIR/m.err")" "" "... nothing on stderr"
check_all 2024-06-10 2024-09-02 "create during maintain"
is "$(parts cnew)" "$(want_parts cnew 2024-08-29 2024-09-18)" "cnew has its 21 partitions"
run "$PGSTRATA" policy list
like "$RUN_OUT" "cnew" "cnew is registered"
run "$PGSTRATA" maintain --now '2024-08-29 12:00'
is "$RUN_RC" 0 "a final maintain exits 0"
like "$RUN_OUT" "maintained 11 tables" "... over all 11 tables"
check_all 2024-06-10 2024-09-02 "final"

done_testing
