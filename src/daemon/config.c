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

/* Pass settings as read at one level: what was given, to inherit the rest. */
typedef struct Partial {
    bool has_interval, has_jitter, has_pass_timeout, has_retry_budget, has_jobs, has_move,
        has_windows, has_zone;
    double interval_s, jitter_s, jitter_pct, pass_timeout_s, retry_budget_s;
    bool jitter_is_pct;
    int jitter_line;
    char *jitter_text;
    int jobs;
    long long move_default_max_rows;
    Window *windows;
    size_t nwindows;
    char *time_zone;
} Partial;

typedef struct Reader {
    yaml_document_t *doc;
    const char *path;
    const ConfigChecks *checks;
    char *err;         /* the first error */
    const char *where; /* "" at the top level, "database 2: " inside one */
} Reader;

static int line_of(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

__attribute__((format(printf, 3, 4))) static bool fail(Reader *r, const yaml_node_t *n,
                                                       const char *fmt, ...)
{
    if (r->err)
        return false;
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s:%d: %s", r->path, n ? line_of(n) : 1, r->where);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    r->err = sb.data;
    return false;
}

static yaml_node_t *node(Reader *r, int id)
{
    return yaml_document_get_node(r->doc, id);
}

static const char *shape_name(const yaml_node_t *n)
{
    return n->type == YAML_SEQUENCE_NODE  ? "a list"
           : n->type == YAML_MAPPING_NODE ? "a mapping"
                                          : "a value";
}

/* A scalar's text; NULL (error set) for a list, a mapping or nothing. */
static const char *scalar(Reader *r, const yaml_node_t *n, const char *key)
{
    if (n->type != YAML_SCALAR_NODE) {
        fail(r, n, "%s: expected a single value, found %s", key, shape_name(n));
        return NULL;
    }
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0)) {
        fail(r, n, "%s: no value given", key);
        return NULL;
    }
    return v;
}

static bool duration_in(Reader *r, const yaml_node_t *n, const char *key, double min, double max,
                        const char *range, double *out)
{
    const char *v = scalar(r, n, key);
    char why[256];
    if (!v)
        return false;
    if (!config_parse_duration(v, out, why, sizeof(why)))
        return fail(r, n, "%s: %s", key, why);
    if (*out < min || *out > max)
        return fail(r, n, "%s: \"%s\" is out of range: %s", key, v, range);
    return true;
}

static bool whole_number(Reader *r, const yaml_node_t *n, const char *key, long long min,
                         long long max, long long *out)
{
    const char *v = scalar(r, n, key);
    if (!v)
        return false;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno || x < min || x > max)
        return fail(r, n, "%s: \"%s\" is not a whole number from %lld to %lld", key, v, min, max);
    *out = x;
    return true;
}

/* ---- pass settings: the top level and each database ------------------------ */

static bool set_interval(Reader *r, const yaml_node_t *n, Partial *p)
{
    p->has_interval = true;
    return duration_in(r, n, "interval", 1, 7 * 86400, "from 1s to 7d", &p->interval_s);
}

static bool set_jitter(Reader *r, const yaml_node_t *n, Partial *p)
{
    const char *v = scalar(r, n, "jitter");
    if (!v)
        return false;
    p->has_jitter = true;
    p->jitter_line = line_of(n);
    free(p->jitter_text);
    p->jitter_text = xstrdup(v);
    size_t len = strlen(v);
    if (len && v[len - 1] == '%') {
        char *end;
        p->jitter_pct = strtod(v, &end);
        if (end == v || end != v + len - 1 || p->jitter_pct < 0 || p->jitter_pct > 50)
            return fail(r, n, "jitter: \"%s\" is not a percentage from 0%% to 50%%", v);
        p->jitter_is_pct = true;
        return true;
    }
    p->jitter_is_pct = false;
    char why[256];
    if (!config_parse_duration(v, &p->jitter_s, why, sizeof(why)))
        return fail(r, n, "jitter: %s, or a percentage of the interval such as 10%%", why);
    return true;
}

static bool set_pass_timeout(Reader *r, const yaml_node_t *n, Partial *p)
{
    p->has_pass_timeout = true;
    return duration_in(r, n, "pass_timeout", 1, 7 * 86400, "from 1s to 7d", &p->pass_timeout_s);
}

static bool set_retry_budget(Reader *r, const yaml_node_t *n, Partial *p)
{
    p->has_retry_budget = true;
    return duration_in(r, n, "retry_budget", 0, 86400, "from 0s to 1d", &p->retry_budget_s);
}

static bool set_jobs(Reader *r, const yaml_node_t *n, Partial *p)
{
    long long v;
    p->has_jobs = true;
    if (!whole_number(r, n, "jobs", 1, 64, &v))
        return false;
    p->jobs = (int)v;
    return true;
}

static bool set_move(Reader *r, const yaml_node_t *n, Partial *p)
{
    p->has_move = true;
    return whole_number(r, n, "move_default_max_rows", 0, 1000000000000LL,
                        &p->move_default_max_rows);
}

static bool set_windows(Reader *r, const yaml_node_t *n, Partial *p)
{
    free(p->windows);
    p->windows = NULL;
    p->nwindows = 0;
    p->has_windows = true;
    const yaml_node_t *items[64];
    size_t k = 0;
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++) {
            if (k == sizeof(items) / sizeof(items[0]))
                return fail(r, n, "windows: at most 64");
            items[k++] = node(r, *it);
        }
        if (k == 0)
            return fail(r, n, "windows: the list is empty (leave the key out for any time)");
    } else {
        items[k++] = n;
    }
    p->windows = xcalloc(k, sizeof(Window));
    for (size_t i = 0; i < k; i++) {
        const char *v = scalar(r, items[i], "windows");
        char why[256];
        if (!v)
            return false;
        if (!config_parse_window(v, &p->windows[i], why, sizeof(why)))
            return fail(r, items[i], "windows: %s", why);
    }
    p->nwindows = k;
    return true;
}

static bool set_zone(Reader *r, const yaml_node_t *n, Partial *p)
{
    const char *v = scalar(r, n, "time_zone");
    if (!v)
        return false;
    p->has_zone = true;
    free(p->time_zone);
    p->time_zone = xstrdup(v);
    char *why = NULL;
    if (r->checks && r->checks->time_zone && !r->checks->time_zone(v, &why)) {
        fail(r, n, "time_zone: %s", why);
        free(why);
        return false;
    }
    return true;
}

typedef bool (*PassSetter)(Reader *, const yaml_node_t *, Partial *);

static const struct {
    const char *key;
    PassSetter set;
} pass_keys[] = {
    {"interval", set_interval},
    {"jitter", set_jitter},
    {"pass_timeout", set_pass_timeout},
    {"retry_budget", set_retry_budget},
    {"jobs", set_jobs},
    {"move_default_max_rows", set_move},
    {"windows", set_windows},
    {"time_zone", set_zone},
};

#define N_PASS_KEYS (sizeof(pass_keys) / sizeof(pass_keys[0]))

static PassSetter pass_setter(const char *key)
{
    for (size_t i = 0; i < N_PASS_KEYS; i++)
        if (strcmp(pass_keys[i].key, key) == 0)
            return pass_keys[i].set;
    return NULL;
}

static void partial_free(Partial *p)
{
    free(p->windows);
    free(p->time_zone);
    free(p->jitter_text);
    memset(p, 0, sizeof(*p));
}

/* The database's own settings over the top level's over the defaults. */
static bool resolve(Reader *r, const Partial *top, const Partial *own, PassSettings *out)
{
    const Partial *lv[] = {top, own};
    const Partial *jit = NULL;
    out->interval_s = 15 * 60;
    out->pass_timeout_s = 3600;
    out->retry_budget_s = 60;
    out->jobs = 1;
    out->move_default_max_rows = 100000;
    const Partial *win = NULL, *zone = NULL;
    for (int i = 0; i < 2; i++) {
        const Partial *p = lv[i];
        if (p->has_interval)
            out->interval_s = p->interval_s;
        if (p->has_jitter)
            jit = p;
        if (p->has_pass_timeout)
            out->pass_timeout_s = p->pass_timeout_s;
        if (p->has_retry_budget)
            out->retry_budget_s = p->retry_budget_s;
        if (p->has_jobs)
            out->jobs = p->jobs;
        if (p->has_move)
            out->move_default_max_rows = p->move_default_max_rows;
        if (p->has_windows)
            win = p;
        if (p->has_zone)
            zone = p;
    }
    out->jitter_s = !jit                 ? out->interval_s * 0.1
                    : jit->jitter_is_pct ? out->interval_s * jit->jitter_pct / 100
                                         : jit->jitter_s;
    if (jit && !jit->jitter_is_pct && out->jitter_s > out->interval_s / 2) {
        yaml_node_t fake;
        memset(&fake, 0, sizeof(fake));
        fake.start_mark.line = (size_t)(jit->jitter_line - 1);
        return fail(r, &fake, "jitter: \"%s\" is more than half the interval", jit->jitter_text);
    }
    if (win && win->nwindows) {
        out->windows = xcalloc(win->nwindows, sizeof(Window));
        memcpy(out->windows, win->windows, win->nwindows * sizeof(Window));
        out->nwindows = win->nwindows;
    }
    out->time_zone = xstrdup(zone ? zone->time_zone : "UTC");
    return true;
}

/* ---- one mapping's keys ---------------------------------------------------- */

/* Calls each(key, value) for every pair, after checking the keys are
 * scalars given once. */
typedef bool (*PairFn)(Reader *r, const char *key, const yaml_node_t *k, const yaml_node_t *v,
                       void *arg);

static bool each_pair(Reader *r, const yaml_node_t *map, PairFn fn, void *arg)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return fail(r, k, "a key must be a plain name, found %s", shape_name(k));
        const char *key = (const char *)k->data.scalar.value;
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            const yaml_node_t *k2 = node(r, q->key);
            if (k2->type == YAML_SCALAR_NODE &&
                strcmp((const char *)k2->data.scalar.value, key) == 0)
                return fail(r, k, "key \"%s\" given twice (first on line %d)", key, line_of(k2));
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
    for (size_t i = 0; with_pass && i < N_PASS_KEYS; i++)
        sb_printf(&sb, ", %s", pass_keys[i].key);
    fail(r, k, "unknown key \"%s\" (known here: %s)", key, sb.data);
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
        return fail(r, v, "tables: expected a list of table names, found %s", shape_name(v));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        const yaml_node_t *t = node(r, *it);
        const char *name = scalar(r, t, "tables");
        char why[512], *s = NULL, *n = NULL;
        if (!name)
            return false;
        bool ok = ident_parse_qualified(name, &s, &n, why, sizeof(why));
        free(s);
        free(n);
        if (!ok)
            return fail(r, t, "tables: %s", why);
        db->tables = xrealloc(db->tables, (db->ntables + 1) * sizeof(char *));
        db->tables[db->ntables++] = xstrdup(name);
    }
    if (db->ntables == 0)
        return fail(r, v, "tables: the list is empty (leave the key out for every table)");
    return true;
}

static bool db_pair(Reader *r, const char *key, const yaml_node_t *k, const yaml_node_t *v,
                    void *arg)
{
    DbRead *d = arg;
    DbConfig *db = d->db;
    static const char *const own[] = {"name", "conninfo", "service", "tables", "enabled", NULL};
    PassSetter set = pass_setter(key);
    if (set)
        return set(r, v, &d->own);
    const char *s;
    if (strcmp(key, "name") == 0) {
        if (!(s = scalar(r, v, key)))
            return false;
        if (!valid_label(s))
            return fail(r, v, "name: \"%s\" must be 1 to 63 letters, digits, '_', '.' or '-'", s);
        db->name = xstrdup(s);
    } else if (strcmp(key, "conninfo") == 0) {
        if (!(s = scalar(r, v, key)))
            return false;
        char *why = NULL;
        if (r->checks && r->checks->conninfo && !r->checks->conninfo(s, &why)) {
            fail(r, v, "conninfo: %s", why);
            free(why);
            return false;
        }
        free(db->conninfo);
        db->conninfo = xstrdup(s);
        d->has_conninfo = true;
    } else if (strcmp(key, "service") == 0) {
        if (!(s = scalar(r, v, key)))
            return false;
        if (!valid_label(s))
            return fail(r, v,
                        "service: \"%s\" is not a service name (letters, digits, '_', '.', "
                        "'-')",
                        s);
        free(db->conninfo);
        db->conninfo = xasprintf("service=%s", s);
        d->has_service = true;
    } else if (strcmp(key, "tables") == 0) {
        return set_tables(r, v, db);
    } else if (strcmp(key, "enabled") == 0) {
        if (!(s = scalar(r, v, key)))
            return false;
        if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0)
            db->enabled = true;
        else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "off") == 0)
            db->enabled = false;
        else
            return fail(r, v, "enabled: \"%s\" is not true or false", s);
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
    db->line = line_of(n);
    bool ok;
    if (n->type != YAML_MAPPING_NODE) {
        ok = fail(r, n, "expected a mapping (name, conninfo or service, ...), found %s",
                  shape_name(n));
    } else {
        DbRead d = {db, {0}, false, false};
        ok = each_pair(r, n, db_pair, &d);
        if (ok && !db->name)
            ok = fail(r, n, "needs a name (its label in logs and metrics)");
        if (ok && d.has_conninfo && d.has_service)
            ok = fail(r, n, "give conninfo or service, not both");
        if (ok && !db->conninfo)
            ok = fail(r, n,
                      "needs conninfo (a conninfo string or URI) or service (a name in "
                      "pg_service.conf)");
        ok = ok && resolve(r, top, &d.own, &db->pass);
        partial_free(&d.own);
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
    const char *s = scalar(r, v, "metrics: listen");
    char why[256];
    if (!s)
        return false;
    if (strcmp(s, "off") == 0)
        return true;
    if (!config_parse_listen(s, &cfg->listen_host, &cfg->listen_port, why, sizeof(why)))
        return fail(r, v, "metrics: listen: %s", why);
    cfg->listen = xstrdup(s);
    return true;
}

static bool top_pair(Reader *r, const char *key, const yaml_node_t *k, const yaml_node_t *v,
                     void *arg)
{
    TopRead *t = arg;
    static const char *const own[] = {"databases",    "log_format",   "metrics",
                                      "stop_timeout", "max_parallel", NULL};
    PassSetter set = pass_setter(key);
    if (set)
        return set(r, v, &t->top);
    if (strcmp(key, "databases") == 0) {
        if (v->type != YAML_SEQUENCE_NODE)
            return fail(r, v, "databases: expected a list, found %s", shape_name(v));
        t->databases = v;
    } else if (strcmp(key, "log_format") == 0) {
        const char *s = scalar(r, v, key);
        if (!s)
            return false;
        if (strcmp(s, "auto") == 0)
            t->cfg->log_format = LOG_AUTO;
        else if (strcmp(s, "text") == 0)
            t->cfg->log_format = LOG_TEXT;
        else if (strcmp(s, "json") == 0)
            t->cfg->log_format = LOG_JSON;
        else
            return fail(r, v, "log_format: \"%s\" is not auto, text or json", s);
    } else if (strcmp(key, "metrics") == 0) {
        if (v->type != YAML_MAPPING_NODE)
            return fail(r, v, "metrics: expected a mapping (listen: ADDRESS), found %s",
                        shape_name(v));
        return each_pair(r, v, metrics_pair, t->cfg);
    } else if (strcmp(key, "max_parallel") == 0) {
        long long n;
        if (!whole_number(r, v, key, 1, 256, &n))
            return false;
        t->cfg->max_parallel = (int)n;
    } else if (strcmp(key, "stop_timeout") == 0) {
        return duration_in(r, v, key, 1, 3600, "from 1s to 1h", &t->cfg->stop_timeout_s);
    } else {
        return unknown(r, k, key, own, true);
    }
    return true;
}

static bool read_top(Reader *r, const yaml_node_t *root, Config *cfg)
{
    if (!root || (root->type == YAML_SCALAR_NODE && !*root->data.scalar.value))
        return fail(r, root, "the file is empty: expected a mapping with a databases list");
    if (root->type != YAML_MAPPING_NODE)
        return fail(r, root, "expected a mapping (databases, interval, ...), found %s",
                    shape_name(root));
    TopRead t = {cfg, {0}, NULL, root};
    cfg->stop_timeout_s = 30;
    cfg->max_parallel = 16;
    bool ok = each_pair(r, root, top_pair, &t);
    if (ok && !t.databases)
        ok = fail(r, root,
                  "no databases: add a databases list (name and conninfo or service "
                  "each)");
    if (ok) {
        const yaml_node_t *list = t.databases;
        size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
        if (n == 0)
            ok = fail(r, list, "databases: the list is empty");
        cfg->dbs = xcalloc(n + 1, sizeof(DbConfig));
        for (size_t i = 0; ok && i < n; i++) {
            const yaml_node_t *item = node(r, list->data.sequence.items.start[i]);
            ok = read_db(r, item, &t.top, &cfg->dbs[i], (int)i);
            cfg->ndbs = i + 1;
            for (size_t j = 0; ok && j < i; j++)
                if (strcmp(cfg->dbs[j].name, cfg->dbs[i].name) == 0)
                    ok = fail(r, item, "database %zu: name \"%s\" is used twice (first on line %d)",
                              i + 1, cfg->dbs[i].name, cfg->dbs[j].line);
        }
    }
    /* the top level's jitter against the default interval, even with no database using it */
    PassSettings check;
    memset(&check, 0, sizeof(check));
    Partial none;
    memset(&none, 0, sizeof(none));
    ok = ok && resolve(r, &t.top, &none, &check);
    free(check.windows);
    free(check.time_zone);
    partial_free(&t.top);
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
            ok = fail(&r, root2, "only one YAML document is allowed (found a second \"---\")");
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
