/* The EXPLAINs doctor runs, all in one READ ONLY transaction with a short
 * lock_timeout (EXPLAIN takes the locks a query would, and must never queue
 * behind DDL): planning time of a query no partition can be pruned from, on
 * tables with many partitions; the --query texts; the top queries
 * pg_stat_statements has on each table, as generic plans. */
#ifndef PGSTRATA_DOCTOR_EXPLAIN_H
#define PGSTRATA_DOCTOR_EXPLAIN_H

#include <stdbool.h>

#include "core/doctor_model.h"
#include "db/conn.h"
#include "db/doctor_read.h"

/* false only for a --query that does not EXPLAIN (the message names it); a
 * table whose locks are not granted in time is left unmeasured. */
bool doctor_explain(Conn *c, const DocReadOptions *o, DocDatabase *db, char **err);

#endif
