# shellcheck shell=bash
# doctor_fixture.sh: a database with each problem doctor knows exactly once,
# each in its own table, beside a healthy table. Dates are relative to now.
#
#   source tests/lib/doctor_fixture.sh
#   doctor_fixture_build        # needs q (tests/lib/assert.sh) and a server
#
# Tables (all in public) and the finding each must give:
#   healthy       none
#   blind         parent-not-analyzed
#   grown         parent-stats-stale
#   spill         default-has-rows (30 rows, 3 days ahead of the partitions)
#   nodetach      default-partition
#   lapsed        no-partition-for-now
#   shortfall     coverage-short
#   holey         coverage-gap
#   overlap       coverage-overlap (inheritance)
#   leftover      detached-leftover (leftover_p_old)
#   lopsided      size-imbalance
#   hot           hot-share
#   fat           partition-oversized (with autovacuum_vacuum_cost_limit = 1
#                 and --vacuum-window '4 seconds')
#   tiny          partitions-tiny
#   uniq          unique-scope
#   rides         the seed 003 set: inheritance by tenant and month with a
#                 routing trigger returning NULL (routing-trigger-returns-null),
#                 some children without the parent's index (child-missing-index)
#   pubbed        publication-not-via-root
#   vac           autovacuum-backlog
#   unanalyzed    partition-stats-stale
# halfway (detach-pending) needs a lock-holding reader: see t_doctor.sh.

# Daily partitions of $1 for the days today+$2 .. today+$3-1, named $1_pN.
doctor_fixture_daily() {
    q "DO \$\$ DECLARE d date; BEGIN
         FOR i IN $2 .. $3 - 1 LOOP
           d := current_date + i;
           EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
             '$1_p' || to_char(d, 'YYYYMMDD'), '$1', d, d + 1);
         END LOOP; END \$\$" >/dev/null
}

doctor_fixture_table() { # a daily-partitioned table $1 (t timestamptz, n int, note text)
    q "CREATE TABLE $1 (t timestamptz NOT NULL, n int, note text) PARTITION BY RANGE (t)" >/dev/null
}

doctor_fixture_build() {
    local t
    # healthy: daily, yesterday to 3 days ahead, analyzed, a few rows
    for t in healthy blind grown spill nodetach shortfall holey leftover lopsided hot fat tiny \
        uniq pubbed vac unanalyzed; do
        doctor_fixture_table "$t"
    done
    doctor_fixture_daily healthy -1 4
    q "INSERT INTO healthy SELECT current_date + i * interval '1 minute', i FROM generate_series(1, 20) i" >/dev/null

    doctor_fixture_daily blind -1 4
    q "INSERT INTO blind SELECT current_date + i * interval '1 minute', i FROM generate_series(1, 20) i" >/dev/null

    # grown: analyzed at 100 rows, then 20,000 more (partitions analyzed, parent not)
    doctor_fixture_daily grown -1 4
    q "INSERT INTO grown SELECT current_date + i * interval '1 second', i FROM generate_series(1, 100) i;
       ANALYZE grown;
       INSERT INTO grown SELECT current_date + i * interval '1 second', i FROM generate_series(1, 20000) i" >/dev/null
    for t in $(q "SELECT relname FROM pg_class WHERE relname LIKE 'grown\\_p%'"); do
        q "ANALYZE $t" >/dev/null
    done

    doctor_fixture_daily spill -1 4
    q "CREATE TABLE spill_default PARTITION OF spill DEFAULT;
       INSERT INTO spill SELECT current_date + 6 + i * interval '1 hour', i FROM generate_series(0, 29) i" >/dev/null

    doctor_fixture_daily nodetach -1 4
    q "CREATE TABLE nodetach_default PARTITION OF nodetach DEFAULT" >/dev/null

    # lapsed: monthly partitions that ended at the start of this month... or
    # sooner: the last one ended yesterday
    q "CREATE TABLE lapsed (t timestamptz NOT NULL) PARTITION BY RANGE (t)" >/dev/null
    doctor_fixture_daily lapsed -5 0

    # shortfall: daily, ends at the end of today: less than a day ahead at most
    doctor_fixture_daily shortfall -3 1

    # holey: daily, the day 3 days ago missing
    doctor_fixture_daily holey -6 -3
    doctor_fixture_daily holey -2 4

    # overlap: an inheritance set whose CHECK ranges overlap
    q "CREATE TABLE overlap (t timestamp NOT NULL, n int);
       DO \$\$ DECLARE m date := date_trunc('month', now())::date; BEGIN
         EXECUTE format('CREATE TABLE overlap_a (CHECK (t >= %L AND t < %L)) INHERITS (overlap)', m - 31, m + 31);
         EXECUTE format('CREATE TABLE overlap_b (CHECK (t >= %L AND t < %L)) INHERITS (overlap)', m, m + 62);
         EXECUTE format('CREATE TABLE overlap_c (CHECK (t >= %L AND t < %L)) INHERITS (overlap)', m + 62, m + 124);
       END \$\$" >/dev/null

    # leftover: a former partition detached and never dropped
    doctor_fixture_daily leftover -1 4
    q "CREATE TABLE leftover_p_old PARTITION OF leftover FOR VALUES FROM (current_date - 30) TO (current_date - 29);
       INSERT INTO leftover SELECT current_date - 30 + i * interval '1 minute' FROM generate_series(1, 100) i;
       ALTER TABLE leftover DETACH PARTITION leftover_p_old" >/dev/null

    # lopsided: 5 past days, one 40 times the others
    doctor_fixture_daily lopsided -5 4
    q "INSERT INTO lopsided SELECT current_date - 5 + (i % 4 + 1) * interval '1 day', i FROM generate_series(1, 40) i;
       INSERT INTO lopsided SELECT current_date - 5 + i * interval '1 second', i, repeat('x', 50) FROM generate_series(1, 20000) i" >/dev/null

    # hot: 12 past days with one write each; today takes 2,000
    doctor_fixture_daily hot -12 4
    q "INSERT INTO hot SELECT current_date - i + interval '1 hour', i FROM generate_series(1, 12) i;
       INSERT INTO hot SELECT current_date + (i % 60) * interval '1 second', i FROM generate_series(1, 2000) i" >/dev/null

    # fat: today holds about 6 MB
    doctor_fixture_daily fat -1 4
    q "INSERT INTO fat SELECT current_date + (i % 1000) * interval '1 second', i, repeat('x', 60) FROM generate_series(1, 60000) i" >/dev/null

    # tiny: 120 past days, empty
    doctor_fixture_daily tiny -120 4

    # uniq: a primary key that includes the partition key
    doctor_fixture_daily uniq -1 4
    q "ALTER TABLE uniq ADD COLUMN id bigint NOT NULL; ALTER TABLE uniq ADD PRIMARY KEY (id, t)" >/dev/null

    # pubbed: published under the partitions' own names
    doctor_fixture_daily pubbed -1 4
    q "SET client_min_messages = error; CREATE PUBLICATION pubbed_pub FOR TABLE pubbed" >/dev/null

    # vac: 4 partitions with more dead rows than autovacuum's threshold, which
    # it may not clean (disabled on them); analyzed, so only vacuum is owed
    doctor_fixture_daily vac -2 4
    for t in $(q "SELECT relname FROM pg_class WHERE relname LIKE 'vac\\_p%'"); do
        q "ALTER TABLE $t SET (autovacuum_enabled = false)" >/dev/null
    done
    q "INSERT INTO vac SELECT current_date - 2 + (i % 4) * interval '1 day' + interval '1 hour', i FROM generate_series(1, 800) i;
       DELETE FROM vac WHERE n % 8 < 4" >/dev/null

    # unanalyzed: rows in partitions autovacuum may not analyze, never analyzed
    # (the parent's ANALYZE recurses into them: their counters are reset after)
    doctor_fixture_daily unanalyzed -1 4
    q "ANALYZE unanalyzed" >/dev/null
    for t in $(q "SELECT relname FROM pg_class WHERE relname LIKE 'unanalyzed\\_p%'"); do
        q "ALTER TABLE $t SET (autovacuum_enabled = false);
           SELECT pg_stat_reset_single_table_counters('$t'::regclass)" >/dev/null
    done

    doctor_fixture_rides

    # Statistics for everything but blind (the parent) and unanalyzed (the partitions).
    q "ANALYZE healthy, spill, nodetach, lapsed, shortfall, holey, overlap, leftover, lopsided,
       hot, fat, tiny, uniq, pubbed, vac, rides" >/dev/null
    for t in $(q "SELECT relname FROM pg_class WHERE relname LIKE 'blind\\_p%'"); do
        q "ANALYZE $t" >/dev/null
    done
    q "INSERT INTO unanalyzed SELECT current_date + i * interval '1 second', i FROM generate_series(1, 500) i" >/dev/null
}

# The seed 003 example: rides by tenant and month through inheritance. A
# BEFORE INSERT trigger routes each row to rides_<tenant>_<yyyy_mm>, creating
# the child (INHERITS, CHECK on both columns) the first time; it indexes the
# child, except that the fixture then drops the index of tenant 4's children.
doctor_fixture_rides() {
    q "CREATE TABLE rides (id bigserial, tenant_id int NOT NULL, created_at timestamp NOT NULL, fare numeric);
       CREATE INDEX rides_created_at ON rides (created_at);
       CREATE FUNCTION rides_route() RETURNS trigger LANGUAGE plpgsql AS \$f\$
       DECLARE child text := format('rides_%s_%s', NEW.tenant_id, to_char(NEW.created_at, 'YYYY_MM'));
               lo date := date_trunc('month', NEW.created_at)::date;
       BEGIN
         IF to_regclass(child) IS NULL THEN
           EXECUTE format('CREATE TABLE %I (CHECK (tenant_id = %s AND created_at >= %L AND created_at < %L)) INHERITS (rides)',
                          child, NEW.tenant_id, lo, (lo + interval '1 month')::date);
           EXECUTE format('CREATE INDEX ON %I (created_at)', child);
         END IF;
         EXECUTE format('INSERT INTO %I SELECT (\$1).*', child) USING NEW;
         RETURN NULL;
       END \$f\$;
       CREATE TRIGGER rides_route BEFORE INSERT ON rides FOR EACH ROW EXECUTE FUNCTION rides_route();
       INSERT INTO rides (tenant_id, created_at, fare)
         SELECT i % 4 + 1, date_trunc('month', now()) - interval '10 months' + (i * interval '1 minute') * 11, i % 50
         FROM generate_series(1, 40000) i" >/dev/null
    for t in $(q "SELECT c.relname FROM pg_class c WHERE c.relname LIKE 'rides\\_4\\_%' AND c.relkind = 'i'"); do
        q "DROP INDEX $t" >/dev/null
    done
    for t in $(q "SELECT c.relname FROM pg_class c WHERE c.relname ~ '^rides_[0-9]' AND c.relkind = 'r'"); do
        q "ANALYZE $t" >/dev/null
    done
}
