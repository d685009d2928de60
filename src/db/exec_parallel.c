/* Maintenance of many tables at once: the plan's tables shared among this
 * session and worker processes with their own sessions. DDL on different
 * tables does not conflict, and the server does the work, so on a server
 * with more than one core a pass over many tables ends sooner. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "db/executor.h"

/* Shared by all the processes of a pass (an anonymous shared mapping). */
typedef struct Shared {
    size_t next_table; /* the next table to take, by atomic increment */
    ExecResult results[];
} Shared;

/* Where each table's actions start in the plan (they are contiguous);
 * starts[ntables] = plan->n. */
static size_t table_starts(const Plan *plan, size_t **starts)
{
    *starts = xcalloc(plan->n + 2, sizeof(size_t));
    size_t n = 0;
    for (size_t i = 0; i < plan->n; i++)
        if (i == 0 || strcmp(plan->actions[i].table, plan->actions[i - 1].table) != 0)
            (*starts)[n++] = i;
    (*starts)[n] = plan->n;
    return n;
}

/* Takes tables until none is left. Fast tables and slow ones even out. */
static void take_tables(Conn *c, const Plan *plan, const size_t *starts, size_t ntables, Shared *sh,
                        const ExecOptions *o, ExecResult *res)
{
    for (;;) {
        size_t t = __atomic_fetch_add(&sh->next_table, 1, __ATOMIC_RELAXED);
        if (t >= ntables)
            break;
        exec_actions(c, plan, starts[t], starts[t + 1], o, res);
    }
}

static void run_worker(Conn *parent, const Plan *plan, const size_t *starts, size_t ntables,
                       Shared *sh, int k, const ExecOptions *o)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines of different workers interleave whole */
    char *err = NULL;
    Conn *c = conn_clone(parent, &err);
    if (!c) {
        /* the other sessions take every table */
        fprintf(stderr, "pgstrata: warning: a parallel worker could not connect: %s\n", err);
        fflush(NULL);
        _exit(0);
    }
    take_tables(c, plan, starts, ntables, sh, o, &sh->results[k]);
    conn_close(c);
    fflush(NULL);
    /* _exit: the parent's session, inherited by fork, must not be closed from here */
    _exit(0);
}

void exec_plan_parallel(Conn *c, const Plan *plan, const ExecOptions *o, int jobs, ExecResult *res)
{
    size_t *starts = NULL;
    size_t ntables = table_starts(plan, &starts);
    if (jobs > (int)ntables)
        jobs = (int)ntables;
    size_t size = sizeof(Shared) + (size_t)(jobs > 0 ? jobs : 1) * sizeof(ExecResult);
    Shared *sh = jobs > 1
                     ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
                     : MAP_FAILED;
    if (sh == MAP_FAILED) {
        free(starts);
        exec_plan(c, plan, o, res);
        return;
    }
    memset(sh, 0, size);
    pid_t *pids = xcalloc((size_t)jobs, sizeof(pid_t));
    fflush(NULL);
    for (int k = 1; k < jobs; k++) {
        pids[k] = fork();
        if (pids[k] == 0)
            run_worker(c, plan, starts, ntables, sh, k, o);
        if (pids[k] < 0)
            fprintf(stderr, "pgstrata: warning: could not start a parallel worker: %s\n",
                    strerror(errno));
    }
    memset(res, 0, sizeof(*res));
    take_tables(c, plan, starts, ntables, sh, o, res);
    for (int k = 1; k < jobs; k++) {
        if (pids[k] <= 0)
            continue;
        int status = 0;
        while (waitpid(pids[k], &status, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            /* it died in the middle of a table (a crash, a kill): what it left
             * is recovered by the next pass, like after any crash */
            fprintf(stderr, "pgstrata: error: parallel worker %d stopped (%s %d)\n", k,
                    WIFSIGNALED(status) ? "signal" : "exit status",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            res->failed++;
        }
        res->ok += sh->results[k].ok;
        res->failed += sh->results[k].failed;
        res->skipped += sh->results[k].skipped;
        res->retries += sh->results[k].retries;
    }
    munmap(sh, size);
    free(pids);
    free(starts);
}
