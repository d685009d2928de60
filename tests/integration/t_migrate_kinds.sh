#!/usr/bin/env bash
# migrate, the source kinds other than a plain table (t_migrate.sh): a
# declarative monthly tree re-laid out daily (rolled back after cutover, then
# finished), a daily tree re-laid out monthly, and a legacy inheritance set as
# in seed 003 (parent, monthly children with CHECKs, a BEFORE INSERT trigger
# routing by TG_TABLE_NAME) replaced by a declarative daily tree; the latter
# also rolled back after its cutover, then migrated again and finished with
# --keep-old. A writer inserts, moves keys and deletes throughout, mirroring
# each change into a plain table (truth); every phase ends with the table equal
# to it row for row. Checked in the catalog, not by pgstrata's own words.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"
# shellcheck source=tests/lib/writer.sh
source "$(dirname "$0")/../lib/writer.sh"
# shellcheck source=tests/lib/migrate.sh
source "$(dirname "$0")/../lib/migrate.sh"

# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    writer_stop
    return 0
}

NOW='2024-04-29'
ROWS="INSERT INTO events (created_at, payload)
        SELECT '2024-03-01'::timestamptz + i * interval '1728 seconds', 'p' || i
          FROM generate_series(0, 2999) i"

# Every partition of $1 is one UTC day long, and they number at least $2.
daily_tree() {
    is "$(q "SELECT relkind FROM pg_class WHERE oid = '$1'::regclass")" p "$1 is a partitioned table"
    is "$(q "SELECT partstrat::text || ' ' || pg_get_partkeydef(partrelid) FROM pg_partitioned_table
              WHERE partrelid = '$1'::regclass")" "r RANGE (created_at)" "$1: range on created_at"
    is "$(q "SELECT count(*) FROM $(parts_of "$1") WHERE hi::timestamptz - lo::timestamptz <> interval '1 day'")" \
        0 "$1: every partition is one day"
    ok "$(($(q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$1'::regclass") >= $2 ? 0 : 1))" \
        "$1: at least $2 partitions"
    is "$(q "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = '$1'::regclass AND c.relkind <> 'r'")" 0 "$1: no sub-partitioning"
}

# The table where row $2 of table $1 lives, and that table's parent.
home() {
    q "SELECT t.tableoid::regclass || ' of ' || i.inhparent::regclass
         FROM $1 t JOIN pg_inherits i ON i.inhrelid = t.tableoid WHERE t.id = $2"
}

# A row written by the test into events and the truth; its id is one the
# writer never picks (above every id of the sequence).
marker() {
    q "INSERT INTO events (id, created_at, payload) VALUES ($1, '$2', '$3');
       INSERT INTO truth (id, created_at, payload) VALUES ($1, '$2', '$3')" >/dev/null
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

# ==== a declarative monthly tree, re-laid out daily ====================================
q "CREATE TABLE events (id bigserial, created_at timestamptz NOT NULL, payload text,
                        PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)" >/dev/null
run "$PGSTRATA" create events --column created_at --interval '1 month' --start '2024-03-01' --now "$NOW" -q
is "$RUN_RC" 0 "monthly: pgstrata create" || diag "$RUN_ERR"
q "$ROWS; ANALYZE events" >/dev/null
monthly=$(q "SELECT string_agg(inhrelid::regclass::text, ' ' ORDER BY inhrelid::regclass::text)
              FROM pg_inherits WHERE inhparent = 'events'::regclass")
like "$monthly" "^events_p20240301 events_p20240401 " "monthly: the source's partitions are monthly"
truth_copy events truth
writer_start events truth "created_at < '2024-04-28'"

mig_ok monthly start events --column created_at --interval '1 day' --now "$NOW"
run "$PGSTRATA" maintain --now "$NOW"
is "$RUN_RC" 0 "monthly: maintain during the migration exits 0" || diag "$RUN_OUT" "$RUN_ERR"
like "$RUN_OUT" "limited public\\.events: a migration is re-laying it out; only new partitions" \
    "monthly: maintain only makes new partitions for the source"
like "$RUN_OUT" "limited public\\.events_pgs_new: a migration is re-laying it out" "monthly: ... and the new tree"
is "$(parts events | wc -l)" "$(wc -w <<<"$monthly")" "monthly: maintain retired nothing from the source"
mig_ok monthly backfill events --batch-rows 700
writer_wait 5
mig_ok monthly verify events
mig_ok monthly cutover events
daily_tree events 60
# ---- rollback after cutover: the monthly tree and its policy are back ----
run "$PGSTRATA" maintain --now "$NOW"
like "$RUN_OUT" "skipped public\\.events_pgs_old: a migration keeps it as it is for a rollback" \
    "monthly: maintain leaves the old tree alone after cutover"
writer_wait 10
mig_ok monthly rollback events
writer_wait 5
writer_stop
is "$(rows_differ events truth)" 0 "monthly, rolled back: events equals the truth row for row"
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'events'::regclass")" p "monthly, rolled back: events is partitioned"
is "$(q "SELECT string_agg(inhrelid::regclass::text, ' ' ORDER BY inhrelid::regclass::text)
          FROM pg_inherits WHERE inhparent = 'events'::regclass")" "$monthly" \
    "monthly, rolled back: ... by its monthly partitions"
is "$(q "SELECT parent_table || ' ' || part_interval FROM pgstrata.policy")" "events 1 month" \
    "monthly, rolled back: its monthly policy is back, the only one"
is "$(mig_step 1)" rolled_back "monthly, rolled back: the migration is rolled back"
# ---- again, to the end ----
writer_start events truth "created_at < '2024-04-28'"
mig_ok monthly start events --column created_at --interval '1 day' --now "$NOW"
mig_ok monthly backfill events
mig_ok monthly cutover events
daily_tree events 60
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'events_pgs_old'::regclass")" p "monthly: the old tree is events_pgs_old"
is "$(q "SELECT string_agg(inhrelid::regclass::text, ' ' ORDER BY inhrelid::regclass::text)
          FROM pg_inherits WHERE inhparent = 'events_pgs_old'::regclass")" "$monthly" "monthly: ... with its monthly partitions"
is "$(q "SELECT string_agg(parent_table || ' ' || part_interval, ', ' ORDER BY parent_table)
          FROM pgstrata.policy")" "events 1 day, events_pgs_old 1 month" \
    "monthly: events has the daily policy, the monthly one is parked with the old tree"
writer_wait 5
marker 900001 '2024-04-10 10:00+00' 'after cutover'
is "$(home events 900001)" "events_p20240410 of events" \
    "monthly: a row inserted after cutover lands in a daily partition of events"
mig_ok monthly finish events
is "$RUN_ERR" "" "monthly: finish prints nothing on stderr"
writer_stop
is "$(writer_failed)" 0 "monthly: no write failed" || diag "$(writer_errors)"
ok "$(($(writer_ok) > 20 ? 0 : 1))" "monthly: the writer made $(writer_ok) transactions"
is "$(rows_differ events truth)" 0 "monthly: events equals the truth row for row"
is "$(q "SELECT to_regclass('events_pgs_old') IS NULL")" t "monthly: the old tree is dropped"
is "$(q "SELECT string_agg(parent_table || ' ' || part_interval, ', ') FROM pgstrata.policy")" \
    "events 1 day" "monthly: ... with its policy"
is "$(q "SELECT count(*) FROM pg_class WHERE relname = ANY (string_to_array('$monthly', ' '))")" 0 \
    "monthly: ... and its monthly partitions"
daily_tree events 60
is "$(mig_objects 1)$(mig_objects 2)" 00 "monthly: no object of either migration is left"
is "$(mig_step 2)" finished "monthly: the migration is finished"
run "$PGSTRATA" maintain --now "$NOW"
is "$RUN_RC" 0 "monthly: maintain manages the new tree" || diag "$RUN_OUT" "$RUN_ERR"
q "DROP TABLE events, truth" >/dev/null
q "DELETE FROM pgstrata.policy" >/dev/null

# ==== a declarative daily tree, re-laid out monthly ====================================
q "CREATE TABLE events (id bigserial, created_at timestamptz NOT NULL, payload text,
                        PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)" >/dev/null
run "$PGSTRATA" create events --column created_at --interval '1 day' --start '2024-03-01' --now "$NOW" -q
is "$RUN_RC" 0 "daily: pgstrata create" || diag "$RUN_ERR"
q "$ROWS; ANALYZE events" >/dev/null
truth_copy events truth
writer_start events truth "created_at < '2024-04-28'"
mig_ok daily start events --column created_at --interval '1 month' --now "$NOW"
mig_ok daily backfill events --batch-rows 700
writer_wait 5
mig_ok daily verify events
mig_ok daily cutover events
is "$(q "SELECT count(*) FROM $(parts_of events) WHERE date_trunc('month', lo::timestamptz) <> lo::timestamptz
          OR hi::timestamptz <> lo::timestamptz + interval '1 month'")" 0 "daily: every partition of events is one month"
ok "$(($(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass") >= 2 ? 0 : 1))" \
    "daily: ... and they cover March and April at least"
is "$(q "SELECT parent_table || ' ' || part_interval FROM pgstrata.policy WHERE parent_table = 'events'")" \
    "events 1 month" "daily: events has the monthly policy"
writer_wait 5
mig_ok daily finish events
writer_stop
is "$(writer_failed)" 0 "daily: no write failed" || diag "$(writer_errors)"
is "$(rows_differ events truth)" 0 "daily: events equals the truth row for row"
is "$(q "SELECT to_regclass('events_pgs_old') IS NULL")" t "daily: the old daily tree is dropped"
q "DROP TABLE events, truth" >/dev/null
q "DELETE FROM pgstrata.policy" >/dev/null

# ==== a legacy inheritance set (seed 003) ===========================================
q "CREATE TABLE events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, payload text);
   CREATE TABLE events_2024_03 (PRIMARY KEY (id),
     CHECK (created_at >= '2024-03-01' AND created_at < '2024-04-01')) INHERITS (events);
   CREATE TABLE events_2024_04 (PRIMARY KEY (id),
     CHECK (created_at >= '2024-04-01' AND created_at < '2024-05-01')) INHERITS (events);
   CREATE FUNCTION events_insert_row() RETURNS trigger LANGUAGE plpgsql AS \$f\$
   BEGIN
     EXECUTE format('INSERT INTO %I SELECT (\$1).*',
                    TG_TABLE_NAME || '_' || to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY_MM')) USING NEW;
     RETURN NULL;
   END \$f\$;
   CREATE TRIGGER before_insert_row_trigger BEFORE INSERT ON events
     FOR EACH ROW EXECUTE FUNCTION events_insert_row();
   $ROWS; ANALYZE events, events_2024_03, events_2024_04" >/dev/null
is "$(q "SELECT count(*) FROM ONLY events")" 0 "inheritance: the routing trigger put every row in a child"
inherit_set() { # the inheritance set is events again, as it was
    is "$(q "SELECT relkind FROM pg_class WHERE oid = 'events'::regclass")" r "$1: events is a plain parent"
    is "$(q "SELECT string_agg(inhrelid::regclass::text, ' ' ORDER BY 1) FROM pg_inherits
              WHERE inhparent = 'events'::regclass")" "events_2024_03 events_2024_04" "$1: ... of its two children"
    is "$(q "SELECT tgname || ' ' || tgenabled::text FROM pg_trigger WHERE tgrelid = 'events'::regclass
              AND NOT tgisinternal")" "before_insert_row_trigger O" "$1: ... with its routing trigger alone, enabled"
    is "$(q "SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('events_2024_03'::regclass,
              'events_2024_04'::regclass) AND NOT tgisinternal")" 0 "$1: ... and no trigger on the children"
}
truth_copy events truth
writer_start events truth "extract(day from created_at) < 28"

# ---- start, backfill, verify, cutover, then rollback ----
mig_ok inheritance start events --column created_at --interval '1 day' --accept unique-scope --now "$NOW"
id=$(mig_id)
mig_ok inheritance backfill events --batch-rows 700
mig_ok inheritance verify events
mig_ok inheritance cutover events
daily_tree events 60
is "$(q "SELECT string_agg(inhrelid::regclass::text, ' ' ORDER BY 1) FROM pg_inherits
          WHERE inhparent = 'events_pgs_old'::regclass")" "events_2024_03 events_2024_04" \
    "inheritance: the children stay with the old parent, events_pgs_old"
marker 900002 '2024-04-10 10:00+00' 'after cutover'
is "$(home events 900002)" "events_p20240410 of events" \
    "inheritance: an insert into events after cutover lands in the declarative tree"
is "$(q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'events'::regclass AND tgname = 'before_insert_row_trigger'")" \
    0 "inheritance: the routing trigger is not carried over"
writer_wait 10
mig_ok inheritance rollback events
is "$RUN_ERR" "" "inheritance: rollback prints nothing on stderr"
writer_wait 5
writer_stop
is "$(writer_failed)" 0 "inheritance: no write failed" || diag "$(writer_errors)"
inherit_set "inheritance, rolled back"
is "$(rows_differ events truth)" 0 "inheritance, rolled back: events equals the truth row for row"
is "$(q "SELECT count(*) FROM ONLY events")" 0 \
    "inheritance, rolled back: the rows written since cutover went back into the children"
is "$(mig_objects "$id")" 0 "inheritance, rolled back: no object of the migration is left"
is "$(q "SELECT to_regclass('events_pgs_new') IS NULL AND to_regclass('events_pgs_old') IS NULL")" t \
    "inheritance, rolled back: neither events_pgs_new nor events_pgs_old exists"
is "$(mig_step "$id")" rolled_back "inheritance, rolled back: the migration is rolled back"

# ---- again, to the end: finish --keep-old, then finish ----
writer_start events truth "extract(day from created_at) < 28"
mig_ok inheritance start events --column created_at --interval '1 day' --accept unique-scope --now "$NOW"
id=$(mig_id)
mig_ok inheritance backfill events
mig_die inheritance migrate-cutover:after-swap cutover events
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'events'::regclass")" r \
    "inheritance: a cutover killed before its commit leaves the inheritance set in place"
mig_wait_unlocked
mig_ok inheritance cutover events
writer_wait 5
mig_ok inheritance finish events --keep-old '1 day'
writer_wait 5
is "$(mig_step "$id")" old_kept "inheritance, kept: the migration keeps the old table"
is "$(q "SELECT string_agg(inhrelid::regclass::text, ' ' ORDER BY 1) FROM pg_inherits
          WHERE inhparent = 'events_pgs_old'::regclass")" "events_2024_03 events_2024_04" \
    "inheritance, kept: events_pgs_old keeps its children"
is "$(q "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgstrata%'")" 0 \
    "inheritance, kept: no capture trigger is left anywhere"
mig_ok inheritance finish events
writer_stop
is "$(writer_failed)" 0 "inheritance: no write failed the second time" || diag "$(writer_errors)"
is "$(rows_differ events truth)" 0 "inheritance, finished: events equals the truth row for row"
daily_tree events 60
is "$(q "SELECT count(*) FROM pg_class WHERE relname IN ('events_pgs_old', 'events_2024_03', 'events_2024_04')")" \
    0 "inheritance, finished: the old parent and its children are gone"
is "$(q "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent WHERE c.relkind = 'r'")" 0 \
    "inheritance, finished: no inheritance by a plain parent is left in the database"
is "$(mig_objects "$id")" 0 "inheritance, finished: no object of the migration is left"
is "$(mig_step "$id")" finished "inheritance, finished: the migration is finished"

done_testing
