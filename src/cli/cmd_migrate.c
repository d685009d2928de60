/* migrate: the subcommands of the online re-layout. */
#include <string.h>

#include "cli/cli.h"

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
