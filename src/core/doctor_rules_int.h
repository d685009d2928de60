/* What the three rule files (layout, usage, schema) share. */
#ifndef PGSTRATA_DOCTOR_RULES_INT_H
#define PGSTRATA_DOCTOR_RULES_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/doctor.h"
#include "core/doctor_model.h"
#include "core/strbuf.h"

/* How a rule file is called: one table at a time. */
typedef struct RuleCtx {
    const DocDatabase *db;
    const DocTable *t;
    const DocOptions *o;
    DoctorReport *out;
    char *display;   /* the table as shown, schema.name */
    char *qualified; /* the table in SQL, "schema"."name" */
    char *shell;     /* the table as a shell argument for pgstrata commands */
} RuleCtx;

void rules_layout(RuleCtx *c);
void rules_usage(RuleCtx *c);
void rules_schema(RuleCtx *c);

/* Adds a finding on the context's table; takes the strings. */
void rule_add(RuleCtx *c, const char *id, DoctorSeverity sev, char *object, char *evidence,
              const char *why, char *fix);

/* A key value for messages: "2026-11-22 00:00 UTC", "2026-11-22", "42". */
void rule_key_text(const DocTable *t, int64_t v, char buf[48]);
/* The interval a partition width reads as ("1 day", "1 month", "100000"),
 * false when it is none pgstrata has. */
bool rule_width_interval(const DocTable *t, int64_t width, char buf[48]);
/* The key column as a shell argument naming it ("created_at", '"Mixed Col"');
 * NULL when the key is not one column. */
char *rule_column_arg(const DocTable *t);
/* The median width of the table's bounded partitions (0 when none). */
int64_t rule_median_width(const DocTable *t);
/* Partitions whose range lies before now (time keys; all for integer keys). */
bool rule_part_past(const RuleCtx *c, const DocPart *p);
/* A list of up to `most` names for a message, "a, b, c and 4 more";
 * names_take hands over the text (and frees the rest). */
typedef struct NameList {
    StrBuf text;
    int count;
    int most;
} NameList;
void names_init(NameList *l, int most);
void names_add(NameList *l, const char *name);
char *names_take(NameList *l);

#endif
