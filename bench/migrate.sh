#!/usr/bin/env bash
# bench/migrate.sh: the issue 3 figures of `pgstrata migrate`, side by side with their
# plain-SQL baselines, in one run on one throwaway cluster and the same data. See
# bench/README.md ("Migrate benchmarks") for what each figure means.
#
#   bench/migrate.sh        ~10-13 minutes on 2 cores; prints a summary table at the end
#
# Environment (all optional):
#   BENCH_ROWS=5000000        rows of the table migrated (backfill and cutover figures)
#   BENCH_DAYS=60             days they are spread over (one new partition a day)
#   BENCH_JOBS=2              migrate backfill --jobs of the main pgstrata figure
#   BENCH_BACKFILL_REPS=3     repetitions of (baseline, --jobs N, one session), medians
#   BENCH_CAP_ROWS=1000000    rows of the table the capture overhead is measured on
#   BENCH_CAP_SECONDS=8       seconds of each pgbench run of the capture figures
#   BENCH_CAP_CLIENTS=2       pgbench clients of the capture figures
#   BENCH_CAP_ROUNDS=5        rounds of (none, pgstrata, naive) x (insert, update), order alternating
#   BENCH_CUTOVER_RATE=200    writes per second during the cutover (pgbench -R)
#
# It installs nothing itself except through scripts/install-deps.sh, builds with `make`,
# starts its own cluster with tests/lib/pgcluster.sh and always stops it. Logs (every
# command's output, pgbench logs, the summary) stay in /tmp/pgstrata-bench-migrate.XXXXXX.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
cd "$ROOT"

ROWS=${BENCH_ROWS:-5000000}
DAYS=${BENCH_DAYS:-60}
JOBS=${BENCH_JOBS:-2}
BF_REPS=${BENCH_BACKFILL_REPS:-3}
CAP_ROWS=${BENCH_CAP_ROWS:-1000000}
CAP_SECONDS=${BENCH_CAP_SECONDS:-8}
CAP_CLIENTS=${BENCH_CAP_CLIENTS:-2}
CAP_ROUNDS=${BENCH_CAP_ROUNDS:-5}
CUT_RATE=${BENCH_CUTOVER_RATE:-200}
CUT_SECONDS=20
CUT_AT=8 # seconds into the pgbench run when the cutover starts
XACT_LIMIT=5
P99_LIMIT=1.5
STALL_LIMIT_MS=1000

# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"
bench_init pgstrata-bench-migrate

# --- 0. dependencies, build ---------------------------------------------------------

bench_build

# --- 1. cluster -----------------------------------------------------------------------

bench_cluster "maintenance_work_mem = '256MB'"
# Our own psql sessions say who they are; pgstrata runs without PGAPPNAME, so its
# sessions are "pgstrata" and the sampler can tell them apart.
export PGAPPNAME=bench
DB=mig

# --- helpers --------------------------------------------------------------------------

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
fmt_int() { awk -v x="$1" 'BEGIN { if (x == "") print "-"; else printf "%.0f", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b <= 0) print "-";
                                           else printf "%.2fx", a / b }'; }
strata() { env -u PGAPPNAME "$PGSTRATA" -d "$DB" "$@"; }
checkpoint() { q "CHECKPOINT" >/dev/null; }

# The server-side sampler of open transactions (bench_sample in migrate_setup.sql).
sampler_start() { # LABEL APP
    q "TRUNCATE bench_flag" >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CALL bench_sample('$1', '$2')" \
        >>"$LOGDIR/sampler.log" 2>&1 &
    SAMPLER_PID=$!
    BG_PIDS+=("$SAMPLER_PID")
    sleep 0.3
}
sampler_stop() {
    q "INSERT INTO bench_flag VALUES (true)" >/dev/null
    wait "$SAMPLER_PID" || problem "the transaction sampler failed; see $LOGDIR/sampler.log"
}
longest_xact() { q "SELECT COALESCE(round(max(age_s)::numeric, 2), 0) FROM bench_xact WHERE label = '$1'"; }
sample_count() { q "SELECT count(DISTINCT at) FROM bench_xact WHERE label = '$1'"; }

# Rows of A missing from B or different there, plus rows of B not in A. Both have a
# primary key on (id, created_at) or (id), so this is an exact row-for-row comparison.
differ() {
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "SET work_mem = '512MB'" -c "
        SELECT count(*) FROM $1 a FULL JOIN $2 b ON b.id = a.id AND b.created_at = a.created_at
         WHERE a.id IS NULL OR b.id IS NULL OR a.payload IS DISTINCT FROM b.payload"
}

# pgbench per-transaction logs (client tx latency_us script epoch epoch_us [lag]):
# count, p99 and longest latency in ms.
latency_stats() { # LOG-PREFIX -> "n p50 p99 max"
    cat "$1".[0-9]* | awk '{ print $3 }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "0 0 0 0"; exit }
                                  i99 = int(NR * 0.99); if (i99 < 1) i99 = 1;
                                  i50 = int(NR * 0.5); if (i50 < 1) i50 = 1;
                                  printf "%d %.3f %.3f %.3f\n", NR, v[i50] / 1000, v[i99] / 1000, v[NR] / 1000 }'
}

# --- 2. data ------------------------------------------------------------------------

SETUP_START=$(date +%s.%N)
createdb "$DB"
run_logged psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$BENCH/migrate_setup.sql" ||
    die "loading migrate_setup.sql failed; see $LOG"
run_logged strata -q init || die "pgstrata init failed; see $LOG"
say "building events: $ROWS rows over $DAYS days (and cap: $CAP_ROWS rows, in parallel)"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CALL bench_events('cap', $CAP_ROWS, $DAYS)" \
    >>"$LOGDIR/build-cap.log" 2>&1 &
CAP_PID=$!
BG_PIDS+=("$CAP_PID")
run_logged psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CALL bench_events('events', $ROWS, $DAYS)" ||
    die "building events failed; see $LOG"
wait "$CAP_PID" || die "building cap failed; see $LOGDIR/build-cap.log"
# after both loads: a vacuum while the other load runs cannot mark pages all-visible
run_logged q "VACUUM (FREEZE, ANALYZE) events" || die "vacuum failed; see $LOG"
run_logged q "VACUUM (FREEZE, ANALYZE) cap" || die "vacuum failed; see $LOG"
EVENTS_ROWS=$(q "SELECT count(*) FROM events")
EVENTS_MB=$(q "SELECT round(pg_total_relation_size('events') / 1048576.0)")
[[ "$EVENTS_ROWS" == "$ROWS" ]] || problem "events has $EVENTS_ROWS rows, expected $ROWS"
checkpoint
SETUP_T=$(sub "$SETUP_START" "$(date +%s.%N)")
say "  events: $EVENTS_ROWS rows, $EVENTS_MB MB with its indexes; setup $(fmt_s "$SETUP_T")"

declare -A FIG
declare -A NOTE
START_ARGS=(--column created_at --interval '1 day' --accept unique-scope)

# --- 3. backfill throughput -------------------------------------------------------------
#
# Every measurement starts from a fresh `migrate start events` (the new tree, empty,
# with its primary key (id, created_at) and the created_at index on each of its daily
# partitions) and ends with `migrate rollback`, except the last, which goes on to verify
# and cutover. The baseline fills the very same kind of tree with one INSERT ... SELECT.

fresh_start() {
    timed strata -q migrate start events "${START_ARGS[@]}"
    ((RC == 0)) || die "pgstrata migrate start events failed; see $LOG"
    NPARTS=$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events_pgs_new'::regclass")
    checkpoint
}
rollback_events() {
    timed strata -q migrate rollback events
    ((RC == 0)) || die "pgstrata migrate rollback events failed; see $LOG"
}

baseline_run() { # REP
    fresh_start
    say "backfill $1: baseline, one INSERT INTO events_pgs_new SELECT * FROM events"
    sampler_start "base$1" bench-baseline
    timed env PGAPPNAME=bench-baseline psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
        -c "INSERT INTO events_pgs_new OVERRIDING SYSTEM VALUE SELECT * FROM events"
    sampler_stop
    ((RC == 0)) || problem "the baseline INSERT failed (exit $RC); see $LOG"
    BASE_T+=("$T")
    local n
    n=$(q "SELECT count(*) FROM events_pgs_new")
    [[ "$n" == "$EVENTS_ROWS" ]] || problem "baseline: the new tree has $n rows, the source $EVENTS_ROWS"
    say "  $(fmt_s "$T"), $(fmt_int "$(awk -v n="$EVENTS_ROWS" -v t="$T" 'BEGIN { print n / t }')") rows/s; its transaction, seen from the server: $(longest_xact "base$1") s"
    rollback_events
}

strata_run() { # LABEL JOBS CHECK KEEP
    local label=$1 jobs=$2 check=$3 keep=$4
    fresh_start
    say "backfill: pgstrata migrate backfill --jobs $jobs ($label)"
    sampler_start "$label" pgstrata
    timed strata migrate backfill events --jobs "$jobs"
    sampler_stop
    ((RC == 0)) || problem "pgstrata migrate backfill --jobs $jobs failed (exit $RC); see $LOG"
    local lx n
    lx=$(longest_xact "$label")
    say "  $(fmt_s "$T"), $(fmt_int "$(awk -v n="$EVENTS_ROWS" -v t="$T" 'BEGIN { print n / t }')") rows/s; longest pgstrata transaction $lx s ($(sample_count "$label") samples)"
    LAST_T=$T LAST_X=$lx
    if [[ "$check" == check ]]; then
        say "  verify (pgstrata migrate verify, then a row-for-row join in SQL)"
        timed strata migrate verify events
        ((RC == 0)) || problem "after backfill --jobs $jobs: pgstrata migrate verify says the tables differ; see $LOG"
        n=$(differ events events_pgs_new)
        [[ "$n" == 0 ]] || problem "after backfill --jobs $jobs: $n rows differ between events and events_pgs_new"
    else
        n=$(q "SELECT count(*) FROM events_pgs_new")
        [[ "$n" == "$EVENTS_ROWS" ]] || problem "after backfill --jobs $jobs: the new tree has $n rows, the source $EVENTS_ROWS"
    fi
    [[ "$keep" == keep ]] || rollback_events
}

# Each repetition: the baseline, pgstrata --jobs $JOBS, pgstrata with one session, one
# right after the other. The first parallel run and the last run are checked row for
# row; the others by their row count. The last one-session run is kept: the cutover
# figure continues that migration.
BASE_T=() BASE_X=() PAR_T=() PAR_X=() ONE_T=() ONE_X=()
for ((REP = 1; REP <= BF_REPS; REP++)); do
    baseline_run "$REP"
    BASE_X+=("$(longest_xact "base$REP")")
    strata_run "par$REP" "$JOBS" "$( ((REP == 1)) && echo check || echo count)" drop
    PAR_T+=("$LAST_T") PAR_X+=("$LAST_X")
    if ((REP < BF_REPS)); then
        strata_run "one$REP" 1 count drop
    else
        strata_run "one$REP" 1 check keep
    fi
    ONE_T+=("$LAST_T") ONE_X+=("$LAST_X")
done
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }
FIG[base.t]=$(median "${BASE_T[@]}")
FIG[base.x]=$(maxof "${BASE_X[@]}")
FIG[strata.t]=$(median "${PAR_T[@]}")
FIG[strata.x]=$(maxof "${PAR_X[@]}")
FIG[strata1.t]=$(median "${ONE_T[@]}")
FIG[strata1.x]=$(maxof "${ONE_X[@]}")
NOTE[backfill]="baseline: ${BASE_T[*]}; pgstrata --jobs $JOBS: ${PAR_T[*]}; one session: ${ONE_T[*]} (longest transactions: ${PAR_X[*]} / ${ONE_X[*]} s)"
for k in base strata strata1; do
    FIG[$k.rate]=$(awk -v n="$EVENTS_ROWS" -v t="${FIG[$k.t]}" 'BEGIN { print n / t }')
done

# --- 4. capture overhead ----------------------------------------------------------------
#
# On cap (same shape): `migrate start cap`, `migrate backfill cap` (so that the new tree
# holds every row, as the naive dual write needs), then rounds of pgbench with one of
# three configurations at a time, by enabling and disabling triggers:
#   none      no trigger
#   pgstrata  pgstrata's capture (its trigger writes identity and key into its log)
#   naive     the seed's row trigger writing the full row into the new tree
# Each configuration runs an insert workload and an update workload (random existing ids).
# The migration of cap misses the changes made without its trigger; it is rolled back.

say "capture: migrate start cap, migrate backfill cap"
timed strata -q migrate start cap "${START_ARGS[@]}"
((RC == 0)) || die "pgstrata migrate start cap failed; see $LOG"
timed strata -q migrate backfill cap --jobs "$JOBS"
((RC == 0)) || die "pgstrata migrate backfill cap failed; see $LOG"
CAP_ID=$(q "SELECT id FROM pgstrata.migration WHERE source = 'cap' AND step = 'started'")
CAP_TRIGGER="pgstrata_m${CAP_ID}_capture"
run_logged q "CALL bench_naive_trigger('cap', 'cap_pgs_new')"
triggers() { # PGSTRATA-ON NAIVE-ON
    q "ALTER TABLE cap $([[ $1 == on ]] && echo ENABLE || echo DISABLE) TRIGGER $CAP_TRIGGER;
       ALTER TABLE cap $([[ $2 == on ]] && echo ENABLE || echo DISABLE) TRIGGER cap_naive" >/dev/null
}
declare -A CAP
cap_run() { # CONFIG WORKLOAD ROUND
    local cfg=$1 wl=$2 r=$3 pfx=$LOGDIR/cap-$1-$2-$3 tps n p50 p99 mx
    case $cfg in
    none) triggers off off ;;
    pgstrata) triggers on off ;;
    naive) triggers off on ;;
    esac
    checkpoint
    printf '\n$ pgbench %s %s round %s\n' "$cfg" "$wl" "$r" >>"$LOG"
    if ! pgbench -n -f "$BENCH/migrate_$wl.sql" -D tbl=cap -D maxid="$CAP_ROWS" \
        -c "$CAP_CLIENTS" -j "$CAP_CLIENTS" -T "$CAP_SECONDS" --log --log-prefix="$pfx" \
        "$DB" >"$pfx.txt" 2>&1; then
        problem "capture: pgbench $cfg $wl failed; see $pfx.txt"
    fi
    tps=$(awk '/^tps = / { print $3; exit }' "$pfx.txt")
    read -r n p50 p99 mx < <(latency_stats "$pfx")
    CAP[$cfg.$wl.tps]+="$tps " CAP[$cfg.$wl.p99]+="$p99 " CAP[$cfg.$wl.p50]+="$p50 "
    say "  round $r, $cfg, $wl: $(fmt_int "$tps") tps, p50 $(fmt_ms "$p50"), p99 $(fmt_ms "$p99"), longest $(fmt_ms "$mx") ($n transactions)"
}
for ((r = 1; r <= CAP_ROUNDS; r++)); do
    for wl in insert update; do
        # the order of the configurations turns from round to round
        if ((r % 2)); then order=(none pgstrata naive); else order=(naive pgstrata none); fi
        for cfg in "${order[@]}"; do
            cap_run "$cfg" "$wl" "$r"
        done
    done
done
CAP_LOG_ROWS=$(q "SELECT count(*) FROM pgstrata.m${CAP_ID}_log")
triggers off off
run_logged q "DROP TRIGGER cap_naive ON cap; DROP FUNCTION cap_naive()"
timed strata -q migrate rollback cap
((RC == 0)) || problem "pgstrata migrate rollback cap failed; see $LOG"
for k in "${!CAP[@]}"; do
    # shellcheck disable=SC2086 # a list of numbers
    FIG[cap.$k]=$(median ${CAP[$k]})
done

# --- 5. cutover stall -------------------------------------------------------------------
#
# events after `migrate backfill --jobs 1` and verify (section 3): pgbench inserts at a
# fixed rate into events for CUT_SECONDS s; CUT_AT s in, `pgstrata migrate cutover
# events`. The latency of each insert counts from its scheduled start, so an insert
# waiting behind the cutover's lock, and those queued behind it, show the whole wait.

say "cutover: pgbench -R $CUT_RATE for $CUT_SECONDS s, migrate cutover at $CUT_AT s"
BEFORE=$(q "SELECT count(*) FROM events")
checkpoint
PFX=$LOGDIR/cutover
pgbench -n -f "$BENCH/migrate_insert.sql" -D tbl=events -c 4 -j 2 -R "$CUT_RATE" \
    -T "$CUT_SECONDS" --log --log-prefix="$PFX" "$DB" >"$PFX.txt" 2>&1 &
PB=$!
BG_PIDS+=("$PB")
sleep "$CUT_AT"
CUT_T0=$(date +%s.%N)
timed strata migrate cutover events
CUT_T1=$(date +%s.%N)
FIG[cut.t]=$T
((RC == 0)) || problem "pgstrata migrate cutover failed (exit $RC); see $LOG"
wait "$PB" || problem "cutover: pgbench failed; see $PFX.txt"
read -r CUT_N CUT_P50 CUT_P99 CUT_MAX < <(latency_stats "$PFX")
# the inserts that ended while the cutover ran (plus 1 s), and the others
read -r CUT_WMAX CUT_OMAX < <(cat "$PFX".[0-9]* | awk -v a="$CUT_T0" -v b="$CUT_T1" '
    { t = $5 + $6 / 1e6; l = $3 / 1000
      if (t >= a && t <= b + 1) { if (l > w) w = l } else if (l > o) o = l }
    END { printf "%.3f %.3f\n", w, o }')
CUT_SLOW=$(cat "$PFX".[0-9]* | awk '$3 > 50000 { n++ } END { print n + 0 }')
AFTER=$(q "SELECT count(*) FROM events")
[[ $(q "SELECT relkind FROM pg_class WHERE oid = 'events'::regclass") == p ]] ||
    problem "after the cutover, events is not the partitioned table"
((AFTER == BEFORE + CUT_N)) ||
    problem "after the cutover, events has $AFTER rows; expected $BEFORE + $CUT_N inserts = $((BEFORE + CUT_N))"
# the old table holds what was written before the swap: all of it is in the new one
OLD_MISSING=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "SET work_mem = '512MB'" -c "
    SELECT count(*) FROM events_pgs_old o LEFT JOIN events e ON e.id = o.id
        AND e.created_at = o.created_at WHERE e.id IS NULL OR e.payload IS DISTINCT FROM o.payload")
[[ "$OLD_MISSING" == 0 ]] || problem "$OLD_MISSING rows of events_pgs_old are not in the new events"
say "  cutover $(fmt_s "${FIG[cut.t]}"); longest insert $(fmt_ms "$CUT_MAX") ($(fmt_ms "$CUT_WMAX") around the cutover, $(fmt_ms "$CUT_OMAX") otherwise), $CUT_SLOW over 50 ms, $CUT_N inserts; events: $BEFORE -> $AFTER rows"

# --- 6. summary -----------------------------------------------------------------------

TOTAL_T=$(sub "$RUN_START" "$(date +%s.%N)")
{
    echo
    echo "pgstrata migrate: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -m), PostgreSQL $PG_VERSION"
    echo "pgstrata $PGSTRATA_VERSION at $GIT_REV$( ((GIT_DIRTY > 0)) && echo " (+$GIT_DIRTY uncommitted changes in src/)"); load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    echo "one run on a shared, noisy machine; events: $EVENTS_ROWS rows over $DAYS days ($EVENTS_MB MB with indexes) -> $NPARTS daily partitions"
    echo
    printf '%-46s %9s %12s %8s %10s  %s\n' "1. backfill" wall rows/s ratio "longest tx" target
    printf '%-46s %9s %12s %8s %10s\n' "baseline: one INSERT INTO new SELECT * FROM src" \
        "$(fmt_s "${FIG[base.t]}")" "$(fmt_int "${FIG[base.rate]}")" "1.00x" "${FIG[base.x]} s"
    r=$(ratio_num "${FIG[strata.rate]}" "${FIG[base.rate]}")
    printf '%-46s %9s %12s %8s %10s  %s\n' "pgstrata migrate backfill --jobs $JOBS" \
        "$(fmt_s "${FIG[strata.t]}")" "$(fmt_int "${FIG[strata.rate]}")" \
        "$(ratio "${FIG[strata.rate]}" "${FIG[base.rate]}")" "${FIG[strata.x]} s" \
        ">= 1x: $(target "$r" ">=" 1); tx <= ${XACT_LIMIT} s: $(target "${FIG[strata.x]}" "<=" "$XACT_LIMIT")"
    r=$(ratio_num "${FIG[strata1.rate]}" "${FIG[base.rate]}")
    printf '%-46s %9s %12s %8s %10s  %s\n' "pgstrata migrate backfill (one session)" \
        "$(fmt_s "${FIG[strata1.t]}")" "$(fmt_int "${FIG[strata1.rate]}")" \
        "$(ratio "${FIG[strata1.rate]}" "${FIG[base.rate]}")" "${FIG[strata1.x]} s" \
        ">= 1x: $(target "$r" ">=" 1); tx <= ${XACT_LIMIT} s: $(target "${FIG[strata1.x]}" "<=" "$XACT_LIMIT")"
    echo "  (medians of $BF_REPS; wall time of the whole command; longest tx: the oldest open transaction of its sessions, sampled every 100 ms from pg_stat_activity, over all runs)"
    echo
    printf '%-30s %9s %9s %9s %9s  %s\n' "2. capture overhead" tps p50 p99 "p99 ratio" target
    for wl in insert update; do
        for cfg in none pgstrata naive; do
            r=$(ratio_num "${FIG[cap.$cfg.$wl.p99]}" "${FIG[cap.none.$wl.p99]}")
            tgt=""
            [[ $cfg == pgstrata ]] && tgt="<= ${P99_LIMIT}x: $(target "$r" "<=" "$P99_LIMIT")"
            printf '%-30s %9s %9s %9s %9s  %s\n' "$wl, $cfg" "$(fmt_int "${FIG[cap.$cfg.$wl.tps]}")" \
                "$(fmt_ms "${FIG[cap.$cfg.$wl.p50]}")" "$(fmt_ms "${FIG[cap.$cfg.$wl.p99]}")" \
                "$(ratio "${FIG[cap.$cfg.$wl.p99]}" "${FIG[cap.none.$wl.p99]}")" "$tgt"
        done
    done
    echo "  (cap: $CAP_ROWS rows; pgbench -c $CAP_CLIENTS, $CAP_SECONDS s per run, medians of $CAP_ROUNDS rounds; pgstrata's log got $CAP_LOG_ROWS rows)"
    echo
    printf '%-30s %9s %9s %9s %9s  %s\n' "3. cutover at $CUT_RATE writes/s" longest "> 50 ms" p99 cutover target
    printf '%-30s %9s %9s %9s %9s  %s\n' "pgstrata migrate cutover" "$(fmt_ms "$CUT_MAX")" "$CUT_SLOW" \
        "$(fmt_ms "$CUT_P99")" "$(fmt_s "${FIG[cut.t]}")" \
        "< ${STALL_LIMIT_MS} ms: $(target "$CUT_MAX" "<" "$STALL_LIMIT_MS")"
    echo "  (pgbench -R $CUT_RATE -c 4, $CUT_N inserts in $CUT_SECONDS s; longest within the cutover (+1 s) $(fmt_ms "$CUT_WMAX"), elsewhere $(fmt_ms "$CUT_OMAX"); median $(fmt_ms "$CUT_P50"))"
    echo
    echo "setup $(fmt_s "$SETUP_T"), whole run $(fmt_s "$TOTAL_T")"
    if ((${#PROBLEMS[@]})); then
        echo
        echo "PROBLEMS (${#PROBLEMS[@]}):"
        printf '  - %s\n' "${PROBLEMS[@]}"
    fi
    echo
    echo "all timings:"
    for k in $(printf '%s\n' "${!NOTE[@]}" | sort); do
        printf '  %-10s %s\n' "$k" "${NOTE[$k]}"
    done
    for k in $(printf '%s\n' "${!CAP[@]}" | sort); do
        printf '  cap.%-18s %s\n' "$k" "${CAP[$k]}"
    done
} | tee "$LOGDIR/summary.txt"

((${#PROBLEMS[@]} == 0))
