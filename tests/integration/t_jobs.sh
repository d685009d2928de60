#!/usr/bin/env bash
# maintain --jobs: the tables of one pass shared among several sessions. The
# catalog must end exactly as after a one-session pass, every action audited once,
# a failing table must not stop the others, a crash of a worker must be recoverable,
# and bad values are usage errors.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"

NT=8
TABLES=()
for i in $(seq 1 $NT); do TABLES+=("$(printf "jt%02d" "$i")"); done

mk() {
    q "CREATE TABLE $1 (id bigserial, event_time timestamptz NOT NULL, payload text)
       PARTITION BY RANGE (event_time)" || return 1
    run "$PGSTRATA" create "$1" --column event_time --interval '1 day' --retention '5 days' \
        --now '2024-06-10 12:00' -q
    is "$RUN_RC" 0 "create $1" || diag "$RUN_ERR"
}

check_all() { # FROM TO LABEL
    local t bad=""
    for t in "${TABLES[@]}"; do
        [[ "$(parts "$t")" == "$(want_parts "$t" "$1" "$2")" ]] || bad+=" $t"
    done
    is "$bad" "" "$3: every table has exactly the partitions $1 .. $2"
    is "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE 'jt%\\_p%' AND relkind = 'r'
              AND NOT relispartition")" 0 "$3: no standalone leftover tables"
    is "$(q "SELECT count(*) FROM pgstrata.pending")" 0 "$3: pgstrata.pending empty"
    is "$(q "SELECT count(*) FROM pgstrata.retired")" 0 "$3: pgstrata.retired empty"
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"
for t in "${TABLES[@]}"; do mk "$t"; done

# ---- bad values -----------------------------------------------------------------
for bad in 0 65 -1 two 1.5 ''; do
    run "$PGSTRATA" maintain --jobs "$bad"
    is "$RUN_RC" 2 "--jobs '$bad' is a usage error"
    is "$RUN_ERR" "pgstrata: error: invalid --jobs \"$bad\": a whole number from 1 to 64
Try \"pgstrata --help\" for more information." "--jobs '$bad': the message"
done
run "$PGSTRATA" plan --jobs 2
is "$RUN_RC" 2 "plan does not take --jobs"

# ---- two sessions: create ahead and retire, same result as one session ----------
# At 06-20 12:00: premake 4 -> up to 06-24; retention 5 days -> from 06-15.
audit0=$(q "SELECT count(*) FROM pgstrata.audit")
run "$PGSTRATA" maintain --jobs 2 --now '2024-06-20 12:00'
is "$RUN_RC" 0 "maintain --jobs 2 exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$RUN_ERR" "" "maintain --jobs 2: nothing on stderr"
like "$RUN_OUT" "maintained $NT tables: [0-9]+ actions done, 0 failed, 0 skipped" \
    "maintain --jobs 2: the summary counts every worker's actions"
check_all 2024-06-15 2024-06-24 "jobs 2"
done_ok=$(grep -o '[0-9]* actions done' <<<"$RUN_OUT" | cut -d' ' -f1)
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE outcome = 'ok'") " "$((audit0 + done_ok)) " \
    "one audit row per action done"
is "$(q "SELECT count(*) FROM (SELECT target, action FROM pgstrata.audit
          GROUP BY 1, 2, run_id HAVING count(*) > 1) d")" 0 "no action audited twice"
# The output keeps each table's lines in order: the attach of a partition after its create.
bad_order=$(awk '$1 == "ok" { k[$3 " " $2] = NR } END {
    for (x in k) { split(x, a, " "); if (a[2] == "create" && k[a[1] " attach"] < k[x]) print a[1] } }' \
    <<<"$RUN_OUT")
is "$bad_order" "" "every attach is printed after its create"
is "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgstrata'
          AND datname = current_database()")" 0 "no pgstrata session is left behind"

# ---- more jobs than tables, and a failing table among them ---------------------
# A table pgstrata did not make holds the name of jt03's next partition: jt03 fails.
q "CREATE TABLE jt03_p20240625 (LIKE jt03)"
run "$PGSTRATA" maintain --jobs 64 --now '2024-06-21 12:00'
is "$RUN_RC" 1 "maintain --jobs 64 with one failing table exits 1"
like "$RUN_ERR" "public.jt03" "the failure names jt03"
like "$RUN_OUT" "maintained \\(with failures\\) $NT tables: [0-9]+ actions done, 1 failed" \
    "the others were maintained"
t_ok=""
for t in "${TABLES[@]}"; do
    [[ $t == jt03 ]] && continue
    [[ "$(parts "$t")" == "$(want_parts "$t" 2024-06-16 2024-06-25)" ]] || t_ok+=" $t"
done
is "$t_ok" "" "every other table is maintained"
q "DROP TABLE jt03_p20240625"
run "$PGSTRATA" maintain --jobs 2 --now '2024-06-21 12:00'
is "$RUN_RC" 0 "after the blocker is gone, the next pass exits 0"
check_all 2024-06-16 2024-06-25 "after the failure"

# ---- a worker killed in the middle of a table: the next pass recovers ----------
PGSTRATA_FAILPOINT=attach:after-commit run "$PGSTRATA" maintain --jobs 2 --now '2024-06-23 12:00'
isnt "$RUN_RC" 0 "a crashing worker makes the pass fail"
like "$RUN_ERR" "failpoint attach:after-commit reached" "the crash is the failpoint's"
run "$PGSTRATA" maintain --jobs 2 --now '2024-06-23 12:00'
is "$RUN_RC" 0 "the next pass exits 0" || diag "$RUN_OUT" "$RUN_ERR"
check_all 2024-06-18 2024-06-27 "after a worker crash"

done_testing
