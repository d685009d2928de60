#!/usr/bin/env bash
# Integration test runner.
#
#   tests/integration/run.sh [-j N] [t_name ...]
#
# Starts ONE throwaway PostgreSQL cluster (tests/lib/pgcluster.sh) for the run,
# then runs each tests/integration/t_*.sh (or only the named ones: "t_foo",
# "t_foo.sh" or a path) as its own bash process with:
#   PGHOST PGPORT PGUSER     the throwaway cluster (Unix socket only)
#   PGDATABASE               a fresh database named after the test
#   PGSTRATA                 the binary under test (default build/asan/pgstrata;
#                            override with PGSTRATA_BIN)
#   TEST_TMPDIR              a fresh scratch directory, removed afterwards
#   REPO_ROOT                the repository root
# Prints PASS/FAIL and the time per test file; on failure, that test's output.
# Logs are kept in build/test-logs/integration/. Exit 1 if any test failed.
#
#   -j N                       run N test files at once (default 1)
#   PGSTRATA_TEST_TIMEOUT=S    per-file time limit in seconds (default 600)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/lib/pgcluster.sh
source "$ROOT/tests/lib/pgcluster.sh"

JOBS=1
names=()
while (($# > 0)); do
    case "$1" in
    -j)
        JOBS=${2:?-j needs a number}
        shift 2
        ;;
    -j*)
        JOBS=${1#-j}
        shift
        ;;
    -h | --help)
        sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "run.sh: unknown option $1" >&2
        exit 2
        ;;
    *)
        names+=("$1")
        shift
        ;;
    esac
done
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || {
    echo "run.sh: -j wants a positive number" >&2
    exit 2
}
TIMEOUT=${PGSTRATA_TEST_TIMEOUT:-600}

# ---- which tests -------------------------------------------------------------
tests=()
if ((${#names[@]} == 0)); then
    for f in "$HERE"/t_*.sh; do
        [[ -e "$f" ]] && tests+=("$f")
    done
else
    for n in "${names[@]}"; do
        n=${n##*/}
        n=${n%.sh}
        if [[ ! -f "$HERE/$n.sh" ]]; then
            echo "run.sh: no such test: $HERE/$n.sh" >&2
            exit 2
        fi
        tests+=("$HERE/$n.sh")
    done
fi
if ((${#tests[@]} == 0)); then
    echo "run.sh: no tests found in $HERE" >&2
    exit 2
fi

# ---- binary under test -------------------------------------------------------
PGSTRATA=${PGSTRATA_BIN:-$ROOT/build/asan/pgstrata}
[[ "$PGSTRATA" == /* ]] || PGSTRATA="$PWD/$PGSTRATA"
export PGSTRATA REPO_ROOT="$ROOT"
if [[ ! -x "$PGSTRATA" ]]; then
    echo "run.sh: warning: $PGSTRATA does not exist (build it: make BUILD=asan)" >&2
fi

LOGDIR="$ROOT/build/test-logs/integration"
mkdir -p "$LOGDIR"

# ---- the cluster -------------------------------------------------------------
CLUSTER=""
WORK=""
cleanup() {
    local rc=$?
    # Stop test processes still running (only ours, by pid). Each test runs under
    # timeout(1), which passes the signal on to the test's whole process group.
    local p f
    if [[ -n "$WORK" ]]; then
        for f in "$WORK"/*.pid; do
            [[ -f "$f" ]] || continue
            p=$(cat "$f")
            [[ "$p" =~ ^[0-9]+$ ]] && kill -TERM "$p" 2>/dev/null
        done
    fi
    for p in $(jobs -p); do
        kill -TERM "$p" 2>/dev/null
    done
    wait 2>/dev/null
    if [[ -n "$CLUSTER" ]]; then
        [[ -f "$CLUSTER/log/postgres.log" ]] && cp "$CLUSTER/log/postgres.log" "$LOGDIR/postgres.log"
        pgcluster_stop "$CLUSTER" || echo "run.sh: could not stop the cluster in $CLUSTER" >&2
    fi
    [[ -n "$WORK" ]] && rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgstrata-it.XXXXXX")
CLUSTER=$(pgcluster_mktemp) || exit 1
if ! pgcluster_start "$CLUSTER"; then
    echo "run.sh: could not start the test cluster" >&2
    exit 1
fi
echo "# cluster: PostgreSQL $(psql -X -A -t -c 'show server_version' 2>/dev/null)," \
    "socket $PGHOST port $PGPORT; binary: $PGSTRATA"

# ---- running -----------------------------------------------------------------
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fs", b - a }'; }

# Run one test file; its result goes to $WORK/NAME.rc, output to $LOGDIR/NAME.log.
run_one() {
    local file=$1 name rc=0 tmp
    name=$(basename "$file" .sh)
    tmp="$WORK/$name.tmp"
    mkdir -p "$tmp"
    # In the background so that a signal to run.sh is handled at once (bash defers
    # traps while a foreground child runs); the pid file lets cleanup stop it.
    (
        export PGDATABASE="$name" TEST_TMPDIR="$tmp" TMPDIR="$tmp"
        cd "$tmp" && exec timeout -k 10 "$TIMEOUT" bash "$file"
    ) </dev/null >"$LOGDIR/$name.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$WORK/$name.pid"
    wait "$pid" || rc=$?
    rm -f "$WORK/$name.pid"
    if ((rc == 124 || rc == 137)); then
        echo "# run.sh: timed out after ${TIMEOUT}s" >>"$LOGDIR/$name.log"
    fi
    rm -rf "$tmp"
    echo "$rc" >"$WORK/$name.rc"
}

passed=0
failed=0
failed_names=()
report() {
    local file=$1 start=$2 end=$3 name rc
    name=$(basename "$file" .sh)
    rc=$(cat "$WORK/$name.rc" 2>/dev/null || echo 99)
    if [[ "$rc" == 0 ]]; then
        passed=$((passed + 1))
        printf 'PASS  %-40s %8s\n' "$name" "$(elapsed "$start" "$end")"
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        printf 'FAIL  %-40s %8s  (exit %s)\n' "$name" "$(elapsed "$start" "$end")" "$rc"
        echo "---- output of $name ($LOGDIR/$name.log) ----"
        cat "$LOGDIR/$name.log"
        echo "---- end of $name ----"
    fi
}

prepare_db() {
    local name
    name=$(basename "$1" .sh)
    if ! createdb "$name" 2>"$WORK/$name.createdb"; then
        {
            echo "run.sh: createdb $name failed:"
            cat "$WORK/$name.createdb"
        } >"$LOGDIR/$name.log"
        echo 98 >"$WORK/$name.rc"
        return 1
    fi
}

total_start=$(now)
if ((JOBS == 1)); then
    for f in "${tests[@]}"; do
        s=$(now)
        prepare_db "$f" && run_one "$f"
        report "$f" "$s" "$(now)"
    done
else
    declare -A pid_file=() pid_start=()
    pending=("${tests[@]}")
    while ((${#pending[@]} > 0 || ${#pid_file[@]} > 0)); do
        while ((${#pending[@]} > 0 && ${#pid_file[@]} < JOBS)); do
            f=${pending[0]}
            pending=("${pending[@]:1}")
            s=$(now)
            if prepare_db "$f"; then
                run_one "$f" &
                pid_file[$!]=$f
                pid_start[$!]=$s
            else
                report "$f" "$s" "$(now)"
            fi
        done
        ((${#pid_file[@]} > 0)) || continue
        wait -n 2>/dev/null
        for p in "${!pid_file[@]}"; do
            # run_one writes NAME.rc as its last act.
            if [[ -f "$WORK/$(basename "${pid_file[$p]}" .sh).rc" ]] || ! kill -0 "$p" 2>/dev/null; then
                wait "$p" 2>/dev/null
                report "${pid_file[$p]}" "${pid_start[$p]}" "$(now)"
                unset "pid_file[$p]" "pid_start[$p]"
            fi
        done
    done
fi

echo "# integration: $((passed + failed)) test files in $(elapsed "$total_start" "$(now)")"
((failed > 0)) && echo "# failed: ${failed_names[*]}"
echo "integration: $passed passed, $failed failed"
((failed == 0))
