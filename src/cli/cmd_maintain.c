/* plan and maintain: read policies and the catalog, plan, print or run. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/ident.h"
#include "core/plan.h"
#include "core/strbuf.h"
#include "db/catalog.h"
#include "db/executor.h"
#include "db/migrate_steps.h"
#include "db/policy_store.h"
#include "report/plan_report.h"

/* One pgstrata at a time per table: a session advisory lock, released by
 * the server if this process dies. One query for all tables; with --wait,
 * tables are locked in a fixed order so two waiting runs cannot deadlock.
 * Returns which tables we hold, or NULL when the locks could not be asked for. */
static bool *lock_tables(Conn *c, const Policy *p, size_t n, bool wait)
{
    bool *held = xcalloc(n + 1, sizeof(bool));
    const char **sch = xcalloc(n + 1, sizeof(char *)), **tab = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        sch[i] = p[i].schema;
        tab[i] = p[i].table;
    }
    char *a = db_text_array(sch, n), *b = db_text_array(tab, n);
    const char *params[] = {a, b};
    DbResult *r = db_query(c,
                           wait ? "SELECT z.ord, pg_catalog.pg_advisory_lock(1885827956,"
                                  " pg_catalog.hashtext(z.s || '.' || z.t)) IS NULL"
                                  " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY"
                                  " AS z(s, t, ord) ORDER BY pg_catalog.hashtext(z.s || '.' || z.t)"
                                : "SELECT z.ord, pg_catalog.pg_try_advisory_lock(1885827956,"
                                  " pg_catalog.hashtext(z.s || '.' || z.t))"
                                  " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY"
                                  " AS z(s, t, ord)",
                           2, params);
    if (!r) {
        cli_error("could not take the maintenance locks: %s", conn_error(c));
        free(held);
        held = NULL;
    }
    for (int i = 0; i < db_rows(r); i++)
        held[db_get_ll(r, i, 0, 1) - 1] = wait || db_get_bool(r, i, 1);
    db_clear(r);
    free(a);
    free(b);
    free(sch);
    free(tab);
    return held;
}

/* Records the pass on the policies of the tables it held: when it ran, and,
 * for tables none of whose actions failed or was skipped (their audit rows
 * since the pass began, under this run id), when it last succeeded. */
static void mark_maintained(Conn *c, const Cli *cli, const Policy *p, size_t n, const bool *held,
                            const char *pass_start)
{
    const char **sch = xcalloc(n + 1, sizeof(char *)), **tab = xcalloc(n + 1, sizeof(char *));
    char **disp = xcalloc(n + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!held[i])
            continue;
        sch[k] = p[i].schema;
        tab[k] = p[i].table;
        disp[k++] = ident_display(p[i].schema, p[i].table);
    }
    char *a = db_text_array(sch, k), *b = db_text_array(tab, k);
    char *d = db_text_array((const char *const *)disp, k);
    const char *params[] = {a, b, d, cli->run_id ? cli->run_id : "", pass_start};
    if (!db_exec_params(c,
                        "UPDATE pgstrata.policy p SET last_maintained_at = pg_catalog.now(),"
                        " last_success_at = CASE WHEN EXISTS (SELECT 1 FROM pgstrata.audit a"
                        "  WHERE a.parent = z.d AND a.at >= $5::timestamptz AND a.run_id = $4"
                        "  AND a.outcome <> 'ok') THEN p.last_success_at ELSE pg_catalog.now() END"
                        " FROM unnest($1::text[], $2::text[], $3::text[]) AS z(s, t, d)"
                        " WHERE (p.parent_schema, p.parent_table) = (z.s, z.t)",
                        5, params))
        fprintf(stderr, "pgstrata: warning: could not record the pass: %s\n", conn_error(c));
    free(a);
    free(b);
    free(d);
    strings_free(disp, k);
    free(sch);
    free(tab);
}

/* The server's clock when the pass begins, for mark_maintained. */
static char *pass_clock(Conn *c)
{
    DbResult *r = db_query(c, "SELECT pg_catalog.now()::text", 0, NULL);
    char *t = xstrdup(r && db_get(r, 0, 0) ? db_get(r, 0, 0) : "-infinity");
    db_clear(r);
    return t;
}

/* A table left to another run, told to the daemon as a note. */
static void report_held_elsewhere(const Cli *cli, char *disp)
{
    Action a;
    memset(&a, 0, sizeof(a));
    a.kind = ACT_SKIP;
    a.table = a.target = disp;
    a.depends_on = -1;
    ActionEvent ev = {&a, "note", 0, 0, "another pgstrata run is maintaining it"};
    cli->on_action(cli->hook_arg, &ev);
}

static int count_errors(const Plan *plan)
{
    int n = 0;
    for (size_t i = 0; i < plan->n; i++)
        n += plan->actions[i].kind == ACT_ERROR;
    return n;
}

/* Names of cached partitions that the actions of one table act on, with the
 * oid each name was cached for. */
typedef struct NameCheck {
    unsigned int *relids;
    StrList schemas, names;
} NameCheck;

static void name_check_free(NameCheck *nc)
{
    free(nc->relids);
    strlist_free(&nc->schemas);
    strlist_free(&nc->names);
    memset(nc, 0, sizeof(*nc));
}

static void collect_cached_names(const TableSnapshot *t, const Plan *plan, size_t from,
                                 NameCheck *nc)
{
    for (size_t i = 0; from < plan->n && i < t->nparts; i++) {
        const PartitionInfo *pi = &t->parts[i];
        if (!pi->name_cached)
            continue;
        char *disp = ident_display(t->policy.schema, pi->name);
        bool used = false;
        for (size_t a = from; a < plan->n && !used; a++)
            used = plan->actions[a].target && strcmp(plan->actions[a].target, disp) == 0;
        free(disp);
        if (!used)
            continue;
        nc->relids = xrealloc(nc->relids, (nc->names.n + 1) * sizeof(unsigned int));
        nc->relids[nc->names.n] = pi->relid;
        strlist_add(&nc->schemas, xstrdup(t->policy.schema));
        strlist_add(&nc->names, xstrdup(pi->name));
    }
}

/* Whether actions [from, end) attach or detach partitions. */
static bool changes_partitions(const Plan *plan, size_t from)
{
    for (size_t i = from; i < plan->n; i++) {
        ActionKind k = plan->actions[i].kind;
        if (k == ACT_ATTACH || k == ACT_MOVE_DEFAULT || k == ACT_DETACH || k == ACT_FINALIZE)
            return true;
    }
    return false;
}

/* Plans the given policies. held (NULL for a plan that only prints) says
 * which to include; a pass that runs also refreshes the partition cache. A
 * partition renamed by hand keeps a stale cached name: when an action would
 * use one, the plan is made again from the catalog alone (a pass then
 * rewrites the cache), so no action ever names the wrong table. */
static bool build_plan(Conn *c, const Cli *cli, const Policy *policies, const bool *creation_only,
                       size_t n, const bool *held, Plan *plan)
{
    Policy *chosen = xcalloc(n + 1, sizeof(Policy));
    bool *only = xcalloc(n + 1, sizeof(bool));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (held && !held[i])
            continue;
        only[k] = creation_only && creation_only[i];
        chosen[k++] = policies[i]; /* shallow: snapshots copy what they keep */
    }
    bool ok = true;
    for (int attempt = 0; attempt < 2; attempt++) {
        TableSnapshot *snaps = NULL;
        char *err = NULL;
        NameCheck nc;
        memset(&nc, 0, sizeof(nc));
        ok = catalog_snapshots(c, chosen, k, cli->now,
                               attempt ? CATALOG_BYPASS_CACHE : CATALOG_READ_CACHE, &snaps, &err);
        bool *acts = xcalloc(k + 1, sizeof(bool));
        if (ok) {
            ServerInfo server;
            catalog_server_info(c, &server);
            for (size_t i = 0; i < k; i++) {
                PlanOptions opts = {.creation_only = only[i],
                                    .default_move_max_rows = cli->move_default_max_rows,
                                    .hold_destructive = cli->hold_destructive};
                size_t from = plan->n;
                plan_table(plan, &snaps[i], &server, &opts);
                acts[i] = changes_partitions(plan, from);
                collect_cached_names(&snaps[i], plan, from, &nc);
            }
            server_info_free(&server);
        }
        bool current = true;
        if (ok && nc.names.n)
            ok = catalog_names_current(c, nc.relids, (const char *const *)nc.schemas.items,
                                       (const char *const *)nc.names.items, nc.names.n, &current,
                                       &err);
        if (ok && !current && attempt == 1) {
            err = xstrdup("partitions were renamed while the pass was being planned; nothing "
                          "was done, run it again");
            ok = false;
        }
        /* a pass caches what it read afresh, except tables whose partitions it changes */
        if (ok && current && held)
            catalog_remember_partitions(c, snaps, k, acts);
        free(acts);
        name_check_free(&nc);
        snapshots_free(snaps, k);
        if (!ok) {
            cli_error("%s", err);
            free(err);
        }
        if (!ok || current)
            break;
        plan_free(plan);
        plan_init(plan);
    }
    free(chosen);
    free(only);
    return ok;
}

int run_pass(Conn *c, const Cli *cli, const Policy *policies, const bool *creation_only, size_t n,
             bool execute)
{
    bool *held = NULL;
    char *started = NULL;
    if (execute) {
        started = pass_clock(c);
        held = lock_tables(c, policies, n, cli->wait);
        if (!held) {
            free(started);
            return EXIT_FAILED;
        }
        for (size_t i = 0; i < n; i++) {
            if (held[i])
                continue;
            char *disp = ident_display(policies[i].schema, policies[i].table);
            if (cli->on_action)
                report_held_elsewhere(cli, disp);
            else if (!cli->quiet)
                printf("skipped %s: another pgstrata run is maintaining it\n", disp);
            free(disp);
        }
    }
    if (interrupted()) {
        cli_error("interrupted: nothing was changed");
        free(held);
        free(started);
        return EXIT_FAILED;
    }
    Plan plan;
    plan_init(&plan);
    if (!build_plan(c, cli, policies, creation_only, n, held, &plan)) {
        plan_free(&plan);
        free(held);
        free(started);
        return EXIT_FAILED;
    }
    int code = count_errors(&plan) ? EXIT_FAILED : EXIT_OK;
    if (!execute) {
        if (cli->json)
            cli_print_json(report_plan_json(&plan));
        else
            report_plan_text(stdout, &plan, cli->dry_run);
        for (size_t i = 0; i < plan.n; i++)
            if (plan.actions[i].kind == ACT_ERROR && cli->json)
                fprintf(stderr, "pgstrata: error: %s: %s\n", plan.actions[i].table,
                        plan.actions[i].why);
        plan_free(&plan);
        return code;
    }
    ExecOptions eo = {.run_id = cli->run_id,
                      .retry_budget_s = cli->retry_budget_s,
                      .quiet = cli->quiet || cli->json,
                      .on_action = cli->on_action,
                      .hook_arg = cli->hook_arg};
    ExecResult res;
    exec_plan_parallel(c, &plan, &eo, cli->jobs, &res);
    mark_maintained(c, cli, policies, n, held, started);
    free(started);
    size_t tables = 0;
    for (size_t i = 0; i < n; i++)
        tables += held[i];
    if (cli->json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddNumberToObject(doc, "tables", (double)tables);
        cJSON_AddNumberToObject(doc, "skipped_tables", (double)(n - tables));
        cJSON_AddNumberToObject(doc, "ok", res.ok);
        cJSON_AddNumberToObject(doc, "failed", res.failed);
        cJSON_AddNumberToObject(doc, "skipped", res.skipped);
        cJSON_AddNumberToObject(doc, "lock_retries", res.retries);
        cJSON_AddItemToObject(doc, "plan", report_plan_json(&plan));
        cli_print_json(doc);
    } else {
        printf("%s %zu table%s: %d action%s done, %d failed, %d skipped, %d lock retr%s\n",
               res.failed ? "maintained (with failures)" : "maintained", tables,
               tables == 1 ? "" : "s", res.ok, res.ok == 1 ? "" : "s", res.failed, res.skipped,
               res.retries, res.retries == 1 ? "y" : "ies");
    }
    plan_free(&plan);
    free(held);
    return res.failed || interrupted() ? EXIT_FAILED : EXIT_OK;
}

/* The policies of the tables named (all when none), then one pass. */
static int pass_on(Conn *c, const Cli *cli, bool execute)
{
    PolicyRow *rows = NULL;
    size_t n = 0;
    if (!cli_load_policies(c, cli, cli->args, cli->nargs, &rows, &n))
        return EXIT_FAILED;
    /* Age tiers and a second level are columns a newer pgstrata fills: such a
     * policy means more than this version can plan, so it is left alone. */
    StrList busy_s = {NULL, 0}, busy_t = {NULL, 0};
    bool *frozen = NULL;
    char *err = NULL;
    if (!mstep_busy_tables(c, &busy_s, &busy_t, &frozen, &err)) {
        cli_error("%s", err);
        free(err);
        policy_rows_free(rows, n);
        return EXIT_FAILED;
    }
    Policy *policies = xcalloc(n + 1, sizeof(Policy));
    bool *limited = xcalloc(n + 1, sizeof(bool));
    size_t k = 0;
    int refused = 0;
    for (size_t i = 0; i < n; i++) {
        const Policy *p = &rows[i].policy;
        size_t j = 0;
        while (j < busy_t.n &&
               (strcmp(busy_s.items[j], p->schema) != 0 || strcmp(busy_t.items[j], p->table) != 0))
            j++;
        bool busy = j < busy_t.n;
        if (busy && !cli->quiet && !cli->json && !cli->on_action) {
            char *disp = ident_display(p->schema, p->table);
            if (frozen[j])
                printf("skipped %s: a migration keeps it as it is for a rollback; \"pgstrata "
                       "migrate status\" says where it is\n",
                       disp);
            else
                printf("limited %s: a migration is re-laying it out; only new partitions are "
                       "made until it is finished\n",
                       disp);
            free(disp);
        }
        if (busy && frozen[j])
            continue;
        if (!rows[i].has_reserved) {
            limited[k] = busy;
            policies[k++] = *p;
            continue;
        }
        char *disp = ident_display(p->schema, p->table);
        cli_error("the policy of %s uses age tiers or a second partition level, which this "
                  "pgstrata does not know; use a newer pgstrata for it",
                  disp);
        free(disp);
        refused++;
    }
    strlist_free(&busy_s);
    strlist_free(&busy_t);
    free(frozen);
    int code = run_pass(c, cli, policies, limited, k, execute);
    if (refused && code == EXIT_OK)
        code = EXIT_FAILED;
    free(limited);
    free(policies);
    policy_rows_free(rows, n);
    return code;
}

int maintain_on(Conn *c, const Cli *cli)
{
    return pass_on(c, cli, true);
}

static int plan_or_maintain(Cli *cli, bool execute)
{
    if (!cli_names_valid(cli->args, cli->nargs))
        return EXIT_USAGE;
    int code = EXIT_OK;
    Conn *c = cli_connect(cli, true, &code);
    if (!c)
        return code;
    code = pass_on(c, cli, execute);
    conn_close(c);
    return code;
}

int cmd_plan(Cli *cli)
{
    return plan_or_maintain(cli, false);
}

int cmd_maintain(Cli *cli)
{
    return plan_or_maintain(cli, !cli->dry_run);
}
