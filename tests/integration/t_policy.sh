#!/usr/bin/env bash
# policy list / show / set / drop, and init: what is stored, and what the next plan does.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"

TRY='Try "pgstrata --help" for more information.'

# jsonq JSON QUERY: run QUERY (a SELECT) with doc(j) holding the JSON document, in the
# server (no jq needed); the SQL goes through stdin, so large documents are fine.
jsonq() {
    # shellcheck disable=SC2016 # dollar quotes are SQL, not shell
    printf 'WITH doc AS (SELECT $pgsj$%s$pgsj$::json AS j) %s;\n' "$1" "$2" |
        psql -X -A -t -q -v ON_ERROR_STOP=1 -f -
}

# The stored policy row of a table, every column but the timestamps.
row() {
    q "SELECT concat_ws('|', parent_schema, parent_table, key_column, key_type, part_interval, premake,
                       start_at, retention, retention_mode, archive_command, detach_schema, drop_delay,
                       maintenance_window, time_zone, lock_timeout_ms, analyze_mode, enabled)
         FROM pgstrata.policy WHERE parent_table = '$1'"
}

partitions() {
    q "SELECT coalesce(string_agg(c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid), E'\n' ORDER BY c.relname), '')
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '$1'::regclass"
}

# ---- init ------------------------------------------------------------------------
run "$PGSTRATA" init
is "$RUN_RC" 0 "init exits 0"
is "$RUN_OUT" "installed pgstrata schema version 5" "first init installs the latest version, 5"
run "$PGSTRATA" init
is "$RUN_RC" 0 "second init exits 0"
is "$RUN_OUT" "pgstrata schema is up to date (version 5)" "second init: up to date"
run "$PGSTRATA" init
is "$RUN_OUT" "pgstrata schema is up to date (version 5)" "third init: still up to date"
is "$(q "SELECT string_agg(version::text, ',' ORDER BY version) FROM pgstrata.schema_version")" \
    "1,2,3,4,5" "schema_version records each version applied"
is "$(q "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
          WHERE relnamespace = 'pgstrata'::regnamespace AND relkind = 'r'")" \
    "audit,migration,partition_cache,pending,policy,retired,schema_version" "the seven tables of schema pgstrata"

# An older schema (version 1: no cache, no migration) is upgraded in place, policies kept;
# commands other than init refuse to run on it and say what to do.
q "INSERT INTO pgstrata.policy (parent_schema, parent_table, key_column, key_type,
     part_interval, premake) VALUES ('public', 'kept_policy', 'ts', 'timestamptz', '1 day', '4')" >/dev/null
q "DROP TABLE pgstrata.partition_cache, pgstrata.migration; ALTER TABLE pgstrata.policy DROP COLUMN last_success_at;
   DELETE FROM pgstrata.schema_version WHERE version IN (2, 3, 4, 5)" >/dev/null
run "$PGSTRATA" policy list
is "$RUN_RC" 1 "a command on a version 1 schema: exit 1"
is "$RUN_ERR" 'pgstrata: error: the pgstrata schema is version 1 and this pgstrata needs 5; run "pgstrata init" to upgrade it' \
    "a command on a version 1 schema says to run init"
run "$PGSTRATA" init
is "$RUN_RC" 0 "init upgrades version 1"
is "$RUN_OUT" "upgraded pgstrata schema from version 1 to 5" "init says what it upgraded"
is "$(q "SELECT count(*) FROM pgstrata.partition_cache")" 0 "the upgrade made partition_cache"
is "$(q "SELECT to_regclass('pgstrata.bound_cache') IS NULL")" t "and dropped the older bound_cache"
is "$(q "SELECT count(*) FROM pgstrata.migration")" 0 "the upgrade made migration"
is "$(q "SELECT count(*) FROM pgstrata.policy WHERE last_success_at IS NOT NULL")" 0 \
    "the upgrade added policy.last_success_at"
is "$(q "SELECT count(*) FROM pgstrata.policy WHERE parent_table = 'kept_policy'")" 1 \
    "the upgrade kept the policies"
q "DELETE FROM pgstrata.policy WHERE parent_table = 'kept_policy'" >/dev/null

# A schema newer than this binary: init refuses and changes nothing.
q "INSERT INTO pgstrata.schema_version (version, installed_by) VALUES (99, 'pgstrata 9.9')" >/dev/null
run "$PGSTRATA" init
is "$RUN_RC" 1 "init on a newer schema: exit 1"
like "$RUN_ERR" 'schema in this database is version 99, newer than this pgstrata' "init names the newer version"
q "DELETE FROM pgstrata.schema_version WHERE version = 99" >/dev/null
run "$PGSTRATA" init extra
is "$RUN_RC" 2 "init with an argument: exit 2"
is "$RUN_ERR" "pgstrata: error: \"pgstrata init\" takes no arguments
$TRY" "init with an argument: message"

# ---- an empty list -----------------------------------------------------------------
run "$PGSTRATA" policy list
is "$RUN_RC" 0 "policy list with no policies"
is "$RUN_OUT" 'no policies; register one with "pgstrata create TABLE --column COL --interval I"' \
    "policy list says there are none"
run "$PGSTRATA" policy list --json
is "$RUN_RC" 0 "policy list --json with no policies"
is "$(jsonq "$RUN_OUT" "SELECT json_array_length(j->'policies') FROM doc")" 0 "policy list --json: an empty array"

# ---- two policies ------------------------------------------------------------------
q "CREATE TABLE ev (k timestamptz NOT NULL) PARTITION BY RANGE (k)
   ;CREATE TABLE ids (id bigint NOT NULL) PARTITION BY RANGE (id)
   ;CREATE TABLE nopolicy (k timestamptz NOT NULL) PARTITION BY RANGE (k)"
run "$PGSTRATA" create ev --column k --interval '1 day' --retention '30 days' --start 2026-02-01 \
    --now '2026-03-01' -q
is "$RUN_RC" 0 "create ev"
run "$PGSTRATA" create ids --column id --interval 1000 --retention 5 --time-zone Europe/Berlin -q
is "$RUN_RC" 0 "create ids"

is "$(row ev)" "public|ev|k|timestamptz|1 day|4|2026-02-01 00:00:00|30 days|drop|0|UTC|1000|changed|t" \
    "stored row of ev"
is "$(row ids)" "public|ids|id|bigint|1000|4|5|drop|0|Europe/Berlin|1000|changed|t" "stored row of ids"

run "$PGSTRATA" policy list
is "$RUN_RC" 0 "policy list"
is "$RUN_OUT" "table       column  interval  premake  retention  mode  window
public.ev   k       1 day     4        30 days    drop  any time
public.ids  id      1000      4        5          drop  any time" "policy list: one line per policy"

run "$PGSTRATA" policy list --json
is "$RUN_RC" 0 "policy list --json"
is "$(jsonq "$RUN_OUT" "SELECT json_array_length(j->'policies') FROM doc")" 2 "policy list --json: two policies"
is "$(jsonq "$RUN_OUT" "SELECT string_agg(concat_ws(',', p->>'table', p->>'column', p->>'key_type', p->>'interval',
                                                  p->>'premake', p->>'retention', p->>'retention_mode'), ';')
                         FROM doc, json_array_elements(j->'policies') p")" \
    "public.ev,k,timestamptz,1 day,4,30 days,drop;public.ids,id,bigint,1000,4,5,drop" "policy list --json: fields"

run "$PGSTRATA" policy show ev
is "$RUN_RC" 0 "policy show ev"
like "$RUN_OUT" $'(^|\n)table +public\\.ev\n' "show: table"
like "$RUN_OUT" $'\ninterval +1 day\n' "show: interval"
like "$RUN_OUT" $'\nretention +30 days\n' "show: retention"
like "$RUN_OUT" $'\nstart +2026-02-01 00:00:00\n' "show: start"
like "$RUN_OUT" $'\nwindow +-\n' "show: no window"
like "$RUN_OUT" $'\ntime_zone +UTC\n' "show: time zone"
run "$PGSTRATA" policy show ids --json
is "$RUN_RC" 0 "policy show ids --json"
is "$(jsonq "$RUN_OUT" "SELECT concat_ws(',', j->>'schema', j->>'table_name', j->>'retention', j->>'time_zone', j->>'lock_timeout', j->>'analyze') FROM doc")" \
    "public,ids,5,Europe/Berlin,1000ms,changed" "policy show --json: fields"

# ---- set ---------------------------------------------------------------------------
before_parts=$(partitions ev)
run "$PGSTRATA" policy set ev --retention '10 days' --premake 7
is "$RUN_RC" 0 "policy set ev --retention '10 days' --premake 7"
is "$RUN_OUT" 'updated the policy of public.ev; "pgstrata plan public.ev" shows what changes' "set: says what it did"
is "$(row ev)" "public|ev|k|timestamptz|1 day|7|2026-02-01 00:00:00|10 days|drop|0|UTC|1000|changed|t" \
    "stored row after set"
is "$(partitions ev)" "$before_parts" "set touches no partition"
run "$PGSTRATA" policy show ev --json
is "$(jsonq "$RUN_OUT" "SELECT (j->>'premake') || ',' || (j->>'retention') FROM doc")" "7,10 days" "show reflects the change"

# The next plan: retire what ends at or before Feb 19 (10 days before Mar 1),
# create Mar 6 .. Mar 8 (7 ahead instead of 4).
run "$PGSTRATA" plan ev --now '2026-03-01' --json
is "$RUN_RC" 0 "plan after set"
is "$(jsonq "$RUN_OUT" "SELECT count(*) FILTER (WHERE a->>'kind' = 'detach') || ' ' ||
                         min(a->>'target') FILTER (WHERE a->>'kind' = 'detach') || ' ' ||
                         max(a->>'target') FILTER (WHERE a->>'kind' = 'detach')
                         FROM doc, json_array_elements(j->'actions') a")" \
    "18 public.ev_p20260201 public.ev_p20260218" "plan retires Feb 1 .. Feb 18 (10 days of retention)"
is "$(jsonq "$RUN_OUT" "SELECT string_agg(a->>'target', ',' ORDER BY a->>'target')
                         FROM doc, json_array_elements(j->'actions') a WHERE a->>'kind' = 'create'")" \
    "public.ev_p20260306,public.ev_p20260307,public.ev_p20260308" "plan creates 3 more ahead (premake 7)"
run "$PGSTRATA" maintain ev --now '2026-03-01' -q
is "$RUN_RC" 0 "maintain after set"
is "$(q "SELECT count(*) || ' ' || min(c.relname) || ' ' || max(c.relname) FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'ev'::regclass")" \
    "18 ev_p20260219 ev_p20260308" "the catalog follows the new policy"

# Other options round-trip.
run "$PGSTRATA" policy set ev --window 22:00-04:00 --lock-timeout 2s --analyze every --time-zone Asia/Tokyo
is "$RUN_RC" 0 "set window, lock timeout, analyze, time zone"
is "$(row ev)" "public|ev|k|timestamptz|1 day|7|2026-02-01 00:00:00|10 days|drop|0|22:00-04:00|Asia/Tokyo|2000|every|t" \
    "stored row after the second set"
run "$PGSTRATA" policy set ev --window none --retention none
is "$RUN_RC" 0 "set --window none --retention none"
is "$(row ev)" "public|ev|k|timestamptz|1 day|7|2026-02-01 00:00:00|drop|0|Asia/Tokyo|2000|every|t" \
    "window and retention cleared"

# Bad values: exit 2, nothing stored.
stored=$(row ev)
set_refused() { # WANT_STDERR DESC ARGS...
    local err=$1 desc=$2
    shift 2
    run "$PGSTRATA" policy set ev "$@"
    is "$RUN_RC" 2 "set $desc: exit 2"
    is "$RUN_ERR" "$err" "set $desc: message"
    is "$(row ev)" "$stored" "set $desc: the stored row is unchanged"
}
set_refused 'pgstrata: error: invalid --retention: invalid duration "ten days": expected a number before "ten"' \
    "--retention 'ten days'" --retention 'ten days'
set_refused 'pgstrata: error: invalid --retention "1 hour": shorter than one interval (1 day); it would retire the partition being written' \
    "--retention '1 hour'" --retention '1 hour'
set_refused 'pgstrata: error: invalid --premake "0": must be at least 1, or nothing would be made ahead of the data' \
    "--premake 0" --premake 0
set_refused 'pgstrata: error: invalid --premake: invalid duration "-1": negative values are not allowed' \
    "--premake -1" --premake -1
set_refused 'pgstrata: error: invalid --time-zone "Mars/Olympus": time zone "Mars/Olympus" not recognized' \
    "--time-zone Mars/Olympus" --time-zone Mars/Olympus
set_refused 'pgstrata: error: invalid --window "1-5": expected HH:MM-HH:MM, e.g. 01:00-05:00' \
    "--window 1-5" --window 1-5
set_refused 'pgstrata: error: invalid --interval: interval "1000" is a number, but column type timestamptz needs a time interval such as "1 day"' \
    "--interval 1000" --interval 1000
set_refused 'pgstrata: error: --retention-mode archive needs --archive-command (it receives each retired partition as COPY text on stdin)' \
    "--retention-mode archive" --retention-mode archive
# A good value next to a bad one: nothing of either is stored.
set_refused 'pgstrata: error: invalid --analyze "weekly": use every, changed or never' \
    "--premake 2 --analyze weekly" --premake 2 --analyze weekly
set_refused "pgstrata: error: \"pgstrata policy set\" needs at least one policy option, e.g. --retention '90 days'
$TRY" "without options"
set_refused "pgstrata: error: option --column does not apply to \"pgstrata policy\"
$TRY" "--column" --column k
run "$PGSTRATA" policy set ids --retention '30 days'
is "$RUN_RC" 2 "integer key: a span as retention is refused"
is "$RUN_ERR" 'pgstrata: error: invalid --retention "30 days": an integer key keeps the newest N ranges; give N (at least 1)' \
    "integer key retention: message"
is "$(row ids)" "public|ids|id|bigint|1000|4|5|drop|0|Europe/Berlin|1000|changed|t" "ids unchanged"

# ---- no policy ---------------------------------------------------------------------
for sub in "show" "set" "drop"; do
    args=(policy "$sub" nopolicy)
    [[ $sub == set ]] && args+=(--retention '1 day')
    before=$(q "SELECT count(*) FROM pgstrata.policy")
    run "$PGSTRATA" "${args[@]}"
    is "$RUN_RC" 1 "policy $sub on a table without policy: exit 1"
    is "$RUN_ERR" 'pgstrata: error: public.nopolicy has no pgstrata policy
pgstrata: hint: register it with "pgstrata create public.nopolicy --column COL --interval I"' \
        "policy $sub on a table without policy: message"
    is "$(q "SELECT count(*) FROM pgstrata.policy")" "$before" "policy $sub on a table without policy: no row added"
done
run "$PGSTRATA" policy show nosuch
is "$RUN_RC" 1 "policy show on a missing table: exit 1"
like "$RUN_ERR" '^pgstrata: error: public\.nosuch has no pgstrata policy' "policy show on a missing table: message"

# ---- usage -------------------------------------------------------------------------
run "$PGSTRATA" policy
is "$RUN_RC" 2 "policy without subcommand: exit 2"
is "$RUN_ERR" "pgstrata: error: \"pgstrata policy\" needs a subcommand: list, show, set or drop
$TRY" "policy without subcommand: message"
run "$PGSTRATA" policy frob
is "$RUN_RC" 2 "unknown policy subcommand: exit 2"
is "$RUN_ERR" "pgstrata: error: unknown policy subcommand \"frob\": use list, show, set or drop
$TRY" "unknown policy subcommand: message"
run "$PGSTRATA" policy show
is "$RUN_RC" 2 "policy show without a table: exit 2"
is "$RUN_ERR" "pgstrata: error: \"pgstrata policy show\" takes exactly one table
$TRY" "policy show without a table: message"
run "$PGSTRATA" policy list ev
is "$RUN_RC" 2 "policy list with a table: exit 2"
is "$RUN_ERR" "pgstrata: error: \"pgstrata policy list\" takes no table
$TRY" "policy list with a table: message"
run "$PGSTRATA" policy show ev --retention '1 day'
is "$RUN_RC" 2 "policy show with a policy option: exit 2"
is "$RUN_ERR" "pgstrata: error: policy options apply to \"pgstrata policy set\" only
$TRY" "policy show with a policy option: message"

# ---- drop --------------------------------------------------------------------------
before_parts=$(partitions ev)
run "$PGSTRATA" policy drop ev
is "$RUN_RC" 0 "policy drop ev"
is "$RUN_OUT" "dropped the policy of public.ev; its partitions are untouched" "drop: says what it did"
is "$(q "SELECT count(*) FROM pgstrata.policy WHERE parent_table = 'ev'")" 0 "the policy row is gone"
is "$(q "SELECT count(*) FROM pgstrata.policy")" 1 "the other policy stays"
is "$(partitions ev)" "$before_parts" "partitions untouched"
run "$PGSTRATA" policy drop ev
is "$RUN_RC" 1 "drop again: exit 1"
like "$RUN_ERR" '^pgstrata: error: public\.ev has no pgstrata policy' "drop again: no policy"
run "$PGSTRATA" plan
is "$RUN_RC" 0 "plan after drop"
unlike "$RUN_OUT" 'public\.ev([^a-z_]|$)' "plan no longer mentions ev"
run "$PGSTRATA" policy list --json
is "$(jsonq "$RUN_OUT" "SELECT string_agg(p->>'table', ',') FROM doc, json_array_elements(j->'policies') p")" "public.ids" \
    "list after drop: only ids"
# The table can be registered again.
run "$PGSTRATA" create ev --column k --interval '1 day' --now '2026-03-01' -q
is "$RUN_RC" 0 "create again after drop"
is "$(q "SELECT count(*) FROM pgstrata.policy WHERE parent_table = 'ev'")" 1 "registered again"

# A policy carrying age tiers (a column a newer pgstrata fills) is left alone:
# plan and maintain say why and exit 1, and the other tables are still planned.
q "CREATE TABLE tiered (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts)" >/dev/null
run "$PGSTRATA" create tiered --column ts --interval '1 day' --now '2026-06-01' -q
is "$RUN_RC" 0 "create tiered"
q "UPDATE pgstrata.policy SET tiers = '[{\"older_than\": \"90 days\", \"interval\": \"1 week\"}]'
   WHERE parent_table = 'tiered'" >/dev/null
before=$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'tiered'::regclass")
run "$PGSTRATA" maintain tiered --now '2026-06-20'
is "$RUN_RC" 1 "maintain of a tiered policy: exit 1"
is "$RUN_ERR" "pgstrata: error: the policy of public.tiered uses age tiers or a second partition level, which this pgstrata does not know; use a newer pgstrata for it" \
    "it says why it leaves the table alone"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'tiered'::regclass")" "$before" \
    "nothing changed on the tiered table"
q "DELETE FROM pgstrata.policy WHERE parent_table = 'tiered'" >/dev/null

done_testing
