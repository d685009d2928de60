#include "report/doctor_html.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "report/doctor_timeline.h"
#include "report/html.h"
#include "core/units.h"
#include "version.h"

static const char CSS[] =
    "body{font:14px/1.4 system-ui,sans-serif;color:#222;margin:0 auto;padding:0 16px 48px;"
    "max-width:1500px;background:#fafafa}\n"
    "h1{font-size:22px;margin:16px 0 4px}h2{font-size:17px;margin:0 0 4px}"
    "h3{font-size:14px;margin:0 0 6px}\n"
    ".name{white-space:pre-wrap;word-break:break-all}\n"
    ".meta,.facts{color:#555;margin:2px 0}.facts .bad{color:#b00000;font-weight:600}\n"
    ".sev{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;font-weight:600;"
    "color:#fff;background:#6a7a8a}\n"
    ".sev.error{background:#c62828}.sev.warning{background:#d98200}.sev.healthy{background:#2e7d32}"
    "\n"
    "table.index{border-collapse:collapse;margin:10px 0}"
    "table.index td,table.index th{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}"
    "\ntable.index td.n{text-align:right}\n"
    "section{background:#fff;border:1px solid #ddd;border-radius:6px;margin:16px 0;padding:12px}"
    "\n"
    ".body{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}"
    ".chart{flex:1 1 640px;min-width:0;overflow-x:auto}"
    ".chart svg{max-width:100%;height:auto}"
    ".findings{flex:1 1 340px;max-width:560px}\n"
    ".findings ol{list-style:none;padding:0;margin:0}"
    ".finding{border-left:4px solid #6a7a8a;padding:4px 8px;margin:0 0 8px;background:#f6f6f6}"
    "\n.finding[data-severity=error]{border-color:#c62828}"
    ".finding[data-severity=warning]{border-color:#d98200}"
    ".finding p{margin:2px 0}.finding pre{margin:2px 0;padding:4px;background:#eee;"
    "white-space:pre-wrap;word-break:break-all;font-size:12px}\n"
    ".nothing{color:#2e7d32}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:#444;margin:6px 0}"
    ".legend svg{vertical-align:middle;margin-right:3px}\n"
    "svg.defs{position:absolute}\n"
    "svg .lane{fill:#f3f5f8}svg .lane-label,svg .cell-label{font-size:11px;fill:#444}"
    "svg .tick{stroke:#ccd;stroke-width:.5}svg .tick-label{font-size:10px;fill:#666;"
    "text-anchor:middle}\n"
    "svg .now{stroke:#c62828;stroke-width:1.5;stroke-dasharray:4 2}"
    "svg .now-label{font-size:11px;fill:#c62828}\n"
    /* rect.key: the legend's samples, styled as the partitions they stand for */
    ".part,.key{fill:#4a7fb5}.part:hover,.part.hl{stroke:#000;stroke-width:1.5}\n"
    "[data-tier='1']{fill:#2a9d8f}[data-tier='2']{fill:#8a6fd0}[data-tier='3']{fill:#5aa045}"
    "[data-tier='4']{fill:#b5894a}[data-tier='5']{fill:#5b9fc8}[data-tier='6']{fill:#a05a8a}"
    "[data-tier='7']{fill:#888}\n"
    "[data-clip=lower]{fill:url(#fade-lower)}[data-clip=upper]{fill:url(#fade-upper)}"
    "[data-clip=both]{fill:url(#fade-both)}\n"
    "[data-state=pending]{fill:url(#hatch-pending);stroke:#c27400}"
    "[data-state=default]{fill:#9b7fc7}[data-state=default][data-rows=yes]{fill:#c62828}"
    "[data-state=leftover]{fill:#aaa;stroke:#777;stroke-dasharray:2 2}\n"
    ".gap,[data-mark=gap]{fill:url(#hatch-gap);stroke:#d62828;stroke-width:.5}"
    ".overlap,[data-mark=overlap]{fill:#f08c00;fill-opacity:.55;stroke:#b35c00;"
    "stroke-width:.5}\n";

/* Hovering (or focusing) a finding outlines the partition it names. */
static const char SCRIPT[] =
    "(function () {\n"
    "  var lit = null;\n"
    "  function show(e) {\n"
    "    var li = e.target.closest ? e.target.closest('[data-part]') : null;\n"
    "    var el = li ? document.getElementById(li.getAttribute('data-part')) : null;\n"
    "    if (el === lit) return;\n"
    "    if (lit) lit.classList.remove('hl');\n"
    "    lit = el;\n"
    "    if (lit) lit.classList.add('hl');\n"
    "  }\n"
    "  document.addEventListener('mouseover', show);\n"
    "  document.addEventListener('focusin', show);\n"
    "})();\n";

/* Findings grouped by the table they name (report order kept within each);
 * the last group holds those whose table is not in the model. */
typedef struct Buckets {
    size_t *order; /* finding indexes, group after group */
    size_t *start; /* ntables + 2 offsets into order */
    char **names;  /* each table as ident_display prints it */
} Buckets;

typedef struct NameIdx {
    const char *name;
    size_t i;
} NameIdx;

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const NameIdx *)a)->name, ((const NameIdx *)b)->name);
}

/* The index whose name is name in sorted (n entries), or SIZE_MAX. */
static size_t name_find(const NameIdx *sorted, size_t n, const char *name)
{
    if (!name || n == 0)
        return SIZE_MAX;
    NameIdx key = {name, 0};
    const NameIdx *hit = bsearch(&key, sorted, n, sizeof(NameIdx), name_cmp);
    return hit ? hit->i : SIZE_MAX;
}

static void buckets_fill(Buckets *b, const DocDatabase *db, const DoctorReport *r)
{
    size_t nt = db->ntables;
    b->names = xcalloc(nt + 1, sizeof(char *));
    NameIdx *sorted = xcalloc(nt + 1, sizeof(NameIdx));
    for (size_t k = 0; k < nt; k++) {
        b->names[k] = ident_display(db->tables[k].schema, db->tables[k].name);
        sorted[k] = (NameIdx){b->names[k], k};
    }
    qsort(sorted, nt, sizeof(NameIdx), name_cmp);
    size_t *group = xcalloc(r->n + 1, sizeof(size_t));
    b->start = xcalloc(nt + 2, sizeof(size_t));
    for (size_t i = 0; i < r->n; i++) {
        size_t k = name_find(sorted, nt, r->items[i].table);
        group[i] = k == SIZE_MAX ? nt : k;
        b->start[group[i] + 1]++;
    }
    for (size_t k = 0; k < nt + 1; k++)
        b->start[k + 1] += b->start[k];
    size_t *next = xcalloc(nt + 1, sizeof(size_t));
    memcpy(next, b->start, (nt + 1) * sizeof(size_t));
    b->order = xcalloc(r->n + 1, sizeof(size_t));
    for (size_t i = 0; i < r->n; i++)
        b->order[next[group[i]]++] = i;
    free(next);
    free(group);
    free(sorted);
}

static void buckets_free(Buckets *b, size_t ntables)
{
    strings_free(b->names, ntables);
    free(b->order);
    free(b->start);
}

static void count_severities(const DoctorReport *r, const Buckets *b, size_t k, size_t counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    for (size_t j = b->start[k]; j < b->start[k + 1]; j++)
        counts[r->items[b->order[j]].severity]++;
}

static void plural(FILE *out, size_t n, const char *one, const char *many)
{
    fprintf(out, "%zu %s", n, n == 1 ? one : many);
}

static void status_badge(FILE *out, const size_t counts[3])
{
    if (counts[DOC_ERROR])
        fputs("<span class=\"sev error\">errors</span>", out);
    else if (counts[DOC_WARNING])
        fputs("<span class=\"sev warning\">warnings</span>", out);
    else
        fputs("<span class=\"sev healthy\">healthy</span>", out);
}

/* One finding; part is the id of the partition it names on the page, or NULL. */
static void finding_item(FILE *out, const DoctorFinding *f, const char *part)
{
    const char *sev = doctor_severity_name(f->severity);
    fprintf(out, "<li class=\"finding\" data-severity=\"%s\" data-id=\"", sev);
    html_text(out, f->id);
    fputs("\"", out);
    if (part)
        fprintf(out, " data-part=\"%s\" tabindex=\"0\"", part);
    fprintf(out, ">\n<p><span class=\"sev %s\">%s</span> <b>", sev, sev);
    html_text(out, f->id);
    fputs("</b>", out);
    if (f->object) {
        fputs(" on <span class=\"name\">", out);
        html_text(out, f->object);
        fputs("</span>", out);
    }
    fputs("</p>\n<p class=\"evidence\">", out);
    html_text(out, f->evidence);
    fputs("</p>\n<p class=\"why\"><b>Why:</b> ", out);
    html_text(out, f->why);
    fputs("</p>\n<p><b>Fix:</b></p><pre class=\"fix\">", out);
    html_text(out, f->fix);
    fputs("</pre></li>\n", out);
}

/* For each finding of table k (in bucket order), the partition of t it names
 * (SIZE_MAX: none), and marked[p] set for each such partition. */
static size_t *finding_targets(const DoctorReport *r, const Buckets *b, size_t k, const DocTable *t,
                               bool *marked)
{
    size_t nf = b->start[k + 1] - b->start[k], np = t ? t->nparts : 0;
    size_t *target = xmalloc((nf ? nf : 1) * sizeof(size_t));
    char **names = NULL;
    NameIdx *sorted = NULL;
    for (size_t j = 0; j < nf; j++) {
        const char *object = r->items[b->order[b->start[k] + j]].object;
        target[j] = SIZE_MAX;
        if (!object || np == 0)
            continue;
        if (!names) { /* partition names, sorted, built once a finding names one */
            names = xcalloc(np, sizeof(char *));
            sorted = xcalloc(np, sizeof(NameIdx));
            for (size_t i = 0; i < np; i++) {
                names[i] = ident_display(t->parts[i].schema, t->parts[i].name);
                sorted[i] = (NameIdx){names[i], i};
            }
            qsort(sorted, np, sizeof(NameIdx), name_cmp);
        }
        target[j] = name_find(sorted, np, object);
        if (target[j] != SIZE_MAX)
            marked[target[j]] = true;
    }
    if (names)
        strings_free(names, np);
    free(sorted);
    return target;
}

/* The findings of table k (or of the tables not in the model); target from
 * finding_targets, or NULL. */
static void findings_list(FILE *out, const DoctorReport *r, const Buckets *b, size_t k,
                          const size_t *target)
{
    fputs("<aside class=\"findings\"><h3>Findings</h3>\n", out);
    if (b->start[k] == b->start[k + 1]) {
        fputs("<p class=\"nothing\">Nothing found.</p></aside>\n", out);
        return;
    }
    fputs("<ol>\n", out);
    for (size_t j = b->start[k]; j < b->start[k + 1]; j++) {
        size_t p = target ? target[j - b->start[k]] : SIZE_MAX;
        char id[48];
        snprintf(id, sizeof(id), "p%zu-%zu", k, p);
        finding_item(out, &r->items[b->order[j]], p != SIZE_MAX ? id : NULL);
    }
    fputs("</ol></aside>\n", out);
}

static const char *strategy_text(const DocTable *t)
{
    if (t->kind == DOC_INHERITANCE)
        return "inheritance set";
    return t->strategy == 'l'   ? "declarative, list"
           : t->strategy == 'h' ? "declarative, hash"
                                : "declarative, range";
}

/* Kind, key, partitions by state, size, tiers, gaps, now. */
static void table_facts(FILE *out, const DocTable *t, const TimelineLayout *l)
{
    size_t states[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < t->nparts; i++)
        states[t->parts[i].state]++;
    fprintf(out, "<p class=\"facts\">%s", strategy_text(t));
    if (t->key_text) {
        fputs(" \u00b7 key ", out);
        html_text(out, t->key_text);
    }
    if (t->key_type_name) {
        fputs(" (", out);
        html_text(out, t->key_type_name);
        fputs(")", out);
    }
    char size[32];
    format_bytes(l->total_bytes, size);
    fputs(" \u00b7 ", out);
    plural(out, t->nparts, "partition", "partitions");
    if (states[DOC_PART_DEFAULT] || states[DOC_PART_PENDING] || states[DOC_PART_LEFTOVER]) {
        fprintf(out, " (%zu attached", states[DOC_PART_ATTACHED]);
        if (states[DOC_PART_DEFAULT])
            fprintf(out, ", %zu default", states[DOC_PART_DEFAULT]);
        if (states[DOC_PART_PENDING])
            fprintf(out, ", %zu pending detach", states[DOC_PART_PENDING]);
        if (states[DOC_PART_LEFTOVER])
            fprintf(out, ", %zu left detached", states[DOC_PART_LEFTOVER]);
        fputs(")", out);
    }
    fprintf(out, " \u00b7 %s", size);
    if (t->policy)
        fputs(" \u00b7 managed by pgstrata", out);
    if (t->migration) {
        fputs(" \u00b7 <span class=\"bad\">migration under way: ", out);
        html_text(out, t->migration);
        fputs("</span>", out);
    }
    fputs("</p>\n<p class=\"facts\">", out);
    if (l->ntiers > 0) {
        fputs("tiers:", out);
        for (size_t k = 0; k < l->ntiers; k++)
            fprintf(out, "%s %s \u00d7 %zu", k ? "," : "", l->tiers[k].label, l->tiers[k].count);
        fputs(" \u00b7 ", out);
    }
    fprintf(out, "<span%s>", l->ngaps ? " class=\"bad\"" : "");
    plural(out, l->ngaps, "gap", "gaps");
    fprintf(out, "</span> \u00b7 <span%s>", l->noverlaps ? " class=\"bad\"" : "");
    plural(out, l->noverlaps, "overlap", "overlaps");
    fputs("</span>", out);
    if (l->now_known && l->on_axis > 0)
        fputs(l->now_covered ? " \u00b7 a partition holds now"
                             : " \u00b7 <span class=\"bad\">no partition holds now</span>",
              out);
    fputs("</p>\n", out);
}

static void table_section(FILE *out, const DocDatabase *db, const DoctorReport *r, const Buckets *b,
                          size_t k)
{
    const DocTable *t = &db->tables[k];
    TimelineLayout l;
    timeline_layout(t, db->server.now, &l);
    size_t counts[3];
    count_severities(r, b, k, counts);
    fprintf(out, "<section class=\"table\" id=\"t%zu\" data-table=\"", k);
    html_text(out, b->names[k]);
    fprintf(out, "\" data-parts=\"%zu\">\n<h2><span class=\"name\">", t->nparts);
    html_text(out, b->names[k]);
    fputs("</span> ", out);
    status_badge(out, counts);
    fputs(" <small>", out);
    plural(out, counts[DOC_ERROR], "error", "errors");
    fputs(", ", out);
    plural(out, counts[DOC_WARNING], "warning", "warnings");
    fputs("</small></h2>\n", out);
    table_facts(out, t, &l);
    bool *marked = xcalloc(t->nparts ? t->nparts : 1, sizeof(bool));
    size_t *target = finding_targets(r, b, k, t, marked);
    fputs("<div class=\"body\">\n<div class=\"chart\">\n", out);
    timeline_svg(out, &l, k, marked);
    fputs("</div>\n", out);
    findings_list(out, r, b, k, target);
    fputs("</div>\n</section>\n", out);
    free(target);
    free(marked);
    timeline_layout_free(&l);
}

static void legend(FILE *out)
{
    static const struct {
        const char *attrs, *text;
    } keys[] = {
        {"data-state=\"attached\"", "partition (width: its range; height: size)"},
        {"data-state=\"attached\" data-tier=\"1\"", "another width (tier)"},
        {"data-state=\"attached\" data-clip=\"upper\"", "MINVALUE/MAXVALUE end"},
        {"data-state=\"pending\"", "pending detach"},
        {"data-state=\"default\"", "default partition"},
        {"data-state=\"default\" data-rows=\"yes\"", "default holding rows"},
        {"data-state=\"leftover\"", "detached table left behind"},
        {"data-mark=\"gap\"", "gap"},
        {"data-mark=\"overlap\"", "overlap"},
    };
    fputs("<div class=\"legend\">", out);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        fprintf(out,
                "<span><svg width=\"22\" height=\"12\"><rect class=\"key\" %s x=\"1\" y=\"1\" "
                "width=\"20\" height=\"10\"/></svg>%s</span>",
                keys[i].attrs, keys[i].text);
    fputs("<span><svg width=\"22\" height=\"12\"><line class=\"now\" x1=\"11\" x2=\"11\" "
          "y1=\"0\" y2=\"12\"/></svg>now (time keys, UTC)</span></div>\n",
          out);
}

/* Counts per table, the whole database, and an index linking to each table. */
static void summary(FILE *out, const DocDatabase *db, const DoctorReport *r, const Buckets *b)
{
    size_t parts = 0, counts[3] = {0, 0, 0};
    int64_t bytes = 0;
    for (size_t k = 0; k < db->ntables; k++)
        for (size_t i = 0; i < db->tables[k].nparts; i++) {
            parts++;
            bytes += db->tables[k].parts[i].bytes > 0 ? db->tables[k].parts[i].bytes : 0;
        }
    for (size_t i = 0; i < r->n; i++)
        counts[r->items[i].severity]++;
    char size[32], now[32];
    format_bytes(bytes, size);
    civil_format(db->server.now, true, now);
    fputs("<header>\n<h1>pgstrata doctor</h1>\n<p class=\"facts\">", out);
    plural(out, db->ntables, "partitioned table", "partitioned tables");
    fputs(" \u00b7 ", out);
    plural(out, parts, "partition", "partitions");
    fprintf(out, " \u00b7 %s \u00b7 ", size);
    status_badge(out, counts);
    fputs(" ", out);
    plural(out, counts[DOC_ERROR], "error", "errors");
    fputs(", ", out);
    plural(out, counts[DOC_WARNING], "warning", "warnings");
    if (counts[DOC_INFO]) {
        fputs(", ", out);
        plural(out, counts[DOC_INFO], "note", "notes");
    }
    fputs("</p>\n<p class=\"meta\">", out);
    if (db->server.version_num > 0)
        fprintf(out, "PostgreSQL %d.%d \u00b7 ", db->server.version_num / 10000,
                db->server.version_num % 10000);
    fprintf(out, "read at %s UTC \u00b7 pgstrata %s</p>\n", now, PGSTRATA_VERSION);
    legend(out);
    if (db->ntables == 0) {
        fputs("<p>No partitioned tables.</p>\n</header>\n", out);
        return;
    }
    fputs("<table class=\"index\"><tr><th>status</th><th>table</th><th>partitions</th>"
          "<th>size</th><th>errors</th><th>warnings</th></tr>\n",
          out);
    for (size_t k = 0; k < db->ntables; k++) {
        const DocTable *t = &db->tables[k];
        int64_t tb = 0;
        for (size_t i = 0; i < t->nparts; i++)
            tb += t->parts[i].bytes > 0 ? t->parts[i].bytes : 0;
        format_bytes(tb, size);
        count_severities(r, b, k, counts);
        fputs("<tr><td>", out);
        status_badge(out, counts);
        fprintf(out, "</td><td><a class=\"name\" href=\"#t%zu\">", k);
        html_text(out, b->names[k]);
        fprintf(out, "</a></td><td class=\"n\">%zu</td><td class=\"n\">%s</td>", t->nparts, size);
        fprintf(out, "<td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n", counts[DOC_ERROR],
                counts[DOC_WARNING]);
    }
    fputs("</table>\n</header>\n", out);
}

bool report_doctor_html(FILE *out, const DocDatabase *db, const DoctorReport *r)
{
    Buckets b;
    buckets_fill(&b, db, r);
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>pgstrata doctor</title>\n<style>\n%s</style>\n</head>\n<body>\n",
            CSS);
    timeline_defs(out);
    summary(out, db, r, &b);
    if (b.start[db->ntables] < b.start[db->ntables + 1]) {
        fputs("<section class=\"other\">\n<h2>Other findings</h2>\n<div class=\"body\">\n", out);
        findings_list(out, r, &b, db->ntables, NULL);
        fputs("</div>\n</section>\n", out);
    }
    for (size_t k = 0; k < db->ntables; k++)
        table_section(out, db, r, &b, k);
    fprintf(out, "<script>\n%s</script>\n</body>\n</html>\n", SCRIPT);
    buckets_free(&b, db->ntables);
    return !ferror(out);
}

bool report_doctor_html_file(const char *path, const DocDatabase *db, const DoctorReport *r,
                             char **err)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        *err = xasprintf("could not write %s: %s", path, strerror(errno));
        return false;
    }
    errno = 0;
    bool ok = report_doctor_html(f, db, r);
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok)
        *err = xasprintf("could not write %s: %s", path, strerror(e ? e : EIO));
    return ok;
}
