-- bench/setup.sql: plain-SQL helpers that build the benchmark's tables.
-- bench/run.sh loads this file into each benchmark database. Nothing here is part of
-- pgstrata or pg_partman. Neither tool runs any of it.
--
-- Every bound is a UTC midnight (the benchmark cluster runs with timezone = UTC), and
-- "today" is current_date.

-- bench_parents(prefix, ntables): the parent tables <prefix>001, <prefix>002, ...
--   (id bigint, ts timestamptz NOT NULL, payload text) PARTITION BY RANGE (ts)
CREATE OR REPLACE PROCEDURE bench_parents(p_prefix text, p_tables int)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..p_tables LOOP
        EXECUTE format('CREATE TABLE %I (id bigint, ts timestamptz NOT NULL, payload text)'
                       ' PARTITION BY RANGE (ts)', p_prefix || lpad(i::text, 3, '0'));
    END LOOP;
END
$$;

-- bench_add_daily(prefix, first, last, from_day, to_day): gives tables first..last one
-- daily partition for each day in [today + from_day, today + to_day), skipping days
-- whose partition (by name) already exists. Names follow pg_partman's scheme,
-- <table>_pYYYY_MM_DD. pgstrata adopts partitions whatever their names, so both
-- databases start from the same catalog. One transaction per table, so a 1,000-partition
-- table takes ~4,000 locks, not the whole run's.
CREATE OR REPLACE PROCEDURE bench_add_daily(p_prefix text, p_first int, p_last int,
                                            p_from_day int, p_to_day int)
LANGUAGE plpgsql AS $$
DECLARE
    t text;
    d date;
    part text;
BEGIN
    FOR i IN p_first..p_last LOOP
        t := p_prefix || lpad(i::text, 3, '0');
        FOR k IN p_from_day..p_to_day - 1 LOOP
            d := current_date + k;
            part := t || '_p' || to_char(d, 'YYYY_MM_DD');
            CONTINUE WHEN to_regclass(format('public.%I', part)) IS NOT NULL;
            EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES FROM (%L) TO (%L)',
                           part, t, to_char(d, 'YYYY-MM-DD') || ' 00:00:00+00',
                           to_char(d + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
        END LOOP;
        COMMIT;
    END LOOP;
END
$$;

-- bench_rows(prefix, ntables, days): one row per hour for the last `days` days in each
-- table. The current partitions are not empty, as in a live table.
CREATE OR REPLACE PROCEDURE bench_rows(p_prefix text, p_tables int, p_days int)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..p_tables LOOP
        EXECUTE format('INSERT INTO %I (id, ts, payload) SELECT g, now() - g * interval ''1 hour'','
                       ' ''payload '' || g FROM generate_series(0, %s) g',
                       p_prefix || lpad(i::text, 3, '0'), p_days * 24 - 1);
    END LOOP;
END
$$;

-- bench_drop_newest(prefix): drops, in every table named <prefix>*, the partition that
-- starts at today + 4 days (the newest one). This gives each tool one partition to
-- create. The tools name the partitions they make differently (pgstrata <t>_pYYYYMMDD,
-- pg_partman <t>_pYYYY_MM_DD), so candidates are picked by either name and then checked
-- by their bound. (Deparsing every bound of 100,000 partitions would take seconds.)
CREATE OR REPLACE PROCEDURE bench_drop_newest(p_prefix text)
LANGUAGE plpgsql AS $$
DECLARE
    d date := current_date + 4;
    r record;
BEGIN
    FOR r IN
        WITH cand AS MATERIALIZED (
            SELECT c.oid, c.relpartbound, n.nspname, c.relname
            FROM pg_class par
            JOIN pg_inherits i ON i.inhparent = par.oid
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE par.relkind = 'p' AND par.relnamespace = 'public'::regnamespace
              AND par.relname LIKE p_prefix || '%'
              AND c.relname IN (par.relname || '_p' || to_char(d, 'YYYYMMDD'),
                                par.relname || '_p' || to_char(d, 'YYYY_MM_DD'))
        )
        SELECT nspname, relname FROM cand
        WHERE pg_get_expr(relpartbound, oid)
              LIKE 'FOR VALUES FROM (''' || to_char(d, 'YYYY-MM-DD') || ' %'
    LOOP
        EXECUTE format('DROP TABLE %I.%I', r.nspname, r.relname);
    END LOOP;
END
$$;

-- bench_count(prefix): the cheap part of bench_shape, without bounds: tables,
-- partitions (min-max per table), default partitions.
CREATE OR REPLACE FUNCTION bench_count(p_prefix text) RETURNS text
LANGUAGE sql AS $$
    WITH per AS (
        SELECT par.oid, count(i.inhrelid) AS n, (pt.partdefid <> 0)::int AS has_default
        FROM pg_class par
        JOIN pg_partitioned_table pt ON pt.partrelid = par.oid
        LEFT JOIN pg_inherits i ON i.inhparent = par.oid
        WHERE par.relkind = 'p' AND par.relnamespace = 'public'::regnamespace
          AND par.relname LIKE p_prefix || '%'
        GROUP BY par.oid, pt.partdefid
    )
    SELECT format('%s tables, %s partitions (%s-%s per table), %s default',
                  count(*), sum(n - has_default), min(n - has_default), max(n - has_default),
                  sum(has_default))
    FROM per
$$;

-- bench_shape(prefix): one line that describes the partition sets of the tables named
-- <prefix>*: tables, partitions, smallest lower and largest upper bound, number of
-- partitions per table (min-max), default partitions. run.sh compares the lines of the two
-- databases, and checks them against what it expects, after every pass.
CREATE OR REPLACE FUNCTION bench_shape(p_prefix text) RETURNS text
LANGUAGE sql AS $$
    WITH b AS (
        SELECT par.relname AS parent, pg_get_expr(c.relpartbound, c.oid) AS expr
        FROM pg_class par
        JOIN pg_inherits i ON i.inhparent = par.oid
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE par.relkind = 'p' AND par.relnamespace = 'public'::regnamespace
          AND par.relname LIKE p_prefix || '%'
    ), m AS (
        SELECT parent, expr,
               regexp_match(expr, 'FROM \(''([^'']*)''\) TO \(''([^'']*)''\)') AS r
        FROM b
    ), per AS (
        SELECT parent, count(*) FILTER (WHERE expr <> 'DEFAULT') AS n FROM m GROUP BY parent
    )
    SELECT format('%s tables, %s partitions (%s-%s per table), [%s, %s), %s default',
                  (SELECT count(*) FROM per), count(*) FILTER (WHERE expr <> 'DEFAULT'),
                  (SELECT min(n) FROM per), (SELECT max(n) FROM per),
                  left(min(r[1]), 10), left(max(r[2]), 10),
                  count(*) FILTER (WHERE expr = 'DEFAULT'))
    FROM m
$$;

-- bench_make_int(table, nparts, width): a table partitioned on an integer key,
--   (id bigint NOT NULL, ts timestamptz NOT NULL DEFAULT now(), payload text)
--   PARTITION BY RANGE (id)
-- with nparts partitions [k*width, (k+1)*width) named <table>_p<lower>, which is pgstrata's
-- naming for integer keys. It puts 100 rows in the fifth partition from the top, so that
-- max(id) lies there and the four partitions above it make exactly premake 4.
-- Making partitions one after another costs O(n) each (the parent's partition descriptor
-- is rebuilt), so 10,000 of them take a few minutes whatever the method.
CREATE OR REPLACE PROCEDURE bench_make_int(p_table text, p_parts int, p_width bigint)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE public.%I (id bigint NOT NULL, ts timestamptz NOT NULL'
                   ' DEFAULT now(), payload text) PARTITION BY RANGE (id)', p_table);
    COMMIT;
    FOR k IN 0..p_parts - 1 LOOP
        EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES FROM (%s) TO (%s)',
                       p_table || '_p' || (k * p_width), p_table, k * p_width, (k + 1) * p_width);
        IF k % 1000 = 999 THEN
            COMMIT;
        END IF;
    END LOOP;
    EXECUTE format('INSERT INTO public.%I (id, payload) SELECT g, ''payload'''
                   ' FROM generate_series(%s, %s) g', p_table,
                   (p_parts - 5) * p_width, (p_parts - 5) * p_width + 99);
    COMMIT;
END
$$;

-- bench_vacuum_catalogs(): VACUUM ANALYZE is not allowed in a procedure, so this only
-- lists the statements. run.sh runs them with \gexec (autovacuum is off in the
-- benchmark cluster, and catalog statistics that are fresh after the build are what a
-- live database would have).
CREATE OR REPLACE FUNCTION bench_vacuum_catalogs() RETURNS SETOF text
LANGUAGE sql AS $$
    SELECT format('VACUUM ANALYZE pg_catalog.%I;', relname)
    FROM pg_class
    WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r'
    ORDER BY relname
$$;
