/* A table's rows piped to a shell command as COPY text: retention's archive
 * step and migrate finish --archive-command. */
#ifndef PGSTRATA_ARCHIVE_PIPE_H
#define PGSTRATA_ARCHIVE_PIPE_H

#include "db/conn.h"

typedef enum PipeResult {
    PIPE_OK,
    PIPE_NOT_STARTED,    /* the command could not be started */
    PIPE_COMMAND_FAILED, /* it exited non-zero or on a signal (checked first) */
    PIPE_COPY_FAILED,    /* the COPY failed: conn_error says why */
} PipeResult;

/* Runs copy_sql (COPY ... TO STDOUT) into command's standard input.
 * failpoint: the name of a failpoint reached at the first chunk ("mid-copy"),
 * or NULL. *how (caller frees): the system error when not started, "exit
 * status N" or "signal N" when the command failed. */
PipeResult copy_to_command(Conn *c, const char *copy_sql, const char *command,
                           const char *failpoint, char **how);

#endif
