/* create: check the table, build the policy, show or make the first partitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/ident.h"
#include "core/plan.h"
#include "core/strbuf.h"
#include "db/catalog.h"
#include "db/policy_store.h"

/* Refuses a table whose partitions already leave gaps: nothing is registered. */
static bool check_existing_layout(Conn *c, const Cli *cli, const Policy *p)
{
    TableSnapshot *snap = NULL;
    char *err = NULL;
    bool ok = catalog_snapshots(c, p, 1, cli->now, CATALOG_READ_CACHE, &snap, &err);
    if (!ok) {
        cli_error("%s", err);
    } else {
        char why[1024];
        ok = snapshot_check_contiguous(&snap[0], why, sizeof(why));
        if (!ok) {
            char *disp = ident_display(p->schema, p->table);
            cli_error("%s: %s", disp, why);
            free(disp);
        }
    }
    free(err);
    snapshots_free(snap, 1);
    return ok;
}

static bool policy_exists(Conn *c, const char *schema, const char *table, bool *exists)
{
    PolicyRow *rows = NULL;
    size_t n = 0;
    char *err = NULL;
    char *sch = xstrdup(schema), *tab = xstrdup(table);
    bool ok = policy_store_load(c, &sch, &tab, 1, &rows, &n, &err);
    if (!ok) {
        cli_error("%s", err);
        free(err);
    }
    *exists = n > 0;
    policy_rows_free(rows, n);
    free(sch);
    free(tab);
    return ok;
}

int cmd_create(Cli *cli)
{
    if (cli->nargs != 1)
        return cli_usage_error("\"pgstrata create\" takes exactly one table");
    if (!cli->column)
        return cli_usage_error("\"pgstrata create\" needs --column, the range partition key");
    if (!cli->policy_values[POPT_INTERVAL])
        return cli_usage_error("\"pgstrata create\" needs --interval, e.g. --interval '1 day'");
    if (!cli_names_valid(cli->args, 1))
        return EXIT_USAGE;
    char why[512];
    char *column = NULL;
    if (!ident_parse(cli->column, &column, why, sizeof(why))) {
        cli_error("--column: %s", why);
        return EXIT_USAGE;
    }
    int code = EXIT_OK;
    Conn *c = cli_connect(cli, true, &code);
    if (!c) {
        free(column);
        return code;
    }
    Policy p;
    policy_init(&p);
    p.column = column;
    char *err = NULL;
    bool exists = false;
    code = EXIT_FAILED;
    if (!catalog_resolve(c, cli->args[0], &p.schema, &p.table, &err))
        goto fail;
    if (!catalog_check_partitioned(c, p.schema, p.table, p.column, &p.key_type, &err))
        goto fail;
    if (!policy_exists(c, p.schema, p.table, &exists))
        goto out;
    if (exists) {
        char *disp = ident_display(p.schema, p.table);
        err = xasprintf("%s already has a policy; change it with \"pgstrata policy set %s ...\"",
                        disp, disp);
        free(disp);
        goto fail;
    }
    if (!cli_apply_policy_options(c, cli, &p, &code))
        goto out;
    code = EXIT_FAILED;
    const bool creation_only = true; /* create retires nothing: maintain does */
    if (!check_existing_layout(c, cli, &p))
        goto out;
    if (cli->dry_run) {
        code = run_pass(c, cli, &p, &creation_only, 1, false);
        goto out;
    }
    if (!policy_store_insert(c, &p, &err))
        goto fail;
    if (!cli->quiet) {
        char iv[48];
        interval_format(&p.interval, iv);
        char *disp = ident_display(p.schema, p.table);
        char *ret = policy_retention_text(&p);
        char *pre = policy_premake_text(&p);
        printf("registered %s: a partition per %s of %s (%s), premake %s, retention %s%s%s\n", disp,
               iv, p.column, key_type_name(p.key_type), pre, ret ? ret : "none", ret ? ", " : "",
               ret ? retention_mode_name(p.retention_mode) : "");
        free(disp);
        free(ret);
        free(pre);
    }
    code = run_pass(c, cli, &p, &creation_only, 1, true);
    if (p.retention.set && !cli->quiet)
        printf("partitions past retention, if any, are retired by \"pgstrata maintain\"; see "
               "\"pgstrata plan\" first\n");
    goto out;
fail:
    cli_error("%s", err);
out:
    free(err);
    policy_free(&p);
    conn_close(c);
    return code;
}
