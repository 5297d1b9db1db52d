/*
 * test_data_csv: the CSV reader (quotes, doubled quotes, newlines inside
 * quotes, CRLF, BOM, unterminated quote) and the benchmark spec/data checks:
 * a bad spec names every problem and fails with GRA_ECONFIG; a bad record is
 * reported as file:line: field and fails with GRA_EPARSE; a missing data file
 * says to run `gra data fetch`; completion-mode prompts with file exemplars
 * render as documented and the prompt hash follows the exemplars. Uses a
 * temporary benchmarks and data directory, no staged data.
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
#include "eval/csv.h"

struct rows {
    int n;
    char got[8][6][64];
    int nf[8];
    long line[8];
};

static int collect(void *ud, long row, long line, char **f, int nf)
{
    struct rows *r = ud;
    assert_true(row < 8);
    r->nf[row] = nf;
    r->line[row] = line;
    for (int i = 0; i < nf && i < 6; i++) snprintf(r->got[row][i], 64, "%s", f[i]);
    r->n++;
    return 0;
}

static void test_csv(void **s)
{
    (void)s;
    const char *d = "\xef\xbb\xbf"
                    "a,\"b, c\",\"say \"\"hi\"\"\"\r\n"
                    "\"multi\nline\",x,\r\n"
                    "\n"
                    "last,row,end";
    struct rows r = {0};
    assert_int_equal(csv_parse("t.csv", d, strlen(d), collect, &r), 0);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.nf[0], 3);
    assert_string_equal(r.got[0][0], "a");
    assert_string_equal(r.got[0][1], "b, c");
    assert_string_equal(r.got[0][2], "say \"hi\"");
    assert_string_equal(r.got[1][0], "multi\nline");
    assert_string_equal(r.got[1][2], "");
    assert_int_equal(r.line[1], 2);
    assert_int_equal(r.line[2], 5);
    assert_string_equal(r.got[2][2], "end");
    struct rows r2 = {0};
    const char *bad = "ok,1\n\"open,2\n";
    assert_int_equal(csv_parse("t.csv", bad, strlen(bad), collect, &r2), GRA_EPARSE);
}

static char *tmpdir(void)
{
    const char *t = getenv("GRA_TEST_TMP");
    char *base = xasprintf("%s/test_data_csv.%ld", t && *t ? t : "/tmp", (long)getpid());
    assert_int_equal(fileio_mkdirs(base), 0);
    return base;
}

static void put(const char *dir, const char *rel, const char *text)
{
    char *p = path_join(dir, rel);
    char *d = xstrdup(p);
    *strrchr(d, '/') = '\0';
    assert_int_equal(fileio_mkdirs(d), 0);
    assert_int_equal(fileio_write_atomic(p, text, strlen(text)), 0);
    free(d);
    free(p);
}

static const char *good_spec =
    "{\"name\": \"tiny\", \"family\": \"gsm8k\", \"loader\": \"gsm8k\","
    " \"files\": [{\"path\": \"tiny/test.jsonl\", \"url\": \"file:///x\", \"sha256\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\", \"license\": \"MIT\"}],"
    " \"data\": {\"file\": \"tiny/test.jsonl\", \"split\": \"test\", \"id\": \"split-line\"},"
    " \"prompt\": {\"mode\": \"chat\", \"template\": \"Q: {question}\", \"shots\": 0},"
    " \"generation\": {\"temperature\": 0}, \"extractor\": {\"name\": \"gsm8k\"}}";

static void test_specs_and_records(void **s)
{
    (void)s;
    char *dir = tmpdir();
    char *bdir = path_join(dir, "benchmarks");
    char *ddir = path_join(dir, "data");
    put(bdir, "tiny/spec.json", good_spec);
    put(bdir, "broken/spec.json",
        "{\"name\": \"other\", \"family\": \"mc\", \"loader\": \"nope\", \"colour\": 1,"
        " \"files\": [{\"path\": \"../x\", \"sha256\": \"xyz\"}],"
        " \"data\": {}, \"prompt\": {\"mode\": \"shout\", \"shots\": 2}, \"generation\": {}}");
    struct bench *b = NULL;
    assert_int_equal(bench_open(bdir, "broken", &b), GRA_ECONFIG);
    assert_null(b);
    /* missing data: a clear error */
    assert_int_equal(bench_open(bdir, "tiny", &b), 0);
    assert_int_equal(bench_load(b, ddir, 0), GRA_ENOENT);
    bench_free(b);
    /* a bad record: file:line: field */
    put(ddir, "tiny/test.jsonl",
        "{\"question\": \"1+1?\", \"answer\": \"so 2\\n#### 2\"}\n"
        "{\"question\": 5, \"answer\": \"#### 3\"}\n"
        "{\"question\": \"x\", \"answer\": \"no marker\"}\n");
    assert_int_equal(bench_open(bdir, "tiny", &b), 0);
    assert_int_equal(bench_load(b, ddir, 0), GRA_EPARSE);
    bench_free(b);
    put(ddir, "tiny/test.jsonl",
        "{\"question\": \"1+1?\", \"answer\": \"so 2\\n#### 2\"}\n\n"
        "{\"question\": \"2+2?\", \"answer\": \"#### 4\"}\n");
    assert_int_equal(bench_open(bdir, "tiny", &b), 0);
    assert_int_equal(bench_load(b, ddir, 0), 0);
    assert_int_equal(b->n_items, 2);
    assert_string_equal(b->items[1].id, "test-2"); /* 0-based line, blank lines counted */
    assert_string_equal(b->items[1].gold, "4");
    cJSON *m = bench_messages(b, 0);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "content")->valuestring,
                        "Q: 1+1?");
    cJSON_Delete(m);
    assert_int_equal(strlen(b->prompt_hash), 64);
    bench_free(b);
    char *names_dir = bdir;
    char **names;
    int n;
    assert_int_equal(bench_list(names_dir, &names, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "broken");
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(bdir);
    free(ddir);
    free(dir);
}

/* completion mode with file exemplars: rendering and the prompt hash */
static void test_prompts(void **s)
{
    (void)s;
    char *dir = tmpdir();
    char *bdir = path_join(dir, "benchmarks");
    char *ddir = path_join(dir, "data");
    put(bdir, "comp/spec.json",
        "{\"name\": \"comp\", \"family\": \"gsm8k\", \"loader\": \"gsm8k\","
        " \"files\": [{\"path\": \"comp/test.jsonl\", \"url\": \"file:///x\", \"sha256\": "
        "\"0000000000000000000000000000000000000000000000000000000000000000\", \"license\": "
        "\"MIT\"}],"
        " \"data\": {\"file\": \"comp/test.jsonl\", \"id\": \"split-line\"},"
        " \"prompt\": {\"mode\": \"completion\", \"system\": \"Solve.\", \"template\": \"Q: "
        "{question} {{x}}\\nA:\","
        " \"shots\": 1, \"exemplars\": {\"file\": \"fewshot.jsonl\"}},"
        " \"generation\": {\"temperature\": 0, \"n\": 3}, \"extractor\": {\"name\": \"gsm8k\"}}");
    put(bdir, "comp/fewshot.jsonl",
        "{\"source\": \"train line 0\", \"vars\": {\"question\": \"2+2?\"}, \"target\": \"The "
        "answer is 4.\"}\n"
        "{\"source\": \"train line 1\", \"vars\": {\"question\": \"3+3?\"}, \"target\": \"The "
        "answer is 6.\"}\n");
    put(ddir, "comp/test.jsonl", "{\"question\": \"1+1?\", \"answer\": \"#### 2\"}\n");
    struct bench *b = NULL;
    assert_int_equal(bench_open(bdir, "comp", &b), 0);
    assert_int_equal(bench_load(b, ddir, 0), 0);
    assert_int_equal(b->n_samples, 3);
    assert_int_equal(b->n_exemplars, 2);
    char *t = bench_prompt_text(b, 0);
    assert_string_equal(t, "Solve.\n\nQ: 2+2? {x}\nA: The answer is 4.\n\nQ: 1+1? {x}\nA:");
    free(t);
    cJSON *m = bench_messages(b, 0); /* completion: one user message */
    assert_int_equal(cJSON_GetArraySize(m), 1);
    cJSON_Delete(m);
    char h1[65];
    memcpy(h1, b->prompt_hash, 65);
    bench_free(b);
    /* another exemplar answer: another prompt hash */
    put(bdir, "comp/fewshot.jsonl",
        "{\"source\": \"train line 0\", \"vars\": {\"question\": \"2+2?\"}, \"target\": \"The "
        "answer is four.\"}\n");
    assert_int_equal(bench_open(bdir, "comp", &b), 0);
    assert_int_equal(bench_load(b, ddir, 0), 0);
    assert_string_not_equal(h1, b->prompt_hash);
    bench_free(b);
    /* a template naming an unknown variable fails at render time */
    put(bdir, "comp/spec.json",
        "{\"name\": \"comp\", \"family\": \"gsm8k\", \"loader\": \"gsm8k\","
        " \"files\": [{\"path\": \"comp/test.jsonl\", \"url\": \"file:///x\", \"sha256\": "
        "\"0000000000000000000000000000000000000000000000000000000000000000\", \"license\": "
        "\"MIT\"}],"
        " \"data\": {\"file\": \"comp/test.jsonl\", \"id\": \"split-line\"},"
        " \"prompt\": {\"mode\": \"chat\", \"template\": \"Q: {qestion}\", \"shots\": 0},"
        " \"generation\": {}, \"extractor\": {\"name\": \"gsm8k\"}}");
    assert_int_equal(bench_open(bdir, "comp", &b), 0);
    assert_int_equal(bench_load(b, ddir, 0), 0);
    assert_null(bench_messages(b, 0));
    bench_free(b);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(bdir);
    free(ddir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_specs_and_records),
        cmocka_unit_test(test_prompts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
