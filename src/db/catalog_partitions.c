/* The attached partitions of every managed parent, with their bounds parsed.
 *
 * Deparsing bounds (pg_get_expr) and reading pg_class rows are most of the
 * cost of a pass over many partitions, so pgstrata.partition_cache keeps,
 * per parent, the partitions as last read: one line each with the
 * partition's oid, its pg_inherits row version (xmin), its parsed bounds in
 * the table's zone, and its name. The entry stands while the parent's
 * pg_inherits rows are the very row versions it was built from (a
 * fingerprint of count, oids and xmins, computed by the server in the same
 * statement as the rows): bounds change only by detaching and attaching
 * again, which makes new rows. A no-op pass thus reads one short row per
 * parent and touches no pg_class row. When the rows changed, only the
 * partitions with a new row version are read from pg_class and deparsed.
 *
 * A rename keeps the pg_inherits row, so a cached name can be stale: such
 * names are marked (name_cached) and the pass checks the ones its actions
 * use before running them (catalog_names_current). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan.h"
#include "core/strbuf.h"
#include "db/catalog.h"

/* The fingerprint of a parent's pg_inherits rows, as one text value:
 * count, sum of oids, sum of xmins, and a sum mixing the two. A row version
 * never comes back once replaced, so equal sums over the same number of rows
 * mean the same rows; the mixed sum guards against sums that happen to
 * balance. Each xmin is converted once (OFFSET 0 keeps the subquery). */
#define FINGERPRINT_OF(parent)                                                                     \
    "(SELECT pg_catalog.count(*) || '/' || COALESCE(pg_catalog.sum(fi.inhrelid::int8), 0) || '/'"  \
    " || COALESCE(pg_catalog.sum(fi.x), 0) || '/' || COALESCE(pg_catalog.sum(fi.inhrelid::int8 #"  \
    " (fi.x << 31)), 0) FROM (SELECT i.inhrelid, i.xmin::text::int8 AS x"                          \
    " FROM pg_catalog.pg_inherits i WHERE i.inhparent = " parent " OFFSET 0) fi)"

/* Cached partitions (each with its relid and row_xmin). */
typedef struct EntryList {
    PartitionInfo *items;
    size_t n;
} EntryList;

static void entries_free(EntryList *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].name);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static PartitionInfo *entries_add(EntryList *l)
{
    if (l->n % 64 == 0)
        l->items = xrealloc(l->items, (l->n + 64) * sizeof(PartitionInfo));
    PartitionInfo *e = &l->items[l->n++];
    memset(e, 0, sizeof(*e));
    return e;
}

/* --- the text form of a parent's entries ---------------------------------
 * A line per partition: "relid xmin flags lower upper name", flags being
 * letters (D default, B bounded, L lower MINVALUE, U upper MAXVALUE, P detach
 * pending) or "-", and the name with backslash and newline escaped. */

static void format_entry(StrBuf *sb, const PartitionInfo *pi)
{
    char flags[8];
    size_t k = 0;
    if (pi->is_default)
        flags[k++] = 'D';
    if (pi->bounded)
        flags[k++] = 'B';
    if (pi->lower_unbounded)
        flags[k++] = 'L';
    if (pi->upper_unbounded)
        flags[k++] = 'U';
    if (pi->detach_pending)
        flags[k++] = 'P';
    if (k == 0)
        flags[k++] = '-';
    flags[k] = '\0';
    sb_printf(sb, "%u %u %s %lld %lld ", pi->relid, pi->row_xmin, flags, (long long)pi->lower,
              (long long)pi->upper);
    for (const char *s = pi->name; *s; s++) {
        if (*s == '\\')
            sb_append(sb, "\\\\");
        else if (*s == '\n')
            sb_append(sb, "\\n");
        else
            sb_putc(sb, *s);
    }
    sb_putc(sb, '\n');
}

static bool parse_entry(const char **cursor, PartitionInfo *e)
{
    const char *s = *cursor;
    char *end;
    e->relid = (unsigned int)strtoul(s, &end, 10);
    if (end == s || *end != ' ')
        return false;
    s = end + 1;
    e->row_xmin = (unsigned int)strtoul(s, &end, 10);
    if (end == s || *end != ' ')
        return false;
    for (s = end + 1; *s && *s != ' '; s++) {
        PartitionInfo *pi = e;
        switch (*s) {
        case 'D':
            pi->is_default = true;
            break;
        case 'B':
            pi->bounded = true;
            break;
        case 'L':
            pi->lower_unbounded = true;
            break;
        case 'U':
            pi->upper_unbounded = true;
            break;
        case 'P':
            pi->detach_pending = true;
            break;
        case '-':
            break;
        default:
            return false;
        }
    }
    if (*s != ' ')
        return false;
    e->lower = strtoll(s + 1, &end, 10);
    if (*end != ' ')
        return false;
    e->upper = strtoll(end + 1, &end, 10);
    if (*end != ' ')
        return false;
    s = end + 1;
    const char *eol = strchr(s, '\n');
    if (!eol || eol == s)
        return false;
    StrBuf name;
    sb_init(&name);
    if (!memchr(s, '\\', (size_t)(eol - s))) {
        sb_append_n(&name, s, (size_t)(eol - s));
    } else {
        for (; s < eol; s++) {
            char ch = *s;
            if (ch == '\\' && s + 1 < eol) {
                s++;
                ch = *s == 'n' ? '\n' : *s;
            }
            sb_putc(&name, ch);
        }
    }
    e->name = name.data;
    *cursor = eol + 1;
    return true;
}

/* Every line, or nothing: a damaged entry is treated as no entry. */
static bool parse_entries(const char *text, EntryList *out)
{
    const char *s = text;
    while (*s) {
        if (!parse_entry(&s, entries_add(out))) {
            entries_free(out);
            return false;
        }
    }
    return true;
}

/* --- reading ------------------------------------------------------------ */

static bool fail(Conn *c, char **err, const char *what)
{
    *err = xasprintf("could not read %s: %s", what, conn_error(c));
    return false;
}

/* Copies e into t's partitions; take: the name moves instead of being copied. */
static void add_partition(TableSnapshot *t, PartitionInfo *e, bool name_cached, bool take)
{
    if (t->nparts % 64 == 0)
        t->parts = xrealloc(t->parts, (t->nparts + 64) * sizeof(PartitionInfo));
    PartitionInfo *pi = &t->parts[t->nparts++];
    *pi = *e;
    pi->name = take ? e->name : xstrdup(e->name);
    if (take)
        e->name = NULL;
    pi->name_cached = name_cached;
}

static int compare_oids(const void *a, const void *b)
{
    unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;
    return x < y ? -1 : x > y;
}

/* "{1,2,3}" (integer keys: the partitions that have pages) marks those. */
static void mark_pages(TableSnapshot *t, const char *oids)
{
    if (!oids || t->nparts == 0)
        return;
    size_t n = 0, cap = 64;
    unsigned int *v = xcalloc(cap, sizeof(unsigned int));
    for (const char *s = oids; *s;) {
        char *end;
        unsigned long x = strtoul(s, &end, 10);
        if (end == s) {
            s++;
            continue;
        }
        if (n == cap)
            v = xrealloc(v, (cap *= 2) * sizeof(unsigned int));
        v[n++] = (unsigned int)x;
        s = end;
    }
    qsort(v, n, sizeof(unsigned int), compare_oids);
    for (size_t i = 0; i < t->nparts; i++)
        t->parts[i].has_pages =
            bsearch(&t->parts[i].relid, v, n, sizeof(unsigned int), compare_oids) != NULL;
    free(v);
}

/* A parent whose entry did not match: what the old entry still knows. */
typedef struct Miss {
    size_t idx; /* in the snapshot array */
    EntryList old;
    char *pages; /* integer keys: oids with pages */
} Miss;

static void misses_free(Miss *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        entries_free(&m[i].old);
        free(m[i].pages);
    }
    free(m);
}

static int compare_entries(const void *a, const void *b)
{
    return compare_oids(&((const PartitionInfo *)a)->relid, &((const PartitionInfo *)b)->relid);
}

/* l sorted by relid (read_entries sorts the old entries of a miss). */
static const PartitionInfo *find_entry(const EntryList *l, unsigned int relid, unsigned int xmin)
{
    PartitionInfo key = {.relid = relid};
    const PartitionInfo *e =
        l->n ? bsearch(&key, l->items, l->n, sizeof(PartitionInfo), compare_entries) : NULL;
    return e && e->row_xmin == xmin ? e : NULL;
}

/* Step 1, one statement for every parent: the fingerprint of its rows now,
 * whether its entry matches, the entry, and for integer keys the partitions
 * with pages (which change with every insert, so are never cached). */
static bool read_entries(Conn *c, TableSnapshot *s, size_t n, bool use_cache, Miss **misses,
                         size_t *nmiss, char **err)
{
    char **oids = xcalloc(n + 1, sizeof(char *)), **idx = xcalloc(n + 1, sizeof(char *));
    char **zones = xcalloc(n + 1, sizeof(char *)), **types = xcalloc(n + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!s[i].oid)
            continue;
        oids[k] = xasprintf("%u", s[i].oid);
        idx[k] = xasprintf("%zu", i);
        zones[k] = xstrdup(snapshot_zone(&s[i].policy));
        types[k++] = xstrdup(key_type_name(s[i].policy.key_type));
    }
    char *a[4] = {
        db_text_array((const char *const *)oids, k), db_text_array((const char *const *)idx, k),
        db_text_array((const char *const *)zones, k), db_text_array((const char *const *)types, k)};
    strings_free(oids, k);
    strings_free(idx, k);
    strings_free(zones, k);
    strings_free(types, k);
    const char *params[] = {a[0], a[1], a[2], a[3]};
    DbResult *r = db_query(
        c,
        "SELECT z.idx, fp.v, pc.fingerprint = fp.v, pc.entries,"
        " CASE WHEN z.keytype IN ('integer', 'bigint') THEN (SELECT"
        "  pg_catalog.array_agg(i.inhrelid)::text FROM pg_catalog.pg_inherits i"
        "  WHERE i.inhparent = z.parent AND pg_catalog.pg_relation_size(i.inhrelid) > 0) END"
        " FROM unnest($1::oid[], $2::integer[], $3::text[], $4::text[])"
        "  AS z(parent, idx, zone, keytype)"
        " CROSS JOIN LATERAL (SELECT " FINGERPRINT_OF(
            "z.parent") " AS v) fp"
                        " LEFT JOIN pgstrata.partition_cache pc ON pc.parent = z.parent AND "
                        "pc.zone = z.zone",
        4, params);
    for (int i = 0; i < 4; i++)
        free(a[i]);
    if (!r)
        return fail(c, err, "the partitions");
    int rows = db_rows(r);
    Miss *m = xcalloc((size_t)rows + 1, sizeof(Miss));
    size_t nm = 0;
    for (int i = 0; i < rows; i++) {
        TableSnapshot *t = &s[db_get_ll(r, i, 0, 0)];
        EntryList cached = {NULL, 0};
        bool parsed = use_cache && db_get(r, i, 3) && parse_entries(db_get(r, i, 3), &cached);
        if (parsed && db_get_bool(r, i, 2)) {
            for (size_t j = 0; j < cached.n; j++)
                add_partition(t, &cached.items[j], true, true);
            entries_free(&cached);
            mark_pages(t, db_get(r, i, 4));
            continue;
        }
        Miss *x = &m[nm++];
        x->idx = (size_t)(t - s);
        if (cached.n)
            qsort(cached.items, cached.n, sizeof(PartitionInfo), compare_entries);
        x->old = cached;
        x->pages = db_get(r, i, 4) ? xstrdup(db_get(r, i, 4)) : NULL;
    }
    db_clear(r);
    *misses = m;
    *nmiss = nm;
    return true;
}

/* Every partition row of the given parents, with the fingerprint of each
 * parent's rows in the same statement (MATERIALIZED: once per parent, not
 * once per row). A row version the old entry has is known by its
 * (oid << 32 | xmin): "= ANY" of a constant array is a hash lookup. */
static const char read_rows_sql[] =
    "WITH z AS MATERIALIZED (SELECT u.parent, u.idx, " FINGERPRINT_OF(
        "u.parent") " AS v"
                    "  FROM unnest($1::oid[], $2::integer[]) AS u(parent, idx))"
                    " SELECT z.idx, z.v, i.inhrelid, i.xmin, i.inhdetachpending,"
                    " CASE WHEN NOT k.known THEN (SELECT p.relname FROM pg_catalog.pg_class p"
                    "  WHERE p.oid = i.inhrelid) END,"
                    " CASE WHEN NOT k.known THEN (SELECT pg_catalog.pg_get_expr(p.relpartbound, "
                    "i.inhparent)"
                    "  FROM pg_catalog.pg_class p WHERE p.oid = i.inhrelid) END"
                    " FROM z LEFT JOIN pg_catalog.pg_inherits i ON i.inhparent = z.parent"
                    " LEFT JOIN LATERAL (SELECT ((i.inhrelid::int8 << 32) | i.xmin::text::int8)"
                    "  = ANY ($3::int8[]) AS known) k ON true";

/* Step 2 for the misses in one zone, with the session's TimeZone set to it
 * (pg_get_expr prints timestamptz bounds in it): every partition's row,
 * with name and bound read from pg_class only where the old entry does not
 * have that row version, and the fingerprint of the rows read. */
static bool read_rows(Conn *c, TableSnapshot *s, Miss *m, size_t nm, const char *zone, char **err)
{
    StrList parents = {NULL, 0}, idx = {NULL, 0}, known = {NULL, 0};
    for (size_t i = 0; i < nm; i++) {
        if (strcmp(snapshot_zone(&s[m[i].idx].policy), zone) != 0)
            continue;
        strlist_add(&parents, xasprintf("%u", s[m[i].idx].oid));
        strlist_add(&idx, xasprintf("%zu", i));
        for (size_t j = 0; j < m[i].old.n; j++)
            strlist_add(&known, xasprintf("%lld", ((long long)m[i].old.items[j].relid << 32) |
                                                      (long long)m[i].old.items[j].row_xmin));
    }
    char *a[3] = {db_text_array((const char *const *)parents.items, parents.n),
                  db_text_array((const char *const *)idx.items, idx.n),
                  db_text_array((const char *const *)known.items, known.n)};
    strlist_free(&parents);
    strlist_free(&idx);
    strlist_free(&known);
    const char *params[] = {a[0], a[1], a[2]};
    DbResult *r = NULL;
    if (db_set_time_zone(c, zone))
        r = db_query(c, read_rows_sql, 3, params);
    for (int i = 0; i < 3; i++)
        free(a[i]);
    bool reset = db_set_time_zone(c, "UTC");
    if (!r || !reset) {
        db_clear(r);
        return fail(c, err, "the partitions");
    }
    for (int i = 0; i < db_rows(r); i++) {
        Miss *x = &m[db_get_ll(r, i, 0, 0)];
        TableSnapshot *t = &s[x->idx];
        if (!t->parts_fingerprint)
            t->parts_fingerprint = xstrdup(db_get(r, i, 1));
        if (!db_get(r, i, 2))
            continue; /* no partitions */
        unsigned int relid = (unsigned int)db_get_ll(r, i, 2, 0);
        unsigned int xmin = (unsigned int)db_get_ll(r, i, 3, 0);
        const PartitionInfo *old = db_get(r, i, 5) ? NULL : find_entry(&x->old, relid, xmin);
        const char *expr = db_get(r, i, 6);
        if (!old && !expr)
            continue; /* dropped while we read */
        PartitionInfo e = {.relid = relid, .row_xmin = xmin};
        if (old) {
            e = *old;
        } else {
            e.name = xstrdup(db_get(r, i, 5));
            e.is_default = strcmp(expr, "DEFAULT") == 0;
            if (!e.is_default)
                e.bounded = catalog_parse_bounds(t->policy.key_type, expr, &e);
        }
        e.detach_pending = db_get_bool(r, i, 4);
        add_partition(t, &e, old != NULL, old == NULL);
    }
    db_clear(r);
    return true;
}

static void write_entries(Conn *c, const StrList *parents, const StrList *fps, const StrList *texts,
                          const char *zone)
{
    char *a[3] = {db_text_array((const char *const *)parents->items, parents->n),
                  db_text_array((const char *const *)fps->items, fps->n),
                  db_text_array((const char *const *)texts->items, texts->n)};
    const char *params[] = {a[0], a[1], a[2], zone};
    if (!db_exec_params(c,
                        "WITH gone AS (DELETE FROM pgstrata.partition_cache pc WHERE NOT EXISTS"
                        " (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = pc.parent))"
                        " INSERT INTO pgstrata.partition_cache (parent, zone, fingerprint, entries)"
                        " SELECT p, $4, f, e FROM unnest($1::oid[], $2::text[], $3::text[])"
                        "  AS u(p, f, e)"
                        " ON CONFLICT (parent) DO UPDATE SET zone = EXCLUDED.zone,"
                        " fingerprint = EXCLUDED.fingerprint, entries = EXCLUDED.entries",
                        4, params))
        fprintf(stderr, "pgstrata: warning: could not update pgstrata.partition_cache: %s\n",
                conn_error(c));
    for (int i = 0; i < 3; i++)
        free(a[i]);
}

/* The entries of the snapshots read afresh (not skipped) replace the old
 * ones, one statement per zone, and entries of parents that are gone go.
 * A failure only costs speed next time: say so and go on. */
void catalog_remember_partitions(Conn *c, const TableSnapshot *s, size_t n, const bool *skip)
{
    for (size_t z = 0; z < n; z++) {
        const char *zone = snapshot_zone(&s[z].policy);
        bool first = true;
        for (size_t j = 0; j < z && first; j++)
            first = strcmp(snapshot_zone(&s[j].policy), zone) != 0;
        if (!first)
            continue;
        StrList parents = {NULL, 0}, fps = {NULL, 0}, texts = {NULL, 0};
        for (size_t i = z; i < n; i++) {
            if (!s[i].parts_fingerprint || (skip && skip[i]) ||
                strcmp(snapshot_zone(&s[i].policy), zone) != 0)
                continue;
            StrBuf sb;
            sb_init(&sb);
            for (size_t j = 0; j < s[i].nparts; j++) {
                format_entry(&sb, &s[i].parts[j]);
            }
            strlist_add(&parents, xasprintf("%u", s[i].oid));
            strlist_add(&fps, xstrdup(s[i].parts_fingerprint));
            strlist_add(&texts, sb.data);
        }
        if (parents.n)
            write_entries(c, &parents, &fps, &texts, zone);
        strlist_free(&parents);
        strlist_free(&fps);
        strlist_free(&texts);
    }
}

bool catalog_read_partitions(Conn *c, TableSnapshot *s, size_t n, int cache, char **err)
{
    Miss *m = NULL;
    size_t nm = 0;
    if (!read_entries(c, s, n, !(cache & CATALOG_BYPASS_CACHE), &m, &nm, err))
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < nm; i++) {
        const char *zone = snapshot_zone(&s[m[i].idx].policy);
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(snapshot_zone(&s[m[j].idx].policy), zone) == 0;
        if (!seen)
            ok = read_rows(c, s, m, nm, zone, err);
    }
    for (size_t i = 0; ok && i < nm; i++)
        mark_pages(&s[m[i].idx], m[i].pages);
    misses_free(m, nm);
    return ok;
}

bool catalog_names_current(Conn *c, const unsigned int *relids, const char *const *schemas,
                           const char *const *names, size_t n, bool *current, char **err)
{
    *current = true;
    if (n == 0)
        return true;
    char **oids = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        oids[i] = xasprintf("%u", relids[i]);
    char *a[3] = {db_text_array((const char *const *)oids, n), db_text_array(schemas, n),
                  db_text_array(names, n)};
    strings_free(oids, n);
    const char *params[] = {a[0], a[1], a[2]};
    DbResult *r = db_query(c,
                           "SELECT pg_catalog.count(*) FROM unnest($1::oid[], $2::text[],"
                           " $3::text[]) AS u(relid, sch, name)"
                           " LEFT JOIN pg_catalog.pg_class c ON c.oid = u.relid"
                           " LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                           " WHERE c.relname IS DISTINCT FROM u.name"
                           "  OR n.nspname IS DISTINCT FROM u.sch",
                           3, params);
    for (int i = 0; i < 3; i++)
        free(a[i]);
    if (!r)
        return fail(c, err, "the names of the partitions");
    *current = db_get_ll(r, 0, 0, 1) == 0;
    db_clear(r);
    return true;
}

bool catalog_forget_partitions(Conn *c)
{
    return db_exec(c, "DELETE FROM pgstrata.partition_cache");
}
