/* `migrate plan` output: see migrate_report.h. */
#include "report/migrate_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ident.h"
#include "core/plan.h"
#include "core/strbuf.h"
#include "report/ls_report.h"
#include "report/text_table.h"
#include "report/json_fields.h"

static double rows_per_second(const MigrateReportOptions *o)
{
    return o->max_rate > 0 && o->max_rate < MIGRATE_COPY_ROWS_PER_S ? o->max_rate
                                                                    : MIGRATE_COPY_ROWS_PER_S;
}

static void total_estimates(const MigrateInspection *m, double *rows, double *bytes)
{
    *rows = *bytes = 0;
    for (size_t i = 0; i < m->nparts; i++) {
        *rows += m->parts[i].est_rows;
        *bytes += m->parts[i].est_bytes;
    }
}

static void bytes_text(double bytes, char buf[32])
{
    format_bytes(isfinite(bytes) && bytes >= 0 ? (int64_t)llround(bytes) : -1, buf);
}

/* ---- text ------------------------------------------------------------------ */

static void print_header(FILE *out, const MigrateInspection *m, const MigrateReportOptions *o)
{
    const Policy *p = o->policy;
    char *disp = ident_display(m->schema, m->table);
    char *col = ident_display(NULL, m->key_column);
    char size[32], iv[48], lo[48], hi[48], dur[32], est[32];
    bytes_text(m->bytes, size);
    interval_format(&p->interval, iv);
    fprintf(out, "source:     %s, %s, about %.0f rows, %s\n", disp, source_kind_name(m->kind),
            m->rows, size);
    fprintf(out, "key:        %s %s%s\n", col, key_type_name(m->key_type),
            m->key_nullable ? " (nullable)" : ", NOT NULL");
    fputs("identity:   ", out);
    if (m->identity_columns.n == 0)
        fputs("none", out);
    for (size_t i = 0; i < m->identity_columns.n; i++) {
        char *c = ident_display(NULL, m->identity_columns.items[i]);
        fprintf(out, "%s%s %s", i ? ", " : "", c, m->identity_types.items[i]);
        free(c);
    }
    fputc('\n', out);
    if (m->has_keys) {
        key_format(m->key_type, m->min_key, lo);
        key_format(m->key_type, m->max_key, hi);
        fprintf(out, "keys now:   %s to %s\n", lo, hi);
    } else {
        fputs("keys now:   none\n", out);
    }
    char *pre = policy_premake_text(p);
    const char *zone = m->key_type == KEY_TIMESTAMPTZ ? snapshot_zone(p) : NULL;
    fprintf(out, "new layout: %zu partition%s of %s, premake %s", m->nparts,
            m->nparts == 1 ? "" : "s", iv, pre);
    if (m->nparts) {
        key_format(m->key_type, m->parts[0].lower, lo);
        key_format(m->key_type, m->parts[m->nparts - 1].upper, hi);
        fprintf(out, ", from %s to %s", lo, hi);
    }
    if (zone)
        fprintf(out, " (%s)", zone);
    fputc('\n', out);
    free(pre);
    double rows, bytes;
    total_estimates(m, &rows, &bytes);
    format_duration(m->est_seconds, dur);
    bytes_text(bytes, est);
    fprintf(out,
            "backfill:   about %.0f rows, %s: %s%s (assuming %.0f rows/s and %.0f MB/s at most)\n",
            rows, est, m->est_seconds < 1 ? "" : "about ", dur, rows_per_second(o),
            MIGRATE_COPY_BYTES_PER_S / (1024 * 1024));
    free(disp);
    free(col);
}

static void print_partitions(FILE *out, const MigrateInspection *m)
{
    if (m->nparts == 0)
        return;
    static const char *const headers[] = {"name", "from", "to", "est. rows", "est. size"};
    static const TextAlign aligns[] = {ALIGN_LEFT, ALIGN_LEFT, ALIGN_LEFT, ALIGN_RIGHT,
                                       ALIGN_RIGHT};
    TextTable *t = text_table_new(5, headers, aligns);
    for (size_t i = 0; i < m->nparts; i++) {
        const NewPartition *np = &m->parts[i];
        char lo[48], hi[48], rows[32], size[32];
        key_format(m->key_type, np->lower, lo);
        key_format(m->key_type, np->upper, hi);
        snprintf(rows, sizeof(rows), "%.0f", np->est_rows);
        bytes_text(np->est_bytes, size);
        const char *cells[] = {np->name, lo, hi, rows, size};
        text_table_add_row(t, cells);
    }
    fputc('\n', out);
    text_table_print(t, out);
    text_table_free(t);
}

static void print_findings(FILE *out, const MigrateInspection *m, const MigrateReportOptions *o,
                           Severity sev, const char *title)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nfindings; i++)
        n += m->findings[i].severity == sev;
    if (n == 0)
        return;
    fprintf(out, "\n%s (%zu):\n", title, n);
    for (size_t i = 0; i < m->nfindings; i++) {
        const Finding *f = &m->findings[i];
        if (f->severity != sev)
            continue;
        if (f->object)
            fprintf(out, "  %s: %s\n", f->what, f->object);
        else
            fprintf(out, "  %s\n", f->what);
        fprintf(out, "      %s\n", f->message);
        if (sev != SEV_BLOCKER)
            continue;
        if (finding_accepted(f, o->accept))
            fprintf(out, "      (accepted with --accept %s)\n", f->accept);
        else if (f->accept)
            fprintf(out, "      (pass --accept %s to go on)\n", f->accept);
        else
            fputs("      (cannot be accepted: fix it first)\n", out);
    }
}

/* The --accept values that would lift the blockers still standing, joined. */
static char *missing_accepts(const MigrateInspection *m, const char *accept, size_t *fixed)
{
    StrBuf sb;
    sb_init(&sb);
    *fixed = 0;
    for (size_t i = 0; i < m->nfindings; i++) {
        const Finding *f = &m->findings[i];
        if (f->severity != SEV_BLOCKER || finding_accepted(f, accept))
            continue;
        if (!f->accept)
            (*fixed)++;
        else if (!comma_listed(sb.data, f->accept))
            sb_printf(&sb, "%s%s", sb.len ? "," : "", f->accept);
    }
    return sb.data;
}

static void print_verdict(FILE *out, const MigrateInspection *m, const MigrateReportOptions *o)
{
    size_t total = 0;
    for (size_t i = 0; i < m->nfindings; i++)
        total += m->findings[i].severity == SEV_BLOCKER;
    size_t left = migrate_unaccepted_blockers(m, o->accept);
    if (total == 0) {
        fputs("no blockers: migrate start would go on\n", out);
        return;
    }
    if (left == 0) {
        fprintf(out, "%zu blocker%s, all accepted: migrate start would go on\n", total,
                total == 1 ? "" : "s");
        return;
    }
    size_t fixed = 0;
    char *more = missing_accepts(m, o->accept, &fixed);
    /* the whole value to pass: what was accepted already, and the rest */
    char *all =
        o->accept && *o->accept && *more ? xasprintf("%s,%s", o->accept, more) : xstrdup(more);
    fprintf(out, "%zu blocker%s left: migrate start would not go on", left, left == 1 ? "" : "s");
    if (fixed && *more)
        fprintf(out,
                "; %zu cannot be accepted and must be fixed first, the other%s need%s "
                "--accept %s",
                fixed, left - fixed == 1 ? "" : "s", left - fixed == 1 ? "s" : "", all);
    else if (fixed)
        fprintf(out, "; %s cannot be accepted: fix %s first", left == 1 ? "it" : "they",
                left == 1 ? "it" : "them");
    else
        fprintf(out, "; pass --accept %s to go on", all);
    fputc('\n', out);
    free(all);
    free(more);
}

void report_migrate_text(FILE *out, const MigrateInspection *m, const MigrateReportOptions *o)
{
    if (!o->quiet) {
        print_header(out, m, o);
        print_partitions(out, m);
        print_findings(out, m, o, SEV_BLOCKER, "blockers");
        print_findings(out, m, o, SEV_WARNING, "warnings");
        print_findings(out, m, o, SEV_INFO, "info");
        fputc('\n', out);
    }
    print_verdict(out, m, o);
}

/* ---- JSON ------------------------------------------------------------------ */

static cJSON *finding_json(const Finding *f, const char *accept)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "severity", severity_name(f->severity));
    cJSON_AddStringToObject(o, "what", f->what);
    json_add_string_or_null(o, "object", f->object);
    cJSON_AddStringToObject(o, "message", f->message);
    json_add_string_or_null(o, "accept", f->accept);
    cJSON_AddBoolToObject(o, "accepted", finding_accepted(f, accept));
    return o;
}

cJSON *report_migrate_json(const MigrateInspection *m, const MigrateReportOptions *o)
{
    const Policy *p = o->policy;
    cJSON *root = cJSON_CreateObject();
    cJSON *src = cJSON_AddObjectToObject(root, "source");
    cJSON_AddStringToObject(src, "schema", m->schema);
    cJSON_AddStringToObject(src, "table", m->table);
    char *disp = ident_display(m->schema, m->table);
    cJSON_AddStringToObject(src, "display", disp);
    free(disp);
    cJSON_AddStringToObject(root, "kind", source_kind_name(m->kind));
    json_add_strings(cJSON_AddArrayToObject(root, "children"), &m->children);

    cJSON *key = cJSON_AddObjectToObject(root, "key");
    cJSON_AddStringToObject(key, "column", m->key_column);
    cJSON_AddStringToObject(key, "type", key_type_name(m->key_type));
    cJSON_AddBoolToObject(key, "nullable", m->key_nullable);

    cJSON *ident = cJSON_AddObjectToObject(root, "identity");
    json_add_strings(cJSON_AddArrayToObject(ident, "columns"), &m->identity_columns);
    json_add_strings(cJSON_AddArrayToObject(ident, "types"), &m->identity_types);

    cJSON *layout = cJSON_AddObjectToObject(root, "layout");
    char iv[48], buf[48];
    interval_format(&p->interval, iv);
    cJSON_AddStringToObject(layout, "interval", iv);
    char *pre = policy_premake_text(p);
    cJSON_AddStringToObject(layout, "premake", pre);
    free(pre);
    json_add_string_or_null(layout, "time_zone",
                            m->key_type == KEY_TIMESTAMPTZ ? snapshot_zone(p) : NULL);
    char *start = policy_start_text(p);
    json_add_string_or_null(layout, "start", start);
    free(start);

    if (m->has_keys) {
        cJSON *range = cJSON_AddObjectToObject(root, "key_range");
        key_format(m->key_type, m->min_key, buf);
        cJSON_AddStringToObject(range, "min", buf);
        key_format(m->key_type, m->max_key, buf);
        cJSON_AddStringToObject(range, "max", buf);
    } else {
        cJSON_AddNullToObject(root, "key_range");
    }

    cJSON *parts = cJSON_AddArrayToObject(root, "partitions");
    for (size_t i = 0; i < m->nparts; i++) {
        const NewPartition *np = &m->parts[i];
        cJSON *o1 = cJSON_CreateObject();
        cJSON_AddStringToObject(o1, "name", np->name);
        key_format(m->key_type, np->lower, buf);
        cJSON_AddStringToObject(o1, "lower", buf);
        key_format(m->key_type, np->upper, buf);
        cJSON_AddStringToObject(o1, "upper", buf);
        cJSON_AddNumberToObject(o1, "est_rows", round(np->est_rows));
        cJSON_AddNumberToObject(o1, "est_bytes", round(np->est_bytes));
        cJSON_AddItemToArray(parts, o1);
    }

    double rows, bytes;
    total_estimates(m, &rows, &bytes);
    cJSON *est = cJSON_AddObjectToObject(root, "estimates");
    cJSON_AddNumberToObject(est, "rows", round(rows));
    cJSON_AddNumberToObject(est, "bytes", round(bytes));
    cJSON_AddNumberToObject(est, "seconds", round(m->est_seconds * 10) / 10);
    cJSON_AddNumberToObject(est, "rows_per_second", rows_per_second(o));
    cJSON_AddNumberToObject(est, "bytes_per_second", MIGRATE_COPY_BYTES_PER_S);

    cJSON *fs = cJSON_AddArrayToObject(root, "findings");
    size_t total = 0;
    for (size_t i = 0; i < m->nfindings; i++) {
        cJSON_AddItemToArray(fs, finding_json(&m->findings[i], o->accept));
        total += m->findings[i].severity == SEV_BLOCKER;
    }
    size_t left = migrate_unaccepted_blockers(m, o->accept);
    cJSON_AddNumberToObject(root, "blockers", (double)total);
    cJSON_AddNumberToObject(root, "unaccepted_blockers", (double)left);
    json_add_string_or_null(root, "accept", o->accept);
    cJSON_AddBoolToObject(root, "start_would_proceed", left == 0);
    return root;
}
