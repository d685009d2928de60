# shellcheck shell=bash
# assert.sh: TAP-ish assertions for bash integration tests.
#
#   source "$(dirname "$0")/../lib/assert.sh"
#
#   ok   RC "desc"              pass when RC is 0 (a shell exit code): `[ -f x ]; ok $? "x exists"`
#   is   GOT WANT "desc"        string equality; prints got/want on failure
#   isnt GOT WANT "desc"        string inequality
#   like TEXT REGEX "desc"      bash ERE match ([[ TEXT =~ REGEX ]])
#   unlike TEXT REGEX "desc"
#   pass "desc" / fail "desc"   unconditional
#   skip "reason"               counts as a pass, marked # SKIP
#   run CMD [ARGS...]           never fails; sets RUN_OUT (stdout), RUN_ERR (stderr),
#                               RUN_RC (exit code); trailing newlines stripped. An
#                               ASan/LSan/UBSan report on stderr is recorded as a
#                               failed assertion by itself.
#   q "SQL"                     psql -X -A -t -q -v ON_ERROR_STOP=1 -c SQL; prints the
#                               result; on an SQL error records a failed assertion,
#                               shows the error, and returns non-zero
#   diag "msg"                  "# msg" on stderr
#   note "msg"                  "# msg" on stdout
#   bail "msg"                  stop this test file now, as failed
#   done_testing                prints the summary; exits 1 if anything failed
#                               (or nothing was tested), else 0
#
# Assertions may be called inside $(...) subshells: results are kept in a state
# file, and TAP lines go to the test's original stdout, not into the capture.
# A test file that exits without calling done_testing is reported as failed.
# Do not replace the EXIT trap; define a function named `teardown` instead and it
# is called on exit. Tests usually run with `set -u` and without `set -e`.

_ASSERT_STATE=$(mktemp "${TMPDIR:-/tmp}/assert.XXXXXX")
_ASSERT_DONE=0
_ASSERT_PID=$$
exec {_ASSERT_OUT}>&1

_assert_record() { # pass|fail desc [directive]
    local n
    echo "$1" >>"$_ASSERT_STATE"
    n=$(wc -l <"$_ASSERT_STATE")
    n=${n// /}
    if [[ $1 == pass ]]; then
        echo "ok $n - $2${3:+ # $3}" >&"$_ASSERT_OUT"
    else
        echo "not ok $n - $2" >&"$_ASSERT_OUT"
        # Where the failing assertion was called from.
        local i
        for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
            case ${FUNCNAME[$i]} in
            _assert_* | ok | is | isnt | like | unlike | pass | fail | q | run) ;;
            *)
                echo "#   at ${BASH_SOURCE[$i]##*/} line ${BASH_LINENO[$((i - 1))]}" >&"$_ASSERT_OUT"
                break
                ;;
            esac
        done
    fi
}

_assert_show() { # label value: indented multi-line value
    local label=$1 value=$2
    printf '#   %-5s ' "$label:" >&"$_ASSERT_OUT"
    if [[ "$value" == *$'\n'* ]]; then
        echo >&"$_ASSERT_OUT"
        printf '%s\n' "$value" | sed 's/^/#     | /' >&"$_ASSERT_OUT"
    else
        printf "'%s'\n" "$value" >&"$_ASSERT_OUT"
    fi
}

pass() {
    _assert_record pass "${1:-}"
}

fail() {
    _assert_record fail "${1:-}"
    return 1
}

skip() {
    _assert_record pass "${1:-}" "SKIP"
}

ok() {
    local rc=${1:-1} desc=${2:-}
    if [[ "$rc" == 0 ]]; then
        _assert_record pass "$desc"
    else
        _assert_record fail "$desc"
        echo "#   exit code: $rc" >&"$_ASSERT_OUT"
        return 1
    fi
}

is() {
    local got=$1 want=$2 desc=${3:-}
    if [[ "$got" == "$want" ]]; then
        _assert_record pass "$desc"
    else
        _assert_record fail "$desc"
        _assert_show got "$got"
        _assert_show want "$want"
        return 1
    fi
}

isnt() {
    local got=$1 notwant=$2 desc=${3:-}
    if [[ "$got" != "$notwant" ]]; then
        _assert_record pass "$desc"
    else
        _assert_record fail "$desc"
        _assert_show got "$got"
        echo "#   (expected anything else)" >&"$_ASSERT_OUT"
        return 1
    fi
}

like() {
    local text=$1 re=$2 desc=${3:-}
    if [[ "$text" =~ $re ]]; then
        _assert_record pass "$desc"
    else
        _assert_record fail "$desc"
        _assert_show text "$text"
        _assert_show regex "$re"
        return 1
    fi
}

unlike() {
    local text=$1 re=$2 desc=${3:-}
    if ! [[ "$text" =~ $re ]]; then
        _assert_record pass "$desc"
    else
        _assert_record fail "$desc"
        _assert_show text "$text"
        _assert_show regex "$re"
        echo "#   (expected no match)" >&"$_ASSERT_OUT"
        return 1
    fi
}

diag() {
    local line
    while IFS= read -r line; do
        echo "# $line" >&2
    done <<<"$*"
}

note() {
    local line
    while IFS= read -r line; do
        echo "# $line" >&"$_ASSERT_OUT"
    done <<<"$*"
}

# shellcheck disable=SC2034 # RUN_* are for the caller
run() {
    local out err
    out=$(mktemp "${TMPDIR:-/tmp}/assert-out.XXXXXX")
    err=$(mktemp "${TMPDIR:-/tmp}/assert-err.XXXXXX")
    RUN_RC=0
    "$@" >"$out" 2>"$err" || RUN_RC=$?
    RUN_OUT=$(cat "$out")
    RUN_ERR=$(cat "$err")
    rm -f "$out" "$err"
    # A sanitizer report is always a failure, whatever exit code the test expects.
    if [[ "$RUN_ERR" =~ (ERROR:\ (Address|Leak|Undefined)Sanitizer|\ runtime\ error:\ ) ]]; then
        _assert_record fail "run: sanitizer report from: $*"
        _assert_show stderr "$RUN_ERR"
    fi
    return 0
}

q() {
    local sql=$1 out err rc=0
    err=$(mktemp "${TMPDIR:-/tmp}/assert-q.XXXXXX")
    out=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$sql" 2>"$err") || rc=$?
    if ((rc != 0)); then
        _assert_record fail "q: SQL failed (psql exit $rc)"
        _assert_show sql "$sql"
        _assert_show error "$(cat "$err")"
        rm -f "$err"
        [[ -n "$out" ]] && printf '%s\n' "$out"
        return 1
    fi
    # psql notices/warnings go to stderr; pass them through.
    [[ -s "$err" ]] && cat "$err" >&2
    rm -f "$err"
    [[ -n "$out" ]] && printf '%s\n' "$out"
    return 0
}

bail() {
    echo "Bail out! ${1:-}" >&"$_ASSERT_OUT"
    exit 1
}

_assert_counts() { # sets _A_TOTAL _A_FAILED
    _A_TOTAL=0
    _A_FAILED=0
    if [[ -f "$_ASSERT_STATE" ]]; then
        _A_TOTAL=$(wc -l <"$_ASSERT_STATE")
        _A_FAILED=$(grep -c '^fail$' "$_ASSERT_STATE" || true)
    fi
    _A_TOTAL=${_A_TOTAL// /}
    _A_FAILED=${_A_FAILED// /}
}

done_testing() {
    _assert_counts
    _ASSERT_DONE=1
    echo "1..$_A_TOTAL" >&"$_ASSERT_OUT"
    local passed=$((_A_TOTAL - _A_FAILED))
    if ((_A_TOTAL == 0)); then
        echo "# no assertions were run" >&"$_ASSERT_OUT"
        exit 1
    fi
    if ((_A_FAILED > 0)); then
        echo "# FAILED $_A_FAILED of $_A_TOTAL ($passed passed, $_A_FAILED failed)" >&"$_ASSERT_OUT"
        exit 1
    fi
    echo "# all $_A_TOTAL passed" >&"$_ASSERT_OUT"
    exit 0
}

_assert_on_exit() {
    local rc=$?
    # Only the test's own shell, not subshells that inherited the trap.
    [[ "${BASHPID:-$$}" == "$_ASSERT_PID" ]] || return "$rc"
    if declare -F teardown >/dev/null; then
        teardown || diag "teardown failed"
    fi
    if ((_ASSERT_DONE == 0)); then
        _assert_counts
        echo "# test exited (code $rc) before done_testing, after $_A_TOTAL assertions" \
            "($_A_FAILED failed)" >&"$_ASSERT_OUT"
        ((rc == 0)) && rc=1
    fi
    rm -f "$_ASSERT_STATE"
    exit "$rc"
}
trap _assert_on_exit EXIT
