/* Unit tests for core/doctor.c: severity order and the exit status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/doctor.h"
#include "core/strbuf.h"
#include "report/doctor_report.h"

static void add(DoctorReport *r, const char *id, DoctorSeverity sev, const char *table)
{
    doctor_add(r, id, sev, xstrdup(table), NULL, xstrdup("evidence"), xstrdup("why"),
               xstrdup("fix"));
}

static void test_exit_code(void **state)
{
    (void)state;
    DoctorReport r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(doctor_exit_code(&r), 0);
    add(&r, "parent-not-analyzed", DOC_WARNING, "public.a");
    assert_int_equal(doctor_exit_code(&r), 1);
    add(&r, "detach-pending", DOC_ERROR, "public.b");
    assert_int_equal(doctor_exit_code(&r), 2);
    doctor_report_free(&r);
    add(&r, "note", DOC_INFO, "public.a");
    assert_int_equal(doctor_exit_code(&r), 0);
    doctor_report_free(&r);
}

static void test_sort(void **state)
{
    (void)state;
    DoctorReport r;
    memset(&r, 0, sizeof(r));
    add(&r, "parent-not-analyzed", DOC_WARNING, "public.b");
    add(&r, "default-partition", DOC_WARNING, "public.a");
    add(&r, "detach-pending", DOC_ERROR, "public.z");
    add(&r, "default-has-rows", DOC_ERROR, "public.c");
    doctor_sort(&r);
    assert_string_equal(r.items[0].table, "public.c");
    assert_string_equal(r.items[1].table, "public.z");
    assert_string_equal(r.items[2].table, "public.a");
    assert_string_equal(r.items[3].id, "parent-not-analyzed");
    assert_string_equal(doctor_severity_name(r.items[0].severity), "error");
    assert_string_equal(doctor_severity_name(r.items[3].severity), "warning");
    doctor_report_free(&r);
}

/* The text for a terminal: the severity in colour, the same columns either way. */
static void test_text_colour(void **state)
{
    (void)state;
    DoctorReport r;
    memset(&r, 0, sizeof(r));
    r.tables = 1;
    add(&r, "detach-pending", DOC_ERROR, "public.a");
    char buf[4096];
    for (int colour = 0; colour < 2; colour++) {
        FILE *f = fmemopen(buf, sizeof(buf), "w");
        report_doctor_text(f, &r, colour);
        fclose(f);
        if (colour)
            assert_non_null(strstr(buf, "\033[1;31merror\033[0m   public.a: detach-pending\n"));
        else {
            assert_null(strchr(buf, '\033'));
            assert_non_null(strstr(buf, "error   public.a: detach-pending\n"));
        }
    }
    doctor_report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_code),
        cmocka_unit_test(test_sort),
        cmocka_unit_test(test_text_colour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
