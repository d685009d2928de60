/* Building TableSnapshots by hand for planner tests, and looking at plans.
 *
 * Everything here is static inline so a test file that uses only part of it
 * builds without unused-function warnings. Include after <cmocka.h>'s usual
 * companions (this header includes them itself). Strings in the snapshot are
 * heap-allocated so snapshot_free() releases them. */
#ifndef PGSTRATA_TESTS_SNAPSHOT_FIXTURE_H
#define PGSTRATA_TESTS_SNAPSHOT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil.h"
#include "core/interval.h"
#include "core/naming.h"
#include "core/plan.h"
#include "core/policy.h"
#include "core/snapshot.h"
#include "core/strbuf.h"

/* ---- values ---- */

static inline int64_t fx_time(const char *text)
{
    int64_t t = 0;
    if (!civil_parse(text, &t))
        fail_msg("civil_parse rejected \"%s\"", text);
    return t;
}

static inline PartInterval fx_iv(const char *text)
{
    PartInterval iv = {UNIT_DAY, 1};
    char err[256] = "";
    if (!interval_parse(text, &iv, err, sizeof err))
        fail_msg("interval_parse rejected \"%s\": %s", text, err);
    return iv;
}

static inline Duration fx_duration(const char *text)
{
    Duration d = {0, 0, 0};
    char err[256] = "";
    if (!duration_parse(text, &d, err, sizeof err))
        fail_msg("duration_parse rejected \"%s\": %s", text, err);
    return d;
}

/* ---- the snapshot ---- */

static inline void fx_set_now(TableSnapshot *t, int64_t now)
{
    char buf[32];
    CivilFields f;
    t->now = now;
    civil_format(now, true, buf);
    free(t->now_sql);
    t->now_sql = xasprintf("'%s+00'::timestamptz", buf);
    civil_to_fields(now, &f);
    t->now_minute = f.hour * 60 + f.minute;
}

static inline void fx_set_names(TableSnapshot *t, const char *schema, const char *table)
{
    free(t->policy.schema);
    free(t->policy.table);
    t->policy.schema = xstrdup(schema);
    t->policy.table = xstrdup(table);
}

static inline void fx_option(TableSnapshot *t, PolicyOption opt, const char *value)
{
    char err[512] = "";
    if (!policy_apply(&t->policy, opt, value, err, sizeof err))
        fail_msg("policy_apply %s \"%s\": %s", policy_option_flag(opt), value, err);
}

/* public.events partitioned on created_at, policy defaults (premake 4, no
 * retention), existing, with fresh statistics, nothing attached yet. */
static inline void fx_init(TableSnapshot *t, KeyType key, const char *interval, const char *now)
{
    memset(t, 0, sizeof *t);
    policy_init(&t->policy);
    t->policy.schema = xstrdup("public");
    t->policy.table = xstrdup("events");
    t->policy.column = xstrdup("created_at");
    t->policy.key_type = key;
    fx_option(t, POPT_INTERVAL, interval);
    t->oid = 16384;
    t->owner = xstrdup("app");
    fx_set_now(t, fx_time(now));
    t->parent_has_stats = true;
    t->stats_stale = false;
}

/* Inserts a bounded range partition, keeping parts sorted by lower. */
static inline PartitionInfo *fx_add_part(TableSnapshot *t, const char *name, int64_t lo, int64_t hi)
{
    t->parts = xrealloc(t->parts, (t->nparts + 1) * sizeof(PartitionInfo));
    size_t at = t->nparts;
    while (at > 0 && !t->parts[at - 1].is_default && t->parts[at - 1].lower > lo)
        at--;
    memmove(&t->parts[at + 1], &t->parts[at], (t->nparts - at) * sizeof(PartitionInfo));
    PartitionInfo *pi = &t->parts[at];
    memset(pi, 0, sizeof *pi);
    pi->name = xstrdup(name);
    pi->bounded = true;
    pi->lower = lo;
    pi->upper = hi;
    t->nparts++;
    return pi;
}

static inline bool fx_remove_part(TableSnapshot *t, const char *name)
{
    for (size_t i = 0; i < t->nparts; i++) {
        if (strcmp(t->parts[i].name, name) != 0)
            continue;
        free(t->parts[i].name);
        memmove(&t->parts[i], &t->parts[i + 1], (t->nparts - i - 1) * sizeof(PartitionInfo));
        t->nparts--;
        return true;
    }
    return false;
}

static inline PartitionInfo *fx_find_part(TableSnapshot *t, const char *name)
{
    for (size_t i = 0; i < t->nparts; i++)
        if (strcmp(t->parts[i].name, name) == 0)
            return &t->parts[i];
    return NULL;
}

/* Attached partitions, named as pgstrata names them, for every grid cell
 * from the cell holding `from` up to `to` (exclusive). */
static inline void fx_add_cells(TableSnapshot *t, int64_t from, int64_t to)
{
    const Policy *p = &t->policy;
    for (int64_t lo = grid_floor(&p->interval, from); lo < to;) {
        int64_t hi = grid_next(&p->interval, lo);
        char name[PG_NAME_MAX + 1];
        partition_name(p->table, p->key_type, &p->interval, lo, name);
        fx_add_part(t, name, lo, hi);
        lo = hi;
    }
}

/* A default partition; also listed among parts (first) when in_parts. */
static inline void fx_set_default(TableSnapshot *t, const char *name, bool in_parts)
{
    t->has_default = true;
    free(t->default_name);
    t->default_name = xstrdup(name);
    if (in_parts) {
        t->parts = xrealloc(t->parts, (t->nparts + 1) * sizeof(PartitionInfo));
        memmove(&t->parts[1], &t->parts[0], t->nparts * sizeof(PartitionInfo));
        memset(&t->parts[0], 0, sizeof(PartitionInfo));
        t->parts[0].name = xstrdup(name);
        t->parts[0].is_default = true;
        t->nparts++;
    }
}

static inline void fx_set_columns(TableSnapshot *t, const char *const *cols, size_t n)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        free(t->columns[i]);
    free(t->columns);
    t->columns = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        t->columns[i] = xstrdup(cols[i]);
    t->ncolumns = n;
}

static inline RetiredInfo *fx_add_retired(TableSnapshot *t, const char *schema, const char *name,
                                          const char *range, RetiredState state, bool exists,
                                          bool attached)
{
    t->retired = xrealloc(t->retired, (t->nretired + 1) * sizeof(RetiredInfo));
    RetiredInfo *r = &t->retired[t->nretired++];
    memset(r, 0, sizeof *r);
    r->schema = xstrdup(schema);
    r->name = xstrdup(name);
    r->range_text = xstrdup(range);
    r->state = state;
    r->exists = exists;
    r->attached = attached;
    return r;
}

static inline bool fx_remove_retired(TableSnapshot *t, const char *name)
{
    for (size_t i = 0; i < t->nretired; i++) {
        if (strcmp(t->retired[i].name, name) != 0)
            continue;
        free(t->retired[i].schema);
        free(t->retired[i].name);
        free(t->retired[i].range_text);
        memmove(&t->retired[i], &t->retired[i + 1], (t->nretired - i - 1) * sizeof(RetiredInfo));
        t->nretired--;
        return true;
    }
    return false;
}

static inline PendingInfo *fx_add_pending(TableSnapshot *t, const char *name, int64_t lo,
                                          int64_t hi, bool exists, bool attached)
{
    t->pending = xrealloc(t->pending, (t->npending + 1) * sizeof(PendingInfo));
    PendingInfo *pd = &t->pending[t->npending++];
    memset(pd, 0, sizeof *pd);
    pd->name = xstrdup(name);
    pd->lower = lo;
    pd->upper = hi;
    pd->exists = exists;
    pd->attached = attached;
    return pd;
}

static inline void fx_add_taken(TableSnapshot *t, const char *name)
{
    t->taken_names = xrealloc(t->taken_names, (t->ntaken + 1) * sizeof(char *));
    t->taken_names[t->ntaken++] = xstrdup(name);
}

/* ---- servers and planning ---- */

static inline ServerInfo fx_server(int version_num)
{
    static char v12[] = "12.0", v13[] = "13.0", v14[] = "14.0", v15[] = "15.0", v16[] = "16.0",
                v17[] = "17.0", v18[] = "18.0";
    char *text = v15;
    switch (version_num / 10000) {
    case 12:
        text = v12;
        break;
    case 13:
        text = v13;
        break;
    case 14:
        text = v14;
        break;
    case 16:
        text = v16;
        break;
    case 17:
        text = v17;
        break;
    case 18:
        text = v18;
        break;
    default:
        break;
    }
    ServerInfo s = {version_num, text};
    return s;
}

static inline PlanOptions fx_opts(void)
{
    PlanOptions o = {false, DEFAULT_MOVE_MAX_ROWS, NULL};
    return o;
}

/* Plans t on PostgreSQL 15 with default options into a fresh plan. */
static inline void fx_plan(Plan *plan, const TableSnapshot *t)
{
    ServerInfo s = fx_server(150000);
    PlanOptions o = fx_opts();
    plan_init(plan);
    plan_table(plan, t, &s, &o);
}

static inline void fx_plan_with(Plan *plan, const TableSnapshot *t, int version_num,
                                const PlanOptions *opts)
{
    ServerInfo s = fx_server(version_num);
    plan_init(plan);
    plan_table(plan, t, &s, opts);
}

/* ---- looking at plans ---- */

static inline void fx_dump_list(const char *label, const StrList *l)
{
    for (size_t i = 0; i < l->n; i++)
        fprintf(stderr, "      %s: %s\n", label, l->items[i]);
}

static inline void fx_dump(const Plan *plan)
{
    fprintf(stderr, "  plan with %zu actions:\n", plan->n);
    for (size_t i = 0; i < plan->n; i++) {
        const Action *a = &plan->actions[i];
        fprintf(stderr, "  [%zu] %s %s (depends_on %d%s%s)\n", i, action_kind_name(a->kind),
                a->target ? a->target : "(null)", a->depends_on,
                a->autocommit ? ", autocommit" : "", a->destructive ? ", destructive" : "");
        if (a->why)
            fprintf(stderr, "      why: %s\n", a->why);
        fx_dump_list("pre", &a->pre_sql);
        fx_dump_list("sql", &a->sql);
        fx_dump_list("book", &a->book_sql);
        if (a->retry_sql)
            fprintf(stderr, "      retry: %s\n", a->retry_sql);
        if (a->guard_sql)
            fprintf(stderr, "      guard(max %lld): %s\n", (long long)a->guard_max, a->guard_sql);
        if (a->copy_sql)
            fprintf(stderr, "      copy: %s\n", a->copy_sql);
        if (a->command)
            fprintf(stderr, "      command: %s\n", a->command);
    }
}

/* Asserts the plan's action kinds, in order; dumps the plan when they differ. */
static inline void fx_assert_kinds(const Plan *plan, const ActionKind *kinds, size_t n)
{
    bool same = plan->n == n;
    for (size_t i = 0; same && i < n; i++)
        same = plan->actions[i].kind == kinds[i];
    if (same)
        return;
    fprintf(stderr, "  expected %zu actions:", n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", action_kind_name(kinds[i]));
    fprintf(stderr, "\n");
    fx_dump(plan);
    fail_msg("the plan's actions differ from the expected ones");
}

#define FX_KINDS(plan, ...)                                                                        \
    do {                                                                                           \
        const ActionKind fx_kinds_[] = {__VA_ARGS__};                                              \
        fx_assert_kinds((plan), fx_kinds_, sizeof fx_kinds_ / sizeof fx_kinds_[0]);                \
    } while (0)

static inline size_t fx_count(const Plan *plan, ActionKind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->n; i++)
        n += plan->actions[i].kind == kind;
    return n;
}

/* Index of the first action of that kind (on that target when not NULL), or -1. */
static inline int fx_find(const Plan *plan, ActionKind kind, const char *target)
{
    for (size_t i = 0; i < plan->n; i++) {
        const Action *a = &plan->actions[i];
        if (a->kind == kind && (!target || (a->target && strcmp(a->target, target) == 0)))
            return (int)i;
    }
    return -1;
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        const char *fx_h_ = (hay);                                                                 \
        const char *fx_n_ = (needle);                                                              \
        if (!fx_h_ || !strstr(fx_h_, fx_n_))                                                       \
            fail_msg("expected to find\n    %s\nin\n    %s", fx_n_, fx_h_ ? fx_h_ : "(null)");     \
    } while (0)

#define assert_not_contains(hay, needle)                                                           \
    do {                                                                                           \
        const char *fx_h_ = (hay);                                                                 \
        const char *fx_n_ = (needle);                                                              \
        if (fx_h_ && strstr(fx_h_, fx_n_))                                                         \
            fail_msg("did not expect\n    %s\nin\n    %s", fx_n_, fx_h_);                          \
    } while (0)

/* Every SQL text an action carries, for checks over all of them. */
static inline size_t fx_action_sql(const Action *a, const char **out, size_t max)
{
    size_t n = 0;
    const StrList *lists[] = {&a->pre_sql, &a->sql, &a->book_sql};
    for (size_t l = 0; l < 3; l++)
        for (size_t i = 0; i < lists[l]->n && n < max; i++)
            out[n++] = lists[l]->items[i];
    const char *single[] = {a->retry_sql, a->guard_sql, a->copy_sql};
    for (size_t i = 0; i < 3 && n < max; i++)
        if (single[i])
            out[n++] = single[i];
    return n;
}

/* The text of sql outside string literals and quoted identifiers, each of
 * which becomes one placeholder character ('L' or 'I'). Fails the test when
 * a quote is left open. Caller frees. */
static inline char *fx_sql_outside_quotes(const char *sql)
{
    StrBuf sb;
    sb_init(&sb);
    for (const char *p = sql; *p;) {
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p)
                    fail_msg("unterminated quoted identifier in: %s", sql);
                if (*p == '"' && p[1] == '"') {
                    p += 2;
                    continue;
                }
                if (*p == '"')
                    break;
                p++;
            }
            p++;
            sb_putc(&sb, 'I');
        } else if (*p == '\'') {
            bool escape = p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
                          (p - 1 == sql || !(p[-2] == '_' || (p[-2] >= 'a' && p[-2] <= 'z') ||
                                             (p[-2] >= 'A' && p[-2] <= 'Z')));
            if (escape && sb.len > 0)
                sb.data[--sb.len] = '\0'; /* the E belongs to the literal */
            p++;
            for (;;) {
                if (!*p)
                    fail_msg("unterminated string literal in: %s", sql);
                if (escape && *p == '\\' && p[1]) {
                    p += 2;
                    continue;
                }
                if (*p == '\'' && p[1] == '\'') {
                    p += 2;
                    continue;
                }
                if (*p == '\'')
                    break;
                p++;
            }
            p++;
            sb_putc(&sb, 'L');
        } else {
            sb_putc(&sb, *p++);
        }
    }
    return sb.data;
}

/* The bounds of an ATTACH statement's FOR VALUES FROM (...) TO (...), read
 * back into key space of type key (integers may be read as KEY_BIGINT to see
 * values out of the int32 range). */
static inline void fx_attach_bounds(KeyType key, const char *sql, int64_t *lo, int64_t *hi)
{
    const char *marks[2] = {"FOR VALUES FROM (", ") TO ("};
    int64_t *outs[2] = {lo, hi};
    const char *p = sql;
    for (int k = 0; k < 2; k++) {
        p = strstr(p, marks[k]);
        if (!p)
            fail_msg("no \"%s\" in %s", marks[k], sql);
        p += strlen(marks[k]);
        while (*p == '(')
            p++;
        if (*p != '\'')
            fail_msg("expected a literal at \"%s\"", p);
        const char *end = strchr(p + 1, '\'');
        if (!end)
            fail_msg("unterminated literal in %s", sql);
        char text[64];
        size_t n = (size_t)(end - p - 1);
        if (n >= sizeof text)
            fail_msg("bound too long in %s", sql);
        memcpy(text, p + 1, n);
        text[n] = '\0';
        if (n > 3 && strcmp(text + n - 3, "+00") == 0)
            text[n - 3] = '\0';
        if (!key_parse(key, text, outs[k]))
            fail_msg("cannot read bound \"%s\" of %s", text, sql);
        p = end + 1;
    }
}

/* The partition name of a target displayed as schema.name (unquoted parts). */
static inline const char *fx_target_name(const Action *a)
{
    const char *dot = strrchr(a->target, '.');
    return dot ? dot + 1 : a->target;
}

#endif
