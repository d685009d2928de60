/* What the metrics show of each managed table, read after a pass: from the
 * same catalog snapshot maintain plans from (the partition cache keeps it
 * cheap), one capped count per default partition that holds rows, and one
 * query for the time since each table's last successful pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "daemon/pass.h"
#include "db/catalog.h"
#include "db/policy_store.h"

#define DEFAULT_ROWS_CAP 1000001

/* From now to the end of the run of adjacent partitions that holds now. */
static bool coverage(const TableSnapshot *s, double *out)
{
    const PartitionInfo *holder = NULL;
    for (size_t i = 0; i < s->nparts && !holder; i++) {
        const PartitionInfo *p = &s->parts[i];
        if (p->is_default || p->detach_pending || !p->bounded)
            continue;
        if ((p->lower_unbounded || p->lower <= s->now) && (p->upper_unbounded || s->now < p->upper))
            holder = p;
    }
    if (!holder) {
        *out = 0;
        return true;
    }
    int64_t end = holder->upper;
    bool grew = !holder->upper_unbounded;
    while (grew) {
        grew = false;
        for (size_t i = 0; i < s->nparts; i++) {
            const PartitionInfo *p = &s->parts[i];
            if (!p->is_default && !p->detach_pending && p->bounded && !p->lower_unbounded &&
                p->lower == end) {
                if (p->upper_unbounded)
                    return false; /* MAXVALUE: unbounded, nothing to report */
                end = p->upper;
                grew = true;
            }
        }
    }
    if (holder->upper_unbounded)
        return false;
    *out = (double)(end - s->now);
    return true;
}

static void fill(TableMetrics *m, const TableSnapshot *s)
{
    const Policy *p = &s->policy;
    m->table = ident_display(p->schema, p->table);
    int64_t hi = 0;
    bool any = false;
    for (size_t i = 0; i < s->nparts; i++) {
        const PartitionInfo *pi = &s->parts[i];
        if (pi->is_default || pi->detach_pending || !pi->bounded)
            continue;
        m->partitions++;
        if (!pi->upper_unbounded && (!any || pi->upper > hi))
            hi = pi->upper;
        any = true;
    }
    if (!s->oid || s->problem)
        return;
    if (key_type_is_time(p->key_type)) {
        m->has_coverage = coverage(s, &m->coverage_s);
    } else if (any && s->has_max_key) {
        m->has_key_ahead = true;
        m->key_ahead = (double)(hi - s->max_key);
    }
}

static bool count_default(Conn *c, const TableSnapshot *s, long long *rows, char **err)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "SELECT pg_catalog.count(*) FROM (SELECT 1 FROM ONLY ");
    sb_qualified(&sb, s->policy.schema, s->default_name);
    sb_printf(&sb, " LIMIT %d) s", DEFAULT_ROWS_CAP);
    DbResult *r = db_query(c, sb.data, 0, NULL);
    sb_free(&sb);
    if (!r) {
        *err = xasprintf("could not count the rows of %s: %s", s->default_name, conn_error(c));
        return false;
    }
    *rows = db_get_ll(r, 0, 0, 0);
    db_clear(r);
    return true;
}

static bool read_success_ages(Conn *c, TableMetrics *m, const TableSnapshot *s, size_t n,
                              double now_mono, char **err)
{
    DbResult *r = db_query(c,
                           "SELECT parent_schema, parent_table, pg_catalog.date_part('epoch',"
                           " pg_catalog.now() - last_success_at) FROM pgstrata.policy"
                           " WHERE last_success_at IS NOT NULL",
                           0, NULL);
    if (!r) {
        *err = xasprintf("could not read when tables were last maintained: %s", conn_error(c));
        return false;
    }
    for (int row = 0; row < db_rows(r); row++) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(s[i].policy.schema, db_get(r, row, 0)) == 0 &&
                strcmp(s[i].policy.table, db_get(r, row, 1)) == 0) {
                m[i].has_success = true;
                m[i].success_age_s = db_get_double(r, row, 2, 0);
                m[i].read_at = now_mono;
            }
        }
    }
    db_clear(r);
    return true;
}

bool pass_read_stats(Conn *c, char **names, size_t nnames, const char *now, TableMetrics **out,
                     size_t *n, char **err)
{
    *out = NULL;
    *n = 0;
    Cli cli;
    memset(&cli, 0, sizeof(cli));
    PolicyRow *rows = NULL;
    size_t nrows = 0;
    if (!cli_load_policies(c, &cli, names, (int)nnames, &rows, &nrows)) {
        *err = xstrdup("could not load the policies for the metrics");
        return false;
    }
    TableSnapshot *snaps = NULL;
    bool ok = catalog_snapshots_of_rows(c, rows, nrows, now, CATALOG_READ_CACHE, &snaps, err);
    TableMetrics *m = xcalloc(nrows + 1, sizeof(TableMetrics));
    for (size_t i = 0; ok && i < nrows; i++) {
        fill(&m[i], &snaps[i]);
        if (snaps[i].has_default && snaps[i].default_has_rows)
            ok = count_default(c, &snaps[i], &m[i].default_rows, err);
    }
    /* the caller sets read_at: the parent's clock, not this process's */
    ok = ok && read_success_ages(c, m, snaps, nrows, 0, err);
    snapshots_free(snaps, nrows);
    policy_rows_free(rows, nrows);
    if (!ok) {
        table_metrics_free(m, nrows);
        return false;
    }
    *out = m;
    *n = nrows;
    return true;
}
