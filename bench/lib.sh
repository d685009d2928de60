# shellcheck shell=bash
# bench/lib.sh: what bench/run.sh and bench/migrate.sh share: the log directory and
# messages, the build of a private pgstrata binary, a throwaway cluster with benchmark
# settings that is always stopped, and timing and formatting helpers. Sourced after
# ROOT is set and the working directory is $ROOT.

# bench_init PREFIX: the log directory /tmp/PREFIX.XXXXXX, $LOG, and the run's clock.
bench_init() {
    RUN_START=$EPOCHREALTIME
    LOGDIR=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 755 "$LOGDIR"
    LOG=$LOGDIR/commands.log
    PROBLEMS=()
    BG_PIDS=()
}

say() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
problem() {
    PROBLEMS+=("$*")
    printf '[%s] PROBLEM: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2
}
die() {
    printf 'bench: %s\n' "$*" >&2
    exit 1
}

# bench_build [install-deps.sh arguments]: installs what is missing, runs make, and
# copies the binary to $PGSTRATA (other people's `make` in the same tree must not
# relink it under us); sets PGSTRATA_VERSION, GIT_REV, GIT_DIRTY.
bench_build() {
    say "installing what is missing (scripts/install-deps.sh${1:+ $*})"
    scripts/install-deps.sh "$@"
    say "building (make)"
    if ! make >"$LOGDIR/make.log" 2>&1; then
        tail -n 30 "$LOGDIR/make.log" >&2
        die "make failed; see $LOGDIR/make.log"
    fi
    [[ -x "$ROOT/build/release/pgstrata" ]] || die "no build/release/pgstrata after make"
    cp "$ROOT/build/release/pgstrata" "$LOGDIR/pgstrata"
    PGSTRATA=$LOGDIR/pgstrata
    PGSTRATA_VERSION=$("$PGSTRATA" --version | awk '{ print $2 }')
    GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    GIT_DIRTY=$(git status --porcelain -- src Makefile 2>/dev/null | wc -l)
}

bench_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # Stopping the server (fast mode) ends every client session we started.
    pgcluster_stop "$CLUSTER_DIR" || true
    local p
    for p in "${BG_PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    echo "logs: $LOGDIR"
    exit "$rc"
}

# bench_cluster [SETTING...]: a throwaway cluster (tests/lib/pgcluster.sh), stopped on
# exit, restarted with the common benchmark settings plus each "name = value" given.
# Autovacuum is off so that it does not wake up in a timed step (the scripts vacuum or
# analyze what they build); checkpoints are pushed away and done by hand between steps.
bench_cluster() {
    # shellcheck source=tests/lib/pgcluster.sh
    source "$ROOT/tests/lib/pgcluster.sh"
    CLUSTER_DIR=$(pgcluster_mktemp) || die "could not make a cluster dir"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    say "starting a throwaway cluster in $CLUSTER_DIR"
    pgcluster_start "$CLUSTER_DIR" || die "could not start the cluster"
    local s args=()
    for s in "shared_buffers = '1GB'" "autovacuum = off" "max_wal_size = '16GB'" \
        "checkpoint_timeout = '1h'" "$@"; do
        args+=(-c "ALTER SYSTEM SET $s")
    done
    psql -X -q -v ON_ERROR_STOP=1 -d postgres "${args[@]}"
    _pgcluster_as_owner "$PGCLUSTER_DIR" pg_ctl -D "$PGCLUSTER_DATA" -l "$PGCLUSTER_LOG" \
        -w -t 120 -s restart || die "could not restart the cluster with the benchmark settings"
    [[ $(psql -X -At -d postgres -c "SHOW shared_buffers") == 1GB ]] ||
        die "shared_buffers did not take"
    PG_VERSION=$(psql -X -At -d postgres -c "SHOW server_version")
}

sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }
median() {
    printf '%s\n' "$@" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.4f\n", v[(NR + 1) / 2];
                                  else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
fmt_s() {
    awk -v x="$1" 'BEGIN { if (x == "") print "-"; else if (x < 0.1) printf "%.3f s", x;
                           else if (x < 10) printf "%.2f s", x; else printf "%.1f s", x }'
}
fmt_ms() { awk -v x="$1" 'BEGIN { if (x == "") print "-"; else if (x < 10) printf "%.2f ms", x;
                                  else printf "%.0f ms", x }'; }
ratio_num() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b <= 0) print ""; else print a / b }'; }
target() { # VALUE OP LIMIT -> met / MISSED; OP is >=, <= or <
    awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { if (v == "") { print "-"; exit }
        ok = (op == ">=") ? (v >= l) : (op == "<=") ? (v <= l) : (v < l); print ok ? "met" : "MISSED" }'
}
# Runs a command with its output appended to $LOG. Sets T (wall seconds) and RC.
# EPOCHREALTIME (bash 5), not $(date ...): a fork of date would count ~1 ms
# against whichever tool it wraps.
timed() {
    local t0 t1
    printf '\n$ %s\n' "$*" >>"$LOG"
    t0=$EPOCHREALTIME
    RC=0
    "$@" >>"$LOG" 2>&1 || RC=$?
    t1=$EPOCHREALTIME
    T=$(sub "$t0" "$t1")
    printf '# exit %s, %s s\n' "$RC" "$T" >>"$LOG"
}
run_logged() {
    printf '\n$ %s\n' "$*" >>"$LOG"
    "$@" >>"$LOG" 2>&1
}
