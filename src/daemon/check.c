/* What the configuration needs checked beyond its text (a conninfo libpq
 * reads, a zone that exists), and --check-config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "daemon/daemon.h"
#include "daemon/daemon_int.h"

static bool zone_exists(const char *zone, char **err)
{
    const char *dir = getenv("TZDIR");
    if (!dir)
        dir = "/usr/share/zoneinfo";
    struct stat st;
    if (stat(dir, &st) != 0)
        return true; /* no zone files here: the server says at the first pass */
    bool sane = *zone && zone[0] != '/' && !strstr(zone, "..");
    for (const char *c = zone; sane && *c; c++)
        sane = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
               strchr("/_+-", *c);
    char *path = sane ? xasprintf("%s/%s", dir, zone) : NULL;
    bool ok = path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
    free(path);
    if (!ok)
        *err = xasprintf("unknown time zone \"%s\" (a name such as UTC or Europe/Berlin)", zone);
    return ok;
}

const ConfigChecks daemon_checks = {conn_check_conninfo, zone_exists};

static void describe(const Config *cfg, FILE *out)
{
    for (size_t i = 0; i < cfg->ndbs; i++) {
        const DbConfig *d = &cfg->dbs[i];
        char iv[32], jit[32];
        config_duration_text(d->pass.interval_s, iv);
        config_duration_text(d->pass.jitter_s, jit);
        fprintf(out, "  %s: every %s (jitter %s)", d->name, iv, jit);
        if (d->pass.nwindows) {
            fprintf(out, ", retirement only in ");
            for (size_t w = 0; w < d->pass.nwindows; w++) {
                char buf[16];
                config_window_text(&d->pass.windows[w], buf);
                fprintf(out, "%s%s", w ? ", " : "", buf);
            }
            fprintf(out, " (%s)", d->pass.time_zone);
        }
        if (d->ntables) {
            fprintf(out, ", tables");
            for (size_t t = 0; t < d->ntables; t++)
                fprintf(out, " %s", d->tables[t]);
        } else {
            fprintf(out, ", every table with a policy");
        }
        fprintf(out, "%s\n", d->enabled ? "" : " (disabled)");
    }
    if (cfg->listen)
        fprintf(out, "  metrics: %s (/metrics, /healthz)\n", cfg->listen);
    else
        fprintf(out, "  metrics: off\n");
}

int daemon_check_config(const char *path)
{
    Config cfg;
    char *err = NULL;
    if (!config_load(path, &daemon_checks, &cfg, &err)) {
        cli_error("%s", err);
        free(err);
        return EXIT_USAGE;
    }
    printf("%s: valid, %zu database%s\n", path, cfg.ndbs, cfg.ndbs == 1 ? "" : "s");
    describe(&cfg, stdout);
    config_free(&cfg);
    return EXIT_OK;
}
