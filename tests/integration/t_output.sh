#!/usr/bin/env bash
# Output: plan --json, maintain --dry-run, ls (text and --json), ls over 10,000
# partitions, and maintain's exit code when one table of two fails.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"

# jsonq JSON QUERY: run QUERY (a SELECT) with doc(j) holding the JSON document, in the
# server (no jq needed); the SQL goes through stdin, so large documents are fine.
# Exits non-zero (psql's error on stderr) when the document is not JSON.
jsonq() {
    # shellcheck disable=SC2016 # dollar quotes are SQL, not shell
    printf 'WITH doc AS (SELECT $pgsj$%s$pgsj$::json AS j) %s;\n' "$1" "$2" |
        psql -X -A -t -q -v ON_ERROR_STOP=1 -f -
}

parses() { # JSON DESC
    local out
    out=$(jsonq "$1" "SELECT json_typeof(j) FROM doc" 2>&1)
    is "$out" object "$2"
}

ms_now() { date +%s%N | cut -c1-13; }

# Everything a dry run must leave alone.
state() {
    q "SELECT (SELECT coalesce(string_agg(c.relname || ' ' || i.inhparent::regclass || ' '
                                         || pg_get_expr(c.relpartbound, c.oid), E'\n' ORDER BY c.relname), '')
                 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid)
           || E'\n' || (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace) || ' relations'
           || E'\n' || (SELECT count(*) FROM pgstrata.audit) || ' audit rows'
           || E'\n' || (SELECT count(*) FROM pgstrata.pending) || ' pending, '
                    || (SELECT count(*) FROM pgstrata.retired) || ' retired'
           || E'\n' || (SELECT string_agg(concat_ws(' ', parent_table, updated_at, last_layout_change,
                                                    last_analyzed_at, last_maintained_at), E'\n' ORDER BY parent_table)
                          FROM pgstrata.policy)"
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

q "CREATE TABLE ev (k timestamptz NOT NULL, v int) PARTITION BY RANGE (k)
   ;CREATE TABLE ev2 (k timestamptz NOT NULL) PARTITION BY RANGE (k)
   ;CREATE TABLE dd (k timestamptz NOT NULL) PARTITION BY RANGE (k)
   ;CREATE TABLE df (n integer NOT NULL) PARTITION BY RANGE (n)
   ;CREATE TABLE df_default PARTITION OF df DEFAULT" || bail "setup"
run "$PGSTRATA" create ev --column k --interval '1 day' --retention '3 days' --now '2026-03-01' -q
is "$RUN_RC" 0 "create ev"
run "$PGSTRATA" create ev2 --column k --interval '1 day' --now '2026-03-01' -q
is "$RUN_RC" 0 "create ev2"
run "$PGSTRATA" create dd --column k --interval '1 day' --retention '2 days' --drop-delay '7 days' --now '2026-03-01' -q
is "$RUN_RC" 0 "create dd (drop mode with a drop delay)"
run "$PGSTRATA" create df --column n --interval 10 -q
is "$RUN_RC" 0 "create df (with a default partition)"

# ---- plan --json ---------------------------------------------------------------
run "$PGSTRATA" plan --now '2026-03-06' --json
is "$RUN_RC" 0 "plan --json exits 0"
is "$RUN_ERR" "" "plan --json: nothing on stderr"
parses "$RUN_OUT" "plan --json parses"
plan_json=$RUN_OUT
is "$(jsonq "$plan_json" "SELECT json_typeof(j->'actions') || ' ' || (j->>'errors') FROM doc")" "array 0" \
    "plan --json: an actions array, errors 0"
is "$(jsonq "$plan_json" "SELECT count(*) FROM doc, json_array_elements(j->'actions') a
                            WHERE json_typeof(a->'sql') <> 'array' OR coalesce(a->>'why', '') = ''
                               OR coalesce(a->>'table', '') = '' OR coalesce(a->>'kind', '') = ''")" 0 \
    "every action has table, kind, an sql array and why"
# Notes (kind note: dd's detached tables wait for their drop delay) run nothing.
is "$(jsonq "$plan_json" "SELECT count(*) FROM doc, json_array_elements(j->'actions') a
                            WHERE a->>'kind' <> 'note'
                              AND (json_array_length(a->'sql') = 0 OR coalesce(a->>'lock', '') = '')")" 0 \
    "every action that runs has SQL and says what it locks"
is "$(jsonq "$plan_json" "SELECT count(*) || ' ' || sum(json_array_length(a->'sql')) FROM doc, json_array_elements(j->'actions') a
                            WHERE a->>'kind' = 'note'")" "3 0" "the three notes carry no SQL"
is "$(jsonq "$plan_json" "SELECT count(*) FROM doc, json_array_elements(j->'actions') a,
                                 json_array_elements(a->'sql') s WHERE json_typeof(s) <> 'string'")" 0 \
    "every sql element is a string"
is "$(jsonq "$plan_json" "SELECT string_agg(kind || '=' || n, ',' ORDER BY kind) FROM (
                              SELECT a->>'kind' AS kind, count(*) AS n FROM doc, json_array_elements(j->'actions') a
                               WHERE a->>'table' = 'public.ev' GROUP BY 1) s")" \
    "analyze=1,attach=5,create=5,detach=2,drop=2" "plan for ev: 5 new days, 2 retired (Mar 1, 2), analyze"
is "$(jsonq "$plan_json" "SELECT a->>'sql' FROM doc, json_array_elements(j->'actions') a
                           WHERE a->>'kind' = 'detach' AND a->>'table' = 'public.ev' ORDER BY a->>'target' LIMIT 1")" \
    '["ALTER TABLE \"public\".\"ev\" DETACH PARTITION \"public\".\"ev_p20260301\" CONCURRENTLY"]' \
    "the detach action carries its exact SQL"
is "$(jsonq "$plan_json" "SELECT count(DISTINCT a->>'table') FROM doc, json_array_elements(j->'actions') a")" 3 \
    "actions for ev, ev2 and dd (df is up to date but for its statistics)" ||
    diag "$(jsonq "$plan_json" "SELECT string_agg(DISTINCT a->>'table', ',') FROM doc, json_array_elements(j->'actions') a")"

# ---- maintain --dry-run ----------------------------------------------------------
before=$(state)
run "$PGSTRATA" maintain --dry-run --now '2026-03-06'
is "$RUN_RC" 0 "maintain --dry-run exits 0"
is "$(head -n1 <<<"$RUN_OUT")" "dry run: nothing is changed; this is what maintain would do" \
    "maintain --dry-run says it is a dry run"
like "$RUN_OUT" 'ALTER TABLE "public"."ev" DETACH PARTITION "public"."ev_p20260301" CONCURRENTLY;' \
    "maintain --dry-run shows the SQL"
is "$(state)" "$before" "maintain --dry-run changes nothing in the catalog or pgstrata's tables"
run "$PGSTRATA" maintain --dry-run --now '2026-03-06' --json
is "$RUN_RC" 0 "maintain --dry-run --json exits 0"
parses "$RUN_OUT" "maintain --dry-run --json parses"
is "$(jsonq "$RUN_OUT" "SELECT json_array_length(j->'actions') FROM doc")" \
    "$(jsonq "$plan_json" "SELECT json_array_length(j->'actions') FROM doc")" "the dry run plans what plan plans"
is "$(state)" "$before" "maintain --dry-run --json changes nothing"
q "CREATE TABLE ev3 (k timestamptz NOT NULL) PARTITION BY RANGE (k)"
before=$(state)
run "$PGSTRATA" create ev3 --column k --interval '1 day' --now '2026-03-06' --dry-run
is "$RUN_RC" 0 "create --dry-run exits 0"
like "$RUN_OUT" '^dry run' "create --dry-run says it is a dry run"
is "$(state)" "$before" "create --dry-run registers nothing and creates nothing"
is "$(q "SELECT count(*) FROM pgstrata.policy WHERE parent_table = 'ev3'")" 0 "no policy for ev3"

# ---- maintain, then ls -------------------------------------------------------------
run "$PGSTRATA" maintain --now '2026-03-06' --json
is "$RUN_RC" 0 "maintain --json exits 0"
parses "$RUN_OUT" "maintain --json parses"
is "$(jsonq "$RUN_OUT" "SELECT concat_ws(' ', j->>'tables', j->>'failed', j->>'skipped_tables',
                                          (j->>'ok')::int = (SELECT count(*) FROM json_array_elements(j->'plan'->'actions') a
                                                             WHERE a->>'kind' <> 'note')) FROM doc")" \
    "4 0 0 t" "maintain --json: 4 tables, no failure, every action done"

run "$PGSTRATA" ls --json --now '2026-03-06'
is "$RUN_RC" 0 "ls --json exits 0"
parses "$RUN_OUT" "ls --json parses"
ls_json=$RUN_OUT
is "$(jsonq "$ls_json" "SELECT string_agg(t->>'table' || '=' || (t->>'partitions'), ',' ORDER BY t->>'table')
                         FROM doc, json_array_elements(j->'tables') t")" \
    "$(q "SELECT string_agg(relname || '=' || (SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                                               WHERE i.inhparent = p.oid AND NOT c.relname LIKE '%default'), ',' ORDER BY relname)
          FROM pg_class p WHERE relname IN ('ev', 'ev2', 'dd', 'df')")" \
    "ls --json: each table's partition count matches the catalog"
is "$(jsonq "$ls_json" "SELECT concat_ws(' ', t->>'partitions', t->>'detached', t->>'pending_detach', t->>'oldest', t->>'newest', t->>'coverage_ahead')
                         FROM doc, json_array_elements(j->'tables') t WHERE t->>'table' = 'dd'")" \
    "7 3 0 2026-03-04 00:00:00 2026-03-11 00:00:00 5 days 00:00:00" \
    "ls --json, dd: 7 attached, 3 detached awaiting drop, range and coverage"
is "$(jsonq "$ls_json" "SELECT concat_ws(' ', t->>'has_default', t->>'partitions') FROM doc, json_array_elements(j->'tables') t
                         WHERE t->>'table' = 'df'")" "true 5" "ls --json, df: has a default partition"

run "$PGSTRATA" ls dd --json --now '2026-03-06'
is "$RUN_RC" 0 "ls dd --json exits 0"
parses "$RUN_OUT" "ls dd --json parses"
is "$(jsonq "$RUN_OUT" "SELECT string_agg(state || '=' || n, ',' ORDER BY state) FROM (
                            SELECT p->>'state' AS state, count(*) AS n
                              FROM doc, json_array_elements(j->'partitions') p GROUP BY 1) s")" \
    "attached=7,detached, awaiting drop=3" "ls dd --json: states"
is "$(jsonq "$RUN_OUT" "SELECT string_agg(p->>'name' || ':' || (p->>'state'), ',' ORDER BY p->>'lower')
                         FROM doc, json_array_elements(j->'partitions') p WHERE p->>'state' <> 'attached'")" \
    "dd_p20260301:detached, awaiting drop,dd_p20260302:detached, awaiting drop,dd_p20260303:detached, awaiting drop" \
    "ls dd --json: the three retired days await their drop"
is "$(q "SELECT count(*) FROM pg_class WHERE relname IN ('dd_p20260301', 'dd_p20260302', 'dd_p20260303') AND NOT relispartition")" 3 \
    "the catalog agrees: three detached tables"
is "$(jsonq "$RUN_OUT" "SELECT json_array_length(j->'partitions') FROM doc")" 10 "ls dd --json: 10 rows"

run "$PGSTRATA" ls df --json
is "$RUN_RC" 0 "ls df --json exits 0"
is "$(jsonq "$RUN_OUT" "SELECT string_agg(p->>'name' || ':' || (p->>'state'), ',' ORDER BY p->>'name')
                         FROM doc, json_array_elements(j->'partitions') p WHERE p->>'state' <> 'attached'")" \
    "df_default:default" "ls df --json: the default partition"
is "$(jsonq "$RUN_OUT" "SELECT json_array_length(j->'partitions') FROM doc")" 6 "ls df --json: 5 ranges + default"

run "$PGSTRATA" ls ev --now '2026-03-06'
is "$RUN_RC" 0 "ls ev (text)"
like "$RUN_OUT" $'(^|\n)partitions: 8\n' "ls ev: 8 partitions (Mar 4 .. Mar 11)"
is "$(grep -c '^ev_p2026' <<<"$RUN_OUT")" 8 "ls ev: one line per partition"
run "$PGSTRATA" ls --now '2026-03-06'
is "$RUN_RC" 0 "ls (text)"
is "$(grep -cE '^public\.(ev|ev2|dd|df) ' <<<"$RUN_OUT")" 4 "ls: one line per managed table"

# ---- maintain exits 1 when one of two tables fails; the other is still maintained ----
q "CREATE TABLE fa (k timestamptz NOT NULL) PARTITION BY RANGE (k)
   ;CREATE TABLE fb (k timestamptz NOT NULL) PARTITION BY RANGE (k)"
run "$PGSTRATA" create fa --column k --interval '1 day' --now '2026-04-01' -q
is "$RUN_RC" 0 "create fa"
run "$PGSTRATA" create fb --column k --interval '1 day' --now '2026-04-01' -q
is "$RUN_RC" 0 "create fb"
# An unrelated table holds the name of fa's partition for Apr 7.
q "CREATE TABLE fa_p20260407 (note text); INSERT INTO fa_p20260407 VALUES ('not yours')"
run "$PGSTRATA" plan fa fb --now '2026-04-05' --json
is "$RUN_RC" 1 "plan with an unplannable table exits 1"
parses "$RUN_OUT" "plan --json with an error still parses"
is "$(jsonq "$RUN_OUT" "SELECT j->>'errors' FROM doc")" 1 "plan --json counts the error"
is "$RUN_ERR" "pgstrata: error: public.fa: cannot create the partition for [2026-04-07 00:00:00, 2026-04-08 00:00:00): a relation named public.fa_p20260407 already exists and pgstrata did not make it; rename or drop it, then run maintain again" \
    "plan --json names the problem on stderr"
run "$PGSTRATA" maintain fa fb --now '2026-04-05'
is "$RUN_RC" 1 "maintain exits 1 when one table fails"
is "$RUN_ERR" "pgstrata: error: public.fa: cannot create the partition for [2026-04-07 00:00:00, 2026-04-08 00:00:00): a relation named public.fa_p20260407 already exists and pgstrata did not make it; rename or drop it, then run maintain again" \
    "maintain: the error names the table, the range and the name in the way"
like "$RUN_OUT" 'maintained \(with failures\) 2 tables: .* 1 failed' "maintain summary counts the failure"
is "$(q "SELECT max(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'fb'::regclass")" \
    "fb_p20260409" "fb was maintained: Apr 5 + 4 ahead"
is "$(q "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'fa'::regclass AND c.relname > 'fa_p20260405'")" "fa_p20260406" \
    "fa got what comes before the blocked name, and nothing after it (no gap)"
is "$(q "SELECT relispartition || ' ' || (SELECT note FROM fa_p20260407) FROM pg_class WHERE relname = 'fa_p20260407'")" \
    "false not yours" "the unrelated table is untouched"
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE outcome = 'failed' AND parent LIKE '%fa%'")" 1 \
    "the audit records the failure for fa"
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE outcome = 'failed' AND parent LIKE '%fb%'")" 0 "and none for fb"

# ---- ls over 10,000 partitions -----------------------------------------------------
# Building 10,000 partitions with CREATE TABLE ... PARTITION OF one after the other
# costs O(n^2) in PostgreSQL (every new partition rebuilds the parent's partition
# descriptor): about three minutes. So the partitions are made under 100 scratch
# parents of 100 each, which PostgreSQL does in seconds with real relpartbound,
# pg_depend and attribute rows, and then moved under big by rewriting inhparent in
# pg_inherits and the matching pg_depend rows (we are superuser on a throwaway
# cluster). Tuple routing below proves that PostgreSQL reads the result as a normal
# partitioned table.
N_GROUPS=100
PER_GROUP=100
t0=$(ms_now)
q "CREATE TABLE big (k integer NOT NULL, v text) PARTITION BY RANGE (k)" || bail "create big"
q "DO \$\$
   DECLARE g int; i int;
   BEGIN
     FOR g IN 0..$((N_GROUPS - 1)) LOOP
       EXECUTE format('CREATE TABLE big_scratch_%s (k integer NOT NULL, v text) PARTITION BY RANGE (k)', g);
       FOR i IN g * $PER_GROUP .. g * $PER_GROUP + $((PER_GROUP - 1)) LOOP
         EXECUTE format('CREATE TABLE big_p%s PARTITION OF big_scratch_%s FOR VALUES FROM (%s) TO (%s)',
                        i * 10, g, i * 10, i * 10 + 10);
       END LOOP;
     END LOOP;
   END \$\$" || bail "scratch partitions"
q "BEGIN;
   UPDATE pg_catalog.pg_depend d SET refobjid = 'big'::regclass
     FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
    WHERE p.relname LIKE 'big\\_scratch\\_%' AND d.classid = 'pg_class'::regclass AND d.objid = i.inhrelid
      AND d.refclassid = 'pg_class'::regclass AND d.refobjid = i.inhparent;
   UPDATE pg_catalog.pg_inherits i SET inhparent = 'big'::regclass
     FROM pg_catalog.pg_class p WHERE p.oid = i.inhparent AND p.relname LIKE 'big\\_scratch\\_%';
   UPDATE pg_catalog.pg_class SET relhassubclass = true WHERE oid = 'big'::regclass;
   COMMIT" || bail "moving the partitions under big"
q "DO \$\$ BEGIN FOR g IN 0..$((N_GROUPS - 1)) LOOP EXECUTE format('DROP TABLE big_scratch_%s', g); END LOOP; END \$\$" ||
    bail "dropping the scratch parents"
diag "10,000 partitions built in $(($(ms_now) - t0)) ms"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'big'::regclass")" 10000 "big has 10,000 partitions"
is "$(q "INSERT INTO big VALUES (5, 'x'), (54321, 'y') RETURNING tableoid::regclass" | paste -sd,)" \
    "big_p0,big_p54320" "PostgreSQL routes rows into the partitions"
is "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE 'big\\_scratch\\_%'")" 0 "no scratch parent left"
# Statistics, as a table in use would have them. (Without them, pgstrata's
# "SELECT max(k) FROM big" takes over 10 s to execute here, twice in create.)
q "ANALYZE big"

t0=$(ms_now)
run "$PGSTRATA" create big --column k --interval 10 -q
is "$RUN_RC" 0 "create a policy over the 10,000 partitions" || diag "$RUN_ERR"
diag "create over 10,000 partitions: $(($(ms_now) - t0)) ms"

# Is the binary under test an ASan build? Then allow 3 s, else the 1 s goal.
if grep -qa '__asan_init' "$PGSTRATA"; then limit=3000; kind=ASan; else limit=1000; kind=release; fi
best=999999
times=()
for _ in 1 2 3; do
    t0=$(ms_now)
    run "$PGSTRATA" ls big
    t1=$(ms_now)
    times+=("$((t1 - t0))")
    ((t1 - t0 < best)) && best=$((t1 - t0))
done
diag "ls big over 10,000 partitions ($kind build): ${times[*]} ms, best $best ms"
is "$RUN_RC" 0 "ls big exits 0"
like "$RUN_OUT" $'(^|\n)partitions: 10000\n' "ls big: 10000 partitions"
is "$(grep -c '^big_p' <<<"$RUN_OUT")" 10000 "ls big: 10000 lines"
ok "$((best < limit ? 0 : 1))" "ls of a table with 10,000 partitions takes < $limit ms ($kind build; best of 3: $best ms)"

t0=$(ms_now)
run "$PGSTRATA" ls big --json
t1=$(ms_now)
diag "ls big --json: $((t1 - t0)) ms"
is "$RUN_RC" 0 "ls big --json exits 0"
is "$(jsonq "$RUN_OUT" "SELECT json_array_length(j->'partitions') || ' ' || (j->'table'->>'partitions') FROM doc")" \
    "10000 10000" "ls big --json: 10000 partitions"

t0=$(ms_now)
run "$PGSTRATA" ls
t1=$(ms_now)
diag "ls (all tables, big included): $((t1 - t0)) ms"
is "$RUN_RC" 0 "ls of every table exits 0"
like "$RUN_OUT" $'\npublic\\.big +k integer +10 +10000 ' "ls: big with 10000 partitions"

done_testing
