/*
 * test_data_csv: the CSV reader (quotes, doubled quotes, newlines inside
 * quotes, CRLF, BOM, unterminated quote) and the benchmark spec/data checks:
 * a bad spec names every problem and fails with GRA_ECONFIG; a bad record is
 * reported as file:line: field and fails with GRA_EPARSE; a missing data file
 * says to run `gra data fetch`. Uses a temporary benchmarks and data
 * directory, no staged data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
    const char *d = "\xef\xbb\xbf" "a,\"b, c\",\"say \"\"hi\"\"\"\r\n"
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
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "content")->valuestring, "Q: 1+1?");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_specs_and_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
