/* migrate plan: what re-laying a live table out as a RANGE-partitioned one
 * would do and meet, changing nothing. Exit 0 when migrate start would go on
 * (no blocker left by --accept), 1 when it would not or the table cannot be
 * used, 2 for a wrong command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/migrate.h"
#include "core/strbuf.h"
#include "db/catalog.h"
#include "db/migrate_inspect.h"
#include "report/migrate_report.h"

int cmd_migrate_plan(Cli *cli, char **args, int nargs)
{
    if (nargs != 1)
        return cli_usage_error("\"pgstrata migrate plan\" takes exactly one table");
    char *column = NULL;
    int usage = migrate_layout_args(cli, "plan", &column);
    if (usage >= 0)
        return usage;
    if (!cli_names_valid(args, 1)) {
        free(column);
        return EXIT_USAGE;
    }
    /* Read-only: works whether or not "pgstrata init" ran. */
    int code = EXIT_OK;
    Conn *c = cli_connect(cli, false, &code);
    if (!c) {
        free(column);
        return code;
    }
    Policy p;
    policy_init(&p);
    MigrateInspection m;
    memset(&m, 0, sizeof(m));
    char *err = NULL, *schema = NULL, *table = NULL;
    code = EXIT_FAILED;
    if (!catalog_resolve(c, args[0], &schema, &table, &err)) {
        free(column);
        goto fail;
    }
    bool usable = migrate_layout_policy(c, cli, schema, table, column, &p, &code);
    free(schema);
    free(table);
    if (!usable)
        goto out;
    code = EXIT_FAILED;
    if (!migrate_inspect(c, &p, cli->now, &m, &err))
        goto fail;
    if (cli->max_rate > 0) {
        double rows = 0, bytes = 0;
        for (size_t i = 0; i < m.nparts; i++) {
            rows += m.parts[i].est_rows;
            bytes += m.parts[i].est_bytes;
        }
        m.est_seconds = migrate_copy_seconds(rows, bytes, cli->max_rate);
    }
    MigrateReportOptions o = {
        .policy = &p, .accept = cli->accept, .max_rate = cli->max_rate, .quiet = cli->quiet};
    if (cli->json)
        cli_print_json(report_migrate_json(&m, &o));
    else
        report_migrate_text(stdout, &m, &o);
    code = migrate_unaccepted_blockers(&m, cli->accept) > 0 ? EXIT_FAILED : EXIT_OK;
    goto out;
fail:
    cli_error("%s", err);
out:
    free(err);
    migrate_inspection_free(&m);
    policy_free(&p);
    conn_close(c);
    return code;
}
