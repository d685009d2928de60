/* The planner: from (policy, catalog snapshot, clock) to ordered actions.
 * Pure: no I/O. Every name is quoted with sb_ident, every value with
 * sb_literal. The order within one table is: finish what earlier runs
 * started (finalize, retired tables, leftovers), create what is missing,
 * retire what is past retention, then analyze the parent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"
#include "core/ident.h"
#include "core/naming.h"
#include "core/plan.h"
#include "core/strbuf.h"

#define MAX_NEW_PER_PASS 10000

typedef struct Ctx {
    Plan *plan;
    const TableSnapshot *t;
    const Policy *p;
    const ServerInfo *server;
    const PlanOptions *opts;
    char *parent_sql;  /* "schema"."table" */
    char *parent_disp; /* schema.table */
    bool window_open;
    bool window_noted;
} Ctx;

static int add_action(Ctx *c, ActionKind kind, const char *target)
{
    Plan *plan = c->plan;
    if (plan->n == plan->cap) {
        plan->cap = plan->cap ? plan->cap * 2 : 16;
        plan->actions = xrealloc(plan->actions, plan->cap * sizeof(Action));
    }
    Action *a = &plan->actions[plan->n];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->table = xstrdup(c->parent_disp);
    a->target = xstrdup(target ? target : c->parent_disp);
    a->lock_timeout_ms = c->p->lock_timeout_ms;
    a->depends_on = -1;
    return (int)plan->n++;
}

static Action *act(Ctx *c, int i)
{
    return &c->plan->actions[i];
}

static void add_error(Ctx *c, const char *target, char *why_owned)
{
    int i = add_action(c, ACT_ERROR, target);
    act(c, i)->why = why_owned;
}

static void add_note(Ctx *c, const char *target, char *why_owned)
{
    int i = add_action(c, ACT_SKIP, target);
    act(c, i)->why = why_owned;
}

/* A key value as SQL. timestamptz bounds are civil times in the zone,
 * resolved by the server, so DST days come out 23 or 25 hours long. */
void sb_key_value(StrBuf *sb, const Policy *p, int64_t v)
{
    char buf[48];
    key_format(p->key_type, v, buf);
    if (p->key_type != KEY_TIMESTAMPTZ) {
        sb_literal(sb, buf);
        return;
    }
    const char *zone = snapshot_zone(p);
    if (strcmp(zone, "UTC") == 0) {
        char *s = xasprintf("%s+00", buf);
        sb_literal(sb, s);
        free(s);
        return;
    }
    sb_putc(sb, '(');
    sb_literal(sb, buf);
    sb_append(sb, "::timestamp AT TIME ZONE ");
    sb_literal(sb, zone);
    sb_putc(sb, ')');
}

static char *range_text(const Ctx *c, int64_t lo, int64_t hi)
{
    char a[48], b[48];
    key_format(c->p->key_type, lo, a);
    key_format(c->p->key_type, hi, b);
    return xasprintf("[%s, %s)", a, b);
}

void sb_partition_bounds(StrBuf *sb, const Policy *p, int64_t lo, int64_t hi)
{
    sb_append(sb, "FOR VALUES FROM (");
    sb_key_value(sb, p, lo);
    sb_append(sb, ") TO (");
    sb_key_value(sb, p, hi);
    sb_putc(sb, ')');
}

/* SQL text that sets a bookkeeping time of the policy to the pass clock (so
 * --now simulations keep a consistent history). */
static char *touch_policy(const Ctx *c, const char *column)
{
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "UPDATE pgstrata.policy SET %s = %s WHERE parent_schema = ", column,
              c->t->now_sql);
    sb_literal(&sb, c->p->schema);
    sb_append(&sb, " AND parent_table = ");
    sb_literal(&sb, c->p->table);
    return sb.data;
}

/* 'a', 'b', 'c': values for a VALUES list. */
static void sb_literals(StrBuf *sb, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_append(sb, ", ");
        sb_literal(sb, values[i]);
    }
}

static void sb_where_name(StrBuf *sb, const char *schema, const char *name)
{
    sb_append(sb, " WHERE schema = ");
    sb_literal(sb, schema);
    sb_append(sb, " AND name = ");
    sb_literal(sb, name);
}

static char *create_table_sql(const Ctx *c, const char *name)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "CREATE TABLE ");
    sb_qualified(&sb, c->p->schema, name);
    sb_printf(&sb,
              " (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE"
              " INCLUDING COMMENTS INCLUDING GENERATED INCLUDING STATISTICS)",
              c->parent_sql);
    return sb.data;
}

static void add_owner_sql(const Ctx *c, StrList *l, const char *name)
{
    if (!c->t->set_owner || !c->t->owner)
        return;
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "ALTER TABLE ");
    sb_qualified(&sb, c->p->schema, name);
    sb_append(&sb, " OWNER TO ");
    sb_ident(&sb, c->t->owner);
    strlist_add(l, sb.data);
}

static char *attach_sql(const Ctx *c, const char *name, int64_t lo, int64_t hi)
{
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "ALTER TABLE %s ATTACH PARTITION ", c->parent_sql);
    sb_qualified(&sb, c->p->schema, name);
    sb_putc(&sb, ' ');
    sb_partition_bounds(&sb, c->p, lo, hi);
    return sb.data;
}

static char *attach_lock_text(const Ctx *c, const char *name)
{
    char *disp = ident_display(c->p->schema, name);
    char *s;
    if (c->t->has_default) {
        char *def = ident_display(c->p->schema, c->t->default_name);
        s = xasprintf("SHARE UPDATE EXCLUSIVE on %s (inserts and queries go on); ACCESS "
                      "EXCLUSIVE on %s (not in use yet) and on the default partition %s, which "
                      "is scanned",
                      c->parent_disp, disp, def);
        free(def);
    } else {
        s = xasprintf("SHARE UPDATE EXCLUSIVE on %s (inserts and queries go on); ACCESS "
                      "EXCLUSIVE on %s (not in use yet)",
                      c->parent_disp, disp);
    }
    free(disp);
    return s;
}

static char *pending_delete_sql(const Ctx *c, const char *name)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "DELETE FROM pgstrata.pending");
    sb_where_name(&sb, c->p->schema, name);
    return sb.data;
}

static int plan_attach(Ctx *c, const char *name, int64_t lo, int64_t hi, int dep,
                       const char *why_extra)
{
    char *disp = ident_display(c->p->schema, name);
    char *range = range_text(c, lo, hi);
    int i = add_action(c, ACT_ATTACH, disp);
    Action *a = act(c, i);
    strlist_add(&a->sql, attach_sql(c, name, lo, hi));
    strlist_add(&a->book_sql, pending_delete_sql(c, name));
    strlist_add(&a->book_sql, touch_policy(c, "last_layout_change"));
    a->lock = attach_lock_text(c, name);
    a->why = why_extra ? xasprintf("%s; it covers %s", why_extra, range)
                       : xasprintf("covers %s, up to the premake horizon", range);
    a->depends_on = dep;
    free(disp);
    free(range);
    return i;
}

/* Returns the index of the ATTACH, so the next creation can depend on it. */
static int plan_create_attach(Ctx *c, const char *name, int64_t lo, int64_t hi, int dep)
{
    char *disp = ident_display(c->p->schema, name);
    char *range = range_text(c, lo, hi);
    int i = add_action(c, ACT_CREATE, disp);
    Action *a = act(c, i);
    strlist_add(&a->sql, create_table_sql(c, name));
    add_owner_sql(c, &a->sql, name);
    char lo_text[48], hi_text[48];
    key_format(c->p->key_type, lo, lo_text);
    key_format(c->p->key_type, hi, hi_text);
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "INSERT INTO pgstrata.pending (schema, name, parent_schema, parent_table,"
                   " lower_bound, upper_bound) VALUES (");
    sb_literals(
        &sb, (const char *[]){c->p->schema, name, c->p->schema, c->p->table, lo_text, hi_text}, 6);
    sb_append(&sb, ") ON CONFLICT (schema, name) DO UPDATE SET parent_schema ="
                   " EXCLUDED.parent_schema, parent_table = EXCLUDED.parent_table, lower_bound ="
                   " EXCLUDED.lower_bound, upper_bound = EXCLUDED.upper_bound, created_at ="
                   " pg_catalog.now()");
    strlist_add(&a->book_sql, sb_steal(&sb));
    sb_free(&sb);
    a->lock = xasprintf("ACCESS SHARE on %s (to copy its definition); the new table is not "
                        "visible to the application until attached",
                        c->parent_disp);
    a->why = xasprintf("a standalone table for %s, attached in the next step so the parent is "
                       "never locked by CREATE ... PARTITION OF",
                       range);
    a->depends_on = dep;
    int attach = plan_attach(c, name, lo, hi, i, NULL);
    free(disp);
    free(range);
    return attach;
}

static char *key_column_sql(const Ctx *c)
{
    StrBuf sb;
    sb_init(&sb);
    sb_ident(&sb, c->p->column);
    return sb.data;
}

static int plan_move_default(Ctx *c, const char *name, int64_t lo, int64_t hi, int dep)
{
    const TableSnapshot *t = c->t;
    char *disp = ident_display(c->p->schema, name);
    char *def_disp = ident_display(c->p->schema, t->default_name);
    char *def_sql = sql_qualified(c->p->schema, t->default_name);
    char *range = range_text(c, lo, hi);
    char *col = key_column_sql(c);
    StrBuf where, cols, sb;
    sb_init(&where);
    sb_printf(&where, " WHERE %s >= ", col);
    sb_key_value(&where, c->p, lo);
    sb_printf(&where, " AND %s < ", col);
    sb_key_value(&where, c->p, hi);
    sb_init(&cols);
    for (size_t k = 0; k < t->ncolumns; k++) {
        if (k)
            sb_append(&cols, ", ");
        sb_ident(&cols, t->columns[k]);
    }

    int i = add_action(c, ACT_MOVE_DEFAULT, disp);
    Action *a = act(c, i);
    strlist_add(&a->sql, create_table_sql(c, name));
    add_owner_sql(c, &a->sql, name);
    strlist_add(&a->sql, xasprintf("LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", def_sql));
    sb_init(&sb);
    sb_printf(&sb, "WITH moved AS (DELETE FROM %s%s RETURNING %s) INSERT INTO ", def_sql,
              where.data, cols.data);
    sb_qualified(&sb, c->p->schema, name);
    sb_printf(&sb, " (%s) SELECT %s FROM moved", cols.data, cols.data);
    strlist_add(&a->sql, sb_steal(&sb));
    strlist_add(&a->sql, attach_sql(c, name, lo, hi));
    strlist_add(&a->book_sql, touch_policy(c, "last_layout_change"));
    sb_reset(&sb);
    sb_printf(&sb, "SELECT pg_catalog.count(*) FROM %s%s", def_sql, where.data);
    a->guard_sql = sb_steal(&sb);
    a->guard_max = c->opts->default_move_max_rows;
    a->guard_error = xasprintf(
        "the default partition %s holds %%lld rows in %s, the range of the new partition %s; "
        "pgstrata moves at most %lld rows in one transaction, because the move locks the "
        "default partition. In a quiet window run \"pgstrata maintain %s "
        "--move-default-max-rows N\" with N at least that count, or move the rows out of %s "
        "yourself, then run maintain again",
        def_disp, range, disp, (long long)c->opts->default_move_max_rows, c->parent_disp, def_disp);
    a->lock = xasprintf("ACCESS EXCLUSIVE on the default partition %s while its rows move; "
                        "SHARE UPDATE EXCLUSIVE on %s",
                        def_disp, c->parent_disp);
    char dmin[48], dmax[48];
    key_format(c->p->key_type, t->default_min, dmin);
    key_format(c->p->key_type, t->default_max, dmax);
    a->why = xasprintf("the default partition holds rows from %s to %s; those in %s would block "
                       "the attach, so they move into the new partition in one short transaction",
                       dmin, dmax, range);
    a->depends_on = dep;
    sb_free(&sb);
    sb_free(&where);
    sb_free(&cols);
    free(col);
    free(disp);
    free(def_disp);
    free(def_sql);
    free(range);
    return i;
}

static const PartitionInfo *find_part(const TableSnapshot *t, const char *name)
{
    for (size_t i = 0; i < t->nparts; i++)
        if (strcmp(t->parts[i].name, name) == 0)
            return &t->parts[i];
    return NULL;
}

static bool name_taken(const TableSnapshot *t, const char *name)
{
    for (size_t i = 0; i < t->ntaken; i++)
        if (strcmp(t->taken_names[i], name) == 0)
            return true;
    return false;
}

static int64_t current_key(const TableSnapshot *t)
{
    if (key_type_is_time(t->policy.key_type))
        return t->now;
    if (t->has_max_key)
        return t->max_key;
    for (size_t i = 0; i < t->nparts; i++)
        if (!t->parts[i].is_default && t->parts[i].bounded && !t->parts[i].lower_unbounded)
            return t->parts[i].lower;
    return t->policy.has_start ? t->policy.start : 0;
}

static int64_t premake_horizon(const TableSnapshot *t)
{
    const Policy *p = &t->policy;
    if (!p->premake.is_count)
        return grid_next(&p->interval, civil_add_duration(t->now, &p->premake.span, 1));
    int64_t h = grid_next(&p->interval, current_key(t));
    for (int64_t i = 0; i < p->premake.count; i++)
        h = grid_next(&p->interval, h);
    return h;
}

/* Attached, readable range partitions: what coverage is made of. */
static bool is_range_part(const PartitionInfo *pi)
{
    return !pi->is_default && !pi->detach_pending && pi->bounded;
}

static bool key_overflows(KeyType key, int64_t hi)
{
    return key == KEY_INTEGER && hi > 2147483647LL;
}

/* An integer key's first cell may start below the type's range: clamp it. */
static int64_t key_clamp_lower(KeyType key, int64_t lo)
{
    return key == KEY_INTEGER && lo < -2147483648LL ? -2147483648LL : lo;
}

static int plan_drop_leftover(Ctx *c, const PendingInfo *pd, int dep)
{
    char *disp = ident_display(c->p->schema, pd->name);
    char *q = sql_qualified(c->p->schema, pd->name);
    int i = add_action(c, ACT_DROP_LEFTOVER, disp);
    Action *a = act(c, i);
    strlist_add(&a->sql, xasprintf("DROP TABLE %s", q));
    strlist_add(&a->book_sql, pending_delete_sql(c, pd->name));
    a->guard_sql = xasprintf("SELECT pg_catalog.count(*) FROM (SELECT 1 FROM %s LIMIT 1) s", q);
    a->guard_max = 0;
    a->guard_error = xasprintf("%s, left by an earlier run, is not wanted any more but holds rows "
                               "(%%lld found); pgstrata leaves it alone: look at it and drop it "
                               "yourself",
                               disp);
    a->lock = xasprintf("ACCESS EXCLUSIVE on %s (not a partition: the parent is not locked)", disp);
    a->why = xasprintf("an earlier run created %s and stopped before attaching it; that range is "
                       "no longer wanted",
                       disp);
    a->depends_on = dep;
    free(q);
    free(disp);
    return i;
}

static void plan_forget_pending(Ctx *c, const PendingInfo *pd)
{
    char *disp = ident_display(c->p->schema, pd->name);
    int i = add_action(c, ACT_FORGET, disp);
    strlist_add(&act(c, i)->book_sql, pending_delete_sql(c, pd->name));
    act(c, i)->why = xasprintf("%s is %s: forget the note an earlier run left", disp,
                               pd->exists ? "attached already" : "gone");
    free(disp);
}

static const PendingInfo *find_leftover(const TableSnapshot *t, const char *name, size_t *k)
{
    for (*k = 0; *k < t->npending; (*k)++) {
        const PendingInfo *pd = &t->pending[*k];
        if (pd->exists && !pd->attached && strcmp(pd->name, name) == 0)
            return pd;
    }
    return NULL;
}

/* Where new partitions start: after the newest one, or at the first cell.
 * Returns NULL, or the partition reaching MAXVALUE, after which nothing can
 * be created. */
static const PartitionInfo *creation_start(const TableSnapshot *t, int64_t *from)
{
    const Policy *p = &t->policy;
    bool have_parts = false;
    for (size_t i = 0; i < t->nparts; i++) {
        const PartitionInfo *pi = &t->parts[i];
        if (!is_range_part(pi))
            continue;
        if (pi->upper_unbounded)
            return pi;
        if (!have_parts || pi->upper > *from)
            *from = pi->upper;
        have_parts = true;
    }
    if (!have_parts)
        *from = key_clamp_lower(p->key_type,
                                grid_floor(&p->interval, p->has_start ? p->start : current_key(t)));
    return NULL;
}

/* The name of the cell starting at lo. A cell that does not start on the grid
 * (after partitions made by hand or under another interval) also gets the
 * time of day, so it cannot take the name of the aligned cell that day. */
static void cell_name(const Policy *p, int64_t lo, char name[PG_NAME_MAX + 1])
{
    static const PartInterval minute = {UNIT_MINUTE, 1};
    bool off_grid = key_type_is_time(p->key_type) && p->interval.unit != UNIT_MINUTE &&
                    grid_floor(&p->interval, lo) != lo;
    partition_name(p->table, p->key_type, off_grid ? &minute : &p->interval, lo, name);
}

char **planned_partition_names(const TableSnapshot *t, size_t *n)
{
    const Policy *p = &t->policy;
    char **names = NULL;
    *n = 0;
    int64_t from = 0;
    if (creation_start(t, &from))
        return NULL;
    int64_t horizon = premake_horizon(t);
    for (int64_t lo = from, hi; lo < horizon && *n < MAX_NEW_PER_PASS; lo = hi) {
        hi = grid_next(&p->interval, lo);
        if (key_overflows(p->key_type, hi))
            break;
        char name[PG_NAME_MAX + 1];
        cell_name(p, lo, name);
        names = xrealloc(names, (*n + 1) * sizeof(char *));
        names[(*n)++] = xstrdup(name);
    }
    return names;
}

/* Rows in the default partition make every attach scan it: say so each pass. */
static void note_default_rows(Ctx *c)
{
    const TableSnapshot *t = c->t;
    if (!t->has_default || !t->default_has_rows)
        return;
    char lo[48], hi[48];
    key_format(c->p->key_type, t->default_min, lo);
    key_format(c->p->key_type, t->default_max, hi);
    char *def = ident_display(c->p->schema, t->default_name);
    char count[48] = "";
    if (t->default_rows_estimate >= 1) /* reltuples: 0 or -1 until vacuumed or analyzed */
        snprintf(count, sizeof(count), " (about %.0f)", t->default_rows_estimate);
    add_note(c, def,
             xasprintf("the default partition %s holds rows%s with keys from %s to %s; every "
                       "attach must scan it, and rows it holds for a new partition are moved out "
                       "first",
                       def, count, lo, hi));
    free(def);
}

/* Creates what is missing up to the premake horizon, one cell at a time;
 * each creation depends on the previous attach, so a failure never leaves a
 * gap behind a later partition. */
static void plan_creation(Ctx *c)
{
    const TableSnapshot *t = c->t;
    const Policy *p = c->p;
    bool *used = xcalloc(t->npending + 1, sizeof(bool));
    int64_t from = 0;
    int prev = -1, made = 0;
    int64_t horizon = premake_horizon(t);
    note_default_rows(c);
    const PartitionInfo *last = creation_start(t, &from);
    if (last)
        add_note(c, NULL,
                 xasprintf("partition %s reaches MAXVALUE: nothing to create", last->name));
    bool go = !last;
    for (int64_t lo = from, hi; go && lo < horizon; lo = hi) {
        hi = grid_next(&p->interval, lo);
        if (key_overflows(p->key_type, hi)) {
            add_note(c, NULL, xstrdup("the integer key range ends here: no more partitions"));
            break;
        }
        if (made++ >= MAX_NEW_PER_PASS) {
            add_note(c, NULL,
                     xasprintf("more than %d partitions are missing; the next pass makes more",
                               MAX_NEW_PER_PASS));
            break;
        }
        char name[PG_NAME_MAX + 1];
        cell_name(p, lo, name);
        size_t k;
        const PendingInfo *pd = find_leftover(t, name, &k);
        bool default_rows =
            t->has_default && t->default_has_rows && lo <= t->default_max && hi > t->default_min;
        if (pd && pd->lower == lo && pd->upper == hi && !default_rows) {
            used[k] = true;
            prev = plan_attach(c, name, lo, hi, prev,
                               "adopt a table an earlier run created but did not attach");
            continue;
        }
        if (pd) {
            /* Ours, for another range (the policy changed), or rows wait in the default
             * partition for this range: replace it. */
            used[k] = true;
            prev = plan_drop_leftover(c, pd, prev);
        } else if (name_taken(t, name) || find_part(t, name)) {
            char *disp = ident_display(p->schema, name);
            char *range = range_text(c, lo, hi);
            add_error(c, disp,
                      xasprintf("cannot create the partition for %s: a relation named %s already "
                                "exists and pgstrata did not make it; rename or drop it, then run "
                                "maintain again",
                                range, disp));
            free(disp);
            free(range);
            break;
        }
        if (default_rows)
            prev = plan_move_default(c, name, lo, hi, prev);
        else
            prev = plan_create_attach(c, name, lo, hi, prev);
    }
    for (size_t k = 0; k < t->npending; k++) {
        if (used[k])
            continue;
        if (!t->pending[k].exists || t->pending[k].attached)
            plan_forget_pending(c, &t->pending[k]);
        else
            plan_drop_leftover(c, &t->pending[k], -1);
    }
    free(used);
}

static bool destructive_allowed(Ctx *c)
{
    if (c->window_open && !c->opts->hold_destructive)
        return true;
    if (!c->window_noted && c->window_open) {
        add_note(c, NULL, xstrdup(c->opts->hold_destructive));
        c->window_noted = true;
    } else if (!c->window_noted) {
        char *w = policy_window_text(c->p);
        add_note(c, NULL,
                 xasprintf("retirement steps wait for the window %s (%s); it is %02d:%02d there "
                           "now",
                           w, c->p->time_zone, c->t->now_minute / 60, c->t->now_minute % 60));
        free(w);
        c->window_noted = true;
    }
    return false;
}

static char *retired_update_sql(const char *schema, const char *name, const char *set)
{
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "UPDATE pgstrata.retired SET %s, updated_at = pg_catalog.now()", set);
    sb_where_name(&sb, schema, name);
    return sb.data;
}

static int plan_drop(Ctx *c, const char *schema, const char *name, int dep)
{
    char *disp = ident_display(schema, name);
    char *q = sql_qualified(schema, name);
    int i = add_action(c, ACT_DROP, disp);
    Action *a = act(c, i);
    strlist_add(&a->sql, xasprintf("DROP TABLE %s", q));
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "DELETE FROM pgstrata.retired");
    sb_where_name(&sb, schema, name);
    strlist_add(&a->book_sql, sb.data);
    a->lock = xasprintf("ACCESS EXCLUSIVE on %s only: it is no longer a partition, so %s is not "
                        "locked",
                        disp, c->parent_disp);
    a->why = xasprintf("retention (%s mode): the table was detached",
                       retention_mode_name(c->p->retention_mode));
    a->depends_on = dep;
    a->destructive = true;
    free(disp);
    free(q);
    return i;
}

char *archive_command(const char *tmpl, const char *table, const char *range)
{
    StrBuf sb;
    sb_init(&sb);
    for (const char *s = tmpl; *s; s++) {
        const char *val = NULL;
        if (s[0] == '%' && s[1] == 't')
            val = table;
        else if (s[0] == '%' && s[1] == 'r')
            val = range;
        else if (s[0] == '%' && s[1] == '%') {
            sb_putc(&sb, '%');
            s++;
            continue;
        }
        if (!val) {
            sb_putc(&sb, *s);
            continue;
        }
        sb_shell_quoted(&sb, val);
        s++;
    }
    return sb.data;
}

static int plan_archive(Ctx *c, const char *schema, const char *name, const char *range, int dep)
{
    char *disp = ident_display(schema, name);
    char *q = sql_qualified(schema, name);
    int i = add_action(c, ACT_ARCHIVE, disp);
    Action *a = act(c, i);
    strlist_add(&a->pre_sql, retired_update_sql(schema, name, "state = 'archiving'"));
    strlist_add(&a->book_sql, retired_update_sql(schema, name, "state = 'archived'"));
    a->copy_sql = xasprintf("COPY %s TO STDOUT", q);
    a->command = archive_command(c->p->archive_command, disp, range);
    a->lock = xasprintf("ACCESS SHARE on %s (no longer a partition)", disp);
    a->why =
        xasprintf("retention (archive mode): send the rows of %s to the archive command", range);
    a->depends_on = dep;
    a->destructive = true;
    free(disp);
    free(q);
    return i;
}

static bool drop_due(const Ctx *c, bool has_detached_at, int64_t detached_at)
{
    /* Unknown detach time (never written by this version past 'detaching'): due. */
    if (duration_is_zero(&c->p->drop_delay) || !has_detached_at)
        return true;
    return civil_add_duration(detached_at, &c->p->drop_delay, 1) <= c->t->now;
}

static void note_drop_later(Ctx *c, const char *schema, const char *name, int64_t detached_at)
{
    char when[32], delay[96];
    civil_format(civil_add_duration(detached_at, &c->p->drop_delay, 1), true, when);
    duration_format(&c->p->drop_delay, delay);
    char *disp = ident_display(schema, name);
    add_note(c, disp,
             xasprintf("%s stays detached until %s (%s), --drop-delay %s", disp, when,
                       snapshot_zone(c->p), delay));
    free(disp);
}

/* What follows a detach, for a table in state `state` (RS_DETACHED for one
 * detached in this very pass, dep its detach). */
static void plan_after_detach(Ctx *c, const char *schema, const char *name, const char *range,
                              RetiredState state, bool has_detached_at, int64_t detached_at,
                              int dep)
{
    const Policy *p = c->p;
    if (state == RS_KEPT)
        return;
    if (p->retention_mode == RETIRE_DETACH) {
        if (p->detach_schema && strcmp(p->detach_schema, schema) != 0) {
            if (!destructive_allowed(c))
                return;
            char *disp = ident_display(schema, name);
            int i = add_action(c, ACT_SET_SCHEMA, disp);
            Action *a = act(c, i);
            StrBuf sb;
            sb_init(&sb);
            sb_append(&sb, "ALTER TABLE ");
            sb_qualified(&sb, schema, name);
            sb_append(&sb, " SET SCHEMA ");
            sb_ident(&sb, p->detach_schema);
            strlist_add(&a->sql, sb_steal(&sb));
            sb_append(&sb, "schema = ");
            sb_literal(&sb, p->detach_schema);
            sb_append(&sb, ", state = 'kept'");
            strlist_add(&a->book_sql, retired_update_sql(schema, name, sb.data));
            sb_free(&sb);
            a->lock = xasprintf("ACCESS EXCLUSIVE on %s (no longer a partition)", disp);
            a->why = xasprintf("retention (detach mode): keep the detached table in schema %s",
                               p->detach_schema);
            a->depends_on = dep;
            a->destructive = true;
            free(disp);
        } else if (dep < 0) {
            /* Detached by a run that stopped before writing it down. */
            char *disp = ident_display(schema, name);
            int i = add_action(c, ACT_FORGET, disp);
            strlist_add(&act(c, i)->book_sql, retired_update_sql(schema, name, "state = 'kept'"));
            act(c, i)->why =
                xasprintf("%s was detached by an earlier run: record it as kept", disp);
            free(disp);
        }
        return;
    }
    if (!destructive_allowed(c))
        return;
    if (p->retention_mode == RETIRE_ARCHIVE && state != RS_ARCHIVED)
        dep = plan_archive(c, schema, name, range, dep);
    if (drop_due(c, has_detached_at, detached_at))
        plan_drop(c, schema, name, dep);
    else
        note_drop_later(c, schema, name, detached_at);
}

static const RetiredInfo *find_retired(const TableSnapshot *t, const char *name)
{
    for (size_t i = 0; i < t->nretired; i++)
        if (t->retired[i].attached && strcmp(t->retired[i].name, name) == 0)
            return &t->retired[i];
    return NULL;
}

/* Bookkeeping once a detach is done: detach mode without a schema to move
 * to has nothing left to do, so the table is recorded as kept at once. */
static char *finish_detach_book(const Ctx *c, const char *name, const char *schema)
{
    bool kept = c->p->retention_mode == RETIRE_DETACH && !c->p->detach_schema;
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "state = '%s', detached_at = COALESCE(detached_at, %s)",
              kept ? "kept" : "detached", c->t->now_sql);
    char *s = retired_update_sql(schema, name, sb.data);
    sb_free(&sb);
    return s;
}

static void plan_finalize(Ctx *c)
{
    const TableSnapshot *t = c->t;
    for (size_t i = 0; i < t->nparts; i++) {
        const PartitionInfo *pi = &t->parts[i];
        if (!pi->detach_pending)
            continue;
        char *disp = ident_display(c->p->schema, pi->name);
        char *q = sql_qualified(c->p->schema, pi->name);
        int k = add_action(c, ACT_FINALIZE, disp);
        Action *a = act(c, k);
        strlist_add(&a->sql,
                    xasprintf("ALTER TABLE %s DETACH PARTITION %s FINALIZE", c->parent_sql, q));
        a->autocommit = true;
        strlist_add(&a->book_sql, finish_detach_book(c, pi->name, c->p->schema));
        strlist_add(&a->book_sql, touch_policy(c, "last_layout_change"));
        a->lock = xasprintf("SHARE UPDATE EXCLUSIVE on %s and %s; waits for queries that "
                            "started before the detach, without blocking new ones",
                            c->parent_disp, disp);
        a->why = xasprintf("a DETACH ... CONCURRENTLY of %s was interrupted; it stays pending "
                           "(and blocks other detaches) until finalized",
                           disp);
        const RetiredInfo *r = find_retired(t, pi->name);
        if (r) {
            int64_t now = t->now;
            plan_after_detach(c, c->p->schema, pi->name, r->range_text, RS_DETACHED, true, now, k);
        }
        free(disp);
        free(q);
    }
}

static void plan_retired(Ctx *c, const int64_t *cutoff)
{
    const TableSnapshot *t = c->t;
    for (size_t i = 0; i < t->nretired; i++) {
        const RetiredInfo *r = &t->retired[i];
        char *disp = ident_display(r->schema, r->name);
        if (!r->exists) {
            int k = add_action(c, ACT_FORGET, disp);
            StrBuf sb;
            sb_init(&sb);
            sb_append(&sb, "DELETE FROM pgstrata.retired");
            sb_where_name(&sb, r->schema, r->name);
            strlist_add(&act(c, k)->book_sql, sb.data);
            act(c, k)->why = xasprintf("%s no longer exists: forget it", disp);
        } else if (r->attached) {
            const PartitionInfo *pi = find_part(t, r->name);
            bool still_due = pi && cutoff && !pi->upper_unbounded && pi->upper <= *cutoff;
            if (pi && !pi->detach_pending && !still_due) {
                int k = add_action(c, ACT_FORGET, disp);
                StrBuf sb;
                sb_init(&sb);
                sb_append(&sb, "DELETE FROM pgstrata.retired");
                sb_where_name(&sb, r->schema, r->name);
                strlist_add(&act(c, k)->book_sql, sb.data);
                act(c, k)->why =
                    xasprintf("%s is attached and no longer past retention: forget the earlier "
                              "retirement",
                              disp);
            }
        } else if (r->state == RS_DETACHING) {
            /* Detached by a run that stopped before writing it down: record it now,
             * so a drop delay counts from this pass. */
            int k = add_action(c, ACT_FORGET, disp);
            strlist_add(&act(c, k)->book_sql, finish_detach_book(c, r->name, r->schema));
            act(c, k)->why = xasprintf("%s was detached by an earlier run that stopped before "
                                       "recording it",
                                       disp);
            plan_after_detach(c, r->schema, r->name, r->range_text, RS_DETACHED, true, t->now, k);
        } else {
            plan_after_detach(c, r->schema, r->name, r->range_text, r->state, r->has_detached_at,
                              r->detached_at, -1);
        }
        free(disp);
    }
}

static bool retention_cutoff(const Ctx *c, int64_t *cutoff)
{
    const Policy *p = c->p;
    if (!p->retention.set)
        return false;
    if (key_type_is_time(p->key_type)) {
        *cutoff = civil_add_duration(c->t->now, &p->retention.span, -1);
    } else {
        int64_t lo = grid_floor(&p->interval, current_key(c->t));
        *cutoff = lo - (p->retention.ranges - 1) * p->interval.count;
    }
    return true;
}

static char *detach_fallback_reason(const Ctx *c)
{
    if (!server_has_detach_concurrently(c->server))
        return xasprintf("this server is PostgreSQL %s and DETACH ... CONCURRENTLY needs 14",
                         c->server->version_text ? c->server->version_text : "(old)");
    if (c->t->has_default) {
        char *def = ident_display(c->p->schema, c->t->default_name);
        char *s = xasprintf("%s has a default partition (%s), which rules out DETACH ... "
                            "CONCURRENTLY",
                            c->parent_disp, def);
        free(def);
        return s;
    }
    return NULL;
}

static void plan_retention(Ctx *c, int64_t cutoff)
{
    const TableSnapshot *t = c->t;
    size_t due = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const PartitionInfo *pi = &t->parts[i];
        if (is_range_part(pi) && !pi->upper_unbounded && pi->upper <= cutoff)
            due++;
    }
    if (due == 0 || !destructive_allowed(c))
        return;
    char *fallback = detach_fallback_reason(c);
    int prev = -1;
    for (size_t i = 0; i < t->nparts; i++) {
        const PartitionInfo *pi = &t->parts[i];
        if (!is_range_part(pi) || pi->upper_unbounded || pi->upper > cutoff)
            continue;
        char *disp = ident_display(c->p->schema, pi->name);
        char *q = sql_qualified(c->p->schema, pi->name);
        char *range = range_text(c, pi->lower_unbounded ? pi->upper : pi->lower, pi->upper);
        int k = add_action(c, ACT_DETACH, disp);
        Action *a = act(c, k);
        StrBuf sb;
        sb_init(&sb);
        sb_append(&sb, "INSERT INTO pgstrata.retired (schema, name, parent_schema, parent_table,"
                       " range, state) VALUES (");
        sb_literals(&sb, (const char *[]){c->p->schema, pi->name, c->p->schema, c->p->table, range},
                    5);
        sb_append(&sb, ", 'detaching') ON CONFLICT (schema, name) DO UPDATE SET state = "
                       "'detaching', updated_at = pg_catalog.now()");
        strlist_add(&a->pre_sql, sb_steal(&sb));
        sb_free(&sb);
        char cutoff_text[48];
        key_format(c->p->key_type, cutoff, cutoff_text);
        if (!fallback) {
            strlist_add(&a->sql, xasprintf("ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY",
                                           c->parent_sql, q));
            a->retry_sql =
                xasprintf("ALTER TABLE %s DETACH PARTITION %s FINALIZE", c->parent_sql, q);
            a->autocommit = true;
            a->lock = xasprintf("SHARE UPDATE EXCLUSIVE on %s and %s; waits for queries that "
                                "started before it, without blocking inserts or new queries",
                                c->parent_disp, disp);
            a->why = xasprintf("retention: %s ends at or before %s", range, cutoff_text);
        } else {
            strlist_add(&a->sql, xasprintf("ALTER TABLE %s DETACH PARTITION %s", c->parent_sql, q));
            a->lock = xasprintf("ACCESS EXCLUSIVE on %s, held briefly; taken with lock_timeout "
                                "%d ms and retried, so inserts wait at most that long",
                                c->parent_disp, a->lock_timeout_ms);
            a->why = xasprintf("retention: %s ends at or before %s; plain DETACH because %s", range,
                               cutoff_text, fallback);
        }
        strlist_add(&a->book_sql, finish_detach_book(c, pi->name, c->p->schema));
        strlist_add(&a->book_sql, touch_policy(c, "last_layout_change"));
        a->depends_on = prev;
        a->destructive = true;
        prev = k;
        plan_after_detach(c, c->p->schema, pi->name, range, RS_DETACHED, true, t->now, k);
        free(disp);
        free(q);
        free(range);
    }
    free(fallback);
}

static bool changes_layout(ActionKind k)
{
    return k == ACT_ATTACH || k == ACT_MOVE_DEFAULT || k == ACT_DETACH || k == ACT_FINALIZE;
}

static void plan_analyze(Ctx *c, size_t first)
{
    const TableSnapshot *t = c->t;
    const char *why = NULL;
    bool changed = false;
    for (size_t i = first; i < c->plan->n; i++)
        changed = changed || changes_layout(c->plan->actions[i].kind);
    switch (c->p->analyze) {
    case ANALYZE_NEVER:
        return;
    case ANALYZE_EVERY:
        why = "--analyze every";
        break;
    case ANALYZE_CHANGED:
        if (!t->parent_has_stats) {
            why = "the parent has no statistics: autovacuum never analyzes a partitioned parent, "
                  "so the planner guesses row counts";
        } else if ((changed || t->stats_stale) && t->analyzed_recently &&
                   !server_has_analyze_only(c->server)) {
            /* Without ANALYZE ONLY, analyzing the parent re-reads every partition: once a
             * day is enough for statistics that sample the whole table. */
            if (changed)
                add_note(c, NULL,
                         xstrdup("ANALYZE of the parent waits until a day after the last one: "
                                 "before PostgreSQL 18 it re-analyzes every partition"));
        } else if (changed) {
            why = "the partition set changes in this pass, and autovacuum never analyzes a "
                  "partitioned parent";
        } else if (t->stats_stale) {
            why = "the parent's statistics predate the last change of its partition set";
        }
        break;
    }
    if (!why)
        return;
    int k = add_action(c, ACT_ANALYZE, NULL);
    Action *a = act(c, k);
    bool only = server_has_analyze_only(c->server);
    strlist_add(&a->sql, xasprintf("ANALYZE %s%s", only ? "ONLY " : "", c->parent_sql));
    strlist_add(&a->book_sql, touch_policy(c, "last_analyzed_at"));
    a->lock = only ? xasprintf("SHARE UPDATE EXCLUSIVE on %s", c->parent_disp)
                   : xasprintf("SHARE UPDATE EXCLUSIVE on %s and each partition (before "
                               "PostgreSQL 18 there is no ANALYZE ONLY, so every partition is "
                               "analyzed too)",
                               c->parent_disp);
    a->why = xstrdup(why);
}

bool snapshot_check_contiguous(const TableSnapshot *t, char *err, size_t errlen)
{
    const PartitionInfo *prev = NULL;
    for (size_t i = 0; i < t->nparts; i++) {
        const PartitionInfo *pi = &t->parts[i];
        if (pi->is_default || pi->detach_pending)
            continue;
        if (!pi->bounded) {
            snprintf(err, errlen, "cannot read the bounds of partition %s", pi->name);
            return false;
        }
        if (prev) {
            if (prev->upper_unbounded || pi->lower_unbounded || pi->lower < prev->upper) {
                snprintf(err, errlen, "partitions %s and %s overlap", prev->name, pi->name);
                return false;
            }
            if (pi->lower > prev->upper) {
                char a[48], b[48]; /* formatted only here: the check runs on every pass */
                key_format(t->policy.key_type, prev->upper, a);
                key_format(t->policy.key_type, pi->lower, b);
                snprintf(err, errlen,
                         "the partitions leave a gap: %s ends at %s but the next, %s, starts at "
                         "%s; rows in between %s. pgstrata will not guess: create a partition "
                         "for the gap (or drop the stray one), then try again",
                         prev->name, a, pi->name, b,
                         t->has_default ? "go to the default partition" : "cannot be inserted");
                return false;
            }
        }
        prev = pi;
    }
    return true;
}

void plan_table(Plan *plan, const TableSnapshot *t, const ServerInfo *server,
                const PlanOptions *opts)
{
    Ctx c = {.plan = plan, .t = t, .p = &t->policy, .server = server, .opts = opts};
    c.parent_sql = sql_qualified(t->policy.schema, t->policy.table);
    c.parent_disp = ident_display(t->policy.schema, t->policy.table);
    size_t first = plan->n;
    char err[1024];
    if (!t->oid) {
        add_error(&c, NULL,
                  xasprintf("table %s does not exist; its policy remains: drop it with "
                            "\"pgstrata policy drop %s\"",
                            c.parent_disp, c.parent_disp));
    } else if (t->problem) {
        add_error(&c, NULL, xstrdup(t->problem));
    } else if (!t->policy.enabled) {
        add_note(&c, NULL, xstrdup("the policy is disabled"));
    } else {
        c.window_open = policy_window_open(c.p, t->now_minute);
        int64_t cutoff;
        bool has_cutoff = retention_cutoff(&c, &cutoff);
        plan_finalize(&c);
        plan_retired(&c, has_cutoff ? &cutoff : NULL);
        if (!snapshot_check_contiguous(t, err, sizeof(err))) {
            add_error(&c, NULL, xstrdup(err));
        } else {
            plan_creation(&c);
            if (!opts->creation_only && has_cutoff)
                plan_retention(&c, cutoff);
            plan_analyze(&c, first);
        }
    }
    free(c.parent_sql);
    free(c.parent_disp);
}
