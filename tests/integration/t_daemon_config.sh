#!/usr/bin/env bash
# pgstrata daemon's command line and configuration: --check-config on good
# and bad files (each message exact: file, line, what), a bad configuration
# at start (exit 2, nothing runs), a metrics address in use, text logs, and
# systemd's readiness messages.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/daemon.sh
source "$(dirname "$0")/../lib/daemon.sh"

# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    daemons_teardown
    return 0
}

"$PGSTRATA" init >/dev/null
C="$DAEMON_DIR/c.yaml"
GOOD="databases:
  - name: here
    conninfo: \"host=$PGHOST port=$PGPORT dbname=$PGDATABASE\"
"

# check FILE-TEXT: --check-config on it
check() {
    printf '%s' "$1" >"$C"
    run "$PGSTRATA" daemon --check-config "$C"
}

check "$GOOD"
is "$RUN_RC" 0 "check-config: valid: exit 0"
is "$RUN_OUT" "$C: valid, 1 database
  here: every 15m (jitter 1m30s), every table with a policy
  metrics: off" "check-config says what it would run"

bad() { # TEXT MESSAGE DESCRIPTION
    check "$1"
    is "$RUN_RC" 2 "$3: exit 2"
    is "$RUN_ERR" "pgstrata: error: $C:$2" "$3: the message"
}
bad "databases:
  - name: a
  conninfo: [x
" "3:3: invalid YAML: did not find expected '-' indicator while parsing a block collection" \
    "bad YAML"
bad "${GOOD}intervall: 5m
" '4: unknown key "intervall" (known here: databases, log_format, metrics, stop_timeout, max_parallel, interval, jitter, pass_timeout, retry_budget, jobs, move_default_max_rows, windows, time_zone)' \
    "an unknown key at the top"
bad "${GOOD}    port: 5432
" '4: database 1: unknown key "port" (known here: name, conninfo, service, tables, enabled, interval, jitter, pass_timeout, retry_budget, jobs, move_default_max_rows, windows, time_zone)' \
    "an unknown key in a database"
bad "${GOOD}interval: soon
" '4: interval: invalid duration "soon": expected a number and a unit (ms, s, m, h, d), e.g. 15m' \
    "a bad value"
bad "databases:
  - name: a
    conninfo: \"host=x port\"
" '3: database 1: conninfo: missing "=" after "port" in connection info string' \
    "a conninfo libpq cannot read"
bad "${GOOD}time_zone: Mars/Olympus
" '4: time_zone: unknown time zone "Mars/Olympus" (a name such as UTC or Europe/Berlin)' \
    "an unknown time zone"
bad "${GOOD}metrics:
  listen: everywhere
" '5: metrics: listen: invalid listen address "everywhere": expected HOST:PORT, [IPV6]:PORT or :PORT, e.g. 127.0.0.1:9188' \
    "a bad listen address"
run "$PGSTRATA" daemon --check-config "$REPO_ROOT/deploy/pgstrata.yaml"
is "$RUN_RC" 0 "the example configuration deploy/pgstrata.yaml is valid"
like "$RUN_OUT" 'billing: every 1h \(jitter 6m\), retirement only in 02:00-03:00 \(Europe/Berlin\), tables public.invoices public.ledger' \
    "its second database: its own interval, window, zone and tables"
like "$RUN_OUT" 'metrics: 127.0.0.1:9188 \(/metrics, /healthz\)' "and where its metrics are"
run "$PGSTRATA" daemon --check-config "$DAEMON_DIR/missing.yaml"
is "$RUN_RC" 2 "a missing file: exit 2"
is "$RUN_ERR" "pgstrata: error: $DAEMON_DIR/missing.yaml: cannot read the file: No such file or directory" \
    "a missing file: the message"

# ---- the command line ----------------------------------------------------------------------
run "$PGSTRATA" daemon
is "$RUN_RC" 2 "daemon without --config: exit 2"
like "$RUN_ERR" 'needs --config FILE \(or --check-config FILE\)' "and says what it needs"
run "$PGSTRATA" daemon --config "$C" extra
is "$RUN_RC" 2 "daemon with an argument: exit 2"
run "$PGSTRATA" -d postgres daemon --config "$C"
is "$RUN_ERR" 'pgstrata: error: option --dbname does not apply to "pgstrata daemon"
Try "pgstrata --help" for more information.' "connection options belong in the configuration"
run "$PGSTRATA" daemon --config "$C" --check-config "$C"
like "$RUN_ERR" 'give --config or --check-config once' "not both"
run "$PGSTRATA" --help
like "$RUN_OUT" 'daemon --config FILE \| --check-config FILE' "--help lists the daemon"

# ---- a bad configuration at start: exit 2 at once, nothing runs ----------------------------
printf '%sjitter: 90%%\n' "$GOOD" >"$C"
run timeout 10 "$PGSTRATA" daemon --config "$C"
is "$RUN_RC" 2 "daemon with a bad configuration: exit 2"
is "$RUN_ERR" "pgstrata: error: $C:4: jitter: \"90%\" is not a percentage from 0% to 50%" \
    "daemon with a bad configuration: the message"

# ---- a metrics address in use ------------------------------------------------------------
printf '%sinterval: 1s\nmetrics:\n  listen: 127.0.0.1:0\n' "$GOOD" >"$C"
daemon_start first "$C"
port=$(daemon_port first)
printf '%sinterval: 1s\nmetrics:\n  listen: 127.0.0.1:%s\n' "$GOOD" "$port" >"$C.2"
run timeout 10 "$PGSTRATA" daemon --config "$C.2"
is "$RUN_RC" 2 "a metrics address in use at start: exit 2"
is "$RUN_ERR" "pgstrata: error: $C.2: metrics: listen: cannot listen on 127.0.0.1:$port (in use, or not an address of this host)" \
    "a metrics address in use: the message"
daemon_stop first
daemon_clean first

# ---- text logs ------------------------------------------------------------------------------
printf '%sinterval: 1s\nlog_format: text\n' "$GOOD" >"$C"
daemon_start text "$C"
wait_until 20 grep -q '\[here\] pass result=ok' "$(daemon_log text)" || fail "no text pass line"
like "$(grep -m1 'pass result=' "$(daemon_log text)")" \
    '^20[0-9-]+T[0-9:.]+Z info    \[here\] pass result=ok duration_ms=[0-9.]+ actions_ok=0 actions_failed=0 actions_skipped=0 lock_retries=0$' \
    "log_format text: time, level, [database], message, key=value"
daemon_stop text
daemon_clean text

# ---- a database disabled: listed by check-config, never connected to ------------------------
printf '%s  - name: off
    conninfo: "host=/nonexistent dbname=x"
    enabled: false
interval: 1s
metrics:
  listen: 127.0.0.1:0
' "$GOOD" >"$C"
run "$PGSTRATA" daemon --check-config "$C"
like "$RUN_OUT" 'off: every 1s \(jitter 100ms\), every table with a policy \(disabled\)' \
    "check-config marks a disabled database"
daemon_start dis "$C"
wait_until 20 more_passes dis here 2 ok || fail "here: no passes"
is "$(passes dis off)" 0 "a disabled database gets no pass"
scrape dis | grep -q 'database="off"'
isnt $? 0 "nor any series in the metrics"
daemon_stop dis
daemon_clean dis

# ---- systemd: READY=1 once running, STOPPING=1 on SIGTERM ------------------------------------
if command -v python3 >/dev/null 2>&1; then
    sock="$DAEMON_DIR/notify.sock"
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "w") as out:
    while True:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            break
        out.write(m + "\n")
        out.flush()
        if m.startswith("STOPPING"):
            break
' "$sock" "$DAEMON_DIR/notify.out" &
    listener=$!
    wait_until 5 test -S "$sock"
    printf '%sinterval: 1s\n' "$GOOD" >"$C"
    NOTIFY_SOCKET="$sock" daemon_start sd "$C"
    wait_until 10 grep -q READY=1 "$DAEMON_DIR/notify.out"
    kill -HUP "$(daemon_pid sd)"
    wait_until 10 grep -q RELOADING=1 "$DAEMON_DIR/notify.out"
    daemon_stop sd
    wait "$listener"
    is "$(tr '\n' ' ' <"$DAEMON_DIR/notify.out")" "READY=1 RELOADING=1 READY=1 STOPPING=1 " \
        "systemd hears READY=1, RELOADING=1 and READY=1 on SIGHUP, STOPPING=1 on SIGTERM"
    daemon_clean sd
else
    skip "python3 is not installed: no listener for systemd's notify socket"
fi

done_testing
