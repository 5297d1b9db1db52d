/*
 * test_extract_hellaswag: HellaSwag 10-shot. A fake data directory written
 * by the test (3 hand-written validation records and 12 train records in the
 * upstream hellaswag_*.jsonl layout) must give 10 exemplar
 * turns taken from the first 10 TRAIN records (never validation), each
 * answered "Answer: X", then the item; gold letters score right and
 * corrupted ones wrong; the exemplars enter the prompt hash; a missing train
 * file is a data error. The real HellaSwag data is not staged: that part
 * skips and says so.
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

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "eval/bench.h"
#include "eval/score.h"

/* the fake data directory under GRA_TEST_TMP (heap path) */
static char *make_fake(void)
{
    const char *tmp = getenv("GRA_TEST_TMP");
    char *root = xasprintf("%s/hellaswag_fake", tmp && *tmp ? tmp : "/tmp");
    char *dir = xasprintf("%s/hellaswag", root);
    assert_int_equal(fileio_mkdirs(dir), 0);
    static const char *const acts[12] = {"Baking",  "Gardening", "Cycling", "Painting",
                                         "Swimming", "Cooking",  "Skating", "Fishing",
                                         "Knitting", "Running",  "Sailing", "Juggling"};
    struct buf t = BUF_INIT;
    for (int i = 0; i < 12; i++) {
        char low[32];
        snprintf(low, sizeof low, "%s", acts[i]);
        low[0] = (char)(low[0] - 'A' + 'a');
        buf_appendf(&t,
                    "{\"ind\": %d, \"activity_label\": \"%s\", \"ctx\": \"A person starts %s in "
                    "the morning. They\", \"endings\": [\"stop %s and go home.\", \"continue %s "
                    "with care.\", \"fly to the moon.\", \"turn into a tree.\"], \"label\": %d, "
                    "\"split\": \"train\", \"split_type\": \"indomain\", \"source_id\": "
                    "\"hand-%d\"}\n",
                    i, acts[i], low, low, low, i % 2, i);
    }
    char *p = xasprintf("%s/hellaswag_train.jsonl", dir);
    assert_int_equal(fileio_write_atomic(p, t.data, t.len), 0);
    free(p);
    buf_release(&t);
    static const char *const val =
        "{\"ind\": 100, \"activity_label\": \"Tennis\", \"ctx\": \"A woman holds a racket on a "
        "court. She\", \"endings\": [\"serves the ball over the net.\", \"eats the racket.\", "
        "\"paints the net blue.\", \"sleeps on the court.\"], \"label\": 0, \"split\": \"val\", "
        "\"source_id\": \"hand-val-0\"}\n"
        "{\"ind\": 101, \"activity_label\": \"Dog walking\", \"ctx\": \"A man clips a leash to "
        "his dog. He\", \"endings\": [\"plants a garden in the leash.\", \"walks the dog down the "
        "street.\", \"reads the dog a book.\", \"melts the leash.\"], \"label\": 1, \"split\": "
        "\"val\", \"source_id\": \"hand-val-1\"}\n"
        "{\"ind\": 102, \"activity_label\": \"Washing dishes\", \"ctx\": \"A girl fills the sink "
        "with soapy water. She\", \"endings\": [\"throws the sink away.\", \"sings to the "
        "soap.\", \"scrubs the plates with a sponge.\", \"drinks the water.\"], \"label\": 2, "
        "\"split\": \"val\", \"source_id\": \"hand-val-2\"}\n";
    p = xasprintf("%s/hellaswag_val.jsonl", dir);
    assert_int_equal(fileio_write_atomic(p, val, strlen(val)), 0);
    free(p);
    free(dir);
    return root;
}

static const char *content(const cJSON *m, int i)
{
    return cJSON_GetObjectItem(cJSON_GetArrayItem(m, i), "content")->valuestring;
}

static const char *role(const cJSON *m, int i)
{
    return cJSON_GetObjectItem(cJSON_GetArrayItem(m, i), "role")->valuestring;
}

static void test_ten_shot(void **s)
{
    (void)s;
    char *dd = make_fake();
    struct bench *b = NULL;
    assert_int_equal(bench_open(bench_dir_default(), "hellaswag", &b), 0);
    assert_int_equal(b->shots, 10);
    assert_int_equal(bench_load(b, dd, 0), 0);
    assert_int_equal(b->n_items, 3);
    assert_int_equal(b->n_exemplars, 10);
    assert_string_equal(b->items[1].id, "validation-1");
    cJSON *m = bench_messages(b, 1);
    assert_int_equal(cJSON_GetArraySize(m), 21);
    for (int k = 0; k < 10; k++) {
        assert_string_equal(role(m, 2 * k), "user");
        assert_string_equal(role(m, 2 * k + 1), "assistant");
        /* train record k: label k % 2 */
        char want[16];
        snprintf(want, sizeof want, "Answer: %c", 'A' + k % 2);
        assert_string_equal(content(m, 2 * k + 1), want);
        assert_null(strstr(content(m, 2 * k), "hand-val"));
    }
    assert_non_null(strstr(content(m, 0), "Baking: A person starts baking in the morning. They\n"
                                          "Question: Which ending makes the most sense?\n"
                                          "A. stop baking and go home.\n"));
    assert_non_null(strstr(content(m, 18), "Running:")); /* train line 9 */
    assert_null(strstr(content(m, 18), "Sailing"));      /* line 10 is not used */
    const char *last = content(m, 20);
    assert_non_null(strstr(last, "Dog walking: A man clips a leash to his dog. He\n"));
    assert_non_null(strstr(last, "B. walks the dog down the street.\n"));
    assert_non_null(strstr(last, "You may choose from A, B, C or D.\nAnswer:"));
    cJSON_Delete(m);
    for (int i = 0; i < b->n_items; i++) {
        struct verdict v;
        bench_score(b, i, b->items[i].gold_output, &v);
        assert_true(v.correct);
        score_verdict_release(&v);
        bench_score(b, i, b->items[i].gold, &v); /* a bare letter */
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
    /* a different train file gives a different prompt hash; none is an error */
    const char *tmp = getenv("GRA_TEST_TMP");
    char *d2 = xasprintf("%s/hellaswag_fake2/hellaswag", tmp && *tmp ? tmp : "/tmp");
    assert_int_equal(fileio_mkdirs(d2), 0);
    char *src = xasprintf("%s/hellaswag/hellaswag_val.jsonl", dd);
    char *dst = xasprintf("%s/hellaswag_val.jsonl", d2);
    char *data;
    size_t n;
    assert_int_equal(fileio_read(src, &data, &n), 0);
    assert_int_equal(fileio_write_atomic(dst, data, n), 0);
    free(data);
    free(src);
    free(dst);
    src = xasprintf("%s/hellaswag/hellaswag_train.jsonl", dd);
    dst = xasprintf("%s/hellaswag_train.jsonl", d2);
    assert_int_equal(fileio_read(src, &data, &n), 0);
    char *nl = strchr(data, '\n'); /* drop line 0: exemplars shift by one */
    assert_non_null(nl);
    assert_int_equal(fileio_write_atomic(dst, nl + 1, n - (size_t)(nl + 1 - data)), 0);
    free(data);
    char *parent = xasprintf("%s/hellaswag_fake2", tmp && *tmp ? tmp : "/tmp");
    assert_int_equal(bench_open(bench_dir_default(), "hellaswag", &b), 0);
    assert_int_equal(bench_load(b, parent, 0), 0);
    assert_string_not_equal(hash, b->prompt_hash);
    bench_free(b);
    assert_int_equal(unlink(dst), 0);
    assert_int_equal(bench_open(bench_dir_default(), "hellaswag", &b), 0);
    assert_int_equal(bench_load(b, parent, 0), GRA_ENOENT);
    bench_free(b);
    free(parent);
    free(src);
    free(dst);
    free(d2);
    free(dd);
}

static void test_real_data(void **s)
{
    (void)s;
    const char *td = getenv("GRA_TEST_DATA");
    char *p = xasprintf("%s/hellaswag/hellaswag_train.jsonl", td && *td ? td : "/nonexistent");
    bool present = fileio_exists(p);
    free(p);
    if (!present) {
        printf("SKIP real HellaSwag data: not staged here (no hellaswag/ in GRA_TEST_DATA)\n");
        return;
    }
    struct bench *b = NULL;
    assert_int_equal(bench_open(bench_dir_default(), "hellaswag", &b), 0);
    assert_int_equal(bench_load(b, td, 0), 0);
    assert_int_equal(b->n_items, 10042);
    assert_int_equal(b->n_exemplars, 10);
    bench_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ten_shot),
        cmocka_unit_test(test_real_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
