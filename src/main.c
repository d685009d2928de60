/* pgstrata: partition lifecycle manager for PostgreSQL. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/strbuf.h"

int main(int argc, char **argv)
{
    /* An archive command that stops reading must fail its action, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    Cli cli;
    int code = cli_parse(argc, argv, &cli);
    if (code >= 0)
        return code;
    /* One id per run, so the audit rows of one pass can be told apart. */
    char host[64] = "";
    gethostname(host, sizeof(host) - 1);
    char *run_id = xasprintf("%s:%d:%lld", host, (int)getpid(), (long long)time(NULL));
    cli.run_id = run_id;
    code = cli_run(&cli);
    free(run_id);
    return code;
}
