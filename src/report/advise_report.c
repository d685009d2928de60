/* `pgstrata advise` output: see advise_report.h. */
#include "report/advise_report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/units.h"
#include "report/json_fields.h"
#include "report/text_table.h"

/* ---- words ----------------------------------------------------------------- */

static void size_text(double bytes, char buf[32])
{
    format_bytes(isfinite(bytes) && bytes >= 0 ? (int64_t)llround(bytes) : -1, buf);
}

static void interval_text(const AdviseLayout *l, char buf[48])
{
    if (l->known)
        interval_format(&l->interval, buf);
    else
        snprintf(buf, 48, "irregular");
}

/* "61 days", "18 months", "3.0 years"; integer keys: "250000 key values". */
static void horizon_text(const Advice *a, char buf[48])
{
    double h = a->horizon;
    if (!key_type_is_time(a->key_type))
        snprintf(buf, 48, "%.0f key values", h);
    else if (h < 90)
        snprintf(buf, 48, "%.0f day%s", h, llround(h) == 1 ? "" : "s");
    else if (h < 730)
        snprintf(buf, 48, "%.0f months", h / ADVISE_MONTH_DAYS);
    else
        snprintf(buf, 48, "%.1f years", h / 365.2425);
}

static const char *per(const Advice *a)
{
    return a->growth.per_day ? "a day" : "per key value";
}

/* "1 month partitions", or "the partitions" when irregular. */
static void layout_name(const AdviseLayout *l, char buf[64])
{
    char iv[48];
    interval_format(&l->interval, iv);
    if (l->known)
        snprintf(buf, 64, "%s partitions", iv);
    else
        snprintf(buf, 64, "the partitions (irregular)");
}

char *advise_why_text(const Advice *a)
{
    const AdviseLayout *c = &a->current, *r = &a->recommended;
    char cur[64], rec[64], csize[32], rsize[32], target[32], limit[32], hz[48];
    layout_name(c, cur);
    layout_name(r, rec);
    size_text(c->part_bytes, csize);
    size_text(r->part_bytes, rsize);
    size_text((double)a->target_bytes, target);
    size_text(ADVISE_MAX_OVER * (double)a->target_bytes, limit);
    horizon_text(a, hz);
    char *head = NULL;
    switch (a->reason) {
    case ADVISE_WHY_OVERSIZED:
        head = xasprintf("%s are about %s, above the %s target (at most %s accepted)", cur, csize,
                         target, limit);
        break;
    case ADVISE_WHY_TOO_MANY:
        head = xasprintf("%s number about %.0f over %s, more than %d", cur, c->partitions, hz,
                         ADVISE_MAX_PARTITIONS);
        break;
    case ADVISE_WHY_RETENTION:
        head = xasprintf("%s are coarse for a retention of %s: retiring one at a time keeps up "
                         "to a whole partition past it",
                         cur, a->retention_text ? a->retention_text : "?");
        break;
    case ADVISE_WHY_MANY_SMALL:
        head = xasprintf("%s are about %s and %.0f of them, more than %d: each costs planning "
                         "time, and none comes near the %s target",
                         cur, csize, c->partitions, ADVISE_FEW_PARTITIONS, target);
        break;
    case ADVISE_WHY_FITS:
        return xasprintf("%s are about %s (target %s) and %.0f of them over %s: the layout fits",
                         cur, csize, target, c->partitions, hz);
    case ADVISE_WHY_FEW:
        return xasprintf("%s are about %s, under the %s target, and only %.0f of them: a coarser "
                         "layout (%s) would gain nothing measurable",
                         cur, csize, target, c->partitions, rec);
    case ADVISE_WHY_NOT_RANGE:
        return xasprintf("%s is %s partitioned; advise sizes range partitions by a time or "
                         "integer key",
                         a->table, a->strategy == 'l' ? "list" : "hash");
    case ADVISE_WHY_KEY_EXPRESSION:
        return xasprintf("the partition key of %s (%s) is not one column; migrate needs a column",
                         a->table, a->key_text ? a->key_text : "?");
    case ADVISE_WHY_KEY_TYPE:
        return xasprintf("the partition key of %s is of type %s; advise works with timestamptz, "
                         "timestamp, date, integer and bigint keys",
                         a->table, a->key_type_name ? a->key_type_name : "unknown");
    case ADVISE_WHY_NO_PARTITIONS:
        return xasprintf("%s has no attached range partition with bounds to measure", a->table);
    case ADVISE_WHY_NO_DATA:
        return xasprintf("no partition of %s holds data yet: there is no growth to measure",
                         a->table);
    }
    char *s = xasprintf("%s; %s keep them about %s, with %.0f partitions over %s",
                        head ? head : "?", rec, rsize, r->partitions, hz);
    free(head);
    return s;
}

static const char *const note_ids[] = {
    "retention-assumed", "retention-none", "retention-cap",     "count-bound", "count-impossible",
    "finest-oversized",  "growth-trend",   "age-tiers",         "integer-key", "rows-unknown",
    "plan-estimated",    "groups",         "init-first",        "plan-first",  "policy-carried",
    "migration-running", "default-rows",   "blockers-accepted", "blocked",
};
#define N_NOTES (sizeof(note_ids) / sizeof(note_ids[0]))

const char *advise_note_id(unsigned note)
{
    for (size_t i = 0; i < N_NOTES; i++)
        if (note == 1u << i)
            return note_ids[i];
    return "?";
}

/* The blockers migrate plan found, accepted by the commands or not. */
static char *blockers_text(const Advice *a, bool accepted)
{
    StrBuf sb;
    sb_init(&sb);
    if (accepted)
        sb_append(&sb, "the commands accept what migrate start would otherwise refuse; know what "
                       "it means before you run them:");
    else
        sb_append(&sb, "migrate start would refuse this layout, and no --accept lifts it; fix "
                       "it, then run advise again:");
    const char *sep = " ";
    for (size_t i = 0; i < a->nblockers; i++) {
        const Finding *f = &a->blockers[i];
        if (!accepted && f->accept)
            continue;
        sb_printf(&sb, "%s%s", sep, f->message);
        if (accepted)
            sb_printf(&sb, " (--accept %s)", f->accept);
        sep = "; ";
    }
    char *s = sb_steal(&sb);
    sb_free(&sb);
    return s;
}

char *advise_note_text(const Advice *a, unsigned note)
{
    const AdviseLayout *r = &a->recommended;
    char rec[64], rsize[32], bsize[32], by[48], from[48], oldest[48], rate[32];
    layout_name(r, rec);
    size_text(r->part_bytes, rsize);
    size_text(a->growth.bytes * advise_interval_length(&a->by_size), bsize);
    size_text(a->growth.bytes, rate);
    interval_format(&a->by_size, by);
    key_format(a->key_type, a->growth.from, from);
    switch (note) {
    case ADVISE_NOTE_RETENTION_ASSUMED:
        key_format(a->key_type, a->growth.oldest, oldest);
        return xasprintf("retention %s%s is an assumption: %s has no pgstrata policy, so the new "
                         "layout keeps what it holds now (%s %s), and maintain retires what grows "
                         "older than that; change --retention in the commands (none keeps "
                         "everything)",
                         a->retention_text ? a->retention_text : "?",
                         a->growth.per_day ? "" : " ranges", a->table,
                         a->growth.per_day ? "since" : "from key value", oldest);
    case ADVISE_NOTE_RETENTION_NONE:
        return xasprintf("the policy keeps everything: the count grows by about %.0f partitions a "
                         "year",
                         a->growth.per_day ? 365.2425 / advise_interval_length(&r->interval) : 0);
    case ADVISE_NOTE_RETENTION_CAP:
        return xasprintf("partitions are kept at most a quarter of the retention (%s), so "
                         "retiring one never keeps much past it; the size alone allows coarser",
                         a->retention_text ? a->retention_text : "?");
    case ADVISE_NOTE_COUNT_BOUND:
        return xasprintf("the size alone gives %s partitions of about %s, but %.0f of them is more "
                         "than %d: %s instead, above the target",
                         by, bsize, a->by_size_partitions, ADVISE_MAX_PARTITIONS, rec);
    case ADVISE_NOTE_COUNT_IMPOSSIBLE:
        return xasprintf("even %s number about %.0f, more than %d: shorten the retention", rec,
                         r->partitions, ADVISE_MAX_PARTITIONS);
    case ADVISE_NOTE_FINEST_OVERSIZED:
        return xasprintf("even the finest interval, %s, makes partitions above the target (%s "
                         "%s)",
                         by, rate, per(a));
    case ADVISE_NOTE_TREND:
        return xasprintf("the table grows %.1fx faster now than on average since %s: sizes follow "
                         "the recent rate",
                         a->trend, from);
    case ADVISE_NOTE_TIERS:
        return xstrdup("age tiers (fine partitions for recent data, coarse for old) would keep "
                       "the count lower, but this version of pgstrata does not support them: one "
                       "interval for all ages");
    case ADVISE_NOTE_INTEGER_KEY:
        return xstrdup("an integer key has no time: growth is measured per key value (the "
                       "newest partition, still filling, left out) and the width is a round 1, 2 "
                       "or 5 x 10^n");
    case ADVISE_NOTE_ROWS_UNKNOWN:
        return xasprintf("no partition was ever analyzed, so rows are unknown: ANALYZE %s for "
                         "them",
                         a->table);
    case ADVISE_NOTE_PLAN_ESTIMATED:
        return xasprintf("planning times are estimated at %.2f ms per partition a query cannot "
                         "prune (seed 000: 50-100 ms over 1,095 partitions), not measured",
                         ADVISE_PLAN_MS_PER_PARTITION);
    case ADVISE_NOTE_GROUPS:
        return xasprintf("the children are also split by other conditions: sizes are of all of "
                         "them together, and the new layout partitions by %s alone",
                         a->column ? a->column : "the key");
    case ADVISE_NOTE_INIT_FIRST:
        return xstrdup("migrate keeps its state in the pgstrata schema: pgstrata init installs it");
    case ADVISE_NOTE_PLAN_FIRST:
        return xstrdup("migrate plan changes nothing; it lists any blocker migrate start would "
                       "refuse, with the --accept that lifts it");
    case ADVISE_NOTE_POLICY_CARRIED:
        return xstrdup("the other options of the table's policy are carried over to the new "
                       "layout");
    case ADVISE_NOTE_MIGRATION_RUNNING:
        return xasprintf("a migration of %s is under way (step %s): no command until it is done; "
                         "see pgstrata migrate status %s",
                         a->table, a->migration ? a->migration : "?", a->table);
    case ADVISE_NOTE_ACCEPTED:
    case ADVISE_NOTE_BLOCKED:
        return blockers_text(a, note == ADVISE_NOTE_ACCEPTED);
    case ADVISE_NOTE_DEFAULT_ROWS:
        return xasprintf("the default partition holds %lld rows, which no growth figure counts",
                         (long long)a->default_rows);
    }
    return xstrdup("?");
}

/* ---- text ------------------------------------------------------------------- */

static void layout_cells(const Advice *a, const AdviseLayout *l, char cells[5][48])
{
    char size[32];
    snprintf(cells[0], 48, "%.0f", l->partitions);
    size_text(l->part_bytes, size);
    snprintf(cells[1], 48, "%s", size);
    if (l->part_rows >= 0)
        snprintf(cells[2], 48, "%.0f", l->part_rows);
    else
        snprintf(cells[2], 48, "?");
    snprintf(cells[3], 48, l->plan_ms < 1 ? "%.2f ms%s" : "%.1f ms%s", l->plan_ms,
             a->plan_measured ? "" : " (est.)");
    if (l->vacuum_s >= 0)
        format_duration(l->vacuum_s, cells[4]);
    else
        snprintf(cells[4], 48, "?");
}

static void print_layouts(FILE *out, const Advice *a)
{
    char civ[48], riv[48], chead[64], rhead[64];
    interval_text(&a->current, civ);
    interval_text(&a->recommended, riv);
    snprintf(chead, sizeof(chead), "now (%s)", civ);
    snprintf(rhead, sizeof(rhead), "advised (%s)", riv);
    const char *headers[] = {"", chead, rhead};
    static const TextAlign aligns[] = {ALIGN_LEFT, ALIGN_RIGHT, ALIGN_RIGHT};
    static const char *const labels[] = {"partitions", "partition size", "rows per partition",
                                         "planning, no pruning", "vacuum of one partition"};
    char c[5][48], r[5][48];
    layout_cells(a, &a->current, c);
    layout_cells(a, &a->recommended, r);
    TextTable *t = text_table_new(3, headers, aligns);
    for (size_t i = 0; i < 5; i++) {
        const char *row[] = {labels[i], c[i], r[i]};
        text_table_add_row(t, row);
    }
    fputc('\n', out);
    text_table_print(t, out);
    text_table_free(t);
}

static void print_header(FILE *out, const Advice *a)
{
    char size[32], rate[32], avg[32], target[32], limit[32], from[48], hz[48];
    size_text((double)a->bytes_now, size);
    fprintf(out, "table:      %s, range on %s (%s), %zu partition%s, %s\n", a->table,
            a->column ? a->column : "?", key_type_name(a->key_type), a->parts_now,
            a->parts_now == 1 ? "" : "s", size);
    size_text(a->growth.bytes, rate);
    size_text(a->growth.average_bytes, avg);
    key_format(a->key_type, a->growth.from, from);
    fprintf(out, "growth:     %s %s recently", rate, per(a));
    if (a->growth.rows >= 0)
        fprintf(out, a->growth.rows < 10 ? " (%.2f rows)" : " (%.0f rows)", a->growth.rows);
    fprintf(out, "; %s %s on average %s %s\n", avg, per(a),
            a->growth.per_day ? "since" : "from key value", from);
    size_text((double)a->target_bytes, target);
    size_text(ADVISE_MAX_OVER * (double)a->target_bytes, limit);
    fprintf(out, "target:     partitions near %s (at most %s), at most %d of them\n", target, limit,
            ADVISE_MAX_PARTITIONS);
    horizon_text(a, hz);
    fprintf(out, "retention:  %s%s (%s; partitions counted over %s)\n",
            a->retention_text ? a->retention_text : "none",
            a->retention_text && !a->growth.per_day ? " ranges" : "",
            advise_retention_name(a->retention), hz);
}

static void print_notes(FILE *out, const Advice *a)
{
    if (!a->notes)
        return;
    fputs("\nnotes:\n", out);
    for (size_t i = 0; i < N_NOTES; i++) {
        if (!(a->notes & (1u << i)))
            continue;
        char *s = advise_note_text(a, 1u << i);
        fprintf(out, "  - %s\n", s);
        free(s);
    }
}

void report_advise_text(FILE *out, const Advice *a)
{
    char *why = advise_why_text(a);
    if (a->verdict == ADVISE_CANNOT) {
        fprintf(out, "cannot advise: %s\n", why);
        free(why);
        return;
    }
    print_header(out, a);
    print_layouts(out, a);
    fprintf(out, "\n%s: %s\n", a->verdict == ADVISE_KEEP ? "keep" : "change", why);
    free(why);
    print_notes(out, a);
    if (a->commands.n == 0)
        return;
    fputs("\nto get there:\n", out);
    for (size_t i = 0; i < a->commands.n; i++)
        fprintf(out, "  %s\n", a->commands.items[i]);
}

/* ---- JSON ------------------------------------------------------------------- */

static cJSON *layout_json(const AdviseLayout *l)
{
    cJSON *o = cJSON_CreateObject();
    char iv[48];
    interval_format(&l->interval, iv);
    json_add_string_or_null(o, "interval", l->known ? iv : NULL);
    cJSON_AddNumberToObject(o, "partitions", l->partitions);
    cJSON_AddNumberToObject(o, "partition_bytes", round(l->part_bytes));
    if (l->part_rows >= 0)
        cJSON_AddNumberToObject(o, "partition_rows", round(l->part_rows));
    else
        cJSON_AddNullToObject(o, "partition_rows");
    cJSON_AddNumberToObject(o, "plan_ms", round(l->plan_ms * 100) / 100);
    if (l->vacuum_s >= 0)
        cJSON_AddNumberToObject(o, "vacuum_seconds", round(l->vacuum_s * 10) / 10);
    else
        cJSON_AddNullToObject(o, "vacuum_seconds");
    return o;
}

static cJSON *growth_json(const Advice *a)
{
    const AdviseGrowth *g = &a->growth;
    cJSON *o = cJSON_CreateObject();
    char from[48], to[48];
    key_format(a->key_type, g->from, from);
    key_format(a->key_type, g->to, to);
    cJSON_AddStringToObject(o, "per", g->per_day ? "day" : "key value");
    cJSON_AddNumberToObject(o, "bytes", round(g->bytes));
    if (g->rows >= 0)
        cJSON_AddNumberToObject(o, "rows", round(g->rows * 10) / 10);
    else
        cJSON_AddNullToObject(o, "rows");
    cJSON_AddNumberToObject(o, "average_bytes", round(g->average_bytes));
    cJSON_AddStringToObject(o, "from", from);
    cJSON_AddStringToObject(o, "to", to);
    cJSON_AddNumberToObject(o, "partitions", (double)g->partitions);
    cJSON_AddNumberToObject(o, "half_life", g->half_life);
    return o;
}

cJSON *report_advise_json(const Advice *a)
{
    cJSON *doc = cJSON_CreateObject();
    bool can = a->verdict != ADVISE_CANNOT;
    cJSON_AddStringToObject(doc, "table", a->table);
    json_add_string_or_null(doc, "column", a->column);
    cJSON_AddStringToObject(doc, "key_type", key_type_name(a->key_type));
    cJSON_AddStringToObject(doc, "verdict", advise_verdict_name(a->verdict));
    cJSON_AddStringToObject(doc, "reason", advise_reason_name(a->reason));
    char *why = advise_why_text(a);
    cJSON_AddStringToObject(doc, "why", why);
    free(why);
    cJSON_AddNumberToObject(doc, "target_bytes", (double)a->target_bytes);
    cJSON_AddNumberToObject(doc, "max_over", ADVISE_MAX_OVER);
    cJSON_AddNumberToObject(doc, "max_partitions", ADVISE_MAX_PARTITIONS);
    cJSON *now = cJSON_AddObjectToObject(doc, "now");
    cJSON_AddNumberToObject(now, "partitions", (double)a->parts_now);
    cJSON_AddNumberToObject(now, "bytes", (double)a->bytes_now);
    cJSON_AddNumberToObject(now, "largest_bytes", (double)a->largest_bytes);
    cJSON_AddItemToObject(doc, "growth", can ? growth_json(a) : cJSON_CreateNull());
    if (can) {
        cJSON *ret = cJSON_AddObjectToObject(doc, "retention");
        cJSON_AddStringToObject(ret, "source", advise_retention_name(a->retention));
        json_add_string_or_null(ret, "value", a->retention_text);
        cJSON_AddNumberToObject(doc, "horizon", round(a->horizon * 100) / 100);
    } else {
        cJSON_AddNullToObject(doc, "retention");
        cJSON_AddNullToObject(doc, "horizon");
    }
    cJSON_AddBoolToObject(doc, "planning_measured", a->plan_measured);
    cJSON_AddItemToObject(doc, "current", can ? layout_json(&a->current) : cJSON_CreateNull());
    cJSON_AddItemToObject(doc, "recommended",
                          can ? layout_json(&a->recommended) : cJSON_CreateNull());
    cJSON *notes = cJSON_AddArrayToObject(doc, "notes");
    for (size_t i = 0; i < N_NOTES; i++) {
        if (!(a->notes & (1u << i)))
            continue;
        cJSON *n = cJSON_CreateObject();
        char *text = advise_note_text(a, 1u << i);
        cJSON_AddStringToObject(n, "id", note_ids[i]);
        cJSON_AddStringToObject(n, "text", text);
        free(text);
        cJSON_AddItemToArray(notes, n);
    }
    cJSON *blockers = cJSON_AddArrayToObject(doc, "blockers");
    for (size_t i = 0; i < a->nblockers; i++) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "what", a->blockers[i].what);
        json_add_string_or_null(b, "object", a->blockers[i].object);
        cJSON_AddStringToObject(b, "message", a->blockers[i].message);
        json_add_string_or_null(b, "accept", a->blockers[i].accept);
        cJSON_AddItemToArray(blockers, b);
    }
    json_add_strings(cJSON_AddArrayToObject(doc, "commands"), &a->commands);
    return doc;
}
