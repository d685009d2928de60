#include "core/check_bounds.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"
#include "core/plan.h"
#include "core/strbuf.h"

typedef struct Side {
    char *column;
    bool has_lower, has_upper;
    KeyType type;
    int64_t lower, upper;
} Side;

typedef struct Parse {
    Side *cols;
    size_t ncols;
    StrList other;
} Parse;

static char *dup_n(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Strips whitespace and as many enclosing parentheses as wrap the whole text. */
static void trim(const char **s, size_t *len)
{
    for (;;) {
        while (*len && isspace((unsigned char)**s))
            (*s)++, (*len)--;
        while (*len && isspace((unsigned char)(*s)[*len - 1]))
            (*len)--;
        if (*len < 2 || (*s)[0] != '(' || (*s)[*len - 1] != ')')
            return;
        int depth = 0;
        bool quoted = false, wraps = true;
        for (size_t i = 0; i < *len && wraps; i++) {
            char ch = (*s)[i];
            if (ch == '\'' || ch == '"')
                quoted = !quoted;
            else if (!quoted && ch == '(')
                depth++;
            else if (!quoted && ch == ')' && --depth == 0 && i != *len - 1)
                wraps = false;
        }
        if (!wraps)
            return;
        (*s)++;
        *len -= 2;
    }
}

/* The smallest step of a key type, for "<=" and ">". */
static int64_t step(KeyType t)
{
    return t == KEY_DATE ? CIVIL_DAY : 1;
}

/* A literal as printed: 100, -5, '2024-01-01'::date, '...'::timestamp with time zone. */
static bool literal(const char *s, size_t len, KeyType *type, int64_t *v)
{
    if (len && s[0] == '\'') {
        const char *end = memchr(s + 1, '\'', len - 1);
        if (!end || (size_t)(end - s) + 3 > len || end[1] != ':' || end[2] != ':')
            return false;
        size_t tlen = len - (size_t)(end + 3 - s);
        const char *tn = end + 3;
        static const struct {
            const char *name;
            KeyType type;
        } casts[] = {{"timestamp without time zone", KEY_TIMESTAMP},
                     {"timestamp with time zone", KEY_TIMESTAMPTZ},
                     {"date", KEY_DATE},
                     {"integer", KEY_INTEGER},
                     {"bigint", KEY_BIGINT}};
        for (size_t i = 0; i < sizeof(casts) / sizeof(casts[0]); i++)
            if (strlen(casts[i].name) == tlen && strncmp(tn, casts[i].name, tlen) == 0) {
                *type = casts[i].type;
                return key_parse_printed(*type, s + 1, (size_t)(end - s - 1), v);
            }
        return false;
    }
    *type = KEY_BIGINT;
    return key_parse_printed(KEY_BIGINT, s, len, v);
}

/* A column name as printed: bare, or double-quoted with "" for a quote. */
static char *column_name(const char *s, size_t len)
{
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
        StrBuf b;
        sb_init(&b);
        for (size_t i = 1; i + 1 < len; i++) {
            sb_putc(&b, s[i]);
            if (s[i] == '"')
                i++;
        }
        char *name = sb_steal(&b);
        sb_free(&b);
        return name;
    }
    for (size_t i = 0; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '$'))
            return NULL;
    return len ? dup_n(s, len) : NULL;
}

static Side *side_of(Parse *p, char *column)
{
    for (size_t i = 0; i < p->ncols; i++)
        if (strcmp(p->cols[i].column, column) == 0) {
            free(column);
            return &p->cols[i];
        }
    p->cols = xrealloc(p->cols, (p->ncols + 1) * sizeof(Side));
    p->cols[p->ncols] = (Side){.column = column};
    return &p->cols[p->ncols++];
}

/* One comparison "column OP literal"; false when it is something else. */
static bool comparison(Parse *p, const char *s, size_t len)
{
    static const char *const ops[] = {" >= ", " <= ", " > ", " < "};
    for (size_t k = 0; k < 4; k++) {
        size_t olen = strlen(ops[k]);
        for (size_t i = 0; i + olen <= len; i++) {
            if (strncmp(s + i, ops[k], olen) != 0)
                continue;
            KeyType type;
            int64_t v;
            char *col = column_name(s, i);
            if (!col)
                return false;
            if (!literal(s + i + olen, len - i - olen, &type, &v)) {
                free(col);
                return false;
            }
            Side *side = side_of(p, col);
            side->type = type;
            bool inclusive = ops[k][2] == '=';
            if (ops[k][1] == '>') { /* ">= v", or "> v" read as ">= v+1" */
                side->has_lower = true;
                side->lower = inclusive ? v : v + step(type);
            } else { /* "< v", or "<= v" read as "< v+1" */
                side->has_upper = true;
                side->upper = inclusive ? v + step(type) : v;
            }
            return true;
        }
    }
    return false;
}

/* Splits on top-level " AND " and records each part. */
static void conjunction(Parse *p, const char *s, size_t len)
{
    trim(&s, &len);
    int depth = 0;
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '\'' || ch == '"')
            quoted = !quoted;
        else if (!quoted && ch == '(')
            depth++;
        else if (!quoted && ch == ')')
            depth--;
        else if (!quoted && depth == 0 && strncmp(s + i, " AND ", 5) == 0) {
            conjunction(p, s, i);
            conjunction(p, s + i + 5, len - i - 5);
            return;
        }
    }
    if (!comparison(p, s, len))
        strlist_add(&p->other, dup_n(s, len));
}

void check_bounds_parse(const char *defs, CheckBounds *out)
{
    memset(out, 0, sizeof(*out));
    Parse p = {0};
    for (const char *line = defs; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len > 6 && strncmp(line, "CHECK ", 6) == 0)
            conjunction(&p, line + 6, len - 6);
        line = nl ? nl + 1 : NULL;
    }
    Side *key = NULL;
    for (size_t i = 0; i < p.ncols; i++) {
        Side *c = &p.cols[i];
        if (!key && c->has_lower && c->has_upper)
            key = c;
        else if (key && c->has_lower && c->has_upper && key_type_is_time(c->type) &&
                 !key_type_is_time(key->type))
            key = c; /* (tenant range, month range): the time column is the key */
    }
    StrBuf group;
    sb_init(&group);
    for (size_t i = 0; i < p.ncols; i++) {
        Side *c = &p.cols[i];
        if (c == key)
            continue;
        char lo[48], hi[48];
        key_format(c->type, c->lower, lo);
        key_format(c->type, c->upper, hi);
        sb_printf(&group, "%s%s in [%s, %s)", group.len ? " AND " : "", c->column,
                  c->has_lower ? lo : "-inf", c->has_upper ? hi : "inf");
    }
    for (size_t i = 0; i < p.other.n; i++)
        sb_printf(&group, "%s%s", group.len ? " AND " : "", p.other.items[i]);
    if (key) {
        out->column = key->column;
        key->column = NULL;
        out->key_type = key->type;
        out->lower = key->lower;
        out->upper = key->upper;
    }
    out->group = group.len ? sb_steal(&group) : NULL;
    sb_free(&group);
    for (size_t i = 0; i < p.ncols; i++)
        free(p.cols[i].column);
    free(p.cols);
    strlist_free(&p.other);
}

void check_bounds_free(CheckBounds *b)
{
    free(b->column);
    free(b->group);
    memset(b, 0, sizeof(*b));
}
