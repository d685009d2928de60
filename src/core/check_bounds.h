/* The range a legacy inheritance child holds, read from its CHECK
 * constraints as pg_get_constraintdef prints them:
 *   CHECK (((tenant_id = 1) AND (created_at >= '2024-01-01 00:00:00'::timestamp
 *   without time zone) AND (created_at < '2024-02-01 00:00:00'::timestamp
 *   without time zone)))
 * The key is the column bounded from both sides; what else the CHECKs say
 * ("tenant_id = 1") is the child's group, so children are compared for gaps
 * and overlaps only within a group. */
#ifndef PGSTRATA_CHECK_BOUNDS_H
#define PGSTRATA_CHECK_BOUNDS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/interval.h"

typedef struct CheckBounds {
    char *column; /* the key column's name (unquoted); NULL when no column is bounded both ways */
    KeyType key_type; /* from the literals' casts; bare numbers read as bigint */
    int64_t lower;    /* inclusive, key space */
    int64_t upper;    /* exclusive ("<=" is read as "<" the next value) */
    char *group;      /* the other conditions joined by " AND ", or NULL */
} CheckBounds;

/* defs: one or more CHECK definitions, one per line. A timestamptz literal is
 * read in the zone it was printed in (the caller's session, UTC). */
void check_bounds_parse(const char *defs, CheckBounds *out);
void check_bounds_free(CheckBounds *b);

#endif
