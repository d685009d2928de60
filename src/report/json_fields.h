/* Small cJSON conveniences shared by the JSON reports. */
#ifndef PGSTRATA_JSON_FIELDS_H
#define PGSTRATA_JSON_FIELDS_H

#include "core/plan.h"

struct cJSON;
/* obj[key] = value, or null when value is NULL. */
void json_add_string_or_null(struct cJSON *obj, const char *key, const char *value);
/* Appends each item of l to arr as a string ("" for a NULL item). */
void json_add_strings(struct cJSON *arr, const StrList *l);

#endif
