#include "db/backoff.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "db/conn.h"

double clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void sleep_ms(double ms)
{
    double until = clock_ms() + ms;
    while (!interrupted()) {
        double left = until - clock_ms();
        if (left <= 0)
            break;
        if (left > 50)
            left = 50;
        struct timespec ts = {0, (long)(left * 1e6)};
        nanosleep(&ts, NULL);
    }
}

Backoff backoff_from(double start_ms)
{
    static bool seeded;
    if (!seeded) { /* jitter differs between processes started together */
        srand((unsigned int)(getpid() ^ (unsigned int)time(NULL)));
        seeded = true;
    }
    Backoff b = {start_ms, 100};
    return b;
}

bool backoff_wait(Backoff *b, double budget_s)
{
    double wait = b->delay_ms * (0.5 + 0.5 * (double)rand() / RAND_MAX);
    if (clock_ms() - b->start_ms + wait > budget_s * 1000.0)
        return false;
    sleep_ms(wait);
    if (b->delay_ms < 5000)
        b->delay_ms *= 2;
    return true;
}
