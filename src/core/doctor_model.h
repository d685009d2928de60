/* What pgstrata doctor, advise and the HTML report know about the
 * partitioned tables of a database: plain data, read by db/doctor_read.c in
 * a few set-based queries (plus EXPLAINs), or built by hand in unit tests.
 * The findings are a pure function of it (core/doctor_rules.c).
 *
 * Key values are in key space (core/interval.h). The reader's session runs
 * in UTC, so timestamptz keys are UTC seconds and `now` is in the same space.
 * Ages are seconds before now; -1 means never (or unknown). */
#ifndef PGSTRATA_DOCTOR_MODEL_H
#define PGSTRATA_DOCTOR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/interval.h"
#include "core/policy.h"

typedef enum DocTableKind {
    DOC_DECLARATIVE, /* PARTITION BY */
    DOC_INHERITANCE, /* a legacy set: children INHERIT a plain parent, bounds in CHECKs */
} DocTableKind;

typedef enum DocPartState {
    DOC_PART_ATTACHED,
    DOC_PART_DEFAULT,
    DOC_PART_PENDING,  /* pending detach: an interrupted DETACH ... CONCURRENTLY */
    DOC_PART_LEFTOVER, /* a detached table left behind (not a partition any more) */
} DocPartState;

typedef struct DocPart {
    char *schema;
    char *name;
    DocPartState state;
    bool bounded; /* lower/upper read: a range on the one key column */
    bool lower_unbounded;
    bool upper_unbounded;
    int64_t lower;    /* key space, inclusive */
    int64_t upper;    /* exclusive */
    char *bound_text; /* as PostgreSQL prints it: "FOR VALUES FROM (...) TO (...)", the CHECK */
    char *group;      /* inheritance: the CHECK's other conditions ("tenant_id = 1"), else NULL */
    bool subpartitioned;
    int64_t bytes;  /* pg_total_relation_size (of all leaves when subpartitioned) */
    bool has_pages; /* its main fork is not empty, so it may hold rows */
    double rows;    /* reltuples; -1 never analyzed or vacuumed */
    int64_t writes; /* n_tup_ins + n_tup_upd + n_tup_del since the statistics reset */
    int64_t reads;  /* seq_tup_read + idx_tup_fetch */
    int64_t dead_rows;
    int64_t mod_since_analyze;
    double analyze_age;
    bool autovacuum_off;    /* reloption autovacuum_enabled = false */
    char **missing_indexes; /* inheritance: the parent's indexes this child lacks (definitions) */
    size_t nmissing_indexes;
} DocPart;

typedef struct DocUnique {
    char *name;
    bool primary;
    char *columns; /* "(id, created_at)" */
    char *others;  /* the columns besides the key: "id"; NULL when only the key */
} DocUnique;

typedef struct DocTrigger {
    char *name;
    char *function;    /* schema-qualified, as displayed */
    bool returns_null; /* its body has RETURN NULL: INSERT ... RETURNING gets no row */
} DocTrigger;

/* A query EXPLAINed against the table: one given with --query, or one of the
 * top queries pg_stat_statements has on it. */
typedef struct DocQuery {
    char *text;
    bool from_pgss;
    double calls; /* pg_stat_statements: calls and mean time; 0 for --query */
    double mean_ms;
    int scanned;        /* partitions the plan scans after plan-time pruning */
    int runtime_pruned; /* of those, removed at executor start ("Subplans Removed") */
    int total;          /* partitions of the table when it was EXPLAINed */
    bool generic;
    char *error; /* EXPLAIN failed: its message; the other fields are 0 */
} DocQuery;

typedef struct DocTable {
    char *schema;
    char *name;
    unsigned int oid;
    DocTableKind kind;
    char strategy;    /* 'r' range, 'l' list, 'h' hash */
    char *key_text;   /* pg_get_partkeydef, or the inheritance CHECK's column */
    char *key_column; /* NULL: the key is not one plain column */
    bool key_known;   /* key_type read (a time or integer column) */
    KeyType key_type;
    char *key_type_name; /* format_type, for messages */

    DocPart *parts; /* by group, then lower bound; default, pending and leftovers after */
    size_t nparts;

    bool has_stats;       /* the parent has inherited statistics, or was analyzed */
    double analyze_age;   /* the parent's last analyze */
    double analyzed_rows; /* the parent's reltuples (set by its last ANALYZE); -1 never */

    bool has_default_rows_count; /* the default partition was counted (it has pages) */
    int64_t default_rows;        /* rows counted, at most DOC_DEFAULT_ROWS_COUNTED + 1 */
    char *default_min;           /* the key's range among those rows, as printed */
    char *default_max;

    const Policy *policy; /* pgstrata's policy when managed, else NULL (not owned) */
    char *migration;      /* a pgstrata migration of the table is under way: its step */

    DocUnique *uniques;
    size_t nuniques;
    DocTrigger *triggers; /* BEFORE INSERT row triggers on the parent */
    size_t ntriggers;
    char **publications; /* publications of the table without publish_via_partition_root */
    size_t npublications;

    double plan_ms; /* planning time of a query no partition can be pruned from; -1 not measured */
    DocQuery *queries;
    size_t nqueries;
} DocTable;

typedef struct DocServer {
    int version_num;
    int64_t now; /* key space of timestamptz (UTC seconds) */
    int autovacuum_max_workers;
    bool autovacuum;
    double av_vacuum_threshold, av_vacuum_scale; /* autovacuum_vacuum_threshold, _scale_factor */
    double av_analyze_threshold, av_analyze_scale;
    int64_t freeze_max_age;     /* autovacuum_freeze_max_age */
    double vacuum_mb_per_s;     /* pages autovacuum can dirty per second under its cost limit, MB */
    char *constraint_exclusion; /* "partition", "on", "off" */
    bool has_pg_stat_statements; /* the extension is installed in this database */
} DocServer;

typedef struct DocDatabase {
    DocServer server;
    DocTable *tables;
    size_t ntables;
    Policy *policies; /* owned; tables[i].policy points here */
    size_t npolicies;
} DocDatabase;

/* Thresholds, with the defaults the README documents. */
typedef struct DocOptions {
    double
        vacuum_window_s;  /* --vacuum-window: a partition whose vacuum takes longer is oversized */
    double stale_s;       /* --stale: a partition with changes not vacuumed/analyzed this long */
    int many_partitions;  /* partitions beyond which planning time is measured and reported */
    double plan_ms_limit; /* planning time beyond which it is a warning */
} DocOptions;

#define DOC_DEFAULT_ROWS_COUNTED 1000000

void doc_options_default(DocOptions *o);
void doc_database_free(DocDatabase *db);
/* The median of n values (v[n / 2] once sorted; v is sorted in place), 0
 * when n is 0: the typical partition width or size doctor and advise take. */
int64_t doc_median(int64_t *v, size_t n);
/* A partition's live share of the table: attached and bounded, not default. */
bool doc_part_in_range(const DocPart *p);

#endif
