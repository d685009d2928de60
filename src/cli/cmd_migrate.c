/* migrate: the subcommands of the online re-layout. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "db/migrate_inspect.h"

static const char *const steps[] = {"start",    "backfill", "verify", "cutover",
                                    "rollback", "finish",   "status"};

int cmd_migrate(Cli *cli)
{
    if (cli->nargs < 1)
        return cli_usage_error("\"pgstrata migrate\" needs a subcommand: plan, start, backfill, "
                               "verify, cutover, rollback, finish or status");
    const char *sub = cli->args[0];
    if (strcmp(sub, "plan") == 0)
        return cmd_migrate_plan(cli, cli->args + 1, cli->nargs - 1);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (strcmp(sub, steps[i]) == 0)
            return cmd_migrate_step(cli, sub, cli->args + 1, cli->nargs - 1);
    return cli_usage_error("unknown migrate subcommand \"%s\"", sub);
}

int migrate_layout_args(const Cli *cli, const char *sub, char **column)
{
    if (!cli->column)
        return cli_usage_error("\"pgstrata migrate %s\" needs --column, the range partition key "
                               "of the new layout",
                               sub);
    if (!cli->policy_values[POPT_INTERVAL])
        return cli_usage_error("\"pgstrata migrate %s\" needs --interval, e.g. --interval "
                               "'1 day'",
                               sub);
    char why[512];
    if (!ident_parse(cli->column, column, why, sizeof(why))) {
        cli_error("--column: %s", why);
        return EXIT_USAGE;
    }
    return -1;
}

bool migrate_layout_policy(Conn *c, const Cli *cli, const char *schema, const char *table,
                           char *column, Policy *p, int *code)
{
    p->column = column;
    p->schema = xstrdup(schema);
    p->table = xstrdup(table);
    char *err = NULL;
    if (!migrate_source_key(c, schema, table, column, &p->key_type, &err)) {
        cli_error("%s", err);
        free(err);
        *code = EXIT_FAILED;
        return false;
    }
    return cli_apply_policy_options(c, cli, p, code);
}
