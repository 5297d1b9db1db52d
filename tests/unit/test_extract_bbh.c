/*
 * test_extract_bbh: BBH 3-shot chain of thought. A fake data directory
 * (tests/data/bbh/data: one task's test file and its cot-prompts file, in
 * the upstream layouts, CRLF line ends and a canary header included) must
 * give one user message holding the OpenCompass bbh_gen prompt: the
 * instruction line, the task description, the 3 exemplars and the question;
 * exemplars enter the prompt hash; the "So the answer is" extractor scores
 * the gold and corrupted outputs; a missing or short cot-prompts file is an
 * error naming the file. The real BBH data is not staged: that part skips.
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
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "eval/bench.h"
#include "eval/extract.h"
#include "eval/score.h"

static const char *src_dir(void)
{
    const char *s = getenv("GRA_SOURCE_DIR");
    return s && *s ? s : GRA_SOURCE_DIR;
}

static char *fake_dir(void)
{
    return xasprintf("%s/tests/data/bbh/data", src_dir());
}

static void test_three_shot_prompt(void **s)
{
    (void)s;
    char *dd = fake_dir();
    struct bench *b = NULL;
    assert_int_equal(bench_open(bench_dir_default(), "bbh", &b), 0);
    assert_int_equal(b->shots, 3);
    /* limit 4: only the first task (boolean_expressions) is read */
    assert_int_equal(bench_load(b, dd, 4), 0);
    assert_int_equal(b->n_items, 4);
    assert_int_equal(b->n_exemplars, 3);
    assert_string_equal(b->items[0].id, "boolean_expressions-0");
    assert_string_equal(b->exemplars[1].target,
                        "Let's think step by step.\nnot True = False.\nFalse or False = False.\n"
                        "So the answer is False.");
    cJSON *m = bench_messages(b, 0);
    assert_non_null(m);
    assert_int_equal(cJSON_GetArraySize(m), 1); /* exemplars inline, not as turns */
    const char *c = cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "content")->valuestring;
    const char *want_head =
        "Follow the given examples and answer the question.\n"
        "Evaluate the result of a random Boolean expression.\n\n"
        "Q: not ( False ) and True is\nA: Let's think step by step.\n";
    assert_memory_equal(c, want_head, strlen(want_head));
    const char *want_tail = "So the answer is True.\n\nQ: not ( True and False ) is\n"
                            "A: Let's think step by step.";
    assert_true(strlen(c) > strlen(want_tail));
    assert_string_equal(c + strlen(c) - strlen(want_tail), want_tail);
    assert_null(strstr(c, "-----"));
    assert_null(strstr(c, "\r"));
    assert_null(strstr(c, "Hand-written"));
    /* 3 exemplars */
    int nq = 0;
    for (const char *p = c; (p = strstr(p, "\nQ: ")) != NULL; p++) nq++;
    assert_int_equal(nq, 4);
    cJSON_Delete(m);
    char *t = bench_prompt_text(b, 1);
    assert_non_null(strstr(t, "Q: True or not True and False is\nA: Let's think step by step."));
    free(t);
    /* gold right, corrupted wrong */
    for (int i = 0; i < b->n_items; i++) {
        struct verdict v;
        bench_score(b, i, b->items[i].gold_output, &v);
        assert_true(v.correct && v.strict);
        score_verdict_release(&v);
        char *w = bench_corrupt_output(b, i);
        bench_score(b, i, w, &v);
        assert_false(v.correct);
        score_verdict_release(&v);
        free(w);
    }
    char hash[65];
    memcpy(hash, b->prompt_hash, sizeof hash);
    bench_free(b);
    /* the hash covers the exemplars: one changed answer changes it */
    const char *tmp = getenv("GRA_TEST_TMP");
    char *d2 = xasprintf("%s/bbh_fake2", tmp && *tmp ? tmp : "/tmp");
    char *cotdir = xasprintf("%s/bbh/cot-prompts", d2);
    assert_int_equal(fileio_mkdirs(cotdir), 0);
    char *src = xasprintf("%s/bbh/boolean_expressions.json", dd), *dst = xasprintf("%s/bbh/boolean_expressions.json", d2);
    char *data;
    size_t n;
    assert_int_equal(fileio_read(src, &data, &n), 0);
    assert_int_equal(fileio_write_atomic(dst, data, n), 0);
    free(data);
    free(src);
    free(dst);
    src = xasprintf("%s/bbh/cot-prompts/boolean_expressions.txt", dd);
    dst = xasprintf("%s/boolean_expressions.txt", cotdir);
    assert_int_equal(fileio_read(src, &data, &n), 0);
    char *p = strstr(data, "So the answer is False.");
    assert_non_null(p);
    memcpy(p + 17, "True. ", 6);
    assert_int_equal(fileio_write_atomic(dst, data, n), 0);
    assert_int_equal(bench_open(bench_dir_default(), "bbh", &b), 0);
    assert_int_equal(bench_load(b, d2, 4), 0);
    assert_string_not_equal(hash, b->prompt_hash);
    bench_free(b);
    /* a cot-prompts file with only two exemplars */
    char *cut = strstr(data, "\nQ: not True or not False");
    assert_non_null(cut);
    assert_int_equal(fileio_write_atomic(dst, data, (size_t)(cut - data)), 0);
    free(data);
    assert_int_equal(bench_open(bench_dir_default(), "bbh", &b), 0);
    assert_int_equal(bench_load(b, d2, 4), GRA_EPARSE);
    bench_free(b);
    /* missing */
    assert_int_equal(unlink(dst), 0);
    assert_int_equal(bench_open(bench_dir_default(), "bbh", &b), 0);
    assert_int_equal(bench_load(b, d2, 4), GRA_ENOENT);
    bench_free(b);
    free(src);
    free(dst);
    free(cotdir);
    free(d2);
    free(dd);
}

static void test_phrase_extraction(void **s)
{
    (void)s;
    static const struct {
        const char *out, *strict, *flexible;
    } cases[] = {
        {"Step.\nSo the answer is (B).", "(B)", "(B)"}, /* score_phrase: (B) = B */
        {"So the answer is True.", "True", "True"},
        {"so the answer is valid.\n", "valid", "valid"},
        {"The answer is 24. Wait, so the answer is 25.", "25", "25"},
        {"No marker here\nFalse", NULL, "False"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *st = extract_phrase_strict(cases[i].out);
        char *fl = extract_phrase_flexible(cases[i].out);
        if (cases[i].strict) {
            assert_non_null(st);
            assert_string_equal(st, cases[i].strict);
        } else {
            assert_null(st);
        }
        assert_non_null(fl);
        assert_string_equal(fl, cases[i].flexible);
        free(st);
        free(fl);
    }
}

static void test_real_data(void **s)
{
    (void)s;
    const char *td = getenv("GRA_TEST_DATA");
    char *p = xasprintf("%s/bbh/cot-prompts/boolean_expressions.txt", td && *td ? td : "/nonexistent");
    if (!fileio_exists(p)) {
        printf("SKIP real BBH data: %s is absent (BBH is not staged here)\n", p);
        free(p);
        return;
    }
    free(p);
    struct bench *b = NULL;
    assert_int_equal(bench_open(bench_dir_default(), "bbh", &b), 0);
    assert_int_equal(bench_load(b, td, 0), 0);
    assert_int_equal(b->n_items, 6511);
    assert_int_equal(b->n_exemplars, 27 * 3);
    bench_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_shot_prompt),
        cmocka_unit_test(test_phrase_extraction),
        cmocka_unit_test(test_real_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
