#!/usr/bin/env bash
# pgstrata.partition_cache: one row per parent, used only while the parent's
# pg_inherits rows are the ones it was read from, and only in the same zone. A
# partition re-attached with other bounds or a policy moved to another zone is
# read afresh; a name changed by hand is never acted on under its old name; a
# damaged row is ignored and rewritten; rows of dropped parents go.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"

# "matching/total": entries of ev whose oid, pg_inherits row version, name and
# bounds (UTC civil seconds) are what the catalog says, out of all entries.
entries_match() {
    q "WITH e AS (
         SELECT split_part(l, ' ', 1)::oid AS relid, split_part(l, ' ', 2) AS row_xmin,
                split_part(l, ' ', 4)::bigint AS lo, split_part(l, ' ', 5)::bigint AS hi,
                regexp_replace(l, '^([^ ]* ){5}', '') AS name
           FROM pgstrata.partition_cache pc,
                regexp_split_to_table(rtrim(pc.entries, E'\n'), E'\n') AS l
          WHERE pc.parent = 'ev'::regclass)
       SELECT count(*) FILTER (WHERE c.relname = e.name AND i.xmin::text = e.row_xmin
                AND pg_get_expr(c.relpartbound, c.oid) = format('FOR VALUES FROM (%L) TO (%L)',
                    to_char(to_timestamp(e.lo) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00',
                    to_char(to_timestamp(e.hi) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'))
              || '/' || count(*)
         FROM e LEFT JOIN pg_inherits i ON i.inhrelid = e.relid AND i.inhparent = 'ev'::regclass
         LEFT JOIN pg_class c ON c.oid = e.relid"
}
nparts() {
    q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$1'::regclass"
}

q "CREATE TABLE ev (id bigint, t timestamptz NOT NULL) PARTITION BY RANGE (t)" >/dev/null
run "$PGSTRATA" init -q
run "$PGSTRATA" create ev --column t --interval '1 day' --premake 3 --retention '3 days' \
    --now '2026-04-01 06:00' -q
is "$RUN_RC" 0 "create"
is "$(q "SELECT count(*) FROM pgstrata.partition_cache")" 0 \
    "create's pass attaches partitions, so it caches nothing (the entry would be stale at once)"
run "$PGSTRATA" maintain --now '2026-04-01 06:00' -q
is "$RUN_RC" 0 "maintain"
is "$(q "SELECT count(*) FROM pgstrata.partition_cache WHERE parent = 'ev'::regclass")" 1 \
    "a pass with nothing to do caches the parent in one row"
is "$(entries_match)" "4/4" "each cached oid, row version, name and bound is what the catalog says"

# Same table (same oid), other bounds: the newest partition re-attached for half a day.
q "ALTER TABLE ev DETACH PARTITION ev_p20260404;
   ALTER TABLE ev ATTACH PARTITION ev_p20260404
     FOR VALUES FROM ('2026-04-04 00:00+00') TO ('2026-04-04 12:00+00')" >/dev/null
run "$PGSTRATA" plan --now '2026-04-01 06:00'
is "$RUN_RC" 0 "plan after the re-attach"
like "$RUN_OUT" "ATTACH PARTITION \"public\"\\.\"ev_p20260404_1200\"|FROM \\('2026-04-04 12:00:00\\+00'\\)" \
    "the plan sees the new upper bound (12:00), not the cached one"
run "$PGSTRATA" maintain --now '2026-04-01 06:00' -q
is "$RUN_RC" 0 "maintain fills the half day"
is "$(nparts ev)" 5 "ev has the half-day partition and the one filling the rest of the day"
is "$(q "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
          WHERE i.inhparent = 'ev'::regclass AND c.relname <> 'ev_p20260404'
          ORDER BY pg_get_expr(c.relpartbound, c.oid) DESC LIMIT 1")" \
    "FOR VALUES FROM ('2026-04-04 12:00:00+00') TO ('2026-04-05 00:00:00+00')" \
    "the new partition starts where the re-attached one ends"
run "$PGSTRATA" maintain --now '2026-04-01 07:00' -q
is "$(entries_match)" "5/5" "the next pass caches the partitions as they are now"

# A damaged row is no row: read afresh and rewritten.
q "UPDATE pgstrata.partition_cache SET entries = 'not an entry' WHERE parent = 'ev'::regclass" >/dev/null
run "$PGSTRATA" plan --now '2026-04-01 07:00'
is "$RUN_RC" 0 "plan over a damaged cache row"
like "$RUN_OUT" "nothing to do" "sees the partitions anyway"
run "$PGSTRATA" maintain --now '2026-04-01 07:00' -q
is "$(entries_match)" "5/5" "maintain rewrites the damaged row"

# Another zone: civil times must be read again, not taken from the UTC entries.
run "$PGSTRATA" policy set ev --time-zone Europe/Berlin -q
run "$PGSTRATA" ls ev --json --now '2026-04-01 06:00'
is "$RUN_RC" 0 "ls after the zone change"
like "$RUN_OUT" '"lower":[[:space:]]*"2026-04-01 02:00:00"' \
    "bounds show as Berlin civil time (UTC midnight is 02:00 in summer)"

# Retired partitions leave the entries with their table.
run "$PGSTRATA" maintain --now '2026-04-10 06:00' -q
is "$RUN_RC" 0 "maintain days later retires the old partitions"
run "$PGSTRATA" maintain --now '2026-04-10 07:00' -q
run "$PGSTRATA" maintain --now '2026-04-10 08:00' -q
is "$RUN_RC" 0 "a pass with nothing to do caches what the last ones made"
is "$(q "SELECT zone FROM pgstrata.partition_cache WHERE parent = 'ev'::regclass")" "Europe/Berlin" \
    "the entries are in the policy's zone"
is "$(q "SELECT count(*) FROM pgstrata.partition_cache pc,
          regexp_split_to_table(rtrim(pc.entries, E'\n'), E'\n') AS l
          WHERE pc.parent = 'ev'::regclass
            AND split_part(l, ' ', 1)::oid IN (SELECT inhrelid FROM pg_inherits)")" "$(nparts ev)" \
    "one entry per current partition, none for the retired ones"

# Two partitions swap names by hand (pg_inherits rows unchanged, so the cache
# still holds the old names). Retiring the oldest must act on the table that
# holds the oldest rows, not on whichever now has its name.
read -r old_oid old_name < <(q "SELECT c.oid, c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'ev'::regclass ORDER BY pg_get_expr(c.relpartbound, c.oid) LIMIT 1" | tr '|' ' ')
read -r new_oid new_name < <(q "SELECT c.oid, c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'ev'::regclass ORDER BY pg_get_expr(c.relpartbound, c.oid) DESC LIMIT 1" | tr '|' ' ')
q "ALTER TABLE \"$old_name\" RENAME TO swap_tmp;
   ALTER TABLE \"$new_name\" RENAME TO \"$old_name\";
   ALTER TABLE swap_tmp RENAME TO \"$new_name\"" >/dev/null
q "INSERT INTO ev VALUES (1, (SELECT (regexp_match(pg_get_expr(relpartbound, oid), '\(''([^'']*)'''))[1]::timestamptz
     FROM pg_class WHERE oid = $new_oid))" >/dev/null
run "$PGSTRATA" plan --now '2026-04-11 07:00'
like "$RUN_OUT" "DETACH PARTITION \"public\"\\.\"$new_name\"" "plan (read-only) detaches it under its new name"
run "$PGSTRATA" maintain --now '2026-04-11 07:00'
is "$RUN_RC" 0 "the pass after the swap succeeds at once"
like "$RUN_OUT" "drop +public\\.$new_name" "it drops the oldest partition under its new name"
is "$(q "SELECT count(*) FROM pg_class WHERE oid = $old_oid")" 0 "the table with the oldest bounds is gone"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhrelid = $new_oid")" 1 \
    "the newest partition, now named like the old one, is still attached"
is "$(q "SELECT count(*) FROM ev WHERE id = 1")" 1 "and its row is still there"

# A partition whose name holds a newline and a backslash survives the cache's
# text form: written escaped, read back exactly, acted on under that name.
q "ALTER TABLE \"$old_name\" RENAME TO \"we\\ird
name\"" >/dev/null
q "TRUNCATE pgstrata.partition_cache" >/dev/null
run "$PGSTRATA" maintain --now '2026-04-11 08:00' -q
is "$RUN_RC" 0 "a pass over the odd name"
is "$(q "SELECT strpos(entries, 'we\\\\ird\\nname') > 0 FROM pgstrata.partition_cache
          WHERE parent = 'ev'::regclass")" t "the entry holds it escaped"
run "$PGSTRATA" plan --now '2026-04-20 07:00'
is "$RUN_RC" 0 "plan when it is due, from the cached entry"
like "$RUN_OUT" 'DETACH PARTITION "public"\."we\\ird' "names it (the report indents the line after the newline)"
run "$PGSTRATA" maintain --now '2026-04-20 07:00' -q
is "$RUN_RC" 0 "and maintain retires it"
is "$(q "SELECT count(*) FROM pg_class WHERE oid = $new_oid")" 0 "the odd-named table is gone"

# A dropped parent's row goes the next time the cache is written.
q "CREATE TABLE gone (t timestamptz NOT NULL) PARTITION BY RANGE (t)" >/dev/null
run "$PGSTRATA" create gone --column t --interval '1 day' --premake 1 --now '2026-04-20 09:00' -q
run "$PGSTRATA" maintain --now '2026-04-20 09:00' -q
gone_oid=$(q "SELECT 'gone'::regclass::oid")
is "$(q "SELECT count(*) FROM pgstrata.partition_cache WHERE parent = $gone_oid")" 1 "gone is cached"
q "DROP TABLE gone" >/dev/null
run "$PGSTRATA" maintain ev --now '2026-04-21 09:00' -q
run "$PGSTRATA" maintain ev --now '2026-04-21 10:00' -q
is "$(q "SELECT count(*) FROM pgstrata.partition_cache WHERE parent = $gone_oid")" 0 \
    "its row is gone once ev is written again (ev changed in the pass before)"

done_testing
