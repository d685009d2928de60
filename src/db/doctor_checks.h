/* pgstrata doctor's checks over the catalog (any partitioned table, managed
 * by pgstrata or not), a few set-based queries. */
#ifndef PGSTRATA_DOCTOR_CHECKS_H
#define PGSTRATA_DOCTOR_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/doctor.h"
#include "db/conn.h"

/* The tables schemas[i].tables[i] (all partitioned tables when n is 0).
 * *missing gets the first named table that is not a partitioned table (the
 * caller frees it), and nothing is checked. */
bool doctor_check(Conn *c, const char *const *schemas, const char *const *tables, size_t n,
                  DoctorReport *out, char **missing, char **err);

#endif
