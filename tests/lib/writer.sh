# shellcheck shell=bash
# writer.sh: the application for the migrate tests: writers running beside
# pgstrata, and row-for-row comparisons. Needs assert.sh (for q).
#
#   writer_start TABLE TRUTH MOVABLE   WRITERS sessions (default 2), each running
#                                      one transaction after another until
#                                      writer_stop: a read (as an application
#                                      loading rows before saving them does),
#                                      then an update that moves a row's key
#                                      (created_at) one day later where the SQL
#                                      condition MOVABLE holds, an insert and a
#                                      delete. Every change
#                                      is made to TABLE and, in the same
#                                      transaction, to TRUTH: a plain table that
#                                      starts as a copy of TABLE (truth_copy), so
#                                      that TRUTH holds what TABLE must hold,
#                                      written without pgstrata in the way.
#   writer_stop                        waits for the transactions under way
#   writer_ok / writer_failed          transactions committed / failed so far
#   writer_errors                      what the failed ones said
#   writer_wait [N]                    until N (5) more have committed
#   truth_copy TABLE TRUTH             CREATE TABLE TRUTH AS TABLE TABLE
#   rows_differ A B                    rows of A not in B plus rows of B not in A
#                                      (EXCEPT ALL: a duplicate counts)
#
# The tables have the columns (id bigserial, created_at timestamptz, payload
# text); new keys are 2024-03-01 plus up to 59 days; the rows updated and
# deleted are picked at random, half the time among the newest, each session
# among its own ids (id modulo WRITERS), so that two sessions never race for a
# row (a key-moving update of a partitioned table makes the other session's
# update of that row fail, which is PostgreSQL's doing, not pgstrata's). A file
# under TEST_TMPDIR tells the loops to stop, so only their own psql is waited for.

WRITERS=${WRITERS:-2}
WRITER_PIDS=()

_writer_txn() { # TABLE TRUTH MOVABLE K: the SQL of one transaction of session K
    local t=$1 truth=$2 movable=$3 k=$4 x
    local at="'2024-03-01'::timestamptz + interval '$((RANDOM % 59)) days $((RANDOM % 86400)) seconds'"
    local pick="CASE WHEN random() < 0.5 THEN :top - floor(random() * 100)
                ELSE 1 + floor(random() * :top) END::bigint / $WRITERS * $WRITERS + $k"
    # a read first (the rows to change), a pause, then the writes: the sequence
    # is drawn from last, after the table is written
    echo "SELECT coalesce(max(id), 0) AS top FROM $t \\gset"
    echo "SELECT $pick AS up, $pick AS del, pg_sleep(0.01) \\gset"
    for x in "$t" "$truth"; do
        echo "UPDATE $x SET payload = 'moved', created_at = created_at + interval '1 day'
               WHERE id = :up AND $movable;"
    done
    echo "SELECT nextval(pg_get_serial_sequence('$t', 'id')) AS id \\gset"
    for x in "$t" "$truth"; do
        echo "INSERT INTO $x (id, created_at, payload) VALUES (:id, $at, 'new');"
        echo "DELETE FROM $x WHERE id = :del;"
    done
}

writer_start() {
    local t=$1 truth=$2 movable=$3 k
    rm -f "$TEST_TMPDIR/writer.stop"
    touch "$TEST_TMPDIR/writer.ok" "$TEST_TMPDIR/writer.fail"
    for ((k = 0; k < WRITERS; k++)); do
        (
            while [[ ! -f "$TEST_TMPDIR/writer.stop" ]]; do
                if _writer_txn "$t" "$truth" "$movable" "$k" |
                    psql -X -q -1 -v ON_ERROR_STOP=1 -f - >/dev/null 2>>"$TEST_TMPDIR/writer.err"; then
                    echo >>"$TEST_TMPDIR/writer.ok"
                else
                    echo >>"$TEST_TMPDIR/writer.fail"
                    sleep 0.1 # the server may be restarting
                fi
            done
        ) &
        WRITER_PIDS+=($!)
    done
}

writer_stop() {
    ((${#WRITER_PIDS[@]} > 0)) || return 0
    touch "$TEST_TMPDIR/writer.stop"
    wait "${WRITER_PIDS[@]}" 2>/dev/null
    WRITER_PIDS=()
}

writer_ok() { wc -l <"$TEST_TMPDIR/writer.ok"; }
writer_failed() { wc -l <"$TEST_TMPDIR/writer.fail"; }
writer_errors() { cat "$TEST_TMPDIR/writer.err" 2>/dev/null; }

# Waits until the writer has committed N more transactions (at most 30 s).
writer_wait() {
    local want=$(($(writer_ok) + ${1:-5})) i
    for ((i = 0; i < 300; i++)); do
        (($(writer_ok) >= want)) && return 0
        sleep 0.1
    done
    return 1
}

truth_copy() {
    q "SET client_min_messages = warning; DROP TABLE IF EXISTS $2; CREATE TABLE $2 AS TABLE $1" >/dev/null
}

rows_differ() {
    q "SELECT (SELECT count(*) FROM (TABLE $1 EXCEPT ALL TABLE $2) a)
            + (SELECT count(*) FROM (TABLE $2 EXCEPT ALL TABLE $1) b)"
}
