/* advise, step 1: how fast the table grows, and what its layout is now
 * (see advise.h for the method). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/advise.h"
#include "core/civil.h"
#include "core/strbuf.h"

#define MIN_HALF_LIFE  (30 * CIVIL_DAY)
#define INT_HALF_LIVES 3.0

typedef struct Piece {
    int64_t lo, hi;
    int64_t bytes;
    double rows;
    bool data;  /* holds data, for the growth */
    bool maybe; /* may hold data, for the retention */
} Piece;

static int by_lower(const void *a, const void *b)
{
    const Piece *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static bool usable(const DocPart *p)
{
    return doc_part_in_range(p) && !p->lower_unbounded && !p->upper_unbounded &&
           p->upper > p->lower;
}

/* A partition of 64 kB or more is not empty: an empty one is only the first
 * page of each of its indexes. */
#define NOT_EMPTY_BYTES (64 * 1024)

/* The attached range partitions with finite bounds, by lower bound. A
 * partition holds data (for the growth) when it has rows, when it is not
 * small enough to be empty, or when its rows are unknown (never analyzed:
 * inheritance children, which ANALYZE of the parent leaves alone) and it is
 * larger than the smallest partition. It may hold data (for the retention,
 * which must keep every row there now) when its rows are unknown and it has
 * any size at all. */
static Piece *pieces(const DocTable *t, size_t *n)
{
    Piece *v = xcalloc(t->nparts + 1, sizeof(Piece));
    int64_t min_bytes = INT64_MAX;
    *n = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        if (!usable(p))
            continue;
        v[*n] = (Piece){p->lower, p->upper, p->bytes, p->rows, false, false};
        if (p->bytes < min_bytes)
            min_bytes = p->bytes;
        (*n)++;
    }
    for (size_t i = 0; i < *n; i++) {
        Piece *x = &v[i];
        x->data = x->rows > 0 || x->bytes >= NOT_EMPTY_BYTES ||
                  (x->rows < 0 && x->bytes > 0 && (x->bytes > min_bytes || *n == 1));
        x->maybe = x->data || (x->rows < 0 && x->bytes > 0);
    }
    qsort(v, *n, sizeof(Piece), by_lower);
    return v;
}

static int64_t median_span(const Piece *v, size_t n)
{
    int64_t *s = xcalloc(n + 1, sizeof(int64_t));
    for (size_t i = 0; i < n; i++)
        s[i] = v[i].hi - v[i].lo;
    int64_t m = doc_median(s, n);
    free(s);
    return m;
}

/* The integral of 2^(-(to - x) / h) over [a, b]. */
static double decay_integral(double a, double b, double to, double h)
{
    return h / M_LN2 * (exp2(-(to - b) / h) - exp2(-(to - a) / h));
}

/* Where the measured span ends. Time: now, inside the newest partition
 * holding data (data that stopped long ago ends at that partition; data ahead
 * of now counts whole). Integer keys: the newest such partition is still
 * filling, so the span ends where it begins, when older ones hold data.
 * *data_end: where the data ends (integer keys: that partition's end). */
static int64_t span_end(const Piece *v, size_t n, bool time, int64_t now, int64_t *data_end)
{
    int64_t newest_lo = INT64_MIN, newest_hi = INT64_MIN, oldest_lo = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].data)
            continue;
        if (v[i].lo > newest_lo)
            newest_lo = v[i].lo;
        if (v[i].hi > newest_hi)
            newest_hi = v[i].hi;
        if (v[i].lo < oldest_lo)
            oldest_lo = v[i].lo;
    }
    *data_end = newest_hi;
    if (!time)
        return newest_lo > oldest_lo ? newest_lo : newest_hi;
    if (now < newest_hi && now > newest_lo)
        *data_end = now;
    return *data_end;
}

void advise_growth(const DocTable *t, int64_t now, AdviseGrowth *g)
{
    memset(g, 0, sizeof(*g));
    g->rows = -1;
    bool time = key_type_is_time(t->key_type);
    g->per_day = time;
    size_t n;
    Piece *v = pieces(t, &n);
    int64_t from = INT64_MAX, oldest = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (v[i].data && v[i].lo < from)
            from = v[i].lo;
        if (v[i].maybe && v[i].lo < oldest)
            oldest = v[i].lo;
    }
    if (from == INT64_MAX) {
        free(v);
        return;
    }
    int64_t data_end;
    int64_t to = span_end(v, n, time, now, &data_end);
    /* The pieces measured: from the oldest holding data to the end, empty
     * ones between included (nothing was written then). */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].lo >= from && v[i].lo < to)
            v[m++] = v[i];
    int64_t med = median_span(v, m);
    double h =
        time ? (double)(med > MIN_HALF_LIFE ? med : MIN_HALF_LIFE) : INT_HALF_LIVES * (double)med;
    double weighted = 0, total = 0, known_rows = 0, known_bytes = 0;
    for (size_t i = 0; i < m; i++) {
        double lo = (double)v[i].lo, hi = (double)(v[i].hi < to ? v[i].hi : to);
        /* Bytes spread evenly over the piece's range: its mean weight. */
        weighted += (double)v[i].bytes * decay_integral(lo, hi, (double)to, h) / (hi - lo);
        total += (double)v[i].bytes;
        if (v[i].rows >= 0) {
            known_rows += v[i].rows;
            known_bytes += (double)v[i].bytes;
        }
    }
    double len = (double)(to - from);
    double unit = time ? (double)CIVIL_DAY : 1.0;
    g->known = len > 0 && total > 0;
    g->from = from;
    g->to = to;
    g->data_end = data_end;
    g->oldest = oldest;
    g->partitions = m;
    g->half_life = h / unit;
    if (g->known) {
        g->bytes = weighted / decay_integral((double)from, (double)to, (double)to, h) * unit;
        g->average_bytes = total / len * unit;
        if (known_bytes > 0)
            g->rows = g->bytes * known_rows / known_bytes;
    }
    free(v);
}

double advise_interval_length(const PartInterval *iv)
{
    switch (iv->unit) {
    case UNIT_MINUTE:
        return (double)iv->count / 1440.0;
    case UNIT_DAY:
        return (double)iv->count;
    case UNIT_WEEK:
        return 7.0 * (double)iv->count;
    case UNIT_MONTH:
        return ADVISE_MONTH_DAYS * (double)iv->count;
    case UNIT_NUMERIC:
        break;
    }
    return (double)iv->count;
}

/* A span of time as an interval: months by their length in days (a zone's
 * DST hour aside), days and weeks within an hour, minutes exactly. */
static bool interval_of_span(int64_t span, PartInterval *iv)
{
    static const struct {
        double lo, hi;
        int64_t months;
    } months[] = {
        {27.5, 31.5, 1}, {58.5, 62.5, 2}, {88.5, 92.5, 3}, {180.5, 184.5, 6}, {364.5, 366.5, 12}};
    double d = (double)span / (double)CIVIL_DAY;
    for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++)
        if (d >= months[i].lo && d <= months[i].hi) {
            *iv = (PartInterval){UNIT_MONTH, months[i].months};
            return true;
        }
    double days = round(d);
    if (days >= 1 && fabs(d - days) <= 1.0 / 24) {
        if ((int64_t)days % 7 == 0)
            *iv = (PartInterval){UNIT_WEEK, (int64_t)days / 7};
        else
            *iv = (PartInterval){UNIT_DAY, (int64_t)days};
        return true;
    }
    if (span % 60 == 0 && span > 0 && 1440 % (span / 60) == 0) {
        *iv = (PartInterval){UNIT_MINUTE, span / 60};
        return true;
    }
    return false;
}

bool advise_current_interval(const DocTable *t, PartInterval *iv)
{
    if (t->policy) {
        *iv = t->policy->interval;
        return true;
    }
    size_t n;
    Piece *v = pieces(t, &n);
    int64_t med = median_span(v, n);
    free(v);
    if (med <= 0)
        return false;
    if (!key_type_is_time(t->key_type)) {
        *iv = (PartInterval){UNIT_NUMERIC, med};
        return true;
    }
    return interval_of_span(med, iv);
}
