/* `ls` output: see ls_report.h. */
#include "report/ls_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ident.h"
#include "core/strbuf.h"
#include "report/text_table.h"
#include "report/json_fields.h"

/* "2026-11-22 03:00:00.123+00" -> "2026-11-22 03:00"; NULL -> "never".
 * Anything not shaped like an ISO time is shown as it is (cut to fit). */
static const char *short_time(const char *iso, char buf[32])
{
    if (!iso)
        return "never";
    size_t len = strlen(iso);
    if (len >= 16 && iso[4] == '-' && iso[7] == '-' && (iso[10] == ' ' || iso[10] == 'T') &&
        iso[13] == ':') {
        memcpy(buf, iso, 16);
        buf[10] = ' ';
        buf[16] = '\0';
    } else {
        snprintf(buf, 32, "%s", iso);
    }
    return buf;
}

/* The later of two ISO times in the same zone: text order is time order. */
static const char *later(const char *a, const char *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return strcmp(a, b) >= 0 ? a : b;
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static char *table_name(const TableRow *t)
{
    return ident_display(t->schema, t->table ? t->table : "?");
}

static char *key_text(const TableRow *t)
{
    if (!t->column)
        return xstrdup(t->key_type ? t->key_type : "?");
    char *col = ident_display(NULL, t->column);
    char *s = t->key_type ? xasprintf("%s %s", col, t->key_type) : xstrdup(col);
    free(col);
    return s;
}

static char *retention_text(const TableRow *t)
{
    if (!t->retention)
        return xstrdup("keep all");
    if (!t->retention_mode)
        return xstrdup(t->retention);
    return xasprintf("%s (%s)", t->retention, t->retention_mode);
}

static void count_text(int v, char buf[32])
{
    if (v == 0)
        snprintf(buf, 32, "-");
    else
        snprintf(buf, 32, "%d", v);
}

static void default_text(const TableRow *t, char buf[32])
{
    if (!t->has_default)
        snprintf(buf, 32, "-");
    else if (t->default_rows < 0 || !isfinite(t->default_rows))
        snprintf(buf, 32, "? rows");
    else
        snprintf(buf, 32, "~%.0f rows", t->default_rows);
}

void report_tables_text(FILE *out, const TableRow *rows, size_t n)
{
    if (n == 0) {
        fputs("no managed tables; register one with \"pgstrata create TABLE --column COL "
              "--interval I\"\n",
              out);
        return;
    }
    static const char *const headers[] = {
        "table", "key",     "interval", "partitions",     "ahead",         "retention",
        "size",  "default", "detached", "pending detach", "last analyzed",
    };
    static const TextAlign aligns[] = {
        ALIGN_LEFT,  ALIGN_LEFT,  ALIGN_LEFT,  ALIGN_RIGHT, ALIGN_LEFT, ALIGN_LEFT,
        ALIGN_RIGHT, ALIGN_RIGHT, ALIGN_RIGHT, ALIGN_RIGHT, ALIGN_LEFT,
    };
    size_t ncols = sizeof headers / sizeof headers[0];
    TextTable *tt = text_table_new(ncols, headers, aligns);
    for (size_t i = 0; i < n; i++) {
        const TableRow *t = &rows[i];
        char *name = table_name(t);
        char *key = key_text(t);
        char *ret = retention_text(t);
        char parts[32], size[32], def[32], det[32], pend[32], analyzed[32];
        if (t->exists)
            snprintf(parts, sizeof parts, "%d", t->partitions);
        else
            snprintf(parts, sizeof parts, "(table missing)");
        format_bytes(t->total_bytes, size);
        default_text(t, def);
        count_text(t->detached, det);
        count_text(t->pending_detach, pend);
        const char *cells[] = {
            name,
            key,
            or_dash(t->interval),
            parts,
            or_dash(t->coverage_ahead),
            ret,
            size,
            def,
            det,
            pend,
            short_time(t->last_analyzed, analyzed),
        };
        text_table_add_row(tt, cells);
        free(name);
        free(key);
        free(ret);
    }
    text_table_print(tt, out);
    text_table_free(tt);
}

static void add_estimate(cJSON *obj, const char *key, double value)
{
    if (value < 0 || !isfinite(value))
        cJSON_AddNullToObject(obj, key);
    else
        cJSON_AddNumberToObject(obj, key, value);
}

static cJSON *table_json(const TableRow *t)
{
    cJSON *o = cJSON_CreateObject();
    json_add_string_or_null(o, "schema", t->schema);
    json_add_string_or_null(o, "table", t->table);
    cJSON_AddBoolToObject(o, "exists", t->exists);
    json_add_string_or_null(o, "column", t->column);
    json_add_string_or_null(o, "key_type", t->key_type);
    json_add_string_or_null(o, "interval", t->interval);
    json_add_string_or_null(o, "premake", t->premake);
    json_add_string_or_null(o, "retention", t->retention);
    json_add_string_or_null(o, "retention_mode", t->retention_mode);
    cJSON_AddNumberToObject(o, "partitions", t->partitions);
    cJSON_AddBoolToObject(o, "has_default", t->has_default);
    add_estimate(o, "default_rows", t->default_rows);
    json_add_string_or_null(o, "oldest", t->oldest);
    json_add_string_or_null(o, "newest", t->newest);
    json_add_string_or_null(o, "coverage_ahead", t->coverage_ahead);
    cJSON_AddNumberToObject(o, "total_bytes", (double)t->total_bytes);
    cJSON_AddNumberToObject(o, "pending_detach", t->pending_detach);
    cJSON_AddNumberToObject(o, "detached", t->detached);
    json_add_string_or_null(o, "last_maintained", t->last_maintained);
    json_add_string_or_null(o, "last_analyzed", t->last_analyzed);
    return o;
}

cJSON *report_tables_json(const TableRow *rows, size_t n)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "tables");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, table_json(&rows[i]));
    return root;
}

static void print_header(FILE *out, const TableRow *t)
{
    char *name = table_name(t);
    char *key = key_text(t);
    char *ret = retention_text(t);
    char size[32];
    format_bytes(t->total_bytes, size);
    fprintf(out, "table:      %s\n", name);
    fprintf(out, "key:        %s\n", key);
    fprintf(out, "interval:   %s\n", or_dash(t->interval));
    fprintf(out, "premake:    %s\n", or_dash(t->premake));
    fprintf(out, "retention:  %s\n", ret);
    fprintf(out, "ahead:      %s\n", or_dash(t->coverage_ahead));
    if (!t->exists)
        fprintf(out, "partitions: (table missing)\n");
    else
        fprintf(out, "partitions: %d%s\n", t->partitions,
                t->has_default ? ", and a default partition" : "");
    fprintf(out, "total size: %s\n", size);
    free(name);
    free(key);
    free(ret);
}

void report_parts_text(FILE *out, const TableRow *table, const PartRow *rows, size_t n)
{
    if (table) {
        print_header(out, table);
        fputc('\n', out);
    }
    if (n == 0) {
        fputs("no partitions\n", out);
        return;
    }
    static const char *const headers[] = {
        "name", "from", "to", "state", "size", "rows", "last vacuum", "last analyze",
    };
    static const TextAlign aligns[] = {
        ALIGN_LEFT,  ALIGN_LEFT,  ALIGN_LEFT, ALIGN_LEFT,
        ALIGN_RIGHT, ALIGN_RIGHT, ALIGN_LEFT, ALIGN_LEFT,
    };
    const char *parent_schema = table ? table->schema : NULL;
    TextTable *tt = text_table_new(sizeof headers / sizeof headers[0], headers, aligns);
    for (size_t i = 0; i < n; i++) {
        const PartRow *p = &rows[i];
        bool same_schema = p->schema && parent_schema && strcmp(p->schema, parent_schema) == 0;
        char *name = ident_display(same_schema ? NULL : p->schema, p->name ? p->name : "?");
        char size[32], est[32], vac[32], ana[32];
        format_bytes(p->bytes, size);
        if (p->est_rows < 0 || !isfinite(p->est_rows))
            snprintf(est, sizeof est, "?");
        else
            snprintf(est, sizeof est, "%.0f", p->est_rows);
        const char *cells[] = {
            name,
            or_dash(p->lower),
            or_dash(p->upper),
            or_dash(p->state),
            size,
            est,
            short_time(later(p->last_vacuum, p->last_autovacuum), vac),
            short_time(later(p->last_analyze, p->last_autoanalyze), ana),
        };
        text_table_add_row(tt, cells);
        free(name);
    }
    text_table_print(tt, out);
    text_table_free(tt);
}

static cJSON *part_json(const PartRow *p)
{
    cJSON *o = cJSON_CreateObject();
    json_add_string_or_null(o, "schema", p->schema);
    json_add_string_or_null(o, "name", p->name);
    json_add_string_or_null(o, "lower", p->lower);
    json_add_string_or_null(o, "upper", p->upper);
    json_add_string_or_null(o, "state", p->state);
    cJSON_AddNumberToObject(o, "bytes", (double)p->bytes);
    add_estimate(o, "est_rows", p->est_rows);
    json_add_string_or_null(o, "last_vacuum", p->last_vacuum);
    json_add_string_or_null(o, "last_autovacuum", p->last_autovacuum);
    json_add_string_or_null(o, "last_analyze", p->last_analyze);
    json_add_string_or_null(o, "last_autoanalyze", p->last_autoanalyze);
    return o;
}

cJSON *report_parts_json(const TableRow *table, const PartRow *rows, size_t n)
{
    cJSON *root = cJSON_CreateObject();
    if (table)
        cJSON_AddItemToObject(root, "table", table_json(table));
    else
        cJSON_AddNullToObject(root, "table");
    cJSON *arr = cJSON_AddArrayToObject(root, "partitions");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, part_json(&rows[i]));
    return root;
}
