/* advise: the layout one range-partitioned table should have, from its real
 * growth, and the migrate commands to get there (core/advise.h). Read-only;
 * needs no pgstrata schema. Exit 0 with a recommendation (change or keep), 1
 * when the table cannot be advised (unknown, not partitioned, no data, ...),
 * 2 for a wrong command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/advise.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "db/catalog.h"
#include "db/doctor_read.h"
#include "db/migrate_inspect.h"
#include "db/schema.h"
#include "report/advise_report.h"

/* Why schema.table is not in the model: it does not exist, or is not a
 * partitioned table or an inheritance set. */
static void not_partitioned(Conn *c, const char *schema, const char *table)
{
    char kind = '\0', *err = NULL;
    char *disp = ident_display(schema, table);
    if (!catalog_relkind(c, schema, table, &kind, &err)) {
        cli_error("%s", err);
        free(err);
    } else if (kind == '\0') {
        cli_error("table %s does not exist", disp);
    } else if (kind == 'r') {
        cli_error("%s is not partitioned: advise measures the growth of a table's partitions",
                  disp);
        StrBuf word;
        sb_init(&word);
        sb_shell_quoted(&word, disp);
        cli_hint("to partition it, choose a column and an interval: pgstrata migrate plan %s "
                 "--column COL --interval I",
                 word.data);
        sb_free(&word);
    } else {
        cli_error("%s is not a partitioned table", disp);
    }
    free(disp);
}

static bool schema_installed(Conn *c)
{
    char *err = NULL;
    bool ok = schema_check(c, &err);
    free(err);
    return ok;
}

/* What migrate plan finds against the advised layout: the commands accept
 * what can be accepted (and say so), and are not printed when a blocker
 * cannot be, so that they work as printed. */
static bool check_blockers(const Cli *cli, Conn *c, const DocTable *t, Advice *a)
{
    Policy p;
    MigrateInspection ins;
    memset(&ins, 0, sizeof(ins));
    char *err = NULL;
    advise_policy(t, a, &p);
    bool ok = migrate_inspect(c, &p, cli->now, &ins, &err);
    if (ok)
        advise_blockers(t, a, ins.findings, ins.nfindings);
    else
        cli_error("could not inspect the advised layout as migrate plan would: %s", err);
    free(err);
    migrate_inspection_free(&ins);
    policy_free(&p);
    return ok;
}

static int advise_one(Cli *cli, Conn *c, const char *schema, const char *table)
{
    DocOptions thresholds;
    doc_options_default(&thresholds);
    thresholds.many_partitions = 0; /* measure the planning time whatever the count */
    DocReadOptions ro = {.measure_planning = true, .thresholds = &thresholds, .now = cli->now};
    DocDatabase db;
    char *err = NULL, *missing = NULL;
    if (!doctor_read(c, &schema, &table, 1, &ro, &db, &missing, &err)) {
        cli_error("%s", err);
        free(err);
        return EXIT_FAILED;
    }
    if (missing || db.ntables == 0) {
        free(missing);
        doc_database_free(&db);
        not_partitioned(c, schema, table);
        return EXIT_FAILED;
    }
    AdviseOptions o = {cli->target_bytes, schema_installed(c)};
    Advice a;
    advise_table(&db.tables[0], &db.server, &o, &a);
    if (a.commands.n && !check_blockers(cli, c, &db.tables[0], &a)) {
        advice_free(&a);
        doc_database_free(&db);
        return EXIT_FAILED;
    }
    int code = a.verdict == ADVISE_CANNOT ? EXIT_FAILED : EXIT_OK;
    if (cli->json) {
        cli_print_json(report_advise_json(&a));
    } else if (a.verdict == ADVISE_CANNOT) {
        char *why = advise_why_text(&a);
        cli_error("cannot advise: %s", why);
        free(why);
    } else {
        report_advise_text(stdout, &a);
    }
    advice_free(&a);
    doc_database_free(&db);
    return code;
}

int cmd_advise(Cli *cli)
{
    if (cli->nargs != 1)
        return cli_usage_error("\"pgstrata advise\" takes exactly one table");
    if (!cli_names_valid(cli->args, 1))
        return EXIT_USAGE;
    int code = EXIT_OK;
    Conn *c = cli_connect(cli, false, &code);
    if (!c)
        return code;
    char *schema = NULL, *table = NULL, *err = NULL;
    if (catalog_resolve(c, cli->args[0], &schema, &table, &err)) {
        code = advise_one(cli, c, schema, table);
    } else {
        cli_error("%s", err);
        code = EXIT_FAILED;
    }
    free(err);
    free(schema);
    free(table);
    conn_close(c);
    return code;
}
