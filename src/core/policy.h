/* A partitioning policy: what pgstrata keeps true for one partitioned table.
 *
 * Stored one row per table in pgstrata.policy (db/policy_store.c), as the
 * canonical text forms of the parsers in core/interval.h, so a policy reads
 * the same in SQL as on the command line.
 *
 * Room to grow without breaking stored policies: age tiers (daily, then weekly,
 * then monthly as data ages) will be a list of (older_than, interval) rows
 * after the first tier, which is `interval` here; a second partition level
 * (list or hash by tenant) will be a sub-level spec. Both have reserved
 * nullable columns (tiers, sublevel) in pgstrata.policy; this version refuses a
 * policy that has them set rather than mis-handling it. */
#ifndef PGSTRATA_POLICY_H
#define PGSTRATA_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/interval.h"

typedef enum RetentionMode {
    RETIRE_DROP,    /* detach, then drop (after --drop-delay) */
    RETIRE_DETACH,  /* detach and keep the table (optionally in --detach-schema) */
    RETIRE_ARCHIVE, /* detach, pipe rows to --archive-command, then drop */
} RetentionMode;

typedef enum AnalyzeMode {
    ANALYZE_CHANGED, /* after the partition set changed, or when stats are missing or stale */
    ANALYZE_EVERY,   /* every pass */
    ANALYZE_NEVER,
} AnalyzeMode;

/* Future coverage: a count of intervals ahead of the current one, or a span. */
typedef struct Premake {
    bool is_count;
    int64_t count;
    Duration span;
} Premake;

/* Time keys keep a span; integer keys keep the newest `ranges` ranges. */
typedef struct Retention {
    bool set;
    Duration span;
    int64_t ranges;
} Retention;

typedef struct Policy {
    char *schema; /* parent table */
    char *table;
    char *column;
    KeyType key_type;
    PartInterval interval;
    Premake premake;
    bool has_start;
    int64_t start; /* key space; the first partition is the cell holding it */
    Retention retention;
    RetentionMode retention_mode;
    char *archive_command; /* NULL unless archive */
    char *detach_schema;   /* NULL: detached tables stay in the parent's schema */
    Duration drop_delay;
    bool has_window;
    int window_start; /* minutes after local midnight */
    int window_end;
    char *time_zone; /* alignment zone for timestamptz, and "now" for the others */
    int lock_timeout_ms;
    AnalyzeMode analyze;
    bool enabled;
} Policy;

#define POLICY_DEFAULT_PREMAKE      4
#define POLICY_DEFAULT_LOCK_TIMEOUT 1000

/* A policy with defaults: premake 4, drop, analyze changed, UTC, 1 s. */
void policy_init(Policy *p);
void policy_free(Policy *p);
void policy_copy(Policy *dst, const Policy *src);

/* The option names shared by `create` and `policy set`, each applied from its
 * text value. The key type must be set before interval/start/retention are
 * applied (values are checked against it). Errors name the option:
 * `invalid --retention "ten days": expected a number before "ten"`. */
typedef enum PolicyOption {
    POPT_INTERVAL,
    POPT_PREMAKE,
    POPT_START,
    POPT_RETENTION,
    POPT_RETENTION_MODE,
    POPT_ARCHIVE_COMMAND,
    POPT_DETACH_SCHEMA,
    POPT_DROP_DELAY,
    POPT_WINDOW,
    POPT_TIME_ZONE,
    POPT_LOCK_TIMEOUT,
    POPT_ANALYZE,
    POPT__COUNT
} PolicyOption;

const char *policy_option_flag(PolicyOption opt); /* "--retention" */
bool policy_apply(Policy *p, PolicyOption opt, const char *value, char *err, size_t errlen);
/* Checks the whole policy after all options are applied: retention at least
 * one interval, archive needs a command, and so on. */
bool policy_validate(const Policy *p, char *err, size_t errlen);

/* Canonical texts, as stored and shown. Caller frees. NULL where unset. */
char *policy_premake_text(const Policy *p);
char *policy_retention_text(const Policy *p);
char *policy_start_text(const Policy *p);
char *policy_window_text(const Policy *p);
const char *retention_mode_name(RetentionMode m);
const char *analyze_mode_name(AnalyzeMode m);

/* Parses a lock timeout: "500ms", "2s", "1min", or a bare number of ms. */
bool parse_lock_timeout(const char *text, int *ms, char *err, size_t errlen);
/* Whether local minute-of-day `minute` is inside the window (wraps midnight). */
bool policy_window_open(const Policy *p, int minute);

#endif
