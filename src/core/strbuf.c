#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void out_of_memory(void)
{
    fputs("pgstrata: fatal: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory();
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

char *xstrdup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void strings_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

char *xasprintf(const char *fmt, ...)
{
    StrBuf sb;
    va_list ap;
    sb_init(&sb);
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    return sb.data;
}

static void sb_reserve(StrBuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    sb->data = xrealloc(sb->data, cap);
    sb->cap = cap;
}

void sb_init(StrBuf *sb)
{
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb_reserve(sb, 0);
    sb->data[0] = '\0';
}

void sb_free(StrBuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

void sb_reset(StrBuf *sb)
{
    sb->len = 0;
    sb->data[0] = '\0';
}

char *sb_steal(StrBuf *sb)
{
    char *s = sb->data;
    sb_init(sb);
    return s;
}

void sb_append_n(StrBuf *sb, const char *s, size_t n)
{
    sb_reserve(sb, n);
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void sb_append(StrBuf *sb, const char *s)
{
    sb_append_n(sb, s, strlen(s));
}

void sb_putc(StrBuf *sb, char c)
{
    sb_append_n(sb, &c, 1);
}

void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return;
    sb_reserve(sb, (size_t)n);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void sb_printf(StrBuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

void sb_ident(StrBuf *sb, const char *name)
{
    sb_putc(sb, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            sb_putc(sb, '"');
        sb_putc(sb, *p);
    }
    sb_putc(sb, '"');
}

void sb_qualified(StrBuf *sb, const char *schema, const char *name)
{
    sb_ident(sb, schema);
    sb_putc(sb, '.');
    sb_ident(sb, name);
}

void sb_literal(StrBuf *sb, const char *value)
{
    if (strchr(value, '\\'))
        sb_putc(sb, 'E');
    sb_putc(sb, '\'');
    for (const char *p = value; *p; p++) {
        if (*p == '\'' || *p == '\\')
            sb_putc(sb, *p);
        sb_putc(sb, *p);
    }
    sb_putc(sb, '\'');
}

void sb_shell_quoted(StrBuf *sb, const char *value)
{
    sb_putc(sb, '\'');
    for (const char *v = value; *v; v++) {
        if (*v == '\'')
            sb_append(sb, "'\\''");
        else
            sb_putc(sb, *v);
    }
    sb_putc(sb, '\'');
}

char *sql_qualified(const char *schema, const char *name)
{
    StrBuf sb;
    sb_init(&sb);
    sb_qualified(&sb, schema, name);
    return sb.data;
}
