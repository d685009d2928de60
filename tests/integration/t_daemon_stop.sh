#!/usr/bin/env bash
# pgstrata daemon: replicas and stops, with a retention that archives through
# a command made slow on demand (so a pass can be caught in the middle of an
# action): two daemons on one database (one acts at a time: the audit has
# each step once); SIGTERM during the archive (it finishes, the drop waits for
# the next pass); SIGTERM during an archive that never ends (the daemon exits
# within stop_timeout plus the cancel's grace); SIGKILL of the daemon and its
# pass in the middle of the archive; SIGKILL of the scheduler alone (its pass
# finishes the action and stops). Each time the next daemon completes the
# retirement, and every archive holds every row.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/pgcluster.sh
source "$(dirname "$0")/../lib/pgcluster.sh"
# shellcheck source=tests/lib/daemon.sh
source "$(dirname "$0")/../lib/daemon.sh"

ARCH="$DAEMON_DIR/archive"
mkdir -p "$ARCH/out"
# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    daemons_teardown
    kill_archivers
    return 0
}

# The archive commands of this section still running (orphaned by a killed
# pass), with their sleep; the pid file is emptied at each section.
kill_archivers() {
    local p
    [[ -f "$ARCH/pids" ]] || return 0
    for p in $(cat "$ARCH/pids"); do
        pkill -KILL -P "$p" 2>/dev/null
        kill -KILL "$p" 2>/dev/null
    done
    : >"$ARCH/pids"
}

# The archive command: records its pid, says it started, sleeps while
# $ARCH/slow names a number of seconds, then keeps what it reads.
cat >"$ARCH/archive.sh" <<EOF
#!/bin/sh
echo \$\$ >>"$ARCH/pids"
touch "$ARCH/started.\$1"
[ -s "$ARCH/slow" ] && sleep "\$(cat "$ARCH/slow")"
cat >"$ARCH/out/\$1.copy.tmp" && mv "$ARCH/out/\$1.copy.tmp" "$ARCH/out/\$1.copy"
EOF
chmod +x "$ARCH/archive.sh"

cluster_up A
on A postgres "CREATE DATABASE app" >/dev/null
pgstrata_on A app init >/dev/null
on A app "CREATE TABLE events (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts)"
pgstrata_on A app create events --column ts --interval '1 day' --premake 12 --retention '2 days' \
    --retention-mode archive --archive-command "$ARCH/archive.sh %t" --now '2030-01-10' >/dev/null
on A app "INSERT INTO events SELECT g, '2030-01-10'::timestamptz + g * interval '1 hour'
          FROM generate_series(0, 12 * 24 - 1) g"

CONF="$DAEMON_DIR/app.yaml"
cat >"$CONF" <<EOF
interval: 1s
stop_timeout: 10s
metrics:
  listen: 127.0.0.1:0
databases:
  - name: app
    conninfo: "$(conninfo A app)"
EOF
SHORT="$DAEMON_DIR/short.yaml"
sed 's/^stop_timeout: 10s/stop_timeout: 2s/' "$CONF" >"$SHORT"

# day N of January 2030 at noon: partitions older than two days retire
day() {
    printf '2030-01-%02d 12:00:00+00\n' "$1" >"$NOW_FILE"
}
part() { # the partition of day N
    printf 'public.events_p203001%02d' "$1"
}
started() { [[ -e "$ARCH/started.$(part "$1")" ]]; }
gone() { [[ $(on A app "SELECT to_regclass('$(part "$1")') IS NULL") == t ]]; }
audit_count() { # ACTION TARGET OUTCOME
    on A app "SELECT count(*) FROM pgstrata.audit WHERE action = '$1' AND target = '$2'
              AND outcome = '$3'"
}
# the archive of day N holds the day's 24 rows
archived_whole() {
    local f
    f="$ARCH/out/$(part "$1").copy"
    is "$(wc -l <"$f" 2>/dev/null | tr -d ' ')" 24 "$(part "$1"): the archive holds its 24 rows"
}
pass_pid() { pgrep -P "$(daemon_pid "$1")" | head -1; }

# ---- two daemons on one database -----------------------------------------------------------
: >"$ARCH/pids"
echo 1 >"$ARCH/slow"
day 14 # days 10 and 11 retire
daemon_start x "$CONF"
daemon_start y "$CONF"
wait_until 60 gone 11 || fail "day 11 never retired"
wait_until 60 gone 10 || fail "day 10 never retired"
wait_until 20 more_passes x app 3 && wait_until 20 more_passes y app 3
for d in 10 11; do
    for a in detach archive drop; do
        is "$(audit_count $a "$(part $d)" ok)" 1 "two daemons: $a of $(part $d) done once"
    done
    archived_whole $d
done
is "$(on A app "SELECT count(*) FROM pgstrata.audit WHERE outcome <> 'ok'")" 0 \
    "two daemons: no action failed or was skipped"
skipped=$(($(passes x app skipped) + $(passes y app skipped)))
ok "$((skipped >= 1 ? 0 : 1))" "two daemons: $skipped passes found the other holding the database"
like "$( (log_json x; log_json y) | jq -r 'select(.msg == "pass" and .result == "skipped") | .detail' | head -1)" \
    'another pgstrata daemon is maintaining this database' "the log says why a pass was skipped"
s=$(($(metric x 'pgstrata_passes_total{database="app",result="skipped"}') + $(metric y 'pgstrata_passes_total{database="app",result="skipped"}')))
is "$s" "$skipped" "metrics count the skipped passes"
daemon_stop x
daemon_stop y
daemon_clean x
daemon_clean y

# ---- SIGTERM in the middle of an archive: it finishes, the rest waits -----------------------
: >"$ARCH/pids"
echo 3 >"$ARCH/slow"
day 15 # day 12 retires
daemon_start t "$CONF"
wait_until 30 started 12 || fail "the archive of day 12 never started"
daemon_stop t TERM
is "$STOP_RC" 0 "SIGTERM during an archive: exit 0"
awk -v s="$STOP_SECS" 'BEGIN { exit !(s >= 1.5 && s < 10) }'
ok $? "the daemon waited for the running archive, within stop_timeout (${STOP_SECS} s)"
is "$(audit_count archive "$(part 12)" ok)" 1 "the archive that was running finished"
archived_whole 12
is "$(audit_count drop "$(part 12)" skipped)" 1 "the drop after it was not started (audit: skipped)"
like "$(on A app "SELECT error FROM pgstrata.audit WHERE action = 'drop' AND target = '$(part 12)'")" \
    interrupted "skipped as interrupted"
gone 12
isnt $? 0 "$(part 12) is still there, detached"
like "$(log_json t | jq -r 'select(.msg | startswith("stopping")) | .msg')" \
    '^stopping: 1 pass finishes the running action \(at most 10s\)$' "the log says what the stop waits for"
: >"$ARCH/slow"
daemon_start t2 "$CONF"
wait_until 30 gone 12 || fail "day 12 never dropped"
is "$(audit_count drop "$(part 12)" ok)" 1 "the next daemon dropped it"
is "$(audit_count archive "$(part 12)" ok)" 1 "without archiving it again"
daemon_stop t2
daemon_clean t
daemon_clean t2

# ---- SIGTERM while an archive never ends: bounded ------------------------------------------
: >"$ARCH/pids"
echo 60 >"$ARCH/slow"
day 16 # day 13 retires
daemon_start b "$SHORT"
wait_until 30 started 13 || fail "the archive of day 13 never started"
daemon_stop b TERM
is "$STOP_RC" 0 "SIGTERM with an endless archive: exit 0"
awk -v s="$STOP_SECS" 'BEGIN { exit !(s >= 1.5 && s < 10) }'
ok $? "gone in ${STOP_SECS} s: stop_timeout (2 s), the cancel's grace (5 s)"
like "$(log_json b | jq -r .msg)" 'did not stop after its running action in time: cancelling' \
    "the log says the statements were cancelled"
like "$(log_json b | jq -r .msg)" 'killing it' "and that the pass was killed"
kill_archivers
: >"$ARCH/slow"
rm -f "$ARCH/out/$(part 13).copy.tmp"
daemon_start b2 "$CONF"
wait_until 30 gone 13 || fail "day 13 never dropped"
pass "the next daemon archived and dropped $(part 13)"
archived_whole 13
is "$(audit_count archive "$(part 13)" ok)" 1 "archived once, whole"
daemon_stop b2
daemon_clean b
daemon_clean b2

# ---- SIGKILL of the daemon and its pass in the middle of the archive -------------------------
: >"$ARCH/pids"
echo 30 >"$ARCH/slow"
day 17 # day 14 retires
daemon_start k "$CONF"
wait_until 30 started 14 || fail "the archive of day 14 never started"
child=$(pass_pid k)
like "$child" '^[0-9]+$' "the pass process is running ($child)"
kill -KILL "$(daemon_pid k)" "$child"
wait "$(daemon_pid k)" 2>/dev/null
unset "_DAEMON_PIDS[k]"
kill_archivers
is "$(on A app "SELECT state FROM pgstrata.retired WHERE name = 'events_p20300114'")" archiving \
    "killed mid-archive: the journal says archiving"
: >"$ARCH/slow"
rm -f "$ARCH/out/$(part 14).copy.tmp"
daemon_start k2 "$CONF"
wait_until 30 gone 14 || fail "day 14 never dropped"
pass "the next daemon completed the retirement of $(part 14)"
archived_whole 14
is "$(on A app "SELECT count(*) FROM pgstrata.retired")" 0 "nothing left in the journal"
daemon_stop k2
daemon_clean k2

# ---- SIGKILL of the scheduler alone: its pass finishes the action and stops -----------------
: >"$ARCH/pids"
echo 3 >"$ARCH/slow"
day 18 # day 15 retires
daemon_start p "$CONF"
wait_until 30 started 15 || fail "the archive of day 15 never started"
child=$(pass_pid p)
kill -KILL "$(daemon_pid p)"
wait "$(daemon_pid p)" 2>/dev/null
unset "_DAEMON_PIDS[p]"
wait_until 15 bash -c "! kill -0 $child" || fail "the orphaned pass never stopped"
pass "the orphaned pass stopped by itself"
is "$(audit_count archive "$(part 15)" ok)" 1 "it finished the archive it was running"
is "$(audit_count drop "$(part 15)" skipped)" 1 "and started nothing more"
archived_whole 15
: >"$ARCH/slow"
daemon_start p2 "$CONF"
wait_until 30 gone 15 || fail "day 15 never dropped"
pass "the next daemon dropped $(part 15)"
daemon_stop p2
daemon_clean p2

done_testing
