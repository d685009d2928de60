/* Every command and option, declared once: the parser and --help both come
 * from these tables. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/advise.h"
#include "core/strbuf.h"
#include "version.h"

enum {
    C_INIT = 1 << 0,
    C_CREATE = 1 << 1,
    C_POLICY = 1 << 2,
    C_PLAN = 1 << 3,
    C_MAINTAIN = 1 << 4,
    C_LS = 1 << 5,
    C_MIGRATE = 1 << 6,
    C_DOCTOR = 1 << 7,
    C_ADVISE = 1 << 8,
    C_DAEMON = 1 << 9,
    C_ALL = 0x3ff,
    C_DB = C_ALL & ~C_DAEMON, /* the daemon's databases come from its configuration */
};

typedef struct Command {
    const char *name;
    int bit;
    int (*run)(Cli *);
    const char *synopsis;
    const char *summary;
} Command;

static const Command commands[] = {
    {"init", C_INIT, cmd_init, "init", "install or upgrade the pgstrata schema in the database"},
    {"create", C_CREATE, cmd_create, "create TABLE --column COL --interval I [policy options]",
     "register a policy for a range-partitioned table and make its first partitions"},
    {"policy", C_POLICY, cmd_policy, "policy list | show TABLE | set TABLE [options] | drop TABLE",
     "list, show, change or remove policies"},
    {"plan", C_PLAN, cmd_plan, "plan [TABLE...]",
     "print what maintain would do: each action with its SQL, lock and reason"},
    {"maintain", C_MAINTAIN, cmd_maintain, "maintain [TABLE...] [--dry-run] [--now TS]",
     "one maintenance pass: create ahead, retire past retention, analyze"},
    {"ls", C_LS, cmd_ls, "ls [TABLE]", "managed tables, or every partition of one table"},
    {"migrate", C_MIGRATE, cmd_migrate,
     "migrate plan|start|backfill|verify|cutover|rollback|finish|status SOURCE [options]",
     "re-lay a live table out online: a new partitioned tree, change capture, backfill, "
     "verify, cutover"},
    {"doctor", C_DOCTOR, cmd_doctor,
     "doctor [TABLE...] [--json] [--html FILE] [--query SQL]... [--vacuum-window SPAN] "
     "[--stale SPAN]",
     "what is wrong with the partitioned tables (any of them), and the fix for each; exit 0 "
     "healthy, 1 warnings, 2 errors"},
    {"advise", C_ADVISE, cmd_advise, "advise TABLE [--target-size SIZE] [--json]",
     "the layout a range-partitioned table should have, from its real growth: interval, "
     "retention, planning and vacuum time before and after, and the migrate commands to get "
     "there"},
    {"daemon", C_DAEMON, cmd_daemon, "daemon --config FILE | --check-config FILE",
     "the service: maintain the databases of a YAML configuration on a schedule, with "
     "Prometheus metrics; exit 2 when the configuration is invalid"},
};

enum {
    O_DBNAME = 'd',
    O_HOST = 'h',
    O_PORT = 'p',
    O_USER = 'U',
    O_NOPASS = 'w',
    O_PASS = 'W',
    O_QUIET = 'q',
    O_JOBS = 'j',
    O_HELP = 1000,
    O_VERSION,
    O_JSON,
    O_DRY_RUN,
    O_NOW,
    O_WAIT,
    O_COLUMN,
    O_RETRY_BUDGET,
    O_MOVE_DEFAULT_MAX,
    O_ACCEPT,
    O_BATCH_ROWS,
    O_BATCH_TIME,
    O_MAX_RATE,
    O_KEEP_OLD,
    O_QUERY,
    O_VACUUM_WINDOW,
    O_STALE,
    O_NO_EXPLAIN,
    O_PLANNING_PARTITIONS,
    O_PLANNING_LIMIT,
    O_CONFIG,
    O_CHECK_CONFIG,
    O_HTML,
    O_TARGET_SIZE,
    O_POLICY_BASE, /* + PolicyOption */
};

typedef struct OptionSpec {
    const char *name;
    int has_arg;
    int id;
    int commands; /* bit mask of commands that take it */
    const char *arg;
    const char *help;
} OptionSpec;

static const OptionSpec options[] = {
    {"dbname", 1, O_DBNAME, C_DB, "DB", "database name, conninfo string or URI"},
    {"host", 1, O_HOST, C_DB, "HOST", "server host or socket directory"},
    {"port", 1, O_PORT, C_DB, "PORT", "server port"},
    {"username", 1, O_USER, C_DB, "USER", "user name"},
    {"no-password", 0, O_NOPASS, C_DB, NULL, "never prompt for a password"},
    {"password", 0, O_PASS, C_DB, NULL, "prompt for a password"},
    {"quiet", 0, O_QUIET, C_DB, NULL, "print only errors and summaries"},
    {"json", 0, O_JSON, C_POLICY | C_PLAN | C_MAINTAIN | C_LS | C_MIGRATE | C_DOCTOR | C_ADVISE,
     NULL, "machine-readable output"},
    {"dry-run", 0, O_DRY_RUN, C_CREATE | C_MAINTAIN, NULL, "print the plan, change nothing"},
    {"now", 1, O_NOW, C_CREATE | C_PLAN | C_MAINTAIN | C_LS | C_MIGRATE | C_DOCTOR | C_ADVISE, "TS",
     "act as if the time were TS (a timestamptz; UTC without an offset)"},
    {"wait", 0, O_WAIT, C_MAINTAIN | C_CREATE, NULL,
     "wait for another pgstrata run on the same table instead of skipping it"},
    {"retry-budget", 1, O_RETRY_BUDGET, C_MAINTAIN | C_CREATE | C_MIGRATE, "SECONDS",
     "how long to keep retrying one lock-bound action (default 60)"},
    {"move-default-max-rows", 1, O_MOVE_DEFAULT_MAX, C_MAINTAIN | C_CREATE, "N",
     "most rows moved out of a default partition in one transaction (default 100000)"},
    {"jobs", 1, O_JOBS, C_MAINTAIN | C_MIGRATE, "N",
     "maintain up to N tables at once; migrate backfill: copy with N sessions at once (default "
     "1)"},
    {"accept", 1, O_ACCEPT, C_MIGRATE, "WHAT[,WHAT]",
     "migrate start: go on despite these blockers of the plan (each names its value)"},
    {"batch-rows", 1, O_BATCH_ROWS, C_MIGRATE, "N",
     "migrate backfill: rows per transaction (default: sized to --batch-time)"},
    {"batch-time", 1, O_BATCH_TIME, C_MIGRATE, "SECONDS",
     "migrate backfill: target length of one transaction (default 1)"},
    {"max-rate", 1, O_MAX_RATE, C_MIGRATE, "ROWS",
     "migrate backfill: copy at most ROWS rows per second"},
    {"keep-old", 1, O_KEEP_OLD, C_MIGRATE, "SPAN",
     "migrate finish: keep the old table this long before a later finish drops it"},
    {"query", 1, O_QUERY, C_DOCTOR, "SQL",
     "doctor: EXPLAIN this query (never runs it) and report how many partitions it scans; "
     "repeatable"},
    {"vacuum-window", 1, O_VACUUM_WINDOW, C_DOCTOR, "SPAN",
     "doctor: a partition whose vacuum would take longer is oversized (default 1 hour)"},
    {"stale", 1, O_STALE, C_DOCTOR, "SPAN",
     "doctor: changed partitions not analyzed this long are stale (default 7 days)"},
    {"no-explain", 0, O_NO_EXPLAIN, C_DOCTOR, NULL,
     "doctor: catalog only: no planning-time measurement, no pg_stat_statements EXPLAINs"},
    {"planning-partitions", 1, O_PLANNING_PARTITIONS, C_DOCTOR, "N",
     "doctor: measure the planning time of tables with at least N partitions (default 1000)"},
    {"planning-limit", 1, O_PLANNING_LIMIT, C_DOCTOR, "MS",
     "doctor: a planning time from this many milliseconds up is a warning (default 20)"},
    {"html", 1, O_HTML, C_DOCTOR, "FILE",
     "doctor: also write the report to FILE as one self-contained HTML page (a timeline of "
     "each table's partitions beside its findings)"},
    {"target-size", 1, O_TARGET_SIZE, C_ADVISE, "SIZE",
     "advise: the partition size to aim for, e.g. 500MB, 10GB, 1TB (default 10GB)"},
    {"config", 1, O_CONFIG, C_DAEMON, "FILE", "daemon: the YAML configuration to run"},
    {"check-config", 1, O_CHECK_CONFIG, C_DAEMON, "FILE",
     "daemon: check the configuration, say what it would run, and exit"},
    {"column", 1, O_COLUMN, C_CREATE | C_MIGRATE, "COL", "the range partition key column"},
    {"interval", 1, O_POLICY_BASE + POPT_INTERVAL, C_CREATE | C_POLICY | C_MIGRATE, "I",
     "partition width: 15 minutes, 1 hour, 1 day, 1 week, 1 month, 1 quarter, 1 year, N "
     "(integer keys)"},
    {"premake", 1, O_POLICY_BASE + POPT_PREMAKE, C_CREATE | C_POLICY | C_MIGRATE, "N|SPAN",
     "future coverage: N intervals ahead (default 4), or a span such as '7 days'"},
    {"start", 1, O_POLICY_BASE + POPT_START, C_CREATE | C_POLICY | C_MIGRATE, "VALUE",
     "first partition: the one holding VALUE (default: now, or max(key))"},
    {"retention", 1, O_POLICY_BASE + POPT_RETENTION, C_CREATE | C_POLICY | C_MIGRATE, "SPAN|N",
     "retire partitions older than SPAN (integer keys: keep the newest N ranges); none"},
    {"retention-mode", 1, O_POLICY_BASE + POPT_RETENTION_MODE, C_CREATE | C_POLICY | C_MIGRATE,
     "drop|detach|archive", "what retiring does (default drop)"},
    {"archive-command", 1, O_POLICY_BASE + POPT_ARCHIVE_COMMAND, C_CREATE | C_POLICY | C_MIGRATE,
     "CMD", "shell command receiving a retired partition as COPY text; %t table, %r range"},
    {"detach-schema", 1, O_POLICY_BASE + POPT_DETACH_SCHEMA, C_CREATE | C_POLICY | C_MIGRATE,
     "SCHEMA", "where detached partitions are kept (retention mode detach)"},
    {"drop-delay", 1, O_POLICY_BASE + POPT_DROP_DELAY, C_CREATE | C_POLICY | C_MIGRATE, "SPAN",
     "detach now, drop SPAN later"},
    {"window", 1, O_POLICY_BASE + POPT_WINDOW, C_CREATE | C_POLICY | C_MIGRATE, "HH:MM-HH:MM",
     "retire only inside this daily window (policy time zone); none"},
    {"time-zone", 1, O_POLICY_BASE + POPT_TIME_ZONE, C_CREATE | C_POLICY | C_MIGRATE, "ZONE",
     "zone that aligns day and longer bounds of timestamptz keys (default UTC)"},
    {"lock-timeout", 1, O_POLICY_BASE + POPT_LOCK_TIMEOUT, C_CREATE | C_POLICY | C_MIGRATE, "T",
     "lock_timeout for each DDL statement (default 1s)"},
    {"analyze", 1, O_POLICY_BASE + POPT_ANALYZE, C_CREATE | C_POLICY | C_MIGRATE,
     "every|changed|never", "when to ANALYZE the parent (default changed)"},
    {"help", 0, O_HELP, C_ALL, NULL, "show this help"},
    {"version", 0, O_VERSION, C_ALL, NULL, "show the version"},
};

#define N_OPTIONS  (sizeof(options) / sizeof(options[0]))
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pgstrata: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_hint(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pgstrata: hint: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pgstrata: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fputs("Try \"pgstrata --help\" for more information.\n", stderr);
    return EXIT_USAGE;
}

void cli_usage(void)
{
    printf("pgstrata %s: partition lifecycle manager for PostgreSQL\n\n", PGSTRATA_VERSION);
    printf("Usage:\n  pgstrata [OPTION]... COMMAND [ARG]...\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-58s\n      %s\n", commands[i].synopsis, commands[i].summary);
    printf("\nOptions:\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const OptionSpec *o = &options[i];
        char head[80];
        if (o->id < 256)
            snprintf(head, sizeof(head), "-%c, --%s%s%s", o->id, o->name, o->arg ? "=" : "",
                     o->arg ? o->arg : "");
        else
            snprintf(head, sizeof(head), "    --%s%s%s", o->name, o->arg ? "=" : "",
                     o->arg ? o->arg : "");
        printf("  %-34s %s\n", head, o->help);
    }
    printf("\nConnection: like psql: -d takes a name, a conninfo string or a URI; PGHOST,\n"
           "PGPORT, PGUSER, PGDATABASE, PGSERVICE, PGPASSFILE and ~/.pgpass apply.\n"
           "Table names are read as in SQL: events, public.events, '\"Mixed Case\"'.\n"
           "\nExit status:\n"
           "  0  everything asked was done\n"
           "  1  some action or check failed (the others were done)\n"
           "  2  the command line is wrong; nothing was done\n"
           "  3  could not connect, or the server is too old\n");
}

static const Command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static const OptionSpec *find_option(int id)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].id == id)
            return &options[i];
    return NULL;
}

static bool parse_number(const char *text, double min, double max, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int cli_parse(int argc, char **argv, Cli *cli)
{
    struct option longopts[N_OPTIONS + 1];
    char shortopts[64] = "";
    memset(longopts, 0, sizeof(longopts));
    for (size_t i = 0; i < N_OPTIONS; i++) {
        longopts[i].name = options[i].name;
        longopts[i].has_arg = options[i].has_arg;
        longopts[i].val = options[i].id;
        if (options[i].id < 256) {
            size_t n = strlen(shortopts);
            shortopts[n] = (char)options[i].id;
            shortopts[n + 1] = options[i].has_arg ? ':' : '\0';
            shortopts[n + 2] = '\0';
        }
    }
    memset(cli, 0, sizeof(*cli));
    cli->retry_budget_s = 60;
    cli->move_default_max_rows = 100000;
    cli->jobs = 1;
    cli->batch_time_s = 1;
    cli->planning_limit_ms = -1;
    int seen[N_OPTIONS];
    memset(seen, 0, sizeof(seen));
    opterr = 0; /* options may also follow the command (getopt permutes) */
    int id;
    while ((id = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (id == '?' || id == ':') {
            if (optopt && optopt < 256)
                return cli_usage_error("invalid option -- '%c'", optopt);
            return cli_usage_error("unrecognized option \"%s\"", argv[optind - 1]);
        }
        const OptionSpec *o = find_option(id);
        seen[o - options] = 1;
        double num;
        switch (id) {
        case O_DBNAME:
            cli->conn.dbname = optarg;
            break;
        case O_HOST:
            cli->conn.host = optarg;
            break;
        case O_PORT:
            cli->conn.port = optarg;
            break;
        case O_USER:
            cli->conn.user = optarg;
            break;
        case O_NOPASS:
            cli->conn.no_password = true;
            break;
        case O_PASS:
            cli->conn.password = true;
            break;
        case O_QUIET:
            cli->quiet = true;
            break;
        case O_HELP:
            cli_usage();
            return EXIT_OK;
        case O_VERSION:
            printf("pgstrata %s\n", PGSTRATA_VERSION);
            return EXIT_OK;
        case O_JSON:
            cli->json = true;
            break;
        case O_DRY_RUN:
            cli->dry_run = true;
            break;
        case O_NOW:
            cli->now = optarg;
            break;
        case O_WAIT:
            cli->wait = true;
            break;
        case O_COLUMN:
            cli->column = optarg;
            break;
        case O_RETRY_BUDGET:
            if (!parse_number(optarg, 0, 86400, &num))
                return cli_usage_error("invalid --retry-budget \"%s\": seconds from 0 to 86400",
                                       optarg);
            cli->retry_budget_s = num;
            break;
        case O_JOBS:
            if (!parse_number(optarg, 1, 64, &num) || num != (long long)num)
                return cli_usage_error("invalid --jobs \"%s\": a whole number from 1 to 64",
                                       optarg);
            cli->jobs = (int)num;
            break;
        case O_ACCEPT:
            cli->accept = optarg;
            break;
        case O_BATCH_ROWS:
            if (!parse_number(optarg, 1, 1e9, &num) || num != (long long)num)
                return cli_usage_error("invalid --batch-rows \"%s\": a whole number from 1",
                                       optarg);
            cli->batch_rows = (long long)num;
            break;
        case O_BATCH_TIME:
            if (!parse_number(optarg, 0.01, 60, &num))
                return cli_usage_error("invalid --batch-time \"%s\": seconds from 0.01 to 60",
                                       optarg);
            cli->batch_time_s = num;
            break;
        case O_MAX_RATE:
            if (!parse_number(optarg, 1, 1e9, &num))
                return cli_usage_error("invalid --max-rate \"%s\": rows per second", optarg);
            cli->max_rate = num;
            break;
        case O_KEEP_OLD:
            cli->keep_old = optarg;
            break;
        case O_QUERY:
            if (cli->nqueries == CLI_MAX_QUERIES)
                return cli_usage_error("at most %d --query options", CLI_MAX_QUERIES);
            cli->queries[cli->nqueries++] = optarg;
            break;
        case O_VACUUM_WINDOW:
            cli->vacuum_window = optarg;
            break;
        case O_STALE:
            cli->stale = optarg;
            break;
        case O_NO_EXPLAIN:
            cli->no_explain = true;
            break;
        case O_PLANNING_PARTITIONS:
            if (!parse_number(optarg, 1, 1e7, &num) || num != (long long)num)
                return cli_usage_error("invalid --planning-partitions \"%s\": a whole number "
                                       "from 1",
                                       optarg);
            cli->planning_partitions = (int)num;
            break;
        case O_PLANNING_LIMIT:
            if (!parse_number(optarg, 0, 1e6, &num))
                return cli_usage_error("invalid --planning-limit \"%s\": milliseconds", optarg);
            cli->planning_limit_ms = num;
            break;
        case O_HTML:
            if (!*optarg)
                return cli_usage_error("invalid --html \"\": a file name");
            cli->html = optarg;
            break;
        case O_TARGET_SIZE: {
            char why[256];
            int64_t bytes = 0;
            if (!advise_parse_size(optarg, &bytes, why, sizeof(why)))
                return cli_usage_error("%s", why);
            cli->target_bytes = bytes;
            break;
        }
        case O_CONFIG:
        case O_CHECK_CONFIG:
            if (cli->config)
                return cli_usage_error("give --config or --check-config once");
            cli->config = optarg;
            cli->check_config = id == O_CHECK_CONFIG;
            break;
        case O_MOVE_DEFAULT_MAX:
            if (!parse_number(optarg, 0, 1e12, &num))
                return cli_usage_error("invalid --move-default-max-rows \"%s\": a row count",
                                       optarg);
            cli->move_default_max_rows = (long long)num;
            break;
        default:
            cli->policy_values[id - O_POLICY_BASE] = optarg;
            break;
        }
    }
    if (optind >= argc)
        return cli_usage_error("no command given");
    const Command *cmd = find_command(argv[optind]);
    if (!cmd)
        return cli_usage_error("unknown command \"%s\"", argv[optind]);
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (seen[i] && !(options[i].commands & cmd->bit))
            return cli_usage_error("option --%s does not apply to \"pgstrata %s\"", options[i].name,
                                   cmd->name);
    cli->command = cmd->name;
    cli->run = cmd->run;
    cli->args = argv + optind + 1;
    cli->nargs = argc - optind - 1;
    return -1;
}

int cli_run(Cli *cli)
{
    return cli->run(cli);
}
