/* What is around the partitioned tables: tables a detach left behind (Q3),
 * inheritance children missing the parent's indexes (Q4), unique indexes
 * (Q5), routing triggers (Q6), publications (Q7). */
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "db/doctor_read_int.h"

/* A relation's columns (names and types, in order) as one text. */
#define COLUMNS(rel)                                                                               \
    "(SELECT pg_catalog.string_agg(a.attname || ' ' || a.atttypid::text, ',' ORDER BY"             \
    " a.attnum) FROM pg_catalog.pg_attribute a WHERE a.attrelid = " rel " AND a.attnum > 0 AND"    \
    " NOT a.attisdropped)"

/* Q3: plain tables beside a parent, named after it and with its columns, that
 * are nobody's partition or child: what a DETACH left behind. */
bool doc_read_leftovers(Conn *c, const char *oids, DocDatabase *db, char **err)
{
    const char *params[] = {oids};
    DbResult *r = db_query(
        c,
        "WITH loose AS MATERIALIZED (SELECT l.oid, l.relnamespace, l.relname FROM"
        "  pg_catalog.pg_class l WHERE l.relkind IN ('r', 'p') AND NOT l.relispartition AND"
        "  NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = l.oid OR"
        "  i.inhparent = l.oid))"
        " SELECT z.ord, n.nspname, l.relname, pg_catalog.pg_total_relation_size(l.oid),"
        " lc.reltuples"
        " FROM" PARENTS " JOIN pg_catalog.pg_class p ON p.oid = z.parent"
        " JOIN loose l ON l.relnamespace = p.relnamespace AND l.oid <> p.oid AND"
        "  pg_catalog.left(l.relname, pg_catalog.length(p.relname) + 1) = p.relname || '_'"
        " JOIN pg_catalog.pg_class lc ON lc.oid = l.oid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = l.relnamespace"
        " WHERE " COLUMNS("p.oid") " = " COLUMNS("l.oid") " ORDER BY 1, 3",
        1, params);
    if (!r)
        return doc_read_fail(c, err, "tables left behind by detaches");
    for (int i = 0; i < db_rows(r); i++) {
        DocTable *t = doc_read_table_of(db, r, i);
        if (!t)
            continue;
        DocPart *p = doc_read_add_part(t, r, i);
        p->state = DOC_PART_LEFTOVER;
        p->bytes = db_get_ll(r, i, 3, 0);
        p->rows = db_get_double(r, i, 4, -1);
        p->analyze_age = -1;
    }
    db_clear(r);
    return true;
}

/* Q4: inheritance children lacking one of the parent's indexes, compared by
 * access method, columns (by name), expressions and predicate. */
bool doc_read_missing_indexes(Conn *c, const char *oids, DocDatabase *db, char **err)
{
    const char *params[] = {oids};
    DbResult *r = db_query(
        c,
        "WITH sets AS (SELECT p.oid FROM pg_catalog.pg_class p WHERE p.oid = ANY ($1::oid[]) AND"
        "  p.relkind = 'r'),"
        " rels AS (SELECT oid AS rel FROM sets UNION ALL SELECT h.inhrelid FROM"
        "  pg_catalog.pg_inherits h WHERE h.inhparent IN (SELECT oid FROM sets)),"
        " sig AS (SELECT x.indrelid AS rel, x.indexrelid AS idx, am.amname ||"
        "  CASE WHEN x.indisunique THEN ' unique' ELSE '' END || ' (' || (SELECT"
        "  pg_catalog.string_agg(coalesce(a.attname::text, '?'), ', ' ORDER BY k.n) FROM"
        "  pg_catalog.unnest(x.indkey::int2[]) WITH ORDINALITY k(att, n) LEFT JOIN"
        "  pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.att) || ')' ||"
        "  coalesce(' ' || pg_catalog.pg_get_expr(x.indexprs, x.indrelid), '') ||"
        "  coalesce(' WHERE ' || pg_catalog.pg_get_expr(x.indpred, x.indrelid), '') AS s"
        "  FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid"
        "  JOIN pg_catalog.pg_am am ON am.oid = ic.relam WHERE x.indrelid IN (SELECT rel FROM"
        "  rels))"
        " SELECT z.ord, cn.nspname, ch.relname, pg_catalog.pg_get_indexdef(ps.idx)"
        " FROM" PARENTS " JOIN pg_catalog.pg_class pc ON pc.oid = z.parent AND pc.relkind = 'r'"
        " JOIN sig ps ON ps.rel = z.parent"
        " JOIN pg_catalog.pg_inherits h ON h.inhparent = z.parent"
        " JOIN pg_catalog.pg_class ch ON ch.oid = h.inhrelid"
        " JOIN pg_catalog.pg_namespace cn ON cn.oid = ch.relnamespace"
        " WHERE NOT EXISTS (SELECT 1 FROM sig cs WHERE cs.rel = ch.oid AND cs.s = ps.s)"
        " ORDER BY 1, 2, 3, 4",
        1, params);
    if (!r)
        return doc_read_fail(c, err, "the indexes of inheritance children");
    /* Rows come in the order Q2 added the children (table, schema, name), so
     * the search for each row's child goes on from the last one found. */
    const DocTable *last = NULL;
    size_t from = 0;
    for (int i = 0; i < db_rows(r); i++) {
        DocTable *t = doc_read_table_of(db, r, i);
        if (!t)
            continue;
        if (t != last)
            from = 0;
        last = t;
        for (size_t k = 0; k < t->nparts; k++) {
            size_t j = (from + k) % t->nparts;
            DocPart *p = &t->parts[j];
            if (strcmp(p->schema, db_get(r, i, 1)) || strcmp(p->name, db_get(r, i, 2)))
                continue;
            p->missing_indexes =
                xrealloc(p->missing_indexes, (p->nmissing_indexes + 1) * sizeof(char *));
            p->missing_indexes[p->nmissing_indexes++] = xstrdup(db_get(r, i, 3));
            from = j;
            break;
        }
    }
    db_clear(r);
    return true;
}

/* An index's key columns (not INCLUDE ones) where cond holds, quoted, in order. */
#define KEY_COLUMNS(cond)                                                                          \
    "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.n)"          \
    " FROM pg_catalog.unnest(x.indkey::int2[]) WITH ORDINALITY k(att, n) JOIN"                     \
    " pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.att"                   \
    " WHERE k.n <= x.indnkeyatts AND " cond ")"

/* Q5: unique indexes (constraints or not) on the parents, with the columns
 * besides the partition key. */
bool doc_read_uniques(Conn *c, const char *oids, DocDatabase *db, char **err)
{
    const char *params[] = {oids};
    // clang-format off
    DbResult *r = db_query(
        c,
        "SELECT z.ord, ic.relname, x.indisprimary, " KEY_COLUMNS("true") ","
        " " KEY_COLUMNS("(pt.partattrs IS NULL OR NOT k.att = ANY (pt.partattrs::int2[]))")
        " FROM" PARENTS " JOIN pg_catalog.pg_index x ON x.indrelid = z.parent AND x.indisunique"
        " JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid"
        " LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = z.parent"
        " ORDER BY 1, 2",
        // clang-format on
        1, params);
    if (!r)
        return doc_read_fail(c, err, "unique constraints");
    for (int i = 0; i < db_rows(r); i++) {
        DocTable *t = doc_read_table_of(db, r, i);
        if (!t || !db_get(r, i, 3))
            continue; /* an expression index: no columns to name */
        t->uniques = xrealloc(t->uniques, (t->nuniques + 1) * sizeof(DocUnique));
        DocUnique *u = &t->uniques[t->nuniques++];
        u->name = xstrdup(db_get(r, i, 1));
        u->primary = db_get_bool(r, i, 2);
        u->columns = xasprintf("(%s)", db_get(r, i, 3));
        u->others = xstrdup_or_null(db_get(r, i, 4));
    }
    db_clear(r);
    return true;
}

/* Q6: BEFORE INSERT row triggers on the parents (tgtype bits ROW 1, BEFORE
 * 2, INSERT 4), and whether their function returns NULL somewhere. */
bool doc_read_triggers(Conn *c, const char *oids, DocDatabase *db, char **err)
{
    const char *params[] = {oids};
    DbResult *r =
        db_query(c,
                 "SELECT z.ord, t.tgname, pg_catalog.quote_ident(pn.nspname) || '.' ||"
                 " pg_catalog.quote_ident(p.proname), p.prosrc ~* '\\mreturn\\s+null\\M'"
                 " FROM" PARENTS " JOIN pg_catalog.pg_trigger t ON t.tgrelid = z.parent AND"
                 "  NOT t.tgisinternal AND (t.tgtype::int & 7) = 7"
                 " JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid"
                 " JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace ORDER BY 1, 2",
                 1, params);
    if (!r)
        return doc_read_fail(c, err, "triggers");
    for (int i = 0; i < db_rows(r); i++) {
        DocTable *t = doc_read_table_of(db, r, i);
        if (!t)
            continue;
        t->triggers = xrealloc(t->triggers, (t->ntriggers + 1) * sizeof(DocTrigger));
        DocTrigger *g = &t->triggers[t->ntriggers++];
        g->name = xstrdup(db_get(r, i, 1));
        g->function = xstrdup(db_get(r, i, 2));
        g->returns_null = db_get_bool(r, i, 3);
    }
    db_clear(r);
    return true;
}

/* Q7: publications that publish a partitioned table's partitions under
 * their own names (all tables, the table, one of its partitions, or on 15+
 * its schema). */
bool doc_read_publications(Conn *c, const char *oids, DocDatabase *db, char **err)
{
    const char *params[] = {oids};
    char *sql = xasprintf(
        "SELECT z.ord, p.pubname FROM" PARENTS
        " JOIN pg_catalog.pg_class c ON c.oid = z.parent AND c.relkind = 'p'"
        " JOIN pg_catalog.pg_publication p ON NOT p.pubviaroot"
        " WHERE p.puballtables OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel pr WHERE"
        "  pr.prpubid = p.oid AND pr.prrelid IN (SELECT relid FROM"
        "  pg_catalog.pg_partition_tree(z.parent)))%s ORDER BY 1, 2",
        conn_server_version(c) >= 150000
            ? " OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_namespace pn WHERE"
              " pn.pnpubid = p.oid AND pn.pnnspid = c.relnamespace)"
            : "");
    DbResult *r = db_query(c, sql, 1, params);
    free(sql);
    if (!r)
        return doc_read_fail(c, err, "publications");
    for (int i = 0; i < db_rows(r); i++) {
        DocTable *t = doc_read_table_of(db, r, i);
        if (!t)
            continue;
        t->publications = xrealloc(t->publications, (t->npublications + 1) * sizeof(char *));
        t->publications[t->npublications++] = xstrdup(db_get(r, i, 1));
    }
    db_clear(r);
    return true;
}
