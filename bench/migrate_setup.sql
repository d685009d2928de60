-- bench/migrate_setup.sql: plain-SQL helpers of bench/migrate.sh, loaded into its
-- database. Nothing here is part of pgstrata; pgstrata runs none of it.

-- bench_events(name, rows, days): a plain table as the application would have it,
--   (id bigint identity primary key, created_at timestamptz, payload jsonb of ~100 bytes)
-- plus an index on created_at, holding `rows` rows spread evenly over the `days` days
-- before now (ids in time order, a few seconds of jitter). Loaded without the secondary
-- index, which is built afterwards; then VACUUM ANALYZE (run by the caller).
CREATE OR REPLACE PROCEDURE bench_events(p_name text, p_rows bigint, p_days int)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE %I (id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,'
                   ' created_at timestamptz NOT NULL, payload jsonb NOT NULL)', p_name);
    EXECUTE format($f$INSERT INTO %I (created_at, payload)
        SELECT now() - make_interval(days => %s)
                 + (i::float8 / %s) * make_interval(days => %s)
                 - random() * interval '5 seconds',
               format('{"user": %%s, "kind": "%%s", "page": "/product/%%s", "ref": "campaign-%%s", "n": %%s}',
                      (i * 7919) %% 1000003, (ARRAY['view', 'click', 'cart', 'buy'])[1 + i %% 4],
                      (i * 31) %% 100000, i %% 97, i %% 1000)::jsonb
          FROM generate_series(1::bigint, %s) i$f$, p_name, p_days, p_rows, p_days, p_rows);
    EXECUTE format('CREATE INDEX %I ON %I (created_at)', p_name || '_created_at', p_name);
END
$$;

-- The server-side view of transaction lengths: bench_sample(app) samples, every 100 ms
-- until bench_flag says stop, the age of every open transaction of sessions whose
-- application_name is `app`, one row per sample and session. Each sample is its own
-- transaction (pg_stat_activity is read afresh after every COMMIT).
CREATE TABLE bench_flag (stop boolean NOT NULL);
CREATE TABLE bench_xact (label text, at timestamptz, pid int, age_s float8, query text);
CREATE OR REPLACE PROCEDURE bench_sample(p_label text, p_app text)
LANGUAGE plpgsql AS $$
BEGIN
    LOOP
        INSERT INTO bench_xact
            SELECT p_label, clock_timestamp(), a.pid,
                   extract(epoch FROM clock_timestamp() - a.xact_start), left(a.query, 100)
              FROM pg_stat_activity a
             WHERE a.application_name = p_app AND a.xact_start IS NOT NULL
               AND a.pid <> pg_backend_pid();
        COMMIT;
        EXIT WHEN EXISTS (SELECT 1 FROM bench_flag WHERE stop);
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;

-- The seed's naive dual write: a row trigger writing each change of `src`, the full
-- row, into `dst` (the new partitioned tree) in the application's own transaction.
CREATE OR REPLACE PROCEDURE bench_naive_trigger(p_src text, p_dst text)
LANGUAGE plpgsql AS $proc$
BEGIN
    EXECUTE format($f$CREATE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS $t$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO %I OVERRIDING SYSTEM VALUE VALUES (NEW.*);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE %I SET created_at = NEW.created_at, payload = NEW.payload
         WHERE id = OLD.id AND created_at = OLD.created_at;
    ELSE
        DELETE FROM %I WHERE id = OLD.id AND created_at = OLD.created_at;
    END IF;
    RETURN NULL;
END
$t$$f$, p_src || '_naive', p_dst, p_dst, p_dst);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I'
                   ' FOR EACH ROW EXECUTE FUNCTION %I()', p_src || '_naive', p_src,
                   p_src || '_naive');
END
$proc$;
