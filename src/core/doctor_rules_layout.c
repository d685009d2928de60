/* Rules on the partition set itself: statistics of the parent, the default
 * partition, coverage of now and ahead, gaps and overlaps, partitions pending
 * detach, and tables a detach left behind. */
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"
#include "core/doctor_rules_int.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "core/units.h"

#define STALE_MIN_ROWS 10000 /* below this, a stale row count misleads no plan much */
#define NAMES_SHOWN    3

static void parent_statistics(RuleCtx *c)
{
    const DocTable *t = c->t;
    size_t attached = 0;
    double rows = 0;
    for (size_t i = 0; i < t->nparts; i++)
        if (t->parts[i].state == DOC_PART_ATTACHED || t->parts[i].state == DOC_PART_DEFAULT) {
            attached++;
            rows += t->parts[i].rows > 0 ? t->parts[i].rows : 0;
        }
    char *keep = xasprintf("(a table managed by pgstrata: \"pgstrata policy set %s --analyze "
                           "changed\" keeps it analyzed)",
                           c->shell);
    if (!t->has_stats) {
        rule_add(c, "parent-not-analyzed", DOC_WARNING, NULL,
                 xasprintf("%zu partition%s, about %.0f rows; the parent has no statistics of "
                           "its own",
                           attached, attached == 1 ? "" : "s", rows),
                 "autovacuum never analyzes a partitioned parent, so the planner estimates every "
                 "query over the whole table without statistics and can pick bad plans",
                 xasprintf("ANALYZE %s;  %s", c->qualified, keep));
    } else if (t->kind == DOC_DECLARATIVE && t->analyzed_rows >= 0 && rows >= STALE_MIN_ROWS &&
               (rows > 2 * t->analyzed_rows || rows < t->analyzed_rows / 2)) {
        char ago[32];
        format_duration(t->analyze_age, ago);
        rule_add(c, "parent-stats-stale", DOC_WARNING, NULL,
                 xasprintf("analyzed %s ago, when it held about %.0f rows; its partitions now "
                           "hold about %.0f",
                           ago, t->analyzed_rows, rows),
                 "the parent's statistics describe a table of another size and key range, and "
                 "autovacuum never refreshes them, so estimates for joins and ranges drift",
                 xasprintf("ANALYZE %s;  %s", c->qualified, keep));
    }
    free(keep);
}

static void default_partition(RuleCtx *c, const DocPart *p)
{
    const DocTable *t = c->t;
    char *def = ident_display(p->schema, p->name), *dq = sql_qualified(p->schema, p->name);
    if (t->has_default_rows_count && t->default_rows > 0) {
        StrBuf ev;
        sb_init(&ev);
        if (t->default_rows > DOC_DEFAULT_ROWS_COUNTED)
            sb_printf(&ev, "%s holds over %d rows (about %.0f by the statistics)", def,
                      DOC_DEFAULT_ROWS_COUNTED, p->rows);
        else
            sb_printf(&ev, "%s holds %lld row%s", def, (long long)t->default_rows,
                      t->default_rows == 1 ? "" : "s");
        if (t->default_min && t->default_max)
            sb_printf(&ev, ", %s from %s to %s%s", t->key_column, t->default_min, t->default_max,
                      t->default_rows > DOC_DEFAULT_ROWS_COUNTED ? " among those read" : "");
        char *evidence = sb_steal(&ev);
        sb_free(&ev);
        rule_add(c, "default-has-rows", DOC_ERROR, xstrdup(def), evidence,
                 "rows in the default partition are outside every range: each ATTACH of a new "
                 "partition scans the default under lock, and the longer it grows the longer "
                 "that takes",
                 xasprintf("create partitions for the ranges those rows are in and move them "
                           "there (\"pgstrata maintain\" does it for a managed table, up to "
                           "--move-default-max-rows rows), then drop the empty default: ALTER "
                           "TABLE %s DETACH PARTITION %s; DROP TABLE %s;",
                           c->qualified, dq, dq));
    } else {
        rule_add(
            c, "default-partition", DOC_WARNING, xstrdup(def), xasprintf("%s exists (empty)", def),
            "PostgreSQL refuses DETACH ... CONCURRENTLY while a default partition exists, "
            "so retiring a partition takes a brief ACCESS EXCLUSIVE lock on the parent "
            "instead",
            xasprintf("ALTER TABLE %s DETACH PARTITION %s; DROP TABLE %s;", c->qualified, dq, dq));
    }
    free(def);
    free(dq);
}

static void pending_detach(RuleCtx *c, const DocPart *p)
{
    char *child = ident_display(p->schema, p->name), *cq = sql_qualified(p->schema, p->name);
    rule_add(c, "detach-pending", DOC_ERROR, xstrdup(child),
             xasprintf("%s is pending detach from %s", child, c->display),
             "an interrupted DETACH ... CONCURRENTLY leaves the partition half detached, and "
             "every other detach of this parent fails until it is finalized",
             xasprintf("ALTER TABLE %s DETACH PARTITION %s FINALIZE;  (then, if its rows are no "
                       "longer needed: DROP TABLE %s;)",
                       c->qualified, cq, cq));
    free(child);
    free(cq);
}

static void leftovers(RuleCtx *c)
{
    const DocTable *t = c->t;
    /* Kept on purpose: retention by detach, or the old table of a migration. */
    if (t->migration || (t->policy && t->policy->retention_mode == RETIRE_DETACH))
        return;
    NameList names;
    names_init(&names, NAMES_SHOWN);
    StrBuf drops;
    sb_init(&drops);
    int64_t bytes = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        if (p->state != DOC_PART_LEFTOVER)
            continue;
        char *d = ident_display(p->schema, p->name), *q = sql_qualified(p->schema, p->name);
        names_add(&names, d);
        sb_printf(&drops, "%sDROP TABLE %s;", drops.len ? " " : "", q);
        bytes += p->bytes;
        free(d);
        free(q);
    }
    if (names.count) {
        char size[32];
        format_bytes(bytes, size);
        int n = names.count;
        char *list = names_take(&names);
        rule_add(c, "detached-leftover", DOC_WARNING, NULL,
                 xasprintf("%d table%s with the columns of %s, named after it, %s no partition "
                           "(%s in all): %s",
                           n, n == 1 ? "" : "s", c->display, n == 1 ? "is" : "are", size, list),
                 "a detach that was never followed by its drop (or archive) keeps the rows, "
                 "the disk and the vacuum work of a partition nobody queries",
                 xasprintf("check nothing reads them, then: %s", drops.data));
        free(list);
    } else {
        free(names_take(&names));
    }
    sb_free(&drops);
}

/* Coverage of one group (all partitions of a declarative table; one group of
 * an inheritance set): gaps, overlaps, now, and how far ahead. */
typedef struct Coverage {
    bool has_default;     /* of the table, not the group: worked out once */
    int64_t median_width; /* of the table's bounded partitions */
    NameList gaps, overlaps;
    int groups_without_now; /* groups recently written that have no partition for now */
    char *example_group;    /* the first of them */
    int64_t newest_end;
    bool short_ahead;
    int64_t ahead; /* the least coverage ahead of now among the groups that have now */
} Coverage;

static bool group_is_live(const RuleCtx *c, const Coverage *cv, int64_t end)
{
    if (c->t->policy)
        return true;
    /* An archive whose last partition ended long ago is not a problem. */
    int64_t recent = 3 * cv->median_width;
    if (recent < 31 * CIVIL_DAY)
        recent = 31 * CIVIL_DAY;
    return end > c->db->server.now - recent;
}

static void cover_group(const RuleCtx *c, const size_t *idx, size_t n, Coverage *cv)
{
    const DocTable *t = c->t;
    int64_t now = c->db->server.now;
    bool have = false, covered = false;
    int64_t reach = 0, run_end = 0;
    const DocPart *newest = NULL;
    for (size_t k = 0; k < n; k++) {
        const DocPart *p = &t->parts[idx[k]];
        int64_t lo = p->lower_unbounded ? INT64_MIN : p->lower;
        int64_t hi = p->upper_unbounded ? INT64_MAX : p->upper;
        if (have && lo > reach) {
            char a[48], b[48];
            rule_key_text(t, reach, a);
            rule_key_text(t, lo, b);
            char *s =
                xasprintf("[%s, %s)%s%s", a, b, p->group ? " of " : "", p->group ? p->group : "");
            names_add(&cv->gaps, s);
            free(s);
        } else if (have && lo < reach) {
            char *s = xasprintf("%s", p->name);
            names_add(&cv->overlaps, s);
            free(s);
        }
        if (lo <= now && now < hi) {
            covered = true;
            run_end = hi;
        } else if (covered && lo <= run_end && hi > run_end) {
            run_end = hi; /* contiguous with (or overlapping) the run holding now */
        }
        if (!have || hi > reach) {
            reach = hi;
            newest = p;
        }
        have = true;
    }
    /* An inheritance set with an insert trigger routes (and often creates
     * children) itself: coverage ahead is the trigger's business. */
    if (!have || !key_type_is_time(t->key_type) || t->strategy != 'r' ||
        (t->kind == DOC_INHERITANCE && t->ntriggers))
        return;
    if (!covered && group_is_live(c, cv, reach)) {
        if (cv->groups_without_now++ == 0) {
            char end[48];
            rule_key_text(t, reach, end);
            cv->example_group =
                xasprintf("%s%s%s", newest->group ? newest->group : "", newest->group ? ": " : "",
                          cv->has_default ? "the default takes them" : end);
            cv->newest_end = reach;
        }
    } else if (covered && run_end != INT64_MAX) {
        int64_t ahead = run_end - now;
        if (!cv->short_ahead || ahead < cv->ahead) {
            cv->ahead = ahead;
            cv->newest_end = run_end;
        }
        cv->short_ahead = true;
    }
}

/* The coverage ahead the policy asks for, at least: premake intervals of
 * their shortest length (a month as 28 days), or the premake span. */
static int64_t premake_ahead(const Policy *p, int64_t now)
{
    if (!p->premake.is_count)
        return civil_add_duration(now, &p->premake.span, 1) - now;
    int64_t one;
    switch (p->interval.unit) {
    case UNIT_MINUTE:
        one = 60 * p->interval.count;
        break;
    case UNIT_DAY:
        one = CIVIL_DAY * p->interval.count;
        break;
    case UNIT_WEEK:
        one = 7 * CIVIL_DAY * p->interval.count;
        break;
    case UNIT_MONTH:
        one = 28 * CIVIL_DAY * p->interval.count;
        break;
    default:
        one = 0;
    }
    return one * p->premake.count;
}

static void coverage_findings(RuleCtx *c, Coverage *cv)
{
    const DocTable *t = c->t;
    bool has_default = cv->has_default;
    char width_text[48] = "1 day";
    int64_t width = cv->median_width;
    bool width_known = rule_width_interval(t, width, width_text);
    char *column = rule_column_arg(t);
    char *create = column && width_known
                       ? xasprintf("pgstrata create %s --column %s --interval '%s'", c->shell,
                                   column, width_text)
                       : xasprintf("pgstrata create %s --column KEY --interval INTERVAL", c->shell);
    free(column);
    char *fix_now = t->policy ? xasprintf("pgstrata maintain %s", c->shell)
                              : xasprintf("%s  (creates partitions from now on, and keeps "
                                          "creating them)",
                                          create);
    if (cv->groups_without_now) {
        char end[48];
        rule_key_text(t, cv->newest_end, end);
        rule_add(c, "no-partition-for-now", has_default ? DOC_WARNING : DOC_ERROR, NULL,
                 t->kind == DOC_INHERITANCE && cv->groups_without_now > 1
                     ? xasprintf("%d groups of children have none for now (%s)",
                                 cv->groups_without_now, cv->example_group)
                     : xasprintf("no partition holds now; the newest ends at %s%s", end,
                                 has_default ? ", so new rows go to the default partition" : ""),
                 has_default ? "every new row lands in the default partition, which then has "
                               "to be emptied before the right partition can be attached"
                             : "an INSERT of a current row fails with \"no partition of "
                               "relation ... found for row\"",
                 xstrdup(fix_now));
    } else if (cv->short_ahead && key_type_is_time(t->key_type)) {
        int64_t need = t->policy ? premake_ahead(t->policy, c->db->server.now) : width;
        if (cv->ahead < need) {
            char end[48], ahead[32], want[32];
            rule_key_text(t, cv->newest_end, end);
            format_duration((double)cv->ahead, ahead);
            format_duration((double)need, want);
            rule_add(c, "coverage-short", DOC_WARNING, NULL,
                     t->policy ? xasprintf("partitions end at %s, %s ahead; the policy's premake "
                                           "asks for at least %s",
                                           end, ahead, want)
                               : xasprintf("partitions end at %s, %s ahead: less than one "
                                           "partition (%s)",
                                           end, ahead, width_text),
                     "when the last partition fills up, inserts of newer rows fail (or go to "
                     "the default partition); whatever creates partitions is not keeping up",
                     xstrdup(fix_now));
        }
    }
    free(fix_now);
    free(create);
    int gaps = cv->gaps.count, overlaps = cv->overlaps.count;
    char *gap_list = names_take(&cv->gaps), *overlap_list = names_take(&cv->overlaps);
    if (gaps)
        rule_add(c, "coverage-gap", DOC_WARNING, NULL,
                 xasprintf("%d gap%s between partitions: %s", gaps, gaps == 1 ? "" : "s", gap_list),
                 has_default ? "rows with a key in a gap go to the default partition"
                             : "an INSERT with a key in a gap fails: no partition holds it",
                 xasprintf("create the missing partition%s for %s (CREATE TABLE ... PARTITION OF "
                           "%s FOR VALUES FROM (...) TO (...)), or leave it if no row can "
                           "have such a key",
                           gaps == 1 ? "" : "s", gaps == 1 ? "that range" : "those ranges",
                           c->qualified));
    if (overlaps)
        rule_add(c, "coverage-overlap", DOC_ERROR, NULL,
                 xasprintf("%d child%s whose CHECK range overlaps the one before: %s", overlaps,
                           overlaps == 1 ? "" : "ren", overlap_list),
                 "a row in the overlap may be routed to either child, so a query that "
                 "constraint exclusion narrows to one of them can miss it",
                 xstrdup("move the overlapping rows to one child and narrow the other's CHECK "
                         "(ALTER TABLE ... DROP CONSTRAINT, ADD CONSTRAINT ... CHECK (...))"));
    free(gap_list);
    free(overlap_list);
    free(cv->example_group);
}

static void coverage(RuleCtx *c)
{
    const DocTable *t = c->t;
    if (!t->key_known || t->strategy != 'r')
        return;
    Coverage cv;
    memset(&cv, 0, sizeof(cv));
    names_init(&cv.gaps, NAMES_SHOWN);
    names_init(&cv.overlaps, NAMES_SHOWN);
    for (size_t i = 0; i < t->nparts; i++)
        cv.has_default |= t->parts[i].state == DOC_PART_DEFAULT;
    cv.median_width = rule_median_width(t);
    /* In-range partitions come sorted by group, then lower bound. */
    size_t *idx = xcalloc(t->nparts + 1, sizeof(size_t)), n = 0;
    for (size_t i = 0; i < t->nparts; i++)
        if (doc_part_in_range(&t->parts[i]))
            idx[n++] = i;
    for (size_t i = 0; i < n;) {
        const char *g = t->parts[idx[i]].group ? t->parts[idx[i]].group : "";
        size_t j = i + 1;
        while (j < n && strcmp(t->parts[idx[j]].group ? t->parts[idx[j]].group : "", g) == 0)
            j++;
        cover_group(c, idx + i, j - i, &cv);
        i = j;
    }
    free(idx);
    coverage_findings(c, &cv);
}

void rules_layout(RuleCtx *c)
{
    parent_statistics(c);
    for (size_t i = 0; i < c->t->nparts; i++) {
        const DocPart *p = &c->t->parts[i];
        if (p->state == DOC_PART_DEFAULT)
            default_partition(c, p);
        else if (p->state == DOC_PART_PENDING)
            pending_detach(c, p);
    }
    leftovers(c);
    coverage(c);
}
