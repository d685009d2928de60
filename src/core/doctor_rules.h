/* doctor's findings as a pure function of the model (core/doctor_model.h)
 * and the thresholds: no database here, so every rule is unit-tested. */
#ifndef PGSTRATA_DOCTOR_RULES_H
#define PGSTRATA_DOCTOR_RULES_H

#include "core/doctor.h"
#include "core/doctor_model.h"

/* Fills out (sorted, most severe first). */
void doctor_rules(const DocDatabase *db, const DocOptions *o, DoctorReport *out);

#endif
