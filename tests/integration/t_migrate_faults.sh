#!/usr/bin/env bash
# migrate under faults, a writer running throughout (inserts, key-moving
# updates, deletes, each mirrored into a truth table in the same transaction):
# kill -9 at every step (failpoints, between transactions and inside one
# before its commit, and a real kill -9 of a running backfill), a killed
# connection, a second migrate on the same table, maintain during a migration,
# server restarts (fast and immediate) between and during the steps. After each:
# status says the step, the command run again (or the next one) goes on, and the
# table ends equal to the truth row for row. Rollback from each step (after
# start, mid-backfill, after verify, after cutover) ends with the source alone,
# equal to the truth, the migration's objects gone, its step rolled_back.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/writer.sh
source "$(dirname "$0")/../lib/writer.sh"
# shellcheck source=tests/lib/migrate.sh
source "$(dirname "$0")/../lib/migrate.sh"
# shellcheck source=tests/lib/pgcluster.sh
source "$(dirname "$0")/../lib/pgcluster.sh"

PRIVATE="" # a cluster of this test's own, to restart
# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    writer_stop
    local p
    for p in $(jobs -p); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [[ -n "$PRIVATE" ]] && pgcluster_stop "$PRIVATE"
    return 0
}

NOW='2024-04-29'
LAYOUT=(--column created_at --interval '1 day' --accept unique-scope --now "$NOW")

# A plain table T of 3000 rows over 60 days, its truth, and the writer on it.
setup() {
    q "CREATE TABLE $1 (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, payload text);
       INSERT INTO $1 (created_at, payload)
         SELECT '2024-03-01'::timestamptz + i * interval '1728 seconds', 'p' || i
           FROM generate_series(0, 2999) i;
       ANALYZE $1" >/dev/null
    truth_copy "$1" "$1_truth"
    writer_start "$1" "$1_truth" "created_at < '2024-04-28'"
}

# status T WORD: migrate status names the step.
status_says() {
    run "$PGSTRATA" migrate status "$1"
    is "$RUN_RC" 0 "$1: status exits 0" || diag "$RUN_ERR"
    like "$RUN_OUT" "^migration [0-9]+ of public\\.$1: $2" "$1: status says $2"
}

# The writer stopped: nothing it wrote is lost or doubled, and none of its
# writes failed (unless $2 allows it: a restart).
settled() {
    writer_wait 3
    writer_stop
    if [[ "${2:-}" != restarts ]]; then
        is "$(writer_failed)" 0 "$1: no write failed" || diag "$(writer_errors)"
    fi
    is "$(rows_differ "$1" "$1_truth")" 0 "$1: equal to the truth row for row"
    is "$(q "SELECT count(*) - count(DISTINCT id) FROM $1")" 0 "$1: no id twice"
}

# The source alone again after a rollback of migration ID.
rolled_back() {
    local t=$1 id=$2
    settled "$t"
    is "$(q "SELECT relkind FROM pg_class WHERE oid = '$t'::regclass")" r "$t: a plain table again"
    is "$(q "SELECT to_regclass('${t}_pgs_new') IS NULL AND to_regclass('${t}_pgs_old') IS NULL")" t \
        "$t: neither ${t}_pgs_new nor ${t}_pgs_old exists"
    is "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE '${t}\\_pgs\\_%'")" 0 "$t: nor any partition of the new tree"
    is "$(mig_objects "$id")" 0 "$t: no pgstrata.m${id}_* object or capture trigger is left"
    is "$(q "SELECT count(*) FROM pg_trigger WHERE tgrelid = '$t'::regclass AND NOT tgisinternal")" 0 \
        "$t: no trigger on it"
    is "$(q "SELECT count(*) FROM pgstrata.policy WHERE parent_table LIKE '$t%'")" 0 "$t: no policy is left"
    is "$(mig_step "$id")" rolled_back "$t: migration $id is rolled_back"
}

# Waits until migration ID has copied more than N rows (at most 30 s).
copied_past() {
    local i
    for ((i = 0; i < 300; i++)); do
        (($(q "SELECT rows_copied FROM pgstrata.migration WHERE id = $1") > $2)) && return 0
        sleep 0.1
    done
    return 1
}
copied() { q "SELECT rows_copied FROM pgstrata.migration WHERE id = $1"; }

# A slow backfill of T in the background (100 rows a batch, 1000 rows/s): BF_PID.
slow_backfill() {
    "$PGSTRATA" migrate backfill "$1" --batch-rows 100 --max-rate 1000 \
        >"$TEST_TMPDIR/bf.out" 2>"$TEST_TMPDIR/bf.err" &
    BF_PID=$!
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

# ==== start: killed inside its transaction and after it; a second start; maintain ======
setup fa
mig_die fa migrate-start:after-tree start fa "${LAYOUT[@]}"
run "$PGSTRATA" migrate status fa
is "$RUN_RC" 1 "fa: status after a start killed before its commit: exit 1"
is "$RUN_ERR" "pgstrata: error: public.fa has never been migrated" "fa: ... it says nothing was started"
is "$(q "SELECT to_regclass('fa_pgs_new') IS NULL")" t "fa: no new tree was left"
is "$(q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'fa'::regclass AND NOT tgisinternal")" 0 \
    "fa: no capture trigger was left"
is "$(q "SELECT (SELECT count(*) FROM pgstrata.migration) + (SELECT count(*) FROM pgstrata.policy)")" 0 \
    "fa: no migration or policy row"
mig_wait_unlocked
mig_die fa migrate-start:after-commit start fa "${LAYOUT[@]}"
id=$(mig_id)
status_says fa backfilling
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'fa_pgs_new'::regclass")" p "fa: the new tree is there"
mig_wait_unlocked
run "$PGSTRATA" migrate start fa "${LAYOUT[@]}"
is "$RUN_RC" 1 "fa: a second start: exit 1"
is "$RUN_ERR" "pgstrata: error: a migration of public.fa is already in progress (step started); see \"pgstrata migrate status public.fa\"" \
    "fa: ... and its message"
run "$PGSTRATA" maintain --now "$NOW"
is "$RUN_RC" 0 "fa: maintain during the migration exits 0" || diag "$RUN_OUT" "$RUN_ERR"
like "$RUN_OUT" "limited public\\.fa_pgs_new: a migration is re-laying it out; only new partitions" \
    "fa: maintain only makes new partitions for the new tree"
# ---- rollback after start, killed once before its commit ----
mig_die fa migrate-rollback:after-drop rollback fa
status_says fa backfilling
is "$(q "SELECT to_regclass('fa_pgs_new') IS NOT NULL")" t "fa: the new tree is still there"
mig_wait_unlocked
mig_ok fa rollback fa
rolled_back fa "$id"
mig_ok fa rollback fa
like "$RUN_OUT" "is rolled back already" "fa: rollback again: nothing to do, exit 0"

# ==== backfill, verify, cutover, finish: killed at each point ===========================
setup fb
mig_ok fb start fb "${LAYOUT[@]}"
id=$(mig_id)
mig_die fb migrate-backfill:after-batch:3 backfill fb --batch-rows 200
status_says fb backfilling
like "$RUN_OUT" "copied: +600 of" "fb: status counts the three batches the killed run committed"
mig_wait_unlocked
# a real kill -9 of a running backfill; meanwhile a second migrate on the table
slow_backfill fb
copied_past "$id" 900
status_says fb backfilling # status reads, it does not wait for the running step
run "$PGSTRATA" migrate start fb "${LAYOUT[@]}"
is "$RUN_RC" 1 "fb: start while a backfill runs: exit 1"
is "$RUN_ERR" "pgstrata: error: another pgstrata migrate is working on public.fb; try again when it is done" \
    "fb: ... and its message"
kill -9 "$BF_PID"
wait "$BF_PID" 2>/dev/null
is "$?" 137 "fb: the running backfill was killed by SIGKILL"
mig_wait_unlocked
ok $? "fb: its session is gone"
status_says fb backfilling
is "$(q "SELECT backfill_done FROM pgstrata.migration WHERE id = $id")" f "fb: the backfill is not done"
# its connection killed (pg_terminate_backend) mid-backfill
before=$(copied "$id")
slow_backfill fb
copied_past "$id" $((before + 200))
is "$(q "SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE application_name = 'pgstrata' AND datname = current_database()")" t \
    "fb: pgstrata's session is terminated"
wait "$BF_PID"
is "$?" 1 "fb: the backfill whose connection was killed exits 1"
like "$(cat "$TEST_TMPDIR/bf.err")" "terminating connection due to administrator command" \
    "fb: ... saying the server ended the connection"
like "$(cat "$TEST_TMPDIR/bf.err")" "hint: the connection to the server was lost; .*\"pgstrata migrate backfill public\\.fb\" goes on from there" \
    "fb: ... and what to run to go on"
status_says fb backfilling
mig_ok fb backfill fb --batch-rows 500
is "$(q "SELECT backfill_done FROM pgstrata.migration WHERE id = $id")" t "fb: the backfill run again finished"
# verify killed inside its snapshot
mig_die fb migrate-verify:in-check verify fb
status_says fb backfilled
mig_ok fb verify fb
like "$RUN_OUT" "^equal: " "fb: verify says equal"
# cutover killed before its lock, under it, after the swap (each uncommitted), after its commit
for fp in after-drain after-lock after-swap; do
    mig_wait_unlocked
    mig_die fb "migrate-cutover:$fp" cutover fb
    status_says fb backfilled
    is "$(q "SELECT relkind FROM pg_class WHERE oid = 'fb'::regclass")" r "fb: cutover killed at $fp: fb is still the source"
done
mig_wait_unlocked
mig_die fb migrate-cutover:after-commit cutover fb
status_says fb cutover
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'fb'::regclass")" p "fb: cutover killed after its commit: fb is the new tree"
is "$(q "SELECT last_analyze IS NULL FROM pg_stat_user_tables WHERE relid = 'fb'::regclass")" t \
    "fb: ... not analyzed yet"
mig_wait_unlocked
mig_ok fb cutover fb
like "$RUN_OUT" "was done already; analyzed the new table" "fb: cutover again only analyzes"
is "$(q "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relid = 'fb'::regclass")" t \
    "fb: ... the new parent is analyzed"
# finish killed before its commit, then after it
mig_die fb migrate-finish:after-drop finish fb
status_says fb cutover
is "$(q "SELECT to_regclass('fb_pgs_old') IS NOT NULL")" t "fb: finish killed before its commit: the old table is there"
mig_wait_unlocked
mig_die fb migrate-finish:after-commit finish fb
status_says fb finished
is "$(q "SELECT to_regclass('fb_pgs_old') IS NULL")" t "fb: finish killed after its commit: the old table is gone"
mig_wait_unlocked
mig_ok fb finish fb
like "$RUN_OUT" "is finished already" "fb: finish again: nothing to do, exit 0"
settled fb
is "$(mig_objects "$id")" 0 "fb: no object of the migration is left"

# ==== rollback mid-backfill, after verify ==============================================
setup fc
mig_ok fc start fc "${LAYOUT[@]}"
id=$(mig_id)
mig_die fc migrate-backfill:after-batch:2 backfill fc --batch-rows 300
mig_wait_unlocked
mig_ok fc rollback fc
rolled_back fc "$id"

setup fd
mig_ok fd start fd "${LAYOUT[@]}"
id=$(mig_id)
mig_ok fd backfill fd
mig_ok fd verify fd
mig_ok fd rollback fd
rolled_back fd "$id"

# ==== rollback after cutover, killed at each point ====================================
setup fe
mig_ok fe start fe "${LAYOUT[@]}"
id=$(mig_id)
mig_ok fe backfill fe
mig_ok fe cutover fe
writer_wait 10
# the reverse log applied one row at a time, each key-moving update's new key
# first (as when its second log row lands in an earlier page than its first)
writer_stop
for t in fe fe_truth; do
    q "UPDATE $t SET created_at = created_at + interval '1 day', payload = 'moved back'
        WHERE id % 100 = 1 AND created_at < '2024-04-28'" >/dev/null
done
q "WITH d AS (DELETE FROM pgstrata.m${id}_rlog l WHERE NOT EXISTS
               (SELECT 1 FROM fe WHERE fe.id = l.c1 AND fe.created_at = l.k) RETURNING *)
   INSERT INTO pgstrata.m${id}_rlog SELECT * FROM d" >/dev/null
for ((i = 0; i < 300; i++)); do
    n=$(q "SELECT pgstrata.m${id}_rreplay(1)") || break
    [[ $n == 0 ]] && break
done
is "$(q "SELECT count(*) FROM pgstrata.m${id}_rlog")" 0 "fe: the reverse log applied one row at a time, new keys first"
is "$(rows_differ fe fe_pgs_old)" 0 "fe: the old table equals the new one row for row"
writer_start fe fe_truth "created_at < '2024-04-28'"
for fp in after-drain after-lock after-swap; do
    mig_wait_unlocked
    mig_die fe "migrate-rollback:$fp" rollback fe
    status_says fe cutover
    is "$(q "SELECT relkind FROM pg_class WHERE oid = 'fe'::regclass")" p "fe: rollback killed at $fp: fe is still the new tree"
done
mig_wait_unlocked
mig_ok fe rollback fe
rolled_back fe "$id"

# ==== the change log applied in batches that split a key-moving update's two rows ======
# (cutover and backfill apply it 10,000 rows at a time; here one at a time)
setup fg
writer_stop
mig_ok fg start fg "${LAYOUT[@]}"
id=$(mig_id)
for t in fg fg_truth; do
    q "UPDATE $t SET created_at = created_at + interval '1 day', payload = 'moved'
        WHERE id % 100 = 0 AND created_at < '2024-04-28'" >/dev/null
done
# the backfill (its function alone, one range from start to end: the command
# would apply the log) copies the moved rows where they are now
q "SELECT pgstrata.m${id}_backfill(NULL, NULL, NULL, true)" >/dev/null
for ((i = 0; i < 100; i++)); do
    q "SELECT pgstrata.m${id}_replay(1)" >/dev/null || break
done
is "$(q "SELECT count(*) FROM pgstrata.m${id}_log")" 0 "fg: the log applied one row at a time"
is "$(rows_differ fg fg_pgs_new)" 0 "fg: the new tree equals the source row for row"
writer_start fg fg_truth "created_at < '2024-04-28'"
mig_ok fg backfill fg
mig_ok fg cutover fg
mig_ok fg finish fg
settled fg

# ==== server restarts: between the steps (fast), and during a backfill (immediate) =====
PRIVATE=$(pgcluster_mktemp) || bail "could not make a directory for a cluster to restart"
pgcluster_start "$PRIVATE" || bail "could not start a cluster to restart"
restart() {
    pgcluster_restart "$PRIVATE" "$1"
    ok $? "fr: server restarted ($1)"
}
run "$PGSTRATA" init -q
is "$RUN_RC" 0 "fr: init on the restartable cluster"
setup fr
mig_ok fr start fr "${LAYOUT[@]}"
id=$(mig_id)
restart fast
status_says fr backfilling
mig_die fr migrate-backfill:after-batch:2 backfill fr --batch-rows 300
restart fast
slow_backfill fr
copied_past "$id" 900
restart immediate
wait "$BF_PID"
is "$?" 1 "fr: the backfill running through a crash exits 1"
like "$(cat "$TEST_TMPDIR/bf.err")" "hint: the connection to the server was lost; .*\"pgstrata migrate backfill public\\.fr\" goes on from there" \
    "fr: ... saying how to go on"
status_says fr backfilling
mig_ok fr backfill fr
restart fast
mig_ok fr verify fr
mig_ok fr cutover fr
restart fast
status_says fr cutover
mig_ok fr finish fr
settled fr restarts
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'fr'::regclass")" p "fr: fr is the new tree"
is "$(mig_step "$id")" finished "fr: the migration is finished"

done_testing
