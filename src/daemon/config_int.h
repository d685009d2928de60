/* Shared by the files that read the daemon's configuration: config.c (the
 * document, databases, the top level), config_node.c (one node's value, and
 * the message with its line), config_pass.c (the pass settings, given at the
 * top level and again per database). */
#ifndef PGSTRATA_DAEMON_CONFIG_INT_H
#define PGSTRATA_DAEMON_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "daemon/config.h"

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

/* The walk over one document, and its first error. */
typedef struct Reader {
    yaml_document_t *doc;
    const char *path;
    const ConfigChecks *checks;
    char *err;         /* the first error */
    const char *where; /* "" at the top level, "database 2: " inside one */
} Reader;

/* The line of a node (1-based). */
int cfg_line(const yaml_node_t *n);
/* Records "FILE:LINE: WHERE..." as the error, unless one is recorded; false. */
__attribute__((format(printf, 3, 4))) bool cfg_fail(Reader *r, const yaml_node_t *n,
                                                    const char *fmt, ...);
yaml_node_t *cfg_node(Reader *r, int id);
/* "a list", "a mapping", "a value" */
const char *cfg_shape(const yaml_node_t *n);
/* A scalar's text; NULL (error recorded) for a list, a mapping or no value. */
const char *cfg_scalar(Reader *r, const yaml_node_t *n, const char *key);
bool cfg_duration(Reader *r, const yaml_node_t *n, const char *key, double min, double max,
                  const char *range, double *out);
bool cfg_whole(Reader *r, const yaml_node_t *n, const char *key, long long min, long long max,
               long long *out);

/* The pass settings: the setter of a key (NULL when it is none of them), their
 * names in order (NULL past the last), and the settings of a database from the
 * top level's and its own over the defaults. */
typedef bool (*PassSetter)(Reader *, const yaml_node_t *, Partial *);
PassSetter cfg_pass_setter(const char *key);
const char *cfg_pass_key(size_t i);
void cfg_partial_free(Partial *p);
bool cfg_resolve(Reader *r, const Partial *top, const Partial *own, PassSettings *out);

#endif
