#include "daemon/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "version.h"

const char *pass_result_name(PassResult r)
{
    static const char *const names[] = {"ok", "failed", "skipped", "error"};
    return names[r];
}

DbMetrics *metrics_db(Metrics *m, const char *name)
{
    for (size_t i = 0; i < m->ndbs; i++)
        if (strcmp(m->dbs[i]->name, name) == 0)
            return m->dbs[i];
    m->dbs = xrealloc(m->dbs, (m->ndbs + 1) * sizeof(DbMetrics *));
    DbMetrics *d = xcalloc(1, sizeof(DbMetrics));
    d->name = xstrdup(name);
    m->dbs[m->ndbs++] = d;
    return d;
}

static void counts_free(Count *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            free(c[i].labels[k]);
    free(c);
}

void table_metrics_free(TableMetrics *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(t[i].table);
    free(t);
}

static void db_metrics_free(DbMetrics *d)
{
    free(d->name);
    counts_free(d->actions, d->nactions);
    counts_free(d->retries, d->nretries);
    table_metrics_free(d->tables, d->ntables);
    free(d);
}

void metrics_drop_db(Metrics *m, const char *name)
{
    for (size_t i = 0; i < m->ndbs; i++) {
        if (strcmp(m->dbs[i]->name, name) != 0)
            continue;
        db_metrics_free(m->dbs[i]);
        memmove(&m->dbs[i], &m->dbs[i + 1], (m->ndbs - i - 1) * sizeof(DbMetrics *));
        m->ndbs--;
        return;
    }
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void add_count(Count **c, size_t *n, const char *l0, const char *l1, const char *l2,
                      double by)
{
    for (size_t i = 0; i < *n; i++) {
        Count *x = &(*c)[i];
        if (same(x->labels[0], l0) && same(x->labels[1], l1) && same(x->labels[2], l2)) {
            x->value += by;
            return;
        }
    }
    *c = xrealloc(*c, (*n + 1) * sizeof(Count));
    Count *x = &(*c)[(*n)++];
    x->labels[0] = xstrdup_or_null(l0);
    x->labels[1] = xstrdup_or_null(l1);
    x->labels[2] = xstrdup_or_null(l2);
    x->value = by;
}

void metrics_action(DbMetrics *d, const char *table, const char *action, const char *outcome,
                    int retries)
{
    add_count(&d->actions, &d->nactions, table, action, outcome, 1);
    if (retries > 0)
        add_count(&d->retries, &d->nretries, table, NULL, NULL, retries);
}

void metrics_pass(DbMetrics *d, PassResult r, double duration_s, double cpu_s, double rss_kb,
                  double end_wall)
{
    d->passes[r]++;
    d->last_duration_s = duration_s;
    d->duration_sum_s += duration_s;
    d->cpu_sum_s += cpu_s;
    d->max_rss_kb = rss_kb;
    d->last_end_wall = end_wall;
    d->up = r != PASS_ERROR;
    d->consecutive_errors = r == PASS_ERROR ? d->consecutive_errors + 1 : 0;
}

void metrics_set_tables(DbMetrics *d, TableMetrics *t, size_t n)
{
    table_metrics_free(d->tables, d->ntables);
    d->tables = t;
    d->ntables = n;
}

void metrics_free(Metrics *m)
{
    for (size_t i = 0; i < m->ndbs; i++)
        db_metrics_free(m->dbs[i]);
    free(m->dbs);
    memset(m, 0, sizeof(*m));
}

/* ---- the exposition format ------------------------------------------------- */

static void label_value(StrBuf *sb, const char *v)
{
    sb_putc(sb, '"');
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            sb_putc(sb, '\\');
        if (*p == '\n')
            sb_append(sb, "\\n");
        else
            sb_putc(sb, *p);
    }
    sb_putc(sb, '"');
}

static void family(StrBuf *sb, const char *name, const char *type, const char *help)
{
    sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{database="d"[,k="v"]...} value */
static void sample(StrBuf *sb, const char *name, const char *db, const char *const *keys,
                   const char *const *vals, int nlabels, double v)
{
    sb_printf(sb, "%s{database=", name);
    label_value(sb, db);
    for (int i = 0; i < nlabels; i++) {
        if (!vals[i])
            continue;
        sb_printf(sb, ",%s=", keys[i]);
        label_value(sb, vals[i]);
    }
    sb_printf(sb, "} %.15g\n", v);
}

typedef double (*DbValue)(const DbMetrics *d, double now);

static double v_up(const DbMetrics *d, double now)
{
    (void)now;
    return d->up;
}
static double v_running(const DbMetrics *d, double now)
{
    (void)now;
    return d->running;
}
static double v_errors(const DbMetrics *d, double now)
{
    (void)now;
    return d->consecutive_errors;
}
static double v_last_duration(const DbMetrics *d, double now)
{
    (void)now;
    return d->last_duration_s;
}
static double v_cpu(const DbMetrics *d, double now)
{
    (void)now;
    return d->cpu_sum_s;
}
static double v_rss(const DbMetrics *d, double now)
{
    (void)now;
    return d->max_rss_kb * 1024;
}
static double v_last_end(const DbMetrics *d, double now)
{
    (void)now;
    return d->last_end_wall;
}

static const struct {
    const char *name, *type, *help;
    DbValue value;
} db_families[] = {
    {"pgstrata_up", "gauge", "1 when the last pass reached the database, 0 when it could not",
     v_up},
    {"pgstrata_pass_running", "gauge", "1 while a pass over the database runs", v_running},
    {"pgstrata_consecutive_errors", "gauge",
     "passes in a row that could not connect or could not run", v_errors},
    {"pgstrata_last_pass_duration_seconds", "gauge", "how long the last pass took",
     v_last_duration},
    {"pgstrata_pass_cpu_seconds_total", "counter", "user and system CPU time of the pass processes",
     v_cpu},
    {"pgstrata_pass_max_rss_bytes", "gauge", "peak resident memory of the last pass process",
     v_rss},
    {"pgstrata_last_pass_end_timestamp_seconds", "gauge",
     "when the last pass ended (Unix time; 0 before the first)", v_last_end},
};

typedef bool (*TableValue)(const TableMetrics *t, double now, double *v);

static bool t_coverage(const TableMetrics *t, double now, double *v)
{
    (void)now;
    *v = t->coverage_s;
    return t->has_coverage;
}
static bool t_key_ahead(const TableMetrics *t, double now, double *v)
{
    (void)now;
    *v = t->key_ahead;
    return t->has_key_ahead;
}
static bool t_partitions(const TableMetrics *t, double now, double *v)
{
    (void)now;
    *v = (double)t->partitions;
    return true;
}
static bool t_default_rows(const TableMetrics *t, double now, double *v)
{
    (void)now;
    *v = (double)t->default_rows;
    return true;
}
static bool t_since_success(const TableMetrics *t, double now, double *v)
{
    /* counts on between passes, so an alert fires even when passes stop */
    *v = t->success_age_s + (now - t->read_at);
    return t->has_success;
}

static const struct {
    const char *name, *help;
    TableValue value;
} table_families[] = {
    {"pgstrata_table_coverage_seconds",
     "time keys: seconds from now to the end of the partitions that follow it (0 when no "
     "partition holds now)",
     t_coverage},
    {"pgstrata_table_coverage_keys",
     "integer keys: how far the partitions reach beyond the greatest key", t_key_ahead},
    {"pgstrata_table_partitions", "attached range partitions (the default not counted)",
     t_partitions},
    {"pgstrata_table_default_rows",
     "rows in the default partition (counted up to 1000001; 0 without a default)", t_default_rows},
    {"pgstrata_table_seconds_since_success",
     "seconds since a pass last ended with every action on the table done", t_since_success},
};

void metrics_render(const Metrics *m, double now_mono, StrBuf *out)
{
    static const char *const action_keys[] = {"table", "action", "outcome"};
    static const char *const table_key[] = {"table"};
    for (size_t f = 0; f < sizeof(db_families) / sizeof(db_families[0]); f++) {
        family(out, db_families[f].name, db_families[f].type, db_families[f].help);
        for (size_t i = 0; i < m->ndbs; i++)
            sample(out, db_families[f].name, m->dbs[i]->name, NULL, NULL, 0,
                   db_families[f].value(m->dbs[i], now_mono));
    }
    family(out, "pgstrata_passes_total", "counter",
           "passes by result: ok, failed (an action failed), skipped (another replica held the "
           "database), error (could not connect or run)");
    for (size_t i = 0; i < m->ndbs; i++) {
        for (int r = 0; r < PASS__COUNT; r++) {
            const char *v[] = {pass_result_name((PassResult)r)};
            static const char *const k[] = {"result"};
            sample(out, "pgstrata_passes_total", m->dbs[i]->name, k, v, 1, m->dbs[i]->passes[r]);
        }
    }
    family(out, "pgstrata_pass_duration_seconds", "summary", "time the passes took");
    for (size_t i = 0; i < m->ndbs; i++) {
        double n = 0;
        for (int r = 0; r < PASS__COUNT; r++)
            n += m->dbs[i]->passes[r];
        sample(out, "pgstrata_pass_duration_seconds_sum", m->dbs[i]->name, NULL, NULL, 0,
               m->dbs[i]->duration_sum_s);
        sample(out, "pgstrata_pass_duration_seconds_count", m->dbs[i]->name, NULL, NULL, 0, n);
    }
    family(out, "pgstrata_actions_total", "counter",
           "actions by table, kind (create, attach, detach, drop, ...) and outcome (ok, failed, "
           "skipped)");
    for (size_t i = 0; i < m->ndbs; i++)
        for (size_t k = 0; k < m->dbs[i]->nactions; k++)
            sample(out, "pgstrata_actions_total", m->dbs[i]->name, action_keys,
                   (const char *const *)m->dbs[i]->actions[k].labels, 3,
                   m->dbs[i]->actions[k].value);
    family(out, "pgstrata_lock_retries_total", "counter",
           "lock timeouts retried (another session held a conflicting lock)");
    for (size_t i = 0; i < m->ndbs; i++)
        for (size_t k = 0; k < m->dbs[i]->nretries; k++)
            sample(out, "pgstrata_lock_retries_total", m->dbs[i]->name, table_key,
                   (const char *const *)m->dbs[i]->retries[k].labels, 1,
                   m->dbs[i]->retries[k].value);
    for (size_t f = 0; f < sizeof(table_families) / sizeof(table_families[0]); f++) {
        family(out, table_families[f].name, "gauge", table_families[f].help);
        for (size_t i = 0; i < m->ndbs; i++) {
            for (size_t k = 0; k < m->dbs[i]->ntables; k++) {
                const TableMetrics *t = &m->dbs[i]->tables[k];
                double v;
                const char *label[] = {t->table};
                if (table_families[f].value(t, now_mono, &v))
                    sample(out, table_families[f].name, m->dbs[i]->name, table_key, label, 1, v);
            }
        }
    }
    family(out, "pgstrata_config_reloads_total", "counter",
           "SIGHUP reloads by result (a failed one keeps the configuration in use)");
    sb_printf(out, "pgstrata_config_reloads_total{result=\"ok\"} %.15g\n", m->reloads_ok);
    sb_printf(out, "pgstrata_config_reloads_total{result=\"failed\"} %.15g\n", m->reloads_failed);
    family(out, "pgstrata_start_time_seconds", "gauge", "when the daemon started (Unix time)");
    sb_printf(out, "pgstrata_start_time_seconds %.15g\n", m->start_wall);
    family(out, "pgstrata_build_info", "gauge", "the version of pgstrata");
    sb_printf(out, "pgstrata_build_info{version=\"%s\"} 1\n", PGSTRATA_VERSION);
}
