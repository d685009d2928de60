#include "core/doctor.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

void doctor_add(DoctorReport *r, const char *id, DoctorSeverity sev, char *table, char *object,
                char *evidence, char *why, char *fix)
{
    r->items = xrealloc(r->items, (r->n + 1) * sizeof(DoctorFinding));
    r->items[r->n++] = (DoctorFinding){xstrdup(id), sev, table, object, evidence, why, fix};
}

static int compare_findings(const void *a, const void *b)
{
    const DoctorFinding *x = a, *y = b;
    if (x->severity != y->severity)
        return x->severity < y->severity ? -1 : 1;
    int t = strcmp(x->table, y->table);
    if (t)
        return t;
    int i = strcmp(x->id, y->id);
    if (i)
        return i;
    return strcmp(x->object ? x->object : "", y->object ? y->object : "");
}

void doctor_sort(DoctorReport *r)
{
    if (r->n > 1)
        qsort(r->items, r->n, sizeof(DoctorFinding), compare_findings);
}

void doctor_report_free(DoctorReport *r)
{
    for (size_t i = 0; i < r->n; i++) {
        DoctorFinding *f = &r->items[i];
        free(f->id);
        free(f->table);
        free(f->object);
        free(f->evidence);
        free(f->why);
        free(f->fix);
    }
    free(r->items);
    memset(r, 0, sizeof(*r));
}

const char *doctor_severity_name(DoctorSeverity s)
{
    switch (s) {
    case DOC_ERROR:
        return "error";
    case DOC_WARNING:
        return "warning";
    case DOC_INFO:
        break;
    }
    return "info";
}

int doctor_exit_code(const DoctorReport *r)
{
    int code = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].severity == DOC_ERROR)
            return 2;
        if (r->items[i].severity == DOC_WARNING)
            code = 1;
    }
    return code;
}
