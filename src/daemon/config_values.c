/* The scalar values of the daemon's configuration: durations, windows, the
 * listen address. Pure text parsing, unit-tested. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/strbuf.h"
#include "daemon/config.h"

typedef struct Unit {
    const char *name;
    double seconds;
} Unit;

static const Unit units[] = {
    {"ms", 0.001},
    {"millisecond", 0.001},
    {"milliseconds", 0.001},
    {"s", 1},
    {"sec", 1},
    {"secs", 1},
    {"second", 1},
    {"seconds", 1},
    {"m", 60},
    {"min", 60},
    {"mins", 60},
    {"minute", 60},
    {"minutes", 60},
    {"h", 3600},
    {"hour", 3600},
    {"hours", 3600},
    {"d", 86400},
    {"day", 86400},
    {"days", 86400},
};

static const char duration_hint[] = "expected a number and a unit (ms, s, m, h, d), e.g. 15m";

bool config_parse_duration(const char *text, double *seconds, char *err, size_t errlen)
{
    const char *p = text;
    double total = 0;
    int parts = 0;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (!isdigit((unsigned char)*p) && *p != '.') {
            snprintf(err, errlen, "invalid duration \"%s\": %s", text, duration_hint);
            return false;
        }
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0 || v > 1e9) {
            snprintf(err, errlen, "invalid duration \"%s\": %s", text, duration_hint);
            return false;
        }
        p = end;
        while (*p == ' ')
            p++;
        const char *u = p;
        while (isalpha((unsigned char)*p))
            p++;
        size_t ulen = (size_t)(p - u);
        const Unit *found = NULL;
        for (size_t i = 0; ulen && i < sizeof(units) / sizeof(units[0]) && !found; i++)
            if (strlen(units[i].name) == ulen && strncasecmp(units[i].name, u, ulen) == 0)
                found = &units[i];
        if (!found) {
            if (ulen == 0)
                snprintf(err, errlen,
                         "invalid duration \"%s\": a number needs a unit (ms, s, m, "
                         "h, d), e.g. 15m",
                         text);
            else
                snprintf(err, errlen,
                         "invalid duration \"%s\": unknown unit \"%.*s\" (ms, s, m, "
                         "h, d)",
                         text, (int)ulen, u);
            return false;
        }
        total += v * found->seconds;
        parts++;
    }
    if (parts == 0) {
        snprintf(err, errlen, "invalid duration \"%s\": %s", text, duration_hint);
        return false;
    }
    *seconds = total;
    return true;
}

/* "HH:MM" at p, two digits each; advances p. */
static bool clock_time(const char **p, int *minutes)
{
    const char *s = *p;
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    /* 24:00 ends a window at midnight */
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return false;
    *minutes = h * 60 + m;
    *p = s + 5;
    return true;
}

bool config_parse_window(const char *text, Window *w, char *err, size_t errlen)
{
    const char *p = text;
    int a, b;
    if (!clock_time(&p, &a) || *p++ != '-' || !clock_time(&p, &b) || *p) {
        snprintf(err, errlen, "invalid window \"%s\": expected HH:MM-HH:MM, e.g. 01:00-05:00",
                 text);
        return false;
    }
    if (a == 24 * 60)
        a = 0;
    if (b == 24 * 60)
        b = 0;
    if (a == b) {
        snprintf(err, errlen, "invalid window \"%s\": the window is empty", text);
        return false;
    }
    w->start = a;
    w->end = b;
    return true;
}

void config_window_text(const Window *w, char buf[16])
{
    snprintf(buf, 16, "%02d:%02d-%02d:%02d", w->start / 60 % 24, w->start % 60, w->end / 60 % 24,
             w->end % 60);
}

bool config_parse_listen(const char *text, char **host, int *port, char *err, size_t errlen)
{
    static const char hint[] = "expected HOST:PORT, [IPV6]:PORT or :PORT, e.g. 127.0.0.1:9188";
    const char *colon;
    char *h = NULL;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close == text + 1 || close[1] != ':') {
            snprintf(err, errlen, "invalid listen address \"%s\": %s", text, hint);
            return false;
        }
        h = xstrdup(text + 1);
        h[close - text - 1] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || memchr(text, ':', (size_t)(colon - text))) {
            snprintf(err, errlen, "invalid listen address \"%s\": %s", text, hint);
            return false;
        }
        if (colon > text) {
            h = xstrdup(text);
            h[colon - text] = '\0';
        }
    }
    for (const char *c = h; c && *c; c++) {
        if (!isalnum((unsigned char)*c) && !strchr(".-:_%", *c)) {
            snprintf(err, errlen, "invalid listen address \"%s\": %s", text, hint);
            free(h);
            return false;
        }
    }
    const char *digits = colon + 1;
    char *end;
    long v = strtol(digits, &end, 10);
    if (!isdigit((unsigned char)*digits) || *end || v < 0 || v > 65535) {
        snprintf(err, errlen,
                 "invalid listen address \"%s\": the port must be a number from 0 to "
                 "65535",
                 text);
        free(h);
        return false;
    }
    *host = h;
    *port = (int)v;
    return true;
}

void config_duration_text(double s, char buf[32])
{
    if (s < 1 && s > 0) {
        snprintf(buf, 32, "%.0fms", s * 1000);
        return;
    }
    long long t = (long long)(s + 0.5);
    int n = 0;
    buf[0] = '\0';
    static const struct {
        const char *unit;
        long long secs;
    } parts[] = {{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}};
    for (size_t i = 0; i < 4; i++) {
        if (t >= parts[i].secs || (i == 3 && n == 0)) {
            n += snprintf(buf + n, (size_t)(32 - n), "%lld%s", t / parts[i].secs, parts[i].unit);
            t %= parts[i].secs;
        }
    }
}
