/* pgstrata doctor's output: text (most severe first) and JSON. */
#ifndef PGSTRATA_DOCTOR_REPORT_H
#define PGSTRATA_DOCTOR_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "core/doctor.h"

struct cJSON;
/* colour: the severity in colour (a terminal that did not ask for NO_COLOR). */
void report_doctor_text(FILE *out, const DoctorReport *r, bool colour);
/* {"tables": N, "errors": N, "warnings": N, "infos": N, "findings": [{"id", "severity",
 * "table", "object", "evidence", "why", "fix"}]} */
struct cJSON *report_doctor_json(const DoctorReport *r);

#endif
