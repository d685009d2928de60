/* Reads the doctor model (core/doctor_model.h) of the partitioned tables of a
 * database, declarative or legacy inheritance sets, managed by pgstrata or
 * not, in a few set-based catalog queries; then counts rows of default
 * partitions that have pages (bounded) and runs the EXPLAINs asked for. */
#ifndef PGSTRATA_DOCTOR_READ_H
#define PGSTRATA_DOCTOR_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "core/doctor_model.h"
#include "db/conn.h"

typedef struct DocReadOptions {
    const char *const *queries; /* --query: EXPLAINed against every table they touch */
    size_t nqueries;
    bool measure_planning; /* EXPLAIN a full scan of tables with many partitions */
    bool use_pgss;         /* EXPLAIN the top pg_stat_statements queries on each table */
    const DocOptions *thresholds;
    const char *now; /* --now: the clock (a timestamptz), NULL for the server's now() */
} DocReadOptions;

/* The tables schemas[i].tables[i] (every partitioned table and inheritance
 * set when n is 0). *missing gets the first named table that is neither (the
 * caller frees it), and nothing else is read. The session's TimeZone is set to
 * UTC for the duration. */
bool doctor_read(Conn *c, const char *const *schemas, const char *const *tables, size_t n,
                 const DocReadOptions *o, DocDatabase *out, char **missing, char **err);

#endif
