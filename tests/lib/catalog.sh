# shellcheck shell=bash
# catalog.sh: SQL helpers the integration tests share to read partitions from
# the catalog (never from pgstrata's own output). Needs assert.sh (for q).

# SQL literal of a string.
lit() { printf "'%s'" "${1//\'/\'\'}"; }

# A subquery over the partitions of a table, (name, lo, hi), bounds as text as
# pg_get_expr prints them: SELECT ... FROM $(parts_of events).
BOUND_RE="\$re\$FROM \\('?([^')]*)'?\\) TO \\('?([^')]*)'?\\)\$re\$"
parts_of() {
    echo "(SELECT c.relname::text AS name, m[1] AS lo, m[2] AS hi
             FROM pg_catalog.pg_inherits i
             JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
             CROSS JOIN LATERAL pg_catalog.regexp_match(
                 pg_catalog.pg_get_expr(c.relpartbound, c.oid), $BOUND_RE) m
            WHERE i.inhparent = $(lit "$1")::regclass) AS parts"
}

# "name FOR VALUES ..." of each partition of table $1, sorted.
parts() {
    q "SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid)
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = '$1'::regclass ORDER BY 1"
}

# What parts() prints for daily UTC partitions of $1 from day $2 to day $3 (inclusive).
want_parts() {
    q "SELECT '$1_p' || to_char(d, 'YYYYMMDD') || ' ' ||
              format('FOR VALUES FROM (%L) TO (%L)', d::timestamptz, (d + 1)::timestamptz)
         FROM (SELECT g::date AS d FROM generate_series(date '$2', date '$3', interval '1 day') g) s
        ORDER BY 1"
}
