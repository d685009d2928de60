#!/usr/bin/env bash
# migrate plan: the new layout, the estimates and every blocker, warning and
# info of re-laying a live table out, for plain tables, declarative partitioned
# tables and legacy inheritance sets; bad input; and that nothing in the
# database changes, whatever the case.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"

TRY='Try "pgstrata --help" for more information.'

# jsonq JSON QUERY: run QUERY (a SELECT) with doc(j) holding the JSON document, in the
# server (no jq needed); the SQL goes through stdin, so large documents are fine.
jsonq() {
    # shellcheck disable=SC2016 # dollar quotes are SQL, not shell
    printf 'WITH doc AS (SELECT $pgsj$%s$pgsj$::json AS j) %s;\n' "$1" "$2" |
        psql -X -A -t -q -v ON_ERROR_STOP=1 -f -
}

# The findings of a JSON plan, one "severity what accept" a line, sorted.
findings() {
    jsonq "$1" "SELECT string_agg(line, E'\n' ORDER BY line)
                  FROM (SELECT (f->>'severity') || ' ' || (f->>'what') || ' ' || coalesce(f->>'accept', '-')
                          FROM doc, json_array_elements(j->'findings') f) s(line)"
}

# A fingerprint of everything migrate plan could change: every relation (name,
# kind, schema), partitions, triggers, constraints, functions, policies,
# publications, grants and owners, and the rows of every table outside the
# system schemas (pgstrata's own included).
state() {
    q "SELECT concat_ws(' | ',
         (SELECT count(*) || ':' || md5(string_agg(c.relname || '/' || c.relkind::text || '/' || c.relnamespace
                 || '/' || c.relowner || '/' || coalesce(c.relacl::text, '') || '/' || c.relrowsecurity,
                 ',' ORDER BY c.oid)) FROM pg_class c),
         (SELECT count(*) FROM pg_inherits), (SELECT count(*) FROM pg_trigger),
         (SELECT count(*) FROM pg_constraint), (SELECT count(*) FROM pg_proc),
         (SELECT count(*) FROM pg_policy), (SELECT count(*) FROM pg_publication_rel),
         (SELECT count(*) FROM pg_namespace),
         (SELECT string_agg(n.nspname || '.' || c.relname || '=' ||
                 (xpath('/row/n/text()', query_to_xml(format(
                     'SELECT md5(coalesce(string_agg(t::text, '','' ORDER BY t::text), '''')) AS n FROM %I.%I t',
                     n.nspname, c.relname), false, true, '')))[1]::text, ',' ORDER BY n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname NOT LIKE 'pg\_%'))"
}

# mplan DESC ARGS...: runs migrate plan ARGS, and checks that nothing changed.
mplan() {
    local desc=$1 before
    shift
    before=$(state)
    run "$PGSTRATA" migrate plan "$@"
    is "$(state)" "$before" "$desc: nothing changed"
}

# refused WANT_RC WANT_STDERR DESC -- ARGS...: exact stderr, nothing changed.
refused() {
    local rc=$1 err=$2 desc=$3
    shift 4
    mplan "$desc" "$@"
    is "$RUN_RC" "$rc" "$desc: exit $rc"
    is "$RUN_ERR" "$err" "$desc: message"
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

# ---- a plain table: serial primary key, 60 days of data ----------------------------
q "CREATE TABLE events (id serial PRIMARY KEY, created_at timestamptz NOT NULL, payload text)
   ;INSERT INTO events (created_at, payload)
    SELECT timestamptz '2026-01-01 00:00+00' + g * interval '1 hour', repeat('x', 50)
      FROM generate_series(0, 60 * 24 - 1) g
   ;CREATE VIEW events_recent AS SELECT * FROM events WHERE created_at > '2026-02-01'
   ;CREATE MATERIALIZED VIEW events_daily AS SELECT created_at::date AS d, count(*) FROM events GROUP BY 1
   ;CREATE FUNCTION events_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM public.events'
   ;CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'
   ;CREATE TRIGGER events_touch BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION touch()
   ;ALTER TABLE events ENABLE ROW LEVEL SECURITY
   ;CREATE POLICY events_mine ON events USING (true)
   ;CREATE ROLE t_migrate_plan_reader
   ;GRANT SELECT ON events TO t_migrate_plan_reader
   ;CREATE PUBLICATION events_pub FOR TABLE events" 2>/dev/null || bail "setup of events failed"
# (without wal_level = logical the server warns about the publication, and keeps it)
# shellcheck disable=SC2317 # called by assert.sh on exit
teardown() {
    psql -X -q -c "DROP OWNED BY t_migrate_plan_reader; DROP ROLE IF EXISTS t_migrate_plan_reader" >/dev/null 2>&1
    dropdb --if-exists "${PGDATABASE}_noinit" 2>/dev/null
}

NOW=(--now '2026-03-01 12:00')
mplan "plain table" events --column created_at --interval '1 day' "${NOW[@]}"
is "$RUN_RC" 1 "plain table: exit 1 (a blocker)"
is "$RUN_ERR" "" "plain table: nothing on stderr"
like "$RUN_OUT" $'^source:     public\\.events, plain table, about 1440 rows' "plain table: header"
like "$RUN_OUT" $'\nidentity:   id integer\n' "plain table: identity is the primary key"
like "$RUN_OUT" $'\nkeys now:   2026-01-01 00:00:00 to 2026-03-01 23:00:00\n' "plain table: key range"
like "$RUN_OUT" $'\nnew layout: 64 partitions of 1 day, premake 4, from 2026-01-01 00:00:00 to 2026-03-06 00:00:00 \\(UTC\\)\n' \
    "plain table: 60 days of data and 4 days ahead"
like "$RUN_OUT" $'\nevents_p20260101  2026-01-01 00:00:00  2026-01-02 00:00:00         24 ' "plain table: first day, 24 rows"
like "$RUN_OUT" $'\nevents_p20260305  2026-03-05 00:00:00  2026-03-06 00:00:00          0 ' "plain table: last premade day, empty"
like "$RUN_OUT" $'\n  unique-scope: events_pkey \\(primary key\\)\n      unique \\(id\\) becomes unique \\(id, created_at\\): after the re-layout, two rows may share the same id if their created_at differ; the database no longer enforces id alone\n      \\(pass --accept unique-scope to go on\\)\n' \
    "plain table: the unique-scope blocker, in plain words"
like "$RUN_OUT" $'\n1 blocker left: migrate start would not go on; pass --accept unique-scope to go on$' \
    "plain table: the last line says what to pass"

mplan "plain table, accepted" events --column created_at --interval '1 day' "${NOW[@]}" --accept unique-scope
is "$RUN_RC" 0 "plain table, --accept unique-scope: exit 0"
like "$RUN_OUT" $'\n      \\(accepted with --accept unique-scope\\)\n' "plain table, accepted: says so"
like "$RUN_OUT" $'\n1 blocker, all accepted: migrate start would go on$' "plain table, accepted: last line"

mplan "plain table, quiet" events --column created_at --interval '1 day' "${NOW[@]}" -q
is "$RUN_OUT" "1 blocker left: migrate start would not go on; pass --accept unique-scope to go on" \
    "plain table, -q: the last line only"

mplan "plain table, JSON" events --column created_at --interval '1 day' "${NOW[@]}" --json
is "$RUN_RC" 1 "plain table, JSON: exit 1"
J=$RUN_OUT
if command -v python3 >/dev/null; then
    printf '%s' "$J" | python3 -c 'import json,sys; json.load(sys.stdin)'
    ok $? "plain table, JSON: python parses it"
fi
is "$(jsonq "$J" "SELECT concat_ws(' ', j->'source'->>'schema', j->'source'->>'table', j->>'kind',
                  j->'key'->>'column', j->'key'->>'type', j->'key'->>'nullable',
                  j->'identity'->'columns'->>0, j->'identity'->'types'->>0,
                  j->'layout'->>'interval', j->'layout'->>'premake', j->'layout'->>'time_zone',
                  j->'key_range'->>'min', j->'key_range'->>'max') FROM doc")" \
    "public events plain table created_at timestamptz false id integer 1 day 4 UTC 2026-01-01 00:00:00 2026-03-01 23:00:00" \
    "plain table, JSON: source, kind, key, identity, layout, key range"
is "$(jsonq "$J" "SELECT json_array_length(j->'partitions') || ' ' || (j->'partitions'->0->>'name') || ' '
                  || (j->'partitions'->63->>'name') || ' ' || (j->'partitions'->0->>'lower') || ' '
                  || (j->'partitions'->0->>'upper') FROM doc")" \
    "64 events_p20260101 events_p20260305 2026-01-01 00:00:00 2026-01-02 00:00:00" "plain table, JSON: the partitions"
is "$(jsonq "$J" "SELECT sum((p->>'est_rows')::numeric) || ' ' || bool_and((p->>'est_bytes')::numeric > 0)
                         FILTER (WHERE (p->>'est_rows')::numeric > 0)
                    FROM doc, json_array_elements(j->'partitions') p")" "1440 true" \
    "plain table, JSON: estimates add up to the rows, with sizes"
is "$(jsonq "$J" "SELECT (j->'estimates'->>'rows') || ' ' || ((j->'estimates'->>'seconds')::numeric >= 0)
                  || ' ' || (j->'estimates'->>'rows_per_second') FROM doc")" "1440 true 50000" \
    "plain table, JSON: total estimate and the assumed rate"
is "$(jsonq "$J" "SELECT concat_ws(' ', j->>'blockers', j->>'unaccepted_blockers', j->>'start_would_proceed') FROM doc")" \
    "1 1 false" "plain table, JSON: start would not proceed"
is "$(findings "$J")" "blocker unique-scope unique-scope
info estimates -
info grants -
info owner -
info sequence -
warning function -
warning publication -
warning row-level-security -
warning trigger -
warning view -
warning view -" "plain table, JSON: every finding, with its accept value"
is "$(jsonq "$J" "SELECT string_agg(f->>'object', ',' ORDER BY f->>'object') FROM doc, json_array_elements(j->'findings') f
                   WHERE f->>'what' IN ('view', 'function', 'publication', 'trigger', 'sequence')")" \
    "events_pub,events_touch,public.events_count(),public.events_daily,public.events_id_seq,public.events_recent" \
    "plain table, JSON: the objects found"
like "$(jsonq "$J" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'grants'")" \
    "t_migrate_plan_reader \\(SELECT\\)" "plain table: grants named"
like "$(jsonq "$J" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'row-level-security'")" \
    "enabled .*events_mine" "plain table: row-level security and its policy"
mplan "plain table, JSON accepted" events --column created_at --interval '1 day' "${NOW[@]}" --json --accept unique-scope
is "$RUN_RC" 0 "plain table, JSON, accepted: exit 0"
is "$(jsonq "$RUN_OUT" "SELECT j->>'start_would_proceed' FROM doc")" "true" "plain table, JSON, accepted: would proceed"

# The big-table paths on the same data: statistics (after ANALYZE) and an index.
q "ANALYZE events" >/dev/null
export PGSTRATA_MIGRATE_EXACT_BYTES=0
mplan "statistics" events --column created_at --interval '1 week' "${NOW[@]}" --json
is "$(jsonq "$RUN_OUT" "SELECT round(sum((p->>'est_rows')::numeric), -1) FROM doc, json_array_elements(j->'partitions') p")" \
    "1440" "statistics: estimates add up to about the rows"
like "$(findings "$RUN_OUT")" "warning key-not-indexed" "statistics: a big table without an index on the key is flagged"
like "$(jsonq "$RUN_OUT" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'estimates'")" \
    "planner statistics" "statistics: the estimates say where they come from"
q "CREATE INDEX events_created_at ON events (created_at)" >/dev/null
mplan "index" events --column created_at --interval '1 week' "${NOW[@]}" --json
is "$(jsonq "$RUN_OUT" "SELECT concat_ws(' ', j->'key_range'->>'min', j->'key_range'->>'max') FROM doc")" \
    "2026-01-01 00:00:00 2026-03-01 23:00:00" "index: the exact key range from the index"
unlike "$(findings "$RUN_OUT")" "key-not-indexed" "index: no index warning"
q "CREATE TABLE sampled AS SELECT * FROM events; ALTER TABLE sampled ADD PRIMARY KEY (id, created_at)" >/dev/null
mplan "sample" sampled --column created_at --interval '1 week' "${NOW[@]}" --json
is "$(jsonq "$RUN_OUT" "SELECT sum((p->>'est_rows')::numeric) FROM doc, json_array_elements(j->'partitions') p")" \
    "1440" "sample: without statistics, the rows of a (whole) sample"
like "$(jsonq "$RUN_OUT" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'estimates'")" \
    "a sample of 100% of the pages" "sample: says so"
unset PGSTRATA_MIGRATE_EXACT_BYTES

# ---- primary key including the key: no unique-scope ---------------------------------
q "CREATE TABLE ev2 (id bigint GENERATED ALWAYS AS IDENTITY, created_at timestamptz NOT NULL,
                     PRIMARY KEY (id, created_at))
   ;INSERT INTO ev2 (created_at) SELECT timestamptz '2026-02-01 00:00+00' + g * interval '1 hour'
      FROM generate_series(0, 24 * 28 - 1) g" >/dev/null
mplan "PK (id, created_at)" ev2 --column created_at --interval '1 day' "${NOW[@]}" --json
is "$RUN_RC" 0 "PK (id, created_at): exit 0"
unlike "$(findings "$RUN_OUT")" "unique-scope" "PK (id, created_at): no unique-scope blocker"
is "$(jsonq "$RUN_OUT" "SELECT string_agg(c, ',') FROM doc, json_array_elements_text(j->'identity'->'columns') c")" 'id,created_at' \
    "PK (id, created_at): identity is both columns"
like "$(jsonq "$RUN_OUT" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'sequence'")" \
    "identity column \\(GENERATED ALWAYS" "PK (id, created_at): the identity sequence is reported"

# ---- no primary key: a blocker nothing lifts ---------------------------------------
q "CREATE TABLE logs (at timestamptz NOT NULL, line text)
   ;INSERT INTO logs SELECT timestamptz '2026-02-20 00:00+00' + g * interval '1 hour', 'l' FROM generate_series(0, 100) g" >/dev/null
mplan "no primary key" logs --column at --interval '1 day' "${NOW[@]}" --json --accept no-identity,unique-scope
is "$RUN_RC" 1 "no primary key: exit 1, even with --accept no-identity"
is "$(findings "$RUN_OUT" | grep blocker)" "blocker no-identity -" "no primary key: no-identity, with no accept value"
mplan "no primary key (text)" logs --column at --interval '1 day' "${NOW[@]}"
like "$RUN_OUT" $'\n  no-identity: public\\.logs\n      public\\.logs has no primary key and no replica identity index: .*\n      \\(cannot be accepted: fix it first\\)\n' \
    "no primary key: says it cannot be accepted"
like "$RUN_OUT" $'\n1 blocker left: migrate start would not go on; it cannot be accepted: fix it first$' "no primary key: last line"
# A replica identity index serves instead of a primary key.
q "CREATE UNIQUE INDEX logs_at_line ON logs (at, line); ALTER TABLE logs ALTER line SET NOT NULL;
   ALTER TABLE logs REPLICA IDENTITY USING INDEX logs_at_line" >/dev/null
mplan "replica identity index" logs --column at --interval '1 day' "${NOW[@]}" --json
is "$RUN_RC" 0 "replica identity index: exit 0"
is "$(jsonq "$RUN_OUT" "SELECT string_agg(c, ',') FROM doc, json_array_elements_text(j->'identity'->'columns') c")" 'at,line' \
    "replica identity index: identity is its columns"

# ---- foreign keys in and out ------------------------------------------------------
q "CREATE TABLE accounts (id int PRIMARY KEY, opened timestamptz NOT NULL)
   ;INSERT INTO accounts SELECT g, timestamptz '2026-02-01 00:00+00' + g * interval '1 day' FROM generate_series(1, 20) g
   ;CREATE TABLE orders (id int, placed timestamptz NOT NULL, account_id int REFERENCES accounts (id),
                         PRIMARY KEY (id, placed))
   ;INSERT INTO orders SELECT g, timestamptz '2026-02-10 00:00+00', 1 + g % 20 FROM generate_series(1, 50) g" >/dev/null
mplan "foreign key in" accounts --column opened --interval '1 month' "${NOW[@]}" --json
is "$RUN_RC" 1 "foreign key in: exit 1"
is "$(findings "$RUN_OUT" | grep blocker)" "blocker foreign-key-in foreign-keys-in
blocker unique-scope unique-scope" "foreign key in: foreign-key-in (accept foreign-keys-in) and unique-scope"
like "$(jsonq "$RUN_OUT" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'foreign-key-in'")" \
    "^public\\.orders FOREIGN KEY \\(account_id\\) REFERENCES public\\.accounts\\(id\\): it would be dropped at cutover and must be recreated by hand" \
    "foreign key in: says what happens to it"
mplan "foreign key in, one accepted" accounts --column opened --interval '1 month' "${NOW[@]}" --accept unique-scope
is "$RUN_RC" 1 "foreign key in, only unique-scope accepted: exit 1"
like "$RUN_OUT" $'\n1 blocker left: migrate start would not go on; pass --accept unique-scope,foreign-keys-in to go on$' \
    "foreign key in: the last line gives the whole --accept"
mplan "foreign key in, both accepted" accounts --column opened --interval '1 month' "${NOW[@]}" --accept unique-scope,foreign-keys-in
is "$RUN_RC" 0 "foreign key in, both accepted: exit 0"
mplan "foreign key out" orders --column placed --interval '1 month' "${NOW[@]}" --json
is "$RUN_RC" 0 "foreign key out: exit 0"
is "$(jsonq "$RUN_OUT" "SELECT f->>'severity' || ': ' || (f->>'message') FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'foreign-key-out'")" \
    "info: FOREIGN KEY (account_id) REFERENCES public.accounts(id): recreated on the new table" "foreign key out: info"

# ---- nullable keys ------------------------------------------------------------------
q "CREATE TABLE readings (id int PRIMARY KEY, taken date, v int)
   ;INSERT INTO readings SELECT g, date '2026-02-01' + g % 20, g FROM generate_series(1, 100) g
   ;INSERT INTO readings VALUES (1001, NULL, 0), (1002, NULL, 0), (1003, NULL, 0)
   ;CREATE TABLE readings2 (id int PRIMARY KEY, taken date, v int)
   ;INSERT INTO readings2 SELECT g, date '2026-02-01' + g % 20, g FROM generate_series(1, 100) g" >/dev/null
mplan "NULL keys" readings --column taken --interval '1 day' "${NOW[@]}" --json --accept unique-scope,rows-outside
is "$RUN_RC" 1 "NULL keys: exit 1, whatever is accepted"
is "$(findings "$RUN_OUT" | grep blocker)" "blocker rows-outside -
blocker unique-scope unique-scope" "NULL keys: rows-outside, not acceptable"
is "$(jsonq "$RUN_OUT" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'rows-outside'")" \
    "3 rows have no taken (NULL): no partition can hold them, and the new table declares taken NOT NULL; give them a taken or delete them first" \
    "NULL keys: counted, and what to do"
is "$(jsonq "$RUN_OUT" "SELECT sum((p->>'est_rows')::numeric) FROM doc, json_array_elements(j->'partitions') p")" "100" \
    "NULL keys: the partitions hold the other rows"
mplan "nullable, no NULLs" readings2 --column taken --interval '1 day' "${NOW[@]}" --json --accept unique-scope
is "$RUN_RC" 0 "nullable without NULLs: exit 0"
like "$(findings "$RUN_OUT")" "warning nullable-key -" "nullable without NULLs: a warning"
like "$(jsonq "$RUN_OUT" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'nullable-key'")" \
    "NOT NULL" "nullable without NULLs: says a NOT NULL is added"

# ---- other blockers: expression and partial unique indexes, exclusion constraints ---
q "CREATE TABLE users (id int, email text, at timestamptz NOT NULL, PRIMARY KEY (id, at))
   ;CREATE UNIQUE INDEX users_lower_email ON users (lower(email))
   ;CREATE UNIQUE INDEX users_live ON users (email, at) WHERE email IS NOT NULL
   ;CREATE TABLE slots (id int, room int, during tstzrange, at timestamptz NOT NULL, PRIMARY KEY (id, at),
                        EXCLUDE USING gist (during WITH &&))" >/dev/null
mplan "unique expressions" users --column at --interval '1 day' "${NOW[@]}" --json --accept unique-scope,unique-expression
is "$RUN_RC" 1 "unique expressions: exit 1"
is "$(findings "$RUN_OUT" | grep blocker)" "blocker unique-expression -
blocker unique-expression -" "unique expressions: both indexes, not acceptable"
mplan "exclusion" slots --column at --interval '1 day' "${NOW[@]}" --json
is "$RUN_RC" 1 "exclusion: exit 1"
is "$(findings "$RUN_OUT" | grep blocker)" "blocker exclusion -" "exclusion constraint: a blocker"

# ---- a monthly declarative table, managed by pgstrata, re-laid out daily ----------
q "CREATE TABLE metrics (id bigserial, ts timestamptz NOT NULL, v int, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts)" >/dev/null
run "$PGSTRATA" create metrics --column ts --interval '1 month' --premake 2 --now '2026-01-15' -q
is "$RUN_RC" 0 "create monthly metrics"
q "INSERT INTO metrics (ts, v) SELECT timestamptz '2026-01-01 00:00+00' + g * interval '30 minutes', g
     FROM generate_series(0, 2 * 24 * 59 - 1) g" >/dev/null
mplan "monthly to daily" metrics --column ts --interval '1 day' --now '2026-02-28 12:00' --json
is "$RUN_RC" 0 "monthly to daily: exit 0 (no blockers)"
is "$(jsonq "$RUN_OUT" "SELECT concat_ws(' ', j->>'kind', j->'children'->>0, json_array_length(j->'children'),
                        json_array_length(j->'partitions'), j->'partitions'->0->>'name', j->'partitions'->62->>'name') FROM doc")" \
    "partitioned table public.metrics_p20260101 3 63 metrics_p20260101 metrics_p20260304" \
    "monthly to daily: kind, its 3 monthly partitions, 59 days + 4 ahead"
is "$(jsonq "$RUN_OUT" "SELECT sum((p->>'est_rows')::numeric) || ' ' || max((p->>'est_rows')::numeric)
                         FROM doc, json_array_elements(j->'partitions') p")" "2832 48" \
    "monthly to daily: every row in a day, 48 a day"
is "$(findings "$RUN_OUT")" "info estimates -
info owner -
info partitions -
info policy -
info sequence -
warning name-taken -" "monthly to daily: the findings"
like "$(jsonq "$RUN_OUT" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'policy'")" \
    "pgstrata manages public\\.metrics now \\(a partition per 1 month of ts\\): that policy is replaced" "monthly to daily: the policy"
like "$(jsonq "$RUN_OUT" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'name-taken'")" \
    "^3 names of the new layout are taken now: public\\.metrics_p20260101 \\(under public\\.metrics\\)" \
    "monthly to daily: daily names held by the monthly partitions"
mplan "a partition as source" metrics_p20260101 --column ts --interval '1 day' --now '2026-02-28 12:00' --json
is "$RUN_RC" 1 "a partition as source: exit 1"
like "$(findings "$RUN_OUT")" "blocker partition -" "a partition as source: a blocker nothing lifts"

# ---- a legacy inheritance set (seed 003) -------------------------------------------
q "CREATE TABLE rides (id bigserial PRIMARY KEY, tenant_id varchar(20) NOT NULL, ride_id varchar(36) NOT NULL,
                       created_at timestamptz NOT NULL, metadata jsonb)
   ;CREATE TABLE rides_a_2026_01 (CHECK (tenant_id = 'a' AND created_at >= '2026-01-01' AND created_at < '2026-02-01')) INHERITS (rides)
   ;CREATE TABLE rides_a_2026_02 (CHECK (tenant_id = 'a' AND created_at >= '2026-02-01' AND created_at < '2026-03-01')) INHERITS (rides)
   ;CREATE TABLE rides_b_2026_02 (CHECK (tenant_id = 'b' AND created_at >= '2026-02-01' AND created_at < '2026-03-01')) INHERITS (rides)
   ;CREATE FUNCTION rides_insert_row() RETURNS trigger LANGUAGE plpgsql AS \$f\$
    BEGIN
      EXECUTE format('INSERT INTO %I SELECT (\$1).*', TG_TABLE_NAME || '_' || NEW.tenant_id || '_'
                     || to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY_MM')) USING NEW;
      RETURN NULL;
    END \$f\$
   ;CREATE TRIGGER before_insert_row_trigger BEFORE INSERT ON rides FOR EACH ROW EXECUTE FUNCTION rides_insert_row()
   ;INSERT INTO rides (tenant_id, ride_id, created_at)
    SELECT CASE WHEN g % 3 = 0 AND g >= 744 THEN 'b' ELSE 'a' END, g::text,
           timestamptz '2026-01-01 00:00+00' + g * interval '1 hour'
      FROM generate_series(0, 24 * 59 - 1) g" >/dev/null || bail "setup of rides failed"
is "$(q "SELECT count(*) FROM ONLY rides")" 0 "rides: the routing trigger put every row in a child"
mplan "inheritance" rides --column created_at --interval '1 day' --now '2026-02-28 12:00' --json
is "$RUN_RC" 1 "inheritance: exit 1 (unique-scope)"
is "$(jsonq "$RUN_OUT" "SELECT concat_ws(' ', j->>'kind', json_array_length(j->'children'), j->'children'->>0,
                        json_array_length(j->'partitions')) FROM doc")" \
    "inheritance set 3 public.rides_a_2026_01 63" "inheritance: kind, children, layout"
is "$(jsonq "$RUN_OUT" "SELECT sum((p->>'est_rows')::numeric) FROM doc, json_array_elements(j->'partitions') p")" \
    "1416" "inheritance: the children's rows are counted"
is "$(findings "$RUN_OUT")" "blocker unique-scope unique-scope
info children -
info estimates -
info owner -
info routing-trigger -
info sequence -" "inheritance: the findings"
like "$(jsonq "$RUN_OUT" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'routing-trigger'")" \
    "^before_insert_row_trigger routes new rows into the children .*: not carried over" "inheritance: the routing trigger"
like "$(jsonq "$RUN_OUT" "SELECT f->>'message' FROM doc, json_array_elements(j->'findings') f WHERE f->>'what' = 'children'")" \
    "^public\\.rides has 3 child tables by inheritance \\(public\\.rides_a_2026_01 CHECK" "inheritance: the children and their CHECKs"
q "ALTER TABLE rides_b_2026_02 ADD COLUMN tip numeric" >/dev/null
mplan "inheritance, extra child column" rides --column created_at --interval '1 day' --now '2026-02-28 12:00' --json
like "$(findings "$RUN_OUT")" "blocker child-columns child-columns" "inheritance: a child's own column is a blocker"

# ---- bad input -----------------------------------------------------------------------
q "CREATE TABLE texty (id int PRIMARY KEY, t text, n numeric); CREATE VIEW texty_v AS SELECT * FROM texty" >/dev/null
D=(--column created_at --interval '1 day')
refused 1 "pgstrata: error: table public.nosuch does not exist" "unknown table" -- nosuch "${D[@]}"
refused 1 "pgstrata: error: column t of public.texty is of type text; pgstrata supports timestamptz, timestamp, date, integer and bigint keys" \
    "text key" -- texty --column t --interval '1 day'
refused 1 "pgstrata: error: column n of public.texty is of type numeric; pgstrata supports timestamptz, timestamp, date, integer and bigint keys" \
    "numeric key" -- texty --column n --interval 10
refused 1 "pgstrata: error: column nosuchcol of public.events does not exist" "unknown column" -- \
    events --column nosuchcol --interval '1 day'
refused 1 "pgstrata: error: public.texty_v is a view, not a table" "a view" -- texty_v --column t --interval '1 day'
refused 2 'pgstrata: error: invalid interval "1 fortnight": unknown unit "fortnight"' "bad interval" -- \
    events --column created_at --interval '1 fortnight'
refused 2 'pgstrata: error: invalid --interval: interval "1 day" is a time interval, but column type integer needs a number such as "100000"' \
    "time interval on an integer key" -- events --column id --interval '1 day'
refused 2 'pgstrata: error: invalid --premake "0": must be at least 1, or nothing would be made ahead of the data' \
    "premake 0" -- events "${D[@]}" --premake 0
refused 2 'pgstrata: error: invalid --time-zone "Mars/Olympus": time zone "Mars/Olympus" not recognized' \
    "unknown time zone" -- events "${D[@]}" --time-zone Mars/Olympus
refused 2 'pgstrata: error: invalid --now "soon": invalid input syntax for type timestamp with time zone: "soon"' \
    "bad --now" -- events "${D[@]}" --now soon
refused 2 "pgstrata: error: \"pgstrata migrate plan\" needs --column, the range partition key of the new layout
$TRY" "missing --column" -- events --interval '1 day'
refused 2 "pgstrata: error: \"pgstrata migrate plan\" needs --interval, e.g. --interval '1 day'
$TRY" "missing --interval" -- events --column created_at
refused 2 "pgstrata: error: \"pgstrata migrate plan\" takes exactly one table
$TRY" "no table" -- "${D[@]}"
refused 2 "pgstrata: error: \"pgstrata migrate plan\" takes exactly one table
$TRY" "two tables" -- events ev2 "${D[@]}"
refused 2 "pgstrata: error: --column: invalid name \"\"k\": unterminated quoted identifier" \
    "malformed --column" -- events --column '"k' --interval '1 day'

q 'CREATE TABLE x (i int); INSERT INTO x VALUES (1)' >/dev/null
HOSTILE_RAW='"; DROP TABLE x; --'
refused 2 "pgstrata: error: invalid name \"$HOSTILE_RAW\": unterminated quoted identifier" \
    "the raw name $HOSTILE_RAW" -- "$HOSTILE_RAW" "${D[@]}"
refused 2 "pgstrata: error: invalid name \"x; DROP TABLE x\": unexpected character ';'; put names with spaces or punctuation in double quotes, e.g. '\"My Table\"'" \
    "unquoted punctuation" -- 'x; DROP TABLE x' "${D[@]}"
refused 2 "pgstrata: error: invalid name \"$(printf 'l%.0s' {1..64})\": a name part is 64 bytes; PostgreSQL names are at most 63" \
    "64-byte name" -- "$(printf 'l%.0s' {1..64})" "${D[@]}"

# Hostile but valid names, with a hostile column too: planned end to end.
LONG_ASCII=$(printf 'l%.0s' {1..63})
names=( # SQL identifier | the same name typed on the command line
    '"""; DROP TABLE x; --"|"""; DROP TABLE x; --"'
    '"Mixed Case"|"Mixed Case"'
    "$LONG_ASCII|$LONG_ASCII"
)
for pair in "${names[@]}"; do
    sqlname=${pair%%|*}
    cli=${pair#*|}
    q "CREATE TABLE $sqlname (id int, \"When\"\"; --\" timestamptz NOT NULL, PRIMARY KEY (id, \"When\"\"; --\"));
       INSERT INTO $sqlname SELECT g, timestamptz '2026-02-25 00:00+00' + g * interval '1 hour' FROM generate_series(1, 48) g" \
        >/dev/null || continue
    relname=$(q "SELECT relname FROM pg_class WHERE oid = $(lit "public.$sqlname")::regclass")
    mplan "$cli" "$cli" --column '"When""; --"' --interval '1 day' "${NOW[@]}" --json
    is "$RUN_RC" 0 "$cli: exit 0" || diag "$RUN_ERR"
    is "$(jsonq "$RUN_OUT" "SELECT (j->'source'->>'table') || '|' || (j->'key'->>'column') || '|' ||
                            json_array_length(j->'partitions') FROM doc")" \
        "$relname|When\"; --|9" "$cli: the exact names, 9 partitions"
    is "$(jsonq "$RUN_OUT" "SELECT bool_and(octet_length(p->>'name') <= 63) AND count(DISTINCT p->>'name') = 9
                             FROM doc, json_array_elements(j->'partitions') p")" "t" \
        "$cli: partition names fit in 63 bytes and are distinct"
    mplan "$cli (text)" "$cli" --column '"When""; --"' --interval '1 day' "${NOW[@]}"
    is "$RUN_RC" 0 "$cli: text exit 0"
done
is "$(q 'SELECT count(*) FROM x')" 1 "table x survived every hostile name"

# ---- read-only: works where pgstrata was never installed, installs nothing -------------
NOINIT="${PGDATABASE}_noinit"
createdb "$NOINIT" || bail "createdb $NOINIT"
PGDATABASE=$NOINIT q "CREATE TABLE ev (id int, k timestamptz NOT NULL, PRIMARY KEY (id, k))" >/dev/null
run env PGDATABASE="$NOINIT" "$PGSTRATA" migrate plan ev --column k --interval '1 day' "${NOW[@]}"
is "$RUN_RC" 0 "not installed: migrate plan works (exit 0)"
like "$RUN_OUT" $'\nkeys now:   none\n' "not installed: an empty table has no keys"
like "$RUN_OUT" $'\nnew layout: 5 partitions of 1 day, premake 4, from 2026-03-01 00:00:00' \
    "not installed: an empty table gets today and premake"
is "$(PGDATABASE=$NOINIT q "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgstrata'")" 0 \
    "not installed: no schema was created"

done_testing
