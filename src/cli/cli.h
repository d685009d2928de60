/* The command line: one table of commands and options (cli/options.c), one
 * parsed struct, one function per command. */
#ifndef PGSTRATA_CLI_H
#define PGSTRATA_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/policy.h"
#include "db/conn.h"
#include "db/executor.h"

/* Exit codes, documented in --help, the man page and the README. */
enum {
    EXIT_OK = 0,      /* everything asked was done */
    EXIT_FAILED = 1,  /* some action or check failed; the rest was done */
    EXIT_USAGE = 2,   /* the command line is wrong; nothing was done */
    EXIT_CONNECT = 3, /* could not connect, or the server is too old */
};

#define CLI_MAX_QUERIES 16

typedef struct Cli Cli;
struct Cli {
    ConnOptions conn;
    const char *command;
    int (*run)(Cli *cli);
    char **args; /* after the command (and subcommand for policy) */
    int nargs;
    bool json;
    bool dry_run;
    bool quiet;
    bool wait;
    const char *now;
    const char *column;
    const char *policy_values[POPT__COUNT]; /* as typed, NULL when not given */
    double retry_budget_s;
    long long move_default_max_rows;
    int jobs;             /* maintain, migrate backfill: worker sessions */
    const char *accept;   /* migrate: blockers accepted, comma-separated */
    long long batch_rows; /* migrate backfill: 0 = sized to batch_time_s */
    double batch_time_s;
    double max_rate; /* rows per second, 0 = unlimited */
    const char *keep_old;
    const char *run_id;
    const char *queries[CLI_MAX_QUERIES]; /* doctor --query */
    int nqueries;
    const char *vacuum_window; /* doctor */
    const char *stale;
    bool no_explain;
    int planning_partitions;  /* 0: the default */
    double planning_limit_ms; /* < 0: the default */
    const char *html;         /* doctor --html: the page's path, NULL when not asked */
    long long target_bytes;   /* advise --target-size; 0 = the default */
    const char *config;       /* daemon --config / --check-config FILE */
    bool check_config;
    /* Set by the daemon for its passes, never from the command line. */
    ActionHook on_action;         /* each action's outcome, instead of lines on stdout/stderr */
    void *hook_arg;               /* passed to on_action */
    const char *hold_destructive; /* why retirement steps wait this pass (the daemon's window) */
};

/* Parses argv; returns -1 to go on, or an exit code (after --help, or a
 * usage error already printed). */
int cli_parse(int argc, char **argv, Cli *cli);
void cli_usage(void);
/* Runs the parsed command; returns the exit code. */
int cli_run(Cli *cli);

__attribute__((format(printf, 1, 2))) void cli_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void cli_hint(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) int cli_usage_error(const char *fmt, ...);

/* Connects, checks the server version, (unless for init) the pgstrata
 * schema, and --now when given. NULL with *code set on failure, message
 * printed. */
Conn *cli_connect(const Cli *cli, bool need_schema, int *code);

/* Whether every typed table name parses (printing why not): checked before
 * connecting, so a malformed name is a usage error (exit 2). */
bool cli_names_valid(char **args, int nargs);

/* Resolves every typed table name and loads their policies (all policies
 * when none typed). Prints the error and returns false when a name is bad
 * or has no policy. */
struct PolicyRow;
bool cli_load_policies(Conn *c, const Cli *cli, char **args, int nargs, struct PolicyRow **rows,
                       size_t *n);

/* Applies the policy options typed on the command line to p. */
bool cli_apply_policy_options(Conn *c, const Cli *cli, Policy *p, int *code);

/* One pass over the policies: plan, then print (execute false) or run it.
 * creation_only (NULL: none) says, per policy, to plan no retirement (create;
 * tables under migration). */
int run_pass(Conn *c, const Cli *cli, const Policy *policies, const bool *creation_only, size_t n,
             bool execute);

/* maintain on an open session (the daemon's pass): the policies of the
 * tables in cli->args (all when none), the busy ones left alone as maintain
 * leaves them, then run_pass. Returns the exit code. */
int maintain_on(Conn *c, const Cli *cli);

/* Prints a cJSON document and frees it. */
struct cJSON;
void cli_print_json(struct cJSON *doc);

int cmd_init(Cli *cli);
int cmd_create(Cli *cli);
int cmd_policy(Cli *cli);
int cmd_plan(Cli *cli);
int cmd_maintain(Cli *cli);
int cmd_ls(Cli *cli);
int cmd_migrate(Cli *cli);
int cmd_doctor(Cli *cli);
int cmd_daemon(Cli *cli);
int cmd_advise(Cli *cli);
/* migrate subcommands: args[0] is the source table. */
int cmd_migrate_plan(Cli *cli, char **args, int nargs);
int cmd_migrate_step(Cli *cli, const char *step, char **args, int nargs);
/* migrate plan and start: checks --column and --interval and parses the
 * column name (*column, owned). -1 when fine, else the exit code (message
 * printed). */
int migrate_layout_args(const Cli *cli, const char *sub, char **column);
/* Fills p (policy_init'ed by the caller) with the policy of the new layout of
 * schema.table from the command line; takes column. false with *code set and
 * the message printed. */
bool migrate_layout_policy(Conn *c, const Cli *cli, const char *schema, const char *table,
                           char *column, Policy *p, int *code);

#endif
