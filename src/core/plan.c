/* Plan and snapshot lifecycles, and what the server version allows. */
#include "core/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

const char *action_kind_name(ActionKind k)
{
    switch (k) {
    case ACT_CREATE:
        return "create";
    case ACT_ATTACH:
        return "attach";
    case ACT_MOVE_DEFAULT:
        return "move-default-rows";
    case ACT_DETACH:
        return "detach";
    case ACT_FINALIZE:
        return "finalize-detach";
    case ACT_ARCHIVE:
        return "archive";
    case ACT_SET_SCHEMA:
        return "set-schema";
    case ACT_DROP:
        return "drop";
    case ACT_DROP_LEFTOVER:
        return "drop-leftover";
    case ACT_FORGET:
        return "forget";
    case ACT_ANALYZE:
        return "analyze";
    case ACT_SKIP:
        return "note";
    case ACT_ERROR:
        return "error";
    }
    return "?";
}

void strlist_add(StrList *l, char *owned)
{
    l->items = xrealloc(l->items, (l->n + 1) * sizeof(char *));
    l->items[l->n++] = owned;
}

void strlist_free(StrList *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void plan_init(Plan *p)
{
    memset(p, 0, sizeof(*p));
}

static void action_free(Action *a)
{
    free(a->table);
    free(a->target);
    free(a->lock);
    free(a->why);
    strlist_free(&a->pre_sql);
    strlist_free(&a->sql);
    strlist_free(&a->book_sql);
    free(a->retry_sql);
    free(a->guard_sql);
    free(a->guard_error);
    free(a->copy_sql);
    free(a->command);
}

void plan_free(Plan *p)
{
    for (size_t i = 0; i < p->n; i++)
        action_free(&p->actions[i]);
    free(p->actions);
    memset(p, 0, sizeof(*p));
}

bool server_has_detach_concurrently(const ServerInfo *s)
{
    return s->version_num >= 140000;
}

bool server_has_analyze_only(const ServerInfo *s)
{
    return s->version_num >= 180000;
}

bool server_supported(const ServerInfo *s, char *err, size_t errlen)
{
    if (s->version_num >= 120000)
        return true;
    snprintf(err, errlen,
             "this server is PostgreSQL %s; pgstrata needs PostgreSQL 12 or later (partitioned "
             "indexes and foreign keys, and expressions in partition bounds, arrived in 11 and 12)",
             s->version_text ? s->version_text : "(unknown)");
    return false;
}

const char *snapshot_zone(const Policy *p)
{
    if (p->key_type == KEY_TIMESTAMPTZ && p->interval.unit == UNIT_MINUTE)
        return "UTC";
    return p->time_zone ? p->time_zone : "UTC";
}

void snapshot_free(TableSnapshot *t)
{
    policy_free(&t->policy);
    free(t->problem);
    free(t->owner);
    strings_free(t->columns, t->ncolumns);
    free(t->now_sql);
    for (size_t i = 0; i < t->nparts; i++)
        free(t->parts[i].name);
    free(t->parts);
    free(t->parts_fingerprint);
    free(t->default_name);
    for (size_t i = 0; i < t->nretired; i++) {
        free(t->retired[i].schema);
        free(t->retired[i].name);
        free(t->retired[i].range_text);
    }
    free(t->retired);
    for (size_t i = 0; i < t->npending; i++)
        free(t->pending[i].name);
    free(t->pending);
    strings_free(t->taken_names, t->ntaken);
    memset(t, 0, sizeof(*t));
}
