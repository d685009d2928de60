#!/usr/bin/env bash
# doctor: any partitioned table or inheritance set, managed or not, no pgstrata
# schema needed. A fixture database with each problem exactly once beside a
# healthy table (tests/lib/doctor_fixture.sh) plus a partition left pending
# detach: every finding by id, severity and evidence, and nothing else; the
# exit status (0 healthy, 1 warnings, 2 errors); fixes run as printed clear
# their finding (checked in the catalog); the EXPLAIN-based findings (--query,
# planning time, pg_stat_statements); constraint_exclusion; bad input and
# hostile names with the exact messages.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/reader.sh
source "$(dirname "$0")/../lib/reader.sh"
# shellcheck source=tests/lib/pgcluster.sh
source "$(dirname "$0")/../lib/pgcluster.sh"
# shellcheck source=tests/lib/doctor_fixture.sh
source "$(dirname "$0")/../lib/doctor_fixture.sh"

# A cluster of this test's own: it changes server settings and restarts.
PRIVATE=$(pgcluster_mktemp) || exit 1
# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    pgcluster_stop "$PRIVATE"
    return 0
}
pgcluster_start "$PRIVATE" >/dev/null || exit 1
# autovacuum's pace, from its settings: about 1 MB/s with a cost limit of 1;
# pg_stat_statements loaded (its extension is created for its own part below)
q "ALTER SYSTEM SET autovacuum_vacuum_cost_limit = 1" >/dev/null
q "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
pgcluster_restart "$PRIVATE" fast >/dev/null || exit 1

WINDOW=(--vacuum-window '4 seconds')
findings() { # "severity:id:table" per finding of doctor --json "$@"
    "$PGSTRATA" doctor --json "${WINDOW[@]}" "$@" | jq -r '.findings[] | "\(.severity):\(.id):\(.table)"'
}
field_of() { # field $1 of finding $2 on table $3
    "$PGSTRATA" doctor --json "${WINDOW[@]}" | jq -r --arg f "$1" --arg id "$2" --arg t "$3" \
        '.findings[] | select(.id == $id and .table == $t) | .[$f]'
}
fix_sql() { # the SQL part of a fix (before a two-space note)
    field_of fix "$1" "$2" | sed 's/;  .*/;/'
}

# -- one healthy table ----------------------------------------------------------
doctor_fixture_table healthy
doctor_fixture_daily healthy -1 4
q "INSERT INTO healthy SELECT current_date + i * interval '1 minute', i FROM generate_series(1, 20) i;
   ANALYZE healthy" >/dev/null
run "$PGSTRATA" doctor
is "$RUN_RC" 0 "one healthy table: exit 0"
is "$RUN_OUT" "healthy: 1 partitioned table, nothing found" "... and says so"
is "$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgstrata'")" 0 \
    "doctor needs no pgstrata schema and makes none"
q "DROP TABLE healthy" >/dev/null

# -- the fixture: each problem once -------------------------------------------
doctor_fixture_build
q "CREATE TABLE halfway (t timestamptz NOT NULL) PARTITION BY RANGE (t)" >/dev/null
doctor_fixture_daily halfway -1 4
q "CREATE TABLE halfway_old PARTITION OF halfway FOR VALUES FROM (current_date - 9) TO (current_date - 8);
   ANALYZE halfway" >/dev/null
reader_start t_doctor_reader halfway 2
run psql -X -v ON_ERROR_STOP=1 -c "SET lock_timeout = '300ms'" \
    -c "ALTER TABLE halfway DETACH PARTITION halfway_old CONCURRENTLY"
wait "$READER_PID"
is "$(q "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'halfway_old'::regclass")" t \
    "halfway_old is pending detach (the fixture)"

run "$PGSTRATA" doctor "${WINDOW[@]}"
is "$RUN_RC" 2 "the fixture database: exit 2 (errors found)"
is "$(grep -E '^(error|warning|info)' <<<"$RUN_OUT" | tr -s ' ')" \
    "error public.halfway: detach-pending
error public.lapsed: no-partition-for-now
error public.overlap: coverage-overlap
error public.spill: default-has-rows
warning public.blind: parent-not-analyzed
warning public.fat: partition-oversized
warning public.grown: parent-stats-stale
warning public.holey: coverage-gap
warning public.leftover: detached-leftover
warning public.lopsided: size-imbalance
warning public.nodetach: default-partition
warning public.pubbed: publication-not-via-root
warning public.rides: child-missing-index
warning public.rides: routing-trigger-returns-null
warning public.shortfall: coverage-short
warning public.tiny: partitions-tiny
warning public.unanalyzed: partition-stats-stale
warning public.vac: autovacuum-backlog
info public.hot: hot-share
info public.uniq: unique-scope" "each problem exactly once, most severe first, nothing on healthy"
like "$RUN_OUT" "20 partitioned tables: 4 errors, 14 warnings, 2 notes" "... and a summary"

ev() { field_of evidence "$1" "public.$2"; }
today=$(q "SELECT current_date")
is "$(ev parent-not-analyzed blind)" "5 partitions, about 20 rows; the parent has no statistics of its own" \
    "parent-not-analyzed: partitions and rows"
like "$(ev parent-stats-stale grown)" "^analyzed [0-9]+ s ago, when it held about 100 rows; its partitions now hold about 20100$" \
    "parent-stats-stale: rows then and now"
like "$(ev default-has-rows spill)" "^public\\.spill_default holds 30 rows, t from $(q "SELECT current_date + 6") 00:00:00\\+00 to " \
    "default-has-rows: how many, and the range"
is "$(ev default-partition nodetach)" "public.nodetach_default exists (empty)" "default-partition"
is "$(ev detach-pending halfway)" "public.halfway_old is pending detach from public.halfway" "detach-pending"
is "$(ev no-partition-for-now lapsed)" "no partition holds now; the newest ends at $today" \
    "no-partition-for-now: where coverage ends"
like "$(ev coverage-short shortfall)" "^partitions end at $(q "SELECT current_date + 1"), [0-9 hmins]+ ahead: less than one partition \\(1 day\\)$" \
    "coverage-short: the end and how far ahead"
is "$(ev coverage-gap holey)" "1 gap between partitions: [$(q "SELECT current_date - 3"), $(q "SELECT current_date - 2"))" \
    "coverage-gap: the missing range"
is "$(ev coverage-overlap overlap)" "1 child whose CHECK range overlaps the one before: overlap_b" \
    "coverage-overlap: inheritance CHECKs"
is "$(ev detached-leftover leftover)" \
    "1 table with the columns of public.leftover, named after it, is no partition (16.0 kB in all): public.leftover_p_old" \
    "detached-leftover: the table and its size"
like "$(ev size-imbalance lopsided)" "^the largest past partition, public\\.lopsided_p[0-9]+, is [0-9.]+ MB: [0-9]+x the median of 5 " \
    "size-imbalance: largest against median"
is "$(ev hot-share hot)" "99% of the rows written and read since the statistics were reset went to the newest 1 of 13 partitions" \
    "hot-share: the share in the newest partitions"
like "$(ev partition-oversized fat)" "^1 partition whose vacuum takes longer than 4 s at autovacuum's pace \\(about 1 MB/s\\), the longest [0-9]+ s: public\\.fat_p[0-9]+ \\([0-9.]+ MB\\)$" \
    "partition-oversized: vacuum time at autovacuum's pace"
is "$(ev partitions-tiny tiny)" "120 past partitions with a median size of 0 B" "partitions-tiny"
is "$(ev unique-scope uniq)" \
    "PRIMARY KEY (id, t): id alone is unique only within one partition (1 day of key range), not across the table" \
    "unique-scope: in plain words"
like "$(ev child-missing-index rides)" "^11 children lack 11 of the parent's indexes in all: public\\.rides_4_" \
    "child-missing-index: the seed 003 children without the index"
is "$(ev routing-trigger-returns-null rides)" "BEFORE INSERT trigger rides_route runs public.rides_route, which returns NULL" \
    "routing-trigger-returns-null"
is "$(ev publication-not-via-root pubbed)" "publication pubbed_pub publishes the partitions of public.pubbed under their own names" \
    "publication-not-via-root"
like "$(ev autovacuum-backlog vac)" "^4 partitions are over their autovacuum vacuum threshold; autovacuum_max_workers is 3; autovacuum is disabled on 4 of them: " \
    "autovacuum-backlog: busy partitions against workers"
like "$(ev partition-stats-stale unanalyzed)" "^1 partition changed past autovacuum's analyze threshold and not analyzed for 7\\.0 days or more \\(or never\\): public\\.unanalyzed_p" \
    "partition-stats-stale"

# JSON: the documented shape
run "$PGSTRATA" doctor --json "${WINDOW[@]}"
is "$(jq -c '[.tables, .errors, .warnings, .infos]' <<<"$RUN_OUT")" "[20,4,14,2]" "--json: counts"
is "$(jq -r '[.findings[0] | keys[]] | join(",")' <<<"$RUN_OUT")" "evidence,fix,id,object,severity,table,why" \
    "--json: every finding has the same fields"

# -- fixes, run as printed, clear their findings (the catalog says so) -----------
q "$(fix_sql detach-pending public.halfway)" >/dev/null
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhrelid = 'halfway_old'::regclass")" 0 \
    "the printed FINALIZE detached the partition"
is "$(findings halfway)" "warning:detached-leftover:public.halfway" "... which leaves it behind, and doctor says so"
q "$(field_of fix detached-leftover public.halfway | sed 's/^check nothing reads them, then: //')" >/dev/null
is "$(q "SELECT to_regclass('halfway_old') IS NULL")" t "the printed DROP removed the leftover"
q "$(fix_sql parent-not-analyzed public.blind)" >/dev/null
is "$(q "SELECT count(*) > 0 FROM pg_statistic WHERE starelid = 'blind'::regclass AND stainherit")" t \
    "the printed ANALYZE gave the parent statistics"
q "$(fix_sql default-partition public.nodetach)" >/dev/null
is "$(q "SELECT partdefid FROM pg_partitioned_table WHERE partrelid = 'nodetach'::regclass")" 0 \
    "the printed SQL removed the empty default"
q "$(field_of fix publication-not-via-root public.pubbed)" >/dev/null
is "$(q "SELECT pubviaroot FROM pg_publication WHERE pubname = 'pubbed_pub'")" t \
    "the printed ALTER PUBLICATION publishes via the root"
for sql in $(q "SELECT 'CREATE INDEX ON ' || c.relname || ' (created_at)' FROM pg_class c
                WHERE c.relname LIKE 'rides\\_4\\_%' AND c.relkind = 'r'" | tr ' ' '~'); do
    q "${sql//\~/ }" >/dev/null
done
q "$(fix_sql partition-stats-stale public.unanalyzed)" >/dev/null
is "$(findings halfway blind nodetach pubbed unanalyzed)" "" "... and doctor finds nothing more on those tables"
is "$(findings rides)" "warning:routing-trigger-returns-null:public.rides" \
    "the children indexed as the fix says: only the trigger is left on rides"

# The printed migrate plan for the routing trigger works as printed
fix=$(field_of fix routing-trigger-returns-null public.rides | sed 's/  (.*//')
like "$fix" "^pgstrata migrate plan 'public\\.rides' --column 'created_at' --interval '1 month'$" \
    "routing-trigger-returns-null: the fix is a migrate plan"
eval "run \"\$PGSTRATA\" ${fix#pgstrata }"
like "$RUN_OUT" "rides" "... which runs (exit $RUN_RC) and plans the set's re-layout"

# -- EXPLAIN-based findings ------------------------------------------------------
doctor_fixture_table queried
doctor_fixture_daily queried -3 4
q "INSERT INTO queried SELECT current_date - 3 + i * interval '1 hour', i FROM generate_series(0, 100) i;
   ANALYZE queried" >/dev/null
run "$PGSTRATA" doctor queried --query "SELECT count(*) FROM queried WHERE n = 3" \
    --query "SELECT * FROM queried WHERE t >= now() - interval '1 hour'" \
    --query "SELECT * FROM queried WHERE t >= '$today' AND t < '$today'::date + 1"
is "$RUN_RC" 1 "three --query: exit 1 (a warning)"
run "$PGSTRATA" doctor --json queried --query "SELECT count(*) FROM queried WHERE n = 3" \
    --query "SELECT * FROM queried WHERE t >= now() - interval '1 hour'" \
    --query "SELECT * FROM queried WHERE t >= '$today 02:00' AND t < '$today 03:00'"
like "$(jq -r '.findings[] | "\(.id): \(.evidence)"' <<<"$RUN_OUT")" \
    "^query-scans-all: from --query: scans all 7 partitions, because it has no condition on the key
query-prunes: from --query: scans 1 of 7 partitions
query-prunes-late: from --query: planned over 7 partitions, of which [0-9] are removed only when it starts to run \([0-9] scanned at most\), because its bound is a function of now\(\), which is known only when it runs\$" \
    "each query: partitions scanned out of how many, and why"
run "$PGSTRATA" doctor queried --query "SELECT * FROM nosuchtable"
is "$RUN_RC" 2 "a --query that does not EXPLAIN: exit 2"
is "$RUN_ERR" "pgstrata: error: --query \"SELECT * FROM nosuchtable\" cannot be EXPLAINed: relation \"nosuchtable\" does not exist" \
    "... and the message"
run "$PGSTRATA" doctor queried --query "DELETE FROM queried"
is "$(q "SELECT count(*) FROM queried")" 101 "a --query is EXPLAINed, never run"

# planning time, measured on tables with many partitions
run "$PGSTRATA" doctor --json tiny --planning-partitions 100 --planning-limit 0
like "$(jq -r '.findings[] | select(.id == "many-partitions") | .evidence' <<<"$RUN_OUT")" \
    "^124 partitions; planning SELECT \\* FROM public\\.tiny takes [0-9.]+ ms \\(measured\\)$" \
    "many-partitions: the measured planning time"
is "$(findings tiny --planning-partitions 100 | grep -c many-partitions)" 0 \
    "... under the default limit (20 ms) no finding"

# pg_stat_statements: its top queries on a table, as generic plans
q "CREATE EXTENSION pg_stat_statements; SELECT pg_stat_statements_reset()" >/dev/null
for i in 1 2 3; do
    q "SELECT count(*) FROM queried WHERE t >= now() - make_interval(hours => $i); SELECT count(*) FROM queried WHERE n = $i" >/dev/null
done
run "$PGSTRATA" doctor --json queried
is "$(jq -r '[.findings[] | select(.evidence | test("pg_stat_statements")) | .id] | sort | join(",")' <<<"$RUN_OUT")" \
    "query-prunes-late,query-scans-all" "pg_stat_statements queries: one scans all, one prunes at run time"
like "$(jq -r '.findings[] | select(.id == "query-scans-all") | .evidence' <<<"$RUN_OUT")" \
    "^from pg_stat_statements \\(3 calls, [0-9.]+ ms each\\): scans all 7 partitions, because it has no condition on the key$" \
    "... with calls and mean time"
run "$PGSTRATA" doctor --json --no-explain queried
is "$(jq '.findings | length' <<<"$RUN_OUT")" 0 "--no-explain: catalog only"

# constraint_exclusion off: inheritance sets cannot skip children
PGOPTIONS='-c constraint_exclusion=off' run "$PGSTRATA" doctor --json overlap
is "$(jq -r '.findings[] | select(.id == "constraint-exclusion-off") | .severity + ": " + .evidence' <<<"$RUN_OUT")" \
    "error: constraint_exclusion is off" "constraint-exclusion-off on an inheritance set"

# -- bad input and hostile names -------------------------------------------------
run "$PGSTRATA" doctor nope
is "$RUN_RC" 2 "an unknown table: exit 2"
is "$RUN_ERR" "pgstrata: error: public.nope is not a partitioned table or an inheritance parent (or does not exist)" \
    "... and its message"
run "$PGSTRATA" doctor "$(q "SELECT relname FROM pg_class WHERE relname LIKE 'healthy\\_p%' LIMIT 1")"
is "$RUN_RC" 2 "a partition, not a parent: exit 2"
run "$PGSTRATA" doctor --vacuum-window 'soon'
is "$RUN_RC" 2 "a bad --vacuum-window: exit 2"
like "$RUN_ERR" "^pgstrata: error: invalid --vacuum-window \"soon\": " "... and its message"
run "$PGSTRATA" doctor --stale 0
is "$RUN_ERR" "pgstrata: error: invalid --stale \"0\": must be longer than zero
Try \"pgstrata --help\" for more information." "a zero --stale"
run "$PGSTRATA" doctor --planning-partitions -5
like "$RUN_ERR" "^pgstrata: error: invalid --planning-partitions \"-5\": a whole number from 1" "a bad --planning-partitions"
hostile='"""; DROP TABLE tiny; --"' # the name "; DROP TABLE tiny; -- as SQL writes it
long="Mixed$(printf 'P%.0s' $(seq 58))"
q "CREATE TABLE $hostile (\"Key Col\" timestamptz NOT NULL) PARTITION BY RANGE (\"Key Col\");
   CREATE TABLE \"$long\" PARTITION OF $hostile FOR VALUES FROM (current_date - 1) TO (current_date + 1);
   CREATE TABLE \"${long:0:62}d\" PARTITION OF $hostile DEFAULT; ANALYZE $hostile" >/dev/null
is "$(findings "$hostile" | sort)" "warning:coverage-short:public.$hostile
warning:default-partition:public.$hostile" "a hostile name, a quoted key and 63-byte mixed-case partitions"
fix=$(field_of fix coverage-short "public.$hostile" | sed 's/  (.*//')
is "$fix" "pgstrata create 'public.\"\"\"; DROP TABLE tiny; --\"' --column '\"Key Col\"' --interval '2 days'" \
    "... the printed create quotes table and column for SQL and the shell"
q "$(fix_sql default-partition "public.$hostile")" >/dev/null
is "$(q "SELECT count(*) FROM pg_class WHERE relname = '${long:0:62}d'")" 0 "the printed fix dropped the 63-byte default"
is "$(q "SELECT count(*) FROM pg_class WHERE relname IN ('\"; DROP TABLE tiny; --', '$long')")" 2 \
    "... and kept the hostile parent and its partition"
is "$(q "SELECT to_regclass('tiny') IS NOT NULL")" t "... and nothing else was dropped"

done_testing
