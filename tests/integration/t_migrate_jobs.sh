#!/usr/bin/env bash
# migrate backfill --jobs: bad values; a parallel backfill killed with kill -9 in the
# middle, and one stopped by Ctrl-C, each resumed, with a writer inserting, updating (the
# key too) and deleting throughout; a composite identity (monthly partitions to daily);
# a role allowed one connection (the command's own session copies).
# At the end source and new tree are equal row for row, checked in SQL.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"

WRITER_PID=""
BF_PID=""
# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    [[ -n "$BF_PID" ]] && kill -9 "$BF_PID" 2>/dev/null
    stop_writer
    return 0
}

start_writer() { # TABLE MAXID
    rm -f "$TEST_TMPDIR/stop"
    (
        while [[ ! -f "$TEST_TMPDIR/stop" ]]; do
            psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN;
                INSERT INTO $1 (created_at, payload)
                  VALUES ('2024-03-01'::timestamptz + random() * interval '59 days', 'new');
                UPDATE $1 SET payload = 'moved', created_at = created_at + interval '1 day'
                 WHERE id = (SELECT floor(random() * $2)::bigint + 1)
                   AND created_at < '2024-04-28';
                UPDATE $1 SET payload = 'touched'
                 WHERE id = (SELECT floor(random() * $2)::bigint + 1);
                DELETE FROM $1 WHERE id = (SELECT floor(random() * $2)::bigint + 1);
                COMMIT;" >/dev/null 2>>"$TEST_TMPDIR/writer.err" || echo fail >>"$TEST_TMPDIR/writer.fail"
        done
    ) &
    WRITER_PID=$!
}
stop_writer() {
    [[ -n "$WRITER_PID" ]] || return 0
    touch "$TEST_TMPDIR/stop"
    wait "$WRITER_PID" 2>/dev/null
    WRITER_PID=""
}
# rows of A not in B plus rows of B not in A
differ() {
    q "SELECT (SELECT count(*) FROM (TABLE $1 EXCEPT ALL TABLE $2) a)
            + (SELECT count(*) FROM (TABLE $2 EXCEPT ALL TABLE $1) b)"
}
state() { q "SELECT backfill_done || ' ' || (rows_copied > 0) FROM pgstrata.migration WHERE source = '$1' AND step = 'started'"; }

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"
q "CREATE TABLE events (id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
                        created_at timestamptz NOT NULL, payload text);
   CREATE INDEX events_created ON events (created_at);
   INSERT INTO events (created_at, payload)
     SELECT '2024-03-01'::timestamptz + (i * interval '43 seconds'), 'p' || i
       FROM generate_series(1, 120000) i;
   ANALYZE events" >/dev/null

# ---- bad values -------------------------------------------------------------------------
for bad in 0 65 -1 two 1.5 ''; do
    run "$PGSTRATA" migrate backfill events --jobs "$bad"
    is "$RUN_RC" 2 "--jobs '$bad': usage error"
    is "$RUN_ERR" "pgstrata: error: invalid --jobs \"$bad\": a whole number from 1 to 64
Try \"pgstrata --help\" for more information." "... with its message"
done
run "$PGSTRATA" migrate backfill events --jobs 2
is "$RUN_RC" 1 "--jobs without a migration: exit 1"
like "$RUN_ERR" "no migration of public.events is in progress" "... says so"
run "$PGSTRATA" --help
like "$RUN_OUT" "migrate backfill: copy with N sessions at once" "--help says what --jobs does for backfill"

run "$PGSTRATA" migrate start events --column created_at --interval '1 day' \
    --accept unique-scope --now '2024-04-29'
is "$RUN_RC" 0 "start" || diag "$RUN_ERR"

# ---- kill -9 in the middle of a parallel backfill, with the writer running --------------
start_writer events 120000
"$PGSTRATA" migrate backfill events --jobs 3 --batch-rows 2000 --max-rate 30000 \
    >"$TEST_TMPDIR/bf1.out" 2>&1 &
BF_PID=$!
for ((i = 0; i < 100; i++)); do
    [[ $(q "SELECT rows_copied > 6000 FROM pgstrata.migration WHERE source = 'events'") == t ]] && break
    sleep 0.1
done
sessions=$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgstrata'
              AND datname = current_database()")
ok $((sessions >= 4 ? 0 : 1)) "the backfill runs with its own session and 3 more (saw $sessions)"
kill -9 "$BF_PID"
wait "$BF_PID" 2>/dev/null
BF_PID=""
is "$(state events)" "false true" "killed in the middle: some rows copied, not done"
cursor=$(q "SELECT backfill_cursor[1] FROM pgstrata.migration WHERE source = 'events'")
note "cursor after the kill: ${cursor:-none}"
# the resume may find the killed run's sessions still finishing their batches; it
# waits for them (the replay's lock), and its lock on the table is free once the
# killed session's server side has gone
for ((i = 0; i < 50; i++)); do
    run "$PGSTRATA" migrate backfill events --jobs 2 --batch-rows 3000
    [[ "$RUN_RC" == 1 && "$RUN_ERR" == *"another pgstrata migrate is working"* ]] || break
    sleep 0.2
done
is "$RUN_RC" 0 "the resumed backfill exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$(state events)" "true true" "the backfill is recorded as done"

# ---- Ctrl-C in the middle: every session's statement is cancelled ------------------------
run "$PGSTRATA" migrate rollback events
is "$RUN_RC" 0 "rollback (to try Ctrl-C on a fresh backfill)" || diag "$RUN_ERR"
run "$PGSTRATA" migrate start events --column created_at --interval '1 day' --accept unique-scope
is "$RUN_RC" 0 "start again" || diag "$RUN_ERR"
"$PGSTRATA" migrate backfill events --jobs 4 --batch-rows 2000 --max-rate 30000 \
    >"$TEST_TMPDIR/bf2.out" 2>"$TEST_TMPDIR/bf2.err" &
BF_PID=$!
for ((i = 0; i < 100; i++)); do
    [[ $(q "SELECT rows_copied > 6000 FROM pgstrata.migration WHERE source = 'events'
             AND step = 'started'") == t ]] && break
    sleep 0.1
done
kill -INT "$BF_PID"
wait "$BF_PID"
rc=$?
BF_PID=""
is "$rc" 1 "Ctrl-C: exit 1"
like "$(cat "$TEST_TMPDIR/bf2.err")" "interrupted after [0-9]+ rows; \"pgstrata migrate backfill public.events\" goes on from there" \
    "... says where the next run goes on"
for ((i = 0; i < 40; i++)); do
    left=$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgstrata'
              AND datname = current_database()")
    [[ "$left" == 0 ]] && break
    sleep 0.1
done
is "$left" 0 "no backfill session is left (each statement was cancelled, each session closed)"
is "$(state events)" "false true" "not done, some rows copied"
run "$PGSTRATA" migrate backfill events --jobs 3
is "$RUN_RC" 0 "the resumed backfill exits 0" || diag "$RUN_OUT" "$RUN_ERR"
like "$RUN_OUT" "backfill of public.events done" "... and says so"

sleep 1
stop_writer
is "$(wc -l <"$TEST_TMPDIR/writer.fail" 2>/dev/null || echo 0)" 0 "no write failed during the backfills" ||
    diag "$(cat "$TEST_TMPDIR/writer.err")"
run "$PGSTRATA" migrate verify events
is "$RUN_RC" 0 "verify: equal" || diag "$RUN_OUT" "$RUN_ERR"
is "$(differ events events_pgs_new)" 0 "source and new tree are equal row for row"
is "$(q "SELECT count(*) FROM pgstrata.m2_log")" 0 "nothing left to replay"

# ---- composite identity: monthly partitions to daily, three sessions ---------------------
q "CREATE TABLE monthly (id bigint GENERATED ALWAYS AS IDENTITY, created_at timestamptz NOT NULL,
                         payload text, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);
   CREATE TABLE monthly_2024_03 PARTITION OF monthly FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
   CREATE TABLE monthly_2024_04 PARTITION OF monthly FOR VALUES FROM ('2024-04-01') TO ('2024-05-01');
   INSERT INTO monthly (created_at, payload)
     SELECT '2024-03-01'::timestamptz + (i * interval '103 seconds'), 'm' || i
       FROM generate_series(1, 50000) i;
   ANALYZE monthly" >/dev/null
run "$PGSTRATA" migrate start monthly --column created_at --interval '1 day' --now '2024-04-29'
is "$RUN_RC" 0 "start monthly -> daily" || diag "$RUN_ERR"
start_writer monthly 50000
run "$PGSTRATA" migrate backfill monthly --jobs 3 --batch-rows 1500
is "$RUN_RC" 0 "parallel backfill of a composite identity" || diag "$RUN_OUT" "$RUN_ERR"
stop_writer
run "$PGSTRATA" migrate verify monthly
is "$RUN_RC" 0 "verify: equal" || diag "$RUN_OUT" "$RUN_ERR"
is "$(differ monthly monthly_pgs_new)" 0 "monthly and its new tree are equal row for row"
is "$(q "SELECT backfill_cursor IS NULL OR array_length(backfill_cursor, 1) = 2
          FROM pgstrata.migration WHERE source = 'monthly'")" t "the cursor holds both identity columns"

# ---- no other session can connect: this one copies ------------------------------------
role=solo_$$
q "CREATE ROLE $role LOGIN CONNECTION LIMIT 1;
   GRANT USAGE, CREATE ON SCHEMA pgstrata, public TO $role;
   GRANT ALL ON ALL TABLES IN SCHEMA pgstrata TO $role;
   GRANT ALL ON ALL SEQUENCES IN SCHEMA pgstrata TO $role" >/dev/null
PGUSER=$role psql -X -q -v ON_ERROR_STOP=1 -c "CREATE TABLE solo (id bigint PRIMARY KEY
        GENERATED ALWAYS AS IDENTITY, created_at timestamptz NOT NULL, payload text);
    INSERT INTO solo (created_at, payload)
      SELECT '2024-03-01'::timestamptz + (i * interval '259 seconds'), 's' || i
        FROM generate_series(1, 20000) i" >/dev/null
run env PGUSER="$role" "$PGSTRATA" migrate start solo --column created_at --interval '1 day' \
    --accept unique-scope --now '2024-04-29' -q
is "$RUN_RC" 0 "start, as a role allowed one connection" || diag "$RUN_ERR"
run env PGUSER="$role" "$PGSTRATA" migrate backfill solo --jobs 2 --batch-rows 3000
is "$RUN_RC" 0 "backfill --jobs 2 when no other session can connect" || diag "$RUN_OUT" "$RUN_ERR"
like "$RUN_ERR" "warning: a backfill session could not connect: .*too many connections for role" \
    "... warns for each session that could not connect"
like "$RUN_OUT" "backfill of public.solo done: 20000 rows copied" "... and copies on its own session"
run env PGUSER="$role" "$PGSTRATA" migrate verify solo
is "$RUN_RC" 0 "verify: equal" || diag "$RUN_OUT" "$RUN_ERR"
is "$(differ solo solo_pgs_new)" 0 "solo and its new tree are equal row for row"
run env PGUSER="$role" "$PGSTRATA" migrate rollback solo -q
is "$RUN_RC" 0 "rollback" || diag "$RUN_ERR"
q "DROP TABLE solo; DROP OWNED BY $role; DROP ROLE $role" >/dev/null

done_testing
