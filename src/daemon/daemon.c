/* The scheduler: start, the loop, SIGHUP reloads, SIGTERM stops, and the
 * HTTP answers (metrics, health). */
#define _GNU_SOURCE /* pipe2 */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "daemon/daemon_int.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/notify.h"
#include "daemon/schedule.h"
#include "db/backoff.h"
#include "version.h"

Daemon daemon_state;

static int signal_pipe[2] = {-1, -1};

double mono_now(void)
{
    return clock_ms() / 1000.0;
}

double uniform(void)
{
    return (double)random() / ((double)RAND_MAX + 1.0);
}

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t ignored = write(signal_pipe[1], &b, 1);
    (void)ignored;
    errno = saved;
}

static bool install_signals(void)
{
    if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    return true;
}

/* ---- HTTP ------------------------------------------------------------------ */

static int answer(void *arg, const char *path, StrBuf *body, const char **type)
{
    (void)arg;
    Daemon *D = &daemon_state;
    if (strcmp(path, "/metrics") == 0) {
        *type = "text/plain; version=0.0.4; charset=utf-8";
        metrics_render(&D->metrics, mono_now(), body);
        return 200;
    }
    if (strcmp(path, "/healthz") == 0) {
        /* alive and scheduling; a database that is down is in the metrics, and
         * restarting the daemon would not bring it back */
        sb_append(body, D->stopping ? "stopping\n" : "ok\n");
        for (size_t i = 0; i < D->metrics.ndbs; i++) {
            const DbMetrics *m = D->metrics.dbs[i];
            double passes = 0;
            for (int r = 0; r < PASS__COUNT; r++)
                passes += m->passes[r];
            sb_printf(body, "%s: %s\n", m->name,
                      m->running && !passes ? "first pass running"
                      : !passes             ? "no pass yet"
                      : m->up               ? "up"
                                            : "down");
        }
        return D->stopping ? 503 : 200;
    }
    sb_append(body, "not found: try /metrics or /healthz\n");
    return 404;
}

static bool listen_start(const Config *cfg, char **err)
{
    if (!cfg->listen)
        return true;
    daemon_state.http = http_start(cfg->listen_host, cfg->listen_port, answer, NULL, err);
    if (!daemon_state.http)
        return false;
    log_msg("info", NULL, "metrics on http://%s%s%s:%d/metrics",
            cfg->listen_host && strchr(cfg->listen_host, ':') ? "[" : "",
            cfg->listen_host ? cfg->listen_host : "",
            cfg->listen_host && strchr(cfg->listen_host, ':') ? "]" : "",
            http_port(daemon_state.http));
    return true;
}

/* ---- databases ------------------------------------------------------------- */

static Db *db_new(const DbConfig *cfg, double now)
{
    Db *d = xcalloc(1, sizeof(*d));
    d->name = xstrdup(cfg->name);
    d->cfg = cfg;
    d->report_fd = d->err_fd = -1;
    sb_init(&d->report_buf);
    sb_init(&d->err_buf);
    d->due = cfg->enabled ? sched_first(&cfg->pass, now, uniform()) : INFINITY;
    if (cfg->enabled) /* listed in the metrics and /healthz from the start */
        metrics_db(&daemon_state.metrics, d->name);
    Daemon *D = &daemon_state;
    D->dbs = xrealloc(D->dbs, (D->ndbs + 1) * sizeof(Db *));
    D->dbs[D->ndbs++] = d;
    return d;
}

/* Forgets the databases a reload removed, once their pass has ended. */
static void drop_removed(void)
{
    Daemon *D = &daemon_state;
    for (size_t i = 0; i < D->ndbs;) {
        Db *d = D->dbs[i];
        if (d->cfg || d->pid) {
            i++;
            continue;
        }
        metrics_drop_db(&D->metrics, d->name);
        db_free(d);
        memmove(&D->dbs[i], &D->dbs[i + 1], (D->ndbs - i - 1) * sizeof(Db *));
        D->ndbs--;
    }
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void reload(double now)
{
    Daemon *D = &daemon_state;
    notify_systemd("RELOADING=1");
    Config next;
    char *err = NULL;
    if (!config_load(D->path, &daemon_checks, &next, &err)) {
        D->metrics.reloads_failed++;
        log_msg("warning", NULL, "the configuration was not reloaded: %s; the one in use is kept",
                err);
        free(err);
        notify_systemd("READY=1");
        return;
    }
    /* a new address, or the last one could not be listened on: try again */
    if (!same_text(next.listen, D->cfg.listen) || (next.listen && !D->http)) {
        http_stop(D->http);
        D->http = NULL;
        if (!listen_start(&next, &err)) {
            log_msg("error", NULL, "metrics: %s; serving no metrics until a reload fixes it", err);
            free(err);
            err = NULL;
        }
    }
    int added = 0, removed = 0;
    for (size_t i = 0; i < D->ndbs; i++) {
        Db *d = D->dbs[i];
        const DbConfig *now_cfg = NULL;
        for (size_t k = 0; k < next.ndbs && !now_cfg; k++)
            if (strcmp(next.dbs[k].name, d->name) == 0)
                now_cfg = &next.dbs[k];
        if (!now_cfg) {
            if (d->cfg)
                removed++;
            d->cfg = NULL;
            continue;
        }
        bool was_enabled = d->cfg && d->cfg->enabled;
        d->cfg = now_cfg;
        if (!now_cfg->enabled) {
            d->due = INFINITY;
            if (!d->pid)
                metrics_drop_db(&D->metrics, d->name);
        } else if (!was_enabled || d->due > now + now_cfg->pass.interval_s + now_cfg->pass.jitter_s)
            d->due = sched_first(&now_cfg->pass, now, uniform()); /* sooner, as configured */
    }
    for (size_t k = 0; k < next.ndbs; k++) {
        bool known = false; /* (a name removed earlier whose pass still runs is known too) */
        for (size_t i = 0; i < D->ndbs && !known; i++)
            known = D->dbs[i]->cfg == &next.dbs[k];
        if (!known) {
            db_new(&next.dbs[k], now);
            added++;
        }
    }
    config_free(&D->cfg);
    D->cfg = next;
    log_set_format(D->cfg.log_format);
    drop_removed();
    D->metrics.reloads_ok++;
    log_msg("info", NULL, "configuration reloaded: %zu database%s (%d added, %d removed)",
            D->cfg.ndbs, D->cfg.ndbs == 1 ? "" : "s", added, removed);
    notify_systemd("READY=1");
}

static void begin_stop(double now)
{
    Daemon *D = &daemon_state;
    int running = 0;
    for (size_t i = 0; i < D->ndbs; i++)
        running += D->dbs[i]->pid != 0;
    if (D->stopping) {
        /* asked again: do not wait for the running actions */
        for (size_t i = 0; i < D->ndbs; i++)
            pass_stop_stage(D->dbs[i], STOP_CANCELED, now);
        return;
    }
    D->stopping = true;
    notify_systemd("STOPPING=1");
    char limit[32];
    config_duration_text(D->cfg.stop_timeout_s, limit);
    log_msg("info", NULL, "stopping: %d pass%s finish%s the running action (at most %s)", running,
            running == 1 ? "" : "es", running == 1 ? "es" : "", limit);
    for (size_t i = 0; i < D->ndbs; i++)
        pass_stop_stage(D->dbs[i], STOP_ASKED, now);
}

static void handle_signals(double now)
{
    unsigned char buf[64];
    ssize_t n;
    while ((n = read(signal_pipe[0], buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            /* SIGCHLD only wakes the loop, which reaps every time round */
            if (buf[i] == SIGHUP && !daemon_state.stopping)
                reload(now);
            else if (buf[i] == SIGTERM || buf[i] == SIGINT)
                begin_stop(now);
        }
    }
}

/* ---- the loop -------------------------------------------------------------- */

static double min_d(double a, double b)
{
    return a < b ? a : b;
}

static int running_passes(void)
{
    int n = 0;
    for (size_t i = 0; i < daemon_state.ndbs; i++)
        n += daemon_state.dbs[i]->pid != 0;
    return n;
}

static void loop(void)
{
    Daemon *D = &daemon_state;
    double watchdog = notify_watchdog_period(), watchdog_next = 0;
    struct pollfd *fds = NULL;
    Db **owner = NULL;
    size_t fds_cap = 0;
    for (;;) {
        double now = mono_now();
        if (D->stopping && running_passes() == 0)
            break;
        if (watchdog > 0 && now >= watchdog_next) {
            notify_systemd("WATCHDOG=1");
            watchdog_next = now + watchdog;
        }
        /* the most overdue first, up to max_parallel at once */
        while (!D->stopping && running_passes() < D->cfg.max_parallel) {
            Db *next = NULL;
            for (size_t i = 0; i < D->ndbs; i++) {
                Db *d = D->dbs[i];
                if (!d->pid && d->cfg && d->cfg->enabled && now >= d->due &&
                    (!next || d->due < next->due))
                    next = d;
            }
            if (!next)
                break;
            pass_start(next, now);
            if (!next->pid)
                break; /* could not start it: pass_start set a later due */
        }
        passes_deadlines(now);

        /* sleep until the next thing to do, or until something arrives */
        double until = now + 60;
        if (watchdog > 0)
            until = min_d(until, watchdog_next);
        size_t cap = 2 + 2 * D->ndbs;
        if (cap > fds_cap) {
            fds = xrealloc(fds, cap * sizeof(*fds));
            owner = xrealloc(owner, cap * sizeof(*owner));
            fds_cap = cap;
        }
        nfds_t nf = 0;
        fds[nf].fd = signal_pipe[0];
        fds[nf].events = POLLIN;
        owner[nf++] = NULL;
        int http = D->http ? http_fd(D->http) : -1;
        if (http >= 0) {
            fds[nf].fd = http;
            fds[nf].events = POLLIN;
            owner[nf++] = NULL;
            int ms = http_timeout_ms(D->http);
            if (ms >= 0)
                until = min_d(until, now + ms / 1000.0);
        }
        bool full = running_passes() >= D->cfg.max_parallel;
        for (size_t i = 0; i < D->ndbs; i++) {
            Db *d = D->dbs[i];
            if (d->pid)
                until =
                    min_d(until, d->stage != STOP_NONE
                                     ? d->stage_at
                                     : d->started + (d->cfg ? d->cfg->pass.pass_timeout_s : 60));
            else if (!D->stopping && !full && d->cfg && d->cfg->enabled)
                until = min_d(until, d->due);
            int pfds[] = {d->report_fd, d->err_fd};
            for (int k = 0; k < 2; k++) {
                if (pfds[k] < 0)
                    continue;
                fds[nf].fd = pfds[k];
                fds[nf].events = POLLIN;
                owner[nf++] = d;
            }
        }
        int timeout = until <= now ? 0 : (int)ceil((until - now) * 1000);
        int rc = poll(fds, nf, timeout);
        now = mono_now();
        if (rc < 0 && errno != EINTR)
            log_msg("error", NULL, "poll: %s", strerror(errno));
        for (nfds_t i = 0; rc > 0 && i < nf; i++) {
            if (!fds[i].revents || !owner[i])
                continue;
            Db *d = owner[i];
            pass_read(d, fds[i].fd == d->report_fd, fds[i].fd == d->err_fd, now);
        }
        if (rc > 0 && fds[0].revents)
            handle_signals(now);
        /* MHD runs every time round: it has timeouts of its own to keep */
        if (D->http)
            http_run(D->http);
        passes_reap(now);
        drop_removed();
    }
    free(fds);
    free(owner);
}

int daemon_run(const char *path)
{
    Daemon *D = &daemon_state;
    memset(D, 0, sizeof(*D));
    D->path = path;
    char *err = NULL;
    if (!config_load(path, &daemon_checks, &D->cfg, &err)) {
        cli_error("%s", err);
        free(err);
        return EXIT_USAGE;
    }
    log_set_format(D->cfg.log_format);
    srandom((unsigned int)getpid() ^ (unsigned int)time(NULL));
    D->metrics.start_wall = (double)time(NULL);
    if (!install_signals()) {
        cli_error("cannot set up signal handling: %s", strerror(errno));
        config_free(&D->cfg);
        return EXIT_FAILED;
    }
    if (!listen_start(&D->cfg, &err)) {
        cli_error("%s: metrics: listen: %s", path, err);
        free(err);
        config_free(&D->cfg);
        return EXIT_USAGE;
    }
    double now = mono_now();
    for (size_t i = 0; i < D->cfg.ndbs; i++)
        db_new(&D->cfg.dbs[i], now);
    log_msg("info", NULL, "pgstrata %s daemon started: %zu database%s, configuration %s",
            PGSTRATA_VERSION, D->cfg.ndbs, D->cfg.ndbs == 1 ? "" : "s", path);
    notify_systemd("READY=1");
    loop();
    log_msg("info", NULL, "stopped");
    http_stop(D->http);
    for (size_t i = 0; i < D->ndbs; i++)
        db_free(D->dbs[i]);
    free(D->dbs);
    metrics_free(&D->metrics);
    config_free(&D->cfg);
    close(signal_pipe[0]);
    close(signal_pipe[1]);
    return EXIT_OK;
}
