-- bench/partman_register.sql: registers the benchmark tables with pg_partman 4.7.
-- psql variables: prefix (tables <prefix>*), start_day (first partition, days from
-- today, e.g. -367), retention (e.g. '360 days').
-- The partitions exist already, named the way pg_partman names them, so create_parent
-- creates none. It warns about that and then returns before it makes its default
-- partition. The partman tables therefore have no default partition, the same as the
-- pgstrata tables. (pg_partman also makes its template table partman.template_public_<t>.)
\set ON_ERROR_STOP on
SET client_min_messages = error;
CREATE SCHEMA IF NOT EXISTS partman;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;
SELECT count(*) AS registered
FROM (SELECT partman.create_parent(p_parent_table := 'public.' || c.relname,
                                   p_control := 'ts', p_type := 'native',
                                   p_interval := 'daily', p_premake := 4,
                                   p_start_partition := (current_date + :start_day)::text)
      FROM pg_class c
      WHERE c.relkind = 'p' AND c.relnamespace = 'public'::regnamespace
        AND c.relname LIKE :'prefix' || '%'
      ORDER BY c.relname) s;
-- Retention drops the table (keep_table false). infinite_time_partitions makes
-- pg_partman premake from now() instead of from max(ts), like pgstrata.
UPDATE partman.part_config
SET retention = :'retention', retention_keep_table = false, infinite_time_partitions = true
WHERE parent_table LIKE 'public.' || :'prefix' || '%';
