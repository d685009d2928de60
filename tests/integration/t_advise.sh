#!/usr/bin/env bash
# advise: a monthly table whose months are far above a small --target-size is
# advised daily; the commands it prints are run as printed (init, migrate plan,
# start, backfill, verify, cutover, finish) and the catalog then holds daily
# partitions and the same rows; advised again, the new layout is kept. Bad
# input with exact messages; hostile and 63-byte mixed-case names, whose
# printed commands are run too.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"

# monthly TABLE COLUMN ROWS PAYLOAD: range-partitioned by month on COLUMN (SQL
# identifiers as written), a partition for each month from 60 days ago through
# next month, ROWS rows spread evenly over the last 60 days, analyzed.
monthly() {
    local t=$1 col=$2 rows=$3 payload=$4
    q "CREATE TABLE $t (id bigserial, $col timestamptz NOT NULL, payload text,
                        PRIMARY KEY (id, $col)) PARTITION BY RANGE ($col);
       DO \$\$
       DECLARE m timestamptz; i int := 0;
       BEGIN
         FOR m IN SELECT generate_series(date_trunc('month', now() - interval '60 days'),
                                         date_trunc('month', now()) + interval '1 month',
                                         interval '1 month') LOOP
           i := i + 1;
           EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                          'm' || i || '_' || md5($(lit "$t")), $(lit "$t"), m, m + interval '1 month');
         END LOOP;
       END \$\$;
       INSERT INTO $t ($col, payload)
         SELECT now() - interval '60 days' + i * (interval '60 days' / $rows), repeat('x', $payload)
           FROM generate_series(1, $rows) i;
       ANALYZE $t" >/dev/null
}

# digest TABLE COLUMN: row count and a hash of every row.
digest() {
    q "SELECT count(*) || ' ' || sum(hashtext(id || ' ' || $2 || ' ' || payload)) FROM $1"
}

# run_printed LABEL JSON: runs each command of the advice as printed (the
# binary under test standing in for "pgstrata"); every one must exit 0.
run_printed() {
    local label=$1 json=$2 line n=0
    while IFS= read -r line; do
        n=$((n + 1))
        run eval "\"\$PGSTRATA\"${line#pgstrata}"
        is "$RUN_RC" 0 "$label: printed command $n exits 0: $line" || diag "$RUN_OUT" "$RUN_ERR"
    done < <(jq -r '.commands[]' <<<"$json")
}

# Partitions of TABLE whose range is not exactly INTERVAL.
not_of() {
    q "SELECT count(*) FROM $(parts_of "$1")
        WHERE hi::timestamptz - lo::timestamptz <> interval $(lit "$2")"
}

# ---- monthly to daily ------------------------------------------------------------------
# 500 rows a day of about 1 kB: about 0.5 MB a day, 15 MB a month. With a 1 MB
# target (at most 2 MB), a day fits and a week (3.5 MB) does not.
monthly events created_at 30000 900
before=$(digest events created_at)

run "$PGSTRATA" advise events --target-size 1MB
is "$RUN_RC" 0 "advise exits 0" || diag "$RUN_OUT" "$RUN_ERR"
like "$RUN_OUT" "^table: +public\\.events, range on created_at \\(timestamptz\\), 4 partitions" \
    "the text names the table and its layout"
like "$RUN_OUT" "now \\(1 month\\) +advised \\(1 day\\)" "... compares the monthly layout with daily"
like "$RUN_OUT" "change: 1 month partitions are about [0-9.]+ MB, above the 1\\.0 MB target" \
    "... says why"
like "$RUN_OUT" "to get there:" "... and lists the commands"

json=$("$PGSTRATA" advise events --target-size 1MB --json)
is "$(jq -r '.verdict + " " + .reason' <<<"$json")" "change oversized" "JSON: change, oversized"
is "$(jq -r '.current.interval + " -> " + .recommended.interval' <<<"$json")" "1 month -> 1 day" \
    "JSON: monthly to daily"
is "$(jq -r '.retention.source' <<<"$json")" assumed "JSON: no policy, so the retention is assumed"
is "$(jq -r '.planning_measured' <<<"$json")" true "JSON: the planning time was measured"
is "$(jq -r '.target_bytes' <<<"$json")" 1048576 "JSON: the target in bytes"
ok "$(jq -e '.growth.bytes > 300000 and .growth.bytes < 700000' <<<"$json" >/dev/null; echo $?)" \
    "JSON: growth about 0.5 MB a day ($(jq -r .growth.bytes <<<"$json"))"
retention=$(jq -r '.retention.value' <<<"$json")
like "$retention" '^[0-9]+ days$' "the retention is whole days"
is "$(jq -r '.commands | join("\n")' <<<"$json")" "pgstrata init
pgstrata migrate plan public.events --column created_at --interval '1 day' --retention '$retention'
pgstrata migrate start public.events --column created_at --interval '1 day' --retention '$retention'
pgstrata migrate backfill public.events
pgstrata migrate verify public.events
pgstrata migrate cutover public.events
pgstrata migrate finish public.events" "the commands, pgstrata init first (no schema yet)"
is "$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgstrata'")" 0 \
    "advise needs no pgstrata schema and makes none"

run_printed events "$json"
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'events'::regclass")" p "events is partitioned"
is "$(not_of events '1 day')" 0 "every partition of events is one day"
ok "$(($(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass") >= 61 ? 0 : 1))" \
    "a partition for each day of data"
is "$(digest events created_at)" "$before" "the same rows, row for row"
is "$(q "SELECT to_regclass('events_pgs_old') IS NULL AND to_regclass('events_pgs_new') IS NULL")" t \
    "the old table is gone"
is "$(q "SELECT retention FROM pgstrata.policy WHERE parent_table = 'events'")" "$retention" \
    "the policy keeps the advised retention"

q "ANALYZE events" >/dev/null
run "$PGSTRATA" advise events --target-size 1MB --json
is "$RUN_RC" 0 "advised again: exit 0"
is "$(jq -r '.verdict + " " + .reason + " " + .retention.source' <<<"$RUN_OUT")" "keep fits policy" \
    "... the daily layout is kept, the retention now the policy's"
is "$(jq -r '.commands | length' <<<"$RUN_OUT")" 0 "... and no command is printed"

# ---- a legacy inheritance set (seed 003): tenants and months ------------------------------
# Its primary key (id) lacks the key, so migrate start would refuse (unique-scope):
# the commands accept it and say what it means; run as printed, they work.
q "CREATE TABLE rides (id bigserial PRIMARY KEY, tenant_id int NOT NULL,
                       created_at timestamp NOT NULL, payload text);
   DO \$\$
   DECLARE m timestamp; t int;
   BEGIN
     FOR t IN 1..2 LOOP
       FOR m IN SELECT generate_series(date_trunc('month', localtimestamp - interval '60 days'),
                                       date_trunc('month', localtimestamp), interval '1 month') LOOP
         EXECUTE format('CREATE TABLE %I (CHECK (tenant_id = %s AND created_at >= %L
                                                 AND created_at < %L)) INHERITS (rides)',
                        'rides_' || t || '_' || to_char(m, 'YYYY_MM'), t, m, m + interval '1 month');
         EXECUTE format('INSERT INTO %I (tenant_id, created_at, payload)
                           SELECT %s, g, repeat(''x'', 500) FROM generate_series(
                             greatest(%L::timestamp, localtimestamp - interval ''60 days''),
                             least(%L::timestamp - interval ''1 second'', localtimestamp),
                             interval ''5 minutes'') g',
                        'rides_' || t || '_' || to_char(m, 'YYYY_MM'), t, m, m + interval '1 month');
       END LOOP;
     END LOOP;
   END \$\$;
   ANALYZE rides" >/dev/null
rides_before=$(q "SELECT count(*) || ' ' || sum(hashtext(id || ' ' || tenant_id || ' ' || created_at)) FROM rides")
json=$("$PGSTRATA" advise rides --target-size 1MB --json)
is "$(jq -r '[.verdict, .current.interval, (.blockers | map(.what) | join(","))] | join(" ")' <<<"$json")" \
    "change 1 month unique-scope" "an inheritance set by month: a change, and the blocker migrate plan finds"
like "$(jq -r '.commands[1]' <<<"$json")" "^pgstrata migrate start public\\.rides .* --accept unique-scope$" \
    "... which start accepts"
like "$(jq -r '.notes[] | select(.id == "blockers-accepted") | .text' <<<"$json")" \
    "unique \\(id\\) becomes unique \\(id, created_at\\)" "... saying what that means"
like "$(jq -r '.notes[] | select(.id == "groups") | .text' <<<"$json")" "partitions by created_at alone" \
    "... and that the tenants are laid out together"
run_printed rides "$json"
is "$(q "SELECT relkind FROM pg_class WHERE oid = 'rides'::regclass")" p "rides is partitioned now"
is "$(not_of rides "$(jq -r '.recommended.interval' <<<"$json")")" 0 \
    "every partition of rides is $(jq -r '.recommended.interval' <<<"$json")"
is "$(q "SELECT count(*) || ' ' || sum(hashtext(id || ' ' || tenant_id || ' ' || created_at)) FROM rides")" \
    "$rides_before" "the same rows"

# A blocker nothing accepts (no primary key, no replica identity): no command.
q "CREATE TABLE noid (created_at timestamptz NOT NULL, payload text) PARTITION BY RANGE (created_at);
   CREATE TABLE noid_1 PARTITION OF noid FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
   CREATE TABLE noid_2 PARTITION OF noid FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
   INSERT INTO noid SELECT g, repeat('z', 500)
     FROM generate_series('2026-01-01'::timestamptz, '2026-02-28', interval '2 minutes') g;
   ANALYZE noid" >/dev/null
run "$PGSTRATA" advise noid --target-size 1MB --now '2026-03-01'
is "$RUN_RC" 0 "a table migrate cannot take: advise still exits 0"
like "$RUN_OUT" "migrate start would refuse this layout, and no --accept lifts it; fix it, then run advise again: public\\.noid has no primary key" \
    "... says what to fix"
unlike "$RUN_OUT" "to get there" "... and prints no command"

# ---- bad input ----------------------------------------------------------------------------
run "$PGSTRATA" advise nope
is "$RUN_RC" 1 "an unknown table: exit 1"
is "$RUN_ERR" "pgstrata: error: table public.nope does not exist" "... and its message"
q "CREATE TABLE plain (id int); INSERT INTO plain VALUES (1)" >/dev/null
run "$PGSTRATA" advise plain
is "$RUN_RC" 1 "a table that is not partitioned: exit 1"
is "$RUN_ERR" "pgstrata: error: public.plain is not partitioned: advise measures the growth of a table's partitions
pgstrata: hint: to partition it, choose a column and an interval: pgstrata migrate plan 'public.plain' --column COL --interval I" \
    "... and its message"
q "CREATE TABLE empty (t timestamptz) PARTITION BY RANGE (t);
   CREATE TABLE empty_1 PARTITION OF empty FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')" >/dev/null
run "$PGSTRATA" advise empty
is "$RUN_RC" 1 "a partitioned table without data: exit 1"
is "$RUN_ERR" "pgstrata: error: cannot advise: no partition of public.empty holds data yet: there is no growth to measure" \
    "... and its message"
q "CREATE TABLE listed (k int) PARTITION BY LIST (k); CREATE TABLE listed_1 PARTITION OF listed FOR VALUES IN (1)" >/dev/null
run "$PGSTRATA" advise listed --json
is "$RUN_RC" 1 "a list-partitioned table: exit 1"
is "$(jq -r '.verdict + " " + .reason' <<<"$RUN_OUT")" "cannot not-range" "... JSON says why"
run "$PGSTRATA" advise events --target-size 10XB
is "$RUN_RC" 2 "a bad --target-size: exit 2"
is "$RUN_ERR" 'pgstrata: error: invalid --target-size "10XB": unknown unit "XB" (use B, kB, MB, GB, TB or PB)
Try "pgstrata --help" for more information.' "... and its message"
run "$PGSTRATA" advise events --target-size 0
is "$RUN_ERR" 'pgstrata: error: invalid --target-size "0": must be more than zero
Try "pgstrata --help" for more information.' "a zero --target-size"
run "$PGSTRATA" advise events --target-size ten
is "$RUN_ERR" 'pgstrata: error: invalid --target-size "ten": expected a size such as 500MB, 10GB or 1TB
Try "pgstrata --help" for more information.' "a --target-size without a number"
run "$PGSTRATA" advise
is "$RUN_RC" 2 "no table: exit 2"
is "$RUN_ERR" 'pgstrata: error: "pgstrata advise" takes exactly one table
Try "pgstrata --help" for more information.' "... and its message"
run "$PGSTRATA" ls --target-size 1MB
is "$RUN_RC" 2 "--target-size on another command: exit 2"
like "$RUN_ERR" 'option --target-size does not apply to "pgstrata ls"' "... says so"

# ---- hostile and long names: the printed commands run as printed ---------------------------
q "CREATE TABLE x (i int)" >/dev/null
hostile='"""; DROP TABLE x; --"' # the name "; DROP TABLE x; -- as SQL writes it
long=$(printf 'Ab%.0s' $(seq 31))A # 63 bytes, mixed case
monthly "$hostile" '"Created At"' 20000 200
monthly "\"$long\"" created_at 20000 200
hostile_before=$(digest "$hostile" '"Created At"')
long_before=$(digest "\"$long\"" created_at)
for t in "$hostile" "\"$long\""; do
    run "$PGSTRATA" advise "$t" --target-size 1MB --json
    is "$RUN_RC" 0 "advise $t: exit 0" || diag "$RUN_ERR"
    json=$RUN_OUT
    iv=$(jq -r '.recommended.interval' <<<"$json")
    is "$(jq -r '.verdict' <<<"$json")" change "$t: a change to $iv"
    run_printed "$t" "$json"
    is "$(q "SELECT relkind FROM pg_class WHERE oid = $(lit "$t")::regclass")" p "$t is partitioned"
    is "$(not_of "$t" "$iv")" 0 "$t: every partition is $iv"
done
like "$(jq -r '.commands[0]' <<<"$("$PGSTRATA" advise "$hostile" --target-size 1kB --json)")" \
    "^pgstrata migrate plan 'public\\.\"\"\"; DROP TABLE x; --\"' --column '\"Created At\"' " \
    "the hostile name and column are quoted for SQL, then for the shell"
is "$(digest "$hostile" '"Created At"')" "$hostile_before" "the hostile table has the same rows"
is "$(digest "\"$long\"" created_at)" "$long_before" "the 63-byte table has the same rows"
is "$(q "SELECT to_regclass('x') IS NOT NULL")" t "... and x was never dropped"

done_testing
