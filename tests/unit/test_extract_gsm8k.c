/*
 * test_extract_gsm8k: GSM8K strict/flexible extraction and verdicts, table
 * driven from tests/data/extract/gsm8k.jsonl ({output, gold, strict,
 * flexible, extracted}); plus number canonicalisation cases.
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
#include "eval/score.h"

static void check_line(struct case_tally *t, long lineno, const cJSON *o)
{
    const char *out = cJSON_GetStringValue(cJSON_GetObjectItem(o, "output"));
    const char *gold = cJSON_GetStringValue(cJSON_GetObjectItem(o, "gold"));
    cJSON *ex = cJSON_GetObjectItem(o, "extracted");
    bool es = cJSON_IsTrue(cJSON_GetObjectItem(o, "strict"));
    bool ef = cJSON_IsTrue(cJSON_GetObjectItem(o, "flexible"));
    char g[128];
    assert_true(extract_number_canon(gold, strlen(gold), g, sizeof g));
    struct verdict v;
    score_gsm8k(out, g, &v);
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

static void test_table(void **state)
{
    (void)state;
    case_table_run("tests/data/extract", "gsm8k.jsonl", check_line, 30);
}

static void test_canon(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"1,000", "1000"},
        {"$1,000.50", "1000.5"},
        {"-0", "0"},
        {"+7", "7"},
        {"0007", "7"},
        {"3.", "3"},
        {".5", "0.5"},
        {"-.5", "-0.5"},
        {"12.000", "12"},
        {"50%", "50"},
        {"\xe2\x88\x92"
         "4",
         "-4"},
        {" 42 ", "42"},
        {"0.0", "0"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(extract_number_canon(cases[i].in, strlen(cases[i].in), out, sizeof out));
        assert_string_equal(out, cases[i].out);
    }
    static const char *bad[] = {"", "abc", "1a", "--1", "$", ".", "1 2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(extract_number_canon(bad[i], strlen(bad[i]), out, sizeof out));
    char *g = extract_gsm8k_gold("Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72");
    assert_string_equal(g, "72");
    free(g);
    assert_null(extract_gsm8k_gold("no marker"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_canon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
