/* Writing HTML: every string that came from the database goes through
 * html_text(), so a name like <script> or "; DROP TABLE x; -- is shown, never
 * run or parsed as markup. */
#ifndef PGSTRATA_HTML_H
#define PGSTRATA_HTML_H

#include <stddef.h>
#include <stdio.h>

/* s with & < > " ' written as character references, safe in element text and
 * in quoted attribute values. Newlines and tabs stay (a fix may span lines);
 * other control characters, which HTML does not allow, become U+FFFD. NULL
 * writes nothing. */
void html_text(FILE *out, const char *s);
/* At most max code points of s, then "…" when s was longer. */
void html_text_clipped(FILE *out, const char *s, size_t max);

#endif
