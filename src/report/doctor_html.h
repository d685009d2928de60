/* pgstrata doctor --html FILE: one self-contained page (inline CSS and SVG,
 * a few lines of inline JS, nothing fetched) showing each partitioned table
 * as a timeline of its partitions (report/doctor_timeline.h) with the
 * table's findings beside it, under a summary of the whole database.
 *
 * The page's structure is stable for tests and scripts: each table is a
 * <section class="table" data-table="NAME" data-parts="N"> (NAME as
 * ident_display prints it, N its partitions in the model), holding one
 * class="part" element per partition; each finding is an <li
 * class="finding" data-severity="..." data-id="...">. Findings whose table is
 * not in the model are listed in a section of their own at the top. */
#ifndef PGSTRATA_DOCTOR_HTML_H
#define PGSTRATA_DOCTOR_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "core/doctor.h"
#include "core/doctor_model.h"

/* Writes the page; false when writing to out failed. */
bool report_doctor_html(FILE *out, const DocDatabase *db, const DoctorReport *r);
/* Writes the page to path (created or replaced). On failure *err (the caller
 * frees it) is "could not write PATH: REASON". */
bool report_doctor_html_file(const char *path, const DocDatabase *db, const DoctorReport *r,
                             char **err);

#endif
