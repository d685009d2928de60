#include "core/policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"
#include "core/strbuf.h"

static const char *const option_flags[POPT__COUNT] = {
    [POPT_INTERVAL] = "--interval",
    [POPT_PREMAKE] = "--premake",
    [POPT_START] = "--start",
    [POPT_RETENTION] = "--retention",
    [POPT_RETENTION_MODE] = "--retention-mode",
    [POPT_ARCHIVE_COMMAND] = "--archive-command",
    [POPT_DETACH_SCHEMA] = "--detach-schema",
    [POPT_DROP_DELAY] = "--drop-delay",
    [POPT_WINDOW] = "--window",
    [POPT_TIME_ZONE] = "--time-zone",
    [POPT_LOCK_TIMEOUT] = "--lock-timeout",
    [POPT_ANALYZE] = "--analyze",
};

const char *policy_option_flag(PolicyOption opt)
{
    return option_flags[opt];
}

void policy_init(Policy *p)
{
    memset(p, 0, sizeof(*p));
    p->interval.unit = UNIT_DAY;
    p->interval.count = 1;
    p->premake.is_count = true;
    p->premake.count = POLICY_DEFAULT_PREMAKE;
    p->retention_mode = RETIRE_DROP;
    p->time_zone = xstrdup("UTC");
    p->lock_timeout_ms = POLICY_DEFAULT_LOCK_TIMEOUT;
    p->analyze = ANALYZE_CHANGED;
    p->enabled = true;
}

void policy_free(Policy *p)
{
    free(p->schema);
    free(p->table);
    free(p->column);
    free(p->archive_command);
    free(p->detach_schema);
    free(p->time_zone);
    memset(p, 0, sizeof(*p));
}

void policy_copy(Policy *dst, const Policy *src)
{
    *dst = *src;
    dst->schema = xstrdup_or_null(src->schema);
    dst->table = xstrdup_or_null(src->table);
    dst->column = xstrdup_or_null(src->column);
    dst->archive_command = xstrdup_or_null(src->archive_command);
    dst->detach_schema = xstrdup_or_null(src->detach_schema);
    dst->time_zone = xstrdup_or_null(src->time_zone);
}

const char *retention_mode_name(RetentionMode m)
{
    switch (m) {
    case RETIRE_DROP:
        return "drop";
    case RETIRE_DETACH:
        return "detach";
    case RETIRE_ARCHIVE:
        return "archive";
    }
    return "?";
}

const char *analyze_mode_name(AnalyzeMode m)
{
    switch (m) {
    case ANALYZE_CHANGED:
        return "changed";
    case ANALYZE_EVERY:
        return "every";
    case ANALYZE_NEVER:
        return "never";
    }
    return "?";
}

/* A bare decimal count: digits only, surrounding spaces allowed. */
static bool parse_count(const char *text, int64_t min, int64_t max, int64_t *out)
{
    while (isspace((unsigned char)*text))
        text++;
    if (!isdigit((unsigned char)*text))
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool has_control_chars(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

bool parse_lock_timeout(const char *text, int *ms, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    double scale = 1;
    if (end == text || errno || !(v > 0) || v > 1e9) { /* also NaN and infinity */
        snprintf(err, errlen,
                 "invalid --lock-timeout \"%s\": expected a duration such as 500ms or 2s", text);
        return false;
    }
    while (isspace((unsigned char)*end))
        end++;
    if (*end == '\0' || strcmp(end, "ms") == 0)
        scale = 1;
    else if (strcmp(end, "s") == 0 || strcmp(end, "sec") == 0)
        scale = 1000;
    else if (strcmp(end, "min") == 0)
        scale = 60000;
    else {
        snprintf(err, errlen,
                 "invalid --lock-timeout \"%s\": unknown unit \"%s\" (use ms, s or min)", text,
                 end);
        return false;
    }
    double total = v * scale;
    if (total < 1 || total > 600000) {
        snprintf(err, errlen, "invalid --lock-timeout \"%s\": must be between 1ms and 10min", text);
        return false;
    }
    *ms = (int)total;
    return true;
}

/* Exactly HH:MM, digits only; 24:00 is the end of the day. */
static bool parse_hhmm(const char *s, int *minute)
{
    if (strlen(s) != 5 || s[2] != ':')
        return false;
    for (int i = 0; i < 5; i++)
        if (i != 2 && !isdigit((unsigned char)s[i]))
            return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return false;
    *minute = h * 60 + m;
    return true;
}

static bool parse_window(Policy *p, const char *text, char *err, size_t errlen)
{
    char start[8], end[8];
    const char *dash = strchr(text, '-');
    if (strcmp(text, "none") == 0) {
        p->has_window = false;
        return true;
    }
    if (!dash || dash - text != 5 || strlen(dash + 1) != 5) {
        snprintf(err, errlen, "invalid --window \"%s\": expected HH:MM-HH:MM, e.g. 01:00-05:00",
                 text);
        return false;
    }
    memcpy(start, text, 5);
    start[5] = '\0';
    memcpy(end, dash + 1, 6);
    int a, b;
    if (!parse_hhmm(start, &a) || !parse_hhmm(end, &b)) {
        snprintf(err, errlen, "invalid --window \"%s\": expected HH:MM-HH:MM, e.g. 01:00-05:00",
                 text);
        return false;
    }
    a %= 1440; /* 24:00 as a start is midnight; as an end it closes the day */
    if (a == b || (a == 0 && b == 0)) {
        snprintf(err, errlen, "invalid --window \"%s\": the window is empty", text);
        return false;
    }
    p->has_window = true;
    p->window_start = a;
    p->window_end = b;
    return true;
}

bool policy_window_open(const Policy *p, int minute)
{
    if (!p->has_window)
        return true;
    if (p->window_start < p->window_end)
        return minute >= p->window_start && minute < p->window_end;
    return minute >= p->window_start || minute < p->window_end; /* wraps midnight */
}

static bool apply_duration(const char *flag, const char *value, Duration *out, char *err,
                           size_t errlen)
{
    char why[200];
    if (!duration_parse(value, out, why, sizeof(why))) {
        snprintf(err, errlen, "invalid %s: %s", flag, why);
        return false;
    }
    return true;
}

static void set_string(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup_or_null(value);
}

static bool is_none(const char *value)
{
    return strcmp(value, "none") == 0 || strcmp(value, "") == 0;
}

bool policy_apply(Policy *p, PolicyOption opt, const char *value, char *err, size_t errlen)
{
    if ((unsigned)opt >= POPT__COUNT) {
        snprintf(err, errlen, "unknown policy option");
        return false;
    }
    const char *flag = option_flags[opt];
    char why[200];
    bool integer_key = !key_type_is_time(p->key_type);

    switch (opt) {
    case POPT_INTERVAL:
        if (!interval_parse(value, &p->interval, why, sizeof(why))) {
            snprintf(err, errlen, "%s", why);
            return false;
        }
        if (!interval_fits_key(&p->interval, p->key_type, why, sizeof(why))) {
            snprintf(err, errlen, "invalid --interval: %s", why);
            return false;
        }
        return true;
    case POPT_PREMAKE:
        if (parse_count(value, 0, 100000, &p->premake.count)) {
            if (p->premake.count == 0) {
                snprintf(err, errlen,
                         "invalid --premake \"%s\": must be at least 1, or nothing would be made "
                         "ahead of the data",
                         value);
                return false;
            }
            p->premake.is_count = true;
            return true;
        }
        if (integer_key) {
            snprintf(err, errlen,
                     "invalid --premake \"%s\": an integer key takes a count of ranges ahead, "
                     "e.g. 4",
                     value);
            return false;
        }
        if (!apply_duration(flag, value, &p->premake.span, err, errlen))
            return false;
        if (duration_is_zero(&p->premake.span)) {
            snprintf(err, errlen, "invalid --premake \"%s\": must be more than zero", value);
            return false;
        }
        p->premake.is_count = false;
        return true;
    case POPT_START:
        if (is_none(value)) {
            p->has_start = false;
            return true;
        }
        if (!key_parse(p->key_type, value, &p->start)) {
            snprintf(err, errlen, "invalid --start \"%s\": not %s %s value%s", value,
                     p->key_type == KEY_INTEGER ? "an" : "a", key_type_name(p->key_type),
                     integer_key ? "" : " (expected YYYY-MM-DD or YYYY-MM-DD HH:MM)");
            return false;
        }
        p->has_start = true;
        return true;
    case POPT_RETENTION:
        if (is_none(value)) {
            p->retention.set = false;
            return true;
        }
        if (integer_key) {
            if (!parse_count(value, 1, 1000000, &p->retention.ranges)) {
                snprintf(err, errlen,
                         "invalid --retention \"%s\": an integer key keeps the newest N ranges; "
                         "give N (at least 1)",
                         value);
                return false;
            }
        } else if (!apply_duration(flag, value, &p->retention.span, err, errlen)) {
            return false;
        }
        p->retention.set = true;
        return true;
    case POPT_RETENTION_MODE:
        if (strcmp(value, "drop") == 0)
            p->retention_mode = RETIRE_DROP;
        else if (strcmp(value, "detach") == 0)
            p->retention_mode = RETIRE_DETACH;
        else if (strcmp(value, "archive") == 0)
            p->retention_mode = RETIRE_ARCHIVE;
        else {
            snprintf(err, errlen, "invalid --retention-mode \"%s\": use drop, detach or archive",
                     value);
            return false;
        }
        return true;
    case POPT_ARCHIVE_COMMAND:
        set_string(&p->archive_command, is_none(value) ? NULL : value);
        return true;
    case POPT_DETACH_SCHEMA:
        if (!is_none(value) && (strlen(value) > 63 || has_control_chars(value))) {
            snprintf(err, errlen, "invalid --detach-schema \"%s\": not a valid schema name", value);
            return false;
        }
        set_string(&p->detach_schema, is_none(value) ? NULL : value);
        return true;
    case POPT_DROP_DELAY:
        return apply_duration(flag, value, &p->drop_delay, err, errlen);
    case POPT_WINDOW:
        return parse_window(p, value, err, errlen);
    case POPT_TIME_ZONE:
        if (!*value || strlen(value) > 64 || has_control_chars(value)) {
            snprintf(err, errlen, "invalid --time-zone \"%s\": not a time zone name", value);
            return false;
        }
        set_string(&p->time_zone, value);
        return true;
    case POPT_LOCK_TIMEOUT:
        return parse_lock_timeout(value, &p->lock_timeout_ms, err, errlen);
    case POPT_ANALYZE:
        if (strcmp(value, "changed") == 0)
            p->analyze = ANALYZE_CHANGED;
        else if (strcmp(value, "every") == 0)
            p->analyze = ANALYZE_EVERY;
        else if (strcmp(value, "never") == 0)
            p->analyze = ANALYZE_NEVER;
        else {
            snprintf(err, errlen, "invalid --analyze \"%s\": use every, changed or never", value);
            return false;
        }
        return true;
    case POPT__COUNT:
        break;
    }
    snprintf(err, errlen, "unknown policy option");
    return false;
}

bool policy_validate(const Policy *p, char *err, size_t errlen)
{
    char why[200], ivtext[48];
    if (!interval_fits_key(&p->interval, p->key_type, why, sizeof(why))) {
        snprintf(err, errlen, "invalid --interval: %s", why);
        return false;
    }
    interval_format(&p->interval, ivtext);
    if (!p->premake.is_count && !key_type_is_time(p->key_type)) {
        snprintf(err, errlen, "invalid --premake: an integer key takes a count of ranges ahead");
        return false;
    }
    if (p->retention.set && key_type_is_time(p->key_type)) {
        /* Checked at a 31-day month so "1 month" retention passes a monthly interval. */
        int64_t jan = civil_from_fields(&(CivilFields){2026, 1, 1, 0, 0, 0});
        char rtext[96];
        duration_format(&p->retention.span, rtext);
        if (!duration_covers_interval(&p->retention.span, &p->interval, jan)) {
            snprintf(err, errlen,
                     "invalid --retention \"%s\": shorter than one interval (%s); it would retire "
                     "the partition being written",
                     rtext, ivtext);
            return false;
        }
    }
    if (p->retention_mode == RETIRE_ARCHIVE && !p->archive_command) {
        snprintf(err, errlen,
                 "--retention-mode archive needs --archive-command (it receives each retired "
                 "partition as COPY text on stdin)");
        return false;
    }
    if (p->archive_command && p->retention_mode != RETIRE_ARCHIVE) {
        snprintf(err, errlen, "--archive-command is only used with --retention-mode archive");
        return false;
    }
    if (p->detach_schema && p->retention_mode != RETIRE_DETACH) {
        snprintf(err, errlen, "--detach-schema is only used with --retention-mode detach");
        return false;
    }
    if (!duration_is_zero(&p->drop_delay) && p->retention_mode == RETIRE_DETACH) {
        snprintf(err, errlen,
                 "--drop-delay does not apply to --retention-mode detach, which never drops");
        return false;
    }
    return true;
}

char *policy_premake_text(const Policy *p)
{
    if (p->premake.is_count)
        return xasprintf("%lld", (long long)p->premake.count);
    char buf[96];
    duration_format(&p->premake.span, buf);
    return xstrdup(buf);
}

char *policy_retention_text(const Policy *p)
{
    if (!p->retention.set)
        return NULL;
    if (!key_type_is_time(p->key_type))
        return xasprintf("%lld", (long long)p->retention.ranges);
    char buf[96];
    duration_format(&p->retention.span, buf);
    return xstrdup(buf);
}

char *policy_start_text(const Policy *p)
{
    if (!p->has_start)
        return NULL;
    char buf[48];
    key_format(p->key_type, p->start, buf);
    return xstrdup(buf);
}

char *policy_window_text(const Policy *p)
{
    if (!p->has_window)
        return NULL;
    return xasprintf("%02d:%02d-%02d:%02d", p->window_start / 60, p->window_start % 60,
                     p->window_end / 60, p->window_end % 60);
}
