/* pgstrata doctor's findings: what is wrong with a partitioned table, with
 * the evidence, why it matters and the fix. Pure data; the checks that make
 * them are in db/doctor_checks.c, the output in report/doctor_report.c. */
#ifndef PGSTRATA_DOCTOR_H
#define PGSTRATA_DOCTOR_H

#include <stddef.h>

typedef enum DoctorSeverity {
    DOC_ERROR,   /* breaks something now, or will */
    DOC_WARNING, /* costs speed or safety */
    DOC_INFO,
} DoctorSeverity;

typedef struct DoctorFinding {
    char *id; /* stable: "parent-not-analyzed", ... */
    DoctorSeverity severity;
    char *table;  /* the parent, as displayed */
    char *object; /* the relation at fault (a partition), or NULL */
    char *evidence;
    char *why;
    char *fix; /* a pgstrata command or SQL */
} DoctorFinding;

typedef struct DoctorReport {
    DoctorFinding *items;
    size_t n;
    size_t tables; /* partitioned tables looked at */
} DoctorReport;

/* Takes every string (owned). */
void doctor_add(DoctorReport *r, const char *id, DoctorSeverity sev, char *table, char *object,
                char *evidence, char *why, char *fix);
/* Most severe first, then by table and id. */
void doctor_sort(DoctorReport *r);
void doctor_report_free(DoctorReport *r);
const char *doctor_severity_name(DoctorSeverity s);
/* The exit status: 0 healthy, 1 warnings, 2 errors found. */
int doctor_exit_code(const DoctorReport *r);

#endif
