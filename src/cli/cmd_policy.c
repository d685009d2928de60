/* policy list | show | set | drop */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "db/policy_store.h"
#include "report/json_fields.h"
#include "report/text_table.h"

/* The policy's fields as (name, text) pairs, shared by text and JSON. */
typedef struct Field {
    const char *name;
    char *value; /* owned; NULL = not set */
} Field;

enum { N_FIELDS = 18 };

static void policy_fields(const PolicyRow *row, Field f[N_FIELDS])
{
    const Policy *p = &row->policy;
    char iv[48], delay[96];
    interval_format(&p->interval, iv);
    duration_format(&p->drop_delay, delay);
    Field all[N_FIELDS] = {
        {"table", ident_display(p->schema, p->table)},
        {"column", xstrdup(p->column)},
        {"key_type", xstrdup(key_type_name(p->key_type))},
        {"interval", xstrdup(iv)},
        {"premake", policy_premake_text(p)},
        {"start", policy_start_text(p)},
        {"retention", policy_retention_text(p)},
        {"retention_mode", xstrdup(retention_mode_name(p->retention_mode))},
        {"archive_command", xstrdup_or_null(p->archive_command)},
        {"detach_schema", xstrdup_or_null(p->detach_schema)},
        {"drop_delay", xstrdup(delay)},
        {"window", policy_window_text(p)},
        {"time_zone", xstrdup(p->time_zone)},
        {"lock_timeout", xasprintf("%dms", p->lock_timeout_ms)},
        {"analyze", xstrdup(analyze_mode_name(p->analyze))},
        {"created_at", xstrdup_or_null(row->created_at)},
        {"last_maintained_at", xstrdup_or_null(row->last_maintained_at)},
        {"last_analyzed_at", xstrdup_or_null(row->last_analyzed_at)},
    };
    memcpy(f, all, sizeof(all));
}

static void fields_free(Field f[N_FIELDS])
{
    for (int i = 0; i < N_FIELDS; i++)
        free(f[i].value);
}

static cJSON *policy_json(const PolicyRow *row)
{
    Field f[N_FIELDS];
    policy_fields(row, f);
    cJSON *o = cJSON_CreateObject();
    json_add_string_or_null(o, "schema", row->policy.schema);
    json_add_string_or_null(o, "table_name", row->policy.table);
    for (int i = 0; i < N_FIELDS; i++)
        json_add_string_or_null(o, f[i].name, f[i].value);
    fields_free(f);
    return o;
}

static int policy_list(Conn *c, const Cli *cli)
{
    PolicyRow *rows = NULL;
    size_t n = 0;
    if (!cli_load_policies(c, cli, NULL, 0, &rows, &n))
        return EXIT_FAILED;
    if (cli->json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, policy_json(&rows[i]));
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddItemToObject(doc, "policies", arr);
        cli_print_json(doc);
    } else if (n == 0) {
        printf("no policies; register one with \"pgstrata create TABLE --column COL "
               "--interval I\"\n");
    } else {
        const char *headers[] = {"table",     "column", "interval", "premake",
                                 "retention", "mode",   "window"};
        TextTable *t = text_table_new(7, headers, NULL);
        for (size_t i = 0; i < n; i++) {
            Field f[N_FIELDS];
            policy_fields(&rows[i], f);
            const char *cells[] = {f[0].value,
                                   f[1].value,
                                   f[3].value,
                                   f[4].value,
                                   f[6].value ? f[6].value : "keep all",
                                   f[7].value,
                                   f[11].value ? f[11].value : "any time"};
            text_table_add_row(t, cells);
            fields_free(f);
        }
        text_table_print(t, stdout);
        text_table_free(t);
    }
    policy_rows_free(rows, n);
    return EXIT_OK;
}

static int policy_show(Conn *c, const Cli *cli, char **args)
{
    PolicyRow *rows = NULL;
    size_t n = 0;
    if (!cli_load_policies(c, cli, args, 1, &rows, &n))
        return EXIT_FAILED;
    if (cli->json) {
        cli_print_json(policy_json(&rows[0]));
    } else {
        Field f[N_FIELDS];
        policy_fields(&rows[0], f);
        for (int i = 0; i < N_FIELDS; i++)
            printf("%-19s %s\n", f[i].name, f[i].value ? f[i].value : "-");
        fields_free(f);
    }
    policy_rows_free(rows, n);
    return EXIT_OK;
}

static int policy_set(Conn *c, const Cli *cli, char **args)
{
    bool any = false;
    for (int i = 0; i < POPT__COUNT; i++)
        any = any || cli->policy_values[i];
    if (!any)
        return cli_usage_error("\"pgstrata policy set\" needs at least one policy option, e.g. "
                               "--retention '90 days'");
    PolicyRow *rows = NULL;
    size_t n = 0;
    if (!cli_load_policies(c, cli, args, 1, &rows, &n))
        return EXIT_FAILED;
    int code = EXIT_OK;
    char *err = NULL;
    Policy *p = &rows[0].policy;
    if (!cli_apply_policy_options(c, cli, p, &code)) {
        /* code set */
    } else if (!policy_store_update(c, p, &err)) {
        cli_error("%s", err);
        code = EXIT_FAILED;
    } else if (!cli->quiet) {
        char *disp = ident_display(p->schema, p->table);
        printf("updated the policy of %s; \"pgstrata plan %s\" shows what changes\n", disp, disp);
        free(disp);
    }
    free(err);
    policy_rows_free(rows, n);
    return code;
}

static int policy_drop(Conn *c, const Cli *cli, char **args)
{
    PolicyRow *rows = NULL;
    size_t n = 0;
    if (!cli_load_policies(c, cli, args, 1, &rows, &n))
        return EXIT_FAILED;
    char *err = NULL;
    const Policy *p = &rows[0].policy;
    bool found = policy_store_delete(c, p->schema, p->table, &err);
    int code = EXIT_OK;
    if (err) {
        cli_error("%s", err);
        code = EXIT_FAILED;
    } else if (found && !cli->quiet) {
        char *disp = ident_display(p->schema, p->table);
        printf("dropped the policy of %s; its partitions are untouched\n", disp);
        free(disp);
    }
    free(err);
    policy_rows_free(rows, n);
    return code;
}

int cmd_policy(Cli *cli)
{
    if (cli->nargs < 1)
        return cli_usage_error("\"pgstrata policy\" needs a subcommand: list, show, set or drop");
    const char *sub = cli->args[0];
    int want = strcmp(sub, "list") == 0 ? 0 : 1;
    if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 && strcmp(sub, "set") != 0 &&
        strcmp(sub, "drop") != 0)
        return cli_usage_error("unknown policy subcommand \"%s\": use list, show, set or drop",
                               sub);
    if (cli->nargs - 1 != want)
        return cli_usage_error(want ? "\"pgstrata policy %s\" takes exactly one table"
                                    : "\"pgstrata policy %s\" takes no table",
                               sub);
    bool changes = strcmp(sub, "set") == 0;
    for (int i = 0; !changes && i < POPT__COUNT; i++)
        if (cli->policy_values[i])
            return cli_usage_error("policy options apply to \"pgstrata policy set\" only");
    char **args = cli->args + 1;
    if (!cli_names_valid(args, cli->nargs - 1))
        return EXIT_USAGE;
    int code = EXIT_OK;
    Conn *c = cli_connect(cli, true, &code);
    if (!c)
        return code;
    if (strcmp(sub, "list") == 0)
        code = policy_list(c, cli);
    else if (strcmp(sub, "show") == 0)
        code = policy_show(c, cli, args);
    else if (strcmp(sub, "set") == 0)
        code = policy_set(c, cli, args);
    else
        code = policy_drop(c, cli, args);
    conn_close(c);
    return code;
}
