#!/usr/bin/env bash
# bench/run.sh: pgstrata against pg_partman 4.7, side by side, in one run, on the same
# throwaway cluster and the same data. See bench/README.md for what each figure means.
#
#   bench/run.sh            8-12 minutes on 2 cores; prints a summary table at the end
#
# Environment (all optional):
#   BENCH_REPS_SMALL=5      timed repetitions per figure, 20 x 365 tables
#   BENCH_REPS_LARGE=3      timed repetitions per figure, 100 x 1,000 tables
#   BENCH_REPS_LS=5         timed repetitions of `pgstrata ls`
#   BENCH_SKIP_LARGE=1      leave out the 100 x 1,000 figures (a quicker run, ~6 minutes)
#   BENCH_NO_WAIT=1         do not wait when the run would cross 00:00 or 12:00 UTC
#   BENCH_INT_PARTS=10000   partitions of the integer-key table (less: a quicker trial)
#
# It installs nothing itself except through scripts/install-deps.sh --bench, builds with
# `make`, starts its own cluster with tests/lib/pgcluster.sh and always stops it. Logs
# (every command's output, pgbench logs, the summary) stay in /tmp/pgstrata-bench.XXXXXX.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
cd "$ROOT"

REPS_SMALL=${BENCH_REPS_SMALL:-5}
REPS_LARGE=${BENCH_REPS_LARGE:-3}
REPS_LS=${BENCH_REPS_LS:-5}
SKIP_LARGE=${BENCH_SKIP_LARGE:-0}

# Sizes: tables x partitions kept by retention.
SMALL_TABLES=20
SMALL_PARTS=365
LARGE_TABLES=100
LARGE_PARTS=1000
INT_PARTS=${BENCH_INT_PARTS:-10000}
INT_WIDTH=1000
STRATA_JOBS=${BENCH_JOBS:-2}
LOCK_TIMEOUT=200ms
LOCK_TIMEOUT_MS=200
READER_SECONDS=8
PGBENCH_SECONDS=15

# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"
bench_init pgstrata-bench

# --- 0. dependencies, build ---------------------------------------------------------

bench_build --bench

# --- 1. cluster -----------------------------------------------------------------------

# 100 tables x 1,000 partitions: pg_partman's run_maintenance() is one transaction over
# all tables, and building a 1,000-partition table holds ~4,000 locks. run.sh analyzes
# the catalogs itself after the build.
bench_cluster "max_locks_per_transaction = 4096"
export PGAPPNAME=pgstrata-bench
[[ $(psql -X -At -d postgres -c "SHOW max_locks_per_transaction") == 4096 ]] ||
    die "max_locks_per_transaction did not take"

PSQL_BIN=$PGCLUSTER_BINDIR/psql
[[ -x "$PSQL_BIN" ]] || die "no psql binary in $PGCLUSTER_BINDIR"
PARTMAN_VERSION=$(psql -X -At -d postgres -c \
    "SELECT default_version FROM pg_available_extensions WHERE name = 'pg_partman'")

# --- helpers --------------------------------------------------------------------------

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b <= 0) print "-";
                                           else if (a / b < 10) printf "%.1fx", a / b;
                                           else printf "%.0fx", a / b }'; }
# pgstrata runs with --jobs $STRATA_JOBS (2 sessions on 2 cores); the pass with work is
# also timed with one session (strata_maintain_1) so that both figures are on record.
strata_maintain() { "$PGSTRATA" -d "$1" -q maintain --jobs "$STRATA_JOBS"; }
strata_maintain_1() { "$PGSTRATA" -d "$1" -q maintain; }
# pg_partman through the psql binary itself, not Debian's perl wrapper /usr/bin/psql,
# whose start-up (~25 ms) would count against pg_partman.
partman_maintain() { "$PSQL_BIN" -X -q -v ON_ERROR_STOP=1 -d "$1" -c "SELECT partman.run_maintenance()"; }
# The last line pgstrata printed (its "maintained N tables: ..." summary).
last_strata_summary() { grep -E '^maintained' "$LOG" | tail -n 1 || true; }
day() { q postgres "SELECT (current_date + $1)::text"; }
shape() { q "$1" "SELECT bench_shape('$2')"; }
count() { q "$1" "SELECT bench_count('$2')"; }
check_shape() { # DB PREFIX EXPECTED WHAT
    local got
    got=$(shape "$1" "$2")
    if [[ "$got" != "$3" ]]; then
        problem "$4: $1 has '$got', expected '$3'"
        return 1
    fi
    return 0
}
check_count() { # DB PREFIX EXPECTED WHAT
    local got
    got=$(count "$1" "$2")
    if [[ "$got" != "$3" ]]; then
        problem "$4: $1 has '$got', expected '$3'"
        return 1
    fi
    return 0
}
checkpoint() { q postgres "CHECKPOINT" >/dev/null; }
# Where pgstrata's time goes (this explains the figures; it is not one of them):
# profile_noop runs one extra, untimed no-op pass with every statement logged and keeps
# the slowest statements; audit_summary sums pgstrata's own per-action times (its audit
# table) after a given audit id. Both write $LOGDIR/profile-DB-WHAT.txt.
profile_noop() { # DB
    local db=$1 out=$LOGDIR/profile-$1-noop.txt start
    start=$(($(wc -l <"$PGCLUSTER_LOG") + 1))
    q postgres "ALTER DATABASE $db SET log_min_duration_statement = 0" >/dev/null
    timed strata_maintain "$db"
    q postgres "ALTER DATABASE $db RESET log_min_duration_statement" >/dev/null
    {
        echo "pgstrata maintain -q on $db (no-op), $(fmt_s "$T") with every statement logged"
        echo "slowest statements (server log):"
        tail -n +"$start" "$PGCLUSTER_LOG" | { grep -o 'duration: [0-9.]* ms .*' || true; } |
            sort -t' ' -k2 -rn >"$out.all"
        sed -n '1,6p' "$out.all" | cut -c1-200
        rm -f "$out.all"
    } >"$out" 2>&1
}
audit_id() { q "$1" "SELECT COALESCE(max(id), 0) FROM pgstrata.audit"; }
audit_summary() { # DB FROM-ID WHAT
    echo "pgstrata.audit of the last timed pass ($3) on $1: time spent per kind of action" \
        >"$LOGDIR/profile-$1-$3.txt"
    psql -X -q -d "$1" -c "SELECT action, outcome, count(*),
            round(sum(duration_ms)::numeric) AS total_ms, round(avg(duration_ms)::numeric, 1) AS avg_ms
        FROM pgstrata.audit WHERE id > $2 GROUP BY action, outcome ORDER BY 4 DESC" \
        >>"$LOGDIR/profile-$1-$3.txt" 2>&1 || true
}
vacuum_catalogs() {
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "SELECT bench_vacuum_catalogs()" |
        psql -X -q -v ON_ERROR_STOP=1 -d "$1" >>"$LOG" 2>&1
}

# The run uses the real clock (pg_partman has no other), so a run must not cross UTC
# midnight (the partitions due change) or noon (see PARTMAN_PREMAKE below).
secs=$(($(date -u +%s) % 86400))
for edge in 43200 86400; do
    if ((secs < edge && edge - secs < 900)) && [[ "${BENCH_NO_WAIT:-0}" != 1 ]]; then
        say "waiting $((edge - secs + 5)) s: the run must not cross $((edge / 3600 % 24)):00 UTC"
        sleep $((edge - secs + 5))
    fi
done
TODAY=$(day 0)
HALF=$(($(date -u +%s) % 86400 / 43200))
# pg_partman counts the premade partitions as round((start of the last partition - now())
# / interval), so after 12:00 UTC premake 4 keeps 5 days ahead, one more than at 09:00.
# pgstrata's premake 4 always covers up to the end of today + 4 days. To give both tools
# the same partitions to keep, pg_partman gets premake 3 after 12:00 UTC.
PARTMAN_PREMAKE=$((HALF == 0 ? 4 : 3))
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 2. build the databases -----------------------------------------------------------
#
# For each size, two databases with the same catalog: <size>_strata, managed by pgstrata,
# and <size>_partman, a createdb -T copy managed by pg_partman. A table has P partitions
# [today - (P - 5), today + 5) after a settled pass: today, 4 ahead, P - 5 behind.
# The build makes 3 more old ones, which the retention (P - 5 days) retires in the first
# (untimed) pass.
#
# pgstrata registers its tables (init, create) right after the parents and their 5
# current partitions exist, before the history is added in SQL. That is only to save
# setup time: `create` reads the catalog like a pass does, and at one commit it took ~2 s
# per table once the database held 300,000 relations (README, "Observations"). create
# adopts hand-made partitions either way, and maintain reads the whole catalog on every pass.

build_strata_db() { # DB NTABLES P
    local db=$1 n=$2 p=$3 i
    createdb "$db"
    run_logged psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$BENCH/setup.sql"
    run_logged psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CALL bench_parents('t', $n)"
    run_logged psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CALL bench_add_daily('t', 1, $n, 0, 5)"
    run_logged "$PGSTRATA" -d "$db" -q init
    for ((i = 1; i <= n; i++)); do
        run_logged "$PGSTRATA" -d "$db" -q create "$(printf 't%03d' "$i")" --column ts \
            --interval '1 day' --premake 4 --retention "$((p - 5)) days" ||
            die "pgstrata create t$(printf '%03d' "$i") failed in $db; see $LOG"
    done
}
add_history_bg() { # DB NTABLES P SESSIONS: starts the sessions, PIDs in HIST_PIDS
    local db=$1 n=$2 p=$3 k=$4 s first last
    HIST_PIDS=()
    for ((s = 0; s < k; s++)); do
        first=$((s * n / k + 1))
        last=$(((s + 1) * n / k))
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
            -c "CALL bench_add_daily('t', $first, $last, -($p - 2), 0)" \
            >>"$LOGDIR/history-$db-$s.log" 2>&1 &
        HIST_PIDS+=($!)
        BG_PIDS+=($!)
    done
}
wait_all() {
    local p rc=0
    for p in "$@"; do
        wait "$p" || rc=1
    done
    return $rc
}
finish_pair() { # SDB PDB NTABLES P: rows, copy, pg_partman registration
    local sdb=$1 pdb=$2 n=$3 p=$4
    run_logged psql -X -q -v ON_ERROR_STOP=1 -d "$sdb" -c "CALL bench_rows('t', $n, 7)"
    createdb -T "$sdb" "$pdb"
    run_logged psql -X -q -v ON_ERROR_STOP=1 -d "$pdb" -c "DROP SCHEMA pgstrata CASCADE"
    run_logged psql -X -q -v ON_ERROR_STOP=1 -d "$pdb" -v prefix=t -v start_day="-($p - 2)" \
        -v retention="$((p - 5)) days" -f "$BENCH/partman_register.sql" ||
        die "pg_partman registration failed in $pdb; see $LOG"
    run_logged q "$pdb" "UPDATE partman.part_config SET premake = $PARTMAN_PREMAKE"
    local a b
    a=$(shape "$sdb" t)
    b=$(shape "$pdb" t)
    [[ "$a" == "$b" ]] || problem "after the build, $sdb has '$a' but $pdb has '$b'"
    say "  $sdb, $pdb: $a"
}

SETUP_START=$(date +%s.%N)
say "building: 20 x 365 (plus 3 due) daily partitions"
build_strata_db small_strata $SMALL_TABLES $SMALL_PARTS
add_history_bg small_strata $SMALL_TABLES $SMALL_PARTS 2
wait_all "${HIST_PIDS[@]}" || die "building small_strata failed; see $LOGDIR/history-*.log"
finish_pair small_strata small_partman $SMALL_TABLES $SMALL_PARTS

say "building: one table with 10,000 integer partitions (in the background)"
createdb int10k
run_logged psql -X -q -v ON_ERROR_STOP=1 -d int10k -f "$BENCH/setup.sql"
psql -X -q -v ON_ERROR_STOP=1 -d int10k -c "CALL bench_make_int('i10k', $INT_PARTS, $INT_WIDTH)" \
    >>"$LOGDIR/history-int10k.log" 2>&1 &
INT_PID=$!
BG_PIDS+=("$INT_PID")

if [[ "$SKIP_LARGE" != 1 ]]; then
    say "building: 100 x 1,000 (plus 3 due) daily partitions (a few minutes)"
    build_strata_db large_strata $LARGE_TABLES $LARGE_PARTS
    add_history_bg large_strata $LARGE_TABLES $LARGE_PARTS 2
    wait_all "${HIST_PIDS[@]}" || die "building large_strata failed; see $LOGDIR/history-*.log"
    say "copying large_strata to large_partman"
    finish_pair large_strata large_partman $LARGE_TABLES $LARGE_PARTS
fi

wait "$INT_PID" || die "building int10k failed; see $LOGDIR/history-int10k.log"
run_logged "$PGSTRATA" -d int10k -q init
say "pgstrata create i10k (adopts 10,000 partitions)"
timed "$PGSTRATA" -d int10k create i10k --column id --interval "$INT_WIDTH" --premake 4
CREATE_10K_T=$T
((RC == 0)) || problem "pgstrata create i10k failed (exit $RC); see $LOG"

say "analyzing the catalogs"
for db in small_strata small_partman int10k; do vacuum_catalogs "$db"; done
if [[ "$SKIP_LARGE" != 1 ]]; then
    for db in large_strata large_partman; do vacuum_catalogs "$db"; done
fi
SETUP_T=$(sub "$SETUP_START" "$(date +%s.%N)")
say "setup took $(fmt_s "$SETUP_T")"

# --- 3. maintenance passes ------------------------------------------------------------

declare -A FIG   # FIG[key]=median seconds
declare -A NOTE  # NOTE[key]=text
# One timed pass of each tool. The order alternates between repetitions.
time_pair() { # SDB PDB REP -> TS TP
    if ((REP % 2)); then
        timed strata_maintain "$1"
        TS=$T RS=$RC
        timed partman_maintain "$2"
        TP=$T RP=$RC
    else
        timed partman_maintain "$2"
        TP=$T RP=$RC
        timed strata_maintain "$1"
        TS=$T RS=$RC
    fi
    ((RS == 0)) || problem "pgstrata maintain failed (exit $RS) in $1; see $LOG"
    ((RP == 0)) || problem "pg_partman run_maintenance() failed (exit $RP) in $2; see $LOG"
}

maintenance_figures() { # KEY SDB PDB NTABLES P REPS
    local key=$1 sdb=$2 pdb=$3 n=$4 p=$5 reps=$6 settled settled_n pre_n s_list p_list a0
    # bench_shape deparses every bound (seconds for 100,000 partitions), so it runs after
    # the settling pass and at the end; in between, bench_count checks the counts.
    settled="$n tables, $((n * p)) partitions ($p-$p per table), [$(day "-($p - 5)"), $(day 5)), 0 default"
    settled_n="$n tables, $((n * p)) partitions ($p-$p per table), 0 default"
    pre_n="$n tables, $((n * (p + 2))) partitions ($((p + 2))-$((p + 2)) per table), 0 default"

    say "$key: settling pass of each tool (untimed; each retires 3 partitions per table)"
    timed strata_maintain "$sdb"
    ((RC == 0)) || problem "settling pass: pgstrata maintain failed in $sdb (exit $RC)"
    NOTE[$key.settle]="pgstrata settle: $(last_strata_summary), $(fmt_s "$T")"
    timed partman_maintain "$pdb"
    ((RC == 0)) || problem "settling pass: pg_partman failed in $pdb (exit $RC)"
    NOTE[$key.settle]+="; pg_partman settle $(fmt_s "$T")"
    check_shape "$sdb" t "$settled" "$key settled (pgstrata)" || true
    check_shape "$pdb" t "$settled" "$key settled (pg_partman)" || true
    checkpoint

    say "$key: no-op passes x $reps"
    s_list=() p_list=()
    for ((REP = 1; REP <= reps; REP++)); do
        time_pair "$sdb" "$pdb"
        s_list+=("$TS") p_list+=("$TP")
        say "  no-op $REP: pgstrata $(fmt_s "$TS") ($(last_strata_summary | sed 's/^maintained //')), pg_partman $(fmt_s "$TP")"
    done
    profile_noop "$sdb"
    FIG[$key.noop.s]=$(median "${s_list[@]}")
    FIG[$key.noop.p]=$(median "${p_list[@]}")
    NOTE[$key.noop]="pgstrata: ${s_list[*]}; pg_partman: ${p_list[*]}"
    check_count "$sdb" t "$settled_n" "$key after the no-op passes (pgstrata)" || true
    check_count "$pdb" t "$settled_n" "$key after the no-op passes (pg_partman)" || true

    say "$key: passes with work x $reps (per table: 1 partition to create, 3 past retention)"
    s_list=() p_list=() s1_list=()
    for ((REP = 1; REP <= reps; REP++)); do
        local db
        for db in "$sdb" "$pdb"; do
            run_logged psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
                -c "CALL bench_add_daily('t', 1, $n, -($p - 2), -($p - 5))" \
                -c "CALL bench_drop_newest('t')"
            check_count "$db" t "$pre_n" "$key work $REP, before the pass" || true
        done
        a0=$(audit_id "$sdb")
        time_pair "$sdb" "$pdb"
        s_list+=("$TS") p_list+=("$TP")
        check_count "$sdb" t "$settled_n" "$key work $REP, after the pass (pgstrata)" || true
        check_count "$pdb" t "$settled_n" "$key work $REP, after the pass (pg_partman)" || true
        # the same pass with one session
        run_logged psql -X -q -v ON_ERROR_STOP=1 -d "$sdb" \
            -c "CALL bench_add_daily('t', 1, $n, -($p - 2), -($p - 5))" \
            -c "CALL bench_drop_newest('t')"
        timed strata_maintain_1 "$sdb"
        ((RC == 0)) || problem "pgstrata maintain (one session) failed (exit $RC) in $sdb"
        s1_list+=("$T")
        check_count "$sdb" t "$settled_n" "$key work $REP, after the one-session pass" || true
        say "  work $REP: pgstrata $(fmt_s "$TS") ($(last_strata_summary | sed 's/^maintained //')), one session $(fmt_s "$T"), pg_partman $(fmt_s "$TP")"
    done
    audit_summary "$sdb" "$a0" work
    check_shape "$sdb" t "$settled" "$key after the passes with work (pgstrata)" || true
    check_shape "$pdb" t "$settled" "$key after the passes with work (pg_partman)" || true
    FIG[$key.work.s]=$(median "${s_list[@]}")
    FIG[$key.work.p]=$(median "${p_list[@]}")
    FIG[$key.work1.s]=$(median "${s1_list[@]}")
    FIG[$key.work1.p]=${FIG[$key.work.p]}
    NOTE[$key.work]="pgstrata: ${s_list[*]}; pgstrata, one session: ${s1_list[*]}; pg_partman: ${p_list[*]}"
}


maintenance_figures small small_strata small_partman $SMALL_TABLES $SMALL_PARTS "$REPS_SMALL"
if [[ "$SKIP_LARGE" != 1 ]]; then
    maintenance_figures large large_strata large_partman $LARGE_TABLES $LARGE_PARTS "$REPS_LARGE"
fi

# --- 4. insert stall while a partition is retired -------------------------------------
#
# Three tables of 10 daily partitions [today - 5, today + 5) in database "stall". The
# retention of 4 days makes exactly the oldest one due.
#   stall_strata001   pgstrata, no default partition: DETACH ... CONCURRENTLY, then DROP
#   stall_partman001  pg_partman run_maintenance(): DROP TABLE, no lock_timeout
#   stall_default001  pgstrata, with a default partition: plain DETACH (ACCESS EXCLUSIVE
#                     on the parent, taken with lock_timeout and retried), then DROP
# pgbench inserts rows (now(), today's partition) for 15 s with one client. At 3 s a
# reader starts: BEGIN; SELECT count(*) FROM t; SELECT pg_sleep(8); COMMIT. As soon as it
# is asleep (holding ACCESS SHARE on the parent and every partition), the maintenance runs.

say "insert stall: setting up"
createdb stall
run_logged psql -X -q -v ON_ERROR_STOP=1 -d stall -f "$BENCH/setup.sql"
for pfx in stall_strata stall_partman stall_default; do
    run_logged psql -X -q -v ON_ERROR_STOP=1 -d stall -c "CALL bench_parents('$pfx', 1)" \
        -c "CALL bench_add_daily('$pfx', 1, 1, -5, 5)"
done
run_logged q stall "CREATE TABLE stall_default001_default PARTITION OF stall_default001 DEFAULT"
run_logged "$PGSTRATA" -d stall -q init
for t in stall_strata001 stall_default001; do
    run_logged "$PGSTRATA" -d stall -q create "$t" --column ts --interval '1 day' --premake 4 \
        --retention '4 days' --lock-timeout "$LOCK_TIMEOUT" || die "pgstrata create $t failed"
done
run_logged psql -X -q -v ON_ERROR_STOP=1 -d stall -v prefix=stall_partman -v start_day=-5 \
    -v retention='4 days' -f "$BENCH/partman_register.sql" || die "pg_partman registration failed"
run_logged q stall "UPDATE partman.part_config SET premake = $PARTMAN_PREMAKE"
vacuum_catalogs stall
STALL_BEFORE_NODEF="1 tables, 10 partitions (10-10 per table), [$(day -5), $(day 5)), 0 default"
STALL_AFTER_NODEF="1 tables, 9 partitions (9-9 per table), [$(day -4), $(day 5)), 0 default"
STALL_AFTER_DEF="1 tables, 9 partitions (9-9 per table), [$(day -4), $(day 5)), 1 default"
check_shape stall stall_strata "$STALL_BEFORE_NODEF" "stall setup" || true
check_shape stall stall_partman "$STALL_BEFORE_NODEF" "stall setup" || true

declare -A STALL
stall_run() { # LABEL TABLE PREFIX EXPECTED-AFTER MAINTENANCE-COMMAND...
    local label=$1 table=$2 pfx=$3 expect=$4
    shift 4
    local pfxlog=$LOGDIR/stall-$label pb rd i n mx p99 p50
    say "insert stall: $label"
    checkpoint
    pgbench -n -f "$BENCH/insert.sql" -D tbl="$table" -c 1 -T "$PGBENCH_SECONDS" \
        --log --log-prefix="$pfxlog" stall >"$pfxlog.pgbench.txt" 2>&1 &
    pb=$!
    BG_PIDS+=("$pb")
    sleep 3
    (
        t0=$(date +%s.%N)
        psql -X -q -v ON_ERROR_STOP=1 -d stall -c "BEGIN" -c "SELECT count(*) FROM $table" \
            -c "SELECT pg_sleep($READER_SECONDS)" -c "COMMIT" >"$pfxlog.reader.txt" 2>&1
        echo "exit $? $(sub "$t0" "$(date +%s.%N)")" >>"$pfxlog.reader.txt"
    ) &
    rd=$!
    BG_PIDS+=("$rd")
    for ((i = 0; i < 100; i++)); do
        [[ $(q stall "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep($READER_SECONDS)' AND state = 'active'") == 1 ]] && break
        sleep 0.05
    done
    ((i < 100)) || problem "stall $label: the reader never started sleeping"
    timed "$@"
    STALL[$label.maint]=$T
    ((RC == 0)) || problem "stall $label: the maintenance failed (exit $RC); see $LOG"
    wait "$rd" || true
    wait "$pb" || problem "stall $label: pgbench failed; see $pfxlog.pgbench.txt"
    STALL[$label.reader]=$(awk '/^exit/ { print $3 }' "$pfxlog.reader.txt")
    # pgbench log lines: client transaction latency_us script epoch epoch_us
    read -r n mx p99 p50 < <(cat "$pfxlog".[0-9]* | awk '{ print $3 }' | sort -n |
        awk '{ v[NR] = $1 } END { i99 = int(NR * 0.99); if (i99 < 1) i99 = 1;
                                  i50 = int(NR * 0.5); if (i50 < 1) i50 = 1;
                                  print NR, v[NR] / 1000, v[i99] / 1000, v[i50] / 1000 }')
    STALL[$label.n]=$n STALL[$label.max]=$mx STALL[$label.p99]=$p99 STALL[$label.p50]=$p50
    # Inserts that waited more than 50 ms: how many times, and how long in all.
    STALL[$label.slow]=$(cat "$pfxlog".[0-9]* |
        awk '$3 > 50000 { n++; t += $3 } END { printf "%d (%.1f s)", n, t / 1e6 }')
    check_shape stall "$pfx" "$expect" "stall $label: the partition was not retired" || true
    say "  longest insert $(fmt_ms "$mx"), p99 $(fmt_ms "$p99"), median $(fmt_ms "$p50"), $n inserts, > 50 ms: ${STALL[$label.slow]}; reader $(fmt_s "${STALL[$label.reader]}"), maintenance $(fmt_s "${STALL[$label.maint]}")"
}
stall_run strata stall_strata001 stall_strata "$STALL_AFTER_NODEF" \
    "$PGSTRATA" -d stall maintain stall_strata001
stall_run partman stall_partman001 stall_partman "$STALL_AFTER_NODEF" \
    "$PSQL_BIN" -X -q -v ON_ERROR_STOP=1 -d stall -c "SELECT partman.run_maintenance()"
stall_run default stall_default001 stall_default "$STALL_AFTER_DEF" \
    "$PGSTRATA" -d stall maintain stall_default001

# --- 5. pgstrata ls -------------------------------------------------------------------

ls_figure() { # KEY REPS DB ARGS...
    local key=$1 reps=$2 db=$3 list=() r
    shift 3
    for ((r = 1; r <= reps; r++)); do
        timed "$PGSTRATA" -d "$db" ls "$@"
        ((RC == 0)) || problem "pgstrata ls $* failed in $db (exit $RC)"
        list+=("$T")
    done
    FIG[$key]=$(median "${list[@]}")
    NOTE[$key]="${list[*]}"
}
say "pgstrata ls: 10,000 partitions"
"$PGSTRATA" -d int10k ls i10k >"$LOGDIR/ls-i10k.txt" 2>&1 || problem "pgstrata ls i10k failed"
grep -qE "^partitions: +$INT_PARTS\$" "$LOGDIR/ls-i10k.txt" ||
    problem "pgstrata ls i10k does not report $INT_PARTS partitions; see $LOGDIR/ls-i10k.txt"
LS_LINES=$(wc -l <"$LOGDIR/ls-i10k.txt")
ls_figure ls.i10k "$REPS_LS" int10k i10k
ls_figure ls.all10k "$REPS_LS" int10k
if [[ "$SKIP_LARGE" != 1 ]]; then
    "$PGSTRATA" -d large_strata ls >"$LOGDIR/ls-large.txt" 2>&1 || problem "pgstrata ls failed in large_strata"
    ls_figure ls.large "$REPS_LARGE" large_strata
fi

# --- 6. summary -----------------------------------------------------------------------

[[ "$(day 0)" == "$TODAY" && $(($(date -u +%s) % 86400 / 43200)) == "$HALF" ]] ||
    problem "the run crossed 00:00 or 12:00 UTC: the figures after that point are suspect"
TOTAL_T=$(sub "$RUN_START" "$(date +%s.%N)")
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)


{
    echo
    echo "pgstrata vs pg_partman: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -m), PostgreSQL $PG_VERSION, pg_partman $PARTMAN_VERSION"
    echo "pgstrata $PGSTRATA_VERSION at $GIT_REV$( ((GIT_DIRTY > 0)) && echo " (+$GIT_DIRTY uncommitted changes in src/)"); load average $LOAD_START at the start, $LOAD_END at the end"
    echo "one run on a shared, noisy machine: medians of $REPS_SMALL (20 x 365) / $REPS_LARGE (100 x 1,000) / $REPS_LS (ls; $REPS_LARGE for 100 x 1,000) repetitions, whole processes (connect included)"
    echo
    printf '%-44s %10s %11s %8s  %s\n' "maintenance pass (real clock)" pgstrata pg_partman ratio "target"
    row() { # LABEL KEY TARGET
        local s=${FIG[$2.s]:-} p=${FIG[$2.p]:-} r
        r=$(ratio_num "$p" "$s")
        printf '%-44s %10s %11s %8s  %s\n' "$1" "$(fmt_s "$s")" "$(fmt_s "$p")" "$(ratio "$p" "$s")" \
            ">= ${3}x: $(target "$r" ">=" "$3")"
    }
    row "no-op pass, 20 x 365" small.noop 20
    row "pass with work, 20 x 365" small.work 5
    row "  the same, one session (no --jobs)" small.work1 5
    if [[ "$SKIP_LARGE" != 1 ]]; then
        row "no-op pass, 100 x 1,000" large.noop 20
        row "pass with work, 100 x 1,000" large.work 5
        row "  the same, one session (no --jobs)" large.work1 5
    fi
    echo "  (pgstrata maintain --jobs $STRATA_JOBS unless said; pg_partman: SELECT partman.run_maintenance() in $PSQL_BIN)"
    echo "  (with work: per table 1 partition to create and 3 past retention to drop)"
    echo
    printf '%-44s %9s %8s %8s %12s %7s %7s  %s\n' "insert stall, retiring 1 partition" "longest" p99 median "> 50 ms" reader maint. "target"
    srow() { # LABEL KEY TARGET-TEXT
        printf '%-44s %9s %8s %8s %12s %7s %7s  %s\n' "$1" "$(fmt_ms "${STALL[$2.max]}")" \
            "$(fmt_ms "${STALL[$2.p99]}")" "$(fmt_ms "${STALL[$2.p50]}")" "${STALL[$2.slow]}" \
            "$(fmt_s "${STALL[$2.reader]}")" "$(fmt_s "${STALL[$2.maint]}")" "$3"
    }
    lim=$(awk -v m="${STALL[strata.p50]}" -v t=$LOCK_TIMEOUT_MS 'BEGIN { print 2 * t + m }')
    srow "pgstrata, DETACH CONCURRENTLY (lt $LOCK_TIMEOUT)" strata \
        "< $(fmt_ms "$lim"): $(target "${STALL[strata.max]}" "<" "$lim")"
    srow "pg_partman run_maintenance()" partman "~ the reader's remaining time"
    lim2=$(awk -v m="${STALL[default.p50]}" -v t=$LOCK_TIMEOUT_MS 'BEGIN { print 2 * t + m }')
    srow "pgstrata, plain DETACH (default, lt $LOCK_TIMEOUT)" default \
        "< $(fmt_ms "$lim2"): $(target "${STALL[default.max]}" "<" "$lim2")"
    echo "  ($PGBENCH_SECONDS s of pgbench inserts, 1 client, unthrottled: ${STALL[strata.n]} / ${STALL[partman.n]} / ${STALL[default.n]} inserts; the reader sleeps $READER_SECONDS s)"
    echo
    printf '%-44s %10s  %s\n' "pgstrata ls" "wall" "target"
    printf '%-44s %10s  %s\n' "ls TABLE, 10,000 partitions ($LS_LINES lines)" "$(fmt_s "${FIG[ls.i10k]}")" \
        "< 1 s: $(target "${FIG[ls.i10k]}" "<" 1)"
    printf '%-44s %10s\n' "ls (all tables), that database: 1 table" "$(fmt_s "${FIG[ls.all10k]}")"
    if [[ "$SKIP_LARGE" != 1 ]]; then
        printf '%-44s %10s\n' "ls (all tables), 100 x 1,000 database" "$(fmt_s "${FIG[ls.large]}")"
    fi
    printf '%-44s %10s  %s\n' "create i10k, adopting 10,000 partitions" "$(fmt_s "$CREATE_10K_T")" "(one run, not a median)"
    echo
    echo "setup $(fmt_s "$SETUP_T"), whole run $(fmt_s "$TOTAL_T"); pg_partman premake $PARTMAN_PREMAKE (see README)"
    if ((${#PROBLEMS[@]})); then
        echo
        echo "PROBLEMS (${#PROBLEMS[@]}):"
        printf '  - %s\n' "${PROBLEMS[@]}"
    fi
    echo
    echo "all timings (seconds, in run order):"
    for k in $(printf '%s\n' "${!NOTE[@]}" | sort); do
        printf '  %-12s %s\n' "$k" "${NOTE[$k]}"
    done
} | tee "$LOGDIR/summary.txt"

((${#PROBLEMS[@]} == 0))
