/* SQL fragments shared by the catalog readers. */
#ifndef PGSTRATA_SQL_FRAGMENTS_H
#define PGSTRATA_SQL_FRAGMENTS_H

/* The vacuum and analyze times of one relation, straight from the statistics
 * functions: joining the pg_stat_all_tables view would compute them for every
 * relation in the database. Use as LEFT JOIN LATERAL (SELECT STAT_TIMES(rel)) st ON true. */
#define STAT_TIMES(rel)                                                                            \
    "pg_catalog.pg_stat_get_last_vacuum_time(" rel ") AS last_vacuum,"                             \
    " pg_catalog.pg_stat_get_last_autovacuum_time(" rel ") AS last_autovacuum,"                    \
    " pg_catalog.pg_stat_get_last_analyze_time(" rel ") AS last_analyze,"                          \
    " pg_catalog.pg_stat_get_last_autoanalyze_time(" rel ") AS last_autoanalyze"

#endif
