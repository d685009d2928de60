/* One node of the daemon's configuration: its line, its value, and the
 * message naming both. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "daemon/config_int.h"

int cfg_line(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

bool cfg_fail(Reader *r, const yaml_node_t *n, const char *fmt, ...)
{
    if (r->err)
        return false;
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s:%d: %s", r->path, n ? cfg_line(n) : 1, r->where);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    r->err = sb.data;
    return false;
}

yaml_node_t *cfg_node(Reader *r, int id)
{
    return yaml_document_get_node(r->doc, id);
}

const char *cfg_shape(const yaml_node_t *n)
{
    return n->type == YAML_SEQUENCE_NODE  ? "a list"
           : n->type == YAML_MAPPING_NODE ? "a mapping"
                                          : "a value";
}

/* A scalar's text; NULL (error set) for a list, a mapping or nothing. */
const char *cfg_scalar(Reader *r, const yaml_node_t *n, const char *key)
{
    if (n->type != YAML_SCALAR_NODE) {
        cfg_fail(r, n, "%s: expected a single value, found %s", key, cfg_shape(n));
        return NULL;
    }
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0)) {
        cfg_fail(r, n, "%s: no value given", key);
        return NULL;
    }
    return v;
}

bool cfg_duration(Reader *r, const yaml_node_t *n, const char *key, double min, double max,
                  const char *range, double *out)
{
    const char *v = cfg_scalar(r, n, key);
    char why[256];
    if (!v)
        return false;
    if (!config_parse_duration(v, out, why, sizeof(why)))
        return cfg_fail(r, n, "%s: %s", key, why);
    if (*out < min || *out > max)
        return cfg_fail(r, n, "%s: \"%s\" is out of range: %s", key, v, range);
    return true;
}

bool cfg_whole(Reader *r, const yaml_node_t *n, const char *key, long long min, long long max,
               long long *out)
{
    const char *v = cfg_scalar(r, n, key);
    if (!v)
        return false;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno || x < min || x > max)
        return cfg_fail(r, n, "%s: \"%s\" is not a whole number from %lld to %lld", key, v, min,
                        max);
    *out = x;
    return true;
}
