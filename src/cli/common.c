/* What every command needs: a connection, names resolved, policies loaded. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/ident.h"
#include "core/snapshot.h"
#include "core/strbuf.h"
#include "db/catalog.h"
#include "db/policy_store.h"
#include "db/schema.h"

Conn *cli_connect(const Cli *cli, bool need_schema, int *code)
{
    char *err = NULL;
    Conn *c = conn_open(&cli->conn, &err);
    if (!c) {
        cli_error("could not connect: %s", err);
        free(err);
        *code = EXIT_CONNECT;
        return NULL;
    }
    char why[512];
    if (!catalog_server_supported(c, why, sizeof(why))) {
        cli_error("%s", why);
        conn_close(c);
        *code = EXIT_CONNECT;
        return NULL;
    }
    if (need_schema && !schema_check(c, &err)) {
        cli_error("%s", err);
        free(err);
        conn_close(c);
        *code = EXIT_FAILED;
        return NULL;
    }
    if (!catalog_check_now(c, cli->now, &err)) {
        cli_error("%s", err);
        free(err);
        conn_close(c);
        *code = EXIT_USAGE;
        return NULL;
    }
    return c;
}

bool cli_names_valid(char **args, int nargs)
{
    char why[512];
    for (int i = 0; i < nargs; i++) {
        char *schema = NULL, *table = NULL;
        bool ok = ident_parse_qualified(args[i], &schema, &table, why, sizeof(why));
        free(schema);
        free(table);
        if (!ok) {
            cli_error("%s", why);
            return false;
        }
    }
    return true;
}

bool cli_load_policies(Conn *c, const Cli *cli, char **args, int nargs, PolicyRow **rows, size_t *n)
{
    (void)cli;
    char **schemas = xcalloc((size_t)nargs + 1, sizeof(char *));
    char **tables = xcalloc((size_t)nargs + 1, sizeof(char *));
    bool ok = true;
    char *err = NULL;
    for (int i = 0; ok && i < nargs; i++) {
        if (!catalog_resolve(c, args[i], &schemas[i], &tables[i], &err)) {
            cli_error("%s", err);
            ok = false;
        }
    }
    if (ok && !policy_store_load(c, schemas, tables, (size_t)nargs, rows, n, &err)) {
        cli_error("%s", err);
        ok = false;
    }
    /* Every named table must have a policy. */
    for (int i = 0; ok && i < nargs; i++) {
        bool found = false;
        for (size_t k = 0; k < *n && !found; k++)
            found = strcmp((*rows)[k].policy.schema, schemas[i]) == 0 &&
                    strcmp((*rows)[k].policy.table, tables[i]) == 0;
        if (!found) {
            char *disp = ident_display(schemas[i], tables[i]);
            cli_error("%s has no pgstrata policy", disp);
            cli_hint("register it with \"pgstrata create %s --column COL --interval I\"", disp);
            free(disp);
            ok = false;
        }
    }
    if (!ok && *rows) {
        policy_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    for (int i = 0; i < nargs; i++) {
        free(schemas[i]);
        free(tables[i]);
    }
    free(schemas);
    free(tables);
    free(err);
    return ok;
}

bool cli_apply_policy_options(Conn *c, const Cli *cli, Policy *p, int *code)
{
    char why[512];
    for (int opt = 0; opt < POPT__COUNT; opt++) {
        const char *v = cli->policy_values[opt];
        if (!v)
            continue;
        if (!policy_apply(p, (PolicyOption)opt, v, why, sizeof(why))) {
            cli_error("%s", why);
            *code = EXIT_USAGE;
            return false;
        }
    }
    if (!policy_validate(p, why, sizeof(why))) {
        cli_error("%s", why);
        *code = EXIT_USAGE;
        return false;
    }
    char *err = NULL;
    if (cli->policy_values[POPT_TIME_ZONE] && !catalog_check_zone(c, p->time_zone, &err)) {
        cli_error("%s", err);
        free(err);
        *code = EXIT_USAGE;
        return false;
    }
    if (p->detach_schema) {
        bool exists = false;
        if (!catalog_schema_exists(c, p->detach_schema, &exists, &err)) {
            cli_error("%s", err);
            free(err);
            *code = EXIT_FAILED;
            return false;
        }
        if (!exists) {
            char *disp = ident_display(NULL, p->detach_schema);
            cli_error("--detach-schema: schema %s does not exist; create it first", disp);
            free(disp);
            *code = EXIT_FAILED;
            return false;
        }
    }
    return true;
}

void cli_print_json(cJSON *doc)
{
    char *text = cJSON_Print(doc);
    puts(text);
    free(text);
    cJSON_Delete(doc);
}
