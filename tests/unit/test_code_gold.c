/*
 * test_code_gold: the code scorer and the sandbox on real benchmark data.
 *  - HumanEval canonical solutions pass 164/164, as completions and as chat
 *    replies (fenced full function); bodies replaced by `return None` fail.
 *  - MBPP reference code passes on the test split (task_ids 11-510) and on the
 *    sanitized test subset; stubbed functions fail.
 *  - pass@k against values computed by hand.
 *  - extraction rules on small hand-made cases.
 * Needs $GRA_TEST_DATA (the staged data); skips clearly without it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "eval/code.h"
#include "eval/sandbox.h"

/* Upstream reference solutions that genuinely fail their own tests on this
 * Python (3.11): none found so far. Kept as an explicit list so that a
 * failure is either fixed or named here with its reason, never hidden. */
static const int mbpp_known_bad[] = {0};

struct items {
    cJSON **v;
    int n;
};

static void items_free(struct items *it)
{
    for (int i = 0; i < it->n; i++) cJSON_Delete(it->v[i]);
    free(it->v);
    it->v = NULL;
    it->n = 0;
}

static char *data_path(const char *rel)
{
    const char *d = getenv("GRA_TEST_DATA");
    if (!d || !*d) return NULL;
    char *p = xasprintf("%s/%s", d, rel);
    if (!fileio_exists(p)) {
        free(p);
        return NULL;
    }
    return p;
}

static const char *tmp_root(void)
{
    const char *t = getenv("GRA_TEST_TMP");
    if (t && *t && fileio_mkdirs(t) == 0 && sandbox_check_tmp_root(t) == 0) return t;
    return NULL; /* /tmp */
}

/* JSONL (maybe gzip) into parsed objects. */
static int load_jsonl(const char *path, struct items *it)
{
    char *data = NULL;
    size_t len = 0;
    if (fileio_read(path, &data, &len) != 0) return -1;
    it->v = NULL;
    it->n = 0;
    int cap = 0;
    for (char *p = data; p < data + len;) {
        char *nl = memchr(p, '\n', (size_t)(data + len - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(data + len - p);
        if (l > 0) {
            cJSON *o = cJSON_ParseWithLengthOpts(p, l, NULL, 0);
            assert_non_null(o);
            if (it->n == cap) {
                cap = cap ? cap * 2 : 256;
                it->v = xrealloc(it->v, (size_t)cap * sizeof *it->v);
            }
            it->v[it->n++] = o;
        }
        p += l + 1;
    }
    free(data);
    return 0;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static struct code_opts opts(void)
{
    struct code_opts o;
    memset(&o, 0, sizeof o);
    o.workers = 0;
    o.timeout_s = 20; /* generous: ASan builds and a loaded CI machine */
    return o;
}

/* Work dirs under $GRA_TEST_TMP. */
static int score(struct code_job *jobs, int n, const struct code_opts *o)
{
    struct sandbox_opts so;
    memset(&so, 0, sizeof so);
    so.tmp_root = tmp_root();
    return code_score_batch_sandbox(jobs, n, o, &so);
}

static int run_and_count(struct code_job *jobs, int n, int want, const char *label)
{
    struct code_opts o = opts();
    assert_int_equal(score(jobs, n, &o), 0);
    int passed = 0;
    for (int i = 0; i < n; i++) {
        if (jobs[i].outcome == CODE_PASSED)
            passed++;
        else if (want == CODE_PASSED)
            fprintf(stderr, "%s: job %d: %s (%s)\n", label, i, code_outcome_name(jobs[i].outcome),
                    jobs[i].detail ? jobs[i].detail : "");
        if (want != CODE_PASSED && jobs[i].outcome == CODE_PASSED)
            fprintf(stderr, "%s: job %d unexpectedly passed\n", label, i);
        if (jobs[i].outcome == CODE_SANDBOX_ERROR)
            fprintf(stderr, "%s: job %d sandbox error: %s\n", label, i, jobs[i].detail);
    }
    return passed;
}

static void test_humaneval_gold(void **state)
{
    (void)state;
    char *path = data_path("humaneval/HumanEval.jsonl.gz");
    if (!path) {
        printf("SKIP: $GRA_TEST_DATA/humaneval/HumanEval.jsonl.gz not staged\n");
        skip();
    }
    struct items it;
    assert_int_equal(load_jsonl(path, &it), 0);
    assert_int_equal(it.n, 164);
    int n = it.n;
    /* completions, chat replies, and corrupted bodies */
    struct code_job *jobs = xcalloc((size_t)n * 3, sizeof *jobs);
    char **chat = xcalloc((size_t)n, sizeof *chat);
    for (int i = 0; i < n; i++) {
        jobs[i].family = CODE_HUMANEVAL;
        jobs[i].item = it.v[i];
        jobs[i].output = str(it.v[i], "canonical_solution");
        jobs[i].output_is_completion = true;
        chat[i] = xasprintf("Here is the solution:\n\n```python\n%s%s```\nIt works.\n",
                            str(it.v[i], "prompt"), str(it.v[i], "canonical_solution"));
        jobs[n + i] = jobs[i];
        jobs[n + i].output = chat[i];
        jobs[n + i].output_is_completion = false;
        jobs[2 * n + i] = jobs[i];
        jobs[2 * n + i].output = "    return None\n";
    }
    /* chat replies and corrupted bodies: every 4th item (41) is enough (the
     * test must stay fast on a loaded 2-core CI machine); the canonical
     * completions run for all 164 */
    int nc = 0;
    for (int i = 0; i < n; i += 4) {
        jobs[n + nc] = jobs[n + i];
        jobs[2 * n + nc] = jobs[2 * n + i];
        nc++;
    }
    int p1 = run_and_count(jobs, n, CODE_PASSED, "humaneval completion");
    int p2 = run_and_count(jobs + n, nc, CODE_PASSED, "humaneval chat");
    int p3 = run_and_count(jobs + 2 * n, nc, CODE_FAILED, "humaneval return-None");
    printf("HumanEval canonical: %d/%d as completions, %d/%d as chat replies; "
           "return-None bodies passing: %d/%d\n",
           p1, n, p2, nc, p3, nc);
    assert_int_equal(p1, 164);
    assert_int_equal(p2, nc);
    assert_int_equal(p3, 0);
    /* the extracted code of the chat reply is the fenced function */
    assert_non_null(strstr(jobs[n].extracted, "def has_close_elements("));
    assert_null(strstr(jobs[n].extracted, "It works"));
    for (int i = 0; i < n; i++) code_job_release(&jobs[i]);
    for (int i = 0; i < nc; i++) code_job_release(&jobs[n + i]);
    for (int i = 0; i < nc; i++) code_job_release(&jobs[2 * n + i]);
    for (int i = 0; i < n; i++) free(chat[i]);
    free(chat);
    free(jobs);
    items_free(&it);
    free(path);
}

static bool known_bad(int task_id)
{
    for (size_t i = 0; i < GRA_ARRAY_LEN(mbpp_known_bad); i++)
        if (mbpp_known_bad[i] == task_id) return true;
    return false;
}

/* Run the reference code of every test task (11-510) of items, and a stub. */
static void mbpp_check(struct items *it, const char *label, int expect_n)
{
    struct code_job *jobs = xcalloc((size_t)it->n * 2, sizeof *jobs);
    char **outs = xcalloc((size_t)it->n * 2, sizeof *outs);
    int *ids = xcalloc((size_t)it->n, sizeof *ids);
    int m = 0;
    for (int i = 0; i < it->n; i++) {
        const cJSON *tid = cJSON_GetObjectItemCaseSensitive(it->v[i], "task_id");
        if (!cJSON_IsNumber(tid) || tid->valueint < 11 || tid->valueint > 510) continue;
        ids[m] = tid->valueint;
        jobs[m].family = CODE_MBPP;
        jobs[m].item = it->v[i];
        outs[m] = xasprintf("```python\n%s\n```\n", str(it->v[i], "code"));
        jobs[m].output = outs[m];
        m++;
    }
    assert_int_equal(m, expect_n);
    int stubs = m < 50 ? m : 50; /* stubs fail fast; 50 are enough */
    for (int i = 0; i < stubs; i++) {
        jobs[m + i] = jobs[i];
        /* the reference's function names, each returning None */
        struct buf b = BUF_INIT;
        const char *code = str(jobs[i].item, "code");
        for (const char *p = code; (p = strstr(p, "def ")) != NULL; p += 4) {
            const char *e = strchr(p, ':');
            if (!e) break;
            const char *paren = memchr(p, '(', (size_t)(e - p));
            if (!paren) continue;
            buf_appendf(&b, "def %.*s(*args, **kwargs):\n    return None\n", (int)(paren - p - 4),
                        p + 4);
        }
        outs[m + i] = buf_detach(&b, NULL);
        jobs[m + i].output = outs[m + i];
    }
    int passed = run_and_count(jobs, m, CODE_PASSED, label);
    int bad_failed = 0;
    for (int i = 0; i < m; i++)
        if (jobs[i].outcome != CODE_PASSED) {
            if (known_bad(ids[i]))
                bad_failed++;
            else
                fprintf(stderr, "%s: task %d fails: %s\n", label, ids[i],
                        jobs[i].detail ? jobs[i].detail : code_outcome_name(jobs[i].outcome));
        }
    int stub_pass = run_and_count(jobs + m, stubs, CODE_FAILED, "mbpp stubs");
    printf("%s: reference code passes %d/%d (known upstream failures: %d); stubs passing: %d/%d\n",
           label, passed, m, bad_failed, stub_pass, stubs);
    assert_int_equal(passed + bad_failed, m);
    assert_int_equal(stub_pass, 0);
    for (int i = 0; i < m + stubs; i++) {
        code_job_release(&jobs[i]);
        free(outs[i]);
    }
    free(outs);
    free(ids);
    free(jobs);
}

static void test_mbpp_gold(void **state)
{
    (void)state;
    char *path = data_path("mbpp/mbpp.jsonl");
    if (!path) {
        printf("SKIP: $GRA_TEST_DATA/mbpp/mbpp.jsonl not staged\n");
        skip();
    }
    struct items it;
    assert_int_equal(load_jsonl(path, &it), 0);
    assert_int_equal(it.n, 974);
    mbpp_check(&it, "mbpp test split", 500);
    items_free(&it);
    free(path);
}

static void test_mbpp_sanitized_gold(void **state)
{
    (void)state;
    char *path = data_path("mbpp/sanitized-mbpp.json");
    if (!path) {
        printf("SKIP: $GRA_TEST_DATA/mbpp/sanitized-mbpp.json not staged\n");
        skip();
    }
    cJSON *arr = NULL;
    assert_int_equal(json_read_file(path, &arr), 0);
    struct items it = {0};
    it.n = cJSON_GetArraySize(arr);
    it.v = xcalloc((size_t)it.n, sizeof *it.v);
    for (int i = 0; i < it.n; i++) it.v[i] = cJSON_DetachItemFromArray(arr, 0);
    cJSON_Delete(arr);
    assert_int_equal(it.n, 427);
    mbpp_check(&it, "mbpp sanitized test subset", 257);
    items_free(&it);
    free(path);
}

static void test_pass_at_k(void **state)
{
    (void)state;
    /* research/perf-stats.md C.8: n=10, c=3 */
    assert_true(fabs(code_pass_at_k(10, 3, 1) - 0.3) < 1e-12);
    /* 1 - C(7,5)/C(10,5) = 1 - 21/252 */
    assert_true(fabs(code_pass_at_k(10, 3, 5) - (1.0 - 21.0 / 252.0)) < 1e-12);
    /* n - c < k: every draw of k holds a pass */
    assert_true(code_pass_at_k(10, 8, 5) == 1.0);
    assert_true(code_pass_at_k(5, 0, 3) == 0.0);
    assert_true(code_pass_at_k(1, 1, 1) == 1.0);
    /* 1 - C(18,10)/C(20,10) = 1 - 43758/184756 */
    assert_true(fabs(code_pass_at_k(20, 2, 10) - (1.0 - 43758.0 / 184756.0)) < 1e-12);
    /* large n stays stable: 1 - C(190,100)/C(200,100) computed with exact big
     * integers in Python: 0.99922897393728 */
    assert_true(fabs(code_pass_at_k(200, 10, 100) - 0.99922897393728) < 1e-12);
    assert_true(isnan(code_pass_at_k(0, 0, 1)));
    assert_true(isnan(code_pass_at_k(5, 6, 1)));
    assert_true(isnan(code_pass_at_k(5, 2, 6)));
    assert_true(isnan(code_pass_at_k(5, 2, 0)));
}

static void test_extraction_rules(void **state)
{
    (void)state;
    cJSON *he = cJSON_Parse(
        "{\"task_id\":\"T/0\",\"prompt\":\"def f(x):\\n    \\\"\\\"\\\"doc\\\"\\\"\\\"\\n\","
        "\"test\":\"def check(c):\\n    assert c(2) == 4\\n\",\"entry_point\":\"f\"}");
    assert_non_null(he);
    char *prog = NULL;
    /* completion cut at a column-0 def / print / if */
    char *c = code_extract(CODE_HUMANEVAL, he, "    return x * 2\n\ndef other():\n    pass\n", true,
                           &prog);
    assert_string_equal(c, "    return x * 2\n");
    assert_non_null(strstr(prog, "check(f)\n"));
    free(c);
    free(prog);
    c = code_extract(CODE_HUMANEVAL, he, "    return x * 2\nprint(f(3))\n", true, NULL);
    assert_string_equal(c, "    return x * 2");
    free(c);
    /* chat: the python block that defines the entry point wins over an earlier one */
    c = code_extract(CODE_HUMANEVAL, he,
                     "Example:\n```\nf(2)\n```\nCode:\n```python\ndef f(x):\n    return 2*x\n```\n",
                     false, NULL);
    assert_string_equal(c, "def f(x):\n    return 2*x\n");
    free(c);
    /* chat: no python block defining f -> the first block */
    c = code_extract(CODE_HUMANEVAL, he, "```js\nx\n```\n```\ny\n```", false, NULL);
    assert_string_equal(c, "x\n");
    free(c);
    /* raw code, __main__ part cut */
    c = code_extract(CODE_HUMANEVAL, he,
                     "def f(x):\n    return x+x\nif __name__ == \"__main__\":\n    input()\n",
                     false, NULL);
    assert_string_equal(c, "def f(x):\n    return x+x");
    free(c);
    /* prose only: nothing */
    assert_null(code_extract(CODE_HUMANEVAL, he, "I cannot solve this.", false, NULL));
    assert_null(code_extract(CODE_HUMANEVAL, he, "   \n", true, NULL));
    /* unterminated fence runs to the end */
    c = code_extract(CODE_HUMANEVAL, he, "```python\ndef f(x):\n    return 4", false, NULL);
    assert_string_equal(c, "def f(x):\n    return 4");
    free(c);

    cJSON *mb = cJSON_Parse(
        "{\"task_id\":11,\"code\":\"def sq(n):\\n  return n*n\",\"test_setup_code\":\"\","
        "\"test_list\":[\"assert sq(2) == 4\",\"assert sq(3) == 9\"]}");
    assert_non_null(mb);
    c = code_extract(CODE_MBPP, mb, "[BEGIN]\n 'def sq(n):\n  return n**2' \n[DONE]", false, &prog);
    assert_string_equal(c, "def sq(n):\n  return n**2");
    assert_string_equal(prog, "def sq(n):\n  return n**2\nassert sq(2) == 4\nassert sq(3) == 9\n");
    free(c);
    free(prog);

    /* scoring: a right and a wrong answer, and no code */
    struct code_job jobs[3];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 3; i++) jobs[i].family = CODE_MBPP, jobs[i].item = mb;
    jobs[0].output = "```python\ndef sq(n):\n    return n * n\n```";
    jobs[1].output = "```python\ndef sq(n):\n    return n + n\n```";
    jobs[2].output = "No idea.";
    struct code_opts o = opts();
    assert_int_equal(score(jobs, 3, &o), 0);
    assert_int_equal(jobs[0].outcome, CODE_PASSED);
    assert_int_equal(jobs[1].outcome, CODE_FAILED);
    assert_non_null(jobs[1].detail);
    assert_non_null(strstr(jobs[1].detail, "AssertionError"));
    assert_int_equal(jobs[2].outcome, CODE_NO_CODE);
    assert_null(jobs[2].extracted);
    for (int i = 0; i < 3; i++) code_job_release(&jobs[i]);
    assert_string_equal(code_outcome_name(CODE_NO_CODE), "no_code");
    cJSON_Delete(he);
    cJSON_Delete(mb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_at_k),           cmocka_unit_test(test_extraction_rules),
        cmocka_unit_test(test_humaneval_gold),      cmocka_unit_test(test_mbpp_gold),
        cmocka_unit_test(test_mbpp_sanitized_gold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
