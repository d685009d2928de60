#include "report/html.h"

#include <string.h>

/* Writes s[0..n) escaped, copying runs of plain bytes in one fwrite. */
static void escape_n(FILE *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\n':
        case '\t':
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                rep = "&#xFFFD;";
            break;
        }
        if (!rep)
            continue;
        fwrite(s + run, 1, i - run, out);
        fputs(rep, out);
        run = i + 1;
    }
    fwrite(s + run, 1, n - run, out);
}

void html_text(FILE *out, const char *s)
{
    if (s)
        escape_n(out, s, strlen(s));
}

void html_text_clipped(FILE *out, const char *s, size_t max)
{
    if (!s)
        return;
    size_t points = 0, i = 0;
    for (; s[i]; i++) {
        /* a UTF-8 continuation byte belongs to the code point before it */
        if (((unsigned char)s[i] & 0xc0) != 0x80 && points++ == max)
            break;
    }
    escape_n(out, s, i);
    if (s[i])
        fputs("\u2026", out);
}
