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
#include "eval/extract.h"
#include "eval/score.h"

struct tally {
    const char *path;
    int cases, failures;
};

static int check_mc(void *ud, long lineno, cJSON *o, const char *errmsg)
{
    struct tally *t = ud;
    if (!o) {
        fprintf(stderr, "%s:%ld: %s\n", t->path, lineno, errmsg);
        t->failures++;
        return 0;
    }
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
    return 0;
}

static int check_multi(void *ud, long lineno, cJSON *o, const char *errmsg)
{
    struct tally *t = ud;
    if (!o) {
        fprintf(stderr, "%s:%ld: %s\n", t->path, lineno, errmsg);
        t->failures++;
        return 0;
    }
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
    return 0;
}

static void run_table(const char *name, jsonl_cb cb, int min_cases)
{
    const char *src = getenv("GRA_SOURCE_DIR");
    char *rel = path_join("tests/data/extract", name);
    char *path = path_join(src ? src : GRA_SOURCE_DIR, rel);
    struct tally t = {path, 0, 0};
    assert_int_equal(jsonl_foreach(path, cb, &t), 0);
    printf("%s: %d cases, %d failures\n", name, t.cases, t.failures);
    assert_true(t.cases >= min_cases);
    assert_int_equal(t.failures, 0);
    free(rel);
    free(path);
}

static void test_mc(void **state)
{
    (void)state;
    run_table("mc.jsonl", check_mc, 35);
}

static void test_multi(void **state)
{
    (void)state;
    run_table("mc_multi.jsonl", check_multi, 7);
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
