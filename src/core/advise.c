/* advise: the target size, the interval chosen, the verdict and the
 * estimates (see advise.h for the method). */
#include "core/advise.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"
#include "core/ident.h"
#include "core/strbuf.h"

#define MB (1024.0 * 1024.0)

/* ---- --target-size ------------------------------------------------------- */

static bool size_fail(char *err, size_t errlen, const char *text, const char *why)
{
    snprintf(err, errlen, "invalid --target-size \"%s\": %s", text, why);
    return false;
}

bool advise_parse_size(const char *text, int64_t *bytes, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        double mult;
    } units[] = {{"", 1},    {"b", 1},          {"bytes", 1},    {"kb", 1024.0},
                 {"mb", MB}, {"gb", MB * 1024}, {"tb", MB * MB}, {"pb", MB * MB * 1024}};
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    const char *num = p;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.' && isdigit((unsigned char)p[1]))
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    if (p == num)
        return size_fail(err, errlen, text, "expected a size such as 500MB, 10GB or 1TB");
    double v = strtod(num, NULL);
    while (isspace((unsigned char)*p))
        p++;
    const char *unit = p;
    while (isalpha((unsigned char)*p))
        p++;
    size_t ulen = (size_t)(p - unit);
    while (isspace((unsigned char)*p))
        p++;
    if (*p) {
        char why[160];
        snprintf(why, sizeof(why), "unexpected \"%.40s\" (expected a size such as 500MB)", p);
        return size_fail(err, errlen, text, why);
    }
    double mult = -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && mult < 0; i++)
        if (strlen(units[i].name) == ulen && strncasecmp(unit, units[i].name, ulen) == 0)
            mult = units[i].mult;
    if (mult < 0) {
        char why[160];
        snprintf(why, sizeof(why), "unknown unit \"%.*s\" (use B, kB, MB, GB, TB or PB)",
                 ulen > 40 ? 40 : (int)ulen, unit);
        return size_fail(err, errlen, text, why);
    }
    double b = v * mult;
    if (!(b >= 1))
        return size_fail(err, errlen, text, "must be more than zero");
    if (b > (double)ADVISE_MAX_TARGET_BYTES)
        return size_fail(err, errlen, text, "must be at most 1PB");
    *bytes = (int64_t)llround(b);
    return true;
}

/* ---- names ---------------------------------------------------------------- */

const char *advise_verdict_name(AdviseVerdict v)
{
    switch (v) {
    case ADVISE_CHANGE:
        return "change";
    case ADVISE_KEEP:
        return "keep";
    case ADVISE_CANNOT:
        break;
    }
    return "cannot";
}

const char *advise_reason_name(AdviseReason r)
{
    static const char *const names[] = {
        [ADVISE_WHY_OVERSIZED] = "oversized",
        [ADVISE_WHY_TOO_MANY] = "too-many-partitions",
        [ADVISE_WHY_RETENTION] = "coarser-than-retention",
        [ADVISE_WHY_MANY_SMALL] = "many-small-partitions",
        [ADVISE_WHY_FITS] = "fits",
        [ADVISE_WHY_FEW] = "few-partitions",
        [ADVISE_WHY_NOT_RANGE] = "not-range",
        [ADVISE_WHY_KEY_EXPRESSION] = "key-expression",
        [ADVISE_WHY_KEY_TYPE] = "key-type",
        [ADVISE_WHY_NO_PARTITIONS] = "no-partitions",
        [ADVISE_WHY_NO_DATA] = "no-data",
    };
    return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

const char *advise_retention_name(AdviseRetention r)
{
    switch (r) {
    case ADVISE_RET_POLICY:
        return "policy";
    case ADVISE_RET_NONE:
        return "none";
    case ADVISE_RET_ASSUMED:
        break;
    }
    return "assumed";
}

void advice_free(Advice *a)
{
    free(a->table);
    free(a->column);
    free(a->key_text);
    free(a->key_type_name);
    free(a->retention_text);
    free(a->migration);
    strlist_free(&a->commands);
    for (size_t i = 0; i < a->nblockers; i++) {
        free(a->blockers[i].what);
        free(a->blockers[i].object);
        free(a->blockers[i].message);
        free(a->blockers[i].accept);
    }
    free(a->blockers);
    memset(a, 0, sizeof(*a));
}

/* ---- the candidates --------------------------------------------------------- */

static const PartInterval time_candidates[] = {
    {UNIT_MINUTE, 1},   {UNIT_MINUTE, 5},   {UNIT_MINUTE, 10},  {UNIT_MINUTE, 15},
    {UNIT_MINUTE, 30},  {UNIT_MINUTE, 60},  {UNIT_MINUTE, 120}, {UNIT_MINUTE, 180},
    {UNIT_MINUTE, 240}, {UNIT_MINUTE, 360}, {UNIT_MINUTE, 480}, {UNIT_MINUTE, 720},
    {UNIT_DAY, 1},      {UNIT_WEEK, 1},     {UNIT_MONTH, 1},    {UNIT_MONTH, 3},
    {UNIT_MONTH, 12},
};
#define N_TIME_CANDIDATES (sizeof(time_candidates) / sizeof(time_candidates[0]))

static double len_of(const PartInterval *iv)
{
    return advise_interval_length(iv);
}

static bool same_interval(const PartInterval *a, const PartInterval *b)
{
    return a->unit == b->unit && a->count == b->count;
}

static double duration_days(const Duration *d)
{
    return (double)d->months * ADVISE_MONTH_DAYS + (double)d->days + (double)d->seconds / 86400.0;
}

/* Partitions the new layout makes ahead of the data, in intervals. */
static double premake_of(const DocTable *t, const PartInterval *iv)
{
    const Policy *p = t->policy;
    if (!p)
        return ADVISE_DEFAULT_PREMAKE;
    if (p->premake.is_count)
        return (double)p->premake.count;
    return ceil(duration_days(&p->premake.span) / len_of(iv));
}

static double count_of(const Advice *a, const DocTable *t, const PartInterval *iv)
{
    return ceil(a->horizon / len_of(iv) - 1e-9) + premake_of(t, iv);
}

static double size_of(const Advice *a, const PartInterval *iv)
{
    return a->growth.bytes * len_of(iv);
}

/* 1, 2 or 5 x 10^n: the largest at most x (up), or the smallest at least x. */
static int64_t nice_width(double x, bool up)
{
    static const int64_t steps[] = {1, 2, 5};
    int64_t best = 1, w = 1;
    for (int64_t p = 1; p <= 1000000000000000000LL / 10; p *= 10)
        for (size_t i = 0; i < 3; i++) {
            w = steps[i] * p;
            if (!up && (double)w <= x)
                best = w;
            if (up && (double)w >= x)
                return w;
        }
    return up ? w : best;
}

/* ---- choosing ---------------------------------------------------------------- */

/* Time keys: the coarsest candidate under the size bound, capped by a
 * quarter of the policy's retention; then coarser while the count is over
 * the bound. */
static void choose_time(Advice *a, const DocTable *t)
{
    double limit = ADVISE_MAX_OVER * (double)a->target_bytes;
    PartInterval fits[N_TIME_CANDIDATES];
    size_t n = 0, k = 0;
    for (size_t i = 0; i < N_TIME_CANDIDATES; i++)
        if (interval_fits_key(&time_candidates[i], a->key_type, NULL, 0))
            fits[n++] = time_candidates[i];
    for (size_t i = 0; i < n; i++)
        if (size_of(a, &fits[i]) <= limit)
            k = i;
    if (size_of(a, &fits[0]) > limit)
        a->notes |= ADVISE_NOTE_FINEST_OVERSIZED;
    if (a->retention == ADVISE_RET_POLICY) {
        double cap = a->horizon / ADVISE_RETENTION_PARTS;
        if (len_of(&fits[0]) > cap)
            cap = a->horizon; /* a date key and a retention under four days */
        if (len_of(&fits[k]) > cap * (1 + 1e-9)) {
            while (k > 0 && len_of(&fits[k]) > cap * (1 + 1e-9))
                k--;
            a->notes |= ADVISE_NOTE_RETENTION_CAP;
        }
    }
    a->by_size = fits[k];
    a->by_size_partitions = count_of(a, t, &a->by_size);
    while (k + 1 < n && count_of(a, t, &fits[k]) > ADVISE_MAX_PARTITIONS)
        k++;
    a->recommended.interval = fits[k];
    if (!same_interval(&a->by_size, &a->recommended.interval))
        a->notes |= ADVISE_NOTE_COUNT_BOUND;
}

/* Integer keys: a 1-2-5 width under the size bound, wider while the count is
 * over the bound. */
static void choose_integer(Advice *a, const DocTable *t)
{
    double limit = ADVISE_MAX_OVER * (double)a->target_bytes;
    PartInterval iv = {UNIT_NUMERIC, nice_width(limit / a->growth.bytes, false)};
    a->by_size = iv;
    a->by_size_partitions = count_of(a, t, &iv);
    if (a->by_size_partitions > ADVISE_MAX_PARTITIONS) {
        double room = ADVISE_MAX_PARTITIONS - premake_of(t, &iv);
        iv.count = nice_width(a->horizon / (room > 1 ? room : 1), true);
        a->notes |= ADVISE_NOTE_COUNT_BOUND;
    }
    a->recommended.interval = iv;
    a->notes |= ADVISE_NOTE_INTEGER_KEY;
}

/* ---- the horizon and the retention --------------------------------------- */

static void horizon_of(Advice *a, const DocTable *t)
{
    bool time = key_type_is_time(a->key_type);
    const Policy *p = t->policy;
    if (p && p->retention.set) {
        a->retention = ADVISE_RET_POLICY;
        a->horizon = time ? duration_days(&p->retention.span)
                          : (double)p->retention.ranges * (double)p->interval.count;
        return;
    }
    a->retention = p ? ADVISE_RET_NONE : ADVISE_RET_ASSUMED;
    a->notes |= p ? ADVISE_NOTE_RETENTION_NONE : ADVISE_NOTE_RETENTION_ASSUMED;
    double span = (double)(a->growth.data_end - a->growth.oldest);
    a->horizon = time ? span / (double)CIVIL_DAY : span;
}

/* Whole intervals of iv from the one holding `from` through the one holding
 * `last`. */
static int64_t cells(const PartInterval *iv, int64_t from, int64_t last)
{
    int64_t lo = grid_floor(iv, from), hi = grid_floor(iv, last);
    if (hi <= lo)
        return 1;
    if (iv->unit == UNIT_MONTH) {
        CivilFields f, g;
        civil_to_fields(lo, &f);
        civil_to_fields(hi, &g);
        return ((int64_t)(g.year - f.year) * 12 + (g.month - f.month)) / iv->count + 1;
    }
    int64_t step = grid_next(iv, lo) - lo;
    return (hi - lo) / step + 1;
}

/* The --retention of the new layout: the policy's (integer keys: the same key
 * span in new ranges); without a policy, every interval from the oldest data
 * through now, so nothing there now is retired. */
static void retention_of(Advice *a, const DocTable *t, int64_t now)
{
    const PartInterval *iv = &a->recommended.interval;
    const Policy *p = t->policy;
    char buf[96];
    if (a->retention == ADVISE_RET_NONE)
        return;
    if (a->retention == ADVISE_RET_POLICY) {
        if (key_type_is_time(a->key_type)) {
            duration_format(&p->retention.span, buf);
            a->retention_text = xstrdup(buf);
        } else {
            double n = ceil(a->horizon / (double)iv->count - 1e-9);
            a->retention_text = xasprintf("%lld", (long long)(n < 1 ? 1 : n));
        }
        return;
    }
    if (!key_type_is_time(a->key_type)) {
        int64_t n = cells(iv, a->growth.oldest, a->growth.data_end - 1);
        a->retention_text = xasprintf("%lld", (long long)n);
        return;
    }
    int64_t last = now > a->growth.data_end - 1 ? now : a->growth.data_end - 1;
    int64_t n = cells(iv, a->growth.oldest, last);
    Duration d = {0, 0, 0};
    switch (iv->unit) {
    case UNIT_MINUTE:
        d.seconds = n * iv->count * 60;
        break;
    case UNIT_DAY:
        d.days = n * iv->count;
        break;
    case UNIT_WEEK:
        d.days = n * iv->count * 7;
        break;
    case UNIT_MONTH:
        d.months = n * iv->count;
        break;
    case UNIT_NUMERIC:
        break;
    }
    duration_format(&d, buf);
    a->retention_text = xstrdup(buf);
}

/* ---- estimates ------------------------------------------------------------- */

static void estimate(Advice *a, const DocServer *s, AdviseLayout *l, double per_part_ms)
{
    double len = len_of(&l->interval);
    if (l->known) {
        l->part_bytes = a->growth.bytes * len;
        l->part_rows = a->growth.rows >= 0 ? a->growth.rows * len : -1;
    }
    l->plan_ms = per_part_ms * l->partitions;
    l->vacuum_s = s->vacuum_mb_per_s > 0 ? l->part_bytes / (s->vacuum_mb_per_s * MB) : -1;
}

static void survey(Advice *a, const DocTable *t, size_t *attached)
{
    *attached = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const DocPart *p = &t->parts[i];
        *attached += p->state == DOC_PART_ATTACHED || p->state == DOC_PART_DEFAULT;
        if (!doc_part_in_range(p))
            continue;
        a->parts_now++;
        a->bytes_now += p->bytes;
        if (p->bytes > a->largest_bytes)
            a->largest_bytes = p->bytes;
        if (p->group)
            a->notes |= ADVISE_NOTE_GROUPS;
    }
    if (t->has_default_rows_count && t->default_rows > 0) {
        a->notes |= ADVISE_NOTE_DEFAULT_ROWS;
        a->default_rows = t->default_rows;
    }
}

static void current_layout(Advice *a, const DocTable *t)
{
    AdviseLayout *c = &a->current;
    c->known = advise_current_interval(t, &c->interval);
    c->part_rows = -1;
    if (!c->known) {
        c->interval = (PartInterval){UNIT_DAY, 1};
        c->part_bytes = a->parts_now ? (double)a->bytes_now / (double)a->parts_now : 0;
    }
    /* Over the policy's retention, the count the current interval will
     * reach; otherwise the horizon is the data, and the count is what is
     * there. */
    if (c->known && a->retention == ADVISE_RET_POLICY)
        c->partitions = count_of(a, t, &c->interval);
    else
        c->partitions = (double)a->parts_now;
}

static void decide(Advice *a)
{
    const AdviseLayout *c = &a->current, *r = &a->recommended;
    double limit = ADVISE_MAX_OVER * (double)a->target_bytes;
    bool oversized = c->part_bytes > limit;
    bool too_many = c->partitions > ADVISE_MAX_PARTITIONS;
    bool same = c->known && same_interval(&c->interval, &r->interval);
    bool finer = !c->known || len_of(&c->interval) < len_of(&r->interval);
    bool capped = (a->notes & ADVISE_NOTE_RETENTION_CAP) != 0;
    a->verdict = ADVISE_CHANGE;
    if (same) {
        a->verdict = ADVISE_KEEP;
        a->reason = ADVISE_WHY_FITS;
    } else if (oversized) {
        a->reason = ADVISE_WHY_OVERSIZED;
    } else if (too_many) {
        a->reason = ADVISE_WHY_TOO_MANY;
    } else if (finer) {
        a->reason = ADVISE_WHY_MANY_SMALL;
        if (c->partitions <= ADVISE_FEW_PARTITIONS) {
            a->verdict = ADVISE_KEEP;
            a->reason = ADVISE_WHY_FEW;
        }
    } else if (capped) {
        a->reason = ADVISE_WHY_RETENTION;
    } else {
        a->verdict = ADVISE_KEEP; /* coarser, under the bound: an integer width off the steps */
        a->reason = ADVISE_WHY_FITS;
    }
}

/* ---- the whole ------------------------------------------------------------- */

static bool cannot(Advice *a, AdviseReason why)
{
    a->verdict = ADVISE_CANNOT;
    a->reason = why;
    return false;
}

static bool usable_table(Advice *a, const DocTable *t)
{
    if (t->kind == DOC_DECLARATIVE && t->strategy != 'r')
        return cannot(a, ADVISE_WHY_NOT_RANGE);
    if (!t->key_column)
        return cannot(a, ADVISE_WHY_KEY_EXPRESSION);
    if (!t->key_known)
        return cannot(a, ADVISE_WHY_KEY_TYPE);
    if (a->parts_now == 0)
        return cannot(a, ADVISE_WHY_NO_PARTITIONS);
    if (!a->growth.known)
        return cannot(a, ADVISE_WHY_NO_DATA);
    return true;
}

void advise_table(const DocTable *t, const DocServer *s, const AdviseOptions *o, Advice *a)
{
    memset(a, 0, sizeof(*a));
    a->table = ident_display(t->schema, t->name);
    a->column = xstrdup_or_null(t->key_column);
    a->key_type = t->key_type;
    a->strategy = t->strategy;
    a->key_text = xstrdup_or_null(t->key_text);
    a->key_type_name = xstrdup_or_null(t->key_type_name);
    a->target_bytes = o->target_bytes > 0 ? o->target_bytes : ADVISE_DEFAULT_TARGET_BYTES;
    a->current.part_rows = a->recommended.part_rows = -1;
    a->current.vacuum_s = a->recommended.vacuum_s = -1;
    if (t->key_known)
        advise_growth(t, s->now, &a->growth);
    else
        a->growth.rows = -1;
    size_t attached;
    survey(a, t, &attached);
    if (!usable_table(a, t))
        return;
    a->trend = a->growth.average_bytes > 0 ? a->growth.bytes / a->growth.average_bytes : 1;
    horizon_of(a, t);
    if (key_type_is_time(a->key_type))
        choose_time(a, t);
    else
        choose_integer(a, t);
    a->recommended.known = true;
    a->recommended.partitions = count_of(a, t, &a->recommended.interval);
    if (a->recommended.partitions > ADVISE_MAX_PARTITIONS)
        a->notes |= ADVISE_NOTE_COUNT_IMPOSSIBLE;
    retention_of(a, t, s->now);
    current_layout(a, t);

    a->plan_measured = t->plan_ms >= 0;
    double per_part = a->plan_measured ? t->plan_ms / (double)(attached ? attached : 1)
                                       : ADVISE_PLAN_MS_PER_PARTITION;
    if (!a->plan_measured)
        a->notes |= ADVISE_NOTE_PLAN_ESTIMATED;
    estimate(a, s, &a->current, per_part);
    estimate(a, s, &a->recommended, per_part);
    if (a->growth.rows < 0)
        a->notes |= ADVISE_NOTE_ROWS_UNKNOWN;
    if (a->trend >= ADVISE_TREND)
        a->notes |= ADVISE_NOTE_TREND;

    decide(a);
    if (a->verdict == ADVISE_KEEP && a->current.known &&
        same_interval(&a->current.interval, &a->recommended.interval))
        a->recommended = a->current; /* the layout stays as it is, premake and all */
    if (a->verdict != ADVISE_CHANGE)
        a->notes &= ~(unsigned)ADVISE_NOTE_RETENTION_ASSUMED; /* no command sets it */
    if (a->verdict == ADVISE_CHANGE && key_type_is_time(a->key_type) &&
        (a->notes & (ADVISE_NOTE_COUNT_BOUND | ADVISE_NOTE_TREND)))
        a->notes |= ADVISE_NOTE_TIERS;
    if (a->verdict != ADVISE_CHANGE)
        return;
    if (t->migration) {
        a->notes |= ADVISE_NOTE_MIGRATION_RUNNING;
        a->migration = xstrdup(t->migration);
        return;
    }
    a->schema_installed = o->schema_installed;
    advise_commands(t, a);
}
