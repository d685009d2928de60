#include "db/failpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void failpoint_reach(const char *name, const char *phase)
{
    const char *fp = getenv("PGSTRATA_FAILPOINT");
    if (!fp)
        return;
    char want[128];
    int n = snprintf(want, sizeof(want), "%s:%s", name, phase);
    if (n < 0 || (size_t)n >= sizeof(want) || strncmp(fp, want, (size_t)n) != 0)
        return;
    long times = 1;
    if (fp[n] == ':') {
        char *end = NULL;
        times = strtol(fp + n + 1, &end, 10);
        if (end == fp + n + 1 || *end != '\0' || times < 1)
            return;
    } else if (fp[n] != '\0') {
        return;
    }
    /* hits of this one point in this process (one point is armed at a time) */
    static long hits;
    if (++hits < times)
        return;
    fprintf(stderr, "pgstrata: failpoint %s reached, exiting as if killed\n", fp);
    fflush(NULL);
    _exit(99);
}
