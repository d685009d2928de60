#include "db/archive_pipe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "core/strbuf.h"
#include "db/failpoint.h"

typedef struct Pipe {
    FILE *f;
    const char *failpoint;
    size_t bytes;
} Pipe;

static bool pipe_sink(void *arg, const char *buf, size_t len)
{
    Pipe *p = arg;
    p->bytes += len;
    if (p->failpoint && p->bytes > 0 && p->bytes == len)
        failpoint_reach(p->failpoint, "mid-copy");
    return fwrite(buf, 1, len, p->f) == len;
}

PipeResult copy_to_command(Conn *c, const char *copy_sql, const char *command,
                           const char *failpoint, char **how)
{
    *how = NULL;
    fflush(NULL);
    FILE *f = popen(command, "w");
    if (!f) {
        *how = xstrdup(strerror(errno));
        return PIPE_NOT_STARTED;
    }
    Pipe p = {f, failpoint, 0};
    bool copied = db_copy_out(c, copy_sql, pipe_sink, &p);
    int status = pclose(f);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *how = xasprintf("%s %d", WIFSIGNALED(status) ? "signal" : "exit status",
                         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        return PIPE_COMMAND_FAILED;
    }
    return copied ? PIPE_OK : PIPE_COPY_FAILED;
}
