# shellcheck shell=bash
# reader.sh: a session holding a table the way a long report does (a transaction
# that has read it and stays open), for tests of lock waits. Needs assert.sh (q).

# wait_for_sleep APPNAME: until the session with that application_name is in
# its pg_sleep (5 s at most).
wait_for_sleep() {
    local i
    for i in $(seq 100); do
        [[ $(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1'
                 AND query LIKE '%pg_sleep%'") == 1 ]] && break
        sleep 0.05
    done
}

# reader_start APPNAME TABLE SECONDS [STDERR-FILE]: starts the reader in the
# background and returns once it holds TABLE; READER_PID is its process.
reader_start() {
    PGAPPNAME="$1" psql -X -q -c "BEGIN" -c "SELECT count(*) FROM $2" -c "SELECT pg_sleep($3)" \
        -c "COMMIT" >/dev/null 2>"${4:-/dev/null}" &
    READER_PID=$!
    wait_for_sleep "$1"
}
