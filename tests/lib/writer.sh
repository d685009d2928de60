# shellcheck shell=bash
# writer.sh: the application for the migrate tests: a writer running beside
# pgstrata, and row-for-row comparisons. Needs assert.sh (for q).
#
#   writer_start TABLE TRUTH MOVABLE   one transaction after another until
#                                      writer_stop: an insert, an update that
#                                      moves a row's key (created_at) one day
#                                      later where the SQL condition MOVABLE
#                                      holds, and a delete. Every change is made
#                                      to TABLE and, in the same transaction, to
#                                      TRUTH: a plain table that starts as a copy
#                                      of TABLE (truth_copy), so that at any time
#                                      TRUTH holds what TABLE must hold, written
#                                      without pgstrata in the way.
#   writer_stop                        waits for the transaction under way
#   writer_ok / writer_failed          transactions committed / failed so far
#   writer_errors                      what the failed ones said
#   truth_copy TABLE TRUTH             CREATE TABLE TRUTH AS TABLE TABLE
#   rows_differ A B                    rows of A not in B plus rows of B not in A
#                                      (EXCEPT ALL: a duplicate counts)
#
# The tables have the columns (id bigserial, created_at timestamptz, payload
# text); new keys are 2024-03-01 plus up to 59 days; the rows updated and
# deleted are picked at random, half the time among the newest. A file under
# TEST_TMPDIR tells the loop to stop, so only the loop's own psql is waited for.

WRITER_PID=""

_writer_txn() { # TABLE TRUTH MOVABLE: the SQL of one transaction
    local t=$1 truth=$2 movable=$3 x
    local at="'2024-03-01'::timestamptz + interval '$((RANDOM % 59)) days $((RANDOM % 86400)) seconds'"
    # the rows updated and deleted: half the time one of the last 100 inserted
    echo "SELECT nextval(pg_get_serial_sequence('$t', 'id')) AS id \\gset"
    echo "SELECT CASE WHEN random() < 0.5 THEN :id - floor(random() * 100)
                 ELSE 1 + floor(random() * :id) END::bigint AS up,
                 CASE WHEN random() < 0.5 THEN :id - floor(random() * 100)
                 ELSE 1 + floor(random() * :id) END::bigint AS del \\gset"
    for x in "$t" "$truth"; do
        echo "INSERT INTO $x (id, created_at, payload) VALUES (:id, $at, 'new');"
        echo "UPDATE $x SET payload = 'moved', created_at = created_at + interval '1 day'
               WHERE id = :up AND $movable;"
        echo "DELETE FROM $x WHERE id = :del;"
    done
}

writer_start() {
    local t=$1 truth=$2 movable=$3
    rm -f "$TEST_TMPDIR/writer.stop"
    touch "$TEST_TMPDIR/writer.ok" "$TEST_TMPDIR/writer.fail"
    (
        while [[ ! -f "$TEST_TMPDIR/writer.stop" ]]; do
            if _writer_txn "$t" "$truth" "$movable" |
                psql -X -q -1 -v ON_ERROR_STOP=1 -f - >/dev/null 2>>"$TEST_TMPDIR/writer.err"; then
                echo >>"$TEST_TMPDIR/writer.ok"
            else
                echo >>"$TEST_TMPDIR/writer.fail"
                sleep 0.1 # the server may be restarting
            fi
        done
    ) &
    WRITER_PID=$!
}

writer_stop() {
    [[ -n "$WRITER_PID" ]] || return 0
    touch "$TEST_TMPDIR/writer.stop"
    wait "$WRITER_PID" 2>/dev/null
    WRITER_PID=""
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
    q "DROP TABLE IF EXISTS $2; CREATE TABLE $2 AS TABLE $1" >/dev/null
}

rows_differ() {
    q "SELECT (SELECT count(*) FROM (TABLE $1 EXCEPT ALL TABLE $2) a)
            + (SELECT count(*) FROM (TABLE $2 EXCEPT ALL TABLE $1) b)"
}
