/* Growable strings, and SQL quoting that needs no connection.
 *
 * Every identifier or value that reaches SQL text goes through sb_ident() or
 * sb_literal(). Sessions always run with standard_conforming_strings = on and
 * client_encoding = UTF8 (db/conn.c), which is what these rules assume. */
#ifndef PGSTRATA_STRBUF_H
#define PGSTRATA_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct StrBuf {
    char *data; /* always NUL-terminated, never NULL after sb_init */
    size_t len;
    size_t cap;
} StrBuf;

void sb_init(StrBuf *sb);
void sb_free(StrBuf *sb);
void sb_reset(StrBuf *sb);
/* Hands the string to the caller (who frees it) and leaves sb empty. */
char *sb_steal(StrBuf *sb);
void sb_append(StrBuf *sb, const char *s);
void sb_append_n(StrBuf *sb, const char *s, size_t n);
void sb_putc(StrBuf *sb, char c);
__attribute__((format(printf, 2, 3))) void sb_printf(StrBuf *sb, const char *fmt, ...);
void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap);

/* "name" with inner quotes doubled: always quoted, so case and keywords survive. */
void sb_ident(StrBuf *sb, const char *name);
/* "schema"."name" */
void sb_qualified(StrBuf *sb, const char *schema, const char *name);
/* 'value' with quotes doubled; E'' form when the value holds a backslash. */
void sb_literal(StrBuf *sb, const char *value);
/* 'value' for a POSIX shell: single-quoted, each ' written '\''. */
void sb_shell_quoted(StrBuf *sb, const char *value);
/* "schema"."name", allocated. */
char *sql_qualified(const char *schema, const char *name);

/* Allocating conveniences; abort on out-of-memory like every allocation here. */
char *xstrdup(const char *s);
/* NULL stays NULL. */
char *xstrdup_or_null(const char *s);
/* Frees n strings and the array holding them. */
void strings_free(char **v, size_t n);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

#endif
