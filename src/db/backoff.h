/* Waiting between attempts at a lock-bound step: backoff with jitter, within
 * a budget, in slices short enough that Ctrl-C is not kept waiting. Shared by
 * the executor and the migration steps. */
#ifndef PGSTRATA_BACKOFF_H
#define PGSTRATA_BACKOFF_H

#include <stdbool.h>

/* A monotonic clock in milliseconds. */
double clock_ms(void);
/* Sleeps, returning early on Ctrl-C. */
void sleep_ms(double ms);

typedef struct Backoff {
    double start_ms; /* when the step began (clock_ms): the budget counts from here */
    double delay_ms; /* the next wait before jitter */
} Backoff;

/* A backoff for a step that began at start_ms. */
Backoff backoff_from(double start_ms);
/* Waits before the next attempt: 100 ms doubling up to 5 s, each wait 50-100 %
 * of that. false, without waiting, when the wait would end past budget_s
 * seconds after the start. */
bool backoff_wait(Backoff *b, double budget_s);

#endif
