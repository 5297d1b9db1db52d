/*
 * test_extract_math: MATH boxed extraction, normalisation and equivalence,
 * table driven from tests/data/extract/math.jsonl ({output, gold, strict,
 * flexible, extracted}) and math_equiv.jsonl ({a, b, equiv}, checked in both
 * directions: equivalence must be symmetric).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first */
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "tests/support/case_table.h"
#include "eval/extract.h"
#include "eval/math_norm.h"
#include "eval/score.h"


static void check_output(struct case_tally *t, long lineno, const cJSON *o)
{
    const char *out = cJSON_GetStringValue(cJSON_GetObjectItem(o, "output"));
    const char *gold = cJSON_GetStringValue(cJSON_GetObjectItem(o, "gold"));
    cJSON *ex = cJSON_GetObjectItem(o, "extracted");
    bool es = cJSON_IsTrue(cJSON_GetObjectItem(o, "strict"));
    bool ef = cJSON_IsTrue(cJSON_GetObjectItem(o, "flexible"));
    struct verdict v;
    score_math(out, gold, &v);
    t->cases++;
    bool ok = v.strict == es && v.flexible == ef;
    if (cJSON_IsNull(ex))
        ok = ok && v.extracted == NULL && v.extract_failed;
    else if (cJSON_IsString(ex))
        ok = ok && v.extracted && strcmp(v.extracted, ex->valuestring) == 0;
    if (!ok) {
        fprintf(stderr,
                "%s:%ld: output %s gold %s: expected strict=%d flexible=%d extracted=%s, got %d %d "
                "%s\n",
                t->path, lineno, out, gold, es, ef, cJSON_IsString(ex) ? ex->valuestring : "null",
                v.strict, v.flexible, v.extracted ? v.extracted : "null");
        t->failures++;
    }
    score_verdict_release(&v);
}

static void check_equiv(struct case_tally *t, long lineno, const cJSON *o)
{
    const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(o, "a"));
    const char *b = cJSON_GetStringValue(cJSON_GetObjectItem(o, "b"));
    bool e = cJSON_IsTrue(cJSON_GetObjectItem(o, "equiv"));
    bool ab = math_equiv(a, b), ba = math_equiv(b, a);
    t->cases++;
    if (ab != e || ba != e) {
        char *na = math_normalize(a), *nb = math_normalize(b);
        fprintf(stderr, "%s:%ld: %s vs %s: expected %d, got a~b %d b~a %d (normalised %s | %s)\n",
                t->path, lineno, a, b, e, ab, ba, na, nb);
        free(na);
        free(nb);
        t->failures++;
    }
}


static void test_outputs(void **state)
{
    (void)state;
    case_table_run("tests/data/extract", "math.jsonl", check_output, 25);
}

static void test_equiv(void **state)
{
    (void)state;
    case_table_run("tests/data/extract", "math_equiv.jsonl", check_equiv, 60);
}

static void test_boxed(void **state)
{
    (void)state;
    char *b = extract_boxed("x \\boxed{\\frac{a}{\\{b\\}}} y");
    assert_string_equal(b, "\\frac{a}{\\{b\\}}");
    free(b);
    assert_null(extract_boxed("\\boxedx{1}"));
    assert_null(extract_boxed("nothing"));
    b = extract_boxed("\\boxed{1} and \\boxed{{2}}");
    assert_string_equal(b, "{2}");
    free(b);
    double v;
    assert_true(math_eval("\\frac{1}{2}+\\sqrt{4}", &v));
    assert_true(v > 2.49 && v < 2.51);
    assert_false(math_eval("\\frac{1}{0}", &v));
    assert_false(math_eval("x+1", &v));
    assert_false(math_eval("", &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_equiv),
        cmocka_unit_test(test_boxed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
