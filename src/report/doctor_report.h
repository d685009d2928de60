/* pgstrata doctor's output: text (most severe first) and JSON. */
#ifndef PGSTRATA_DOCTOR_REPORT_H
#define PGSTRATA_DOCTOR_REPORT_H

#include <stdio.h>

#include "core/doctor.h"

struct cJSON;
void report_doctor_text(FILE *out, const DoctorReport *r);
/* {"tables": N, "errors": N, "warnings": N, "findings": [{"id", "severity",
 * "table", "object", "evidence", "why", "fix"}]} */
struct cJSON *report_doctor_json(const DoctorReport *r);

#endif
