#include "report/doctor_report.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "report/json_fields.h"

static size_t count(const DoctorReport *r, DoctorSeverity s)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->items[i].severity == s;
    return n;
}

/* ANSI colours for the severity word: red, yellow, cyan. */
static const char *colour_of(DoctorSeverity s)
{
    return s == DOC_ERROR ? "\033[1;31m" : s == DOC_WARNING ? "\033[33m" : "\033[36m";
}

void report_doctor_text(FILE *out, const DoctorReport *r, bool colour)
{
    for (size_t i = 0; i < r->n; i++) {
        const DoctorFinding *f = &r->items[i];
        const char *name = doctor_severity_name(f->severity);
        if (colour)
            fprintf(out, "%s%s\033[0m%*s %s: %s\n", colour_of(f->severity), name,
                    (int)(7 - strlen(name)), "", f->table, f->id);
        else
            fprintf(out, "%-7s %s: %s\n", name, f->table, f->id);
        fprintf(out, "        %s\n        why: %s\n        fix: %s\n", f->evidence, f->why, f->fix);
    }
    size_t e = count(r, DOC_ERROR), w = count(r, DOC_WARNING), i = count(r, DOC_INFO);
    if (r->n == 0)
        fprintf(out, "healthy: %zu partitioned table%s, nothing found\n", r->tables,
                r->tables == 1 ? "" : "s");
    else
        fprintf(out, "%zu partitioned table%s: %zu error%s, %zu warning%s, %zu note%s\n", r->tables,
                r->tables == 1 ? "" : "s", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s", i,
                i == 1 ? "" : "s");
}

cJSON *report_doctor_json(const DoctorReport *r)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "tables", (double)r->tables);
    cJSON_AddNumberToObject(doc, "errors", (double)count(r, DOC_ERROR));
    cJSON_AddNumberToObject(doc, "warnings", (double)count(r, DOC_WARNING));
    cJSON_AddNumberToObject(doc, "infos", (double)count(r, DOC_INFO));
    cJSON *list = cJSON_AddArrayToObject(doc, "findings");
    for (size_t i = 0; i < r->n; i++) {
        const DoctorFinding *f = &r->items[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", f->id);
        cJSON_AddStringToObject(o, "severity", doctor_severity_name(f->severity));
        cJSON_AddStringToObject(o, "table", f->table);
        json_add_string_or_null(o, "object", f->object);
        cJSON_AddStringToObject(o, "evidence", f->evidence);
        cJSON_AddStringToObject(o, "why", f->why);
        cJSON_AddStringToObject(o, "fix", f->fix);
        cJSON_AddItemToArray(list, o);
    }
    return doc;
}
