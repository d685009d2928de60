#include "core/inventory.h"

#include <stdlib.h>

void table_rows_free(TableRow *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        TableRow *r = &rows[i];
        free(r->schema);
        free(r->table);
        free(r->column);
        free(r->key_type);
        free(r->interval);
        free(r->premake);
        free(r->retention);
        free(r->retention_mode);
        free(r->oldest);
        free(r->newest);
        free(r->coverage_ahead);
        free(r->last_maintained);
        free(r->last_analyzed);
    }
    free(rows);
}

void part_rows_free(PartRow *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        PartRow *r = &rows[i];
        free(r->schema);
        free(r->name);
        free(r->lower);
        free(r->upper);
        free(r->last_vacuum);
        free(r->last_autovacuum);
        free(r->last_analyze);
        free(r->last_autoanalyze);
    }
    free(rows);
}
