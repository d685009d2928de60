/* daemon: the service that maintains many databases (src/daemon/). */
#include "cli/cli.h"
#include "daemon/daemon.h"

int cmd_daemon(Cli *cli)
{
    if (cli->nargs > 0)
        return cli_usage_error("\"pgstrata daemon\" takes no arguments: the databases and tables "
                               "are in its configuration file");
    if (!cli->config)
        return cli_usage_error("\"pgstrata daemon\" needs --config FILE (or --check-config FILE)");
    if (cli->check_config)
        return daemon_check_config(cli->config);
    return daemon_run(cli->config);
}
