/* When each database's passes start: pure functions of the settings, the
 * clock and a random number, so the unit tests can check them exactly.
 * Times are seconds on a monotonic clock; u is uniform in [0, 1). */
#ifndef PGSTRATA_DAEMON_SCHEDULE_H
#define PGSTRATA_DAEMON_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"

/* The first pass: within one jitter after the start, so databases (and
 * replicas started together) spread out instead of all connecting at once. */
double sched_first(const PassSettings *s, double now, double u);
/* The pass after one that was due at `due`: one interval later, moved by up to
 * the jitter either way; intervals missed while the pass ran are skipped, and
 * it is never before now. */
double sched_next(const PassSettings *s, double due, double now, double u);
/* The wait before trying again after `failures` (1, 2, ...) passes in a row
 * could not reach the database: 1 s doubling, at most the interval and at most
 * 5 minutes, each wait 50-100 % of that. */
double sched_retry_delay(const PassSettings *s, int failures, double u);

/* Whether minute-of-day `minute` is inside one of the windows; no windows
 * means any time. */
bool windows_open(const Window *w, size_t n, int minute);
/* Why retirement steps wait, for the plan's note: NULL when the windows are
 * open. Caller frees. */
char *windows_hold_reason(const Window *w, size_t n, const char *zone, int minute);

#endif
