#!/usr/bin/env bash
# bench/daemon.sh: the issue 5 figures: one `pgstrata daemon` keeping 20 databases x
# 20 tables maintained; per pass, the wall time, CPU and peak memory of the pass
# processes (a day of work each: a partition made and one retired per table, then
# the no-op passes that follow), the scheduler's own memory and CPU, and the idle
# daemon's CPU between passes. The clock is the daemon's test clock
# (PGSTRATA_DAEMON_NOW_FILE), so a "day" is one write to a file. See bench/README.md.
#
#   bench/daemon.sh            ~2-3 minutes on 2 cores
#
# Environment (all optional):
#   BENCH_DBS=20 BENCH_TABLES=20    databases, tables in each
#   BENCH_DAYS=3                    simulated days (one pass with work per database each)
#   BENCH_IDLE_S=30                 how long the idle daemon is watched
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
cd "$ROOT"

DBS=${BENCH_DBS:-20}
TABLES=${BENCH_TABLES:-20}
DAYS=${BENCH_DAYS:-3}
IDLE_S=${BENCH_IDLE_S:-30}
INTERVAL_S=5

# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"
bench_init pgstrata-bench-daemon
bench_build
bench_cluster "max_locks_per_transaction = 1024"
DAEMON_PID=""
stop_daemon() {
    [[ -n "$DAEMON_PID" ]] || return 0
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
}
trap 'stop_daemon; bench_cleanup' EXIT

# ---- the databases: one built, the others copied from it ----------------------------
START='2030-01-10'
say "building the template: $TABLES tables, daily, premake 4, retention 7 days, from 2030-01-03"
psql -X -q -d postgres -c "CREATE DATABASE tmpl"
export PGDATABASE=tmpl
run_logged "$PGSTRATA" init
for ((t = 1; t <= TABLES; t++)); do
    psql -X -q -v ON_ERROR_STOP=1 -c "CREATE TABLE t$t (id bigint, ts timestamptz NOT NULL,
        payload text) PARTITION BY RANGE (ts)" >>"$LOG"
    run_logged "$PGSTRATA" -q create "t$t" --column ts --interval '1 day' --premake 4 \
        --retention '7 days' --start 2030-01-03 --now "$START 12:00" ||
        die "create t$t failed"
    psql -X -q -c "INSERT INTO t$t SELECT g, '$START'::timestamptz + g * interval '1 hour', 'x'
        FROM generate_series(0, 4 * 24) g" >>"$LOG"
done
psql -X -q -c "ANALYZE" >>"$LOG"
parts=$(psql -X -At -c "SELECT count(*) FROM pg_inherits")
say "template: $parts partitions; copying it to $DBS databases"
for ((d = 1; d <= DBS; d++)); do
    psql -X -q -d postgres -c "CREATE DATABASE db$d TEMPLATE tmpl"
done

# ---- the daemon -------------------------------------------------------------------------
CONF=$LOGDIR/daemon.yaml
NOW_FILE=$LOGDIR/now
write_config() { # INTERVAL
    {
        printf 'interval: %s\nlog_format: json\nmetrics:\n  listen: 127.0.0.1:0\ndatabases:\n' "$1"
        for ((d = 1; d <= DBS; d++)); do
            printf '  - name: db%d\n    conninfo: "host=%s port=%s dbname=db%d user=postgres"\n' \
                "$d" "$PGHOST" "$PGPORT" "$d"
        done
    } >"$CONF"
}
write_config "${INTERVAL_S}s"
echo "$START 12:00:00+00" >"$NOW_FILE"
DLOG=$LOGDIR/daemon.log
PGSTRATA_DAEMON_NOW_FILE=$NOW_FILE "$PGSTRATA" daemon --config "$CONF" 2>"$DLOG" &
DAEMON_PID=$!
BG_PIDS+=("$DAEMON_PID")
for _ in $(seq 100); do
    grep -q 'metrics on http' "$DLOG" && break
    sleep 0.1
done
PORT=$(grep -o 'metrics on http://[0-9.]*:[0-9]*' "$DLOG" | sed 's/.*://')
[[ -n "$PORT" ]] || die "the daemon did not start; see $DLOG"
say "daemon $DAEMON_PID, $DBS databases every ${INTERVAL_S}s, metrics on port $PORT"

passes_total() { grep -c '"msg":"pass"' "$DLOG" || true; }
ok_passes() { grep '"msg":"pass"' "$DLOG" | grep -c '"result":"ok"' || true; }
# wait_passes N: until N more passes (of any database) are logged after now
wait_passes() {
    local want=$(($(passes_total) + $1)) i
    for ((i = 0; i < 1200; i++)); do
        (($(passes_total) >= want)) && return 0
        sleep 0.1
    done
    die "fewer than $1 passes in 120 s; see $DLOG"
}
# the scheduler's own CPU seconds (utime + stime, not its children's) and RSS in kB
sched_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$DAEMON_PID/stat"; }
sched_rss() { awk '/^VmRSS/ { print $2 }' "/proc/$DAEMON_PID/status"; }
metric_sum() { # NAME: summed over the databases
    curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v n="$1" '$1 ~ "^" n "\\{" { s += $2 } END { printf "%.4f", s }'
}
metric_max() {
    curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v n="$1" '$1 ~ "^" n "\\{" && $2 > m { m = $2 } END { printf "%.0f", m }'
}
# pass durations (ms) of the pass lines logged after line $1 of the log
durations_after() { tail -n +"$(($1 + 1))" "$DLOG" | grep '"msg":"pass"' | sed 's/.*"duration_ms":\([0-9.]*\).*/\1/'; }

# first passes (at the start day: nothing to do), then settle
wait_passes "$DBS"
RSS0=$(sched_rss)
say "first pass of every database done; scheduler RSS $RSS0 kB"

# one phase: N passes per database from now on; prints median ms, CPU per pass
phase() { # NAME
    local line cpu0 n0 cpu1 n1 sc0 sc1
    line=$(wc -l <"$DLOG")
    cpu0=$(metric_sum pgstrata_pass_cpu_seconds_total)
    n0=$(metric_sum pgstrata_pass_duration_seconds_count)
    sc0=$(sched_cpu)
    wait_passes "$DBS"
    cpu1=$(metric_sum pgstrata_pass_cpu_seconds_total)
    n1=$(metric_sum pgstrata_pass_duration_seconds_count)
    sc1=$(sched_cpu)
    local ms
    # shellcheck disable=SC2046
    ms=$(median $(durations_after "$line"))
    printf '%s %s %s %s\n' "$1" "$ms" "$(awk -v a="$cpu0" -v b="$cpu1" -v p="$n0" -v q="$n1" \
        'BEGIN { printf "%.4f", (b - a) / (q - p) }')" \
        "$(awk -v a="$sc0" -v b="$sc1" -v p="$n0" -v q="$n1" 'BEGIN { printf "%.4f", (b - a) / (q - p) }')" \
        >>"$LOGDIR/phases.txt"
}

: >"$LOGDIR/phases.txt"
# no pass running: the ones after the clock moves all see the new day
quiet() {
    local i
    for ((i = 0; i < 600; i++)); do
        [[ $(metric_sum pgstrata_pass_running) == 0.0000 ]] && return 0
        sleep 0.05
    done
}
for ((day = 1; day <= DAYS; day++)); do
    quiet
    printf '2030-01-%02d 12:00:00+00\n' $((10 + day)) >"$NOW_FILE"
    phase "work$day"
    phase "noop$day"
    say "simulated day $day: $(tail -2 "$LOGDIR/phases.txt" | awk '{ printf "%s %s ms, ", $1, $2 }')"
done
RSS1=$(sched_rss)
PASSES1=$(passes_total)
# more no-op passes: the scheduler's memory must not grow with the number of passes
for ((k = 1; k <= DAYS; k++)); do
    phase "noop+$k"
done
actions=$(grep -c '"msg":"action"' "$DLOG" || true)
failed=$(grep '"msg":"action"' "$DLOG" | grep -vc '"outcome":"ok"' || true)
RSS_PASS=$(metric_max pgstrata_pass_max_rss_bytes)
RSS2=$(sched_rss)
total_passes=$(passes_total)

# ---- the idle daemon: no pass due for an hour -----------------------------------------
write_config 1h
kill -HUP "$DAEMON_PID"
# the passes already due under the old interval run first; then an hour of nothing
sleep $((2 * INTERVAL_S))
quiet
say "idle: interval 1h, watching the scheduler for ${IDLE_S}s"
# wakeups: the voluntary context switches of the scheduler (each sleep in poll is one)
wakeups() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$DAEMON_PID/status"; }
c0=$(sched_cpu)
w0=$(wakeups)
t0=$EPOCHREALTIME
sleep "$IDLE_S"
c1=$(sched_cpu)
w1=$(wakeups)
t1=$EPOCHREALTIME
IDLE_WAKEUPS=$((w1 - w0))
IDLE_CPU=$(sub "$c0" "$c1")
IDLE_WALL=$(sub "$t0" "$t1")
stop_daemon

# ---- correctness and summary -------------------------------------------------------------
problems=0
check_db() { # every table of db1 covers the last simulated day + 4
    local want
    want=$(printf '2030-01-%02d 00:00:00+00' $((10 + DAYS + 5)))
    got=$(psql -X -At -d "db$1" -c "SELECT min(e) FROM (SELECT max((regexp_match(
        pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz) e
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid GROUP BY i.inhparent) s")
    [[ "$got" == "$want" ]] || {
        problem "db$1: coverage ends $got, want $want"
        problems=$((problems + 1))
    }
}
check_db 1
check_db "$DBS"
((failed == 0)) || problem "$failed actions did not succeed; see $DLOG"

{
    echo "pgstrata daemon benchmark: $DBS databases x $TABLES tables, $DAYS simulated days"
    echo "pgstrata $PGSTRATA_VERSION ($GIT_REV, $GIT_DIRTY files changed), PostgreSQL $PG_VERSION, $(nproc) cores"
    echo "$parts partitions per database at the start; $total_passes passes, $actions actions ($failed not ok)"
    echo
    printf '%-10s %12s %16s %18s\n' phase "median pass" "CPU per pass" "scheduler CPU/pass"
    while read -r name ms cpu scpu; do
        printf '%-10s %12s %16s %18s\n' "$name" "$(fmt_ms "$ms")" "$(fmt_ms "$(awk -v c="$cpu" 'BEGIN { print c * 1000 }')")" \
            "$(fmt_ms "$(awk -v c="$scpu" 'BEGIN { print c * 1000 }')")"
    done <"$LOGDIR/phases.txt"
    echo
    work_cpu=$(grep '^work' "$LOGDIR/phases.txt" | awk '{ s += $3; n++ } END { print s / n }')
    noop_cpu=$(grep '^noop' "$LOGDIR/phases.txt" | awk '{ s += $3; n++ } END { print s / n }')
    echo "pass CPU, a day of work vs a no-op pass: $(awk -v a="$work_cpu" -v b="$noop_cpu" 'BEGIN { printf "%.1fx", a / b }')"
    echo "peak memory of a pass process: $((RSS_PASS / 1024)) kB"
    echo "scheduler memory: $RSS0 kB after the first passes, $RSS1 kB after $PASSES1 (the days of work), $RSS2 kB after $total_passes"
    echo "idle scheduler: $(awk -v c="$IDLE_CPU" 'BEGIN { printf "%.2f", c }') s CPU in $(fmt_s "$IDLE_WALL") ($(awk -v c="$IDLE_CPU" -v w="$IDLE_WALL" 'BEGIN { printf "%.3f", 100 * c / w }') % of one core), $IDLE_WAKEUPS wakeups"
} | tee "$LOGDIR/summary.txt"
((problems == 0 && ${#PROBLEMS[@]} == 0))
