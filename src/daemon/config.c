/* The daemon's YAML configuration: every key declared once in the tables
 * below, each with its parser; the document is walked node by node so that
 * every message names the line it is about. */
#include "daemon/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/ident.h"
#include "core/strbuf.h"
#include "daemon/config_int.h"

/* ---- one mapping's keys ---------------------------------------------------- */

/* Calls each(key, value) for every pair, after checking the keys are
 * scalars given once. */
typedef bool (*PairFn)(Reader *r, const char *key, const yaml_node_t *k, const yaml_node_t *v,
                       void *arg);

static bool each_pair(Reader *r, const yaml_node_t *map, PairFn fn, void *arg)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = cfg_node(r, p->key), *v = cfg_node(r, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return cfg_fail(r, k, "a key must be a plain name, found %s", cfg_shape(k));
        const char *key = (const char *)k->data.scalar.value;
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            const yaml_node_t *k2 = cfg_node(r, q->key);
            if (k2->type == YAML_SCALAR_NODE &&
                strcmp((const char *)k2->data.scalar.value, key) == 0)
                return cfg_fail(r, k, "key \"%s\" given twice (first on line %d)", key,
                                cfg_line(k2));
        }
        if (!fn(r, key, k, v, arg))
            return false;
    }
    return true;
}

static bool unknown(Reader *r, const yaml_node_t *k, const char *key, const char *const *own,
                    bool with_pass)
{
    StrBuf sb;
    sb_init(&sb);
    for (size_t i = 0; own[i]; i++)
        sb_printf(&sb, "%s%s", i ? ", " : "", own[i]);
    for (size_t i = 0; with_pass && cfg_pass_key(i); i++)
        sb_printf(&sb, ", %s", cfg_pass_key(i));
    cfg_fail(r, k, "unknown key \"%s\" (known here: %s)", key, sb.data);
    sb_free(&sb);
    return false;
}

/* ---- a database ------------------------------------------------------------ */

typedef struct DbRead {
    DbConfig *db;
    Partial own;
    bool has_conninfo, has_service;
} DbRead;

static bool valid_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              strchr("_.-", *c)))
            return false;
    return true;
}

static bool set_tables(Reader *r, const yaml_node_t *v, DbConfig *db)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return cfg_fail(r, v, "tables: expected a list of table names, found %s", cfg_shape(v));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        const yaml_node_t *t = cfg_node(r, *it);
        const char *name = cfg_scalar(r, t, "tables");
        char why[512], *s = NULL, *n = NULL;
        if (!name)
            return false;
        bool ok = ident_parse_qualified(name, &s, &n, why, sizeof(why));
        free(s);
        free(n);
        if (!ok)
            return cfg_fail(r, t, "tables: %s", why);
        db->tables = xrealloc(db->tables, (db->ntables + 1) * sizeof(char *));
        db->tables[db->ntables++] = xstrdup(name);
    }
    if (db->ntables == 0)
        return cfg_fail(r, v, "tables: the list is empty (leave the key out for every table)");
    return true;
}

static bool db_pair(Reader *r, const char *key, const yaml_node_t *k, const yaml_node_t *v,
                    void *arg)
{
    DbRead *d = arg;
    DbConfig *db = d->db;
    static const char *const own[] = {"name", "conninfo", "service", "tables", "enabled", NULL};
    PassSetter set = cfg_pass_setter(key);
    if (set)
        return set(r, v, &d->own);
    const char *s;
    if (strcmp(key, "name") == 0) {
        if (!(s = cfg_scalar(r, v, key)))
            return false;
        if (!valid_label(s))
            return cfg_fail(r, v, "name: \"%s\" must be 1 to 63 letters, digits, '_', '.' or '-'",
                            s);
        db->name = xstrdup(s);
    } else if (strcmp(key, "conninfo") == 0) {
        if (!(s = cfg_scalar(r, v, key)))
            return false;
        char *why = NULL;
        if (r->checks && r->checks->conninfo && !r->checks->conninfo(s, &why)) {
            cfg_fail(r, v, "conninfo: %s", why);
            free(why);
            return false;
        }
        free(db->conninfo);
        db->conninfo = xstrdup(s);
        d->has_conninfo = true;
    } else if (strcmp(key, "service") == 0) {
        if (!(s = cfg_scalar(r, v, key)))
            return false;
        if (!valid_label(s))
            return cfg_fail(r, v,
                            "service: \"%s\" is not a service name (letters, digits, '_', '.', "
                            "'-')",
                            s);
        free(db->conninfo);
        db->conninfo = xasprintf("service=%s", s);
        d->has_service = true;
    } else if (strcmp(key, "tables") == 0) {
        return set_tables(r, v, db);
    } else if (strcmp(key, "enabled") == 0) {
        if (!(s = cfg_scalar(r, v, key)))
            return false;
        if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0)
            db->enabled = true;
        else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "off") == 0)
            db->enabled = false;
        else
            return cfg_fail(r, v, "enabled: \"%s\" is not true or false", s);
    } else {
        return unknown(r, k, key, own, true);
    }
    return true;
}

static bool read_db(Reader *r, const yaml_node_t *n, const Partial *top, DbConfig *db, int index)
{
    char where[48];
    snprintf(where, sizeof(where), "database %d: ", index + 1);
    r->where = where;
    db->enabled = true;
    db->line = cfg_line(n);
    bool ok;
    if (n->type != YAML_MAPPING_NODE) {
        ok = cfg_fail(r, n, "expected a mapping (name, conninfo or service, ...), found %s",
                      cfg_shape(n));
    } else {
        DbRead d = {db, {0}, false, false};
        ok = each_pair(r, n, db_pair, &d);
        if (ok && !db->name)
            ok = cfg_fail(r, n, "needs a name (its label in logs and metrics)");
        if (ok && d.has_conninfo && d.has_service)
            ok = cfg_fail(r, n, "give conninfo or service, not both");
        if (ok && !db->conninfo)
            ok = cfg_fail(r, n,
                          "needs conninfo (a conninfo string or URI) or service (a name in "
                          "pg_service.conf)");
        ok = ok && cfg_resolve(r, top, &d.own, &db->pass);
        cfg_partial_free(&d.own);
    }
    r->where = "";
    return ok;
}

/* ---- the top level --------------------------------------------------------- */

typedef struct TopRead {
    Config *cfg;
    Partial top;
    const yaml_node_t *databases;
    const yaml_node_t *root;
} TopRead;

static bool metrics_pair(Reader *r, const char *key, const yaml_node_t *k, const yaml_node_t *v,
                         void *arg)
{
    Config *cfg = arg;
    static const char *const own[] = {"listen", NULL};
    if (strcmp(key, "listen") != 0)
        return unknown(r, k, key, own, false);
    const char *s = cfg_scalar(r, v, "metrics: listen");
    char why[256];
    if (!s)
        return false;
    if (strcmp(s, "off") == 0)
        return true;
    if (!config_parse_listen(s, &cfg->listen_host, &cfg->listen_port, why, sizeof(why)))
        return cfg_fail(r, v, "metrics: listen: %s", why);
    cfg->listen = xstrdup(s);
    return true;
}

static bool top_pair(Reader *r, const char *key, const yaml_node_t *k, const yaml_node_t *v,
                     void *arg)
{
    TopRead *t = arg;
    static const char *const own[] = {"databases",    "log_format",   "metrics",
                                      "stop_timeout", "max_parallel", NULL};
    PassSetter set = cfg_pass_setter(key);
    if (set)
        return set(r, v, &t->top);
    if (strcmp(key, "databases") == 0) {
        if (v->type != YAML_SEQUENCE_NODE)
            return cfg_fail(r, v, "databases: expected a list, found %s", cfg_shape(v));
        t->databases = v;
    } else if (strcmp(key, "log_format") == 0) {
        const char *s = cfg_scalar(r, v, key);
        if (!s)
            return false;
        if (strcmp(s, "auto") == 0)
            t->cfg->log_format = LOG_AUTO;
        else if (strcmp(s, "text") == 0)
            t->cfg->log_format = LOG_TEXT;
        else if (strcmp(s, "json") == 0)
            t->cfg->log_format = LOG_JSON;
        else
            return cfg_fail(r, v, "log_format: \"%s\" is not auto, text or json", s);
    } else if (strcmp(key, "metrics") == 0) {
        if (v->type != YAML_MAPPING_NODE)
            return cfg_fail(r, v, "metrics: expected a mapping (listen: ADDRESS), found %s",
                            cfg_shape(v));
        return each_pair(r, v, metrics_pair, t->cfg);
    } else if (strcmp(key, "max_parallel") == 0) {
        long long n;
        if (!cfg_whole(r, v, key, 1, 256, &n))
            return false;
        t->cfg->max_parallel = (int)n;
    } else if (strcmp(key, "stop_timeout") == 0) {
        return cfg_duration(r, v, key, 1, 3600, "from 1s to 1h", &t->cfg->stop_timeout_s);
    } else {
        return unknown(r, k, key, own, true);
    }
    return true;
}

static bool read_top(Reader *r, const yaml_node_t *root, Config *cfg)
{
    if (!root || (root->type == YAML_SCALAR_NODE && !*root->data.scalar.value))
        return cfg_fail(r, root, "the file is empty: expected a mapping with a databases list");
    if (root->type != YAML_MAPPING_NODE)
        return cfg_fail(r, root, "expected a mapping (databases, interval, ...), found %s",
                        cfg_shape(root));
    TopRead t = {cfg, {0}, NULL, root};
    cfg->stop_timeout_s = 30;
    cfg->max_parallel = 16;
    bool ok = each_pair(r, root, top_pair, &t);
    if (ok && !t.databases)
        ok = cfg_fail(r, root,
                      "no databases: add a databases list (name and conninfo or service "
                      "each)");
    if (ok) {
        const yaml_node_t *list = t.databases;
        size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
        if (n == 0)
            ok = cfg_fail(r, list, "databases: the list is empty");
        cfg->dbs = xcalloc(n + 1, sizeof(DbConfig));
        for (size_t i = 0; ok && i < n; i++) {
            const yaml_node_t *item = cfg_node(r, list->data.sequence.items.start[i]);
            ok = read_db(r, item, &t.top, &cfg->dbs[i], (int)i);
            cfg->ndbs = i + 1;
            for (size_t j = 0; ok && j < i; j++)
                if (strcmp(cfg->dbs[j].name, cfg->dbs[i].name) == 0)
                    ok = cfg_fail(r, item,
                                  "database %zu: name \"%s\" is used twice (first on line %d)",
                                  i + 1, cfg->dbs[i].name, cfg->dbs[j].line);
        }
    }
    /* the top level's jitter against the default interval, even with no database using it */
    PassSettings check;
    memset(&check, 0, sizeof(check));
    Partial none;
    memset(&none, 0, sizeof(none));
    ok = ok && cfg_resolve(r, &t.top, &none, &check);
    free(check.windows);
    free(check.time_zone);
    cfg_partial_free(&t.top);
    return ok;
}

bool config_parse(const char *text, size_t len, const char *path, const ConfigChecks *checks,
                  Config *out, char **err)
{
    memset(out, 0, sizeof(*out));
    *err = NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        *err = xasprintf("%s: could not start the YAML parser", path);
        return false;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        *err = xasprintf("%s:%zu:%zu: invalid YAML: %s%s%s", path, parser.problem_mark.line + 1,
                         parser.problem_mark.column + 1, parser.problem ? parser.problem : "error",
                         parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return false;
    }
    Reader r = {&doc, path, checks, NULL, ""};
    bool ok = read_top(&r, yaml_document_get_root_node(&doc), out);
    yaml_document_t more;
    if (ok && yaml_parser_load(&parser, &more)) {
        yaml_node_t *root2 = yaml_document_get_root_node(&more);
        if (root2)
            ok = cfg_fail(&r, root2, "only one YAML document is allowed (found a second \"---\")");
        yaml_document_delete(&more);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (!ok) {
        *err = r.err ? r.err : xasprintf("%s: invalid configuration", path);
        config_free(out);
        return false;
    }
    return true;
}

bool config_load(const char *path, const ConfigChecks *checks, Config *out, char **err)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = xasprintf("%s: cannot read the file: %s", path, strerror(errno));
        return false;
    }
    StrBuf sb;
    sb_init(&sb);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        sb_append_n(&sb, buf, n);
    bool read_error = ferror(f);
    fclose(f);
    if (read_error) {
        *err = xasprintf("%s: cannot read the file", path);
        sb_free(&sb);
        return false;
    }
    bool ok = config_parse(sb.data, sb.len, path, checks, out, err);
    sb_free(&sb);
    return ok;
}

void config_free(Config *c)
{
    for (size_t i = 0; c->dbs && i < c->ndbs; i++) {
        DbConfig *d = &c->dbs[i];
        free(d->name);
        free(d->conninfo);
        strings_free(d->tables, d->ntables);
        free(d->pass.windows);
        free(d->pass.time_zone);
    }
    free(c->dbs);
    free(c->listen);
    free(c->listen_host);
    memset(c, 0, sizeof(*c));
}
