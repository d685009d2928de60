#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "db/schema.h"

int cmd_init(Cli *cli)
{
    if (cli->nargs > 0)
        return cli_usage_error("\"pgstrata init\" takes no arguments");
    int code = EXIT_OK;
    Conn *c = cli_connect(cli, false, &code);
    if (!c)
        return code;
    int from = 0;
    char *err = NULL;
    if (!schema_install(c, &from, &err)) {
        cli_error("%s", err);
        free(err);
        conn_close(c);
        return EXIT_FAILED;
    }
    int to = schema_latest_version();
    if (!cli->quiet) {
        if (from == to)
            printf("pgstrata schema is up to date (version %d)\n", to);
        else if (from == 0)
            printf("installed pgstrata schema version %d\n", to);
        else
            printf("upgraded pgstrata schema from version %d to %d\n", from, to);
    }
    conn_close(c);
    return EXIT_OK;
}
