/* doctor: what is wrong with the partitioned tables of the database (any of
 * them, managed by pgstrata or not), and the fix for each. Exit status 0
 * healthy, 1 warnings, 2 errors found (or a table that is not partitioned). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/doctor_rules.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "db/catalog.h"
#include "db/doctor_read.h"
#include "report/doctor_html.h"
#include "report/doctor_report.h"

/* A span option in seconds (months count as 30 days). */
static bool span_seconds(const char *option, const char *text, double *out)
{
    if (!text)
        return true;
    Duration d;
    char err[256];
    if (!duration_parse(text, &d, err, sizeof(err)) || duration_is_zero(&d)) {
        cli_usage_error("invalid --%s \"%s\": %s", option, text,
                        duration_is_zero(&d) ? "must be longer than zero" : err);
        return false;
    }
    *out = (double)d.months * 30 * 86400 + (double)d.days * 86400 + (double)d.seconds;
    return true;
}

int cmd_doctor(Cli *cli)
{
    DocOptions thresholds;
    doc_options_default(&thresholds);
    if (!cli_names_valid(cli->args, cli->nargs) ||
        !span_seconds("vacuum-window", cli->vacuum_window, &thresholds.vacuum_window_s) ||
        !span_seconds("stale", cli->stale, &thresholds.stale_s))
        return EXIT_USAGE;
    if (cli->planning_partitions)
        thresholds.many_partitions = cli->planning_partitions;
    if (cli->planning_limit_ms >= 0)
        thresholds.plan_ms_limit = cli->planning_limit_ms;
    int code = EXIT_OK;
    Conn *c = cli_connect(cli, false, &code);
    if (!c)
        return code;
    size_t n = (size_t)cli->nargs;
    char **schemas = xcalloc(n + 1, sizeof(char *)), **tables = xcalloc(n + 1, sizeof(char *));
    char *err = NULL, *missing = NULL;
    code = EXIT_USAGE; /* doctor could not check: as loud as errors found */
    for (size_t i = 0; i < n; i++)
        if (!catalog_resolve(c, cli->args[i], &schemas[i], &tables[i], &err))
            goto fail;
    DocReadOptions ro = {
        .queries = cli->queries,
        .nqueries = (size_t)cli->nqueries,
        .measure_planning = !cli->no_explain,
        .use_pgss = !cli->no_explain,
        .thresholds = &thresholds,
        .now = cli->now,
    };
    DocDatabase db;
    if (!doctor_read(c, (const char *const *)schemas, (const char *const *)tables, n, &ro, &db,
                     &missing, &err))
        goto fail;
    if (missing) {
        cli_error("%s is not a partitioned table or an inheritance parent (or does not exist)",
                  missing);
        code = EXIT_USAGE;
    } else {
        DoctorReport r;
        doctor_rules(&db, &thresholds, &r);
        if (cli->json)
            cli_print_json(report_doctor_json(&r));
        else
            report_doctor_text(stdout, &r, isatty(fileno(stdout)) && !getenv("NO_COLOR"));
        code = doctor_exit_code(&r);
        if (cli->html && !report_doctor_html_file(cli->html, &db, &r, &err)) {
            cli_error("%s", err);
            code = EXIT_USAGE; /* the page asked for is missing: as loud as errors found */
        }
        doctor_report_free(&r);
    }
    doc_database_free(&db);
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
