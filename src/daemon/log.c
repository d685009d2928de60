#include "daemon/log.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/strbuf.h"

static bool as_json = true;

void log_set_format(LogFormat f)
{
    as_json = f == LOG_JSON || (f == LOG_AUTO && !isatty(STDERR_FILENO));
}

cJSON *log_begin(const char *level, const char *database, const char *msg)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    time_t secs = tv.tv_sec;
    gmtime_r(&secs, &tm);
    char ts[40], stamp[48];
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp, sizeof(stamp), "%s.%03dZ", ts, (int)(tv.tv_usec / 1000));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ts", stamp);
    cJSON_AddStringToObject(o, "level", level);
    if (database)
        cJSON_AddStringToObject(o, "database", database);
    cJSON_AddStringToObject(o, "msg", msg);
    return o;
}

/* key=value, the value quoted when it holds a space, a quote or nothing. */
static void text_field(StrBuf *sb, const cJSON *f)
{
    sb_printf(sb, " %s=", f->string);
    if (cJSON_IsNumber(f)) {
        double v = f->valuedouble;
        if (v == floor(v) && fabs(v) < 1e15)
            sb_printf(sb, "%.0f", v);
        else
            sb_printf(sb, "%.1f", v);
        return;
    }
    if (cJSON_IsBool(f)) {
        sb_append(sb, cJSON_IsTrue(f) ? "true" : "false");
        return;
    }
    const char *s = cJSON_IsString(f) ? f->valuestring : "";
    if (*s && !strpbrk(s, " \"\t\n")) {
        sb_append(sb, s);
        return;
    }
    sb_putc(sb, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_putc(sb, '\\');
        if (*s == '\n')
            sb_append(sb, "\\n");
        else
            sb_putc(sb, *s);
    }
    sb_putc(sb, '"');
}

void log_end(cJSON *o)
{
    StrBuf sb;
    sb_init(&sb);
    if (as_json) {
        char *line = cJSON_PrintUnformatted(o);
        sb_append(&sb, line);
        free(line);
    } else {
        const cJSON *db = cJSON_GetObjectItemCaseSensitive(o, "database");
        sb_printf(&sb, "%s %-7s ", cJSON_GetObjectItemCaseSensitive(o, "ts")->valuestring,
                  cJSON_GetObjectItemCaseSensitive(o, "level")->valuestring);
        if (db)
            sb_printf(&sb, "[%s] ", db->valuestring);
        sb_append(&sb, cJSON_GetObjectItemCaseSensitive(o, "msg")->valuestring);
        for (const cJSON *f = o->child; f; f = f->next)
            if (strcmp(f->string, "ts") && strcmp(f->string, "level") &&
                strcmp(f->string, "database") && strcmp(f->string, "msg"))
                text_field(&sb, f);
    }
    sb_putc(&sb, '\n');
    /* one write per line: lines of a crashing pass and ours never interleave */
    size_t off = 0;
    while (off < sb.len) {
        ssize_t w = write(STDERR_FILENO, sb.data + off, sb.len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    sb_free(&sb);
    cJSON_Delete(o);
}

void log_msg(const char *level, const char *database, const char *fmt, ...)
{
    StrBuf sb;
    sb_init(&sb);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    log_end(log_begin(level, database, sb.data));
    sb_free(&sb);
}
