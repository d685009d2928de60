/* Partition names: <parent>_pYYYYMMDD, <parent>_pYYYYMMDD_HHMM for sub-day
 * intervals, <parent>_p<n> for integer keys (a leading 'm' for negatives:
 * events_pm100). Never longer than 63 bytes (NAMEDATALEN - 1): when the
 * parent part must be cut, it is cut at a UTF-8 character boundary and an
 * 8-hex-digit hash of the whole parent name is added, so two long parents
 * that share a prefix still get different names. Whether to cut is decided
 * from the longest suffix the key type and interval can produce (for integer
 * keys: the most negative value), so all partitions of one parent share one
 * prefix. */
#ifndef PGSTRATA_NAMING_H
#define PGSTRATA_NAMING_H

#include "core/interval.h"

#define PG_NAME_MAX 63

/* Writes the partition name for the cell starting at lower. out: 64 bytes. */
void partition_name(const char *parent, KeyType key, const PartInterval *iv, int64_t lower,
                    char out[PG_NAME_MAX + 1]);
/* The parent part as it appears in names from partition_name (cut and hashed
 * when needed), followed by "_p". For catalog lookups of our own tables. */
void partition_name_prefix(const char *parent, KeyType key, const PartInterval *iv,
                           char out[PG_NAME_MAX + 1]);

#endif
