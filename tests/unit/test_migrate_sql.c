/* Unit tests for core/migrate_sql.c: the replay functions' SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/migrate.h"
#include "core/strbuf.h"

static void migration(Migration *m, const char *ident)
{
    memset(m, 0, sizeof(*m));
    m->id = 7;
    m->schema = xstrdup("public");
    m->source = xstrdup("Events");
    m->new_table = xstrdup("Events_pgs_new");
    m->old_table = xstrdup("Events_pgs_old");
    m->key_column = xstrdup("created_at");
    m->key_type = xstrdup("timestamp with time zone");
    strlist_add(&m->ident, xstrdup(ident));
    strlist_add(&m->ident_types,
                xstrdup(strcmp(ident, "id") == 0 ? "bigint" : "timestamp with time zone"));
    strlist_add(&m->columns, xstrdup("id"));
    strlist_add(&m->columns, xstrdup("created_at"));
}

/* A row a batch inserts again is skipped on the copy's own key: forward the
 * new tree's primary key (identity and key), backward the identity. */
static void test_replay_conflicts(void **state)
{
    (void)state;
    Migration m;
    migration(&m, "id");
    char *fwd = msql_replay_function(&m, false, NULL);
    char *rev = msql_replay_function(&m, true, NULL);
    assert_non_null(
        strstr(fwd, "CREATE OR REPLACE FUNCTION \"pgstrata\".\"m7_replay\"(max_rows bigint)"));
    assert_non_null(
        strstr(fwd, "INSERT INTO \"public\".\"Events_pgs_new\" (\"id\", \"created_at\")"));
    assert_non_null(strstr(fwd, " ON CONFLICT (\"id\", \"created_at\") DO NOTHING;"));
    assert_non_null(strstr(rev, "INSERT INTO \"public\".\"Events_pgs_old\""));
    assert_non_null(strstr(rev, " ON CONFLICT (\"id\") DO NOTHING;"));
    free(fwd);
    free(rev);
    migration_free(&m);
    /* an identity holding the key: the key is not named twice */
    migration(&m, "created_at");
    fwd = msql_replay_function(&m, false, NULL);
    assert_non_null(strstr(fwd, " ON CONFLICT (\"created_at\") DO NOTHING;"));
    free(fwd);
    migration_free(&m);
}

/* Backward into an inheritance set: each row into the first child whose
 * condition it meets, the others into the parent. */
static void test_replay_routed(void **state)
{
    (void)state;
    Migration m;
    migration(&m, "id");
    ChildRoutes r = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    strlist_add(&r.tables, xstrdup("public.\"Events_2024_03\""));
    strlist_add(&r.when, xstrdup("(created_at < '2024-04-01') IS NOT FALSE"));
    strlist_add(&r.keyed, xstrdup("t"));
    strlist_add(&r.tables, xstrdup("public.\"Events_2024_04\""));
    strlist_add(&r.when, xstrdup("true"));
    strlist_add(&r.keyed, xstrdup("f"));
    char *sql = msql_replay_function(&m, true, &r);
    assert_non_null(strstr(sql, "CASE WHEN (created_at < '2024-04-01') IS NOT FALSE THEN 1"
                                " WHEN true THEN 2 ELSE 0 END AS pgstrata_child"
                                " FROM \"public\".\"Events\" s"));
    assert_non_null(strstr(sql, "i1 AS (INSERT INTO public.\"Events_2024_03\" (\"id\", "
                                "\"created_at\") OVERRIDING SYSTEM VALUE SELECT r.\"id\", "
                                "r.\"created_at\" FROM r WHERE r.pgstrata_child = 1 ON "
                                "CONFLICT (\"id\") DO NOTHING)"));
    /* a child without a unique index on the identity: no conflict to skip */
    assert_non_null(strstr(sql, "i2 AS (INSERT INTO public.\"Events_2024_04\""));
    assert_non_null(strstr(sql, "WHERE r.pgstrata_child = 2)"));
    assert_non_null(strstr(sql, "INSERT INTO \"public\".\"Events_pgs_old\" (\"id\", \"created_at\")"
                                " OVERRIDING SYSTEM VALUE SELECT r.\"id\", r.\"created_at\" FROM r"
                                " WHERE r.pgstrata_child = 0 ON CONFLICT (\"id\") DO NOTHING;"));
    free(sql);
    child_routes_free(&r);
    migration_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_conflicts),
        cmocka_unit_test(test_replay_routed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
