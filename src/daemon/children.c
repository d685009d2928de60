/* The pass processes: started by fork, read through two pipes (the JSON
 * report lines and stderr), stopped in stages, and reaped. */
#define _GNU_SOURCE /* close_range */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon_int.h"
#include "daemon/log.h"
#include "daemon/pass.h"
#include "daemon/schedule.h"

/* A pass asked to stop that is still running after its cancel gets this long
 * before SIGKILL. */
#define CANCEL_GRACE_S 5.0

static Db *db_of_pid(pid_t pid)
{
    for (size_t i = 0; i < daemon_state.ndbs; i++)
        if (daemon_state.dbs[i]->pid == pid)
            return daemon_state.dbs[i];
    return NULL;
}

/* In the new process: signals as a pass wants them, only its own pipes
 * open, stdout to /dev/null, stderr into the scheduler's log. */
_Noreturn static void become_pass(Db *d, int report_w, int err_w, const sigset_t *old_mask,
                                  pid_t parent)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGCHLD, SIGUSR1};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], SIG_DFL);
    /* a reload is the scheduler's; a hangup of the terminal must not cut an action */
    signal(SIGHUP, SIG_IGN);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    /* the scheduler gone (even by SIGKILL): finish the running action and stop */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(0);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
    }
    dup2(err_w, STDERR_FILENO);
    if (report_w != 3)
        dup2(report_w, 3);
    /* --jobs workers (fork) keep it; archive commands (exec) do not */
    fcntl(3, F_SETFD, FD_CLOEXEC);
    if (close_range(4, ~0U, 0) != 0)
        for (int fd = 4; fd < 1024; fd++)
            close(fd);
    pass_run(d->cfg, 3);
}

void pass_start(Db *d, double now)
{
    int rp[2], ep[2];
    if (pipe2(rp, O_CLOEXEC) != 0) {
        log_msg("error", d->name, "cannot start a pass: pipe: %s", strerror(errno));
        d->due = now + 10;
        return;
    }
    if (pipe2(ep, O_CLOEXEC) != 0) {
        log_msg("error", d->name, "cannot start a pass: pipe: %s", strerror(errno));
        close(rp[0]);
        close(rp[1]);
        d->due = now + 10;
        return;
    }
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old); /* no handler of ours runs in the child */
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        become_pass(d, rp[1], ep[1], &old, parent);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(rp[1]);
    close(ep[1]);
    if (pid < 0) {
        log_msg("error", d->name, "cannot start a pass: fork: %s", strerror(errno));
        close(rp[0]);
        close(ep[0]);
        d->due = now + 10;
        return;
    }
    fcntl(rp[0], F_SETFL, O_NONBLOCK);
    fcntl(ep[0], F_SETFL, O_NONBLOCK);
    d->pid = pid;
    d->report_fd = rp[0];
    d->err_fd = ep[0];
    d->started = now;
    d->stage = STOP_NONE;
    d->ended = false;
    d->result = PASS_ERROR;
    free(d->msg);
    d->msg = NULL;
    d->n_ok = d->n_failed = d->n_skipped = d->retries = 0;
    DbMetrics *m = metrics_db(&daemon_state.metrics, d->name);
    m->running = true;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *key, bool *has)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (has)
        *has = cJSON_IsNumber(v);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void on_action(Db *d, const cJSON *o)
{
    const char *outcome = str(o, "outcome"), *table = str(o, "table"), *action = str(o, "action");
    if (!outcome || !table || !action)
        return;
    bool note = strcmp(outcome, "note") == 0;
    int attempts = (int)num(o, "attempts", NULL);
    const char *level = note || strcmp(outcome, "ok") == 0 ? "info"
                        : strcmp(outcome, "skipped") == 0  ? "warning"
                                                           : "error";
    cJSON *ev = log_begin(level, d->name, note ? "note" : "action");
    cJSON_AddStringToObject(ev, "table", table);
    if (!note) {
        cJSON_AddStringToObject(ev, "action", action);
        if (str(o, "target"))
            cJSON_AddStringToObject(ev, "target", str(o, "target"));
        cJSON_AddStringToObject(ev, "outcome", outcome);
        cJSON_AddNumberToObject(ev, "duration_ms", num(o, "ms", NULL));
        cJSON_AddNumberToObject(ev, "attempts", attempts);
    }
    if (str(o, "detail"))
        cJSON_AddStringToObject(ev, note ? "detail" : "error", str(o, "detail"));
    log_end(ev);
    if (note)
        return;
    d->n_ok += strcmp(outcome, "ok") == 0;
    d->n_failed += strcmp(outcome, "failed") == 0;
    d->n_skipped += strcmp(outcome, "skipped") == 0;
    int retries = attempts > 1 ? attempts - 1 : 0;
    d->retries += retries;
    metrics_action(metrics_db(&daemon_state.metrics, d->name), table, action, outcome, retries);
}

static void on_table(Db *d, const cJSON *o, double now)
{
    const char *table = str(o, "table");
    if (!table)
        return;
    d->tables = xrealloc(d->tables, (d->ntables + 1) * sizeof(TableMetrics));
    TableMetrics *t = &d->tables[d->ntables++];
    memset(t, 0, sizeof(*t));
    t->table = xstrdup(table);
    t->partitions = (long long)num(o, "partitions", NULL);
    t->default_rows = (long long)num(o, "default_rows", NULL);
    t->coverage_s = num(o, "coverage_s", &t->has_coverage);
    t->key_ahead = num(o, "key_ahead", &t->has_key_ahead);
    t->success_age_s = num(o, "success_age_s", &t->has_success);
    t->read_at = now;
}

static void on_pass(Db *d, const cJSON *o)
{
    const char *result = str(o, "result");
    d->ended = true;
    d->result = !result                          ? PASS_ERROR
                : strcmp(result, "ok") == 0      ? PASS_OK
                : strcmp(result, "failed") == 0  ? PASS_FAILED
                : strcmp(result, "skipped") == 0 ? PASS_SKIPPED
                                                 : PASS_ERROR;
    free(d->msg);
    d->msg = xstrdup_or_null(str(o, "msg"));
}

static void report_line(Db *d, const char *line, double now)
{
    cJSON *o = cJSON_Parse(line);
    const char *ev = o ? str(o, "ev") : NULL;
    if (!ev)
        log_msg("warning", d->name, "unreadable report from the pass: %s", line);
    else if (strcmp(ev, "action") == 0)
        on_action(d, o);
    else if (strcmp(ev, "table") == 0)
        on_table(d, o, now);
    else if (strcmp(ev, "pass") == 0)
        on_pass(d, o);
    cJSON_Delete(o);
}

/* What the pass printed on stderr: "pgstrata: error: ..." is an error. */
static void err_line(Db *d, const char *line, double now)
{
    (void)now;
    if (!*line)
        return;
    const char *level = "warning";
    if (strncmp(line, "pgstrata: error: ", 17) == 0) {
        level = "error";
        line += 17;
    } else if (strncmp(line, "pgstrata: warning: ", 19) == 0) {
        line += 19;
    } else if (strncmp(line, "pgstrata: ", 10) == 0) {
        line += 10;
    }
    log_msg(level, d->name, "%s", line);
}

/* Reads what is there; on end of file closes the descriptor. Whole lines go
 * to fn; a last line without its newline too, at the end. */
static void drain(Db *d, int *fd, StrBuf *buf, void (*fn)(Db *, const char *, double), double now)
{
    char chunk[4096];
    for (;;) {
        ssize_t n = read(*fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            sb_append_n(buf, chunk, (size_t)n);
        char *nl;
        while ((nl = memchr(buf->data, '\n', buf->len)) != NULL) {
            *nl = '\0';
            fn(d, buf->data, now);
            size_t used = (size_t)(nl - buf->data) + 1;
            memmove(buf->data, nl + 1, buf->len - used + 1);
            buf->len -= used;
        }
        if (n > 0)
            continue;
        if (n == 0) { /* end of file */
            if (buf->len)
                fn(d, buf->data, now);
            sb_reset(buf);
            close(*fd);
            *fd = -1;
        }
        return; /* EAGAIN: more later */
    }
}

void pass_read(Db *d, bool report, bool err, double now)
{
    if (report && d->report_fd >= 0)
        drain(d, &d->report_fd, &d->report_buf, report_line, now);
    if (err && d->err_fd >= 0)
        drain(d, &d->err_fd, &d->err_buf, err_line, now);
}

static void log_pass(Db *d, double duration, int status)
{
    const char *level = d->result == PASS_OK || d->result == PASS_SKIPPED ? "info"
                        : d->result == PASS_FAILED                        ? "warning"
                                                                          : "error";
    cJSON *ev = log_begin(level, d->name, "pass");
    cJSON_AddStringToObject(ev, "result", pass_result_name(d->result));
    cJSON_AddNumberToObject(ev, "duration_ms", duration * 1000);
    cJSON_AddNumberToObject(ev, "actions_ok", d->n_ok);
    cJSON_AddNumberToObject(ev, "actions_failed", d->n_failed);
    cJSON_AddNumberToObject(ev, "actions_skipped", d->n_skipped);
    cJSON_AddNumberToObject(ev, "lock_retries", d->retries);
    if (d->msg)
        cJSON_AddStringToObject(ev, "detail", d->msg);
    if (!d->ended || status != 0) {
        char how[64];
        if (WIFSIGNALED(status))
            snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
        else
            snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
        cJSON_AddStringToObject(ev, "process", how);
    }
    log_end(ev);
}

/* The pass of d ended with status; usage is its resources. */
static void pass_ended(Db *d, int status, const struct rusage *usage, double now)
{
    /* the pipes may still hold its last lines */
    pass_read(d, true, true, now);
    if (d->report_fd >= 0)
        close(d->report_fd);
    if (d->err_fd >= 0)
        close(d->err_fd);
    d->report_fd = d->err_fd = -1;
    sb_reset(&d->report_buf);
    sb_reset(&d->err_buf);
    d->pid = 0;
    if (!d->ended) {
        free(d->msg);
        d->msg = xstrdup(d->stage == STOP_KILLED
                             ? "the pass was killed after it did not stop in time"
                             : "the pass process ended without finishing; the next pass "
                               "completes what it left");
        d->result = PASS_ERROR;
    }
    double duration = now - d->started;
    double cpu = (double)usage->ru_utime.tv_sec + (double)usage->ru_utime.tv_usec / 1e6 +
                 (double)usage->ru_stime.tv_sec + (double)usage->ru_stime.tv_usec / 1e6;
    DbMetrics *m = metrics_db(&daemon_state.metrics, d->name);
    m->running = false;
    metrics_pass(m, d->result, duration, cpu, (double)usage->ru_maxrss, (double)time(NULL));
    if (d->result == PASS_OK || d->result == PASS_FAILED) {
        metrics_set_tables(m, d->tables, d->ntables);
    } else {
        table_metrics_free(d->tables, d->ntables);
    }
    d->tables = NULL;
    d->ntables = 0;
    log_pass(d, duration, status);
    if (d->cfg && !d->cfg->enabled) /* disabled by a reload while it ran */
        metrics_drop_db(&daemon_state.metrics, d->name);
    if (!d->cfg || !d->cfg->enabled || daemon_state.stopping)
        return;
    if (d->result == PASS_ERROR) {
        d->errors++;
        double wait = sched_retry_delay(&d->cfg->pass, d->errors, uniform());
        d->due = now + wait;
        log_msg("info", d->name, "next attempt in %.1f s (attempt %d after an error)", wait,
                d->errors + 1);
    } else {
        d->errors = 0;
        d->due = sched_next(&d->cfg->pass, d->due, now, uniform());
    }
}

void passes_reap(double now)
{
    for (;;) {
        int status = 0;
        struct rusage usage;
        memset(&usage, 0, sizeof(usage));
        pid_t pid = wait4(-1, &status, WNOHANG, &usage);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            return;
        Db *d = db_of_pid(pid);
        if (d)
            pass_ended(d, status, &usage, now);
    }
}

void pass_stop_stage(Db *d, StopStage stage, double now)
{
    if (!d->pid || d->stage >= stage)
        return;
    d->stage = stage;
    if (stage == STOP_ASKED) {
        kill(d->pid, SIGTERM);
        d->stage_at = now + daemon_state.cfg.stop_timeout_s;
    } else if (stage == STOP_CANCELED) {
        log_msg("warning", d->name,
                "the pass did not stop after its running action in time: cancelling its "
                "statements");
        kill(d->pid, SIGUSR1);
        d->stage_at = now + CANCEL_GRACE_S;
    } else {
        log_msg("error", d->name,
                "the pass did not stop after its statements were cancelled: "
                "killing it");
        kill(d->pid, SIGKILL);
        d->stage_at = now + 3600;
    }
}

void passes_deadlines(double now)
{
    for (size_t i = 0; i < daemon_state.ndbs; i++) {
        Db *d = daemon_state.dbs[i];
        if (!d->pid)
            continue;
        if (d->stage == STOP_NONE && d->cfg && now >= d->started + d->cfg->pass.pass_timeout_s) {
            log_msg("warning", d->name,
                    "the pass has run longer than pass_timeout: stopping it after its running "
                    "action");
            pass_stop_stage(d, STOP_ASKED, now);
        } else if (d->stage != STOP_NONE && now >= d->stage_at && d->stage < STOP_KILLED) {
            pass_stop_stage(d, (StopStage)(d->stage + 1), now);
        }
    }
}

void db_free(Db *d)
{
    free(d->name);
    free(d->msg);
    sb_free(&d->report_buf);
    sb_free(&d->err_buf);
    table_metrics_free(d->tables, d->ntables);
    free(d);
}
