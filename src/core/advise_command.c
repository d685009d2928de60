/* advise: the pgstrata commands that migrate a table to the recommended
 * layout, as shell lines a user can paste: every argument that is not a plain
 * word is single-quoted for a POSIX shell, and names are written as SQL reads
 * them (quoted where SQL needs it), which is how pgstrata parses them back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/advise.h"
#include "core/ident.h"
#include "core/strbuf.h"

static bool plain_word(const char *s)
{
    if (!*s || *s == '-')
        return false;
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("_@%+=:,./-", c) != NULL;
        if (!ok)
            return false;
    }
    return true;
}

static void word(StrBuf *sb, const char *s)
{
    sb_putc(sb, ' ');
    if (plain_word(s))
        sb_append(sb, s);
    else
        sb_shell_quoted(sb, s);
}

static void option(StrBuf *sb, const char *flag, const char *value)
{
    sb_putc(sb, ' ');
    sb_append(sb, flag);
    word(sb, value);
}

/* The policy options of the table's current policy that are not pgstrata's
 * defaults, carried to the new layout (migrate start registers a new
 * policy; the old one goes with the old table). */
static bool carried(StrBuf *sb, const Policy *p)
{
    size_t before = sb->len;
    char buf[96];
    if (!p->premake.is_count || p->premake.count != POLICY_DEFAULT_PREMAKE) {
        char *v = policy_premake_text(p);
        option(sb, "--premake", v);
        free(v);
    }
    if (p->retention_mode != RETIRE_DROP)
        option(sb, "--retention-mode", retention_mode_name(p->retention_mode));
    if (p->archive_command)
        option(sb, "--archive-command", p->archive_command);
    if (p->detach_schema)
        option(sb, "--detach-schema", p->detach_schema);
    if (!duration_is_zero(&p->drop_delay)) {
        duration_format(&p->drop_delay, buf);
        option(sb, "--drop-delay", buf);
    }
    if (p->has_window) {
        char *v = policy_window_text(p);
        option(sb, "--window", v);
        free(v);
    }
    if (p->time_zone && strcmp(p->time_zone, "UTC") != 0)
        option(sb, "--time-zone", p->time_zone);
    if (p->lock_timeout_ms != POLICY_DEFAULT_LOCK_TIMEOUT) {
        snprintf(buf, sizeof(buf), "%dms", p->lock_timeout_ms);
        option(sb, "--lock-timeout", buf);
    }
    if (p->analyze != ANALYZE_CHANGED)
        option(sb, "--analyze", analyze_mode_name(p->analyze));
    return sb->len > before;
}

static void step(Advice *a, const char *table, const char *name, const char *layout)
{
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "pgstrata migrate %s", name);
    word(&sb, table);
    sb_append(&sb, layout);
    strlist_add(&a->commands, sb_steal(&sb));
    sb_free(&sb);
}

/* The comma-separated --accept values of the blockers; false when one of
 * them cannot be accepted. */
static bool accepts(const Advice *a, StrBuf *out)
{
    for (size_t i = 0; i < a->nblockers; i++) {
        const char *v = a->blockers[i].accept;
        if (!v)
            return false;
        if (comma_listed(out->data, v))
            continue;
        if (out->len)
            sb_putc(out, ',');
        sb_append(out, v);
    }
    return true;
}

void advise_commands(const DocTable *t, Advice *a)
{
    strlist_free(&a->commands);
    a->notes &=
        ~(unsigned)(ADVISE_NOTE_INIT_FIRST | ADVISE_NOTE_PLAN_FIRST | ADVISE_NOTE_POLICY_CARRIED |
                    ADVISE_NOTE_ACCEPTED | ADVISE_NOTE_BLOCKED);
    StrBuf accept;
    sb_init(&accept);
    if (!accepts(a, &accept)) {
        a->notes |= ADVISE_NOTE_BLOCKED;
        sb_free(&accept);
        return;
    }
    char *table = ident_display(t->schema, t->name);
    char *column = ident_display(NULL, t->key_column);
    char iv[48];
    interval_format(&a->recommended.interval, iv);
    StrBuf layout;
    sb_init(&layout);
    option(&layout, "--column", column);
    option(&layout, "--interval", iv);
    if (a->retention_text)
        option(&layout, "--retention", a->retention_text);
    if (t->policy && carried(&layout, t->policy))
        a->notes |= ADVISE_NOTE_POLICY_CARRIED;
    if (accept.len) {
        option(&layout, "--accept", accept.data);
        a->notes |= ADVISE_NOTE_ACCEPTED;
    }

    if (!a->schema_installed) {
        strlist_add(&a->commands, xstrdup("pgstrata init"));
        a->notes |= ADVISE_NOTE_INIT_FIRST;
    }
    step(a, table, "plan", layout.data);
    step(a, table, "start", layout.data);
    static const char *const rest[] = {"backfill", "verify", "cutover", "finish"};
    for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
        step(a, table, rest[i], "");
    a->notes |= ADVISE_NOTE_PLAN_FIRST;
    sb_free(&layout);
    sb_free(&accept);
    free(table);
    free(column);
}

void advise_policy(const DocTable *t, const Advice *a, Policy *p)
{
    char iv[48], why[256];
    if (t->policy) {
        policy_copy(p, t->policy);
        free(p->schema);
        free(p->table);
        free(p->column);
    } else {
        policy_init(p);
    }
    p->schema = xstrdup(t->schema);
    p->table = xstrdup(t->name);
    p->column = xstrdup(t->key_column);
    p->key_type = t->key_type;
    p->has_start = false; /* the commands pass no --start */
    p->enabled = true;
    interval_format(&a->recommended.interval, iv);
    policy_apply(p, POPT_INTERVAL, iv, why, sizeof(why));
    policy_apply(p, POPT_RETENTION, a->retention_text ? a->retention_text : "none", why,
                 sizeof(why));
}

void advise_blockers(const DocTable *t, Advice *a, const Finding *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (f[i].severity != SEV_BLOCKER)
            continue;
        a->blockers = xrealloc(a->blockers, (a->nblockers + 1) * sizeof(Finding));
        a->blockers[a->nblockers++] =
            (Finding){f[i].severity, xstrdup(f[i].what), xstrdup_or_null(f[i].object),
                      xstrdup(f[i].message), xstrdup_or_null(f[i].accept)};
    }
    if (a->verdict == ADVISE_CHANGE && !(a->notes & ADVISE_NOTE_MIGRATION_RUNNING))
        advise_commands(t, a);
}
