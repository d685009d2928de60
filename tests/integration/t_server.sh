#!/usr/bin/env bash
# The session itself: old-server refusals and fallbacks, Ctrl-C, connection
# settings the server actually sees.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"

q "create table ev (id bigint, t timestamptz not null) partition by range (t)" >/dev/null
run "$PGSTRATA" init
is "$RUN_RC" 0 "init"

# A server older than pgstrata supports: refused before anything is done.
PGSTRATA_PRETEND_SERVER_VERSION_NUM=110000 run "$PGSTRATA" create ev --column t --interval '1 day'
is "$RUN_RC" 3 "PostgreSQL 11: exit 3"
is "$RUN_ERR" "pgstrata: error: this server is PostgreSQL 11.0; pgstrata needs PostgreSQL 12 or later (partitioned indexes and foreign keys, and expressions in partition bounds, arrived in 11 and 12)" \
    "PostgreSQL 11: the message names the version and the features"
is "$(q "select count(*) from pgstrata.policy")" 0 "PostgreSQL 11: no policy registered"
is "$(q "select count(*) from pg_inherits")" 0 "PostgreSQL 11: no partition made"

# PostgreSQL 13: no DETACH ... CONCURRENTLY; the plan says so and falls back.
run "$PGSTRATA" create ev --column t --interval '1 day' --retention '3 days' --now '2026-05-01'
is "$RUN_RC" 0 "create on the real server"
PGSTRATA_PRETEND_SERVER_VERSION_NUM=130000 run "$PGSTRATA" plan --now '2026-05-10'
is "$RUN_RC" 0 "plan as PostgreSQL 13"
like "$RUN_OUT" 'plain DETACH because this server is PostgreSQL 13\.0 and DETACH \.\.\. CONCURRENTLY needs 14' \
    "PostgreSQL 13: the fallback is explained"
unlike "$RUN_OUT" 'CONCURRENTLY;' "PostgreSQL 13: no concurrent detach planned"
PGSTRATA_PRETEND_SERVER_VERSION_NUM=130000 run "$PGSTRATA" maintain --now '2026-05-10'
is "$RUN_RC" 0 "maintain with the plain DETACH fallback"
is "$(q "select count(*) from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = 'ev'::regclass and c.relname < 'ev_p20260506'")" 0 \
    "PostgreSQL 13 path: the partitions past retention that existed before the pass are gone"
run "$PGSTRATA" plan --now '2026-05-11'
like "$RUN_OUT" 'DETACH PARTITION "public"."ev_p20260507" CONCURRENTLY' \
    "PostgreSQL 15: DETACH ... CONCURRENTLY planned"

# Connecting like every PostgreSQL tool: a service file, a conninfo string, a URI.
printf '[strata_test]\nhost=%s\nport=%s\ndbname=%s\nuser=%s\n' "$PGHOST" "$PGPORT" "$PGDATABASE" \
    "$PGUSER" >"$TEST_TMPDIR/pg_service.conf"
PGSERVICEFILE="$TEST_TMPDIR/pg_service.conf" run env -u PGHOST -u PGPORT -u PGDATABASE \
    "$PGSTRATA" -d service=strata_test ls
is "$RUN_RC" 0 "connects through a service file (-d service=...)"
like "$RUN_OUT" 'public\.ev' "the service's database is the one read"
run env -u PGDATABASE "$PGSTRATA" -d "host=$PGHOST port=$PGPORT dbname=$PGDATABASE" ls
is "$RUN_RC" 0 "connects with a conninfo string"
run env -u PGHOST -u PGPORT -u PGDATABASE "$PGSTRATA" \
    -d "postgresql:///$PGDATABASE?host=$PGHOST&port=$PGPORT" ls
is "$RUN_RC" 0 "connects with a URI"
run env -u PGDATABASE "$PGSTRATA" -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" ls
is "$RUN_RC" 0 "connects with -h -p -U -d"
run "$PGSTRATA" -d "dbname=no_such_db" ls
is "$RUN_RC" 3 "a database that does not exist: exit 3"
like "$RUN_ERR" '^pgstrata: error: could not connect: .*"no_such_db" does not exist' \
    "the connection error says what failed"

# The session as the server sees it: application_name and an empty search_path.
q "create table probe_seen (app text, path text)" >/dev/null
q "create function public.seen() returns event_trigger language plpgsql as \$\$
   begin insert into public.probe_seen select current_setting('application_name'),
   current_setting('search_path'); end \$\$" >/dev/null
q "create event trigger pgstrata_seen on ddl_command_end when tag in ('CREATE TABLE')
   execute function public.seen()" >/dev/null
run "$PGSTRATA" maintain --now '2026-05-12'
is "$RUN_RC" 0 "maintain under an event trigger"
is "$(q "select distinct app || '|' || path from probe_seen")" 'pgstrata|' \
    "the server saw application_name pgstrata and an empty search_path"
q "drop event trigger pgstrata_seen" >/dev/null

# Ctrl-C cancels the statement running on the server: hold the table's
# maintenance lock, make a second run wait for it, interrupt that run.
coproc HOLD { psql -X -q -A -t; }
echo "select pg_advisory_lock(1885827956, hashtext('public' || '.' || 'ev'));" >&"${HOLD[1]}"
echo "select 'held';" >&"${HOLD[1]}"
read -r -t 10 _ <&"${HOLD[0]}"
read -r -t 10 held <&"${HOLD[0]}"
is "$held" held "another session holds the maintenance lock"
"$PGSTRATA" maintain --wait --now '2026-05-12' >"$TEST_TMPDIR/int.out" 2>"$TEST_TMPDIR/int.err" &
pid=$!
for _ in $(seq 50); do
    [[ $(q "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'pgstrata'
            and wait_event = 'advisory'") == 1 ]] && break
    sleep 0.1
done
is "$(q "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'pgstrata' and wait_event = 'advisory'")" 1 \
    "the waiting run shows as application_name pgstrata, waiting on the advisory lock"
kill -INT "$pid"
wait "$pid"
rc=$?
isnt "$rc" 0 "the interrupted run exits non-zero"
like "$(cat "$TEST_TMPDIR/int.err")" 'canceled by Ctrl-C' "the error says the statement was cancelled"
# The backend ends when the client's connection closes; give it a moment.
for _ in $(seq 50); do
    [[ $(q "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'pgstrata'
            and state = 'active'") == 0 ]] && break
    sleep 0.1
done
is "$(q "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'pgstrata' and state = 'active'")" 0 \
    "nothing of the interrupted run is left running on the server"
echo '\q' >&"${HOLD[1]}"
wait "$HOLD_PID" 2>/dev/null

done_testing
