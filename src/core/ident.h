/* Names as users type them, read the way psql and PostgreSQL do: unquoted
 * parts are folded to lower case, "Quoted" parts keep case and may hold
 * anything ("" for a quote), and schema.table splits at the unquoted dot. */
#ifndef PGSTRATA_IDENT_H
#define PGSTRATA_IDENT_H

#include <stdbool.h>
#include <stddef.h>

/* "events", "public.events", "\"Odd\".\"Name.With.Dots\"". *schema is NULL
 * when unqualified. Caller frees. On failure err says why. */
bool ident_parse_qualified(const char *text, char **schema, char **name, char *err, size_t errlen);
/* One name (a column, a schema). */
bool ident_parse(const char *text, char **name, char *err, size_t errlen);
/* schema.name for messages: each part quoted only where SQL would need it. */
char *ident_display(const char *schema, const char *name);

#endif
