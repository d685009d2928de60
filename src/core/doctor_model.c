#include "core/doctor_model.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

void doc_options_default(DocOptions *o)
{
    o->vacuum_window_s = 3600;
    o->stale_s = 7 * 86400;
    o->many_partitions = 1000;
    o->plan_ms_limit = 20;
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int64_t doc_median(int64_t *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(int64_t), compare_i64);
    return v[n / 2];
}

bool doc_part_in_range(const DocPart *p)
{
    return p->state == DOC_PART_ATTACHED && p->bounded;
}

static void free_part(DocPart *p)
{
    free(p->schema);
    free(p->name);
    free(p->bound_text);
    free(p->group);
    strings_free(p->missing_indexes, p->nmissing_indexes);
}

static void free_table(DocTable *t)
{
    free(t->schema);
    free(t->name);
    free(t->key_text);
    free(t->key_column);
    free(t->key_type_name);
    for (size_t i = 0; i < t->nparts; i++)
        free_part(&t->parts[i]);
    free(t->parts);
    free(t->default_min);
    free(t->default_max);
    free(t->migration);
    for (size_t i = 0; i < t->nuniques; i++) {
        free(t->uniques[i].name);
        free(t->uniques[i].columns);
        free(t->uniques[i].others);
    }
    free(t->uniques);
    for (size_t i = 0; i < t->ntriggers; i++) {
        free(t->triggers[i].name);
        free(t->triggers[i].function);
    }
    free(t->triggers);
    strings_free(t->publications, t->npublications);
    for (size_t i = 0; i < t->nqueries; i++) {
        free(t->queries[i].text);
        free(t->queries[i].error);
    }
    free(t->queries);
}

void doc_database_free(DocDatabase *db)
{
    for (size_t i = 0; i < db->ntables; i++)
        free_table(&db->tables[i]);
    free(db->tables);
    for (size_t i = 0; i < db->npolicies; i++)
        policy_free(&db->policies[i]);
    free(db->policies);
    free(db->server.constraint_exclusion);
    memset(db, 0, sizeof(*db));
}
