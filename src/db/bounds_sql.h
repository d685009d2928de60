/* SQL that reads a partition's bounds: a regexp over pg_get_expr's
 * "FOR VALUES FROM (...) TO (...)", each side converted to the table's civil
 * time (timestamptz in the zone z.zone) or left as printed. Needs columns
 * z.zone and z.keytype in scope. */
#ifndef PGSTRATA_BOUNDS_SQL_H
#define PGSTRATA_BOUNDS_SQL_H

#define BOUND_REGEXP "'^FOR VALUES FROM \\((.*)\\) TO \\((.*)\\)$'"

#define CONVERT_BOUND(x)                                                                           \
    "CASE WHEN " x " IN ('MINVALUE', 'MAXVALUE') THEN " x " WHEN z.keytype = 'timestamptz'"        \
    " THEN ((pg_catalog.btrim(" x ", '''')::pg_catalog.timestamptz) AT TIME ZONE z.zone)::text"    \
    " ELSE pg_catalog.btrim(" x ", '''') END"

#endif
