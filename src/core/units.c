#include "core/units.h"

#include <math.h>
#include <stdio.h>

void format_bytes(int64_t bytes, char buf[32])
{
    static const char *const units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
    if (bytes < 0) {
        snprintf(buf, 32, "?");
        return;
    }
    if (bytes < 1024) {
        snprintf(buf, 32, "%lld B", (long long)bytes);
        return;
    }
    double v = (double)bytes / 1024.0;
    size_t u = 0;
    /* Move up a unit when one decimal would round to 1024.0 ("1024.0 kB"). */
    while (u + 1 < sizeof units / sizeof units[0] && v >= 1023.95) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, 32, "%.1f %s", v, units[u]);
}

void format_duration(double seconds, char buf[32])
{
    if (!isfinite(seconds) || seconds < 0)
        snprintf(buf, 32, "?");
    else if (seconds < 1)
        snprintf(buf, 32, "under 1 s");
    else if (seconds < 90)
        snprintf(buf, 32, "%.0f s", seconds);
    else if (seconds < 5400)
        snprintf(buf, 32, "%.0f min", seconds / 60);
    else if (seconds < 2 * 86400.0)
        snprintf(buf, 32, "%.0f h %.0f min", floor(seconds / 3600), fmod(floor(seconds / 60), 60));
    else
        snprintf(buf, 32, "%.1f days", seconds / 86400);
}
