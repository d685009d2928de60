#!/usr/bin/env bash
# doctor (first part): any partitioned table, managed or not, no pgstrata schema
# needed. Each problem once, beside a healthy table: the parent never analyzed,
# a default partition holding rows, an empty default (no DETACH CONCURRENTLY),
# a partition left pending detach. Each finding by id, severity and evidence;
# the exit status (0 healthy, 1 warnings, 2 errors); the fix it prints, run as
# printed, clears the finding; hostile and 63-byte names are quoted.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/reader.sh
source "$(dirname "$0")/../lib/reader.sh"

findings() { # ids of the findings in the JSON of doctor "$@", "severity:id:table" per line
    "$PGSTRATA" doctor --json "$@" | jq -r '.findings[] | "\(.severity):\(.id):\(.table)"'
}
fix_of() { # the fix of finding $1 on table $2
    "$PGSTRATA" doctor --json | jq -r --arg id "$1" --arg t "$2" \
        '.findings[] | select(.id == $id and .table == $t) | .fix'
}

q "CREATE TABLE healthy (t timestamptz NOT NULL) PARTITION BY RANGE (t);
   CREATE TABLE healthy_2026_01 PARTITION OF healthy FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
   INSERT INTO healthy VALUES ('2026-01-10'); ANALYZE healthy" >/dev/null
run "$PGSTRATA" doctor
is "$RUN_RC" 0 "one healthy table: exit 0"
is "$RUN_OUT" "healthy: 1 partitioned table, nothing found" "... and says so"
is "$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgstrata'")" 0 \
    "doctor needs no pgstrata schema and makes none"

# the parent never analyzed (its partitions were)
q "CREATE TABLE blind (t timestamptz NOT NULL) PARTITION BY RANGE (t);
   CREATE TABLE blind_2026_01 PARTITION OF blind FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
   CREATE TABLE blind_2026_02 PARTITION OF blind FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
   INSERT INTO blind VALUES ('2026-01-10'); ANALYZE blind_2026_01" >/dev/null
run "$PGSTRATA" doctor blind
is "$RUN_RC" 1 "a parent never analyzed: exit 1 (a warning)"
like "$RUN_OUT" "^warning public\\.blind: parent-not-analyzed" "... named by its id"
like "$RUN_OUT" "2 partitions; the parent has no statistics of its own" "... with the evidence"

# a default partition with rows, and an empty one
q "CREATE TABLE spill (t timestamptz NOT NULL) PARTITION BY RANGE (t);
   CREATE TABLE spill_2026_01 PARTITION OF spill FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
   CREATE TABLE spill_default PARTITION OF spill DEFAULT;
   INSERT INTO spill SELECT '2026-03-01'::timestamptz + i * interval '1 hour' FROM generate_series(1, 30) i;
   ANALYZE spill;
   CREATE TABLE nodetach (t timestamptz NOT NULL) PARTITION BY RANGE (t);
   CREATE TABLE nodetach_default PARTITION OF nodetach DEFAULT; ANALYZE nodetach" >/dev/null
is "$(findings spill)" "error:default-has-rows:public.spill" "a default holding rows: an error"
run "$PGSTRATA" doctor spill
is "$RUN_RC" 2 "... exit 2"
like "$RUN_OUT" "public\\.spill_default holds 30 rows" "... counts them"
is "$(findings nodetach)" "warning:default-partition:public.nodetach" "an empty default: a warning"

# a partition left pending detach by an interrupted DETACH ... CONCURRENTLY
q "CREATE TABLE halfway (t timestamptz NOT NULL) PARTITION BY RANGE (t);
   CREATE TABLE halfway_2026_01 PARTITION OF halfway FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
   CREATE TABLE halfway_2026_02 PARTITION OF halfway FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
   ANALYZE halfway" >/dev/null
reader_start t_doctor_reader halfway 2
run psql -X -v ON_ERROR_STOP=1 -c "SET lock_timeout = '300ms'" \
    -c "ALTER TABLE halfway DETACH PARTITION halfway_2026_01 CONCURRENTLY"
wait "$READER_PID"
is "$(q "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'halfway_2026_01'::regclass")" t \
    "halfway_2026_01 is pending detach (the fixture)"
is "$(findings halfway)" "error:detach-pending:public.halfway" "a partition pending detach: an error"

# the whole database: most severe first, one line per finding
run "$PGSTRATA" doctor
is "$RUN_RC" 2 "the whole database: exit 2"
is "$(grep -E '^(error|warning)' <<<"$RUN_OUT" | cut -d: -f1-2 | tr -s ' ')" \
    "error public.halfway: detach-pending
error public.spill: default-has-rows
warning public.blind: parent-not-analyzed
warning public.nodetach: default-partition" "most severe first, then by table"
like "$RUN_OUT" "5 partitioned tables: 2 errors, 2 warnings" "... and a summary"

# each fix, run as printed, clears its finding (checked in the catalog and by doctor)
q "$(fix_of detach-pending public.halfway)" >/dev/null
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhrelid = 'halfway_2026_01'::regclass")" 0 \
    "the printed FINALIZE detached the partition"
q "$(fix_of parent-not-analyzed public.blind | sed 's/;  .*/;/')" >/dev/null
is "$(q "SELECT count(*) > 0 FROM pg_statistic WHERE starelid = 'blind'::regclass AND stainherit")" t \
    "the printed ANALYZE gave the parent statistics"
q "$(fix_of default-partition public.nodetach)" >/dev/null
is "$(q "SELECT partdefid FROM pg_partitioned_table WHERE partrelid = 'nodetach'::regclass")" 0 \
    "the printed SQL removed the empty default"
is "$(findings halfway blind nodetach)" "" "... and doctor finds nothing on those tables"

# bad input and hostile names
run "$PGSTRATA" doctor nope
is "$RUN_RC" 2 "an unknown table: exit 2"
is "$RUN_ERR" "pgstrata: error: public.nope is not a partitioned table (or does not exist)" "... and its message"
run "$PGSTRATA" doctor healthy_2026_01
is "$RUN_RC" 2 "a partition, not a partitioned parent: exit 2"
hostile='"""; DROP TABLE healthy; --"' # the name "; DROP TABLE healthy; -- as SQL writes it
long=$(printf 'P%.0s' $(seq 63))
q "CREATE TABLE $hostile (t timestamptz NOT NULL) PARTITION BY RANGE (t);
   CREATE TABLE \"$long\" PARTITION OF $hostile DEFAULT; ANALYZE $hostile" >/dev/null
is "$(findings "$hostile")" "warning:default-partition:public.$hostile" "a hostile name and a 63-byte default: a warning"
q "$(fix_of default-partition "public.$hostile")" >/dev/null
is "$(q "SELECT count(*) FROM pg_class WHERE relname = '$long'")" 0 "the printed fix dropped the 63-byte default"
is "$(q "SELECT count(*) FROM pg_class WHERE relname = '\"; DROP TABLE healthy; --'")" 1 \
    "... and kept the hostile parent"
is "$(q "SELECT to_regclass('healthy') IS NOT NULL")" t "... and nothing else was dropped"

done_testing
