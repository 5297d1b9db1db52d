/*
 * test_extract_mc: multiple-choice letters (strict and flexible, the article
 * "A" and the pronoun "I" in prose, option-text fallback) and multi-select
 * letters, table driven from tests/data/extract/mc.jsonl ({output, n,
 * options, gold, strict, flexible}) and mc_multi.jsonl ({output, n, gold
 * "A,C", strict, flexible}).
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


static void check_mc(struct case_tally *t, long lineno, const cJSON *o)
{
    const char *out = cJSON_GetStringValue(cJSON_GetObjectItem(o, "output"));
    const char *gold = cJSON_GetStringValue(cJSON_GetObjectItem(o, "gold"));
    int n = cJSON_GetObjectItem(o, "n")->valueint;
    cJSON *opts = cJSON_GetObjectItem(o, "options");
    const char *ov[26] = {0};
    bool have = cJSON_IsArray(opts);
    for (int i = 0; have && i < n && i < 26; i++)
        ov[i] = cJSON_GetStringValue(cJSON_GetArrayItem(opts, i));
    bool es = cJSON_IsTrue(cJSON_GetObjectItem(o, "strict"));
    bool ef = cJSON_IsTrue(cJSON_GetObjectItem(o, "flexible"));
    struct verdict v;
    score_mc(out, n, have ? ov : NULL, gold[0] - 'A', &v);
    t->cases++;
    if (v.strict != es || v.flexible != ef) {
        fprintf(stderr,
                "%s:%ld: %s (gold %s): expected strict=%d flexible=%d, got %d %d (extracted %s)\n",
                t->path, lineno, out, gold, es, ef, v.strict, v.flexible,
                v.extracted ? v.extracted : "null");
        t->failures++;
    }
    score_verdict_release(&v);
}

static void check_multi(struct case_tally *t, long lineno, const cJSON *o)
{
    const char *out = cJSON_GetStringValue(cJSON_GetObjectItem(o, "output"));
    const char *gold = cJSON_GetStringValue(cJSON_GetObjectItem(o, "gold"));
    int n = cJSON_GetObjectItem(o, "n")->valueint;
    unsigned long g = 0;
    for (const char *p = gold; *p; p++)
        if (*p >= 'A' && *p <= 'Z') g |= 1ul << (*p - 'A');
    bool es = cJSON_IsTrue(cJSON_GetObjectItem(o, "strict"));
    bool ef = cJSON_IsTrue(cJSON_GetObjectItem(o, "flexible"));
    struct verdict v;
    score_mc_multi(out, n, g, &v);
    t->cases++;
    if (v.strict != es || v.flexible != ef) {
        fprintf(stderr,
                "%s:%ld: %s (gold %s): expected strict=%d flexible=%d, got %d %d (extracted %s)\n",
                t->path, lineno, out, gold, es, ef, v.strict, v.flexible,
                v.extracted ? v.extracted : "null");
        t->failures++;
    }
    score_verdict_release(&v);
}


static void test_mc(void **state)
{
    (void)state;
    case_table_run("tests/data/extract", "mc.jsonl", check_mc, 35);
}

static void test_multi(void **state)
{
    (void)state;
    case_table_run("tests/data/extract", "mc_multi.jsonl", check_multi, 7);
}

static void test_article_never_matches(void **state)
{
    (void)state;
    /* prose that starts with the article and names no option: nothing */
    assert_int_equal(extract_mc_flexible("A good answer is hard to find.", 4, NULL), -1);
    assert_int_equal(extract_mc_flexible("I do not know.", 13, NULL), -1);
    assert_int_equal(extract_mc_strict("A good answer is hard to find.", 4), -1);
    assert_int_equal(extract_mc_flexible("", 4, NULL), -1);
    assert_int_equal(extract_mc_flexible("B", 0, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mc),
        cmocka_unit_test(test_multi),
        cmocka_unit_test(test_article_never_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
