/* Policies in pgstrata.policy, stored in the same text forms the command line takes. */
#ifndef PGSTRATA_POLICY_STORE_H
#define PGSTRATA_POLICY_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/policy.h"
#include "db/conn.h"

typedef struct PolicyRow {
    Policy policy;
    char *created_at;
    char *updated_at;
    char *last_maintained_at;
    char *last_analyzed_at;
    bool has_reserved; /* tiers or sublevel set by a newer pgstrata */
} PolicyRow;

/* All policies, or those of the named tables (schemas[i], tables[i]), ordered
 * by schema and table. A stored row this version cannot read is an error. */
bool policy_store_load(Conn *c, char **schemas, char **tables, size_t nnames, PolicyRow **out,
                       size_t *n, char **err);
void policy_rows_free(PolicyRow *rows, size_t n);
bool policy_store_insert(Conn *c, const Policy *p, char **err);
bool policy_store_update(Conn *c, const Policy *p, char **err);
/* false with *err NULL when there was no such policy. */
bool policy_store_delete(Conn *c, const char *schema, const char *table, char **err);

#endif
