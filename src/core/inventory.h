/* What `ls` shows: managed tables and their partitions, as plain data read
 * by db/inventory.c and printed by report/ls_report.c. Times are text as
 * PostgreSQL printed them (UTC, ISO); NULL where unknown or never. */
#ifndef PGSTRATA_INVENTORY_H
#define PGSTRATA_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct TableRow {
    char *schema;
    char *table;
    bool exists;
    char *column;
    char *key_type;
    char *interval;  /* canonical, e.g. "1 day" */
    char *premake;   /* "4" or "7 days" */
    char *retention; /* NULL: keep everything */
    char *retention_mode;
    int partitions; /* attached range partitions */
    bool has_default;
    double default_rows;  /* estimate (reltuples), -1 unknown */
    char *oldest;         /* lowest lower bound, as the key type prints */
    char *newest;         /* highest upper bound */
    char *coverage_ahead; /* newest upper bound minus now, e.g. "4 days 03:00:00"; NULL for integer
                             keys */
    int64_t total_bytes;
    int pending_detach;
    int detached; /* retired tables not yet dropped */
    char *last_maintained;
    char *last_analyzed; /* the parent, by anyone */
} TableRow;

typedef struct PartRow {
    char *schema;
    char *name;
    char *lower; /* NULL for the default partition; "MINVALUE"/"MAXVALUE" as such */
    char *upper;
    const char *state; /* "attached", "default", "pending detach", "detached, awaiting drop",
                          "detached, archiving", "detached (kept)" */
    int64_t bytes;
    double est_rows;   /* reltuples; -1 when never analyzed or vacuumed */
    char *last_vacuum; /* greatest of manual and auto */
    char *last_autovacuum;
    char *last_analyze;
    char *last_autoanalyze;
} PartRow;

void table_rows_free(TableRow *rows, size_t n);
void part_rows_free(PartRow *rows, size_t n);

#endif
