/*
 * test_gold_scores: every staged benchmark's gold answers, written the way a
 * model would write them, score 100% under the benchmark's own spec, loader
 * and scorer; corrupted answers (another number, another letter, a different
 * expression) score 0%. Also checks item counts, id rules, prompt rendering
 * and few-shot exemplars. Code benchmarks are loaded and counted here; their
 * execution (164/164 HumanEval) is test_code_gold's job.
 *
 * Needs the staged data ($GRA_TEST_DATA); skips, saying why, without it.
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

#include "core/err.h"
#include "core/fileio.h"
#include "eval/bench.h"

static const char *data_dir(void)
{
    const char *d = getenv("GRA_TEST_DATA");
    return d && *d ? d : NULL;
}

static struct bench *load(const char *name)
{
    struct bench *b = NULL;
    assert_int_equal(bench_open(bench_dir_default(), name, &b), 0);
    assert_int_equal(bench_load(b, data_dir(), 0), 0);
    return b;
}

/* gold outputs: all right under strict and flexible; corrupted: all wrong */
static void check_gold(const char *name, int expect_items, int expect_shots_msgs)
{
    if (!data_dir() || !fileio_exists(data_dir())) {
        printf("SKIP %s: staged data not found (GRA_TEST_DATA unset or missing)\n", name);
        skip();
    }
    struct bench *b = load(name);
    assert_int_equal(b->n_items, expect_items);
    int right = 0, strict = 0, wrong = 0, fails = 0;
    for (int i = 0; i < b->n_items; i++) {
        struct verdict v;
        bench_score(b, i, b->items[i].gold_output, &v);
        if (v.correct)
            right++;
        else if (fails++ < 5)
            fprintf(stderr, "%s %s: gold output scored wrong (extracted %s, gold %s)\n", name,
                    b->items[i].id, v.extracted ? v.extracted : "null", b->items[i].gold);
        if (v.strict) strict++;
        score_verdict_release(&v);
        char *bad = bench_corrupt_output(b, i);
        bench_score(b, i, bad, &v);
        if (v.correct || v.strict) {
            if (fails++ < 5)
                fprintf(stderr, "%s %s: corrupted output %s scored right (gold %s)\n", name,
                        b->items[i].id, bad, b->items[i].gold);
        } else {
            wrong++;
        }
        score_verdict_release(&v);
        free(bad);
    }
    printf("%s: %d items, gold %d/%d (strict %d), corrupted wrong %d/%d, prompt_hash %.12s\n", name,
           b->n_items, right, b->n_items, strict, wrong, b->n_items, b->prompt_hash);
    assert_int_equal(right, b->n_items);
    assert_int_equal(strict, b->n_items);
    assert_int_equal(wrong, b->n_items);
    /* ids unique */
    for (int i = 1; i < b->n_items && i < 2000; i++)
        assert_int_equal(bench_find(b, b->items[i].id), i);
    cJSON *m = bench_messages(b, 0);
    assert_non_null(m);
    assert_int_equal(cJSON_GetArraySize(m), expect_shots_msgs);
    cJSON_Delete(m);
    bench_free(b);
}

static void test_gsm8k(void **s)
{
    (void)s;
    check_gold("gsm8k", 1319, 9);
}
static void test_math(void **s)
{
    (void)s;
    check_gold("math", 5000, 9);
}
static void test_math500(void **s)
{
    (void)s;
    check_gold("math500", 500, 9);
}
static void test_mmlu(void **s)
{
    (void)s;
    check_gold("mmlu", 14042, 1);
}
static void test_mmlu_5shot(void **s)
{
    (void)s;
    check_gold("mmlu_5shot", 14042, 11);
}
static void test_arc_challenge(void **s)
{
    (void)s;
    check_gold("arc_challenge", 1172, 1);
}
static void test_arc_easy(void **s)
{
    (void)s;
    check_gold("arc_easy", 2376, 1);
}
static void test_truthfulqa_mc1(void **s)
{
    (void)s;
    check_gold("truthfulqa_mc1", 817, 1);
}
static void test_truthfulqa_mc2(void **s)
{
    (void)s;
    check_gold("truthfulqa_mc2", 817, 1);
}

/* "The answer is X" (no parentheses) for the letter benchmarks, as the brief
 * words it, and ids per the documented rules */
static void test_letters_and_ids(void **s)
{
    (void)s;
    if (!data_dir() || !fileio_exists(data_dir())) {
        printf("SKIP: staged data not found\n");
        skip();
    }
    static const char *const names[] = {"mmlu", "arc_challenge", "arc_easy", "truthfulqa_mc1"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        struct bench *b = load(names[k]);
        int right = 0;
        for (int i = 0; i < b->n_items; i++) {
            char out[64];
            snprintf(out, sizeof out, "The answer is %c", 'A' + b->items[i].gold_index);
            struct verdict v;
            bench_score(b, i, out, &v);
            right += v.correct && v.strict;
            score_verdict_release(&v);
        }
        assert_int_equal(right, b->n_items);
        if (strcmp(names[k], "mmlu") == 0) {
            assert_string_equal(b->items[0].id, "abstract_algebra-0");
            assert_int_equal(bench_find(b, "world_religions-170"), b->n_items - 1);
        }
        if (strcmp(names[k], "arc_challenge") == 0)
            assert_string_equal(b->items[0].id, "Mercury_7175875");
        if (strcmp(names[k], "truthfulqa_mc1") == 0)
            assert_string_equal(b->items[816].id, "validation-816");
        bench_free(b);
    }
    struct bench *g = load("gsm8k");
    assert_string_equal(g->items[1318].id, "test-1318");
    assert_int_equal(g->n_exemplars, 4);
    bench_free(g);
    struct bench *m = load("math500");
    assert_string_equal(m->items[0].id, "test/precalculus/807.json");
    bench_free(m);
}

static void test_code_items(void **s)
{
    (void)s;
    if (!data_dir() || !fileio_exists(data_dir())) {
        printf("SKIP: staged data not found\n");
        skip();
    }
    struct bench *b = load("humaneval");
    assert_int_equal(b->n_items, 164);
    assert_string_equal(b->items[0].id, "HumanEval/0");
    bench_free(b);
    b = load("mbpp");
    assert_int_equal(b->n_items, 500);
    assert_string_equal(b->items[0].id, "11");
    assert_string_equal(b->items[499].id, "510");
    cJSON *m = bench_messages(b, 0);
    assert_int_equal(cJSON_GetArraySize(m), 7);
    cJSON_Delete(m);
    bench_free(b);
    b = load("mbpp_sanitized");
    assert_int_equal(b->n_items, 257);
    bench_free(b);
}

/* the optional benchmarks: specs parse; their data is absent here */
static void test_optional_specs(void **s)
{
    (void)s;
    static const char *const names[] = {"hellaswag", "gpqa_diamond", "bbh", "ifeval"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        struct bench *b = NULL;
        assert_int_equal(bench_open(bench_dir_default(), names[k], &b), 0);
        assert_true(b->optional);
        const char *dd = data_dir() ? data_dir() : "/nonexistent";
        int rc = bench_load(b, dd, 0);
        if (rc == 0) {
            printf("%s: data present, %d items\n", names[k], b->n_items);
        } else {
            printf("%s: data absent (not staged), load refused as expected\n", names[k]);
        }
        bench_free(b);
    }
}

static void test_bad_spec(void **s)
{
    (void)s;
    struct bench *b = NULL;
    assert_int_equal(bench_open(bench_dir_default(), "no_such_benchmark", &b), GRA_ENOENT);
    assert_int_equal(bench_open(bench_dir_default(), "../etc", &b), GRA_EINVAL);
    assert_null(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gsm8k),          cmocka_unit_test(test_math),
        cmocka_unit_test(test_math500),        cmocka_unit_test(test_mmlu),
        cmocka_unit_test(test_mmlu_5shot),     cmocka_unit_test(test_arc_challenge),
        cmocka_unit_test(test_arc_easy),       cmocka_unit_test(test_truthfulqa_mc1),
        cmocka_unit_test(test_truthfulqa_mc2), cmocka_unit_test(test_letters_and_ids),
        cmocka_unit_test(test_code_items),     cmocka_unit_test(test_optional_specs),
        cmocka_unit_test(test_bad_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
