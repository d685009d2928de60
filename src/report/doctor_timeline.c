#include "report/doctor_timeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "report/html.h"
#include "core/units.h"

/* Geometry, in SVG user units (the page scales the whole drawing). */
#define WIDTH     960.0
#define LABEL_W   120.0 /* lane names */
#define STUB      40.0  /* room for a MINVALUE/MAXVALUE end and its label */
#define PX0       (LABEL_W + STUB)
#define PX1       (WIDTH - STUB)
#define TOP       16.0 /* the "now" label */
#define AXIS_H    30.0
#define CELL_ROW  36.0 /* a row of partitions without a range */
#define MIN_BAR_H 3.0

static bool on_axis(const DocPart *p)
{
    return p->bounded && (p->state == DOC_PART_ATTACHED || p->state == DOC_PART_PENDING);
}

static const char *state_name(DocPartState s)
{
    switch (s) {
    case DOC_PART_DEFAULT:
        return "default";
    case DOC_PART_PENDING:
        return "pending";
    case DOC_PART_LEFTOVER:
        return "leftover";
    case DOC_PART_ATTACHED:
        break;
    }
    return "attached";
}

/* hi - lo without signed overflow (bigint keys may span the whole range). */
static uint64_t span_of(int64_t lo, int64_t hi)
{
    return (uint64_t)hi - (uint64_t)lo;
}

void timeline_span_text(bool time_key, int64_t lo, int64_t hi, char buf[32])
{
    uint64_t s = span_of(lo, hi);
    if (!time_key) {
        snprintf(buf, 32, "%llu", (unsigned long long)s);
        return;
    }
    /* Day-and-longer bounds aligned in a policy's zone are a day +- an hour
     * off in UTC across DST, so whole days are matched approximately. */
    double days = (double)s / 86400.0;
    long long d = llround(days);
    if (d >= 1 && fabs(days - (double)d) < 0.1) {
        static const struct {
            long long lo, hi;
            const char *text;
        } named[] = {{1, 1, "1 day"},        {7, 7, "1 week"},     {14, 14, "2 weeks"},
                     {28, 31, "1 month"},    {59, 62, "2 months"}, {89, 92, "1 quarter"},
                     {181, 184, "6 months"}, {365, 366, "1 year"}, {730, 731, "2 years"}};
        for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
            if (d >= named[i].lo && d <= named[i].hi) {
                snprintf(buf, 32, "%s", named[i].text);
                return;
            }
        snprintf(buf, 32, "%lld days", d);
    } else if (s % 3600 == 0)
        snprintf(buf, 32, "%llu hour%s", (unsigned long long)(s / 3600), s == 3600 ? "" : "s");
    else if (s % 60 == 0)
        snprintf(buf, 32, "%llu minutes", (unsigned long long)(s / 60));
    else
        snprintf(buf, 32, "%llu seconds", (unsigned long long)s);
}

void timeline_key_text(const TimelineLayout *l, int64_t v, char buf[32])
{
    if (l->time_key)
        civil_format(v, v % CIVIL_DAY != 0, buf);
    else
        snprintf(buf, 32, "%lld", (long long)v);
}

/* ---- layout ---- */

static size_t lane_for(TimelineLayout *l, const char *group)
{
    /* parts come sorted by group: the last lane is the likely one */
    for (size_t k = l->nlanes; k-- > 0;) {
        const char *g = l->lanes[k];
        if ((!g && !group) || (g && group && strcmp(g, group) == 0))
            return k;
    }
    l->lanes[l->nlanes] = group;
    return l->nlanes++;
}

static int tier_for(TimelineLayout *l, const char *label)
{
    for (size_t k = 0; k < l->ntiers; k++)
        if (strcmp(l->tiers[k].label, label) == 0)
            return (int)k;
    if (l->ntiers == TIMELINE_TIERS)
        return TIMELINE_TIERS - 1; /* "other" */
    size_t k = l->ntiers++;
    snprintf(l->tiers[k].label, sizeof(l->tiers[k].label), "%s",
             k == TIMELINE_TIERS - 1 ? "other" : label);
    return (int)k;
}

typedef struct Span {
    size_t lane;
    bool lo_inf, hi_inf;
    int64_t lo, hi;
} Span;

static int span_cmp(const void *a, const void *b)
{
    const Span *x = a, *y = b;
    if (x->lane != y->lane)
        return x->lane < y->lane ? -1 : 1;
    if (x->lo_inf != y->lo_inf)
        return x->lo_inf ? -1 : 1;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

static void add_mark(TimelineLayout *l, bool overlap, size_t lane, int64_t from, int64_t to)
{
    if (l->nmarks % 16 == 0)
        l->marks = xrealloc(l->marks, (l->nmarks + 16) * sizeof(TimelineMark));
    l->marks[l->nmarks++] = (TimelineMark){overlap, lane, from, to};
    if (overlap)
        l->noverlaps++;
    else
        l->ngaps++;
}

/* Gaps and overlaps between consecutive attached ranges of each lane;
 * whether one holds now. */
static void find_marks(TimelineLayout *l)
{
    const DocTable *t = l->t;
    Span *s = xmalloc((t->nparts ? t->nparts : 1) * sizeof(Span));
    size_t n = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        if (!doc_part_in_range(p))
            continue;
        s[n++] = (Span){l->lane_of[i], p->lower_unbounded, p->upper_unbounded, p->lower, p->upper};
        if ((p->lower_unbounded || p->lower <= l->now) && (p->upper_unbounded || l->now < p->upper))
            l->now_covered = true;
    }
    qsort(s, n, sizeof(Span), span_cmp);
    bool reach_inf = false;
    int64_t reach = 0;
    for (size_t i = 0; i < n; i++) {
        const Span *x = &s[i];
        int64_t lo = x->lo_inf ? INT64_MIN : x->lo, hi = x->hi_inf ? INT64_MAX : x->hi;
        if (i > 0 && s[i - 1].lane == x->lane) {
            if (!reach_inf && !x->lo_inf && x->lo > reach)
                add_mark(l, false, x->lane, reach, x->lo);
            else if (reach_inf || x->lo_inf || x->lo < reach)
                add_mark(l, true, x->lane, lo, reach_inf || hi < reach ? hi : reach);
        } else {
            reach_inf = false;
            reach = INT64_MIN;
        }
        if (x->hi_inf)
            reach_inf = true;
        else if (x->hi > reach)
            reach = x->hi;
    }
    free(s);
}

/* The axis: every bounded end, and now when it is near them. */
static void find_domain(TimelineLayout *l)
{
    const DocTable *t = l->t;
    bool any = false;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        if (l->lane_of[i] == SIZE_MAX)
            continue;
        double v[2];
        int nv = 0;
        if (!p->lower_unbounded)
            v[nv++] = (double)p->lower;
        if (!p->upper_unbounded)
            v[nv++] = (double)p->upper;
        for (int k = 0; k < nv; k++) {
            lo = any && lo < v[k] ? lo : v[k];
            hi = any && hi > v[k] ? hi : v[k];
            any = true;
        }
    }
    double now = (double)l->now;
    if (!any) {
        lo = l->now_known ? now - CIVIL_DAY : 0;
        hi = l->now_known ? now + CIVIL_DAY : 1;
    } else if (l->now_known && now >= lo - (hi - lo) / 2 && now <= hi + (hi - lo) / 2) {
        lo = now < lo ? now : lo;
        hi = now > hi ? now : hi;
    }
    if (hi <= lo)
        hi = lo + (l->time_key ? CIVIL_DAY : 1);
    l->dmin = lo;
    l->dmax = hi;
}

void timeline_layout(const DocTable *t, int64_t now, TimelineLayout *l)
{
    memset(l, 0, sizeof(*l));
    l->t = t;
    l->time_key = t->key_known && key_type_is_time(t->key_type);
    l->now_known = l->time_key;
    l->now = now;
    size_t n = t->nparts ? t->nparts : 1;
    l->lanes = xcalloc(n, sizeof(char *));
    l->lane_of = xcalloc(n, sizeof(size_t));
    l->off = xcalloc(n, sizeof(size_t));
    l->tier_of = xcalloc(n, sizeof(int));
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        if (p->bytes > 0) {
            l->total_bytes += p->bytes;
            l->max_bytes = p->bytes > l->max_bytes ? p->bytes : l->max_bytes;
        }
        l->tier_of[i] = -1;
        if (!on_axis(p)) {
            l->lane_of[i] = SIZE_MAX;
            l->off[l->noff++] = i;
            continue;
        }
        l->on_axis++;
        l->lane_of[i] = lane_for(l, p->group);
        if (!p->lower_unbounded && !p->upper_unbounded) {
            char label[32];
            timeline_span_text(l->time_key, p->lower, p->upper, label);
            l->tier_of[i] = tier_for(l, label);
            l->tiers[l->tier_of[i]].count++;
        }
    }
    find_marks(l);
    find_domain(l);
}

void timeline_layout_free(TimelineLayout *l)
{
    free(l->lanes);
    free(l->lane_of);
    free(l->off);
    free(l->tier_of);
    free(l->marks);
    memset(l, 0, sizeof(*l));
}

/* ---- drawing ---- */

typedef struct Geometry {
    double lane_h;
    double lanes_top, cells_top, axis_y, height;
    double cell_w;
    size_t per_row;
} Geometry;

static void geometry(const TimelineLayout *l, Geometry *g)
{
    g->lane_h = l->nlanes <= 12 ? 44 : 20;
    g->lanes_top = TOP;
    g->cells_top = TOP + (double)l->nlanes * g->lane_h;
    g->cell_w = 0;
    g->per_row = 1;
    double rows = 0;
    if (l->noff > 0) {
        double avail = WIDTH - LABEL_W - 4;
        g->cell_w = avail / (double)l->noff;
        g->cell_w = g->cell_w > 64 ? 64 : g->cell_w < 3 ? 3 : g->cell_w;
        g->per_row = (size_t)(avail / g->cell_w);
        rows = (double)((l->noff + g->per_row - 1) / g->per_row);
    }
    g->axis_y = g->cells_top + rows * CELL_ROW;
    g->height = g->axis_y + AXIS_H;
}

static double x_of(const TimelineLayout *l, double v)
{
    double x = PX0 + (v - l->dmin) / (l->dmax - l->dmin) * (PX1 - PX0);
    return x < LABEL_W ? LABEL_W : x > WIDTH ? WIDTH : x;
}

static double bar_height(const TimelineLayout *l, int64_t bytes, double room)
{
    if (bytes <= 0 || l->max_bytes <= 0)
        return MIN_BAR_H;
    double h = room * (double)bytes / (double)l->max_bytes;
    return h < MIN_BAR_H ? MIN_BAR_H : h;
}

static void range_text(FILE *out, const TimelineLayout *l, const DocPart *p)
{
    char a[32], b[32], w[32];
    if (p->lower_unbounded)
        snprintf(a, sizeof(a), "MINVALUE");
    else
        timeline_key_text(l, p->lower, a);
    if (p->upper_unbounded)
        snprintf(b, sizeof(b), "MAXVALUE");
    else
        timeline_key_text(l, p->upper, b);
    fprintf(out, "%s \u2192 %s", a, b);
    if (!p->lower_unbounded && !p->upper_unbounded) {
        timeline_span_text(l->time_key, p->lower, p->upper, w);
        fprintf(out, " (%s)", w);
    }
}

/* The tooltip: name, range, size and rows, state. */
static void part_title(FILE *out, const TimelineLayout *l, const DocPart *p)
{
    char *name = ident_display(p->schema, p->name);
    char size[32];
    format_bytes(p->bytes, size);
    fputs("<title>", out);
    html_text(out, name);
    fputc('\n', out);
    if (p->bounded)
        range_text(out, l, p);
    else if (p->bound_text)
        html_text(out, p->bound_text);
    else
        fputs(p->state == DOC_PART_DEFAULT ? "DEFAULT" : "no range", out);
    if (p->rows >= 0)
        fprintf(out, "\n%s, %.0f rows", size, p->rows);
    else
        fprintf(out, "\n%s, rows unknown (never analyzed)", size);
    if (p->state != DOC_PART_ATTACHED)
        fprintf(out, "\n%s",
                p->state == DOC_PART_PENDING    ? "pending detach"
                : p->state == DOC_PART_LEFTOVER ? "detached, left behind"
                                                : "default partition");
    if (p->subpartitioned)
        fputs("\nsubpartitioned", out);
    if (p->group) {
        fputs("\ngroup: ", out);
        html_text(out, p->group);
    }
    fputs("</title>", out);
    free(name);
}

/* The attributes every partition element starts with. */
static void part_open(FILE *out, const TimelineLayout *l, size_t i, size_t table_no,
                      const bool *marked)
{
    const DocPart *p = &l->t->parts[i];
    fprintf(out, "<rect class=\"part\" data-state=\"%s\"", state_name(p->state));
    if (marked && marked[i])
        fprintf(out, " id=\"p%zu-%zu\"", table_no, i);
    if (l->tier_of[i] >= 0)
        fprintf(out, " data-tier=\"%d\"", l->tier_of[i]);
    /* rows counted when the reader could, else the estimate */
    if (p->state == DOC_PART_DEFAULT &&
        (l->t->has_default_rows_count ? l->t->default_rows > 0 : p->rows > 0))
        fputs(" data-rows=\"yes\"", out);
}

static void draw_bars(FILE *out, const TimelineLayout *l, const Geometry *g, size_t table_no,
                      const bool *marked)
{
    for (size_t i = 0; i < l->t->nparts; i++) {
        if (l->lane_of[i] == SIZE_MAX)
            continue;
        const DocPart *p = &l->t->parts[i];
        double x0 = p->lower_unbounded ? LABEL_W + 2 : x_of(l, (double)p->lower);
        double x1 = p->upper_unbounded ? WIDTH - 2 : x_of(l, (double)p->upper);
        double w = x1 - x0 < 0.4 ? 0.4 : x1 - x0;
        double h = bar_height(l, p->bytes, g->lane_h - 8);
        double y = g->lanes_top + (double)(l->lane_of[i] + 1) * g->lane_h - 3 - h;
        part_open(out, l, i, table_no, marked);
        if (p->lower_unbounded || p->upper_unbounded)
            fprintf(out, " data-clip=\"%s\"",
                    p->lower_unbounded && p->upper_unbounded ? "both"
                    : p->lower_unbounded                     ? "lower"
                                                             : "upper");
        fprintf(out, " x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\">", x0, y, w, h);
        part_title(out, l, p);
        fputs("</rect>\n", out);
    }
}

/* What a cell says: its state, or for a list or hash partition its bound. */
static void cell_label(FILE *out, const DocPart *p, size_t max)
{
    static const char prefix[] = "FOR VALUES ";
    const char *b = p->bound_text;
    if (p->state != DOC_PART_ATTACHED || !b)
        fputs(p->state == DOC_PART_ATTACHED ? "no range" : state_name(p->state), out);
    else
        html_text_clipped(out, strncmp(b, prefix, strlen(prefix)) ? b : b + strlen(prefix), max);
}

/* Partitions with no place on the axis, as cells in rows below the lanes. */
static void draw_cells(FILE *out, const TimelineLayout *l, const Geometry *g, size_t table_no,
                       const bool *marked)
{
    if (l->noff == 0)
        return;
    fprintf(out, "<text class=\"lane-label\" x=\"4\" y=\"%.1f\">no range</text>\n",
            g->cells_top + CELL_ROW / 2 + 4);
    for (size_t k = 0; k < l->noff; k++) {
        size_t i = l->off[k];
        const DocPart *p = &l->t->parts[i];
        double x = LABEL_W + 2 + (double)(k % g->per_row) * g->cell_w;
        double row_top = g->cells_top + (double)(k / g->per_row) * CELL_ROW;
        double h = bar_height(l, p->bytes, CELL_ROW - 16);
        part_open(out, l, i, table_no, marked);
        fprintf(out, " x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\">", x,
                row_top + CELL_ROW - 3 - h, g->cell_w > 2 ? g->cell_w - 1 : g->cell_w, h);
        part_title(out, l, p);
        fputs("</rect>\n", out);
        if (g->cell_w >= 48) {
            fprintf(out, "<text class=\"cell-label\" x=\"%.1f\" y=\"%.1f\">", x + 2, row_top + 10);
            cell_label(out, p, (size_t)(g->cell_w / 6));
            fputs("</text>\n", out);
        }
    }
}

static void draw_marks(FILE *out, const TimelineLayout *l, const Geometry *g)
{
    for (size_t k = 0; k < l->nmarks; k++) {
        const TimelineMark *m = &l->marks[k];
        double x0 = x_of(l, (double)m->from), x1 = x_of(l, (double)m->to);
        if (x1 - x0 < 2) { /* visible however narrow */
            x0 = (x0 + x1) / 2 - 1;
            x1 = x0 + 2;
        }
        char a[32], b[32], w[32];
        timeline_key_text(l, m->from, a);
        timeline_key_text(l, m->to, b);
        timeline_span_text(l->time_key, m->from, m->to, w);
        fprintf(out,
                "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                "<title>%s %s \u2192 %s (%s)</title></rect>\n",
                m->overlap ? "overlap" : "gap", x0, g->lanes_top + (double)m->lane * g->lane_h,
                x1 - x0, g->lane_h - 1,
                m->overlap ? "overlap: two partitions hold" : "gap: no partition holds", a, b, w);
    }
}

static void lane_labels(FILE *out, const TimelineLayout *l, const Geometry *g)
{
    for (size_t k = 0; k < l->nlanes; k++) {
        double top = g->lanes_top + (double)k * g->lane_h;
        fprintf(out,
                "<rect class=\"lane\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n"
                "<text class=\"lane-label\" x=\"4\" y=\"%.1f\">",
                LABEL_W, top, WIDTH - LABEL_W, g->lane_h - 1, top + g->lane_h / 2 + 4);
        if (l->lanes[k]) {
            html_text_clipped(out, l->lanes[k], 18);
            fputs("<title>", out);
            html_text(out, l->lanes[k]);
            fputs("</title>", out);
        } else
            fputs("by range", out);
        fputs("</text>\n", out);
    }
}

static void tick(FILE *out, const TimelineLayout *l, const Geometry *g, double v, const char *label)
{
    double x = x_of(l, v);
    fprintf(out,
            "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
            "<text class=\"tick-label\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
            x, x, g->lanes_top, g->axis_y + 4, x, g->axis_y + 16, label);
}

/* About six ticks at round values: minutes to days, then months to centuries. */
static void time_ticks(FILE *out, const TimelineLayout *l, const Geometry *g)
{
    static const int64_t secs[] = {60,       300,   900,   1800,   3600,  3 * 3600,
                                   6 * 3600, 43200, 86400, 172800, 604800};
    static const int months[] = {1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200, 6000};
    double span = l->dmax - l->dmin;
    char label[32];
    for (size_t k = 0; k < sizeof(secs) / sizeof(secs[0]); k++) {
        if (span / (double)secs[k] > 8)
            continue;
        int64_t step = secs[k];
        for (int64_t v = (int64_t)ceil(l->dmin / (double)step) * step; (double)v <= l->dmax;
             v += step) {
            civil_format(v, step < CIVIL_DAY, label);
            if (step < CIVIL_DAY)
                label[16] = '\0'; /* no seconds */
            tick(out, l, g, (double)v, label);
        }
        return;
    }
    int m = months[sizeof(months) / sizeof(months[0]) - 1];
    for (size_t k = 0; k < sizeof(months) / sizeof(months[0]); k++)
        if (span / (30.44 * CIVIL_DAY * months[k]) <= 8) {
            m = months[k];
            break;
        }
    CivilFields f;
    civil_to_fields((int64_t)l->dmin, &f);
    int64_t idx = floor_div((int64_t)f.year * 12 + f.month - 1, m) * m;
    for (int n = 0; n < 14; n++, idx += m) {
        CivilFields t = {
            (int)floor_div(idx, 12), (int)(idx - floor_div(idx, 12) * 12) + 1, 1, 0, 0, 0};
        int64_t v = civil_from_fields(&t);
        if ((double)v < l->dmin)
            continue;
        if ((double)v > l->dmax)
            break;
        if (m % 12 == 0)
            snprintf(label, sizeof(label), "%d", t.year);
        else
            snprintf(label, sizeof(label), "%d-%02d", t.year, t.month);
        tick(out, l, g, (double)v, label);
    }
}

/* 1, 2 or 5 times a power of ten, about six ticks. */
static void number_ticks(FILE *out, const TimelineLayout *l, const Geometry *g)
{
    double raw = (l->dmax - l->dmin) / 6, mag = pow(10, floor(log10(raw)));
    double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
    if (step < 1)
        step = 1;
    char label[32];
    double v = ceil(l->dmin / step) * step;
    for (int n = 0; n < 12 && v <= l->dmax; n++, v += step) {
        snprintf(label, sizeof(label), "%.0f", v);
        tick(out, l, g, v, label);
    }
}

static void draw_now(FILE *out, const TimelineLayout *l, const Geometry *g)
{
    if (!l->now_known)
        return;
    char when[32];
    civil_format(l->now, true, when);
    double now = (double)l->now;
    if (now < l->dmin || now > l->dmax) {
        bool left = now < l->dmin;
        fprintf(out, "<text class=\"now-label\" x=\"%.1f\" y=\"11\" text-anchor=\"%s\">%s</text>\n",
                left ? PX0 : PX1, left ? "start" : "end",
                left ? "\u2190 now (far before)" : "now (far after) \u2192");
        return;
    }
    double x = x_of(l, now);
    fprintf(out,
            "<line class=\"now\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"><title>now: %s "
            "UTC</title></line>"
            "<text class=\"now-label\" x=\"%.1f\" y=\"11\">now</text>\n",
            x, x, TOP - 2, g->axis_y, when, x);
}

void timeline_svg(FILE *out, const TimelineLayout *l, size_t table_no, const bool *marked)
{
    Geometry g;
    geometry(l, &g);
    fprintf(out,
            "<svg class=\"timeline\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
            "role=\"img\">\n",
            WIDTH, g.height, WIDTH, g.height);
    lane_labels(out, l, &g);
    if (l->nlanes > 0) {
        if (l->time_key)
            time_ticks(out, l, &g);
        else
            number_ticks(out, l, &g);
        if (l->t->nparts > 0 && l->noff < l->t->nparts) {
            bool lower = false, upper = false;
            for (size_t i = 0; i < l->t->nparts; i++) {
                lower |= l->lane_of[i] != SIZE_MAX && l->t->parts[i].lower_unbounded;
                upper |= l->lane_of[i] != SIZE_MAX && l->t->parts[i].upper_unbounded;
            }
            /* short, to fit the stub beside the first tick; the tooltips say MINVALUE */
            if (lower)
                fprintf(out,
                        "<text class=\"tick-label\" x=\"%.1f\" y=\"%.1f\" "
                        "style=\"text-anchor:start\">\u2212\u221e</text>",
                        LABEL_W + 2, g.axis_y + 16);
            if (upper)
                fprintf(out,
                        "<text class=\"tick-label\" x=\"%.1f\" y=\"%.1f\" "
                        "style=\"text-anchor:end\">+\u221e</text>",
                        WIDTH - 2, g.axis_y + 16);
        }
    }
    draw_bars(out, l, &g, table_no, marked);
    draw_marks(out, l, &g);
    draw_cells(out, l, &g, table_no, marked);
    if (l->nlanes > 0)
        draw_now(out, l, &g);
    if (l->t->nparts == 0)
        fprintf(out, "<text class=\"lane-label\" x=\"4\" y=\"%.1f\">no partitions</text>\n",
                TOP + 12);
    fputs("</svg>\n", out);
}

void timeline_defs(FILE *out)
{
    fputs("<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\"><defs>\n"
          "<linearGradient id=\"fade-lower\"><stop offset=\"0\" stop-color=\"#4a7fb5\" "
          "stop-opacity=\"0\"/><stop offset=\"0.7\" stop-color=\"#4a7fb5\"/></linearGradient>\n"
          "<linearGradient id=\"fade-upper\"><stop offset=\"0.3\" stop-color=\"#4a7fb5\"/>"
          "<stop offset=\"1\" stop-color=\"#4a7fb5\" stop-opacity=\"0\"/></linearGradient>\n"
          "<linearGradient id=\"fade-both\"><stop offset=\"0\" stop-color=\"#4a7fb5\" "
          "stop-opacity=\"0\"/><stop offset=\"0.3\" stop-color=\"#4a7fb5\"/><stop offset=\"0.7\" "
          "stop-color=\"#4a7fb5\"/><stop offset=\"1\" stop-color=\"#4a7fb5\" "
          "stop-opacity=\"0\"/></linearGradient>\n"
          "<pattern id=\"hatch-pending\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
          "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f6c66f\"/>"
          "<rect width=\"3\" height=\"6\" fill=\"#c27400\"/></pattern>\n"
          "<pattern id=\"hatch-gap\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
          "patternTransform=\"rotate(-45)\"><rect width=\"6\" height=\"6\" fill=\"#fde0e0\"/>"
          "<rect width=\"2\" height=\"6\" fill=\"#d62828\"/></pattern>\n"
          "</defs></svg>\n",
          out);
}
