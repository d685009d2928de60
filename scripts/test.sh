#!/usr/bin/env bash
# The whole test suite (what CI runs via .ci/run, and `make check`):
#
#   1. scripts/install-deps.sh      missing Debian packages only
#   2. make format-check            clang-format
#   3. make BUILD=release           -Werror release build
#   4. make BUILD=asan              ASan + UBSan build
#   5. make unit BUILD=asan         unit tests (cmocka), no server
#   6. tests/integration/run.sh     integration tests against a throwaway cluster,
#                                   with build/asan/pgstrata
#
# Runs from any directory. Steps after a failed build that need it are skipped;
# the others still run. Prints a summary; exits 1 if anything failed.
# Extra arguments are passed to tests/integration/run.sh (e.g. -j 2 or test names).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

JOBS=$(nproc 2>/dev/null || echo 2)
results=()
n_pass=0
n_fail=0
n_skip=0

hr() { printf '\n==== %s\n' "$*"; }

now() { date +%s; }

# step NAME CMD...: run, time, and record a step.
step() {
    local name=$1 start rc=0
    shift
    hr "$name: $*"
    start=$(now)
    "$@" || rc=$?
    local t
    t=$(($(now) - start))
    if ((rc == 0)); then
        results+=("$(printf 'PASS  %-22s %5ss' "$name" "$t")")
        n_pass=$((n_pass + 1))
    else
        results+=("$(printf 'FAIL  %-22s %5ss  (exit %s)' "$name" "$t" "$rc")")
        n_fail=$((n_fail + 1))
    fi
    return "$rc"
}

skip_step() {
    results+=("$(printf 'SKIP  %-22s         (%s)' "$1" "$2")")
    n_skip=$((n_skip + 1))
}

summary() {
    hr "summary"
    printf '%s\n' "${results[@]}"
    [[ -n "${LSAN_NOTE:-}" ]] && echo "note: $LSAN_NOTE"
    echo "test.sh: $n_pass passed, $n_fail failed, $n_skip skipped"
}

# Is LeakSanitizer usable here? (It is not under some ptrace restrictions.)
lsan_works() {
    local d rc=0
    d=$(mktemp -d) || return 1
    cat >"$d/leak.c" <<'EOF'
#include <stdlib.h>
void *volatile sink;
int main(int argc, char **argv)
{
    (void)argv;
    sink = malloc(33);
    if (argc > 1)
        sink = 0; /* leak it */
    else
        free(sink);
    return 0;
}
EOF
    if ! "${CC:-gcc}" -fsanitize=address -g -o "$d/leak" "$d/leak.c" >/dev/null 2>&1; then
        rm -rf "$d"
        return 1
    fi
    # A clean program must pass, a leaking one must be caught.
    ASAN_OPTIONS=detect_leaks=1 "$d/leak" >/dev/null 2>&1 || rc=1
    if ((rc == 0)) && ASAN_OPTIONS=detect_leaks=1 "$d/leak" x >"$d/out" 2>&1; then
        rc=1
    fi
    ((rc == 0)) && ! grep -q 'detected memory leaks' "$d/out" && rc=1
    rm -rf "$d"
    return "$rc"
}

# 1. dependencies: nothing works without them.
if ! step deps ./scripts/install-deps.sh; then
    summary
    exit 1
fi

# 2. formatting.
step format-check make format-check

# 3. release build with -Werror (the Makefile's default warnings).
step build-release make -j"$JOBS" BUILD=release

# 4-6. sanitizer build, unit and integration tests.
if [[ -z "${ASAN_OPTIONS:-}" ]]; then
    if lsan_works; then
        export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    else
        export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
        LSAN_NOTE="LeakSanitizer does not work in this environment (ptrace restrictions?): leak detection is OFF"
        echo "test.sh: $LSAN_NOTE" >&2
    fi
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "test.sh: ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS"

if step build-asan make -j"$JOBS" BUILD=asan; then
    step unit make unit BUILD=asan
    export PGSTRATA_BIN=${PGSTRATA_BIN:-$ROOT/build/asan/pgstrata}
    step integration tests/integration/run.sh "$@"
else
    skip_step unit "asan build failed"
    skip_step integration "asan build failed"
fi

summary
((n_fail == 0))
