#include "core/migrate.h"

#include <stdlib.h>
#include <string.h>

#include "core/naming.h"
#include "core/policy.h"
#include "core/strbuf.h"

const char *source_kind_name(SourceKind k)
{
    switch (k) {
    case SOURCE_PLAIN:
        return "plain table";
    case SOURCE_PARTITIONED:
        return "partitioned table";
    case SOURCE_INHERITANCE:
        return "inheritance set";
    }
    return "?";
}

const char *severity_name(Severity s)
{
    switch (s) {
    case SEV_BLOCKER:
        return "blocker";
    case SEV_WARNING:
        return "warning";
    case SEV_INFO:
        return "info";
    }
    return "?";
}

void finding_add(MigrateInspection *m, Severity sev, const char *what, const char *object,
                 char *message, const char *accept)
{
    m->findings = xrealloc(m->findings, (m->nfindings + 1) * sizeof(Finding));
    Finding *f = &m->findings[m->nfindings++];
    f->severity = sev;
    f->what = xstrdup(what);
    f->object = xstrdup_or_null(object);
    f->message = message;
    f->accept = xstrdup_or_null(accept);
}

bool comma_listed(const char *list, const char *value)
{
    size_t n = strlen(value);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, value, n) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

bool finding_accepted(const Finding *f, const char *accepted)
{
    return f->severity == SEV_BLOCKER && f->accept && comma_listed(accepted, f->accept);
}

size_t migrate_unaccepted_blockers(const MigrateInspection *m, const char *accepted)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nfindings; i++)
        n += m->findings[i].severity == SEV_BLOCKER && !finding_accepted(&m->findings[i], accepted);
    return n;
}

void migrate_inspection_free(MigrateInspection *m)
{
    free(m->schema);
    free(m->table);
    free(m->key_column);
    strlist_free(&m->identity_columns);
    strlist_free(&m->identity_types);
    strlist_free(&m->children);
    for (size_t i = 0; i < m->nparts; i++)
        free(m->parts[i].name);
    free(m->parts);
    for (size_t i = 0; i < m->nfindings; i++) {
        free(m->findings[i].what);
        free(m->findings[i].object);
        free(m->findings[i].message);
        free(m->findings[i].accept);
    }
    free(m->findings);
    memset(m, 0, sizeof(*m));
}

/* ---- migrate plan: the new layout and its estimates ----------------------- */

double migrate_copy_seconds(double rows, double bytes, double max_rate)
{
    double rate = MIGRATE_COPY_ROWS_PER_S;
    if (max_rate > 0 && max_rate < rate)
        rate = max_rate;
    double by_rows = rows > 0 ? rows / rate : 0;
    double by_bytes = bytes > 0 ? bytes / MIGRATE_COPY_BYTES_PER_S : 0;
    return by_rows > by_bytes ? by_rows : by_bytes;
}

/* The key the current cell holds when there is no data to go by: now for
 * time keys; --start, else 0, for integer keys. */
static int64_t layout_current(const MigrateInspection *m, const Policy *p, int64_t now)
{
    if (key_type_is_time(p->key_type))
        return now;
    if (m->has_keys)
        return m->max_key;
    return p->has_start ? p->start : 0;
}

/* Where premake ends, as the planner computes it for create. */
static int64_t layout_horizon(const MigrateInspection *m, const Policy *p, int64_t now)
{
    if (!p->premake.is_count && key_type_is_time(p->key_type))
        return grid_next(&p->interval, civil_add_duration(now, &p->premake.span, 1));
    int64_t h = grid_next(&p->interval, layout_current(m, p, now));
    for (int64_t i = 0; i < p->premake.count; i++)
        h = grid_next(&p->interval, h);
    return h;
}

size_t migrate_layout(MigrateInspection *m, const Policy *p, int64_t now)
{
    int64_t first = m->has_keys ? m->min_key : layout_current(m, p, now);
    if (p->has_start && (!m->has_keys || p->start < first))
        first = p->start;
    int64_t lo = grid_floor(&p->interval, first);
    if (p->key_type == KEY_INTEGER && lo < INT32_MIN)
        lo = INT32_MIN;
    int64_t end = layout_horizon(m, p, now);
    if (m->has_keys && m->max_key >= end)
        end = grid_next(&p->interval, m->max_key);
    size_t n = 0;
    for (int64_t a = lo; a < end; a = grid_next(&p->interval, a)) {
        int64_t b = grid_next(&p->interval, a);
        if (b <= a || (p->key_type == KEY_INTEGER && b > INT32_MAX))
            break;
        if (++n > MIGRATE_MAX_PARTITIONS)
            return n;
    }
    m->parts = n ? xcalloc(n, sizeof(NewPartition)) : NULL;
    m->nparts = n;
    int64_t a = lo;
    for (size_t i = 0; i < n; i++) {
        char name[PG_NAME_MAX + 1];
        partition_name(m->table, p->key_type, &p->interval, a, name);
        m->parts[i].name = xstrdup(name);
        m->parts[i].lower = a;
        m->parts[i].upper = grid_next(&p->interval, a);
        a = m->parts[i].upper;
    }
    return n;
}

void key_stats_add_bound(KeyStats *s, int64_t v)
{
    s->hist = xrealloc(s->hist, (s->nhist + 1) * sizeof(int64_t));
    s->hist[s->nhist++] = v;
}

void key_stats_add_mcv(KeyStats *s, int64_t v, double freq)
{
    s->mcv = xrealloc(s->mcv, (s->nmcv + 1) * sizeof(int64_t));
    s->mcf = xrealloc(s->mcf, (s->nmcv + 1) * sizeof(double));
    s->mcv[s->nmcv] = v;
    s->mcf[s->nmcv++] = freq;
}

/* The share of [a, b] (a histogram bucket, both ends held) inside [lo, hi):
 * the bucket is taken as [a, b + 1), so a one-value bucket counts too. */
static double bucket_share(int64_t a, int64_t b, int64_t lo, int64_t hi)
{
    double from = (double)(lo > a ? lo : a);
    double to = (double)hi < (double)b + 1 ? (double)hi : (double)b + 1;
    if (to <= from)
        return 0;
    return (to - from) / ((double)b + 1 - (double)a);
}

double key_stats_fraction(const KeyStats *s, int64_t lo, int64_t hi)
{
    double common = 0, in_common = 0;
    for (size_t i = 0; i < s->nmcv; i++) {
        common += s->mcf[i];
        if (s->mcv[i] >= lo && s->mcv[i] < hi)
            in_common += s->mcf[i];
    }
    double rest = 1 - s->null_frac - common;
    if (s->nhist < 2 || rest <= 0)
        return in_common;
    double in_hist = 0;
    for (size_t i = 0; i + 1 < s->nhist; i++)
        in_hist += bucket_share(s->hist[i], s->hist[i + 1], lo, hi);
    return in_common + rest * in_hist / (double)(s->nhist - 1);
}

bool key_stats_range(const KeyStats *s, int64_t *min, int64_t *max)
{
    bool any = false;
    for (size_t i = 0; i < s->nhist + s->nmcv; i++) {
        int64_t v = i < s->nhist ? s->hist[i] : s->mcv[i - s->nhist];
        if (!any || v < *min)
            *min = v;
        if (!any || v > *max)
            *max = v;
        any = true;
    }
    return any;
}

void key_stats_free(KeyStats *s)
{
    free(s->hist);
    free(s->mcv);
    free(s->mcf);
    memset(s, 0, sizeof(*s));
}
