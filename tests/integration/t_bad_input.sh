#!/usr/bin/env bash
# Bad input: every refusal has the right exit code, says exactly what is wrong,
# and changes nothing. Hostile table names work end to end.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"

# jsonq JSON QUERY: run QUERY (a SELECT) with doc(j) holding the JSON document, in the
# server (no jq needed); the SQL goes through stdin, so large documents are fine.
jsonq() {
    # shellcheck disable=SC2016 # dollar quotes are SQL, not shell
    printf 'WITH doc AS (SELECT $pgsj$%s$pgsj$::json AS j) %s;\n' "$1" "$2" |
        psql -X -A -t -q -v ON_ERROR_STOP=1 -f -
}
TRY='Try "pgstrata --help" for more information.'

# Everything a refused command must leave alone: policies, partitions, relations
# (names included), audit and journals.
state() {
    q "SELECT (SELECT count(*) FROM pgstrata.policy) || ' policies, '
           || (SELECT count(*) FROM pg_inherits) || ' partitions, '
           || (SELECT count(*) FROM pgstrata.audit) || ' audit rows, '
           || (SELECT count(*) FROM pgstrata.pending) + (SELECT count(*) FROM pgstrata.retired) || ' journal rows, '
           || (SELECT count(*) || ' relations ' || md5(string_agg(c.relname, ',' ORDER BY c.relname))
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast'))"
}

# refused WANT_RC WANT_STDERR DESC -- ARGS...: exact stderr
refused() {
    local rc=$1 err=$2 desc=$3 before
    shift 4
    before=$(state)
    run "$PGSTRATA" "$@"
    is "$RUN_RC" "$rc" "$desc: exit $rc"
    is "$RUN_ERR" "$err" "$desc: message"
    is "$(state)" "$before" "$desc: nothing changed"
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

q "CREATE TABLE ev (k timestamptz NOT NULL, other timestamptz, t text, n numeric) PARTITION BY RANGE (k)
   ;CREATE TABLE plain (k timestamptz)
   ;CREATE TABLE lst (k int) PARTITION BY LIST (k)
   ;CREATE TABLE two (a int, b int) PARTITION BY RANGE (a, b)
   ;CREATE TABLE expr (k int) PARTITION BY RANGE ((k + 1))
   ;CREATE TABLE tkey (t text) PARTITION BY RANGE (t)
   ;CREATE TABLE nkey (n numeric) PARTITION BY RANGE (n)
   ;CREATE TABLE dkey (d date) PARTITION BY RANGE (d)
   ;CREATE TABLE bkey (b bigint) PARTITION BY RANGE (b)
   ;CREATE TABLE wk (k timestamptz) PARTITION BY RANGE (k)
   ;CREATE TABLE gap (k int) PARTITION BY RANGE (k)
   ;CREATE TABLE gap_a PARTITION OF gap FOR VALUES FROM (0) TO (100)
   ;CREATE TABLE gap_b PARTITION OF gap FOR VALUES FROM (200) TO (300)
   ;CREATE VIEW ev_view AS SELECT * FROM ev" || bail "setup failed"

D=(--column k --interval '1 day')

# ---- the table ---------------------------------------------------------------------
refused 1 "pgstrata: error: table public.nosuch does not exist" "unknown table" -- \
    create nosuch "${D[@]}"
refused 1 "pgstrata: error: public.plain is not partitioned: pgstrata manages tables declared PARTITION BY RANGE (column); recreate it partitioned, or convert it online with pgstrata migrate (a later version)" \
    "plain table" -- create plain "${D[@]}"
refused 1 "pgstrata: error: public.ev_view is a view, not a partitioned table" "a view" -- \
    create ev_view "${D[@]}"
refused 1 "pgstrata: error: public.lst is partitioned by LIST, not by RANGE; pgstrata manages range-partitioned tables" \
    "LIST-partitioned table" -- create lst --column k --interval 10
refused 1 "pgstrata: error: public.two is partitioned by RANGE on 2 columns; pgstrata manages a single-column key" \
    "range on two columns" -- create two --column a --interval 10
refused 1 "pgstrata: error: public.expr is partitioned by RANGE on an expression; pgstrata manages a plain column key" \
    "range on an expression" -- create expr --column k --interval 10
refused 1 "pgstrata: error: public.ev is partitioned by RANGE (k), not by other" \
    "--column names another column" -- create ev --column other --interval '1 day'
refused 1 "pgstrata: error: public.ev is partitioned by RANGE (k), not by nosuchcol" \
    "--column names no column" -- create ev --column nosuchcol --interval '1 day'
refused 1 "pgstrata: error: column t of public.tkey is of type text; pgstrata supports timestamptz, timestamp, date, integer and bigint keys" \
    "text key" -- create tkey --column t --interval '1 day'
refused 1 "pgstrata: error: column n of public.nkey is of type numeric; pgstrata supports timestamptz, timestamp, date, integer and bigint keys" \
    "numeric key" -- create nkey --column n --interval 10

# ---- the interval ------------------------------------------------------------------
refused 2 'pgstrata: error: invalid interval "1 fortnight": unknown unit "fortnight"' \
    "interval '1 fortnight'" -- create ev --column k --interval '1 fortnight'
refused 2 'pgstrata: error: invalid interval "7 minutes": minutes must divide a day evenly (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, ...)' \
    "interval '7 minutes'" -- create ev --column k --interval '7 minutes'
refused 2 'pgstrata: error: invalid interval "0 days": the count must be at least 1' \
    "interval '0 days'" -- create ev --column k --interval '0 days'
refused 2 'pgstrata: error: invalid interval "": empty' \
    "empty interval" -- create ev --column k --interval ''
refused 2 'pgstrata: error: invalid --interval: interval "1 hour" is shorter than a day, which a date column cannot hold' \
    "hourly on a date key" -- create dkey --column d --interval '1 hour'
refused 2 'pgstrata: error: invalid --interval: interval "1000" is a number, but column type timestamptz needs a time interval such as "1 day"' \
    "'1000' on timestamptz" -- create ev --column k --interval 1000
refused 2 'pgstrata: error: invalid --interval: interval "1 day" is a time interval, but column type bigint needs a number such as "100000"' \
    "'1 day' on bigint" -- create bkey --column b --interval '1 day'

# ---- other policy options ----------------------------------------------------------
refused 2 'pgstrata: error: invalid --time-zone "Mars/Olympus": time zone "Mars/Olympus" not recognized' \
    "unknown time zone" -- create ev "${D[@]}" --time-zone Mars/Olympus
refused 2 'pgstrata: error: invalid --retention "1 day": shorter than one interval (1 week); it would retire the partition being written' \
    "retention shorter than the interval" -- create wk --column k --interval '1 week' --retention '1 day'
refused 2 'pgstrata: error: invalid --premake "0": must be at least 1, or nothing would be made ahead of the data' \
    "premake 0" -- create ev "${D[@]}" --premake 0
refused 2 'pgstrata: error: invalid --now "yesterdayish": invalid input syntax for type timestamp with time zone: "yesterdayish"' \
    "bad --now" -- create ev "${D[@]}" --now yesterdayish
refused 2 'pgstrata: error: invalid --now "2026-13-45": date/time field value out of range: "2026-13-45"' \
    "bad --now on maintain" -- maintain --now 2026-13-45
refused 2 'pgstrata: error: invalid --now "soon": invalid input syntax for type timestamp with time zone: "soon"' \
    "bad --now on ls" -- ls --now soon
refused 2 'pgstrata: error: invalid --window "25:00-26:00": expected HH:MM-HH:MM, e.g. 01:00-05:00' \
    "--window out of range" -- create ev "${D[@]}" --window 25:00-26:00
refused 2 'pgstrata: error: invalid --window "0100-0500": expected HH:MM-HH:MM, e.g. 01:00-05:00' \
    "--window without colons" -- create ev "${D[@]}" --window 0100-0500
refused 2 'pgstrata: error: invalid --window "01:00-01:00": the window is empty' \
    "empty --window" -- create ev "${D[@]}" --window 01:00-01:00
refused 2 'pgstrata: error: invalid --lock-timeout "5 hours": unknown unit "hours" (use ms, s or min)' \
    "--lock-timeout '5 hours'" -- create ev "${D[@]}" --lock-timeout '5 hours'
refused 2 'pgstrata: error: invalid --lock-timeout "0": expected a duration such as 500ms or 2s' \
    "--lock-timeout 0" -- create ev "${D[@]}" --lock-timeout 0
refused 2 'pgstrata: error: --retention-mode archive needs --archive-command (it receives each retired partition as COPY text on stdin)' \
    "archive mode without a command" -- create ev "${D[@]}" --retention '30 days' --retention-mode archive
refused 2 'pgstrata: error: invalid --retention-mode "shred": use drop, detach or archive' \
    "unknown retention mode" -- create ev "${D[@]}" --retention-mode shred
refused 2 'pgstrata: error: invalid --analyze "sometimes": use every, changed or never' \
    "unknown analyze mode" -- create ev "${D[@]}" --analyze sometimes

# ---- existing layout and existing policy -------------------------------------------
refused 1 "pgstrata: error: public.gap: the partitions leave a gap: gap_a ends at 100 but the next, gap_b, starts at 200; rows in between cannot be inserted. pgstrata will not guess: create a partition for the gap (or drop the stray one), then try again" \
    "existing partitions with a gap" -- create gap --column k --interval 100

run "$PGSTRATA" create ev "${D[@]}" --now '2026-01-01' -q
is "$RUN_RC" 0 "create ev once"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'ev'::regclass")" 5 "ev has its partitions"
refused 1 'pgstrata: error: public.ev already has a policy; change it with "pgstrata policy set public.ev ..."' \
    "create twice" -- create ev "${D[@]}" --now '2026-01-01'

# ---- the command line --------------------------------------------------------------
refused 2 "pgstrata: error: unknown command \"frobnicate\"
$TRY" "unknown command" -- frobnicate
refused 2 "pgstrata: error: unrecognized option \"--frob\"
$TRY" "unknown option" -- ls --frob
refused 2 "pgstrata: error: option --retention does not apply to \"pgstrata ls\"
$TRY" "an option of another command" -- ls --retention '1 day'
refused 2 "pgstrata: error: option --column does not apply to \"pgstrata maintain\"
$TRY" "--column on maintain" -- maintain --column k
refused 2 "pgstrata: error: \"pgstrata create\" needs --column, the range partition key
$TRY" "missing --column" -- create ev --interval '1 day'
refused 2 "pgstrata: error: \"pgstrata create\" needs --interval, e.g. --interval '1 day'
$TRY" "missing --interval" -- create ev --column k
refused 2 "pgstrata: error: \"pgstrata create\" takes exactly one table
$TRY" "create without a table" -- create --column k --interval '1 day'
refused 2 "pgstrata: error: \"pgstrata create\" takes exactly one table
$TRY" "create with two tables" -- create ev plain --column k --interval '1 day'
refused 2 "pgstrata: error: no command given
$TRY" "no command" --
refused 1 'pgstrata: error: public.nosuch has no pgstrata policy
pgstrata: hint: register it with "pgstrata create public.nosuch --column COL --interval I"' \
    "maintain a table without policy" -- maintain nosuch

# ---- cannot connect ----------------------------------------------------------------
before=$(state)
run env PGHOST=/nonexistent "$PGSTRATA" ls
is "$RUN_RC" 3 "cannot connect: exit 3"
like "$RUN_ERR" '^pgstrata: error: could not connect: connection to server on socket "/nonexistent/\.s\.PGSQL\.[0-9]+" failed: No such file or directory' \
    "cannot connect: message"
run env PGHOST=/nonexistent "$PGSTRATA" maintain --now '2026-01-02'
is "$RUN_RC" 3 "cannot connect (maintain): exit 3"
is "$(state)" "$before" "cannot connect: nothing changed"

# ---- pgstrata not installed ----------------------------------------------------------
NOINIT="${PGDATABASE}_noinit"
createdb "$NOINIT" || bail "createdb $NOINIT"
# shellcheck disable=SC2317 # called by assert.sh on exit
teardown() { dropdb --if-exists "$NOINIT" 2>/dev/null; }
PGDATABASE=$NOINIT q "CREATE TABLE ev (k timestamptz NOT NULL) PARTITION BY RANGE (k)"
NOT_INSTALLED='pgstrata: error: pgstrata is not installed in this database; run "pgstrata init" first'
for cmd in "ls" "plan" "maintain" "create ev --column k --interval 1day" "policy list"; do
    # shellcheck disable=SC2086 # word splitting wanted
    run env PGDATABASE="$NOINIT" "$PGSTRATA" $cmd
    is "$RUN_RC" 1 "not installed, $cmd: exit 1"
    is "$RUN_ERR" "$NOT_INSTALLED" "not installed, $cmd: says to run pgstrata init"
done
is "$(PGDATABASE=$NOINIT q "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgstrata'")" 0 \
    "not installed: no schema was created"
is "$(PGDATABASE=$NOINIT q "SELECT count(*) FROM pg_inherits")" 0 "not installed: no partition was created"

# ---- malformed names ---------------------------------------------------------------
q 'CREATE TABLE x (i int)'
q 'INSERT INTO x VALUES (1)'
HOSTILE_RAW='"; DROP TABLE x; --'
for cmd in create maintain ls plan; do
    if [[ $cmd == create ]]; then extra=("${D[@]}"); else extra=(); fi
    refused 2 "pgstrata: error: invalid name \"$HOSTILE_RAW\": unterminated quoted identifier" \
        "$cmd with the raw name $HOSTILE_RAW" -- "$cmd" "$HOSTILE_RAW" "${extra[@]}"
done
refused 2 "pgstrata: error: invalid name \"x; DROP TABLE x\": unexpected character ';'; put names with spaces or punctuation in double quotes, e.g. '\"My Table\"'" \
    "unquoted punctuation" -- create 'x; DROP TABLE x' "${D[@]}"
refused 2 'pgstrata: error: invalid name "a.b.c": unexpected text after the name' \
    "three-part name" -- plan a.b.c
refused 2 "pgstrata: error: invalid name \"$(printf 'l%.0s' {1..64})\": a name part is 64 bytes; PostgreSQL names are at most 63" \
    "64-byte name" -- plan "$(printf 'l%.0s' {1..64})"
refused 2 "pgstrata: error: --column: invalid name \"\"k\": unterminated quoted identifier" \
    "malformed --column" -- create ev --column '"k' --interval '1 day'
is "$(q 'SELECT count(*) FROM x')" 1 "table x is still there"

# ---- hostile but valid names: end to end ------------------------------------------
LONG_ASCII=$(printf 'l%.0s' {1..63})
LONG_UTF8="$(printf 'é%.0s' {1..31})a"
# SQL identifier | the same name typed on the command line
names=(
    '"""; DROP TABLE x; --"|"""; DROP TABLE x; --"'
    '"Mixed Case"|"Mixed Case"'
    '"with space"|"with space"'
    'événements|événements'
    "$LONG_ASCII|$LONG_ASCII"
    "\"$LONG_UTF8\"|$LONG_UTF8"
)
is "$(printf %s "$LONG_UTF8" | wc -c | tr -d ' ')" 63 "the unicode name is 63 bytes"
for pair in "${names[@]}"; do
    sqlname=${pair%%|*}
    cli=${pair#*|}
    q "CREATE TABLE $sqlname (k timestamptz NOT NULL, v int) PARTITION BY RANGE (k)" || continue
    rel=$(lit "public.$sqlname")
    run "$PGSTRATA" create "$cli" --column k --interval '1 day' --retention '3 days' --now '2026-01-01 12:00' -q
    is "$RUN_RC" 0 "create $cli" || diag "$RUN_ERR"
    is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = $rel::regclass")" 5 "$cli: 5 partitions under it"
    is "$(q "SELECT parent_table FROM pgstrata.policy WHERE parent_table::text = (SELECT relname FROM pg_class WHERE oid = $rel::regclass)")" \
        "$(q "SELECT relname FROM pg_class WHERE oid = $rel::regclass")" "$cli: the policy names the table exactly"
    run "$PGSTRATA" maintain "$cli" --now '2026-01-08 12:00' -q
    is "$RUN_RC" 0 "maintain $cli" || diag "$RUN_ERR"
    # 2026-01-08 with 3 days kept: Jan 5 .. Jan 12.
    is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = $rel::regclass")" 8 "$cli: created ahead and retired"
    is "$(q "SELECT max(octet_length(c.relname)) <= 63 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = $rel::regclass")" t "$cli: partition names fit in 63 bytes"
    is "$(q "SELECT count(DISTINCT c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = $rel::regclass")" 8 "$cli: partition names are distinct"
    q "INSERT INTO $sqlname VALUES ('2026-01-10 00:00+00', 1)"
    is "$(q "SELECT count(*) FROM $sqlname")" 1 "$cli: rows go in"
    run "$PGSTRATA" ls "$cli"
    is "$RUN_RC" 0 "ls $cli"
    like "$RUN_OUT" "partitions: 8" "ls $cli: 8 partitions"
    run "$PGSTRATA" ls "$cli" --json
    is "$RUN_RC" 0 "ls $cli --json"
    is "$(jsonq "$RUN_OUT" "SELECT (j->'table'->>'table') || ' ' || json_array_length(j->'partitions') FROM doc")" \
        "$(q "SELECT relname FROM pg_class WHERE oid = $rel::regclass") 8" "ls $cli --json: exact name, 8 partitions"
    run "$PGSTRATA" plan "$cli" --now '2026-01-08 12:00' --json
    is "$RUN_RC" 0 "plan $cli"
done
is "$(q 'SELECT count(*) FROM x')" 1 "table x survived every hostile name"
is "$(q "SELECT count(*) FROM pg_class WHERE relispartition AND octet_length(relname) > 63")" 0 \
    "no partition name is longer than 63 bytes"
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE outcome <> 'ok'")" 0 "every action succeeded"

done_testing
