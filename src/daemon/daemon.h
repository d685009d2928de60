/* pgstrata daemon: maintain many databases on a schedule.
 *
 * One scheduler process forks one short-lived process per database pass
 * (daemon/pass.h). A pass that hangs or crashes never holds up another
 * database; the scheduler keeps the metrics, the log and the schedule, and
 * itself never talks to a database. */
#ifndef PGSTRATA_DAEMON_H
#define PGSTRATA_DAEMON_H

/* Runs until SIGTERM or SIGINT; returns the exit code: 0 after a stop, 2 when
 * the configuration is invalid at start (nothing runs). */
int daemon_run(const char *config_path);
/* Reads and checks the file, says what it would run; 0 valid, 2 invalid. */
int daemon_check_config(const char *config_path);

#endif
