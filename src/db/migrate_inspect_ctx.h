/* The inspection context shared by the parts of migrate plan's catalog
 * reading (db/migrate_inspect*.c): one read-only REPEATABLE READ transaction
 * fills a MigrateInspection (core/migrate.h) through it. Internal. */
#ifndef PGSTRATA_MIGRATE_INSPECT_CTX_H
#define PGSTRATA_MIGRATE_INSPECT_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/migrate.h"
#include "core/strbuf.h"
#include "db/conn.h"

#define EXAMPLES 3 /* names listed in a message before "..." */

typedef enum Method {
    EST_EXACT,  /* counted */
    EST_STATS,  /* pg_stats */
    EST_SAMPLE, /* a block sample */
} Method;

typedef struct Ctx {
    Conn *c;
    const Policy *p;
    MigrateInspection *m;
    char oid[16];
    char nspoid[16];
    char attnum[8];
    char *members; /* oid[] literal of the source and all its descendants */
    char *rel;     /* the source as SQL, quoted */
    char *disp;    /* the source as displayed */
    char *col;     /* the key column as displayed */
    char *owner;
    char *user;
    bool may_own;
    char replident;
    bool rls, rls_forced;
    bool relispartition;
    char *parent; /* displayed, when the source is a partition or a child */
    char *partkeydef;
    bool have_policy_table;
    char *analyzed_at;
    int64_t now;
    /* members */
    double heap_bytes;
    bool rows_known;
    bool all_indexed;
    size_t nchildren_direct;
    /* key data */
    KeyStats stats;
    bool have_stats;
    Method range_method, rows_method;
    double sample_pct;
    double nulls; /* rows with a NULL key (estimated unless exact) */
    bool nulls_exact;
    bool range_unreadable;
    char *raw_min, *raw_max; /* as the server printed them */
} Ctx;

static inline bool fail(Ctx *x, char **err, const char *what)
{
    *err = xasprintf("could not read %s of %s: %s", what, x->disp, conn_error(x->c));
    return false;
}

static inline void add(Ctx *x, Severity sev, const char *what, const char *object,
                       const char *accept, char *message)
{
    finding_add(x->m, sev, what, object, message, accept);
}

/* The key's range and the rows per new partition, the new layout and the
 * findings about it (db/migrate_inspect_layout.c). */
bool inspect_layout(Ctx *x, char **err);
/* Identity, unique and foreign keys, and what depends on the source: views,
 * functions, publications, triggers, RLS, grants, sequences
 * (db/migrate_inspect_deps.c). */
bool inspect_dependencies(Ctx *x, char **err);

#endif
