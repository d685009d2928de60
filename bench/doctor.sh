#!/usr/bin/env bash
# bench/doctor.sh: the issue 4 speed figure: `pgstrata doctor` over a database of 100
# partitioned tables with 50,000 partitions in all, under 10 s; beside it, in the same
# run on the same data, the baseline a script would do: one query per table for its
# partitions' sizes and statistics (psql, a session for the lot). See bench/README.md.
#
#   bench/doctor.sh         ~3-5 minutes on 2 cores (most of it creating the partitions)
#
# Environment (all optional):
#   BENCH_TABLES=100        partitioned tables
#   BENCH_PARTS=500         partitions each (daily, one row each)
#   BENCH_REPS=3            repetitions of each timed command (medians)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
cd "$ROOT"

TABLES=${BENCH_TABLES:-100}
PARTS=${BENCH_PARTS:-500}
REPS=${BENCH_REPS:-3}
LIMIT_S=10

# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"
bench_init pgstrata-bench-doctor
bench_build
bench_cluster "max_locks_per_transaction = 1024"
DB=doc
psql -X -q -d postgres -c "CREATE DATABASE $DB"
export PGDATABASE=$DB

say "building $TABLES tables x $PARTS daily partitions, a row in each"
for ((i = 1; i <= TABLES; i++)); do
    psql -X -q -v ON_ERROR_STOP=1 <<SQL >>"$LOG" 2>&1
CREATE TABLE t$i (id bigint NOT NULL, created_at timestamptz NOT NULL, payload text)
  PARTITION BY RANGE (created_at);
DO \$\$ DECLARE d date := current_date - $PARTS + 5; BEGIN
  FOR k IN 0 .. $PARTS - 1 LOOP
    EXECUTE format('CREATE TABLE t${i}_p%s PARTITION OF t$i FOR VALUES FROM (%L) TO (%L)',
                   to_char(d + k, 'YYYYMMDD'), d + k, d + k + 1);
  END LOOP; END \$\$;
INSERT INTO t$i SELECT k, current_date - $PARTS + 5 + k + interval '1 hour', 'x'
  FROM generate_series(0, $PARTS - 1) k;
SQL
done
total=$(psql -X -At -c "SELECT count(*) FROM pg_inherits")
say "$total partitions"
psql -X -q -c "CHECKPOINT"

# The baseline: per table, its partitions with size and statistics (what a
# home-grown checker or a loop over pg_partman's show_partitions would read).
baseline() {
    local i
    for ((i = 1; i <= TABLES; i++)); do
        echo "SELECT c.relname, pg_total_relation_size(c.oid), s.n_live_tup, s.n_dead_tup,
                     s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze,
                     pg_get_expr(c.relpartbound, c.oid)
              FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              JOIN pg_stat_user_tables s ON s.relid = c.oid
              WHERE i.inhparent = 't$i'::regclass;"
    done | psql -X -q -o /dev/null
}

declare -a T_DOC T_EXPLAIN T_BASE T_RAW
# First as built: no partition vacuumed or analyzed yet, so doctor measures
# every size (its worst case); then as autovacuum leaves a database.
for ((r = 1; r <= REPS; r++)); do
    timed "$PGSTRATA" doctor --json
    ((RC <= 2)) || problem "doctor exited $RC"
    T_RAW+=("$T")
done
say "VACUUM ANALYZE (what autovacuum would have done)"
psql -X -q -c "VACUUM ANALYZE" -c "CHECKPOINT"
for ((r = 1; r <= REPS; r++)); do
    timed baseline
    T_BASE+=("$T")
    timed "$PGSTRATA" doctor --json
    ((RC <= 2)) || problem "doctor exited $RC"
    T_DOC+=("$T")
    timed "$PGSTRATA" doctor --json --planning-partitions "$PARTS"
    ((RC <= 2)) || problem "doctor --planning-partitions exited $RC"
    T_EXPLAIN+=("$T")
done
raw=$(median "${T_RAW[@]}")
doc=$(median "${T_DOC[@]}")
explain=$(median "${T_EXPLAIN[@]}")
base=$(median "${T_BASE[@]}")
findings=$("$PGSTRATA" doctor --json | jq -r '[.findings[].id] | group_by(.) | map("\(.[0]) x\(length)") | join(", ")' || true)

cat <<REPORT | tee "$LOGDIR/summary.md"

## doctor over $TABLES tables, $total partitions (PostgreSQL $PG_VERSION, pgstrata $PGSTRATA_VERSION $GIT_REV, $(date -u +%Y-%m-%d\ %H:%M) UTC, load $(cut -d' ' -f1 /proc/loadavg))

| measurement | median of $REPS | time / baseline | target |
| --- | --- | --- | --- |
| baseline: one query per table (psql, one session) | $(fmt_s "$base") | 1.00x | |
| \`pgstrata doctor --json\`, nothing vacuumed yet (every size measured) | $(fmt_s "$raw") | $(awk -v a="$raw" -v b="$base" 'BEGIN { printf "%.2fx", a / b }') | < ${LIMIT_S} s: $(target "$raw" "<" "$LIMIT_S") |
| \`pgstrata doctor --json\` | $(fmt_s "$doc") | $(awk -v a="$doc" -v b="$base" 'BEGIN { printf "%.2fx", a / b }') | < ${LIMIT_S} s: $(target "$doc" "<" "$LIMIT_S") |
| \`pgstrata doctor --json --planning-partitions $PARTS\` (EXPLAINs every table) | $(fmt_s "$explain") | $(awk -v a="$explain" -v b="$base" 'BEGIN { printf "%.2fx", a / b }') | < ${LIMIT_S} s: $(target "$explain" "<" "$LIMIT_S") |

findings: $findings
REPORT
if ((${#PROBLEMS[@]})); then
    printf 'problems:\n'
    printf '  %s\n' "${PROBLEMS[@]}"
    exit 1
fi
