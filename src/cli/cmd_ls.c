/* ls: every managed table, or every partition of one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "db/catalog.h"
#include "db/inventory.h"
#include "core/strbuf.h"
#include "db/policy_store.h"
#include "report/ls_report.h"

int cmd_ls(Cli *cli)
{
    if (cli->nargs > 1)
        return cli_usage_error("\"pgstrata ls\" takes at most one table");
    if (!cli_names_valid(cli->args, cli->nargs))
        return EXIT_USAGE;
    int code = EXIT_OK;
    Conn *c = cli_connect(cli, true, &code);
    if (!c)
        return code;
    char *err = NULL;
    PolicyRow *rows = NULL;
    size_t n = 0;
    TableRow *tables = NULL;
    code = EXIT_FAILED;
    if (!cli_load_policies(c, cli, cli->args, cli->nargs, &rows, &n))
        goto out;
    if (cli->nargs == 0) {
        if (!inventory_tables(c, rows, n, cli->now, true, &tables, &err))
            goto fail;
        if (cli->json)
            cli_print_json(report_tables_json(tables, n));
        else
            report_tables_text(stdout, tables, n);
        code = EXIT_OK;
        goto out;
    }
    PartRow *parts = NULL;
    size_t nparts = 0;
    tables = xcalloc(1, sizeof(TableRow));
    if (!inventory_partitions(c, &rows[0].policy, &parts, &nparts, &err) ||
        !inventory_table_from_parts(c, &rows[0], parts, nparts, cli->now, &tables[0], &err)) {
        part_rows_free(parts, nparts);
        goto fail;
    }
    if (cli->json)
        cli_print_json(report_parts_json(&tables[0], parts, nparts));
    else
        report_parts_text(stdout, &tables[0], parts, nparts);
    part_rows_free(parts, nparts);
    code = EXIT_OK;
    goto out;
fail:
    cli_error("%s", err);
out:
    free(err);
    table_rows_free(tables, n);
    policy_rows_free(rows, n);
    conn_close(c);
    return code;
}
