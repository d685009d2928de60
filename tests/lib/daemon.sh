# shellcheck shell=bash
# daemon.sh: running `pgstrata daemon` in tests. Needs assert.sh and pgcluster.sh.
#
#   cluster_up VAR                start a private cluster; VAR_DIR, VAR_PORT are set
#   cluster_stop VAR / cluster_start VAR
#   on VAR DB "SQL"               q against database DB of that cluster
#   daemon_start NAME CONFIG      start a daemon in the background (log NAME.log, JSON)
#   daemon_pid NAME / daemon_log NAME / daemon_port NAME
#   passes NAME DB [RESULT]       how many passes of DB the log shows (of that result)
#   wait_until SECONDS CMD...     until CMD succeeds (returns 1 on timeout)
#   scrape NAME                   the metrics text; metric NAME 'series{...}' a value
#   daemon_stop NAME [SIGNAL]     signal it (TERM), wait; STOP_RC, STOP_SECS are set
#   daemon_clean NAME             assert the log has no sanitizer report
#
# The clock of every pass is the first line of $NOW_FILE (a timestamptz).

DAEMON_DIR=${TEST_TMPDIR:-/tmp}
NOW_FILE="$DAEMON_DIR/now"
declare -A _DAEMON_PIDS=()
_CLUSTERS=()

cluster_up() {
    local var=$1 dir
    dir=$(pgcluster_mktemp) || bail "no temp dir for a cluster"
    _CLUSTERS+=("$dir")
    (pgcluster_start "$dir") || bail "could not start a cluster in $dir"
    printf -v "${var}_DIR" '%s' "$dir"
    printf -v "${var}_PORT" '%s' "$(sed -n 's/^port = //p' "$dir/data/postgresql.conf" | tail -1)"
    PATH="$(pgcluster_bindir):$PATH"
}

# cluster_stop VAR / cluster_start VAR: the server down and up again, its data kept.
cluster_stop() {
    local dir=${1}_DIR
    _pgcluster_as_owner "${!dir}" pg_ctl -D "${!dir}/data" -m fast -w -s stop
}

cluster_start() {
    local dir=${1}_DIR
    _pgcluster_as_owner "${!dir}" pg_ctl -D "${!dir}/data" -l "${!dir}/log/postgres.log" -w -s start
}

# on VAR DB SQL
on() {
    local dir port
    dir=${1}_DIR
    port=${1}_PORT
    PGHOST=${!dir} PGPORT=${!port} PGUSER=postgres PGDATABASE=$2 q "$3"
}

# pgstrata_on VAR DB ARGS...: the CLI against that database.
pgstrata_on() {
    local dir port
    dir=${1}_DIR
    port=${1}_PORT
    local db=$2
    shift 2
    PGHOST=${!dir} PGPORT=${!port} PGUSER=postgres PGDATABASE=$db "$PGSTRATA" "$@"
}

# conninfo VAR DB
conninfo() {
    local dir port
    dir=${1}_DIR
    port=${1}_PORT
    echo "host=${!dir} port=${!port} dbname=$2 user=postgres"
}

daemon_start() {
    local name=$1 config=$2
    PGSTRATA_DAEMON_NOW_FILE="$NOW_FILE" "$PGSTRATA" daemon --config "$config" \
        2>"$DAEMON_DIR/$name.log" >"$DAEMON_DIR/$name.out" &
    _DAEMON_PIDS[$name]=$!
}

daemon_pid() {
    echo "${_DAEMON_PIDS[$1]}"
}

daemon_log() {
    echo "$DAEMON_DIR/$1.log"
}

# The port its metrics listen on, from its log.
daemon_port() {
    local port=""
    wait_until 10 grep -q '"metrics on http' "$(daemon_log "$1")"
    port=$(jq -r 'select(.msg | startswith("metrics on")) | .msg' "$(daemon_log "$1")" 2>/dev/null |
        sed -n 's|.*:\([0-9]*\)/metrics$|\1|p' | tail -1)
    echo "$port"
}

# JSON lines of the log only (a sanitizer report is not JSON).
log_json() {
    grep '^{' "$(daemon_log "$1")"
}

passes() {
    local name=$1 db=$2 result=${3:-}
    log_json "$name" | jq -c --arg db "$db" --arg r "$result" \
        'select(.msg == "pass" and .database == $db and ($r == "" or .result == $r))' | wc -l
}

wait_until() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 10; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# more_passes NAME DB N [RESULT]: true when the log shows at least N such passes.
more_passes() {
    (($(passes "$1" "$2" "${4:-}") >= $3))
}

scrape() {
    curl -sf "http://127.0.0.1:$(daemon_port "$1")/metrics"
}

# metric NAME SERIES: the value of one series, exactly as exposed.
metric() {
    scrape "$1" | awk -v s="$2" 'index($0, s " ") == 1 { print $2 }'
}

daemon_stop() {
    local name=$1 sig=${2:-TERM} pid start
    pid=$(daemon_pid "$name")
    start=$(date +%s.%N)
    kill -"$sig" "$pid" 2>/dev/null
    STOP_RC=0
    wait "$pid" || STOP_RC=$?
    STOP_SECS=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    unset "_DAEMON_PIDS[$name]"
}

daemon_clean() {
    local log
    log=$(daemon_log "$1")
    if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer| runtime error: ' "$log"; then
        fail "$1: sanitizer report in the daemon's log"
        grep -E -A20 'Sanitizer|runtime error' "$log" | head -60 | sed 's/^/#   /'
    else
        pass "$1: no sanitizer report in the daemon's log"
    fi
}

# For teardown: every daemon still running (and its passes), then the clusters.
daemons_teardown() {
    local name pid
    for name in "${!_DAEMON_PIDS[@]}"; do
        pid=${_DAEMON_PIDS[$name]}
        kill -KILL $(pgrep -P "$pid") "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for dir in "${_CLUSTERS[@]}"; do
        pgcluster_stop "$dir"
    done
}
