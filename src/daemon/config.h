/* The daemon's configuration: a YAML file (libyaml) read into plain data.
 *
 * Every key is declared once (daemon/config.c); an unknown key, a key given
 * twice, a value of the wrong shape or out of range is an error naming the
 * file, the line and the key. The settings of a pass may be given at the top
 * level (defaults for every database) and again in a database (its own). */
#ifndef PGSTRATA_DAEMON_CONFIG_H
#define PGSTRATA_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* A daily window, minutes after local midnight; end < start wraps midnight. */
typedef struct Window {
    int start;
    int end;
} Window;

/* What one database's passes are run with. */
typedef struct PassSettings {
    double interval_s;     /* between the starts of two passes */
    double jitter_s;       /* each start moves by up to this much either way */
    double pass_timeout_s; /* a pass running longer is stopped */
    double retry_budget_s; /* maintain --retry-budget */
    int jobs;              /* maintain --jobs */
    long long move_default_max_rows;
    Window *windows; /* retirement steps only inside one of them; none: any time */
    size_t nwindows;
    char *time_zone; /* of the windows */
} PassSettings;

typedef struct DbConfig {
    char *name;     /* the label in logs and metrics */
    char *conninfo; /* a conninfo string or URI; "service=NAME" for a service */
    char **tables;  /* as typed (SQL name syntax); none: every policy */
    size_t ntables;
    bool enabled;
    PassSettings pass;
    int line; /* where it starts in the file */
} DbConfig;

typedef enum LogFormat { LOG_AUTO, LOG_TEXT, LOG_JSON } LogFormat;

typedef struct Config {
    DbConfig *dbs;
    size_t ndbs;
    LogFormat log_format;
    char *listen;      /* the metrics address as written; NULL: no HTTP endpoint */
    char *listen_host; /* NULL: every address */
    int listen_port;   /* 0: any free port (the log says which) */
    double stop_timeout_s;
    int max_parallel; /* passes running at once, over all databases */
} Config;

/* Checks that need more than the text: whether a conninfo string parses
 * (libpq), whether a time zone exists. NULL members accept anything. Each
 * returns false with a message (the caller frees it). */
typedef struct ConfigChecks {
    bool (*conninfo)(const char *conninfo, char **err);
    bool (*time_zone)(const char *zone, char **err);
} ConfigChecks;

/* Reads and checks the file. false with *err: "FILE:LINE: what is wrong". */
bool config_load(const char *path, const ConfigChecks *checks, Config *out, char **err);
/* The same from text (path only names it in messages). */
bool config_parse(const char *text, size_t len, const char *path, const ConfigChecks *checks,
                  Config *out, char **err);
void config_free(Config *c);

/* The value parsers behind the keys (daemon/config_values.c). Each returns
 * false with a reason in err, without the key's name. */
/* "15m", "1h30m", "90s", "500ms", "2 days", "15 minutes": at least one part. */
bool config_parse_duration(const char *text, double *seconds, char *err, size_t errlen);
/* "HH:MM-HH:MM", not empty. */
bool config_parse_window(const char *text, Window *w, char *err, size_t errlen);
/* "HOST:PORT", "[V6]:PORT", ":PORT"; *host is NULL for ":PORT". */
bool config_parse_listen(const char *text, char **host, int *port, char *err, size_t errlen);
/* "02:00-05:00" */
void config_window_text(const Window *w, char buf[16]);
/* "1h30m", "45s", "500ms" */
void config_duration_text(double seconds, char buf[32]);

#endif
