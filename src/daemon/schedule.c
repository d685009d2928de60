#include "daemon/schedule.h"

#include "core/strbuf.h"

double sched_first(const PassSettings *s, double now, double u)
{
    return now + u * s->jitter_s;
}

double sched_next(const PassSettings *s, double due, double now, double u)
{
    double base = due + s->interval_s;
    /* a pass that overran: the slots it covered are not made up for */
    while (base + s->jitter_s < now)
        base += s->interval_s;
    double t = base + (2 * u - 1) * s->jitter_s;
    return t < now ? now : t;
}

double sched_retry_delay(const PassSettings *s, int failures, double u)
{
    double cap = s->interval_s < 300 ? s->interval_s : 300;
    double d = 1;
    for (int i = 1; i < failures && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    return d * (0.5 + 0.5 * u);
}

bool windows_open(const Window *w, size_t n, int minute)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        bool in = w[i].start < w[i].end ? minute >= w[i].start && minute < w[i].end
                                        : minute >= w[i].start || minute < w[i].end;
        if (in)
            return true;
    }
    return false;
}

char *windows_hold_reason(const Window *w, size_t n, const char *zone, int minute)
{
    if (windows_open(w, n, minute))
        return NULL;
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "retirement steps wait for the daemon's maintenance window%s ",
              n > 1 ? "s" : "");
    for (size_t i = 0; i < n; i++) {
        char buf[16];
        config_window_text(&w[i], buf);
        sb_printf(&sb, "%s%s", i ? ", " : "", buf);
    }
    sb_printf(&sb, " (%s); it is %02d:%02d there now", zone, minute / 60, minute % 60);
    return sb.data;
}
