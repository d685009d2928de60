/* The pass settings of the daemon's configuration: each key's parser, and
 * a database's settings from its own, the top level's and the defaults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "daemon/config_int.h"

static bool set_interval(Reader *r, const yaml_node_t *n, Partial *p)
{
    p->has_interval = true;
    return cfg_duration(r, n, "interval", 1, 7 * 86400, "from 1s to 7d", &p->interval_s);
}

static bool set_jitter(Reader *r, const yaml_node_t *n, Partial *p)
{
    const char *v = cfg_scalar(r, n, "jitter");
    if (!v)
        return false;
    p->has_jitter = true;
    p->jitter_line = cfg_line(n);
    free(p->jitter_text);
    p->jitter_text = xstrdup(v);
    size_t len = strlen(v);
    if (len && v[len - 1] == '%') {
        char *end;
        p->jitter_pct = strtod(v, &end);
        if (end == v || end != v + len - 1 || p->jitter_pct < 0 || p->jitter_pct > 50)
            return cfg_fail(r, n, "jitter: \"%s\" is not a percentage from 0%% to 50%%", v);
        p->jitter_is_pct = true;
        return true;
    }
    p->jitter_is_pct = false;
    char why[256];
    if (!config_parse_duration(v, &p->jitter_s, why, sizeof(why)))
        return cfg_fail(r, n, "jitter: %s, or a percentage of the interval such as 10%%", why);
    return true;
}

static bool set_pass_timeout(Reader *r, const yaml_node_t *n, Partial *p)
{
    p->has_pass_timeout = true;
    return cfg_duration(r, n, "pass_timeout", 1, 7 * 86400, "from 1s to 7d", &p->pass_timeout_s);
}

static bool set_retry_budget(Reader *r, const yaml_node_t *n, Partial *p)
{
    p->has_retry_budget = true;
    return cfg_duration(r, n, "retry_budget", 0, 86400, "from 0s to 1d", &p->retry_budget_s);
}

static bool set_jobs(Reader *r, const yaml_node_t *n, Partial *p)
{
    long long v;
    p->has_jobs = true;
    if (!cfg_whole(r, n, "jobs", 1, 64, &v))
        return false;
    p->jobs = (int)v;
    return true;
}

static bool set_move(Reader *r, const yaml_node_t *n, Partial *p)
{
    p->has_move = true;
    return cfg_whole(r, n, "move_default_max_rows", 0, 1000000000000LL, &p->move_default_max_rows);
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
                return cfg_fail(r, n, "windows: at most 64");
            items[k++] = cfg_node(r, *it);
        }
        if (k == 0)
            return cfg_fail(r, n, "windows: the list is empty (leave the key out for any time)");
    } else {
        items[k++] = n;
    }
    p->windows = xcalloc(k, sizeof(Window));
    for (size_t i = 0; i < k; i++) {
        const char *v = cfg_scalar(r, items[i], "windows");
        char why[256];
        if (!v)
            return false;
        if (!config_parse_window(v, &p->windows[i], why, sizeof(why)))
            return cfg_fail(r, items[i], "windows: %s", why);
    }
    p->nwindows = k;
    return true;
}

static bool set_zone(Reader *r, const yaml_node_t *n, Partial *p)
{
    const char *v = cfg_scalar(r, n, "time_zone");
    if (!v)
        return false;
    p->has_zone = true;
    free(p->time_zone);
    p->time_zone = xstrdup(v);
    char *why = NULL;
    if (r->checks && r->checks->time_zone && !r->checks->time_zone(v, &why)) {
        cfg_fail(r, n, "time_zone: %s", why);
        free(why);
        return false;
    }
    return true;
}

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

const char *cfg_pass_key(size_t i)
{
    return i < N_PASS_KEYS ? pass_keys[i].key : NULL;
}

PassSetter cfg_pass_setter(const char *key)
{
    for (size_t i = 0; i < N_PASS_KEYS; i++)
        if (strcmp(pass_keys[i].key, key) == 0)
            return pass_keys[i].set;
    return NULL;
}

void cfg_partial_free(Partial *p)
{
    free(p->windows);
    free(p->time_zone);
    free(p->jitter_text);
    memset(p, 0, sizeof(*p));
}

/* The database's own settings over the top level's over the defaults. */
bool cfg_resolve(Reader *r, const Partial *top, const Partial *own, PassSettings *out)
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
        return cfg_fail(r, &fake, "jitter: \"%s\" is more than half the interval",
                        jit->jitter_text);
    }
    if (win && win->nwindows) {
        out->windows = xcalloc(win->nwindows, sizeof(Window));
        memcpy(out->windows, win->windows, win->nwindows * sizeof(Window));
        out->nwindows = win->nwindows;
    }
    out->time_zone = xstrdup(zone ? zone->time_zone : "UTC");
    return true;
}
