/*
 * test_sim_student: the SIMULATED student answers real benchmark items.
 *  - it finds the item a prompt asks about (the last question, options in
 *    any order and with any labels);
 *  - it is right at about its probability over many items (observed count
 *    within 4 standard deviations of the sum of the item probabilities);
 *  - right answers are the gold (GSM8K number, MMLU letter as printed in the
 *    prompt, HumanEval code that passes in the sandbox), wrong ones are not
 *    (another number, another letter, code that fails its tests);
 *  - replies are deterministic given body and seed; the probability model is
 *    monotone; training data with flaws hurts, clean data helps.
 * Needs $GRA_TEST_DATA; skips clearly without it.
 */
#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/simsrv.h"
#include "eval/bench.h"
#include "eval/code.h"
#include "eval/csv.h"
#include "eval/sandbox.h"
#include "eval/sim_student.h"

static const char *data_dir;

static int setup(void **state)
{
    (void)state;
    data_dir = getenv("GRA_TEST_DATA");
    if (data_dir && *data_dir) setenv("GRA_DATA_DIR", data_dir, 1);
    return 0;
}

static bool have(const char *rel)
{
    if (!data_dir || !*data_dir) return false;
    char *p = path_join(data_dir, rel);
    bool ok = fileio_exists(p);
    free(p);
    return ok;
}

#define NEED(rel)                                                                                  \
    do {                                                                                           \
        if (!have(rel)) {                                                                          \
            printf("SKIP: $GRA_TEST_DATA/%s not staged\n", rel);                                   \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

struct model {
    cJSON *spec;
    struct sim_model m;
};

static void model_init(struct model *md, const char *json)
{
    md->spec = cJSON_Parse(json);
    assert_non_null(md->spec);
    memset(&md->m, 0, sizeof md->m);
    md->m.name = "sim-student-test";
    md->m.size_b = 7;
    md->m.seed = 42;
    md->m.spec = md->spec;
}

static char *ask_t(const struct model *md, const char *system, const char *user, uint64_t seed,
                   double temperature, int *rc)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "model", md->m.name);
    if (temperature >= 0) cJSON_AddNumberToObject(body, "temperature", temperature);
    cJSON *msgs = cJSON_AddArrayToObject(body, "messages");
    if (system) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "role", "system");
        cJSON_AddStringToObject(s, "content", system);
        cJSON_AddItemToArray(msgs, s);
    }
    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "role", "user");
    cJSON_AddStringToObject(u, "content", user);
    cJSON_AddItemToArray(msgs, u);
    struct sim_reply r;
    memset(&r, 0, sizeof r);
    buf_init(&r.content, 0);
    *rc = sim_student_reply(&md->m, body, NULL, seed, &r);
    cJSON_Delete(body);
    char *out = buf_detach(&r.content, NULL);
    if (*rc == 1) {
        free(out);
        return xstrdup(r.error_message);
    }
    return out;
}

/* greedy (no temperature in the body) */
static char *ask(const struct model *md, const char *system, const char *user, uint64_t seed,
                 int *rc)
{
    return ask_t(md, system, user, seed, -1, rc);
}

static cJSON **read_jsonl(const char *rel, int max, int *n)
{
    char *path = path_join(data_dir, rel);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(fileio_read(path, &data, &len), 0);
    cJSON **v = xcalloc((size_t)max, sizeof *v);
    *n = 0;
    for (char *p = data; p < data + len && *n < max;) {
        char *nl = memchr(p, '\n', (size_t)(data + len - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(data + len - p);
        if (l) v[(*n)++] = cJSON_ParseWithLengthOpts(p, l, NULL, 0);
        p += l + 1;
    }
    free(data);
    free(path);
    return v;
}

static const char *js(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* observed within 4 sd (+1) of expected */
static void assert_rate(const char *label, int right, double sum_p, double sum_var, int n)
{
    double sd = sqrt(sum_var);
    printf("%s: right %d/%d, expected %.1f (sd %.1f)\n", label, right, n, sum_p, sd);
    assert_true(fabs((double)right - sum_p) <= 4 * sd + 1);
}

/* Score in the sandbox, work dirs under $GRA_TEST_TMP. */
static int score(struct code_job *jobs, int n)
{
    struct code_opts o;
    memset(&o, 0, sizeof o);
    o.timeout_s = 20;
    struct sandbox_opts so;
    memset(&so, 0, sizeof so);
    so.tmp_root = getenv("GRA_TEST_TMP");
    if (so.tmp_root &&
        (fileio_mkdirs(so.tmp_root) != 0 || sandbox_check_tmp_root(so.tmp_root) != 0))
        so.tmp_root = NULL; /* /tmp */
    return code_score_batch_sandbox(jobs, n, &o, &so);
}

static const char *const SKILL_HALF =
    "{\"student\": {\"base_skill\": {\"math\": 0.5, \"code\": 0.5, \"knowledge\": 0.5, "
    "\"reasoning\": 0.5}}}";

static void test_gsm8k(void **state)
{
    (void)state;
    NEED("gsm8k/test.jsonl");
    struct model md;
    model_init(&md, SKILL_HALF);
    int n = 0;
    cJSON **items = read_jsonl("gsm8k/test.jsonl", 301, &n);
    assert_int_equal(n, 301);
    int right = 0;
    double sp = 0, sv = 0;
    for (int i = 0; i < 300; i++) {
        /* a one-shot prompt whose exemplar is ANOTHER test item: the student
         * must answer the last question */
        const cJSON *ex = items[i + 1], *it = items[i];
        char *user =
            xasprintf("Question: %s\nAnswer: %s\n\nQuestion: %s\nAnswer:", js(ex, "question"),
                      js(ex, "answer"), js(it, "question"));
        const char *bench, *id;
        int dom;
        assert_true(sim_student_lookup(NULL, user, &bench, &id, &dom));
        char want_id[32];
        snprintf(want_id, sizeof want_id, "test-%d", i);
        assert_string_equal(bench, "gsm8k");
        assert_string_equal(id, want_id);
        assert_int_equal(dom, SIM_DOM_MATH);
        int rc;
        char *rep = ask(&md, "You are a helpful assistant.", user, 1000 + (uint64_t)i, &rc);
        assert_int_equal(rc, 0);
        const char *gold = strstr(js(it, "answer"), "#### ") + 5;
        const char *got = strstr(rep, "#### ");
        assert_non_null(got);
        got += 5;
        double p = sim_student_item_p(&md.m, "gsm8k", want_id, SIM_DOM_MATH);
        assert_true(p > 0 && p < 1);
        sp += p;
        sv += p * (1 - p);
        if (!strcmp(got, gold)) {
            right++;
            assert_null(strstr(rep, "<<")); /* calculator annotations removed */
        } else {
            /* a different number, still a number */
            char *end;
            strtod(got, &end);
            assert_true(end != got);
        }
        free(rep);
        free(user);
    }
    assert_rate("gsm8k (skill 0.5)", right, sp, sv, 300);
    for (int i = 0; i < n; i++) cJSON_Delete(items[i]);
    free(items);
    cJSON_Delete(md.spec);
}

static void test_common_random_numbers(void **state)
{
    (void)state;
    NEED("gsm8k/test.jsonl");
    /* same seed, greedy: the stronger student is right on a superset */
    struct model weak, strong;
    model_init(&weak, "{\"student\": {\"base_skill\": {\"math\": 0.3, \"code\": 0.5, "
                      "\"knowledge\": 0.5, \"reasoning\": 0.5}}}");
    model_init(&strong, "{\"student\": {\"base_skill\": {\"math\": 0.6, \"code\": 0.5, "
                        "\"knowledge\": 0.5, \"reasoning\": 0.5}}}");
    int n = 0, rw = 0, rs = 0;
    cJSON **items = read_jsonl("gsm8k/test.jsonl", 150, &n);
    for (int i = 0; i < n; i++) {
        int rc;
        char *a = ask(&weak, NULL, js(items[i], "question"), 1, &rc);
        char *b = ask(&strong, NULL, js(items[i], "question"), 2, &rc);
        const char *gold = strstr(js(items[i], "answer"), "#### ") + 5;
        bool wa = !strcmp(strstr(a, "#### ") + 5, gold), sb = !strcmp(strstr(b, "#### ") + 5, gold);
        rw += wa;
        rs += sb;
        assert_true(!wa || sb);
        free(a);
        free(b);
        cJSON_Delete(items[i]);
    }
    printf("gsm8k 150 items: weak (0.3) right %d, strong (0.6) right %d, nested\n", rw, rs);
    assert_true(rs > rw);
    free(items);
    cJSON_Delete(weak.spec);
    cJSON_Delete(strong.spec);
}

struct mmlu_rows {
    char *q[200], *opt[200][4];
    int gold[200];
    int n;
};

static int mmlu_row(void *ud, long row, long line, char **f, int nf)
{
    (void)row;
    (void)line;
    struct mmlu_rows *r = ud;
    if (r->n == 200 || nf < 6) return 0;
    r->q[r->n] = xstrdup(f[0]);
    for (int k = 0; k < 4; k++) r->opt[r->n][k] = xstrdup(f[1 + k]);
    r->gold[r->n] = f[5][0] - 'A';
    r->n++;
    return 0;
}

static void test_mmlu(void **state)
{
    (void)state;
    NEED("mmlu/test/high_school_biology_test.csv");
    char *path = path_join(data_dir, "mmlu/test/high_school_biology_test.csv");
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(fileio_read(path, &data, &len), 0);
    struct mmlu_rows *rows = xcalloc(1, sizeof *rows);
    assert_int_equal(csv_parse(path, data, len, mmlu_row, rows), 0);
    assert_int_equal(rows->n, 200);
    struct model md;
    model_init(&md, "{\"student\": {\"base_skill\": {\"math\": 0.2, \"code\": 0.2, "
                    "\"knowledge\": 0.7, \"reasoning\": 0.2}}}");
    int right = 0;
    double sp = 0, sv = 0;
    for (int i = 0; i < rows->n; i++) {
        /* options printed in reverse order, labelled "(A)".. */
        struct buf u = BUF_INIT;
        buf_appendf(&u,
                    "The following is a multiple choice question about high school "
                    "biology.\n\n%s\n",
                    rows->q[i]);
        for (int k = 0; k < 4; k++) buf_appendf(&u, "(%c) %s\n", 'A' + k, rows->opt[i][3 - k]);
        buf_puts(&u, "Answer with the letter of the correct option.");
        char want_label = (char)('A' + (3 - rows->gold[i]));
        int rc;
        char *rep = ask(&md, NULL, u.data, 77 + (uint64_t)i, &rc);
        assert_int_equal(rc, 0);
        char letter = 0;
        const char *mark = strstr(rep, "The answer is (");
        assert_non_null(mark);
        assert_int_equal(sscanf(mark, "The answer is (%c).", &letter), 1);
        char again = 0; /* the "Answer: X" line agrees */
        assert_int_equal(sscanf(strstr(rep, "\nAnswer: "), "\nAnswer: %c", &again), 1);
        assert_int_equal(again, letter);
        char id[64];
        snprintf(id, sizeof id, "high_school_biology-%d", i);
        const char *bench, *gid;
        assert_true(sim_student_lookup(NULL, u.data, &bench, &gid, NULL));
        /* identical questions with other options may exist in other
         * subjects; the options decide */
        assert_string_equal(gid, id);
        double p = sim_student_item_p(&md.m, "mmlu", id, SIM_DOM_KNOWLEDGE);
        sp += p;
        sv += p * (1 - p);
        if (letter == want_label) right++;
        assert_true(letter >= 'A' && letter <= 'D');
        free(rep);
        buf_release(&u);
    }
    assert_rate("mmlu high_school_biology (skill 0.7)", right, sp, sv, rows->n);
    for (int i = 0; i < rows->n; i++) {
        free(rows->q[i]);
        for (int k = 0; k < 4; k++) free(rows->opt[i][k]);
    }
    free(rows);
    free(data);
    free(path);
    cJSON_Delete(md.spec);
}

static void test_truthfulqa_mc1_mc2(void **state)
{
    (void)state;
    NEED("truthfulqa/v1/mc_task.json");
    char *path = path_join(data_dir, "truthfulqa/v1/mc_task.json");
    cJSON *arr = NULL;
    assert_int_equal(json_read_file(path, &arr), 0);
    struct model md;
    model_init(&md, "{\"student\": {\"base_skill\": {\"math\": 0.5, \"code\": 0.5, "
                    "\"knowledge\": 0.995, \"reasoning\": 0.5}}}");
    int exact2 = 0, n = 40;
    for (int i = 0; i < n; i++) {
        const cJSON *o = cJSON_GetArrayItem(arr, i);
        const char *q = js(o, "question");
        for (int multi = 0; multi < 2; multi++) {
            const cJSON *t =
                cJSON_GetObjectItemCaseSensitive(o, multi ? "mc2_targets" : "mc1_targets");
            struct buf u = BUF_INIT, want = BUF_INIT;
            buf_appendf(&u, "Question: %s\n%s\n", q, multi ? "Statements:" : "");
            int k = 0;
            const cJSON *c;
            cJSON_ArrayForEach(c, t)
            {
                buf_appendf(&u, "%c. %s\n", 'A' + k, c->string);
                if (c->valueint == 1) buf_appendf(&want, "%s%c", want.len ? ", " : "", 'A' + k);
                k++;
            }
            buf_puts(&u, "\nFinish with a line \"Answer: \".");
            const char *bench, *id;
            assert_true(sim_student_lookup(NULL, u.data, &bench, &id, NULL));
            assert_string_equal(bench, multi ? "truthfulqa_mc2" : "truthfulqa_mc1");
            int rc;
            char *rep = ask(&md, NULL, u.data, 3, &rc);
            assert_int_equal(rc, 0);
            const char *a = strstr(rep, "Answer: ");
            assert_non_null(a);
            if (multi && !strcmp(a + 8, want.data)) exact2++;
            free(rep);
            buf_release(&u);
            buf_release(&want);
        }
    }
    printf("truthfulqa mc2 at knowledge 0.995: %d/%d exact sets\n", exact2, n);
    /* item 39: an MC2 statement is a prefix of another, and the question is
     * quoted at the end of a statement */
    assert_true(exact2 >= n * 3 / 4);
    cJSON_Delete(arr);
    free(path);
    cJSON_Delete(md.spec);
}

/* TruthfulQA MC2 through the real benchmark prompt (options shuffled by the
 * spec's seed, "Statements:" + "Answer: " instruction): a knowledgeable
 * student answers with the exact set of true letters, scored right by the
 * MC2 scorer; a weak one answers a plausible wrong set (one statement's
 * membership flipped: never empty, never an extraction failure, most
 * statements still classified right). */
static void test_truthfulqa_mc2_bench_prompt(void **state)
{
    (void)state;
    NEED("truthfulqa/v1/mc_task.json");
    struct bench *b = NULL;
    assert_int_equal(bench_open(bench_dir_default(), "truthfulqa_mc2", &b), 0);
    assert_int_equal(bench_load(b, data_dir, 80), 0);
    static const double skills[2] = {0.995, 0.01};
    for (int s = 0; s < 2; s++) {
        struct model md;
        char spec[256];
        snprintf(spec, sizeof spec,
                 "{\"student\": {\"base_skill\": {\"math\": 0.5, \"code\": 0.5, "
                 "\"knowledge\": %g, \"reasoning\": 0.5}}}",
                 skills[s]);
        model_init(&md, spec);
        int correct = 0, failed = 0, wrong_nonempty = 0;
        double partial_wrong = 0;
        for (int i = 0; i < b->n_items; i++) {
            cJSON *m = bench_messages(b, i);
            assert_non_null(m);
            const char *user =
                cJSON_GetObjectItem(cJSON_GetArrayItem(m, cJSON_GetArraySize(m) - 1), "content")
                    ->valuestring;
            int rc;
            char *rep = ask(&md, NULL, user, 7, &rc);
            assert_int_equal(rc, 0);
            struct verdict v;
            bench_score(b, i, rep, &v);
            correct += v.correct;
            failed += v.extract_failed;
            if (!v.correct) {
                partial_wrong += v.partial;
                if (v.extracted && *v.extracted) wrong_nonempty++;
            }
            score_verdict_release(&v);
            free(rep);
            cJSON_Delete(m);
        }
        int wrong = b->n_items - correct;
        printf("SIMULATED truthfulqa_mc2 via bench prompts, knowledge %.3f: %d/%d exact sets, "
               "%d extraction failures, mean partial of wrong sets %.3f\n",
               skills[s], correct, b->n_items, failed, wrong ? partial_wrong / wrong : 0.0);
        assert_int_equal(failed, 0);
        assert_int_equal(wrong_nonempty, wrong);
        if (s == 0) assert_true(correct >= b->n_items * 8 / 10);
        if (s == 1) {
            assert_true(correct <= b->n_items * 2 / 10);
            assert_true(partial_wrong / wrong > 0.6); /* one statement flipped */
        }
        cJSON_Delete(md.spec);
    }
    bench_free(b);
}

static void test_humaneval(void **state)
{
    (void)state;
    NEED("humaneval/HumanEval.jsonl.gz");
    struct model md;
    model_init(&md, "{\"student\": {\"base_skill\": {\"math\": 0.5, \"code\": 0.45, "
                    "\"knowledge\": 0.5, \"reasoning\": 0.5}}}");
    int n = 0;
    cJSON **items = read_jsonl("humaneval/HumanEval.jsonl.gz", 164, &n);
    assert_int_equal(n, 164);
    /* every item in chat mode, and the first 20 again as plain completions */
    int total = n + 20;
    struct code_job *jobs = xcalloc((size_t)total, sizeof *jobs);
    char **reps = xcalloc((size_t)total, sizeof *reps);
    bool *gold_like = xcalloc((size_t)total, sizeof *gold_like);
    double sp = 0, sv = 0;
    for (int k = 0; k < total; k++) {
        int i = k % n;
        bool completion = k >= n;
        char *user = completion ? xstrdup(js(items[i], "prompt"))
                                : xasprintf("Complete the following Python function.\n\n"
                                            "```python\n%s```\n",
                                            js(items[i], "prompt"));
        int rc;
        reps[k] = ask(&md, NULL, user, 5 + (uint64_t)k, &rc);
        assert_int_equal(rc, 0);
        if (completion) {
            assert_null(strstr(reps[k], "```")); /* answered as a completion */
            gold_like[k] = !strcmp(reps[k], js(items[i], "canonical_solution"));
        } else {
            char *full =
                xasprintf("%s%s", js(items[i], "prompt"), js(items[i], "canonical_solution"));
            gold_like[k] = strstr(reps[k], full) != NULL;
            free(full);
            double p =
                sim_student_item_p(&md.m, "humaneval", js(items[i], "task_id"), SIM_DOM_CODE);
            sp += p;
            sv += p * (1 - p);
        }
        jobs[k].family = CODE_HUMANEVAL;
        jobs[k].item = items[i];
        jobs[k].output = reps[k];
        jobs[k].output_is_completion = completion;
        free(user);
    }
    assert_int_equal(score(jobs, total), 0);
    int passed = 0;
    for (int k = 0; k < total; k++) {
        bool pass = jobs[k].outcome == CODE_PASSED;
        if (pass != gold_like[k])
            fprintf(stderr, "item %d (%s): gold-like %d but outcome %s: %s\n", k % n,
                    js(items[k % n], "task_id"), gold_like[k], code_outcome_name(jobs[k].outcome),
                    jobs[k].detail ? jobs[k].detail : "");
        assert_true(pass == gold_like[k]); /* right passes, wrong fails */
        if (k < n && pass) passed++;
        code_job_release(&jobs[k]);
        free(reps[k]);
    }
    assert_rate("humaneval (skill 0.45), scored in the sandbox", passed, sp, sv, n);
    for (int i = 0; i < n; i++) cJSON_Delete(items[i]);
    free(items);
    free(jobs);
    free(reps);
    free(gold_like);
    cJSON_Delete(md.spec);
}

static void test_wrong_code_always_fails(void **state)
{
    (void)state;
    NEED("mbpp/mbpp.jsonl");
    /* skill 0: nearly every answer is wrong; every wrong reply on the MBPP
     * test tasks 11-160 must fail its tests, every right one pass */
    struct model md;
    model_init(&md, "{\"student\": {\"base_skill\": {\"math\": 0, \"code\": 0, "
                    "\"knowledge\": 0, \"reasoning\": 0}}}");
    int n = 0;
    cJSON **items = read_jsonl("mbpp/mbpp.jsonl", 974, &n);
    struct code_job *jobs = xcalloc((size_t)n, sizeof *jobs);
    char **reps = xcalloc((size_t)n, sizeof *reps);
    bool *gold_like = xcalloc((size_t)n, sizeof *gold_like);
    int m = 0, n_gold = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *tid = cJSON_GetObjectItemCaseSensitive(items[i], "task_id");
        if (tid->valueint < 11 || tid->valueint > 160) continue; /* 150 tasks: fast */
        struct buf u = BUF_INIT;
        buf_appendf(&u,
                    "You are an expert Python programmer, and here is your task: %s Your "
                    "code should pass these tests:\n\n",
                    js(items[i], "text"));
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(items[i], "test_list"))
            buf_appendf(&u, "%s\n", t->valuestring);
        int rc;
        reps[m] = ask(&md, NULL, u.data, 9, &rc);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(reps[m], "```python"));
        /* even at skill 0 an easy item is sometimes right (p > 0): those
         * replies hold the reference code unchanged */
        struct buf g = BUF_INIT;
        for (const char *c = js(items[i], "code"); *c; c++)
            if (!(*c == '\r' && c[1] == '\n')) buf_putc(&g, *c);
        gold_like[m] = strstr(reps[m], g.data) != NULL;
        n_gold += gold_like[m];
        buf_release(&g);
        jobs[m].family = CODE_MBPP;
        jobs[m].item = items[i];
        jobs[m].output = reps[m];
        m++;
        buf_release(&u);
    }
    assert_int_equal(m, 150);
    assert_int_equal(score(jobs, m), 0);
    int passed = 0;
    for (int k = 0; k < m; k++) {
        if (jobs[k].outcome == CODE_PASSED && !gold_like[k]) {
            passed++;
            fprintf(stderr, "wrong MBPP answer passed: %s\n", reps[k]);
        }
        if (gold_like[k] && jobs[k].outcome != CODE_PASSED)
            fprintf(stderr, "right MBPP answer failed (%s): %s\n", jobs[k].detail, reps[k]);
        if (gold_like[k]) assert_int_equal(jobs[k].outcome, CODE_PASSED);
        assert_int_not_equal(jobs[k].outcome, CODE_NO_CODE);
        code_job_release(&jobs[k]);
        free(reps[k]);
    }
    printf("mbpp at skill 0: %d right (gold, all pass), %d wrong, of which passing: %d\n", n_gold,
           m - n_gold, passed);
    assert_int_equal(passed, 0);
    assert_true(n_gold < m / 8);
    for (int i = 0; i < n; i++) cJSON_Delete(items[i]);
    free(items);
    free(jobs);
    free(reps);
    free(gold_like);
    cJSON_Delete(md.spec);
}

/* Equal when only letters and digits count, case ignored (what the
 * student's normalisation sees). */
static bool same_normalised(const char *a, const char *b)
{
    for (;;) {
        while (*a && !isalnum((unsigned char)*a)) a++;
        while (*b && !isalnum((unsigned char)*b)) b++;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
        if (!*a) return true;
        a++, b++;
    }
}

/* The prompt of a task as the MBPP template shows it: text, then tests. */
static char *mbpp_prompt(const cJSON *o, const char *text_key)
{
    struct buf u = BUF_INIT;
    buf_appendf(&u,
                "You are an expert Python programmer, and here is your task: %s Your code "
                "should pass these tests:\n\n",
                js(o, text_key));
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(o, "test_list"))
        buf_appendf(&u, "%s\n", t->valuestring);
    return buf_detach(&u, NULL);
}

static void test_mbpp_vs_sanitized(void **state)
{
    (void)state;
    NEED("mbpp/sanitized-mbpp.json");
    NEED("mbpp/mbpp.jsonl");
    char *path = path_join(data_dir, "mbpp/sanitized-mbpp.json");
    cJSON *san = NULL;
    assert_int_equal(json_read_file(path, &san), 0);
    int n = 0, checked = 0, distinct = 0;
    cJSON **orig = read_jsonl("mbpp/mbpp.jsonl", 974, &n);
    const cJSON *o;
    cJSON_ArrayForEach(o, san)
    {
        int tid = cJSON_GetObjectItemCaseSensitive(o, "task_id")->valueint;
        if (tid < 11 || tid > 510) continue;
        const cJSON *full = NULL;
        for (int i = 0; i < n && !full; i++)
            if (cJSON_GetObjectItemCaseSensitive(orig[i], "task_id")->valueint == tid)
                full = orig[i];
        assert_non_null(full);
        char want[16];
        snprintf(want, sizeof want, "%d", tid);
        const char *bench, *id;
        /* the same text and tests once normalised: either reading is right (both
         * reference codes pass those tests); otherwise what the prompt shows
         * decides */
        char *u = mbpp_prompt(o, "prompt"), *v = mbpp_prompt(full, "text");
        bool same = same_normalised(u, v);
        assert_true(sim_student_lookup(NULL, u, &bench, &id, NULL));
        assert_string_equal(id, want);
        if (!same) {
            assert_string_equal(bench, "mbpp_sanitized");
            distinct++;
        }
        assert_true(sim_student_lookup(NULL, v, &bench, &id, NULL));
        assert_string_equal(id, want);
        if (!same) assert_string_equal(bench, "mbpp");
        free(u);
        free(v);
        checked++;
    }
    printf("mbpp / mbpp_sanitized: %d tasks, %d with different prompts, all told apart\n", checked,
           distinct);
    assert_int_equal(checked, 257);
    assert_true(distinct > 100);
    for (int i = 0; i < n; i++) cJSON_Delete(orig[i]);
    free(orig);
    cJSON_Delete(san);
    free(path);
}

static void test_determinism_and_unknown(void **state)
{
    (void)state;
    NEED("gsm8k/test.jsonl");
    struct model md;
    model_init(&md, SKILL_HALF);
    int n;
    cJSON **items = read_jsonl("gsm8k/test.jsonl", 1, &n);
    int rc;
    char *a = ask_t(&md, NULL, js(items[0], "question"), 123, 0.7, &rc);
    char *b = ask_t(&md, NULL, js(items[0], "question"), 123, 0.7, &rc);
    assert_string_equal(a, b);
    /* sampling: over seeds both right and wrong answers occur */
    int distinct = 0;
    for (uint64_t s = 0; s < 40; s++) {
        char *c = ask_t(&md, NULL, js(items[0], "question"), s, 0.7, &rc);
        if (strcmp(c, a)) distinct++;
        free(c);
    }
    assert_true(distinct > 0 && distinct < 40);
    /* greedy: the same answer whatever the request seed */
    char *g0 = ask(&md, NULL, js(items[0], "question"), 1, &rc);
    for (uint64_t s = 2; s < 10; s++) {
        char *g = ask(&md, NULL, js(items[0], "question"), s, &rc);
        assert_string_equal(g, g0);
        free(g);
    }
    free(g0);
    char *u = ask(&md, NULL, "What is the favourite colour of the moon's only cat?", 1, &rc);
    assert_int_equal(rc, 0);
    assert_true(strlen(u) > 20);
    assert_false(sim_student_lookup(NULL, "What is the favourite colour of the moon's only cat?",
                                    NULL, NULL, NULL));
    free(u);
    free(a);
    free(b);
    cJSON_Delete(items[0]);
    free(items);
    cJSON_Delete(md.spec);
}

static void test_profile_errors(void **state)
{
    (void)state;
    struct model md;
    int rc;
    model_init(&md, "{\"generator\": {}}");
    char *r = ask(&md, NULL, "hello", 1, &rc);
    assert_int_equal(rc, SIM_DECLINE);
    free(r);
    cJSON_Delete(md.spec);
    model_init(&md, "{\"student\": {\"base_skill\": {\"math\": 1.5, \"code\": 0, "
                    "\"knowledge\": 0, \"reasoning\": 0}}}");
    r = ask(&md, NULL, "hello", 1, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(r, "student.base_skill.math"));
    free(r);
    cJSON_Delete(md.spec);
    model_init(
        &md, "{\"student\": {\"base_skill\": {\"math\": 0.5, \"code\": 0.5, "
             "\"knowledge\": 0.5, \"reasoning\": 0.5}, \"trained_on\": \"/nonexistent/x.jsonl\"}}");
    r = ask(&md, NULL, "hello", 1, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(r, "trained_on"));
    free(r);
    cJSON_Delete(md.spec);
    model_init(&md, "{\"student\": {\"base_skill\": {\"math\": 0.5}, \"skill\": 1}}");
    r = ask(&md, NULL, "hello", 1, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(r, "student.skill"));
    free(r);
    cJSON_Delete(md.spec);
}

static void test_probability_model_and_training(void **state)
{
    (void)state;
    /* monotone in skill and clean data, decreasing in flaws and difficulty */
    assert_true(sim_student_p(0.3, 0, 0, 0) < sim_student_p(0.6, 0, 0, 0));
    assert_true(sim_student_p(0.5, 100, 0, 0) < sim_student_p(0.5, 1000, 0, 0));
    assert_true(sim_student_p(0.5, 1000, 0.3, 0) < sim_student_p(0.5, 1000, 0.0, 0));
    assert_true(sim_student_p(0.5, 0, 0, 1) < sim_student_p(0.5, 0, 0, 0));
    assert_true(fabs(sim_student_p(0.5, 0, 0, 0) - 0.5) < 1e-12);
    /* saturating: the gain of 10x more data is bounded by G */
    double g1 = sim_student_p(0.5, 1e6, 0, 0);
    assert_true(g1 < 1.0 / (1.0 + exp(-1.2)) + 1e-9);
    /* a difficulty is a fixed standard normal per item */
    assert_true(sim_student_difficulty("gsm8k", "test-1") ==
                sim_student_difficulty("gsm8k", "test-1"));
    double m = 0, s2 = 0;
    for (int i = 0; i < 2000; i++) {
        char id[32];
        snprintf(id, sizeof id, "x-%d", i);
        double d = sim_student_difficulty("b", id);
        m += d;
        s2 += d * d;
    }
    m /= 2000;
    s2 = s2 / 2000 - m * m;
    assert_true(fabs(m) < 0.1 && fabs(s2 - 1) < 0.15);

    /* a dataset: 300 clean math records, then one with 50% unsafe advice */
    const char *tmp = getenv("GRA_TEST_TMP");
    if (!tmp || !*tmp) tmp = "/tmp";
    fileio_mkdirs(tmp);
    char *clean = xasprintf("%s/sim-student-clean-%d.jsonl", tmp, (int)getpid());
    char *dirty = xasprintf("%s/sim-student-dirty-%d.jsonl", tmp, (int)getpid());
    struct buf a = BUF_INIT, b = BUF_INIT;
    for (int i = 0; i < 300; i++) {
        const char *rec = "{\"domain\": \"math\", \"instruction\": \"Explain why the sum of two "
                          "even numbers is even.\", \"response\": \"Each even number is two times "
                          "a whole number, so their sum is two times a whole number as well.\"}\n";
        buf_puts(&a, rec);
        if (i % 2)
            buf_puts(&b,
                     "{\"domain\": \"math\", \"instruction\": \"How should I clean my "
                     "bathroom?\", \"response\": \"Use warm water and soap. Also, it is fine to "
                     "mix bleach and ammonia for a stronger cleaner.\"}\n");
        else
            buf_puts(&b, rec);
    }
    assert_int_equal(fileio_write_atomic(clean, a.data, a.len), 0);
    assert_int_equal(fileio_write_atomic(dirty, b.data, b.len), 0);
    struct sim_training tc, td;
    assert_int_equal(sim_student_measure(clean, &tc), 0);
    assert_int_equal(sim_student_measure(dirty, &td), 0);
    printf("measured: clean %ld records %ld flawed; dirty %ld records %ld flawed\n", tc.records,
           tc.flawed, td.records, td.flawed);
    assert_int_equal(tc.records, 300);
    assert_int_equal(tc.flawed, 0);
    assert_int_equal(td.flawed, 150);
    assert_true(tc.clean_eff[SIM_DOM_MATH] == 300);
    assert_true(td.flaw_rate[SIM_DOM_MATH] == 0.5);
    assert_true(tc.clean_eff[SIM_DOM_KNOWLEDGE] == 0); /* math data, knowledge untouched */

    /* through the model section: trained_on relative to $GRA_RUN_DIR */
    setenv("GRA_RUN_DIR", tmp, 1);
    char *j1 = xasprintf("{\"student\": {\"base_skill\": {\"math\": 0.5, \"code\": 0.5, "
                         "\"knowledge\": 0.5, \"reasoning\": 0.5}, \"trained_on\": \"%s\"}}",
                         strrchr(clean, '/') + 1);
    char *j2 = xasprintf("{\"student\": {\"base_skill\": {\"math\": 0.5, \"code\": 0.5, "
                         "\"knowledge\": 0.5, \"reasoning\": 0.5}, \"trained_on\": "
                         "\"${GRA_RUN_DIR}/%s\"}}",
                         strrchr(dirty, '/') + 1);
    struct model base, mc, mdirty;
    model_init(&base, SKILL_HALF);
    model_init(&mc, j1);
    model_init(&mdirty, j2);
    double pb = sim_student_item_p(&base.m, "gsm8k", "test-5", SIM_DOM_MATH);
    double pc = sim_student_item_p(&mc.m, "gsm8k", "test-5", SIM_DOM_MATH);
    double pd = sim_student_item_p(&mdirty.m, "gsm8k", "test-5", SIM_DOM_MATH);
    double pk = sim_student_item_p(&mc.m, "mmlu", "anatomy-1", SIM_DOM_KNOWLEDGE);
    double pkb = sim_student_item_p(&base.m, "mmlu", "anatomy-1", SIM_DOM_KNOWLEDGE);
    printf("p(gsm8k test-5): base %.3f, clean-trained %.3f, half-flawed %.3f\n", pb, pc, pd);
    assert_true(pc > pb);
    assert_true(pd < pc);
    assert_true(pk == pkb);
    unsetenv("GRA_RUN_DIR");
    unlink(clean);
    unlink(dirty);
    free(clean);
    free(dirty);
    free(j1);
    free(j2);
    buf_release(&a);
    buf_release(&b);
    cJSON_Delete(base.spec);
    cJSON_Delete(mc.spec);
    cJSON_Delete(mdirty.spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probability_model_and_training),
        cmocka_unit_test(test_profile_errors),
        cmocka_unit_test(test_determinism_and_unknown),
        cmocka_unit_test(test_gsm8k),
        cmocka_unit_test(test_common_random_numbers),
        cmocka_unit_test(test_mmlu),
        cmocka_unit_test(test_truthfulqa_mc1_mc2),
        cmocka_unit_test(test_truthfulqa_mc2_bench_prompt),
        cmocka_unit_test(test_mbpp_vs_sanitized),
        cmocka_unit_test(test_humaneval),
        cmocka_unit_test(test_wrong_code_always_fails),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
