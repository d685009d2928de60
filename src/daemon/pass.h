/* One database's pass, in a process of its own forked by the scheduler: it
 * connects, takes the database's claim, runs maintain's code in-process on
 * its own session, reads the tables' metrics, and reports everything to the
 * scheduler as JSON lines on report_fd:
 *
 *   {"ev":"action","table":...,"action":...,"target":...,"outcome":...,
 *    "ms":...,"attempts":...,"detail":...}
 *   {"ev":"table","table":...,"partitions":...,"default_rows":...,
 *    "coverage_s":...,"key_ahead":...,"success_age_s":...}
 *   {"ev":"pass","result":"ok|failed|skipped|error","msg":...}
 *
 * Anything else it prints on stderr reaches the scheduler's log as a
 * warning. A pass that ends without its "pass" line (killed, crashed) is an
 * error for the scheduler. */
#ifndef PGSTRATA_DAEMON_PASS_H
#define PGSTRATA_DAEMON_PASS_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"
#include "daemon/metrics.h"

/* Runs the pass and exits the process. */
_Noreturn void pass_run(const DbConfig *db, int report_fd);

/* Tests only: the clock of every pass is the first line of this file (a
 * timestamptz), read afresh each pass, so a test can move days ahead. */
#define PASS_NOW_FILE_ENV "PGSTRATA_DAEMON_NOW_FILE"

/* The table metrics after a pass (daemon/pass_stats.c): for the tables of
 * names (all policies when none). false with *err. */
struct Conn;
bool pass_read_stats(struct Conn *c, char **names, size_t nnames, const char *now,
                     TableMetrics **out, size_t *n, char **err);

#endif
