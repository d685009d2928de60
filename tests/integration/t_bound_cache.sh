#!/usr/bin/env bash
# pgstrata.bound_cache: bounds are reused only for the same pg_class row version
# and zone; a partition re-attached with other bounds, or a policy moved to
# another zone, is read afresh; dropped partitions leave no rows behind.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"

q "CREATE TABLE ev (id bigint, t timestamptz NOT NULL) PARTITION BY RANGE (t)" >/dev/null
run "$PGSTRATA" init -q
run "$PGSTRATA" create ev --column t --interval '1 day' --premake 3 --retention '3 days' \
    --now '2026-04-01 06:00' -q
is "$RUN_RC" 0 "create"
is "$(q "SELECT count(*) FROM pgstrata.bound_cache")" 0 "create reads, it does not fill the cache"
run "$PGSTRATA" maintain --now '2026-04-01 06:00' -q
is "$RUN_RC" 0 "maintain"
is "$(q "SELECT count(*) FROM pgstrata.bound_cache bc JOIN pg_inherits i ON i.inhrelid = bc.relid
          WHERE i.inhparent = 'ev'::regclass")" 4 "maintain caches the bound of each partition"
is "$(q "SELECT count(*) FROM pgstrata.bound_cache bc JOIN pg_class c ON c.oid = bc.relid
          JOIN pg_inherits i ON i.inhrelid = bc.relid
          WHERE bc.row_xmin = i.xmin AND bc.relname = c.relname
            AND bc.bound = pg_get_expr(c.relpartbound, 'ev'::regclass)")" 4 \
    "each cached name and bound is what the catalog says, for the current pg_inherits row"

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
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'ev'::regclass")" 5 \
    "ev has the half-day partition and the one filling the rest of the day"
is "$(q "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
          WHERE i.inhparent = 'ev'::regclass AND c.relname <> 'ev_p20260404'
          ORDER BY pg_get_expr(c.relpartbound, c.oid) DESC LIMIT 1")" \
    "FOR VALUES FROM ('2026-04-04 12:00:00+00') TO ('2026-04-05 00:00:00+00')" \
    "the new partition starts where the re-attached one ends"

# Another zone: civil times must be read again, not taken from the UTC cache.
run "$PGSTRATA" policy set ev --time-zone Europe/Berlin -q
run "$PGSTRATA" ls ev --json --now '2026-04-01 06:00'
is "$RUN_RC" 0 "ls after the zone change"
like "$RUN_OUT" '"lower":[[:space:]]*"2026-04-01 02:00:00"' \
    "bounds show as Berlin civil time (UTC midnight is 02:00 in summer)"

# Retired partitions leave the cache with their table.
run "$PGSTRATA" maintain --now '2026-04-10 06:00' -q
is "$RUN_RC" 0 "maintain days later retires the old partitions"
is "$(q "SELECT count(*) FROM pgstrata.bound_cache bc
          WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = bc.relid)")" 0 \
    "no cache row outlives its partition"
run "$PGSTRATA" maintain --now '2026-04-10 07:00' -q
is "$RUN_RC" 0 "the next pass (nothing to do) caches the partitions the last one made"
is "$(q "SELECT count(*) FROM pgstrata.bound_cache bc JOIN pg_inherits i ON i.inhrelid = bc.relid
          WHERE bc.row_xmin = i.xmin AND bc.zone = 'Europe/Berlin'")" \
    "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'ev'::regclass")" \
    "every current partition is cached at its current row version, in the policy's zone"

# A partition renamed by hand keeps its pg_inherits row, so its cached name goes
# stale: the action that needs it fails once, the cache is dropped, and the next
# pass reads names afresh and succeeds.
oldest=$(q "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'ev'::regclass ORDER BY c.relname LIMIT 1")
q "ALTER TABLE \"$oldest\" RENAME TO renamed_by_hand" >/dev/null
run "$PGSTRATA" maintain --now '2026-04-12 07:00' -q
is "$RUN_RC" 1 "the pass that meets the stale name fails"
like "$RUN_ERR" "$oldest.*does not exist" "it says which relation it could not find"
is "$(q "SELECT count(*) FROM pgstrata.bound_cache WHERE relname = '$oldest'")" 0 \
    "the stale cache is gone"
run "$PGSTRATA" maintain --now '2026-04-12 07:00' -q
is "$RUN_RC" 0 "the next pass succeeds"
is "$(q "SELECT count(*) FROM pg_class WHERE relname = 'renamed_by_hand'")" 0 \
    "and retires the renamed partition by its new name"

done_testing
