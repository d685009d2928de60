#!/usr/bin/env bash
# A table with a DEFAULT partition: ls reports it; rows in the default for a
# range maintain must create are moved into the new partition (within
# --move-default-max-rows, else a clear error and nothing changed); retention
# falls back to plain DETACH and still works.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"

# Expected parts() lines for daily partitions FROM..TO, plus the default one.
want_parts() {
    q "SELECT x FROM (
         SELECT '$1_p' || to_char(d, 'YYYYMMDD') || ' ' ||
                format('FOR VALUES FROM (%L) TO (%L)', d::timestamptz, (d + 1)::timestamptz) AS x
           FROM (SELECT g::date AS d FROM generate_series(date '$2', date '$3', interval '1 day') g) s
         UNION ALL SELECT '$1_default DEFAULT') u ORDER BY 1"
}

exists() { q "SELECT to_regclass('$1') IS NOT NULL"; }

count_in() { # TABLE FROM TO: rows of TABLE (ONLY) with FROM <= event_time < TO
    q "SELECT count(*) FROM ONLY $1 WHERE event_time >= '$2+00' AND event_time < '$3+00'"
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

q "CREATE TABLE dt (id bigserial, event_time timestamptz NOT NULL, payload text)
   PARTITION BY RANGE (event_time)"
q "CREATE TABLE dt_default PARTITION OF dt DEFAULT"
run "$PGSTRATA" create dt --column event_time --interval '1 day' --now '2024-06-10 12:00' -q
is "$RUN_RC" 0 "create on a table with a default partition" || diag "$RUN_ERR"
is "$(parts dt)" "$(want_parts dt 2024-06-10 2024-06-14)" "partitions 06-10 .. 06-14 and the default"

# ---- ls --------------------------------------------------------------------
run "$PGSTRATA" ls dt --now '2024-06-10 12:00'
is "$RUN_RC" 0 "ls dt"
like "$RUN_OUT" "and a default partition" "ls dt: the summary mentions the default partition"
like "$RUN_OUT" $'\n''dt_default +- +- +default ' "ls dt: dt_default is listed with state default"
run "$PGSTRATA" ls dt --json --now '2024-06-10 12:00'
like "$RUN_OUT" '"has_default":[[:space:]]*true' "ls --json: has_default is true"
like "$RUN_OUT" '"name":[[:space:]]*"dt_default"' "ls --json: lists dt_default"
run "$PGSTRATA" ls --now '2024-06-10 12:00'
like "$RUN_OUT" "default" "ls (all tables) has a default column"
like "$RUN_OUT" "public\.dt .* ~?0 rows" "ls (all tables): the default partition of dt holds 0 rows"

# ---- rows in the default for a day maintain must create: moved ----------------
q "INSERT INTO dt (event_time, payload)
   SELECT '2024-06-11 10:00+00'::timestamptz + i * interval '1 minute', 'in p0611' FROM generate_series(1, 4) i"
q "INSERT INTO dt (event_time, payload)
   SELECT '2024-06-16 10:00+00'::timestamptz + i * interval '1 minute', 'future' FROM generate_series(1, 5) i"
q "INSERT INTO dt (event_time, payload)
   SELECT '2024-06-25 10:00+00'::timestamptz + i * interval '1 minute', 'far' FROM generate_series(1, 3) i"
is "$(q "SELECT count(*) FROM ONLY dt_default")" 8 "8 rows sit in the default partition"
total=$(q "SELECT count(*) FROM dt")
sum_before=$(q "SELECT sum(id) FROM dt")

run "$PGSTRATA" plan dt --now '2024-06-12 12:00'
like "$RUN_OUT" "move-default-rows +public.dt_p20240616" "plan: the rows of 06-16 are moved out of the default"

run "$PGSTRATA" maintain dt --now '2024-06-12 12:00'
is "$RUN_RC" 0 "maintain exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$RUN_ERR" "" "... nothing on stderr"
is "$(parts dt)" "$(want_parts dt 2024-06-10 2024-06-16)" "dt_p20240615 and dt_p20240616 are attached"
is "$(count_in dt_p20240616 '2024-06-16' '2024-06-17')" 5 "the 5 rows are now in dt_p20240616"
is "$(count_in dt_default '2024-06-16' '2024-06-17')" 0 "the default holds none of that day any more"
is "$(q "SELECT count(*) FROM ONLY dt_default")" 3 "the default keeps the 3 rows of 06-25"
is "$(q "SELECT count(*) FROM dt")" "$total" "total row count unchanged ($total)"
is "$(q "SELECT sum(id) FROM dt")" "$sum_before" "the very same rows (sum of ids unchanged)"
is "$(q "SELECT string_agg(DISTINCT payload, ',') FROM dt_p20240616")" "future" "payloads kept"
is "$(q "SELECT count(*) FROM pgstrata.pending")" 0 "pgstrata.pending empty"
is "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE 'dt\\_p%' AND relkind = 'r' AND NOT relispartition")" 0 \
    "no standalone leftover table"

# ---- too many rows to move: error, nothing changed ------------------------------
q "INSERT INTO dt (event_time, payload)
   SELECT '2024-06-18 10:00+00'::timestamptz + i * interval '1 second', 'many' FROM generate_series(1, 50) i"
total=$(q "SELECT count(*) FROM dt")
# At 06-15 12:00 the horizon is 06-20: 06-17, 06-18 (50 rows in the default) and 06-19 are wanted.
run "$PGSTRATA" maintain dt --now '2024-06-15 12:00' --move-default-max-rows 10
is "$RUN_RC" 1 "maintain with --move-default-max-rows 10 exits 1"
like "$RUN_ERR" "dt_default" "the error names the default partition"
like "$RUN_ERR" "(^|[^0-9])50 rows" "the error gives the row count (50)"
like "$RUN_ERR" "--move-default-max-rows" "the error says what to do (--move-default-max-rows)"
like "$RUN_ERR" "dt_p20240618" "the error names the partition it could not make"
is "$(count_in dt_default '2024-06-18' '2024-06-19')" 50 "the 50 rows are still in the default"
is "$(exists dt_p20240618)" f "no table for 06-18 was made"
is "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE 'dt\\_p%' AND relkind = 'r' AND NOT relispartition")" 0 \
    "no standalone leftover table"
is "$(q "SELECT count(*) FROM pgstrata.pending")" 0 "pgstrata.pending empty"
is "$(q "SELECT count(*) FROM dt")" "$total" "total row count unchanged"
is "$(q "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'dt'::regclass AND c.relname > 'dt_p20240618' AND c.relname LIKE 'dt\\_p%'")" 0 \
    "no partition after the missing one was attached (that would leave a gap)"

run "$PGSTRATA" maintain dt --now '2024-06-15 12:00' --move-default-max-rows 100
is "$RUN_RC" 0 "rerun with --move-default-max-rows 100 exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$RUN_ERR" "" "... nothing on stderr"
is "$(parts dt)" "$(want_parts dt 2024-06-10 2024-06-19)" "partitions through 06-19 are attached"
is "$(count_in dt_p20240618 '2024-06-18' '2024-06-19')" 50 "the 50 rows are in dt_p20240618"
is "$(count_in dt_default '2024-06-18' '2024-06-19')" 0 "... and not in the default"
is "$(q "SELECT count(*) FROM ONLY dt_default")" 3 "the default keeps only the 3 rows of 06-25"
is "$(q "SELECT count(*) FROM dt")" "$total" "total row count unchanged ($total)"

# ---- retention with a default partition: plain DETACH --------------------------
run "$PGSTRATA" policy set dt --retention '3 days'
is "$RUN_RC" 0 "policy set --retention '3 days'"
run "$PGSTRATA" plan dt --now '2024-06-15 12:00'
is "$RUN_RC" 0 "plan exits 0"
like "$RUN_OUT" "plain DETACH" "plan says plain DETACH"
like "$RUN_OUT" "default partition \(?public\.dt_default" "plan names the default partition as the reason"
like "$RUN_OUT" 'DETACH PARTITION "public"."dt_p20240610";' "the SQL is a plain DETACH"
unlike "$RUN_OUT" "CONCURRENTLY;" "no DETACH ... CONCURRENTLY"
run "$PGSTRATA" maintain dt --now '2024-06-15 12:00'
is "$RUN_RC" 0 "maintain with retention exits 0" || diag "$RUN_OUT" "$RUN_ERR"
is "$RUN_ERR" "" "... nothing on stderr"
is "$(exists dt_p20240610)" f "dt_p20240610 is dropped"
is "$(exists dt_p20240611)" f "dt_p20240611 is dropped"
is "$(parts dt)" "$(want_parts dt 2024-06-12 2024-06-19)" "06-12 .. 06-19 and the default remain"
is "$(q "SELECT count(*) FROM pgstrata.retired")" 0 "pgstrata.retired empty"
is "$(q "SELECT count(*) FROM ONLY dt_default")" 3 "the default partition keeps its rows"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'dt'::regclass AND inhdetachpending")" 0 \
    "no pending detach"

done_testing
