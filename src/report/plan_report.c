/* Plans as text and JSON: see plan_report.h. */
#include "report/plan_report.h"
#include "report/json_fields.h"

#include <string.h>

#define SQL_INDENT "        "

/* One statement, indented; continuation lines are indented too. Trailing
 * white space and any trailing ';' are dropped, then `end` is written. */
static void print_statement(FILE *out, const char *sql, const char *end)
{
    size_t len = strlen(sql);
    while (len > 0 && (sql[len - 1] == ' ' || sql[len - 1] == '\t' || sql[len - 1] == '\n' ||
                       sql[len - 1] == '\r' || sql[len - 1] == ';'))
        len--;
    fputs(SQL_INDENT, out);
    for (size_t i = 0; i < len; i++) {
        fputc(sql[i], out);
        if (sql[i] == '\n')
            fputs(SQL_INDENT, out);
    }
    fputs(end, out);
    fputc('\n', out);
}

static void print_action(FILE *out, const Action *a, size_t *number)
{
    const char *why = a->why ? a->why : (a->target ? a->target : "");
    if (a->kind == ACT_SKIP) {
        fprintf(out, "  -  %-8s %s\n", "note", why);
        return;
    }
    if (a->kind == ACT_ERROR) {
        fprintf(out, "  !  %-8s %s\n", "error", why);
        return;
    }
    *number += 1;
    fprintf(out, "%3zu. %-8s %s\n", *number, action_kind_name(a->kind),
            a->target ? a->target : (a->table ? a->table : ""));
    if (a->why)
        fprintf(out, "     why:  %s\n", a->why);
    if (a->lock)
        fprintf(out, "     lock: %s\n", a->lock);
    if (a->copy_sql) {
        if (a->command) {
            /* Not SQL as a whole, so no ';': the copy feeds the command. */
            size_t len = strlen(a->copy_sql);
            while (len > 0 && (a->copy_sql[len - 1] == ';' || a->copy_sql[len - 1] == ' '))
                len--;
            fprintf(out, SQL_INDENT "%.*s | %s\n", (int)len, a->copy_sql, a->command);
        } else {
            print_statement(out, a->copy_sql, ";");
        }
    }
    for (size_t i = 0; i < a->sql.n; i++)
        print_statement(out, a->sql.items[i], ";");
}

static bool same_table(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

void report_plan_text(FILE *out, const Plan *plan, bool dry_run_header)
{
    if (dry_run_header)
        fputs("dry run: nothing is changed; this is what maintain would do\n", out);
    if (!plan || plan->n == 0) {
        fputs("nothing to do: every table is up to date\n", out);
        return;
    }
    size_t number = 0;
    for (size_t i = 0; i < plan->n; i++) {
        const Action *a = &plan->actions[i];
        if (i == 0 || !same_table(a->table, plan->actions[i - 1].table)) {
            if (i > 0)
                fputc('\n', out);
            fprintf(out, "%s\n", a->table ? a->table : "(no table)");
        }
        print_action(out, a, &number);
    }
}

static cJSON *action_json(const Action *a)
{
    cJSON *o = cJSON_CreateObject();
    json_add_string_or_null(o, "table", a->table);
    cJSON_AddStringToObject(o, "kind", action_kind_name(a->kind));
    json_add_string_or_null(o, "target", a->target);
    json_add_string_or_null(o, "why", a->why);
    json_add_string_or_null(o, "lock", a->lock);
    json_add_strings(cJSON_AddArrayToObject(o, "sql"), &a->sql);
    cJSON *book = cJSON_AddArrayToObject(o, "bookkeeping_sql");
    json_add_strings(book, &a->pre_sql);
    json_add_strings(book, &a->book_sql);
    cJSON_AddBoolToObject(o, "autocommit", a->autocommit);
    if (a->depends_on >= 0)
        cJSON_AddNumberToObject(o, "depends_on", a->depends_on);
    else
        cJSON_AddNullToObject(o, "depends_on");
    cJSON_AddBoolToObject(o, "destructive", a->destructive);
    cJSON_AddNumberToObject(o, "lock_timeout_ms", a->lock_timeout_ms);
    if (a->guard_sql) {
        cJSON *g = cJSON_AddObjectToObject(o, "guard");
        cJSON_AddStringToObject(g, "sql", a->guard_sql);
        cJSON_AddNumberToObject(g, "max", (double)a->guard_max);
    }
    if (a->copy_sql) {
        cJSON *ar = cJSON_AddObjectToObject(o, "archive");
        cJSON_AddStringToObject(ar, "copy_sql", a->copy_sql);
        json_add_string_or_null(ar, "command", a->command);
    }
    return o;
}

cJSON *report_plan_json(const Plan *plan)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "actions");
    int errors = 0;
    for (size_t i = 0; plan && i < plan->n; i++) {
        const Action *a = &plan->actions[i];
        cJSON_AddItemToArray(arr, action_json(a));
        if (a->kind == ACT_ERROR)
            errors++;
    }
    cJSON_AddNumberToObject(root, "errors", errors);
    return root;
}
