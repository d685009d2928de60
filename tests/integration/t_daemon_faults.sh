#!/usr/bin/env bash
# pgstrata daemon and bad connections: a database that does not exist, a
# wrong password, a refused port, an unroutable host, each beside a healthy
# database that goes on being maintained; then the server restarted in the
# middle of a pass, and the daemon's session ended by pg_terminate_backend in
# the middle of one. Each time the log and the metrics say what happened, the
# daemon keeps running, and the next pass completes what was left.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/pgcluster.sh
source "$(dirname "$0")/../lib/pgcluster.sh"
# shellcheck source=tests/lib/daemon.sh
source "$(dirname "$0")/../lib/daemon.sh"

READER=""
# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    [[ -n "$READER" ]] && kill "$READER" 2>/dev/null
    daemons_teardown
    return 0
}

cluster_up A
on A postgres "CREATE DATABASE app" >/dev/null
on A postgres "CREATE DATABASE bare" >/dev/null
pgstrata_on A app init >/dev/null
on A app "CREATE TABLE events (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts)"
pgstrata_on A app create events --column ts --interval '1 day' --premake 2 --lock-timeout 200ms \
    --now '2030-01-10' >/dev/null
echo '2030-01-10 12:00:00+00' >"$NOW_FILE"

# A role that needs a password (the cluster trusts everyone else).
on A postgres "SET password_encryption = 'scram-sha-256'; CREATE ROLE pw LOGIN PASSWORD 'right'" >/dev/null
hba="$A_DIR/data/pg_hba.conf"
{ echo "local all pw scram-sha-256"; cat "$hba"; } >"$hba.new" && cat "$hba.new" >"$hba"
on A postgres "SELECT pg_reload_conf()" >/dev/null

CONF="$DAEMON_DIR/faults.yaml"
cat >"$CONF" <<EOF
interval: 1s
metrics:
  listen: 127.0.0.1:0
databases:
  - name: app
    conninfo: "$(conninfo A app)"
  - name: nope
    conninfo: "$(conninfo A nope)"
  - name: password
    conninfo: "host=$A_DIR port=$A_PORT dbname=app user=pw password=wrong"
  - name: refused
    conninfo: "host=127.0.0.1 port=1 dbname=app"
  - name: unroutable
    conninfo: "host=192.0.2.1 port=5432 dbname=app connect_timeout=1"
  - name: bare
    conninfo: "$(conninfo A bare)"
EOF
daemon_start f "$CONF"
for db in nope password refused unroutable bare; do
    wait_until 30 more_passes f "$db" 2 error || fail "$db: no two failed passes"
done
wait_until 20 more_passes f app 3 ok || fail "app: no three passes"

# the last error of a database, from the log
last_error() {
    log_json f | jq -r --arg db "$1" 'select(.msg == "pass" and .database == $db and .result == "error") | .detail' | tail -1
}
like "$(last_error nope)" 'could not connect: .*database "nope" does not exist' \
    "a database that does not exist: said in the log"
like "$(last_error password)" 'could not connect: .*password authentication failed for user "pw"' \
    "a wrong password: said in the log"
like "$(last_error refused)" 'could not connect: connection to server at "127.0.0.1", port 1 failed: Connection refused' \
    "a refused port: said in the log"
like "$(last_error unroutable)" 'could not connect: connection to server at "192.0.2.1", port 5432 failed: (timeout expired|Network is unreachable|No route to host|Connection refused)' \
    "an unroutable host: said in the log"
like "$(last_error bare)" 'pgstrata is not installed in this database' "a database without pgstrata: said in the log"
is "$(log_json f | jq -r 'select(.msg == "pass" and .database == "nope") | .level' | sort -u)" error \
    "failed connections are logged at level error"
for db in nope password refused unroutable bare; do
    is "$(metric f "pgstrata_up{database=\"$db\"}")" 0 "metrics: $db is down"
done
is "$(metric f 'pgstrata_up{database="app"}')" 1 "metrics: app is up beside them"
errs=$(metric f 'pgstrata_passes_total{database="refused",result="error"}')
ok "$((errs >= 2 ? 0 : 1))" "metrics: refused counts $errs failed passes"
# retries back off: 1 s doubling, at most the interval (1 s) here; never a busy loop
tries=$(passes f refused)
ok "$((tries < 20 ? 0 : 1))" "refused: $tries attempts so far, not a busy loop"
like "$(log_json f | jq -r 'select(.database == "refused" and (.msg | startswith("next attempt"))) | .msg' | head -1)" \
    '^next attempt in [0-9.]+ s \(attempt 2 after an error\)$' "the log says when the next attempt is"
kill -0 "$(daemon_pid f)"
ok $? "the daemon keeps running"
daemon_stop f
is "$STOP_RC" 0 "SIGTERM: exit 0"
daemon_clean f

# ---- the server restarted in the middle of a pass ---------------------------------------
CONF="$DAEMON_DIR/app.yaml"
cat >"$CONF" <<EOF
interval: 1s
metrics:
  listen: 127.0.0.1:0
databases:
  - name: app
    conninfo: "$(conninfo A app)"
EOF
# hold_events: a session holding events the way a maintenance of its own would
# (SHARE UPDATE EXCLUSIVE), so an ATTACH waits and retries.
hold_events() {
    PGHOST=$A_DIR PGPORT=$A_PORT PGDATABASE=app PGAPPNAME=holder psql -X -q \
        -c "BEGIN" -c "LOCK TABLE events IN SHARE UPDATE EXCLUSIVE MODE" -c "SELECT pg_sleep(60)" \
        >/dev/null 2>&1 &
    READER=$!
    wait_until 10 bash -c "[[ \$(PGHOST=$A_DIR PGPORT=$A_PORT psql -X -A -t -d app -c \"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holder' AND query LIKE '%pg_sleep%'\") == 1 ]]"
}
# the daemon's pass waiting for the lock, retrying
attach_waits() {
    [[ $(on A app "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgstrata'
                   AND wait_event_type = 'Lock'") -ge 1 ]]
}
attached() { # DAY: the partition of that day is attached
    [[ $(on A app "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass
                   AND inhrelid = to_regclass('events_p$1')") == 1 ]]
}

daemon_start r "$CONF"
wait_until 20 more_passes r app 1 ok || fail "app: no first pass"
hold_events
echo '2030-01-11 12:00:00+00' >"$NOW_FILE"
wait_until 20 attach_waits || fail "the pass never waited for the lock"
pass "a pass is waiting to attach events_p20300113"
pgcluster_restart "$A_DIR" fast >/dev/null
READER=""
wait_until 30 attached 20300113 || fail "events_p20300113 never attached"
pass "after the restart the next pass attached events_p20300113"
lost=$(log_json r | jq -r 'select(.msg == "pass" and .result == "error") | .detail' | head -1)
like "$lost" 'connection to the server was lost during the pass' "the log says the pass lost its connection"
like "$(log_json r | jq -r 'select(.msg == "action" and .outcome != "ok") | .error' | head -1)" \
    '(terminating connection|server closed the connection|no connection to the server)' \
    "and the action that failed with it, with the server's words"
is "$(on A app "SELECT count(*) FROM pgstrata.pending")" 0 "nothing is left half-made (pgstrata.pending)"
is "$(on A app "SELECT count(*) FROM pg_class WHERE relname LIKE 'events_p%' AND NOT relispartition")" 0 \
    "no standalone table is left"
errors=$(metric r 'pgstrata_passes_total{database="app",result="error"}')
ok "$((errors >= 1 ? 0 : 1))" "metrics: the lost pass counted as an error ($errors)"
is "$(metric r 'pgstrata_up{database="app"}')" 1 "metrics: app up again"

# ---- the daemon's session terminated in the middle of a pass -----------------------------
hold_events
echo '2030-01-12 12:00:00+00' >"$NOW_FILE"
wait_until 20 attach_waits || fail "the pass never waited for the lock"
n_err=$(passes r app error)
terminated=$(on A app "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                       WHERE application_name = 'pgstrata' AND wait_event_type = 'Lock'")
is "$terminated" 1 "pg_terminate_backend of the daemon's session"
kill "$READER" 2>/dev/null
wait "$READER" 2>/dev/null
READER=""
on A app "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
wait_until 30 attached 20300114 || fail "events_p20300114 never attached"
pass "the next pass attached events_p20300114"
ok "$(($(passes r app error) > n_err ? 0 : 1))" "the terminated pass ended as an error"
# (the server's reason when the session ended during the statement; libpq's when it
# ended during the wait between two attempts)
like "$(log_json r | jq -r 'select(.msg == "action" and .outcome == "failed") | .error' | tail -1)" \
    '(terminating connection due to administrator command|server closed the connection|no connection to the server)' \
    "the log says why the action failed"
like "$(log_json r | jq -r 'select(.msg == "pass" and .result == "error") | .detail' | tail -1)" \
    'connection to the server was lost during the pass' "and that the pass lost its connection"
is "$(on A app "SELECT count(*) FROM pgstrata.pending")" 0 "nothing is left half-made"
wait_until 10 more_passes r app "$(($(passes r app ok) + 1))" ok
is "$(log_json r | jq -r 'select(.msg == "pass") | .result' | tail -1)" ok "the passes after it succeed"
daemon_stop r
is "$STOP_RC" 0 "SIGTERM: exit 0"
daemon_clean r

done_testing
