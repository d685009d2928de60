/* migrate plan: identity, unique and foreign keys, and what depends on the
 * source (views, functions, publications, triggers, RLS, grants, sequences),
 * each a finding (see migrate_inspect_ctx.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ident.h"
#include "core/plan.h"
#include "db/migrate_inspect_ctx.h"

static bool read_identity(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r = db_query(
        x->c,
        "SELECT x.indisprimary, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
        " ic.relname"
        " FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid"
        " CROSS JOIN LATERAL pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY"
        "  AS u(n, ord)"
        " JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.n"
        " WHERE x.indrelid = $1::pg_catalog.oid AND (x.indisprimary OR x.indisreplident) AND"
        "  u.ord <= x.indnkeyatts"
        " ORDER BY x.indisprimary DESC, x.indexrelid, u.ord",
        1, params);
    if (!r)
        return fail(x, err, "the primary key");
    MigrateInspection *m = x->m;
    for (int i = 0; i < db_rows(r); i++) {
        if (strcmp(db_get(r, i, 3), db_get(r, 0, 3)) != 0)
            break; /* only the first index: the primary key, else the replica identity */
        strlist_add(&m->identity_columns, xstrdup(db_get(r, i, 1)));
        strlist_add(&m->identity_types, xstrdup(db_get(r, i, 2)));
    }
    db_clear(r);
    if (m->identity_columns.n == 0)
        add(x, SEV_BLOCKER, "no-identity", x->disp, NULL,
            xasprintf("%s has no primary key and no replica identity index: updates and deletes "
                      "made while rows are copied could not be matched to rows of the new "
                      "table; add a primary key (or REPLICA IDENTITY USING INDEX on a unique "
                      "index of NOT NULL columns) first",
                      x->disp));
    return true;
}

static bool read_uniques(Ctx *x, char **err)
{
    const char *params[] = {x->oid, x->attnum};
    DbResult *r = db_query(
        x->c,
        "SELECT ic.relname, k.conname, COALESCE(k.contype::text, ''), x.indexprs IS NOT NULL,"
        " x.indpred IS NOT NULL, u.cols, u.has_key, pg_catalog.pg_get_indexdef(x.indexrelid)"
        " FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid"
        " LEFT JOIN pg_catalog.pg_constraint k ON k.conindid = x.indexrelid AND"
        "  k.conrelid = x.indrelid AND k.contype IN ('p', 'u')"
        " CROSS JOIN LATERAL (SELECT pg_catalog.string_agg(CASE WHEN v.n = 0 THEN 'expression'"
        "  ELSE pg_catalog.quote_ident(a.attname) END, ', ' ORDER BY v.ord),"
        "  COALESCE(pg_catalog.bool_or(v.n = $2::pg_catalog.int2), false)"
        "  FROM pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY AS v(n, ord)"
        "  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = v.n"
        "  WHERE v.ord <= x.indnkeyatts) AS u(cols, has_key)"
        " WHERE x.indrelid = $1::pg_catalog.oid AND x.indisunique"
        " ORDER BY x.indisprimary DESC, ic.relname",
        2, params);
    if (!r)
        return fail(x, err, "the unique indexes");
    for (int i = 0; i < db_rows(r); i++) {
        const char *index = db_get(r, i, 0), *con = db_get(r, i, 1), *type = db_get(r, i, 2);
        const char *cols = db_get(r, i, 5);
        char *object = xasprintf("%s (%s)", con ? con : index,
                                 strcmp(type, "p") == 0   ? "primary key"
                                 : strcmp(type, "u") == 0 ? "unique constraint"
                                                          : "unique index");
        if (db_get_bool(r, i, 3) || db_get_bool(r, i, 4)) {
            add(x, SEV_BLOCKER, "unique-expression", object, NULL,
                xasprintf("%s is %s: a partitioned table cannot enforce it (its unique indexes "
                          "are on plain columns, %s among them); drop it or replace it first",
                          db_get(r, i, 7),
                          db_get_bool(r, i, 3) ? "on an expression" : "partial (it has WHERE)",
                          x->col));
        } else if (!db_get_bool(r, i, 6)) {
            bool many = strchr(cols, ',') != NULL;
            add(x, SEV_BLOCKER, "unique-scope", object, "unique-scope",
                xasprintf("unique (%s) becomes unique (%s, %s): after the re-layout, two rows "
                          "may share the same %s%s%s if their %s differ; the database no longer "
                          "enforces %s%s%s alone",
                          cols, cols, x->col, many ? "(" : "", cols, many ? ")" : "", x->col,
                          many ? "(" : "", cols, many ? ")" : ""));
        }
        free(object);
    }
    db_clear(r);
    return true;
}

static bool read_exclusions(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r = db_query(x->c,
                           "SELECT k.conname, pg_catalog.pg_get_constraintdef(k.oid)"
                           " FROM pg_catalog.pg_constraint k WHERE k.conrelid = $1::pg_catalog.oid"
                           " AND k.contype = 'x' ORDER BY 1",
                           1, params);
    if (!r)
        return fail(x, err, "the exclusion constraints");
    for (int i = 0; i < db_rows(r); i++)
        add(x, SEV_BLOCKER, "exclusion", db_get(r, i, 0), NULL,
            xasprintf("exclusion constraint %s (%s): pgstrata cannot carry it to a partitioned "
                      "table; drop it first (and enforce it another way)",
                      db_get(r, i, 0), db_get(r, i, 1)));
    db_clear(r);
    return true;
}

/* ---- what depends on the source ------------------------------------------ */

static bool read_foreign_keys(Ctx *x, char **err)
{
    const char *params[] = {x->oid, x->members};
    DbResult *r = db_query(
        x->c,
        "SELECT k.conname, k.conrelid::pg_catalog.regclass::text,"
        " pg_catalog.pg_get_constraintdef(k.oid), k.confrelid = ANY ($2::pg_catalog.oid[]),"
        " k.confrelid = $1::pg_catalog.oid"
        " FROM pg_catalog.pg_constraint k WHERE k.contype = 'f' AND k.conparentid = 0 AND"
        " (k.confrelid = ANY ($2::pg_catalog.oid[]) OR k.conrelid = $1::pg_catalog.oid)"
        " ORDER BY 4 DESC, 2, 1",
        2, params);
    if (!r)
        return fail(x, err, "the foreign keys");
    for (int i = 0; i < db_rows(r); i++) {
        const char *name = db_get(r, i, 0), *table = db_get(r, i, 1), *def = db_get(r, i, 2);
        char *object = xasprintf("%s on %s", name, table);
        if (db_get_bool(r, i, 3))
            add(x, SEV_BLOCKER, "foreign-key-in", object, "foreign-keys-in",
                xasprintf("%s %s%s: it would be dropped at cutover and must be recreated by "
                          "hand, since a foreign key to a partitioned table needs a unique key "
                          "including the partition key (%s)",
                          table, def,
                          db_get_bool(r, i, 4) ? "" : " (a partition or child of the source)",
                          x->col));
        else
            add(x, SEV_INFO, "foreign-key-out", object, NULL,
                xasprintf("%s: recreated on the new table", def));
        free(object);
    }
    db_clear(r);
    return true;
}

static bool read_views(Ctx *x, char **err)
{
    const char *params[] = {x->oid, x->members};
    DbResult *r =
        db_query(x->c,
                 "SELECT v.oid::pg_catalog.regclass::text, v.relkind::text,"
                 " pg_catalog.bool_or(d.refobjid = $1::pg_catalog.oid)"
                 " FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid"
                 " JOIN pg_catalog.pg_class v ON v.oid = w.ev_class"
                 " WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND"
                 "  d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND"
                 "  d.refobjid = ANY ($2::pg_catalog.oid[]) AND w.ev_class <> d.refobjid AND"
                 "  v.relkind IN ('v', 'm')"
                 " GROUP BY v.oid, v.relkind ORDER BY 1",
                 2, params);
    if (!r)
        return fail(x, err, "the views");
    for (int i = 0; i < db_rows(r); i++) {
        const char *v = db_get(r, i, 0);
        bool mat = db_get(r, i, 1)[0] == 'm';
        if (db_get_bool(r, i, 2))
            add(x, SEV_WARNING, "view", v, NULL,
                xasprintf("%s %s reads %s: recreated on the new table at cutover%s",
                          mat ? "materialized view" : "view", v, x->disp,
                          mat ? " (and refreshed: it reads the whole new table)" : ""));
        else
            add(x, SEV_WARNING, "view", v, NULL,
                xasprintf("%s %s reads a partition or child of %s directly: it keeps reading "
                          "the old one, which stays with the old table",
                          mat ? "materialized view" : "view", v, x->disp));
    }
    db_clear(r);
    return true;
}

/* A regular expression matching the table's name as a word (case-insensitive
 * with ~*): every ASCII character but letters, digits and '_' escaped. */
static char *name_regex(const char *name)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "(^|[^[:alnum:]_$])");
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        bool word = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                    (*s >= '0' && *s <= '9') || *s == '_' || *s >= 0x80;
        if (!word)
            sb_putc(&sb, '\\');
        sb_putc(&sb, (char)*s);
    }
    sb_append(&sb, "($|[^[:alnum:]_$])");
    return sb.data;
}

static bool read_functions(Ctx *x, char **err)
{
    char *re = name_regex(x->p->table);
    const char *params[] = {re, x->members};
    DbResult *r = db_query(
        x->c,
        "SELECT p.oid::pg_catalog.regprocedure::text, d.bound"
        " FROM pg_catalog.pg_proc p"
        " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
        " JOIN pg_catalog.pg_language l ON l.oid = p.prolang"
        " CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
        "  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND"
        "  d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND"
        "  d.refobjid = ANY ($2::pg_catalog.oid[]))) AS d(bound)"
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstrata') AND"
        "  n.nspname NOT LIKE 'pg\\_%' AND l.lanname NOT IN ('c', 'internal') AND"
        "  (p.prosrc ~* $1 OR d.bound)"
        " ORDER BY 1",
        2, params);
    free(re);
    if (!r)
        return fail(x, err, "the functions");
    for (int i = 0; i < db_rows(r); i++) {
        const char *f = db_get(r, i, 0);
        if (db_get_bool(r, i, 1))
            add(x, SEV_WARNING, "function", f, NULL,
                xasprintf("%s has a SQL-standard body bound to %s itself, not to its name: after "
                          "cutover it still reads the old table; recreate it then",
                          f, x->disp));
        else
            add(x, SEV_WARNING, "function", f, NULL,
                xasprintf("%s mentions %s in its body: it refers to the table by name, so after "
                          "cutover it uses the new table; check it",
                          f, x->p->table));
    }
    db_clear(r);
    return true;
}

static bool read_publications(Ctx *x, char **err)
{
    int v = conn_server_version(x->c);
    const char *via = v >= 130000 ? "p.pubviaroot" : "false";
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb,
              "SELECT p.pubname, %s, 'table', r.prrelid = $1::pg_catalog.oid"
              " FROM pg_catalog.pg_publication p"
              " JOIN pg_catalog.pg_publication_rel r ON r.prpubid = p.oid"
              " WHERE r.prrelid = ANY ($2::pg_catalog.oid[])"
              " UNION ALL SELECT p.pubname, %s, 'all', true FROM pg_catalog.pg_publication p"
              " WHERE p.puballtables",
              via, via);
    if (v >= 150000)
        sb_printf(&sb,
                  " UNION ALL SELECT p.pubname, %s, 'schema', true"
                  " FROM pg_catalog.pg_publication p"
                  " JOIN pg_catalog.pg_publication_namespace s ON s.pnpubid = p.oid"
                  " WHERE s.pnnspid = $3::pg_catalog.oid",
                  via);
    sb_append(&sb, " ORDER BY 1");
    const char *params[] = {x->oid, x->members, x->nspoid};
    DbResult *r = db_query(x->c, sb.data, v >= 150000 ? 3 : 2, params);
    sb_free(&sb);
    if (!r)
        return fail(x, err, "the publications");
    for (int i = 0; i < db_rows(r); i++) {
        const char *pub = db_get(r, i, 0), *how = db_get(r, i, 2);
        char *name = ident_display(NULL, pub);
        char *what =
            strcmp(how, "all") == 0 ? xasprintf("publication %s is FOR ALL TABLES", name)
            : strcmp(how, "schema") == 0
                ? xasprintf("publication %s publishes the schema of %s", name, x->disp)
            : db_get_bool(r, i, 3)
                ? xasprintf("publication %s publishes %s", name, x->disp)
                : xasprintf("publication %s publishes a partition or child of %s", name, x->disp);
        add(x, SEV_WARNING, "publication", pub, NULL,
            xasprintf("%s: membership is carried over at cutover%s%s%s", what,
                      db_get_bool(r, i, 1)
                          ? ""
                          : "; with publish_via_partition_root off, subscribers see changes "
                            "under the partitions' names (ALTER PUBLICATION ",
                      db_get_bool(r, i, 1) ? "" : name,
                      db_get_bool(r, i, 1) ? "" : " SET (publish_via_partition_root = true))"));
        free(what);
        free(name);
    }
    db_clear(r);
    return true;
}

#define TRIGGER_ROW    (1 << 0)
#define TRIGGER_BEFORE (1 << 1)
#define TRIGGER_INSERT (1 << 2)

static bool read_triggers(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r = db_query(x->c,
                           "SELECT t.tgname, t.tgtype::pg_catalog.int4, t.tgenabled::text,"
                           " pg_catalog.pg_get_triggerdef(t.oid)"
                           " FROM pg_catalog.pg_trigger t"
                           " WHERE t.tgrelid = $1::pg_catalog.oid AND NOT t.tgisinternal"
                           " ORDER BY 1",
                           1, params);
    if (!r)
        return fail(x, err, "the triggers");
    for (int i = 0; i < db_rows(r); i++) {
        const char *name = db_get(r, i, 0), *def = db_get(r, i, 3);
        long long type = db_get_ll(r, i, 1, 0);
        bool disabled = strcmp(db_get(r, i, 2), "D") == 0;
        bool routing = x->m->kind == SOURCE_INHERITANCE &&
                       (type & (TRIGGER_ROW | TRIGGER_BEFORE | TRIGGER_INSERT)) ==
                           (TRIGGER_ROW | TRIGGER_BEFORE | TRIGGER_INSERT);
        if (routing)
            add(x, SEV_INFO, "routing-trigger", name, NULL,
                xasprintf("%s routes new rows into the children (%s): not carried over, since "
                          "the new table routes rows to its partitions itself",
                          name, def));
        else
            add(x, SEV_WARNING, "trigger", name, NULL,
                xasprintf("trigger %s%s: carried over to the new table (%s)", name,
                          disabled ? " (disabled)" : "", def));
    }
    db_clear(r);
    return true;
}

static bool read_rls(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r = db_query(x->c,
                           "SELECT pg_catalog.quote_ident(polname) FROM pg_catalog.pg_policy"
                           " WHERE polrelid = $1::pg_catalog.oid ORDER BY 1",
                           1, params);
    if (!r)
        return fail(x, err, "the row-level security policies");
    int n = db_rows(r);
    if (x->rls || n > 0) {
        StrBuf sb;
        sb_init(&sb);
        for (int i = 0; i < n; i++)
            sb_printf(&sb, "%s%s", i ? ", " : "", db_get(r, i, 0));
        add(x, SEV_WARNING, "row-level-security", x->disp, NULL,
            xasprintf("row-level security is %s%s on %s, with %d polic%s%s%s: carried over to the "
                      "new table",
                      x->rls ? "enabled" : "disabled", x->rls_forced ? " and forced" : "", x->disp,
                      n, n == 1 ? "y" : "ies", n ? " " : "", sb.data));
        sb_free(&sb);
    }
    db_clear(r);
    return true;
}

static bool read_grants(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r =
        db_query(x->c,
                 "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'"
                 "  ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS who,"
                 " pg_catalog.string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type),"
                 " (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute at"
                 "  WHERE at.attrelid = c.oid AND at.attacl IS NOT NULL AND NOT at.attisdropped)"
                 " FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a"
                 " WHERE c.oid = $1::pg_catalog.oid AND a.grantee <> c.relowner"
                 " GROUP BY 1, c.oid ORDER BY 1",
                 1, params);
    if (!r)
        return fail(x, err, "the grants");
    int n = db_rows(r);
    if (n > 0) {
        StrBuf sb;
        sb_init(&sb);
        for (int i = 0; i < n; i++)
            sb_printf(&sb, "%s%s (%s)", i ? ", " : "", db_get(r, i, 0), db_get(r, i, 1));
        long long cols = db_get_ll(r, 0, 2, 0);
        add(x, SEV_INFO, "grants", x->disp, NULL,
            xasprintf("grants to %s%s: carried over to the new table", sb.data,
                      cols ? ", and grants on some columns" : ""));
        sb_free(&sb);
    }
    db_clear(r);
    char *owner = ident_display(NULL, x->owner);
    add(x, SEV_INFO, "owner", x->disp, NULL,
        xasprintf("%s is owned by %s: the new table gets the same owner", x->disp, owner));
    free(owner);
    return true;
}

static bool read_sequences(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r = db_query(
        x->c,
        "SELECT s.oid::pg_catalog.regclass::text, pg_catalog.quote_ident(a.attname),"
        " a.attidentity::text"
        " FROM pg_catalog.pg_depend d"
        " JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
        " JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
        " WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND"
        "  d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND"
        "  d.refobjid = $1::pg_catalog.oid AND d.deptype IN ('a', 'i')"
        " ORDER BY 1",
        1, params);
    if (!r)
        return fail(x, err, "the sequences");
    for (int i = 0; i < db_rows(r); i++) {
        const char *seq = db_get(r, i, 0), *col = db_get(r, i, 1), *ident = db_get(r, i, 2);
        if (ident[0] == 'a' || ident[0] == 'd')
            add(x, SEV_INFO, "sequence", seq, NULL,
                xasprintf("%s is an identity column (GENERATED %s AS IDENTITY, sequence %s): the "
                          "new table's %s goes on from the same value; the sequence's ownership "
                          "moves at cutover",
                          col, ident[0] == 'a' ? "ALWAYS" : "BY DEFAULT", seq, col));
        else
            add(x, SEV_INFO, "sequence", seq, NULL,
                xasprintf("%s is owned by %s.%s: its ownership moves to the new table at "
                          "cutover; its values go on",
                          seq, x->disp, col));
    }
    db_clear(r);
    return true;
}

bool inspect_dependencies(Ctx *x, char **err)
{
    return read_identity(x, err) && read_uniques(x, err) && read_exclusions(x, err) &&
           read_foreign_keys(x, err) && read_views(x, err) && read_functions(x, err) &&
           read_publications(x, err) && read_triggers(x, err) && read_rls(x, err) &&
           read_grants(x, err) && read_sequences(x, err);
}
