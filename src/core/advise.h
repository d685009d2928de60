/* pgstrata advise: the layout a range-partitioned table should have, from its
 * real growth. A pure function of one table of the doctor model
 * (core/doctor_model.h), the server's figures and a target partition size;
 * the command (cli/cmd_advise.c) reads the model, the report
 * (report/advise_report.c) prints the result.
 *
 * How it decides (each step says why in Advice.why / Advice.notes):
 *
 * 1. Growth (core/advise_growth.c). Time keys: bytes (and rows) per day of key
 *    time, from the partitions that hold data up to now, the partition being
 *    written counted for the part of its range already past. Recent data
 *    weighs more: each partition's bytes are weighted by 2^(-age / H), age in
 *    key time before the newest data, H = max(30 days, the median partition
 *    span), and divided by the equally weighted length of time they cover, so
 *    a steady rate comes out exactly and a table that grew 10x is sized by its
 *    recent months. Integer keys have no time: growth is bytes per key value,
 *    weighted the same way with H = 3 median partition widths, and the newest
 *    partition holding data is left out (it is still filling, and there is no
 *    "now" to say how far).
 * 2. Horizon: the policy's retention when pgstrata manages the table; else
 *    the span the data covers now, which also becomes the retention the
 *    migrate command sets (rounded up to whole partitions, so nothing there now
 *    is retired), stated as an assumption.
 * 3. Interval: time keys choose among ADVISE time intervals (1, 5, 10, 15, 30
 *    minutes; 1, 2, 3, 4, 6, 8, 12 hours; 1 day, 1 week, 1 month, 1 quarter,
 *    1 year; nothing under a day for date keys) the coarsest whose expected
 *    partition is at most ADVISE_MAX_OVER times the target. Integer keys get
 *    a width of 1, 2 or 5 x 10^n key values, the widest within the same bound.
 *    With a policy retention, a time interval is at most a quarter of it
 *    (ADVISE_RETENTION_PARTS), so retiring a partition never keeps much more
 *    than the retention. Then, if the horizon would hold more than
 *    ADVISE_MAX_PARTITIONS live partitions (premake included), the next coarser
 *    one until it does not, saying the count won over the size.
 * 4. Verdict: keep the current layout when its interval is the one chosen;
 *    or when its partitions are not oversized, not too many, and it is finer
 *    than the choice with at most ADVISE_FEW_PARTITIONS partitions (planning
 *    over that few costs a few ms: a migration would gain nothing) or coarser
 *    without a retention forcing it finer (an integer width off the 1-2-5
 *    steps); else change, with the migrate commands that get there.
 * 5. Estimates for both layouts: partition count over the horizon, expected
 *    partition size and rows, planning time of a query that cannot prune
 *    (the measured DocTable.plan_ms scaled by partition count, else
 *    ADVISE_PLAN_MS_PER_PARTITION per partition), and the time one vacuum of
 *    a partition takes (size / DocServer.vacuum_mb_per_s). */
#ifndef PGSTRATA_ADVISE_H
#define PGSTRATA_ADVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/doctor_model.h"
#include "core/interval.h"
#include "core/migrate.h"
#include "core/plan.h"

/* Default target: seed 000's capacity table puts daily partitions at 1-20 GB
 * for 10 GB-ish days; 10 GB vacuums in minutes, not hours. */
#define ADVISE_DEFAULT_TARGET_BYTES (10LL * 1024 * 1024 * 1024)
/* A partition may be expected up to this many times the target: the next
 * finer interval would make 2 to 7 times as many partitions. */
#define ADVISE_MAX_OVER 2.0
/* Live partitions a layout may have over its horizon (migrate plan warns
 * beyond the same number). */
#define ADVISE_MAX_PARTITIONS 1000
/* A finer layout than needed is left alone while it has at most this many. */
#define ADVISE_FEW_PARTITIONS 100
/* With a policy retention, partitions at most 1/4 of it. */
#define ADVISE_RETENTION_PARTS 4
/* Planning time per partition of a query that cannot prune, when not
 * measured: seed 000 measured 50-100 ms over 1,095 partitions. */
#define ADVISE_PLAN_MS_PER_PARTITION 0.07
/* Premake assumed for the new layout when the table has no policy
 * (pgstrata's default). */
#define ADVISE_DEFAULT_PREMAKE 4
/* The Gregorian average month, for sizes and counts of month intervals. */
#define ADVISE_MONTH_DAYS       30.436875
#define ADVISE_MAX_TARGET_BYTES (1024LL * 1024 * 1024 * 1024 * 1024) /* 1 PB */

/* --target-size: "500MB", "10GB", "1.5 TB", "1048576" (bytes); units B, kB,
 * MB, GB, TB, PB (case-insensitive, base 1024 like pg_size_bytes), at most
 * 1 PB and more than zero. On failure err says why, naming the option:
 * `invalid --target-size "10XB": unknown unit "XB" (use B, kB, MB, GB, TB or PB)`. */
bool advise_parse_size(const char *text, int64_t *bytes, char *err, size_t errlen);

typedef enum AdviseVerdict {
    ADVISE_CHANGE, /* a migration to the recommended layout; commands given */
    ADVISE_KEEP,   /* the current layout is right; no command */
    ADVISE_CANNOT, /* nothing to recommend: the reason says what is missing */
} AdviseVerdict;

/* Why the verdict; report/advise_report.c puts it in words. */
typedef enum AdviseReason {
    ADVISE_WHY_OVERSIZED,      /* change: current partitions above ADVISE_MAX_OVER x target */
    ADVISE_WHY_TOO_MANY,       /* change: more than ADVISE_MAX_PARTITIONS over the horizon */
    ADVISE_WHY_RETENTION,      /* change: coarser than a quarter of the policy's retention */
    ADVISE_WHY_MANY_SMALL,     /* change: finer than needed, more than ADVISE_FEW_PARTITIONS */
    ADVISE_WHY_FITS,           /* keep: the current interval is the one chosen */
    ADVISE_WHY_FEW,            /* keep: finer than needed, but few partitions */
    ADVISE_WHY_NOT_RANGE,      /* cannot: list or hash partitioning */
    ADVISE_WHY_KEY_EXPRESSION, /* cannot: the key is not one plain column */
    ADVISE_WHY_KEY_TYPE,       /* cannot: the key is not a time or integer type */
    ADVISE_WHY_NO_PARTITIONS,  /* cannot: no attached range partition with bounds */
    ADVISE_WHY_NO_DATA,        /* cannot: no partition holds data yet */
} AdviseReason;

/* Notes: assumptions and caveats, each a bit (rendered in order of the bits). */
enum {
    ADVISE_NOTE_RETENTION_ASSUMED = 1 << 0,  /* no policy: retention = what the table holds */
    ADVISE_NOTE_RETENTION_NONE = 1 << 1,     /* the policy keeps everything: the count grows */
    ADVISE_NOTE_RETENTION_CAP = 1 << 2,      /* the interval was capped at retention / 4 */
    ADVISE_NOTE_COUNT_BOUND = 1 << 3,        /* the size alone chose by_size: too many */
    ADVISE_NOTE_COUNT_IMPOSSIBLE = 1 << 4,   /* even the coarsest has too many */
    ADVISE_NOTE_FINEST_OVERSIZED = 1 << 5,   /* even the finest interval is above the target */
    ADVISE_NOTE_TREND = 1 << 6,              /* the recent rate is >= 3x the average */
    ADVISE_NOTE_TIERS = 1 << 7,              /* age tiers would help; not supported yet */
    ADVISE_NOTE_INTEGER_KEY = 1 << 8,        /* growth per key value, width rounded */
    ADVISE_NOTE_ROWS_UNKNOWN = 1 << 9,       /* no partition was ever analyzed */
    ADVISE_NOTE_PLAN_ESTIMATED = 1 << 10,    /* planning time not measured */
    ADVISE_NOTE_GROUPS = 1 << 11,            /* inheritance children split by more than time */
    ADVISE_NOTE_INIT_FIRST = 1 << 12,        /* no pgstrata schema: init comes first */
    ADVISE_NOTE_PLAN_FIRST = 1 << 13,        /* migrate plan lists blockers start would refuse */
    ADVISE_NOTE_POLICY_CARRIED = 1 << 14,    /* the policy's other options are carried over */
    ADVISE_NOTE_MIGRATION_RUNNING = 1 << 15, /* a migration is under way: no command */
    ADVISE_NOTE_DEFAULT_ROWS = 1 << 16,      /* a default partition holds rows, not counted */
    ADVISE_NOTE_ACCEPTED = 1 << 17,          /* blockers the printed commands accept */
    ADVISE_NOTE_BLOCKED = 1 << 18,           /* a blocker no --accept lifts: no command */
};

/* The trend beyond which ADVISE_NOTE_TREND (and the tiers note) is given. */
#define ADVISE_TREND 3.0

typedef enum AdviseRetention {
    ADVISE_RET_POLICY,  /* the pgstrata policy's retention */
    ADVISE_RET_NONE,    /* the policy keeps everything */
    ADVISE_RET_ASSUMED, /* no policy: what the table holds now */
} AdviseRetention;

/* Growth per day of key time (time keys) or per key value (integer keys). */
typedef struct AdviseGrowth {
    bool known;
    bool per_day;         /* false: per key value */
    double bytes;         /* recent-weighted */
    double rows;          /* -1 when no partition has a row estimate */
    double average_bytes; /* unweighted, over the whole span */
    int64_t from, to;     /* the span of key space it was measured over */
    int64_t data_end;     /* the end of the newest data (integer keys: past `to`) */
    int64_t oldest;       /* the start of the oldest partition that may hold data (<= from) */
    size_t partitions;    /* partitions it was measured from */
    double half_life;     /* H, in days (time) or key values */
} AdviseGrowth;

typedef struct AdviseLayout {
    bool known; /* interval known (false: irregular partitions) */
    PartInterval interval;
    double partitions; /* over the horizon, premake included */
    double part_bytes; /* expected size of one partition at the recent rate */
    double part_rows;  /* -1 unknown */
    double plan_ms;    /* planning time of a query that cannot prune */
    double vacuum_s;   /* one vacuum of one partition; -1 unknown */
} AdviseLayout;

typedef struct Advice {
    char *table;  /* schema.name as displayed */
    char *column; /* NULL: the key is an expression */
    KeyType key_type;
    char strategy;       /* DocTable.strategy */
    char *key_text;      /* DocTable.key_text, for messages */
    char *key_type_name; /* DocTable.key_type_name, for messages */
    int64_t target_bytes;
    AdviseVerdict verdict;
    AdviseReason reason;
    unsigned notes; /* ADVISE_NOTE_* */

    size_t parts_now;      /* attached range partitions now */
    int64_t bytes_now;     /* their total size */
    int64_t largest_bytes; /* the largest of them */
    AdviseGrowth growth;
    double trend; /* growth.bytes / growth.average_bytes */

    AdviseRetention retention;
    char *retention_text; /* as --retention takes it for the new layout; NULL: none */
    double horizon;       /* days (time keys) or key values the count is taken over */

    bool plan_measured; /* DocTable.plan_ms was measured, else estimated */
    AdviseLayout current, recommended;
    PartInterval by_size;      /* ADVISE_NOTE_COUNT_BOUND: what the size alone chose */
    double by_size_partitions; /* ... and how many it would make */
    char *migration;           /* ADVISE_NOTE_MIGRATION_RUNNING: the step */
    int64_t default_rows;      /* ADVISE_NOTE_DEFAULT_ROWS */

    bool schema_installed;
    Finding *blockers; /* what migrate plan finds against the advised layout (blockers only) */
    size_t nblockers;
    StrList commands; /* shell command lines, in order; empty unless ADVISE_CHANGE */
} Advice;

typedef struct AdviseOptions {
    int64_t target_bytes;  /* 0: ADVISE_DEFAULT_TARGET_BYTES */
    bool schema_installed; /* pgstrata's schema is there: else "pgstrata init" comes first */
} AdviseOptions;

/* Fills *out (free with advice_free) for table t of a database read with
 * server s. Never fails: what it cannot do is ADVISE_CANNOT with a reason. */
void advise_table(const DocTable *t, const DocServer *s, const AdviseOptions *o, Advice *out);
void advice_free(Advice *a);

const char *advise_verdict_name(AdviseVerdict v);     /* "change", "keep", "cannot" */
const char *advise_reason_name(AdviseReason r);       /* "oversized", "too-many", ... */
const char *advise_retention_name(AdviseRetention r); /* "policy", "none", "assumed" */

/* ---- the parts, shared by advise*.c and unit-tested ---------------------- */

/* Step 1: growth of t up to now. */
void advise_growth(const DocTable *t, int64_t now, AdviseGrowth *g);
/* The length of an interval in days (months at their average length), or in
 * key values for a numeric one. */
double advise_interval_length(const PartInterval *iv);
/* The interval of the current layout: the policy's, else read from the
 * median span of the attached range partitions; false when irregular. */
bool advise_current_interval(const DocTable *t, PartInterval *iv);
/* The shell command lines that migrate t to the layout of a (an ADVISE_CHANGE
 * advice), into a->commands: plan and start accept the acceptable blockers of
 * a->blockers; a blocker nothing can accept leaves no command. */
void advise_commands(const DocTable *t, Advice *a);
/* The policy those commands give the new layout (what migrate start
 * registers), to inspect it as migrate plan would; p is initialized here. */
void advise_policy(const DocTable *t, const Advice *a, Policy *p);
/* Takes the blockers among the n findings migrate plan made for that policy
 * (copies them) and builds the commands again. */
void advise_blockers(const DocTable *t, Advice *a, const Finding *f, size_t n);

#endif
