#include "core/doctor_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"
#include "core/doctor_rules_int.h"
#include "core/ident.h"
#include "core/strbuf.h"

void rule_add(RuleCtx *c, const char *id, DoctorSeverity sev, char *object, char *evidence,
              const char *why, char *fix)
{
    doctor_add(c->out, id, sev, xstrdup(c->display), object, evidence, xstrdup(why), fix);
}

void rule_key_text(const DocTable *t, int64_t v, char buf[48])
{
    if (!key_type_is_time(t->key_type)) {
        key_format(t->key_type, v, buf);
        return;
    }
    char tmp[32];
    bool midnight = floor_div(v, CIVIL_DAY) * CIVIL_DAY == v;
    civil_format(v, !midnight || t->key_type != KEY_DATE, tmp);
    if (midnight && t->key_type != KEY_DATE)
        tmp[10] = '\0'; /* a day boundary reads as the date alone */
    snprintf(buf, 48, "%s%s", tmp, t->key_type == KEY_TIMESTAMPTZ && !midnight ? " UTC" : "");
}

bool rule_width_interval(const DocTable *t, int64_t width, char buf[48])
{
    if (width <= 0)
        return false;
    if (!key_type_is_time(t->key_type)) {
        snprintf(buf, 48, "%lld", (long long)width);
        return true;
    }
    int64_t days = width / CIVIL_DAY;
    if (width % CIVIL_DAY) {
        if (width % 60 || CIVIL_DAY % width)
            return false;
        if (width % 3600 == 0)
            snprintf(buf, 48, "%lld hour%s", (long long)(width / 3600), width == 3600 ? "" : "s");
        else
            snprintf(buf, 48, "%lld minutes", (long long)(width / 60));
        return true;
    }
    if (days >= 28 && days <= 31)
        snprintf(buf, 48, "1 month");
    else if (days >= 89 && days <= 92)
        snprintf(buf, 48, "1 quarter");
    else if (days == 365 || days == 366)
        snprintf(buf, 48, "1 year");
    else if (days % 7 == 0)
        snprintf(buf, 48, "%lld week%s", (long long)(days / 7), days == 7 ? "" : "s");
    else
        snprintf(buf, 48, "%lld day%s", (long long)days, days == 1 ? "" : "s");
    return true;
}

char *rule_column_arg(const DocTable *t)
{
    if (!t->key_column)
        return NULL;
    char *typed = ident_display(NULL, t->key_column);
    StrBuf b;
    sb_init(&b);
    sb_shell_quoted(&b, typed);
    free(typed);
    char *s = sb_steal(&b);
    sb_free(&b);
    return s;
}

int64_t rule_median_width(const DocTable *t)
{
    int64_t *w = xcalloc(t->nparts + 1, sizeof(int64_t));
    size_t n = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        if (doc_part_in_range(p) && !p->lower_unbounded && !p->upper_unbounded)
            w[n++] = p->upper - p->lower;
    }
    int64_t m = doc_median(w, n);
    free(w);
    return m;
}

bool rule_part_past(const RuleCtx *c, const DocPart *p)
{
    if (!doc_part_in_range(p))
        return false;
    if (!key_type_is_time(c->t->key_type))
        return true;
    return !p->upper_unbounded && p->upper <= c->db->server.now;
}

void names_init(NameList *l, int most)
{
    sb_init(&l->text);
    l->count = 0;
    l->most = most;
}

void names_add(NameList *l, const char *name)
{
    if (l->count < l->most)
        sb_printf(&l->text, "%s%s", l->count ? ", " : "", name);
    l->count++;
}

char *names_take(NameList *l)
{
    if (l->count > l->most)
        sb_printf(&l->text, " and %d more", l->count - l->most);
    char *s = sb_steal(&l->text);
    sb_free(&l->text);
    return s;
}

void doctor_rules(const DocDatabase *db, const DocOptions *o, DoctorReport *out)
{
    memset(out, 0, sizeof(*out));
    out->tables = db->ntables;
    for (size_t i = 0; i < db->ntables; i++) {
        const DocTable *t = &db->tables[i];
        RuleCtx c = {
            db,  t, o, out, ident_display(t->schema, t->name), sql_qualified(t->schema, t->name),
            NULL};
        StrBuf shell;
        sb_init(&shell);
        sb_shell_quoted(&shell, c.display);
        c.shell = sb_steal(&shell);
        sb_free(&shell);
        rules_layout(&c);
        rules_usage(&c);
        rules_schema(&c);
        free(c.display);
        free(c.qualified);
        free(c.shell);
    }
    doctor_sort(out);
}
