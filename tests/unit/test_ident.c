/* Unit tests for core/ident.c: reading names the way PostgreSQL does, and
 * displaying them back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ident.h"
#include "core/strbuf.h"

/* ---- helpers ---- */

/* Parsed parts stay reachable from here when an assertion fails. */
static char *g_schema, *g_name;

static void reset(void)
{
    free(g_schema);
    free(g_name);
    g_schema = g_name = NULL;
}

static void parses(const char *text, const char *schema, const char *name)
{
    char err[512] = "";
    reset();
    if (!ident_parse_qualified(text, &g_schema, &g_name, err, sizeof err))
        fail_msg("\"%s\" rejected: %s", text, err);
    if (schema)
        assert_string_equal(g_schema, schema);
    else
        assert_null(g_schema);
    assert_string_equal(g_name, name);
    reset();
}

static void fails(const char *text, const char *want)
{
    char err[512] = "";
    reset();
    g_schema = g_name = NULL;
    if (ident_parse_qualified(text, &g_schema, &g_name, err, sizeof err))
        fail_msg("\"%s\" accepted as schema %s, name %s", text, g_schema ? g_schema : "(none)",
                 g_name);
    assert_null(g_schema);
    assert_null(g_name);
    assert_string_equal(err, want);
}

static void displays(const char *schema, const char *name, const char *want)
{
    reset();
    g_name = ident_display(schema, name);
    assert_string_equal(g_name, want);
    reset();
}

/* ---- ident_parse_qualified ---- */

static void test_plain(void **state)
{
    (void)state;
    parses("events", NULL, "events");
    parses("public.events", "public", "events");
    parses("Public.Events", "public", "events");
    parses("EVENTS", NULL, "events");
    parses("events_2024", NULL, "events_2024");
    parses("_x", NULL, "_x");
    parses("a1$", NULL, "a1$");
    parses("s1.t$2", "s1", "t$2");
}

static void test_quoted(void **state)
{
    (void)state;
    parses("\"Mixed Case\"", NULL, "Mixed Case");
    parses("\"My Schema\".\"Events\"", "My Schema", "Events");
    parses("public.\"Events\"", "public", "Events");
    parses("\"Public\".events", "Public", "events");
    parses("\"a.b\".\"c\"", "a.b", "c");
    parses("\"a.b\"", NULL, "a.b");
    parses("\"x\".\"y.z\"", "x", "y.z");
    parses("\"\"\"; DROP TABLE x; --\"", NULL, "\"; DROP TABLE x; --");
    parses("\"My Schema\".\"\"\"; DROP TABLE x; --\"", "My Schema", "\"; DROP TABLE x; --");
    parses("\"a\"\"b\"", NULL, "a\"b");
    parses("\"\"\"\"", NULL, "\"");
    parses("\"1abc\"", NULL, "1abc");
    parses("\"select\"", NULL, "select");
    parses("\"it's\"", NULL, "it's");
    parses("\" \"", NULL, " ");
}

static void test_unicode(void **state)
{
    (void)state;
    parses("événements", NULL, "événements");
    parses("données.événements", "données", "événements");
    /* Only ASCII letters fold, as in PostgreSQL with a UTF-8 database. */
    parses("ÉVÉNEMENTS", NULL, "ÉvÉnements");
    parses("\"Ünïcödé\"", NULL, "Ünïcödé");
    parses("日本語", NULL, "日本語");
}

static void test_errors(void **state)
{
    (void)state;
    fails("\"abc", "invalid name \"\"abc\": unterminated quoted identifier");
    fails("public.\"abc", "invalid name \"public.\"abc\": unterminated quoted identifier");
    fails("\"a\"\"", "invalid name \"\"a\"\"\": unterminated quoted identifier");
    fails("", "invalid name \"\": empty name");
    fails(".events", "invalid name \".events\": empty name");
    fails("public.", "invalid name \"public.\": empty name");
    fails("\"\"", "invalid name \"\"\"\": zero-length quoted identifier");
    fails("public.\"\"", "invalid name \"public.\"\"\": zero-length quoted identifier");
    fails("\"a\"b", "invalid name \"\"a\"b\": unexpected text after the name");
    fails("a.b.c", "invalid name \"a.b.c\": unexpected text after the name");
    fails("\"a\".\"b\".\"c\"",
          "invalid name \"\"a\".\"b\".\"c\"\": unexpected text after the name");
    fails("\"a\" ", "invalid name \"\"a\" \": unexpected text after the name");
    fails("my events",
          "invalid name \"my events\": unexpected character ' '; put names with spaces or "
          "punctuation in double quotes, e.g. '\"My Table\"'");
    fails(" events", "invalid name \" events\": unexpected character ' '; put names with spaces or "
                     "punctuation in double quotes, e.g. '\"My Table\"'");
    fails("public .events",
          "invalid name \"public .events\": unexpected character ' '; put names with spaces or "
          "punctuation in double quotes, e.g. '\"My Table\"'");
    fails("1abc", "invalid name \"1abc\": unexpected character '1'; put names with spaces or "
                  "punctuation in double quotes, e.g. '\"My Table\"'");
    fails("$a", "invalid name \"$a\": unexpected character '$'; put names with spaces or "
                "punctuation in double quotes, e.g. '\"My Table\"'");
    fails("a-b", "invalid name \"a-b\": unexpected character '-'; put names with spaces or "
                 "punctuation in double quotes, e.g. '\"My Table\"'");
    fails("a;drop", "invalid name \"a;drop\": unexpected character ';'; put names with spaces or "
                    "punctuation in double quotes, e.g. '\"My Table\"'");
    fails("a\"b\"", "invalid name \"a\"b\"\": unexpected character '\"'; put names with spaces or "
                    "punctuation in double quotes, e.g. '\"My Table\"'");
}

static void test_length(void **state)
{
    (void)state;
    char n63[64], n64[65], text[160], want[300];
    memset(n63, 'a', 63);
    n63[63] = '\0';
    memset(n64, 'a', 64);
    n64[64] = '\0';
    parses(n63, NULL, n63);
    snprintf(text, sizeof text, "public.%s", n63);
    parses(text, "public", n63);

    snprintf(want, sizeof want,
             "invalid name \"%s\": a name part is 64 bytes; PostgreSQL names are at most 63", n64);
    fails(n64, want);
    snprintf(text, sizeof text, "%s.events", n64);
    snprintf(want, sizeof want,
             "invalid name \"%s\": a name part is 64 bytes; PostgreSQL names are at most 63", text);
    fails(text, want);
    snprintf(text, sizeof text, "\"%s\"", n64);
    snprintf(want, sizeof want,
             "invalid name \"%s\": a name part is 64 bytes; PostgreSQL names are at most 63", text);
    fails(text, want);
    /* Upper case folds before counting; length is in bytes. */
    char up[64];
    memset(up, 'A', 63);
    up[63] = '\0';
    parses(up, NULL, n63);
    /* 21 three-byte characters = 63 bytes; 22 are too many. */
    char cjk[80] = "";
    for (int i = 0; i < 21; i++)
        strcat(cjk, "語");
    parses(cjk, NULL, cjk);
    strcat(cjk, "語");
    snprintf(want, sizeof want,
             "invalid name \"%s\": a name part is 66 bytes; PostgreSQL names are at most 63", cjk);
    fails(cjk, want);
}

static void test_short_error_buffer(void **state)
{
    (void)state;
    const char *texts[] = {"\"abc", "", "a b", "a.b.c", "\"\""};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        for (size_t len = 1; len < 12; len += 5) {
            char *err = xmalloc(len);
            char *s = NULL, *n = NULL;
            assert_false(ident_parse_qualified(texts[i], &s, &n, err, len));
            assert_true(strlen(err) < len);
            assert_null(s);
            assert_null(n);
            free(err);
        }
    }
}

/* ---- ident_parse ---- */

static void test_parse_one(void **state)
{
    (void)state;
    char err[512] = "";
    reset();
    assert_true(ident_parse("Col", &g_name, err, sizeof err));
    assert_string_equal(g_name, "col");
    reset();
    assert_true(ident_parse("\"Col.Name\"", &g_name, err, sizeof err));
    assert_string_equal(g_name, "Col.Name");
    reset();
    assert_false(ident_parse("a.b", &g_name, err, sizeof err));
    assert_null(g_name);
    assert_string_equal(err, "invalid name \"a.b\": unexpected text after the name");
    assert_false(ident_parse("", &g_name, err, sizeof err));
    assert_string_equal(err, "invalid name \"\": empty name");
    assert_false(ident_parse("\"x", &g_name, err, sizeof err));
    assert_string_equal(err, "invalid name \"\"x\": unterminated quoted identifier");
    reset();
}

/* ---- ident_display ---- */

static void test_display(void **state)
{
    (void)state;
    displays(NULL, "events", "events");
    displays("public", "events", "public.events");
    displays("My Schema", "Events", "\"My Schema\".\"Events\"");
    displays("public", "Events", "public.\"Events\"");
    displays("public", "a.b", "public.\"a.b\"");
    displays(NULL, "a\"b", "\"a\"\"b\"");
    displays("My Schema", "\"; DROP TABLE x; --", "\"My Schema\".\"\"\"; DROP TABLE x; --\"");
    displays("public", "1abc", "public.\"1abc\"");
    displays("public", "a1_b2", "public.a1_b2");
    displays("public", "_x", "public._x");
    displays(NULL, "a$", "\"a$\"");
    displays(NULL, "événements", "événements");
    displays(NULL, "", "\"\"");
    displays(NULL, "it's", "\"it's\"");
}

static void test_display_round_trip(void **state)
{
    (void)state;
    const char *names[] = {
        "events", "Events", "My Table",  "a.b",        "a\"b", "\"",   "1abc",
        "a$",     "_",      "x y.z",     "événements", "ÉvÉ",  "it's", "\"; DROP TABLE x; --",
        "select", "a\\b",   "tab\there", "日本語",     "A",    "a1",   "Z9_",
    };
    const size_t n = sizeof names / sizeof names[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j += 3) {
            const char *schema = j == 0 ? NULL : names[j];
            char *shown = ident_display(schema, names[i]);
            char err[512] = "";
            reset();
            if (!ident_parse_qualified(shown, &g_schema, &g_name, err, sizeof err)) {
                char copy[512];
                snprintf(copy, sizeof copy, "%s", shown);
                free(shown);
                fail_msg("display \"%s\" does not parse back: %s", copy, err);
            }
            if (schema)
                assert_string_equal(g_schema, schema);
            else
                assert_null(g_schema);
            assert_string_equal(g_name, names[i]);
            /* Quotes only where needed: a name that parses unquoted to
             * itself is shown bare. */
            char *bare = NULL;
            bool plain =
                ident_parse(names[i], &bare, err, sizeof err) && strcmp(bare, names[i]) == 0;
            free(bare);
            /* ('$' is quoted although SQL would not need it: harmless.) */
            if (!schema && !strchr(names[i], '$'))
                assert_true(plain == (shown[0] != '"'));
            free(shown);
            reset();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_short_error_buffer),
        cmocka_unit_test(test_parse_one),
        cmocka_unit_test(test_display),
        cmocka_unit_test(test_display_round_trip),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    reset();
    return rc;
}
