/* Aligned text tables: see text_table.h. */
#include "report/text_table.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

struct TextTable {
    size_t ncols;
    TextAlign *aligns;
    size_t *widths; /* widest cell per column, header included */
    char **cells;   /* (nrows + 1) * ncols: row 0 is the header */
    size_t nrows;   /* data rows, header excluded */
    size_t cap;     /* rows (header included) cells has room for */
};

size_t text_display_width(const char *s)
{
    size_t w = 0;
    if (!s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w++;
    return w;
}

static char *copy_cell(const char *s)
{
    char *c = xstrdup(s ? s : "");
    for (unsigned char *p = (unsigned char *)c; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            *p = '?';
    return c;
}

static void put_row(TextTable *t, const char *const *cells)
{
    if (t->nrows + 1 == t->cap) {
        t->cap *= 2;
        t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof(char *));
    }
    char **row = &t->cells[(t->nrows + 1) * t->ncols];
    for (size_t c = 0; c < t->ncols; c++) {
        row[c] = copy_cell(cells ? cells[c] : NULL);
        size_t w = text_display_width(row[c]);
        if (w > t->widths[c])
            t->widths[c] = w;
    }
}

TextTable *text_table_new(size_t ncols, const char *const *headers, const TextAlign *aligns)
{
    TextTable *t = xcalloc(1, sizeof(*t));
    t->ncols = ncols ? ncols : 1;
    t->aligns = xcalloc(t->ncols, sizeof(TextAlign));
    t->widths = xcalloc(t->ncols, sizeof(size_t));
    t->cap = 16;
    t->cells = xmalloc(t->cap * t->ncols * sizeof(char *));
    for (size_t c = 0; c < t->ncols; c++) {
        t->aligns[c] = aligns && c < ncols ? aligns[c] : ALIGN_LEFT;
        t->cells[c] = copy_cell(headers && c < ncols ? headers[c] : NULL);
        t->widths[c] = text_display_width(t->cells[c]);
    }
    return t;
}

void text_table_add_row(TextTable *t, const char *const *cells)
{
    put_row(t, cells);
    t->nrows++;
}

size_t text_table_rows(const TextTable *t)
{
    return t->nrows;
}

static void pad(FILE *out, size_t n)
{
    static const char spaces[] = "                                ";
    while (n > 0) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        fwrite(spaces, 1, k, out);
        n -= k;
    }
}

void text_table_print(const TextTable *t, FILE *out)
{
    for (size_t r = 0; r <= t->nrows; r++) {
        char *const *row = &t->cells[r * t->ncols];
        /* Left-aligned padding is written lazily, only once a later cell
         * needs it, so that lines end without trailing spaces. */
        size_t owed = 0;
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = text_display_width(row[c]);
            size_t gap = t->widths[c] - w;
            if (c > 0)
                owed += 2;
            if (t->aligns[c] == ALIGN_RIGHT) {
                owed += gap;
                gap = 0;
            }
            if (row[c][0] != '\0') {
                pad(out, owed);
                owed = 0;
                fputs(row[c], out);
            }
            owed += gap;
        }
        fputc('\n', out);
    }
}

void text_table_free(TextTable *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->widths);
    free(t->aligns);
    free(t);
}
