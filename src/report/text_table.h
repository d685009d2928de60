/* Aligned text tables for terminals.
 *
 *   const char *hdr[] = {"name", "size"};
 *   const TextAlign al[] = {ALIGN_LEFT, ALIGN_RIGHT};
 *   TextTable *t = text_table_new(2, hdr, al);
 *   const char *row[] = {"events_p20261122", "8.0 kB"};
 *   text_table_add_row(t, row);
 *   text_table_print(t, stdout);
 *   text_table_free(t);
 *
 * Columns are separated by two spaces; the header row comes first, then the
 * rows in the order they were added. Widths are display widths: UTF-8 code
 * points are counted, not bytes (wide and combining characters are not
 * special-cased). Lines carry no trailing spaces. Cells are copied; control
 * characters in them print as '?' so that one cell cannot break a line. */
#ifndef PGSTRATA_TEXT_TABLE_H
#define PGSTRATA_TEXT_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef enum TextAlign {
    ALIGN_LEFT,
    ALIGN_RIGHT,
} TextAlign;

typedef struct TextTable TextTable;

/* ncols headers and ncols alignments (aligns may be NULL: all left). */
TextTable *text_table_new(size_t ncols, const char *const *headers, const TextAlign *aligns);
/* ncols cells; a NULL cell prints empty. */
void text_table_add_row(TextTable *t, const char *const *cells);
size_t text_table_rows(const TextTable *t);
void text_table_print(const TextTable *t, FILE *out);
void text_table_free(TextTable *t);

/* Code points in a UTF-8 string (continuation bytes are not counted). */
size_t text_display_width(const char *s);

#endif
