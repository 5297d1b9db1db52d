/*
 * test_synth_seeds: the seed format adapters (synth/seeds.h) on small files
 * written here: every format, auto detection, field overrides, a JSON array,
 * limit and seeded sample, bad records skipped (counted) or fatal, and the
 * FILE:LINE provenance. Also the staged Self-Instruct and GSM8K files when
 * GRA_TEST_DATA has them (skipped with a message otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/fileio.h"
#include "synth/seeds.h"

static char dir[256];

static char *put(const char *name, const char *text)
{
    char *p = xasprintf("%s/%s", dir, name);
    assert_int_equal(fileio_write_atomic(p, text, strlen(text)), 0);
    return p;
}

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("GRA_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/test_synth_seeds.XXXXXX", t && *t ? t : "/tmp");
    fileio_mkdirs(t && *t ? t : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf '%s'", dir);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

static void load1(const char *path, int format, bool fail, int want_rc, int want_n, int want_bad,
                  struct seed_record **out)
{
    struct seed_file_cfg f = {.path = (char *)path, .format = format};
    struct seed_record *r = NULL;
    int n = -1, bad = -1;
    int rc = seeds_load(&f, 1, fail, 1, &r, &n, &bad);
    assert_int_equal(rc, want_rc);
    if (rc == 0) {
        assert_int_equal(n, want_n);
        assert_int_equal(bad, want_bad);
    }
    if (out) *out = r;
    else seeds_free(r, n > 0 ? n : 0);
}

static void test_formats(void **state)
{
    (void)state;
    struct seed_record *r;
    char *p = put("alpaca.jsonl",
                  "{\"instruction\": \"Add the numbers.\", \"input\": \"2 and 3\", \"output\": \"5\"}\n"
                  "{\"instruction\": \"Say hi.\", \"input\": \"\", \"output\": \"Hi!\"}\n");
    load1(p, SEED_ALPACA, true, 0, 2, 0, &r);
    assert_string_equal(r[0].instruction, "Add the numbers.\n\n2 and 3");
    assert_string_equal(r[0].response, "5");
    assert_string_equal(r[1].instruction, "Say hi.");
    char *src = xasprintf("%s:2", p);
    assert_string_equal(r[1].source, src);
    free(src);
    seeds_free(r, 2);
    free(p);

    p = put("si.jsonl", "{\"id\": \"seed_task_0\", \"instruction\": \"Translate.\", \"instances\": "
                        "[{\"input\": \"hola\", \"output\": \"hello\"}, {\"input\": \"x\", \"output\": \"y\"}]}\n");
    load1(p, SEED_SELF_INSTRUCT, true, 0, 1, 0, &r);
    assert_string_equal(r[0].instruction, "Translate.\n\nhola");
    assert_string_equal(r[0].response, "hello");
    seeds_free(r, 1);
    free(p);

    p = put("sharegpt.json", "[{\"conversations\": [{\"from\": \"system\", \"value\": \"be nice\"}, "
                             "{\"from\": \"human\", \"value\": \"Q?\"}, {\"from\": \"gpt\", \"value\": \"A.\"}]}]");
    load1(p, SEED_SHAREGPT, true, 0, 1, 0, &r);
    assert_string_equal(r[0].instruction, "Q?");
    assert_string_equal(r[0].response, "A.");
    src = xasprintf("%s:record 1", p);
    assert_string_equal(r[0].source, src);
    free(src);
    seeds_free(r, 1);
    free(p);

    p = put("messages.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"U\"}, "
                              "{\"role\": \"assistant\", \"content\": \"V\"}]}\n");
    load1(p, SEED_MESSAGES, true, 0, 1, 0, &r);
    assert_string_equal(r[0].instruction, "U");
    assert_string_equal(r[0].response, "V");
    seeds_free(r, 1);
    free(p);

    /* auto: one file mixing GSM8K, MATH and alpaca records */
    p = put("mixed.jsonl", "{\"question\": \"1+1?\", \"answer\": \"2\\n#### 2\"}\n"
                           "{\"problem\": \"Solve x=1.\", \"solution\": \"$\\\\boxed{1}$\"}\n"
                           "\n"
                           "{\"instruction\": \"I\", \"output\": \"O\"}\n");
    load1(p, SEED_AUTO, true, 0, 3, 0, &r);
    assert_string_equal(r[0].instruction, "1+1?");
    assert_string_equal(r[1].response, "$\\boxed{1}$");
    assert_string_equal(r[2].instruction, "I");
    src = xasprintf("%s:4", p);
    assert_string_equal(r[2].source, src); /* blank lines still count */
    free(src);
    seeds_free(r, 3);
    free(p);
}

static void test_overrides_limit_sample(void **state)
{
    (void)state;
    char lines[4096] = "";
    for (int i = 0; i < 20; i++) {
        char line[128];
        snprintf(line, sizeof line, "{\"prompt\": \"p%d\", \"completion\": \"c%d\"}\n", i, i);
        strcat(lines, line);
    }
    char *p = put("custom.jsonl", lines);
    struct seed_file_cfg f = {.path = p, .format = SEED_ALPACA, .f_instruction = "prompt",
                              .f_output = "completion", .limit = 5};
    struct seed_record *r;
    int n, bad;
    assert_int_equal(seeds_load(&f, 1, true, 1, &r, &n, &bad), 0);
    assert_int_equal(n, 5);
    assert_string_equal(r[4].instruction, "p4");
    assert_string_equal(r[4].response, "c4");
    seeds_free(r, n);
    /* a seeded sample: same seed, same subset, in file order; another seed differs */
    f.sample = true;
    struct seed_record *a, *c;
    int na, nc;
    assert_int_equal(seeds_load(&f, 1, true, 7, &a, &na, &bad), 0);
    assert_int_equal(seeds_load(&f, 1, true, 7, &r, &n, &bad), 0);
    assert_int_equal(seeds_load(&f, 1, true, 8, &c, &nc, &bad), 0);
    assert_int_equal(na, 5);
    bool same = true, differs = false;
    for (int i = 0; i < 5; i++) {
        same &= strcmp(a[i].instruction, r[i].instruction) == 0;
        differs |= strcmp(a[i].instruction, c[i].instruction) != 0;
        if (i) assert_true(atoi(a[i].instruction + 1) > atoi(a[i - 1].instruction + 1));
    }
    assert_true(same);
    assert_true(differs);
    seeds_free(a, na);
    seeds_free(r, n);
    seeds_free(c, nc);
    free(p);
}

static void test_bad_records(void **state)
{
    (void)state;
    char *p = put("bad.jsonl", "{\"instruction\": \"ok\", \"output\": \"fine\"}\n"
                               "{\"instruction\": \"no output\"}\n"
                               "this is not json\n"
                               "[1, 2]\n"
                               "{\"instruction\": \"   \", \"output\": \"blank instruction\"}\n"
                               "{\"instruction\": \"ok2\", \"output\": \"fine\"}\n");
    load1(p, SEED_ALPACA, false, 0, 2, 4, NULL);
    load1(p, SEED_ALPACA, true, GRA_EPARSE, 0, 0, NULL);
    char *q = put("badarray.json", "[{\"conversations\": []}, {\"conversations\": 3}]");
    load1(q, SEED_SHAREGPT, false, 0, 0, 2, NULL);
    char *t = put("torn.json", "[{\"instruction\": \"a\", \"output\": \"b\"},\n {\"instr");
    load1(t, SEED_ALPACA, false, GRA_EPARSE, 0, 0, NULL);
    struct seed_file_cfg f = {.path = "/nonexistent/seeds.jsonl"};
    struct seed_record *r;
    int n, bad;
    assert_int_not_equal(seeds_load(&f, 1, false, 1, &r, &n, &bad), 0);
    free(p);
    free(q);
    free(t);
}

static void test_staged(void **state)
{
    (void)state;
    const char *d = getenv("GRA_TEST_DATA");
    if (!d || !*d) d = GRA_SOURCE_DIR "/../shared/data";
    char *si = xasprintf("%s/self_instruct_seed/seed_tasks.jsonl", d);
    char *gs = xasprintf("%s/gsm8k/train.jsonl", d);
    if (!fileio_exists(si) || !fileio_exists(gs)) {
        printf("test_staged: SKIP: %s or %s not staged\n", si, gs);
    } else {
        struct seed_file_cfg f[2] = {{.path = si, .format = SEED_SELF_INSTRUCT},
                                     {.path = gs, .format = SEED_GSM8K, .limit = 100}};
        struct seed_record *r;
        int n, bad;
        assert_int_equal(seeds_load(f, 2, true, 1, &r, &n, &bad), 0);
        assert_int_equal(n, 175 + 100);
        assert_int_equal(bad, 0);
        assert_non_null(strstr(r[175].response, "####"));
        seeds_free(r, n);
    }
    free(si);
    free(gs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_overrides_limit_sample),
        cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_staged),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
