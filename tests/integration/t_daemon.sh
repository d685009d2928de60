#!/usr/bin/env bash
# pgstrata daemon against two real servers (two private clusters): both
# databases maintained over simulated days (the test clock), retirement held
# outside the daemon's window and done inside it, the metrics checked against
# the catalog, SIGHUP with an invalid and a valid configuration, one server
# hung (SIGSTOP) and one stopped without delaying the other database, then
# back, and SIGTERM ending the daemon at once when it is idle.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/pgcluster.sh
source "$(dirname "$0")/../lib/pgcluster.sh"
# shellcheck source=tests/lib/daemon.sh
source "$(dirname "$0")/../lib/daemon.sh"

# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    [[ -n "${B_DIR:-}" && -f "$B_DIR/data/postmaster.pid" ]] &&
        kill -CONT "$(head -1 "$B_DIR/data/postmaster.pid")" 2>/dev/null
    daemons_teardown
    return 0
}

cluster_up A
cluster_up B
on A postgres "CREATE DATABASE app" >/dev/null
on B postgres "CREATE DATABASE billing" >/dev/null
on B postgres "CREATE DATABASE extra" >/dev/null
pgstrata_on A app init >/dev/null
pgstrata_on B billing init >/dev/null
on A app "CREATE TABLE events (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts)"
pgstrata_on A app create events --column ts --interval '1 day' --premake 3 \
    --retention '3 days' --now '2030-01-10' >/dev/null
on B billing "CREATE TABLE ledger (id bigint NOT NULL, note text) PARTITION BY RANGE (id);
              CREATE TABLE invoices (at timestamptz NOT NULL) PARTITION BY RANGE (at)"
pgstrata_on B billing create ledger --column id --interval 1000 --premake 2 >/dev/null
pgstrata_on B billing create invoices --column at --interval '1 day' --premake 2 \
    --retention '2 days' --now '2030-01-10' >/dev/null
on B billing "CREATE TABLE invoices_default PARTITION OF invoices DEFAULT;
              INSERT INTO invoices VALUES ('2031-06-01'), ('2031-06-02'), ('2031-06-03');
              INSERT INTO ledger SELECT g, 'x' FROM generate_series(1, 1500) g"
AUDIT_A=$(on A app "SELECT coalesce(max(id), 0) FROM pgstrata.audit")
AUDIT_B=$(on B billing "SELECT coalesce(max(id), 0) FROM pgstrata.audit")

CONF="$DAEMON_DIR/daemon.yaml"
write_config() { # $1: extra lines for app, $2: extra databases
    cat >"$CONF" <<EOF
# two servers, one database each
interval: 1s
stop_timeout: 5s
metrics:
  listen: 127.0.0.1:0
databases:
  - name: app
    conninfo: "$(conninfo A app)"
$1
  - name: billing
    conninfo: "$(conninfo B billing)"
    jobs: 2 # its two tables at once: the workers report through the same pipe
$2
EOF
}
write_config '    windows: ["03:00-04:00"]' ''
echo '2030-01-10 12:00:00+00' >"$NOW_FILE"

run "$PGSTRATA" daemon --check-config "$CONF"
is "$RUN_RC" 0 "check-config: a valid configuration exits 0"
like "$RUN_OUT" "valid, 2 databases" "check-config says how many databases"
like "$RUN_OUT" "app: every 1s \\(jitter 100ms\\), retirement only in 03:00-04:00 \\(UTC\\)" \
    "check-config says app's schedule and window"

daemon_start d "$CONF"
wait_until 30 more_passes d app 1 ok || fail "app: no successful pass"
wait_until 30 more_passes d billing 1 ok || fail "billing: no successful pass"
port=$(daemon_port d)
like "$port" '^[0-9]+$' "the log says which port the metrics are on ($port)"

# ---- the first day: metrics against the catalog --------------------------------------
# The end of the partitions of a table, from the catalog: their upper bounds.
upper_end() { # VAR DB TABLE
    on "$1" "$2" "SELECT max((regexp_match(pg_get_expr(c.relpartbound, c.oid),
                  'TO \(''([^'']+)''\)'))[1]::timestamptz)
                  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                  WHERE i.inhparent = '$3'::regclass"
}
nparts() { # VAR DB TABLE: range partitions (not the default)
    on "$1" "$2" "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                  WHERE i.inhparent = '$3'::regclass
                  AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'"
}
oldest() { # VAR DB TABLE: the lowest lower bound
    on "$1" "$2" "SELECT min((regexp_match(pg_get_expr(c.relpartbound, c.oid),
                  'FROM \(''([^'']+)''\)'))[1]::timestamptz)
                  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                  WHERE i.inhparent = '$3'::regclass"
}
oldest_is() { # VAR DB TABLE VALUE
    [[ "$(oldest "$1" "$2" "$3")" == "$4" ]]
}
coverage_from_catalog() { # VAR DB TABLE NOW
    on "$1" "$2" "SELECT extract(epoch FROM '$(upper_end "$1" "$2" "$3")'::timestamptz
                  - '$4'::timestamptz)::bigint"
}

M=$(scrape d)
series() { awk -v s="$1" 'index($0, s " ") == 1 { print $2 }' <<<"$M"; }
is "$(series 'pgstrata_up{database="app"}')" 1 "metrics: app is up"
is "$(series 'pgstrata_up{database="billing"}')" 1 "metrics: billing is up"
is "$(series 'pgstrata_table_partitions{database="app",table="public.events"}')" \
    "$(nparts A app events)" "metrics: events' partitions, as many as the catalog has"
is "$(series 'pgstrata_table_coverage_seconds{database="app",table="public.events"}')" \
    "$(coverage_from_catalog A app events '2030-01-10 12:00+00')" \
    "metrics: events' coverage in seconds, from the catalog's last bound and the pass clock"
is "$(series 'pgstrata_table_coverage_seconds{database="app",table="public.events"}')" 302400 \
    "that is 3.5 days: premake 3 after the current day, from noon"
is "$(series 'pgstrata_table_default_rows{database="billing",table="public.invoices"}')" \
    "$(on B billing "SELECT count(*) FROM invoices_default")" \
    "metrics: the rows of invoices' default partition, as counted in it"
is "$(series 'pgstrata_table_default_rows{database="app",table="public.events"}')" 0 \
    "metrics: no default, no rows"
is "$(series 'pgstrata_table_coverage_keys{database="billing",table="public.ledger"}')" \
    "$(on B billing "SELECT max((regexp_match(pg_get_expr(c.relpartbound, c.oid),
                      'TO \(''([^'']+)''\)'))[1]::bigint) - (SELECT max(id) FROM ledger)
                      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                      WHERE i.inhparent = 'ledger'::regclass")" \
    "metrics: ledger's integer bound beyond max(id), from the catalog"
age=$(series 'pgstrata_table_seconds_since_success{database="billing",table="public.ledger"}')
awk -v a="$age" 'BEGIN { exit !(a >= 0 && a < 30) }'
ok $? "metrics: ledger was maintained successfully seconds ago ($age)"
is "$(on B billing "SELECT count(*) FROM pgstrata.policy WHERE last_success_at IS NULL")" 0 \
    "pgstrata.policy.last_success_at is set for every table"
like "$M" $'\n# HELP pgstrata_actions_total ' "metrics: the documented families have HELP lines"
for name in pgstrata_up pgstrata_pass_running pgstrata_consecutive_errors \
    pgstrata_last_pass_duration_seconds pgstrata_pass_cpu_seconds_total pgstrata_pass_max_rss_bytes \
    pgstrata_last_pass_end_timestamp_seconds pgstrata_passes_total pgstrata_pass_duration_seconds \
    pgstrata_actions_total pgstrata_lock_retries_total pgstrata_table_coverage_seconds \
    pgstrata_table_coverage_keys pgstrata_table_partitions pgstrata_table_default_rows \
    pgstrata_table_seconds_since_success pgstrata_config_reloads_total pgstrata_start_time_seconds \
    pgstrata_build_info; do
    grep -q "^# TYPE $name " <<<"$M" || fail "metrics: no family $name"
done
grep -q '^# TYPE pgstrata_build_info gauge' <<<"$M" && pass "metrics: every documented family is there"
run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz"
is "$RUN_OUT" 200 "/healthz answers 200"
like "$(curl -s "http://127.0.0.1:$port/healthz")" $'^ok\napp: up\nbilling: up' "/healthz says each database"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing")" 404 "another path: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/metrics")" 405 \
    "POST: 405"

# ---- ten days later: creation goes on, retirement waits for app's window -------------
n_app=$(passes d app ok)
n_billing=$(passes d billing ok)
echo '2030-01-20 12:00:00+00' >"$NOW_FILE"
wait_until 30 more_passes d app $((n_app + 2)) ok || fail "app: no pass on day 20"
wait_until 30 more_passes d billing $((n_billing + 2)) ok || fail "billing: no pass on day 20"
is "$(upper_end A app events)" "2030-01-24 00:00:00+00" "app: events made up to day 23 (premake 3)"
is "$(oldest A app events)" "2030-01-10 00:00:00+00" \
    "app: nothing retired outside the daemon's window (it is 12:00, the window 03:00-04:00)"
note=$(log_json d | jq -r 'select(.msg == "note" and .database == "app") | .detail' | tail -1)
is "$note" "retirement steps wait for the daemon's maintenance window 03:00-04:00 (UTC); it is 12:00 there now" \
    "the log says why retirement waits"
# (the days between 12 and 18 are made in one pass and retired in the next)
wait_until 20 oldest_is B billing invoices "2030-01-18 00:00:00+00"
is "$(oldest B billing invoices)" "2030-01-18 00:00:00+00" \
    "billing (no window): invoices retired past 2 days"
is "$(upper_end B billing invoices)" "2030-01-23 00:00:00+00" "billing: invoices made up to day 22"
line=$(log_json d | jq -c 'select(.msg == "action" and .database == "billing" and .action == "drop")' | head -1)
like "$line" '"table":"public.invoices"' "an action line names the table"
like "$line" '"target":"public.invoices_p2030' "and the target"
like "$line" '"outcome":"ok"' "and the outcome"
like "$line" '"duration_ms":[0-9.]+' "and the duration"
like "$line" '"attempts":1' "and the attempts"
like "$line" '^\{"ts":"20[0-9-]+T[0-9:.]+Z","level":"info","database":"billing","msg":"action"' \
    "a JSON line starts with time, level, database, message"
is "$(log_json d | jq -c 'select(.msg == "action" and .database == "billing" and .outcome == "ok")' | wc -l)" \
    "$(on B billing "SELECT count(*) FROM pgstrata.audit WHERE id > $AUDIT_B AND outcome = 'ok'")" \
    "billing (jobs: 2): each action its workers did is in the log, as in pgstrata.audit"
audit_creates=$(on A app "SELECT count(*) FROM pgstrata.audit WHERE id > $AUDIT_A
                          AND action = 'create' AND outcome = 'ok' AND parent = 'public.events'")
is "$(metric d 'pgstrata_actions_total{database="app",table="public.events",action="create",outcome="ok"}')" \
    "$audit_creates" "metrics: creates counted as pgstrata.audit recorded them ($audit_creates)"

# ---- 03:30 the next day: inside the window ----------------------------------------------
n_app=$(passes d app ok)
echo '2030-01-21 03:30:00+00' >"$NOW_FILE"
wait_until 30 more_passes d app $((n_app + 2)) ok || fail "app: no pass on day 21"
is "$(oldest A app events)" "2030-01-18 00:00:00+00" "app: inside the window, events retired past 3 days"
is "$(on A app "SELECT count(*) FROM pgstrata.audit WHERE id > $AUDIT_A AND action = 'drop'
                AND outcome = 'ok'")" 8 "app: eight partitions dropped (days 10 to 17), each once"
is "$(on A app "SELECT count(*) FROM pgstrata.audit WHERE id > $AUDIT_A AND outcome <> 'ok'")" 0 \
    "app: no action failed"

# ---- SIGHUP: an invalid configuration is refused, a valid one taken ------------------------
cp "$CONF" "$CONF.good"
printf 'intervall: 1s\n' >>"$CONF"
n_app=$(passes d app)
kill -HUP "$(daemon_pid d)"
wait_until 10 grep -q 'was not reloaded' "$(daemon_log d)" || fail "no word of the refused reload"
msg=$(log_json d | jq -r 'select(.msg | startswith("the configuration was not reloaded")) | .msg')
like "$msg" "was not reloaded: $CONF:[0-9]+: unknown key \"intervall\"" \
    "an invalid reload is refused with file, line and key"
like "$(log_json d | jq -r 'select(.msg | startswith("the configuration was not reloaded")) | .level')" \
    warning "at level warning"
wait_until 20 more_passes d app $((n_app + 2)) || fail "app: no pass after the refused reload"
pass "passes go on with the old configuration"
is "$(metric d 'pgstrata_config_reloads_total{result="failed"}')" 1 "metrics: one failed reload"

write_config '' "  - name: extra
    conninfo: \"$(conninfo B extra)\""
kill -HUP "$(daemon_pid d)"
wait_until 10 grep -q 'configuration reloaded: 3 databases (1 added, 0 removed)' "$(daemon_log d)" ||
    fail "no word of the reload"
pass "a valid reload is taken: 3 databases (1 added, 0 removed)"
wait_until 20 more_passes d extra 1 error || fail "extra: no pass"
like "$(log_json d | jq -r 'select(.msg == "pass" and .database == "extra") | .detail' | tail -1)" \
    'pgstrata is not installed in this database; run "pgstrata init" first' \
    "a database without pgstrata: the log says what to do"
is "$(metric d 'pgstrata_up{database="extra"}')" 0 "metrics: extra is not up"
is "$(metric d 'pgstrata_config_reloads_total{result="ok"}')" 1 "metrics: one reload taken"
write_config '' ''
kill -HUP "$(daemon_pid d)"
wait_until 10 grep -q '2 databases (0 added, 1 removed)' "$(daemon_log d)" || fail "extra not removed"
wait_until 10 bash -c "! curl -sf http://127.0.0.1:$port/metrics | grep -q 'database=\"extra\"'" ||
    fail "extra still in the metrics"
pass "a database removed by a reload leaves the metrics"

# ---- one server hung: the other database's passes go on ---------------------------------
postmaster_b=$(head -1 "$B_DIR/data/postmaster.pid")
kill -STOP "$postmaster_b"
sleep 1.5 # a pass running then has ended; the next one connects to a server that does not answer
n_billing=$(passes d billing)
n_app=$(passes d app ok)
sleep 4
is "$(passes d billing)" "$n_billing" "billing (server stopped with SIGSTOP): its pass hangs in connect"
ok "$(($(passes d app ok) - n_app >= 3 ? 0 : 1))" \
    "app: $(($(passes d app ok) - n_app)) passes meanwhile, one a second"
is "$(metric d 'pgstrata_pass_running{database="billing"}')" 1 "metrics: billing's pass is running"
kill -CONT "$postmaster_b"
wait_until 30 more_passes d billing $((n_billing + 2)) ok || fail "billing: no pass after SIGCONT"
pass "billing: passes again once its server answers"

# ---- one server stopped, then started: errors, reconnection with backoff ------------------
n_app=$(passes d app ok)
cluster_stop B
sleep 4
wait_until 20 more_passes d billing 3 error || fail "billing: no failed connection"
detail=$(log_json d | jq -r 'select(.msg == "pass" and .database == "billing" and .result == "error") | .detail' | tail -1)
like "$detail" '^could not connect: connection to server on socket .* failed' \
    "billing down: the log says it could not connect, and why"
is "$(metric d 'pgstrata_up{database="billing"}')" 0 "metrics: billing is down"
errs=$(metric d 'pgstrata_consecutive_errors{database="billing"}')
ok "$((errs >= 2 ? 0 : 1))" "metrics: $errs errors in a row"
ok "$(($(passes d app ok) - n_app >= 3 ? 0 : 1))" "app goes on meanwhile"
like "$(curl -s "http://127.0.0.1:$port/healthz")" $'billing: down' "/healthz: billing down, still 200"
cluster_start B
n_billing=$(passes d billing ok)
wait_until 20 more_passes d billing $((n_billing + 1)) ok || fail "billing: no pass after the start"
is "$(metric d 'pgstrata_up{database="billing"}')" 1 "billing back: up again, reconnected"
is "$(metric d 'pgstrata_consecutive_errors{database="billing"}')" 0 "and no errors in a row"

# ---- SIGTERM ------------------------------------------------------------------------------
daemon_stop d TERM
is "$STOP_RC" 0 "SIGTERM: exit 0"
awk -v s="$STOP_SECS" 'BEGIN { exit !(s < 5) }'
ok $? "SIGTERM: gone in $STOP_SECS s"
is "$(log_json d | jq -r .msg | tail -1)" stopped "the last line says stopped"
daemon_clean d

done_testing
