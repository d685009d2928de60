#include "core/ident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/naming.h"
#include "core/strbuf.h"

static bool unquoted_char_ok(unsigned char ch, bool first)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch >= 0x80)
        return true;
    return !first && ((ch >= '0' && ch <= '9') || ch == '$');
}

/* Reads one part at *p; leaves *p after it. */
static bool parse_part(const char **p, const char *whole, char **out, char *err, size_t errlen)
{
    StrBuf sb;
    const char *s = *p;
    sb_init(&sb);
    if (*s == '"') {
        s++;
        for (;;) {
            if (*s == '\0') {
                snprintf(err, errlen, "invalid name \"%s\": unterminated quoted identifier", whole);
                sb_free(&sb);
                return false;
            }
            if (*s == '"') {
                if (s[1] != '"')
                    break;
                s++;
            }
            sb_putc(&sb, *s++);
        }
        s++;
        if (sb.len == 0) {
            snprintf(err, errlen, "invalid name \"%s\": zero-length quoted identifier", whole);
            sb_free(&sb);
            return false;
        }
    } else {
        for (bool first = true; *s && *s != '.'; first = false, s++) {
            unsigned char ch = (unsigned char)*s;
            if (!unquoted_char_ok(ch, first)) {
                snprintf(err, errlen,
                         "invalid name \"%s\": unexpected character '%c'; put names with spaces "
                         "or punctuation in double quotes, e.g. '\"My Table\"'",
                         whole, ch);
                sb_free(&sb);
                return false;
            }
            sb_putc(&sb, (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : (char)ch);
        }
        if (sb.len == 0) {
            snprintf(err, errlen, "invalid name \"%s\": empty name", whole);
            sb_free(&sb);
            return false;
        }
    }
    if (sb.len > PG_NAME_MAX) {
        snprintf(err, errlen,
                 "invalid name \"%s\": a name part is %zu bytes; PostgreSQL names are at most 63",
                 whole, sb.len);
        sb_free(&sb);
        return false;
    }
    *p = s;
    *out = sb.data;
    return true;
}

bool ident_parse_qualified(const char *text, char **schema, char **name, char *err, size_t errlen)
{
    const char *p = text;
    char *first = NULL, *second = NULL;
    *schema = *name = NULL;
    if (!parse_part(&p, text, &first, err, errlen))
        return false;
    if (*p == '.') {
        p++;
        if (!parse_part(&p, text, &second, err, errlen)) {
            free(first);
            return false;
        }
    }
    if (*p != '\0') {
        snprintf(err, errlen, "invalid name \"%s\": unexpected text after the name", text);
        free(first);
        free(second);
        return false;
    }
    if (second) {
        *schema = first;
        *name = second;
    } else {
        *name = first;
    }
    return true;
}

bool ident_parse(const char *text, char **name, char *err, size_t errlen)
{
    const char *p = text;
    if (!parse_part(&p, text, name, err, errlen))
        return false;
    if (*p != '\0') {
        snprintf(err, errlen, "invalid name \"%s\": unexpected text after the name", text);
        free(*name);
        *name = NULL;
        return false;
    }
    return true;
}

static bool needs_quotes(const char *s)
{
    if (!*s)
        return true;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x80)
            continue;
        if (!((ch >= 'a' && ch <= 'z') || ch == '_' || (p != s && ch >= '0' && ch <= '9')))
            return true;
    }
    return false;
}

static void display_part(StrBuf *sb, const char *s)
{
    if (needs_quotes(s))
        sb_ident(sb, s);
    else
        sb_append(sb, s);
}

char *ident_display(const char *schema, const char *name)
{
    StrBuf sb;
    sb_init(&sb);
    if (schema) {
        display_part(&sb, schema);
        sb_putc(&sb, '.');
    }
    display_part(&sb, name);
    return sb.data;
}
