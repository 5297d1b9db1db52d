/*
 * fuzz_sim_request: serve-sim's answers to arbitrary request bodies, through
 * the handlers the server calls with the parsed body: the simulated GRA roles
 * (synth/sim_roles.h, every gra_ schema and an unknown one) and the simulated
 * student (eval/sim_student.h). The HTTP layer's own parsing is static in
 * core/simsrv.c and not reached here.
 *
 * Input: a first byte 0xB0 + k selects benchmark k of the staged data (when
 * staged; the items are read at start-up, never copied into the corpus):
 * the next two bytes pick an item, whose real request (bench_messages) gets
 * the rest of the input appended to its last message, so the student's
 * matching and its right/wrong replies are reached. Otherwise a JSON object
 * is the request body as sent, and anything else becomes the content of the
 * last user message of a minimal chat body. A body may
 * carry "x_fuzz_model": an object used as a further model's declaration (its
 * role and student sections fuzzed too; a trained_on path holding '/' is
 * replaced, so the fuzzer never reads arbitrary files).
 *
 * Models: the role models of configs/sim-models.json and the students of
 * configs/sim-students.json, whose trained_on datasets are small fixtures
 * written to a temporary GRA_RUN_DIR. Checked: no crash, leak or UB; every
 * handler is deterministic given (model, body, seed); an error has a message;
 * replies are C strings; the student declines only without a student section.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/simsrv.h"
#include "eval/bench.h"
#include "eval/sim_student.h"
#include "synth/sim_roles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MODELS 16

static cJSON *decls; /* owns every spec */
static struct sim_model roles[MAX_MODELS], students[MAX_MODELS];
static int n_roles, n_students;

/* benchmarks whose items the bench mode renders (those staged) */
static const char *const bench_names[] = {"gsm8k",       "math500",        "arc_challenge",
                                          "mmlu",        "truthfulqa_mc1", "truthfulqa_mc2",
                                          "humaneval",   "mbpp",           "mbpp_sanitized"};
#define BENCH_MODE 0xB0
static struct bench *benches[sizeof bench_names / sizeof bench_names[0]];
static int n_benches;

static const char *const schemas[] = {
    "gra_metadata",           "gra_keywords",           "gra_instruction",
    "gra_response",           "gra_refine",             "gra_review_instruction",
    "gra_review_response",    "gra_adjudicate",         "gra_no_such_schema",
};

/* three records in the dataset shape the simulated trainer reads */
static const char fixture[] =
    "{\"domain\":\"math\",\"instruction\":\"Mia has 12 apples and buys 5 more. She gives 3 to "
    "her friend. How many apples does Mia have now?\",\"response\":\"Step 1: 12 + 5 = 17.\\n"
    "Step 2: 17 - 3 = 14.\\nFinal answer: 14\"}\n"
    "{\"domain\":\"code\",\"instruction\":\"Write a Python function count_above(xs, t) that "
    "returns how many numbers in xs are greater than t.\",\"response\":\"```python\\ndef "
    "count_above(xs, t):\\n    return sum(1 for x in xs if x > t)\\n```\"}\n"
    "{\"domain\":\"qa\",\"instruction\":\"Explain why the sky looks blue.\",\"response\":"
    "\"Sunlight scatters off air molecules, and blue light scatters most.\"}\n";

static void model_from(struct sim_model *m, const cJSON *o)
{
    memset(m, 0, sizeof *m);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "name");
    m->name = cJSON_IsString(n) ? n->valuestring : "fuzz-model";
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "seed");
    m->seed = cJSON_IsNumber(s) && s->valuedouble >= 0 && s->valuedouble < 1e15
                  ? (uint64_t)s->valuedouble
                  : 1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "verbosity");
    m->verbosity = cJSON_IsNumber(v) ? v->valuedouble : 1.0;
    const cJSON *z = cJSON_GetObjectItemCaseSensitive(o, "size_b");
    m->size_b = cJSON_IsNumber(z) ? z->valuedouble : 8;
    m->latency_dist = "fixed";
    m->spec = o;
}

static void load_decls(const char *file)
{
    char *path = xasprintf("%s/configs/%s", GRA_SOURCE_DIR, file);
    cJSON *root = NULL;
    if (json_read_file(path, &root)) abort();
    free(path);
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(root, "models"), *m;
    cJSON_ArrayForEach(m, ms)
    {
        if (cJSON_GetObjectItemCaseSensitive(m, "student")) {
            if (n_students < MAX_MODELS) model_from(&students[n_students++], m);
        } else if (cJSON_GetObjectItemCaseSensitive(m, "generator") ||
                   cJSON_GetObjectItemCaseSensitive(m, "reviewer")) {
            if (n_roles < MAX_MODELS) model_from(&roles[n_roles++], m);
        }
    }
    cJSON_AddItemToArray(decls, root);
}

static char *run_dir;
static const char *const fixture_names[] = {"seed.jsonl", "gra.jsonl", "large.jsonl"};

static void remove_run_dir(void)
{
    for (size_t i = 0; i < sizeof fixture_names / sizeof fixture_names[0]; i++) {
        char *p = xasprintf("%s/datasets/%s", run_dir, fixture_names[i]);
        unlink(p);
        free(p);
    }
    char *d = path_join(run_dir, "datasets");
    rmdir(d);
    free(d);
    rmdir(run_dir);
    free(run_dir);
}

static void init(void)
{
    gra_log_level = -1;
    char *run = xasprintf("/tmp/gra-fuzz-simreq-%ld", (long)getpid());
    char *dsdir = path_join(run, "datasets");
    if (fileio_mkdirs(dsdir)) abort();
    for (size_t i = 0; i < sizeof fixture_names / sizeof fixture_names[0]; i++) {
        char *p = path_join(dsdir, fixture_names[i]);
        if (fileio_write_atomic(p, fixture, strlen(fixture))) abort();
        free(p);
    }
    setenv("GRA_RUN_DIR", run, 1);
    free(dsdir);
    run_dir = run;
    atexit(remove_run_dir);
    decls = cJSON_CreateArray();
    load_decls("sim-models.json");
    load_decls("sim-students.json");
    if (!n_roles || !n_students) abort();

    const char *dd = getenv("GRA_DATA_DIR");
    char *data = dd && *dd ? xstrdup(dd) : xasprintf("%s/../shared/data", GRA_SOURCE_DIR);
    for (size_t i = 0; i < sizeof bench_names / sizeof bench_names[0]; i++) {
        struct bench *b = NULL;
        if (bench_open(bench_dir_default(), bench_names[i], &b) == 0 &&
            bench_load(b, data, 40) == 0 && b->n_items > 0)
            benches[n_benches++] = b;
        else
            bench_free(b);
    }
    free(data);
}

/* the bench mode's request: item data[1..2] of benchmark data[0] - 0xB0,
 * the rest of the input appended to the last message; NULL if not staged */
static cJSON *bench_body(const uint8_t *data, size_t size)
{
    if (size < 3 || data[0] < BENCH_MODE || data[0] >= BENCH_MODE + n_benches) return NULL;
    const struct bench *b = benches[data[0] - BENCH_MODE];
    int i = (int)(((unsigned)data[1] | (unsigned)data[2] << 8) % (unsigned)b->n_items);
    cJSON *msgs = bench_messages(b, i);
    if (!msgs) return NULL;
    cJSON *last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(last, "content");
    if (size > 3 && cJSON_IsString(c)) {
        char *t = xasprintf("%s%.*s", c->valuestring, (int)(size - 3), (const char *)data + 3);
        cJSON_ReplaceItemInObjectCaseSensitive(last, "content", cJSON_CreateString(t));
        free(t);
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "model", "sim-student-gra-8b");
    cJSON_AddItemToObject(body, "messages", msgs);
    if (data[1] & 1) cJSON_AddNumberToObject(body, "temperature", 0.7);
    return body;
}

/* keep the fuzzer's student.trained_on inside GRA_RUN_DIR */
static void tame_trained_on(cJSON *spec)
{
    cJSON *st = cJSON_GetObjectItemCaseSensitive(spec, "student");
    cJSON *to = cJSON_IsObject(st) ? cJSON_GetObjectItemCaseSensitive(st, "trained_on") : NULL;
    if (cJSON_IsString(to) && (strchr(to->valuestring, '/') || strstr(to->valuestring, "..")))
        cJSON_ReplaceItemInObjectCaseSensitive(st, "trained_on",
                                               cJSON_CreateString("datasets/seed.jsonl"));
}

/* call h twice from the same seed: the same status and the same reply */
static void twice(sim_role_fn h, const struct sim_model *m, const cJSON *body, const char *schema,
                  uint64_t seed)
{
    struct sim_reply a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.content = (struct buf)BUF_INIT;
    b.content = (struct buf)BUF_INIT;
    int ra = h(m, body, schema, seed, &a);
    int rb = h(m, body, schema, seed, &b);
    if (ra != rb) abort();
    if (ra == 0) {
        if (a.content.len != b.content.len ||
            (a.content.len && memcmp(a.content.data, b.content.data, a.content.len)))
            abort();
        if (a.content.len && strlen(a.content.data) != a.content.len) abort();
    } else if (ra != SIM_DECLINE) {
        if (!memchr(a.error_message, '\0', sizeof a.error_message) || !a.error_message[0])
            abort(); /* an error says why */
    }
    if (h == sim_student_reply && ra == SIM_DECLINE &&
        cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(m->spec, "student")))
        abort(); /* declines only without a student section */
    buf_release(&a.content);
    buf_release(&b.content);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!decls) init();
    if (size > 1 << 15) return 0;
    cJSON *body = bench_body(data, size);
    if (!body) body = cJSON_ParseWithLengthOpts((const char *)data, size, NULL, 0);
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        char *s = xstrndup((const char *)data, size);
        body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "model", "sim-llama-8b");
        cJSON *msgs = cJSON_AddArrayToObject(body, "messages");
        cJSON *u = cJSON_CreateObject();
        cJSON_AddStringToObject(u, "role", "user");
        cJSON_AddStringToObject(u, "content", s);
        cJSON_AddItemToArray(msgs, u);
        free(s);
    }
    uint64_t seed = hash64(data, size, 0);
    const struct sim_model *role = &roles[seed % (uint64_t)n_roles];
    const struct sim_model *stud = &students[(seed >> 8) % (uint64_t)n_students];

    struct sim_model fm;
    cJSON *fspec = cJSON_DetachItemFromObjectCaseSensitive(body, "x_fuzz_model");
    if (cJSON_IsObject(fspec)) {
        tame_trained_on(fspec);
        model_from(&fm, fspec);
        role = &fm;
        stud = &fm;
    }
    for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++)
        twice(sim_roles_handle, role, body, schemas[i], seed);
    twice(sim_student_reply, stud, body, NULL, seed);

    struct sim_model first = roles[0];
    char why[200];
    if (sim_roles_check_model(&first, why, sizeof why) != 0) abort(); /* shipped models are valid */
    if (role == &fm && sim_roles_check_model(&fm, why, sizeof why) != 0 && !why[0]) abort();
    cJSON_Delete(fspec);
    cJSON_Delete(body);
    return 0;
}
