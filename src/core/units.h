/* Sizes and durations as the reports print them. */
#ifndef PGSTRATA_UNITS_H
#define PGSTRATA_UNITS_H

#include <stdint.h>

/* Sizes the way pg_size_pretty reads, base 1024: "0 B", "1023 B", "8.0 kB",
 * "1.2 MB", "3.4 GB", "1.0 TB", "2.0 PB"; "?" for a negative (unknown) size. */
void format_bytes(int64_t bytes, char buf[32]);
/* "12 s", "4 min", "2 h 5 min", "3.5 days". buf 32. */
void format_duration(double seconds, char buf[32]);

#endif
