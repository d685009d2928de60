/* What db/doctor_read.c and db/doctor_read_schema.c share. */
#ifndef PGSTRATA_DOCTOR_READ_INT_H
#define PGSTRATA_DOCTOR_READ_INT_H

#include <stdbool.h>

#include "core/doctor_model.h"
#include "db/conn.h"

/* The tables of the model as a parameter ($1, oid[] in model order), and the
 * table each result row is about (z.ord, 1-based). */
#define PARENTS " unnest($1::oid[]) WITH ORDINALITY AS z(parent, ord)"

/* Sets *err to "could not read WHAT: the server's message"; false. */
bool doc_read_fail(Conn *c, char **err, const char *what);
/* The table a result row's first column (z.ord) names, or NULL. */
DocTable *doc_read_table_of(DocDatabase *db, const DbResult *r, int row);
/* A new partition of t, named by the row: columns 1 and 2 are schema and name. */
DocPart *doc_read_add_part(DocTable *t, const DbResult *r, int row);

/* Q3-Q7 over the tables of the model; oids is their oid[] literal. */
bool doc_read_leftovers(Conn *c, const char *oids, DocDatabase *db, char **err);
bool doc_read_missing_indexes(Conn *c, const char *oids, DocDatabase *db, char **err);
bool doc_read_uniques(Conn *c, const char *oids, DocDatabase *db, char **err);
bool doc_read_triggers(Conn *c, const char *oids, DocDatabase *db, char **err);
bool doc_read_publications(Conn *c, const char *oids, DocDatabase *db, char **err);

#endif
