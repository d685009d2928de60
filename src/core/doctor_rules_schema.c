/* Rules on the table's definition: what its unique constraints really
 * guarantee, legacy inheritance sets, and publications. */
#include <stdlib.h>
#include <string.h>

#include "core/doctor_rules_int.h"
#include "core/ident.h"
#include "core/strbuf.h"

#define NAMES_SHOWN 3

static void unique_scope(RuleCtx *c)
{
    const DocTable *t = c->t;
    char width[48] = "";
    bool known = rule_width_interval(t, rule_median_width(t), width);
    for (size_t i = 0; i < t->nuniques; i++) {
        const DocUnique *u = &t->uniques[i];
        const char *what = u->primary ? "PRIMARY KEY" : "UNIQUE";
        if (t->kind == DOC_INHERITANCE) {
            rule_add(c, "unique-scope", DOC_WARNING, xstrdup(u->name),
                     xasprintf("%s %s on %s covers only the rows stored in the parent itself, "
                               "not those of its children",
                               what, u->columns, c->display),
                     "with inheritance every table enforces its own constraints, so the same "
                     "values can exist once in each child",
                     xstrdup("dedupe elsewhere (a separate table of keys), or re-lay the set "
                             "out as a declarative table whose key includes the partition key"));
        } else if (u->others) {
            rule_add(c, "unique-scope", DOC_INFO, xstrdup(u->name),
                     xasprintf("%s %s: %s alone is unique only within one partition%s%s%s, not "
                               "across the table",
                               what, u->columns, u->others, known ? " (" : "", known ? width : "",
                               known ? " of key range)" : ""),
                     "a partitioned table can only enforce uniqueness that includes the "
                     "partition key, so the same values of the other columns may repeat in "
                     "another partition; a finer interval narrows the scope further",
                     xstrdup("if those columns must be unique across the table, enforce it "
                             "elsewhere (a separate table of keys, or the application)"));
        }
    }
}

/* "CREATE INDEX name ON parent USING ..." as the same index on one child. */
static char *index_for_child(const RuleCtx *c, const char *def, const DocPart *p)
{
    char *on = xasprintf(" ON %s USING ", c->display);
    const char *at = strstr(def, on);
    const char *unique = strncmp(def, "CREATE UNIQUE", 13) == 0 ? "UNIQUE " : "";
    char *q = sql_qualified(p->schema, p->name);
    char *sql =
        at ? xasprintf("CREATE %sINDEX CONCURRENTLY ON %s USING %s;", unique, q, at + strlen(on))
           : xasprintf("%s  (the same on %s)", def, q);
    free(on);
    free(q);
    return sql;
}

static void inheritance(RuleCtx *c)
{
    const DocTable *t = c->t;
    const DocServer *s = &c->db->server;
    if (s->constraint_exclusion && strcmp(s->constraint_exclusion, "off") == 0)
        rule_add(c, "constraint-exclusion-off", DOC_ERROR, NULL,
                 xstrdup("constraint_exclusion is off"),
                 "without constraint exclusion the planner ignores the children's CHECKs, so "
                 "every query on an inheritance set reads every child",
                 xstrdup("ALTER SYSTEM SET constraint_exclusion = partition; SELECT "
                         "pg_reload_conf();  (or SET it for the role or database)"));
    NameList children;
    names_init(&children, NAMES_SHOWN);
    StrBuf fix;
    sb_init(&fix);
    size_t missing = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        if (!p->nmissing_indexes)
            continue;
        char *name = ident_display(p->schema, p->name);
        names_add(&children, name);
        free(name);
        for (size_t k = 0; k < p->nmissing_indexes; k++, missing++)
            if (missing < NAMES_SHOWN) {
                char *sql = index_for_child(c, p->missing_indexes[k], p);
                sb_printf(&fix, "%s%s", fix.len ? " " : "", sql);
                free(sql);
            }
    }
    int n = children.count;
    char *list = names_take(&children);
    if (n)
        rule_add(c, "child-missing-index", DOC_WARNING, NULL,
                 xasprintf("%d child%s lack%s %zu of the parent's indexes in all: %s", n,
                           n == 1 ? "" : "ren", n == 1 ? "s" : "", missing, list),
                 "inheritance does not copy indexes: a child without one is read in full by "
                 "the queries the index serves on the others",
                 xasprintf("%s%s", fix.data,
                           missing > NAMES_SHOWN ? " ... and the same for the rest" : ""));
    free(list);
    sb_free(&fix);
    for (size_t i = 0; i < t->ntriggers; i++) {
        const DocTrigger *g = &t->triggers[i];
        if (!g->returns_null)
            continue;
        char width[48] = "1 month";
        rule_width_interval(t, rule_median_width(t), width);
        char *column = rule_column_arg(t);
        rule_add(
            c, "routing-trigger-returns-null", DOC_WARNING, xstrdup(g->name),
            xasprintf("BEFORE INSERT trigger %s runs %s, which returns NULL", g->name, g->function),
            "a routing trigger that returns NULL makes INSERT ... RETURNING return no row "
            "and report INSERT 0 0, which breaks ORMs that read the id back",
            column ? xasprintf("pgstrata migrate plan %s --column %s --interval '%s'  "
                               "(declarative partitioning routes rows itself)",
                               c->shell, column, width)
                   : xstrdup("re-lay the set out as a declarative partitioned table "
                             "(pgstrata migrate), which routes rows itself"));
        free(column);
    }
}

static void publications(RuleCtx *c)
{
    const DocTable *t = c->t;
    for (size_t i = 0; i < t->npublications; i++) {
        char *pub = ident_display(NULL, t->publications[i]);
        rule_add(c, "publication-not-via-root", DOC_WARNING, xstrdup(t->publications[i]),
                 xasprintf("publication %s publishes the partitions of %s under their own names",
                           pub, c->display),
                 "subscribers and CDC tools see a new table for every new partition, and "
                 "a re-layout changes what they see; publishing via the root shows one table",
                 xasprintf("ALTER PUBLICATION %s SET (publish_via_partition_root = true);", pub));
        free(pub);
    }
}

void rules_schema(RuleCtx *c)
{
    unique_scope(c);
    if (c->t->kind == DOC_INHERITANCE)
        inheritance(c);
    publications(c);
}
