/* Rules on how the table is used: sizes and where the traffic goes, planning
 * time, how queries prune, and whether vacuum keeps up. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/doctor_rules_int.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "core/units.h"

#define NAMES_SHOWN         3
#define IMBALANCE_RATIO     10.0      /* largest over median partition */
#define IMBALANCE_MIN_BYTES (1 << 20) /* ... when the largest is at least this */
#define HOT_SHARE           0.8       /* of the activity in the newest tenth */
#define HOT_MIN_PARTITIONS  10
#define HOT_MIN_ACTIVITY    1000 /* rows written and read, for the share to mean something */
#define TINY_MIN_PARTITIONS 100
#define TINY_BYTES          (1 << 20) /* median past partition below this: too fine */

static char *advise_fix(const RuleCtx *c)
{
    return xasprintf("pgstrata advise %s  (prints a layout that fits and the pgstrata migrate "
                     "command to get there)",
                     c->shell);
}

/* Past partitions: imbalance, tiny ones, and the largest. */
static void sizes(RuleCtx *c)
{
    const DocTable *t = c->t;
    int64_t *b = xcalloc(t->nparts + 1, sizeof(int64_t));
    size_t n = 0;
    const DocPart *largest = NULL;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        if (!rule_part_past(c, p))
            continue;
        b[n++] = p->bytes;
        if (!largest || p->bytes > largest->bytes)
            largest = p;
    }
    int64_t median = doc_median(b, n);
    free(b);
    char big[32], med[32];
    format_bytes(largest ? largest->bytes : 0, big);
    format_bytes(median, med);
    if (n >= 4 && largest->bytes >= IMBALANCE_MIN_BYTES &&
        (double)largest->bytes >= IMBALANCE_RATIO * (double)(median > 0 ? median : 1)) {
        char *name = ident_display(largest->schema, largest->name);
        rule_add(c, "size-imbalance", DOC_WARNING, xstrdup(name),
                 xasprintf("the largest past partition, %s, is %s: %.0fx the median of %zu (%s)",
                           name, big, (double)largest->bytes / (double)(median > 0 ? median : 1), n,
                           med),
                 "partitions of one layout should cost about the same to scan, vacuum and drop; "
                 "one many times the rest means the traffic outgrew the interval",
                 advise_fix(c));
        free(name);
    }
    if (n >= TINY_MIN_PARTITIONS && median < TINY_BYTES)
        rule_add(c, "partitions-tiny", DOC_WARNING, NULL,
                 xasprintf("%zu past partitions with a median size of %s", n, med),
                 "each partition costs planning time, locks and catalog space whatever it "
                 "holds; this many small ones would do as fewer, larger ones",
                 advise_fix(c));
}

/* Partitions whose vacuum at autovacuum's cost-limited pace outlasts the window. */
static void oversized(RuleCtx *c)
{
    const DocTable *t = c->t;
    double rate = c->db->server.vacuum_mb_per_s * 1048576.0;
    if (rate <= 0)
        return;
    NameList names;
    names_init(&names, NAMES_SHOWN);
    double longest = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        double s = (double)p->bytes / rate;
        if (p->state != DOC_PART_ATTACHED || s <= c->o->vacuum_window_s)
            continue;
        char size[32], *name = ident_display(p->schema, p->name);
        format_bytes(p->bytes, size);
        char *item = xasprintf("%s (%s)", name, size);
        names_add(&names, item);
        free(item);
        free(name);
        if (s > longest)
            longest = s;
    }
    if (!names.count) {
        free(names_take(&names));
        return;
    }
    int n = names.count;
    char *list = names_take(&names), took[32], window[32];
    format_duration(longest, took);
    format_duration(c->o->vacuum_window_s, window);
    rule_add(c, "partition-oversized", DOC_WARNING, NULL,
             xasprintf("%d partition%s whose vacuum takes longer than %s at autovacuum's pace "
                       "(about %.0f MB/s), the longest %s: %s",
                       n, n == 1 ? "" : "s", window, c->db->server.vacuum_mb_per_s, took, list),
             "a vacuum that long holds back cleanup and freezing, and a partition that big "
             "is slow to detach, archive or drop",
             advise_fix(c));
    free(list);
}

/* The share of writes and reads in the newest tenth of the partitions up to now. */
static void hot_share(RuleCtx *c)
{
    const DocTable *t = c->t;
    if (!key_type_is_time(t->key_type))
        return;
    size_t *idx = xcalloc(t->nparts + 1, sizeof(size_t)), n = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        if (doc_part_in_range(p) && !p->group &&
            (p->lower_unbounded || p->lower <= c->db->server.now))
            idx[n++] = i; /* sorted by lower bound already */
    }
    if (n < HOT_MIN_PARTITIONS) {
        free(idx);
        return;
    }
    size_t newest = n / 10 ? n / 10 : 1;
    double all = 0, hot = 0;
    for (size_t k = 0; k < n; k++) {
        const DocPart *p = &t->parts[idx[k]];
        double a = (double)(p->writes + p->reads);
        all += a;
        if (k >= n - newest)
            hot += a;
    }
    free(idx);
    if (all < HOT_MIN_ACTIVITY || hot / all < HOT_SHARE)
        return;
    rule_add(c, "hot-share", DOC_INFO, NULL,
             xasprintf("%.0f%% of the rows written and read since the statistics were reset went "
                       "to the newest %zu of %zu partitions",
                       100.0 * hot / all, newest, n),
             "the old partitions are cold: a layout fine for recent data and coarse for old "
             "keeps the hot set small and the partition count low",
             advise_fix(c));
}

static void planning(RuleCtx *c)
{
    const DocTable *t = c->t;
    if (t->plan_ms < c->o->plan_ms_limit)
        return;
    size_t n = 0;
    for (size_t i = 0; i < t->nparts; i++)
        n += t->parts[i].state == DOC_PART_ATTACHED;
    rule_add(c, "many-partitions", DOC_WARNING, NULL,
             xasprintf("%zu partitions; planning SELECT * FROM %s takes %.1f ms (measured)", n,
                       c->display, t->plan_ms),
             "every query the planner cannot prune by a constant pays this before it runs, and "
             "generic plans and joins pay it often",
             advise_fix(c));
}

static bool ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || (unsigned char)ch >= 0x80;
}

/* Whether text (lower case) has word as a whole word. */
static bool has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        if ((p == text || !ident_char(p[-1])) && !ident_char(p[n]))
            return true;
    return false;
}

/* Why a query is not pruned at plan time, from its text. */
static const char *prune_reason(const DocTable *t, const DocQuery *q)
{
    static const char *const clocks[] = {"now()", "current_timestamp", "current_date",
                                         "localtimestamp", "clock_timestamp()"};
    char *lower = xstrdup(q->text);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const char *why = NULL;
    if (t->key_column) {
        char *key = xstrdup(t->key_column);
        for (char *p = key; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (!has_word(lower, key))
            why = "it has no condition on the key";
        free(key);
    }
    if (!why && strstr(lower, "at time zone"))
        why = "its condition applies AT TIME ZONE to the key, so it no longer compares the key "
              "itself (compare the key to a converted constant instead)";
    for (size_t i = 0; !why && i < sizeof(clocks) / sizeof(clocks[0]); i++)
        if (strstr(lower, clocks[i]))
            why = "its bound is a function of now(), which is known only when it runs";
    if (!why && q->generic)
        why = "it runs as a generic plan, whose parameters are known only when it runs";
    free(lower);
    return why ? why : "its condition on the key is not one the planner can prune with";
}

static void queries(RuleCtx *c)
{
    const DocTable *t = c->t;
    for (size_t i = 0; i < t->nqueries; i++) {
        const DocQuery *q = &t->queries[i];
        char *src = q->from_pgss ? xasprintf("pg_stat_statements (%.0f calls, %.2f ms each)",
                                             q->calls, q->mean_ms)
                                 : xstrdup("--query");
        if (q->total > 1 && q->scanned >= q->total && q->runtime_pruned == 0) {
            rule_add(c, "query-scans-all", DOC_WARNING, xstrdup(q->text),
                     xasprintf("from %s: scans all %d partitions, because %s", src, q->total,
                               prune_reason(t, q)),
                     "a query that reads every partition gets slower with each new one, and "
                     "does not benefit from partitioning at all",
                     xstrdup("bound the key with constants or parameters (key >= $1 AND key < "
                             "$2), the same type as the key and without a function around it"));
        } else if (q->total > 1 && q->runtime_pruned > 0) {
            rule_add(c, "query-prunes-late", DOC_INFO, xstrdup(q->text),
                     xasprintf("from %s: planned over %d partitions, of which %d are removed "
                               "only when it starts to run (%d scanned at most), because %s",
                               src, q->runtime_pruned + q->scanned, q->runtime_pruned, q->scanned,
                               prune_reason(t, q)),
                     "pruning at run time reads the right partitions, but planning still "
                     "covers all of them, which costs more the more partitions there are",
                     xstrdup("compare the key to constants where you can; fewer, larger "
                             "partitions cut the planning cost of the rest"));
        } else if (q->total > 1) {
            rule_add(c, "query-prunes", DOC_INFO, xstrdup(q->text),
                     xasprintf("from %s: scans %d of %d partitions", src, q->scanned, q->total),
                     "pruned at plan time: the partitions it does not need are never opened",
                     xstrdup("nothing to do"));
        }
        free(src);
    }
}

/* Partitions over autovacuum's thresholds: more needing a vacuum now than
 * there are workers, and partitions changed but not analyzed for long. */
static void vacuum(RuleCtx *c)
{
    const DocTable *t = c->t;
    const DocServer *s = &c->db->server;
    NameList busy, stale;
    names_init(&busy, NAMES_SHOWN);
    names_init(&stale, NAMES_SHOWN);
    StrBuf vac, ana;
    sb_init(&vac);
    sb_init(&ana);
    int off = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        if (p->state != DOC_PART_ATTACHED && p->state != DOC_PART_DEFAULT)
            continue;
        if (p->subpartitioned)
            continue;
        double rows = p->rows > 0 ? p->rows : 0;
        char *name = ident_display(p->schema, p->name), *q = sql_qualified(p->schema, p->name);
        if ((double)p->dead_rows > s->av_vacuum_threshold + s->av_vacuum_scale * rows) {
            names_add(&busy, name);
            sb_printf(&vac, "%s%s", vac.len ? ", " : "VACUUM (ANALYZE) ", q);
            off += p->autovacuum_off;
        }
        if ((double)p->mod_since_analyze > s->av_analyze_threshold + s->av_analyze_scale * rows &&
            (p->analyze_age < 0 || p->analyze_age > c->o->stale_s)) {
            names_add(&stale, name);
            sb_printf(&ana, "%s%s", ana.len ? ", " : "ANALYZE ", q);
        }
        free(name);
        free(q);
    }
    int nb = busy.count, ns = stale.count;
    char *busy_list = names_take(&busy), *stale_list = names_take(&stale);
    if (nb > s->autovacuum_max_workers) {
        char *extra = off ? xasprintf("; autovacuum is disabled on %d of them", off) : xstrdup("");
        rule_add(c, "autovacuum-backlog", DOC_WARNING, NULL,
                 xasprintf("%d partitions are over their autovacuum vacuum threshold; "
                           "autovacuum_max_workers is %d%s%s: %s",
                           nb, s->autovacuum_max_workers,
                           s->autovacuum ? ""
                                         : " and autovacuum "
                                           "is off",
                           extra, busy_list),
                 "each worker vacuums one table at a time, so busy partitions queue behind each "
                 "other and dead rows pile up in the ones waiting",
                 xasprintf("%s;  then raise autovacuum_max_workers (a restart) or lower the cost "
                           "delay%s",
                           vac.data, off ? ", and enable autovacuum on those partitions" : ""));
        free(extra);
    }
    if (ns) {
        char stale_for[32];
        format_duration(c->o->stale_s, stale_for);
        rule_add(c, "partition-stats-stale", DOC_WARNING, NULL,
                 xasprintf("%d partition%s changed past autovacuum's analyze threshold and not "
                           "analyzed for %s or more (or never): %s",
                           ns, ns == 1 ? "" : "s", stale_for, stale_list),
                 "the planner estimates these partitions from statistics of data they no "
                 "longer hold (or none), and autovacuum is not catching up",
                 xasprintf("%s;  then check why autovacuum does not reach them (disabled, too "
                           "few workers, long transactions)",
                           ana.data));
    }
    free(busy_list);
    free(stale_list);
    sb_free(&vac);
    sb_free(&ana);
}

void rules_usage(RuleCtx *c)
{
    sizes(c);
    oversized(c);
    hot_share(c);
    planning(c);
    queries(c);
    vacuum(c);
}
