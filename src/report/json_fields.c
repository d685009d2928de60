#include "report/json_fields.h"

#include <cjson/cJSON.h>

void json_add_string_or_null(cJSON *obj, const char *key, const char *value)
{
    if (value)
        cJSON_AddStringToObject(obj, key, value);
    else
        cJSON_AddNullToObject(obj, key);
}

void json_add_strings(cJSON *arr, const StrList *l)
{
    for (size_t i = 0; i < l->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(l->items[i] ? l->items[i] : ""));
}
