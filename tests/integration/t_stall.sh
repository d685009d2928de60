#!/usr/bin/env bash
# The long-reader test: a partition is due for retirement while a reader holds a
# transaction open on the table and an inserter writes one row per transaction.
# maintain (lock_timeout 200ms) must keep retrying until the reader is gone and
# then finish, and no insert may wait longer than one lock timeout (plus slack):
#   - without a default partition, DETACH ... CONCURRENTLY: inserts never wait;
#   - with a default partition, plain DETACH (ACCESS EXCLUSIVE): each attempt
#     makes inserts queue for at most lock_timeout, then gives up and backs off.
# The bound asserted in both cases: max insert latency < 2 x 200 ms + 100 ms.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/reader.sh
source "$(dirname "$0")/../lib/reader.sh"

LOCK_TIMEOUT_MS=200
BOUND_US=$(((2 * LOCK_TIMEOUT_MS + 100) * 1000))
NOW="2024-06-11 12:00" # retention 1 day: cutoff 06-10 12:00, so only the 06-09 partition is due
READER_SECS=8
PGBENCH_SECS=12

PGBENCH=""
for d in "$(pg_config --bindir 2>/dev/null)" "${PGCLUSTER_BINDIR:-}" /usr/lib/postgresql/15/bin; do
    if [[ -n "$d" && -x "$d/pgbench" ]]; then
        PGBENCH="$d/pgbench"
        break
    fi
done
[[ -n "$PGBENCH" ]] || PGBENCH=$(command -v pgbench) || bail "pgbench not found"

# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    # Only jobs of this shell still running (never a pid that may have been reused).
    local p
    for p in $(jobs -p); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    return 0
}

exists() { q "SELECT to_regclass('$1') IS NOT NULL"; }

# p99 and max of the latencies (µs, 3rd field) in pgbench per-transaction logs.
latency_stats() { # FILES... -> "count p99 max"
    cat "$@" | awk '{ print $3 }' | sort -n | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "0 0 0"; exit }
            i = int(NR * 0.99); if (i < NR * 0.99) i++; if (i < 1) i = 1
            print NR, v[i], v[NR]
        }'
}

# scenario TABLE yes|no: one full run of the long-reader test.
scenario() {
    local t=$1 with_default=$2 label
    label="$t ($([[ $with_default == yes ]] && echo "default partition, plain DETACH" || echo "DETACH CONCURRENTLY"))"
    q "CREATE TABLE $t (id bigserial, event_time timestamptz NOT NULL, payload text)
       PARTITION BY RANGE (event_time)"
    # Two days made by hand before pgstrata takes over; pgstrata adds 06-11 .. 06-15.
    q "CREATE TABLE ${t}_p20240609 PARTITION OF $t FOR VALUES FROM ('2024-06-09 00:00+00') TO ('2024-06-10 00:00+00')"
    q "CREATE TABLE ${t}_p20240610 PARTITION OF $t FOR VALUES FROM ('2024-06-10 00:00+00') TO ('2024-06-11 00:00+00')"
    [[ $with_default == yes ]] && q "CREATE TABLE ${t}_default PARTITION OF $t DEFAULT"
    run "$PGSTRATA" create "$t" --column event_time --interval '1 day' --retention '1 day' \
        --lock-timeout "${LOCK_TIMEOUT_MS}ms" --now "$NOW" -q
    is "$RUN_RC" 0 "$label: create" || diag "$RUN_ERR"
    q "INSERT INTO $t (event_time, payload)
       SELECT '2024-06-09 00:00+00'::timestamptz + i * interval '1 minute', 'old' FROM generate_series(0, 99) i"

    run "$PGSTRATA" plan "$t" --now "$NOW"
    if [[ $with_default == yes ]]; then
        like "$RUN_OUT" "plain DETACH" "$label: plan uses plain DETACH"
    else
        like "$RUN_OUT" "DETACH PARTITION \"public\".\"${t}_p20240609\" CONCURRENTLY" \
            "$label: plan uses DETACH ... CONCURRENTLY"
    fi

    # The reader: a transaction that has read the table and stays open.
    reader_start "reader_$t" "$t" "$READER_SECS" "$TEST_TMPDIR/reader_$t.err"
    local reader=$READER_PID
    local t_reader_start
    t_reader_start=$(date +%s.%N)

    # The inserter: one row per transaction into an attached partition (06-11, the --now day).
    echo "INSERT INTO $t (event_time, payload) VALUES ('2024-06-11 11:00+00', 'new');" \
        >"$TEST_TMPDIR/insert_$t.sql"
    (cd "$TEST_TMPDIR" && exec "$PGBENCH" -n -f "insert_$t.sql" -T "$PGBENCH_SECS" -c 1 \
        --log --log-prefix="$TEST_TMPDIR/pgb_$t") >"$TEST_TMPDIR/pgbench_$t.out" 2>&1 &
    local bench=$!
    sleep 1

    local t0 t1
    t0=$(date +%s.%N)
    run "$PGSTRATA" maintain "$t" --now "$NOW" --retry-budget 30
    t1=$(date +%s.%N)
    is "$RUN_RC" 0 "$label: maintain exits 0 (it retried until the reader was gone)" ||
        diag "$RUN_OUT" "$RUN_ERR"
    is "$RUN_ERR" "" "$label: ... nothing on stderr"
    like "$RUN_OUT" "[1-9][0-9]* lock retr" "$label: ... after lock retries"
    local waited
    waited=$(awk -v a="$t_reader_start" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    ok "$(awk -v w="$waited" -v r="$READER_SECS" 'BEGIN { print (w >= r - 0.5) ? 0 : 1 }')" \
        "$label: maintain finished only after the reader ended (${waited}s after it started)"
    diag "$label: maintain took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s; $(tail -n1 <<<"$RUN_OUT")"

    wait "$bench"
    is "$?" 0 "$label: pgbench exits 0" || diag "$(cat "$TEST_TMPDIR/pgbench_$t.out")"
    wait "$reader"
    is "$?" 0 "$label: the reader was never cancelled" || diag "$(cat "$TEST_TMPDIR/reader_$t.err")"

    # The catalog: detached and dropped, nothing left behind.
    is "$(exists "${t}_p20240609")" f "$label: ${t}_p20240609 is dropped"
    is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$t'::regclass AND inhdetachpending")" 0 \
        "$label: no pending detach"
    is "$(q "SELECT count(*) FROM pgstrata.retired WHERE parent_table = '$t'")" 0 "$label: pgstrata.retired empty"
    is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$t'::regclass")" \
        "$([[ $with_default == yes ]] && echo 7 || echo 6)" "$label: 06-10 .. 06-15 (and the default) remain"
    is "$(q "SELECT count(*) FROM pgstrata.audit WHERE parent = 'public.$t' AND action = 'detach'
              AND outcome = 'ok' AND attempts > 1")" 1 "$label: the audit shows one detach, after several attempts"

    # The inserts: how long did any one of them wait?
    local logs=("$TEST_TMPDIR"/pgb_"$t".*)
    ok "$([[ -f "${logs[0]}" ]] && echo 0 || echo 1)" "$label: pgbench wrote its per-transaction log"
    local stats n p99 max
    stats=$(latency_stats "${logs[@]}")
    read -r n p99 max <<<"$stats"
    is "$(q "SELECT count(*) FROM $t WHERE payload = 'new'")" "$n" "$label: every logged insert is in the table ($n)"
    ok "$((n > 100 ? 0 : 1))" "$label: the inserter kept going ($n transactions)"
    diag "$label: inserts: $n; p99 latency $(awk -v u="$p99" 'BEGIN { printf "%.1f", u / 1000 }') ms;" \
        "max latency $(awk -v u="$max" 'BEGIN { printf "%.1f", u / 1000 }') ms" \
        "(bound $((BOUND_US / 1000)) ms)"
    ok "$((max < BOUND_US ? 0 : 1))" \
        "$label: max insert latency $((max / 1000)) ms < 2 x lock_timeout + 100 ms = $((BOUND_US / 1000)) ms"
    STALL_MAX[$t]=$max
    STALL_P99[$t]=$p99
}

declare -A STALL_MAX STALL_P99

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

scenario events no
scenario eventsd yes

# ---- shorter variants, no inserter ------------------------------------------------
mk_simple() { # TABLE: 06-09 .. 06-15, 06-09 due at $NOW
    q "CREATE TABLE $1 (id bigserial, event_time timestamptz NOT NULL, payload text)
       PARTITION BY RANGE (event_time)"
    q "CREATE TABLE ${1}_p20240609 PARTITION OF $1 FOR VALUES FROM ('2024-06-09 00:00+00') TO ('2024-06-10 00:00+00')"
    q "CREATE TABLE ${1}_p20240610 PARTITION OF $1 FOR VALUES FROM ('2024-06-10 00:00+00') TO ('2024-06-11 00:00+00')"
    run "$PGSTRATA" create "$1" --column event_time --interval '1 day' --retention '1 day' \
        --lock-timeout "${LOCK_TIMEOUT_MS}ms" --now "$NOW" -q
    is "$RUN_RC" 0 "$1: create" || diag "$RUN_ERR"
}

# A session holding SHARE UPDATE EXCLUSIVE on the parent (as a manual VACUUM or
# ANALYZE would) makes DETACH ... CONCURRENTLY time out before anything is
# pending: the retry must start the detach over, not only try FINALIZE.
mk_simple evsue
PGAPPNAME=sue psql -X -q -c "BEGIN" -c "LOCK TABLE evsue IN SHARE UPDATE EXCLUSIVE MODE" \
    -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null 2>&1 &
blocker=$!
wait_for_sleep sue
run "$PGSTRATA" maintain evsue --now "$NOW"
is "$RUN_RC" 0 "evsue: maintain exits 0 after the SHARE UPDATE EXCLUSIVE holder is gone" ||
    diag "$RUN_OUT" "$RUN_ERR"
like "$RUN_OUT" "[1-9][0-9]* lock retr" "evsue: ... after lock retries"
wait "$blocker"
is "$(exists evsue_p20240609)" f "evsue: evsue_p20240609 is dropped"
is "$(q "SELECT count(*) FROM pgstrata.retired WHERE parent_table = 'evsue'")" 0 "evsue: pgstrata.retired empty"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'evsue'::regclass AND inhdetachpending")" 0 \
    "evsue: no pending detach"

# The retry budget runs out while the reader is still there: exit 1 with a clear
# message, a consistent state, and the next run (reader gone) finishes.
mk_simple evbud
reader_start bud evbud 4
reader=$READER_PID
t0=$(date +%s.%N)
run "$PGSTRATA" maintain evbud --now "$NOW" --retry-budget 1
t1=$(date +%s.%N)
is "$RUN_RC" 1 "evbud: --retry-budget 1 with a 4 s reader: maintain exits 1"
like "$RUN_ERR" "evbud_p20240609.*gave up after [0-9]+ attempts" "evbud: the error says it gave up, naming the partition"
like "$RUN_ERR" "lock timeout" "evbud: ... and why (lock timeout)"
ok "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a < 3) ? 0 : 1 }')" \
    "evbud: it gave up within the budget (took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s)"
is "$(q "SELECT state FROM pgstrata.retired WHERE name = 'evbud_p20240609'")" detaching \
    "evbud: retired.state is 'detaching'"
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE parent = 'public.evbud' AND action = 'detach' AND outcome = 'failed'")" 1 \
    "evbud: the audit records the failed detach"
wait "$reader"
run "$PGSTRATA" maintain evbud --now "$NOW"
is "$RUN_RC" 0 "evbud: the next run exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$(exists evbud_p20240609)" f "evbud: evbud_p20240609 is dropped"
is "$(q "SELECT count(*) FROM pgstrata.retired WHERE parent_table = 'evbud'")" 0 "evbud: pgstrata.retired empty"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'evbud'::regclass AND inhdetachpending")" 0 \
    "evbud: no pending detach"

ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
diag "summary: DETACH CONCURRENTLY: max $(ms "${STALL_MAX[events]}") ms, p99 $(ms "${STALL_P99[events]}") ms;" \
    "plain DETACH (default partition): max $(ms "${STALL_MAX[eventsd]}") ms, p99 $(ms "${STALL_P99[eventsd]}") ms"

done_testing
