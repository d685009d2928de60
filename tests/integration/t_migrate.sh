#!/usr/bin/env bash
# migrate: a plain table re-laid out daily while a writer inserts, updates (the
# key too) and deletes throughout: start, backfill, verify, cutover, rollback
# after cutover (nothing lost), then again to the end (finish). Checked in the
# catalog and row for row, not by pgstrata's own words.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/writer.sh
source "$(dirname "$0")/../lib/writer.sh"

# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    writer_stop
    return 0
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"
q "CREATE TABLE events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, payload text);
   CREATE INDEX events_payload ON events (payload);
   INSERT INTO events (created_at, payload)
     SELECT '2024-03-01'::timestamptz + (i * interval '259 seconds'), 'p' || i
       FROM generate_series(1, 20000) i;
   CREATE VIEW recent_events AS SELECT id, payload FROM events WHERE id > 100;
   GRANT SELECT ON events TO PUBLIC;
   ANALYZE events" >/dev/null

# ---- usage and refusals ---------------------------------------------------------------
run "$PGSTRATA" migrate
is "$RUN_RC" 2 "migrate without a subcommand: usage error"
run "$PGSTRATA" migrate sideways events
is "$RUN_RC" 2 "an unknown subcommand: usage error"
is "$RUN_ERR" 'pgstrata: error: unknown migrate subcommand "sideways"
Try "pgstrata --help" for more information.' "... and its message"
run "$PGSTRATA" migrate status events
is "$RUN_RC" 1 "status of a table never migrated: exit 1"
is "$RUN_ERR" "pgstrata: error: public.events has never been migrated" "... and its message"
run "$PGSTRATA" migrate backfill events
is "$RUN_RC" 1 "backfill without a migration: exit 1"
like "$RUN_ERR" "no migration of public.events is in progress" "... says so"
run "$PGSTRATA" migrate start events --column created_at --interval '1 day' --now '2024-04-29'
is "$RUN_RC" 1 "start without accepting the narrower unique key: exit 1"
like "$RUN_ERR" "unique-scope" "... names the blocker to accept"
is "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE 'events\\_pgs%'")" 0 "... and built nothing"
is "$(q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'events'::regclass")" 0 "... installed no trigger"

# ---- start --------------------------------------------------------------------------
truth_copy events truth
writer_start events truth "created_at < '2024-04-28'"
run "$PGSTRATA" migrate start events --column created_at --interval '1 day' \
    --retention '40 days' --accept unique-scope --now '2024-04-29'
is "$RUN_RC" 0 "start exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'events_pgs_new'::regclass")" p \
    "the new table is partitioned"
is "$(q "SELECT pg_get_partkeydef('events_pgs_new'::regclass)")" "RANGE (created_at)" "by created_at"
ok "$(( $(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events_pgs_new'::regclass") >= 59 ? 0 : 1 ))" \
    "with a partition per day of data"
is "$(q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'events'::regclass AND tgname LIKE 'pgstrata%'")" 1 \
    "the source has the capture trigger"
is "$(q "SELECT step FROM pgstrata.migration")" started "pgstrata.migration says started"
# maintain during a migration (days later): new partitions only, nothing retired
parts_before=$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events_pgs_new'::regclass")
run "$PGSTRATA" maintain --now '2024-05-20'
is "$RUN_RC" 0 "maintain during a migration exits 0" || diag "$RUN_OUT" "$RUN_ERR"
like "$RUN_OUT" "limited public.events_pgs_new: a migration is re-laying it out; only new partitions" \
    "maintain says it only makes new partitions for the new tree"
ok "$(( $(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events_pgs_new'::regclass") > parts_before ? 0 : 1 ))" \
    "the new tree got partitions for the days since start"
is "$(q "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'events_pgs_new'::regclass
            AND pg_get_expr(c.relpartbound, c.oid) LIKE '%FROM (''2024-03-01 00:00:00+00'')%'")" 1 \
    "and kept the oldest, though past the 40 days of retention"
is "$(q "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'events_pgs_new'::regclass
            AND pg_get_expr(c.relpartbound, c.oid) LIKE '%FROM (''2024-05-20 00:00:00+00'')%'")" 1 \
    "including the day of the pass"
run "$PGSTRATA" migrate start events --column created_at --interval '1 day' --accept unique-scope
is "$RUN_RC" 1 "a second start: exit 1"
like "$RUN_ERR" "already in progress" "... says a migration is in progress"
run "$PGSTRATA" migrate cutover events
is "$RUN_RC" 1 "cutover before the backfill: exit 1"
like "$RUN_ERR" "still backfilling" "... says why"

# ---- a row written where the new layout has no partition stops the replay, with what to do
# (id -1: the writer deletes rows at random among the ids from 1 up, and deleting this
# one first made the backfill succeed now and then)
q "INSERT INTO events (id, created_at, payload) VALUES (-1, '2100-01-01 00:00+00', 'far future')" >/dev/null
run "$PGSTRATA" migrate backfill events --batch-rows 3000
is "$RUN_RC" 1 "backfill with a captured row no new partition holds: exit 1"
is "$RUN_ERR" 'pgstrata: error: could not apply the captured changes: a row written since the migration started has a key no partition of public.events_pgs_new holds (Partition key of the failing row contains (created_at) = (2100-01-01 00:00:00+00)); add a partition for it ("pgstrata maintain" makes them up to the premake horizon; a key beyond it needs one made by hand) or change the row, then run this command again' \
    "... says which key and what to do"
q "DELETE FROM events WHERE payload = 'far future'" >/dev/null

# ---- backfill, verify -------------------------------------------------------------------
run "$PGSTRATA" migrate backfill events --batch-rows 3000
is "$RUN_RC" 0 "backfill exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$(q "SELECT backfill_done FROM pgstrata.migration")" t "the backfill is recorded as done"
run "$PGSTRATA" migrate verify events
is "$RUN_RC" 0 "verify with the writer running: equal" || diag "$RUN_OUT" "$RUN_ERR"
like "$RUN_OUT" "^equal: " "... and says so"
# a real difference is found and its range printed
q "UPDATE events_pgs_new SET payload = 'corrupted' WHERE id = 10" >/dev/null
run "$PGSTRATA" migrate verify events
is "$RUN_RC" 1 "verify finds a corrupted row: exit 1"
like "$RUN_OUT" "MISMATCH \\[2024-03-01 00:00:00\\+00, 2024-03-02 00:00:00\\+00\\)" "... and prints its day"
q "UPDATE events_pgs_new n SET payload = e.payload FROM events e WHERE n.id = 10 AND e.id = 10" >/dev/null

# ---- cutover with the writer running ----------------------------------------------------
run "$PGSTRATA" migrate cutover events --lock-timeout 2s
is "$RUN_RC" 0 "cutover exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'events'::regclass")" p "events is now the partitioned table"
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'events_pgs_old'::regclass")" r "the old table is events_pgs_old"
is "$(q "SELECT DISTINCT d.refobjid::regclass FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
          WHERE r.ev_class = 'recent_events'::regclass AND d.refobjid <> 'recent_events'::regclass")" events \
    "the view now reads the new table"
is "$(q "SELECT d.refobjid::regclass FROM pg_depend d WHERE d.objid = 'events_id_seq'::regclass
          AND d.deptype = 'a'")" events "the id sequence belongs to the new table"
is "$(q "SELECT has_table_privilege('public', 'events', 'SELECT')")" t "the grant was carried over"
is "$(q "SELECT parent_table FROM pgstrata.policy")" events "the policy has the table's name"

# ---- rollback after cutover, the writer running: nothing written since is lost ----------
writer_wait 20
run "$PGSTRATA" migrate rollback events
is "$RUN_RC" 0 "rollback after cutover exits 0" || diag "$RUN_OUT" "$RUN_ERR"
writer_wait 5
writer_stop
is "$(writer_failed)" 0 "no write failed during the migration and its rollback" || diag "$(writer_errors)"
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'events'::regclass")" r "events is the plain table again"
is "$(rows_differ events truth)" 0 "the restored table holds exactly the rows written, through either table"
is "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE 'events\\_pgs%'")" 0 "the new tree is gone"
is "$(q "SELECT count(*) FROM pg_proc WHERE proname LIKE 'm1\\_%'")" 0 "the migration's functions are gone"
is "$(q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal")" 0 \
    "no trigger is left on events"
is "$(q "SELECT step FROM pgstrata.migration WHERE id = 1")" rolled_back "the migration is rolled back"

# ---- again, to the end --------------------------------------------------------------------
writer_start events truth "created_at < '2024-04-28'"
run "$PGSTRATA" migrate start events --column created_at --interval '1 day' --accept unique-scope
is "$RUN_RC" 0 "start again" || diag "$RUN_ERR"
run "$PGSTRATA" migrate backfill events
is "$RUN_RC" 0 "backfill again"
run "$PGSTRATA" migrate cutover events
is "$RUN_RC" 0 "cutover again" || diag "$RUN_ERR"
run "$PGSTRATA" migrate status events --json
is "$RUN_RC" 0 "status --json"
like "$RUN_OUT" '"step":[[:space:]]*"cutover"' "status says cutover"
old_rows=$(q "SELECT count(*) FROM events_pgs_old")
run "$PGSTRATA" migrate finish events --archive-command 'cat >/dev/null; exit 3'
is "$RUN_RC" 1 "finish whose archive command fails: exit 1"
is "$RUN_ERR" 'pgstrata: error: the archive command failed (exit status 3); public.events_pgs_old is kept, and the next "pgstrata migrate finish" archives it again' \
    "... says so"
is "$(q "SELECT to_regclass('events_pgs_old') IS NOT NULL")" t "... and drops nothing"
run "$PGSTRATA" migrate finish events --archive-command "cat > $TEST_TMPDIR/old.copy; echo %t > $TEST_TMPDIR/old.name"
is "$RUN_RC" 0 "finish exits 0" || diag "$RUN_ERR"
like "$RUN_OUT" "archived public.events_pgs_old with the archive command" "finish says it archived the old table"
is "$(wc -l <"$TEST_TMPDIR/old.copy")" "$old_rows" "the archive command got every row of the old table"
is "$(cat "$TEST_TMPDIR/old.name")" "public.events_pgs_old" "... and its name as %t"
writer_stop
is "$(writer_failed)" 0 "no write failed the second time" || diag "$(writer_errors)"
is "$(q "SELECT to_regclass('events_pgs_old') IS NULL")" t "the old table is dropped"
is "$(rows_differ events truth)" 0 "the new table holds exactly the rows written"
is "$(q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal")" 0 \
    "no capture trigger is left"
is "$(q "SELECT step FROM pgstrata.migration ORDER BY id DESC LIMIT 1")" finished "the migration is finished"
run "$PGSTRATA" maintain events --now '2024-04-29'
is "$RUN_RC" 0 "maintain manages the new table" || diag "$RUN_OUT" "$RUN_ERR"

done_testing
