/* doctor: what is wrong with the partitioned tables of the database (any of
 * them, managed by pgstrata or not), and the fix for each. Exit status 0
 * healthy, 1 warnings, 2 errors found (or a table that is not partitioned). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "db/catalog.h"
#include "db/doctor_checks.h"
#include "report/doctor_report.h"

int cmd_doctor(Cli *cli)
{
    if (!cli_names_valid(cli->args, cli->nargs))
        return EXIT_USAGE;
    int code = EXIT_OK;
    Conn *c = cli_connect(cli, false, &code);
    if (!c)
        return code;
    size_t n = (size_t)cli->nargs;
    char **schemas = xcalloc(n + 1, sizeof(char *)), **tables = xcalloc(n + 1, sizeof(char *));
    char *err = NULL, *missing = NULL;
    code = EXIT_FAILED;
    for (size_t i = 0; i < n; i++)
        if (!catalog_resolve(c, cli->args[i], &schemas[i], &tables[i], &err))
            goto fail;
    DoctorReport r;
    if (!doctor_check(c, (const char *const *)schemas, (const char *const *)tables, n, &r, &missing,
                      &err))
        goto fail;
    if (missing) {
        cli_error("%s is not a partitioned table (or does not exist)", missing);
        code = EXIT_USAGE;
    } else {
        if (cli->json)
            cli_print_json(report_doctor_json(&r));
        else
            report_doctor_text(stdout, &r);
        code = doctor_exit_code(&r);
    }
    doctor_report_free(&r);
    goto out;
fail:
    cli_error("%s", err);
out:
    free(err);
    free(missing);
    strings_free(schemas, n);
    strings_free(tables, n);
    conn_close(c);
    return code;
}
