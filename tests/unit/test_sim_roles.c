/*
 * test_sim_roles: serve-sim's simulated GRA roles (synth/sim_roles.h), called
 * directly through the sim_role_fn signature with crafted request bodies and
 * the models of configs/sim-models.json.
 *
 * Checks: every reply passes gra's own reply validation (synth/reply.h), fenced
 * and prose-wrapped ones included; replies are deterministic; a harsh reviewer
 * catches more flaws than a lenient one; over a few thousand simulated records
 * the paper's committee (three reviewers, mean+sigma rule, tau 8, delta 1.5,
 * adjudicator) keeps a lower flaw rate than one reviewer; the adjudicator
 * overturns the case-study pattern. Flaw rates are recounted from the text
 * with core/simflaw.h, never taken from the simulation's choices. All figures
 * are SIMULATED and printed.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/rng.h"
#include "core/simflaw.h"
#include "core/simsrv.h"
#include "synth/protocol.h"
#include "synth/reply.h"
#include "synth/sim_roles.h"

#define N_SMALL 5
static cJSON *models_doc;
static struct sim_model models[8];
static int n_models;

static const struct sim_model *model(const char *name)
{
    for (int i = 0; i < n_models; i++)
        if (strcmp(models[i].name, name) == 0) return &models[i];
    fail_msg("model %s not in configs/sim-models.json", name);
    return NULL;
}

static const char *const small[N_SMALL] = {"sim-llama-8b", "sim-qwen-7b", "sim-internlm-8b",
                                           "sim-mistral-7b", "sim-tulu-8b"};

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("GRA_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/sim-models.json", src ? src : GRA_SOURCE_DIR);
    if (json_read_file(path, &models_doc) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(models_doc, "models"))
    {
        struct sim_model *m = &models[n_models++];
        m->name = cJSON_GetObjectItem(it, "name")->valuestring;
        m->size_b = cJSON_GetObjectItem(it, "size_b")->valuedouble;
        m->seed = (uint64_t)cJSON_GetObjectItem(it, "seed")->valuedouble;
        const cJSON *v = cJSON_GetObjectItem(it, "verbosity");
        m->verbosity = v ? v->valuedouble : 1.0;
        m->spec = it;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cJSON_Delete(models_doc);
    return 0;
}

/* A chat request as gra sends it: system + user with the tagged material. */
static cJSON *request(const char *schema, const char *user)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "model", "x");
    cJSON *msgs = cJSON_AddArrayToObject(b, "messages");
    cJSON *sys = cJSON_CreateObject();
    cJSON_AddStringToObject(sys, "role", "system");
    cJSON_AddStringToObject(sys, "content",
                            "You are a careful assistant. <instruction>decoy</instruction>");
    cJSON_AddItemToArray(msgs, sys);
    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "role", "user");
    cJSON_AddStringToObject(u, "content", user);
    cJSON_AddItemToArray(msgs, u);
    cJSON *rf = cJSON_AddObjectToObject(b, "response_format");
    cJSON_AddStringToObject(rf, "type", "json_schema");
    cJSON *js = cJSON_AddObjectToObject(rf, "json_schema");
    cJSON_AddStringToObject(js, "name", schema);
    return b;
}

/* Call the handler; the reply text (free()) after checking it validates. */
static char *call(const struct sim_model *m, const char *schema, const char *user, uint64_t seed)
{
    cJSON *b = request(schema, user);
    struct sim_reply out;
    memset(&out, 0, sizeof out);
    buf_init(&out.content, 0);
    int rc = sim_roles_handle(m, b, schema, seed, &out);
    if (rc) fail_msg("handler failed: %s", out.error_message);
    char why[REPLY_WHY_LEN] = "";
    if (reply_check_text(schema, out.content.data, out.content.len, why) != 0)
        fail_msg("%s reply of %s does not validate (%s):\n%s", schema, m->name, why,
                 out.content.data);
    cJSON_Delete(b);
    return buf_detach(&out.content, NULL);
}

static cJSON *parse(const char *text)
{
    const char *a = strchr(text, '{'), *z = strrchr(text, '}');
    assert_non_null(a);
    assert_non_null(z);
    cJSON *j = cJSON_ParseWithLengthOpts(a, (size_t)(z - a + 1), NULL, 0);
    assert_non_null(j);
    return j;
}

static const char *const domains[SYNTH_N_DOMAINS] = SYNTH_DOMAINS;

/* Pool examples per domain (keywords + summary), as seed preparation makes them. */
static const char *const example_kw[SYNTH_N_DOMAINS][3] = {
    {"sorting; lists; efficiency", "strings; parsing; validation", "recursion; trees; traversal"},
    {"fractions; recipes; scaling", "percentages; discounts; shopping",
     "marbles; sharing; division"},
    {"photosynthesis; plants; sunlight", "volcanoes; magma; eruptions",
     "vaccines; immunity; cells"},
    {"logic puzzles; deduction; constraints", "probability; coins; fairness",
     "analogies; patterns; inference"},
    {"tour guide; museum; history", "chef; kitchen; recipes", "detective; clues; interview"},
    {"formal tone; emails; politeness", "synonyms; vocabulary; context",
     "grammar; tense; agreement"},
    {"lighthouse; storm; loneliness", "dragons; friendship; courage", "autumn; memory; letters"}};

static void make_prompt(struct buf *b, int d, int step, const char *kw, const char *ins,
                        const char *resp)
{
    buf_reset(b);
    buf_appendf(b, "Write what is asked.\n<domain>%s</domain>\n", domains[d]);
    if (step <= 2) {
        for (int i = 0; i < 3; i++)
            buf_appendf(b,
                        "<example>\nkeywords: %s\nsummary: This task is about %s. It connects them "
                        "in one example.\n</example>\n",
                        example_kw[d][i], example_kw[d][i]);
    }
    if (step == 2) {
        buf_appendf(b, "<keywords>%s</keywords>\n", kw);
        buf_puts(b,
                 "<example_instruction>Explain the idea in plain words.</example_instruction>\n");
    }
    if (ins) buf_appendf(b, "<instruction>%s</instruction>\n", ins);
    if (resp) buf_appendf(b, "<response>%s</response>\n", resp);
}

struct record {
    char *instruction, *response;
    int domain;
};

/* The generator's three steps for domain d with model g. */
static void generate(const struct sim_model *g, int d, uint64_t seed, struct record *rec)
{
    struct buf p = BUF_INIT;
    make_prompt(&p, d, 1, NULL, NULL, NULL);
    char *t = call(g, SCHEMA_KEYWORDS, p.data, rng_derive(seed, "kw", 0));
    cJSON *j = parse(t);
    char kw[200] = "";
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "keywords"))
    {
        if (kw[0]) strcat(kw, "; ");
        strncat(kw, it->valuestring, 60);
    }
    cJSON_Delete(j);
    free(t);
    make_prompt(&p, d, 2, kw, NULL, NULL);
    t = call(g, SCHEMA_INSTRUCTION, p.data, rng_derive(seed, "ins", 0));
    j = parse(t);
    rec->instruction = strdup(cJSON_GetObjectItem(j, "instruction")->valuestring);
    cJSON_Delete(j);
    free(t);
    make_prompt(&p, d, 3, NULL, rec->instruction, NULL);
    t = call(g, SCHEMA_RESPONSE, p.data, rng_derive(seed, "resp", 0));
    j = parse(t);
    rec->response = strdup(cJSON_GetObjectItem(j, "response")->valuestring);
    cJSON_Delete(j);
    free(t);
    rec->domain = d;
    buf_release(&p);
}

static bool phase1(const struct sim_model *m, const struct record *rec, uint64_t seed)
{
    struct buf p = BUF_INIT;
    make_prompt(&p, rec->domain, 4, NULL, rec->instruction, NULL);
    char *t = call(m, SCHEMA_REVIEW_INSTRUCTION, p.data, seed);
    cJSON *j = parse(t);
    bool checks[3];
    char *ex = NULL, why[REPLY_WHY_LEN];
    assert_int_equal(reply_checks(j, checks, &ex, why), 0);
    free(ex);
    cJSON_Delete(j);
    free(t);
    buf_release(&p);
    return checks[0] && checks[1] && checks[2];
}

/* Phase 2 (or adjudication with reviews): the reviewer's mean score; the
 * review block for the adjudicator is appended to blocks. */
static double phase2(const struct sim_model *m, const struct record *rec, uint64_t seed,
                     const char *reviews, struct buf *blocks, int reviewer_no)
{
    struct buf p = BUF_INIT;
    make_prompt(&p, rec->domain, 5, NULL, rec->instruction, rec->response);
    if (reviews) buf_puts(&p, reviews);
    char *t = call(m, reviews ? SCHEMA_ADJUDICATE : SCHEMA_REVIEW_RESPONSE, p.data, seed);
    cJSON *j = parse(t);
    int sc[6];
    char *st = NULL, *wk = NULL, why[REPLY_WHY_LEN];
    assert_int_equal(reply_scores(j, sc, &st, &wk, why), 0);
    double mean = 0;
    for (int i = 0; i < 6; i++) mean += sc[i] / 6.0;
    if (blocks) {
        buf_appendf(blocks,
                    "<review>\nreviewer: %d\nscores: correctness=%d clarity=%d completeness=%d "
                    "relevance=%d coherence=%d ethicality=%d\nweaknesses: %s\n</review>\n",
                    reviewer_no, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], wk);
    }
    free(st);
    free(wk);
    cJSON_Delete(j);
    free(t);
    buf_release(&p);
    return mean;
}

static void test_replies_validate(void **state)
{
    (void)state;
    struct buf p = BUF_INIT;
    int fenced = 0, prose = 0, total = 0;
    for (int mi = 0; mi < n_models; mi++) {
        const struct sim_model *m = &models[mi];
        if (!cJSON_GetObjectItem(m->spec, "generator")) continue;
        for (int d = 0; d < SYNTH_N_DOMAINS; d++) {
            for (uint64_t s = 0; s < 6; s++) {
                struct record rec;
                generate(m, d, rng_derive(7, m->name, (uint64_t)d * 100 + s), &rec);
                make_prompt(&p, d, 5, NULL, rec.instruction, rec.response);
                const char *schemas[] = {SCHEMA_METADATA, SCHEMA_REVIEW_INSTRUCTION,
                                         SCHEMA_REVIEW_RESPONSE, SCHEMA_REFINE};
                for (int k = 0; k < 4; k++) {
                    char *t = call(m, schemas[k], p.data, s * 31 + (uint64_t)k);
                    fenced += strstr(t, "```json") != NULL;
                    prose += t[0] != '{' && t[0] != '`';
                    total++;
                    free(t);
                }
                free(rec.instruction);
                free(rec.response);
                total += 3;
            }
        }
    }
    printf("SIMULATED replies: %d validated, %d fenced, %d wrapped in prose\n", total, fenced,
           prose);
    assert_true(fenced > 0);
    assert_true(prose > 0);
    /* metadata domain from content cues, on clean generated records */
    int right = 0, n = 0;
    const struct sim_model *q = model("sim-qwen-72b");
    for (int d = 0; d < SYNTH_N_DOMAINS; d++) {
        for (uint64_t s = 0; s < 10; s++) {
            struct record rec;
            generate(q, d, rng_derive(8, "meta", (uint64_t)d * 100 + s), &rec);
            make_prompt(&p, d, 5, NULL, rec.instruction, rec.response);
            char *t = call(q, SCHEMA_METADATA, p.data, s);
            cJSON *j = parse(t);
            int dom = -1;
            char *kws[3], *sum, why[REPLY_WHY_LEN];
            assert_int_equal(reply_metadata(j, &dom, kws, &sum, why), 0);
            right += dom == d;
            n++;
            for (int i = 0; i < 3; i++) free(kws[i]);
            free(sum);
            cJSON_Delete(j);
            free(t);
            free(rec.instruction);
            free(rec.response);
        }
    }
    printf("SIMULATED metadata writer: domain recovered for %d of %d generated records\n", right,
           n);
    assert_true(right >= n * 8 / 10);
    buf_release(&p);
}

static void test_deterministic(void **state)
{
    (void)state;
    struct buf p = BUF_INIT;
    make_prompt(&p, 1, 2, "marbles; sharing; division", NULL, NULL);
    const struct sim_model *m = model("sim-llama-8b");
    char *a = call(m, SCHEMA_INSTRUCTION, p.data, 42), *b = call(m, SCHEMA_INSTRUCTION, p.data, 42);
    assert_string_equal(a, b);
    int differ = 0;
    for (uint64_t s = 0; s < 10; s++) {
        char *c = call(m, SCHEMA_INSTRUCTION, p.data, 100 + s);
        differ += strcmp(a, c) != 0;
        free(c);
    }
    assert_true(differ >= 8);
    free(b);
    /* the seed material is recombined: the instruction uses a pool keyword */
    char *t = call(model("sim-qwen-72b"), SCHEMA_INSTRUCTION, p.data, 5);
    assert_non_null(strstr(t, "marbles"));
    free(t);
    /* an unknown gra_ schema and a bad model section are errors that say why */
    cJSON *body = request("gra_nonsense", "x");
    struct sim_reply out;
    memset(&out, 0, sizeof out);
    buf_init(&out.content, 0);
    assert_int_not_equal(sim_roles_handle(m, body, "gra_nonsense", 1, &out), 0);
    assert_non_null(strstr(out.error_message, "gra_nonsense"));
    static const char bad_json[] =
        "{\"name\":\"bad\",\"reviewer\":{\"sensitivity\":{\"padding\":1.5}}}";
    cJSON *spec = cJSON_ParseWithLengthOpts(bad_json, sizeof bad_json - 1, NULL, 0);
    struct sim_model bad = {.name = "bad", .seed = 1, .verbosity = 1, .spec = spec};
    char why[200];
    assert_int_equal(sim_roles_check_model(&bad, why, sizeof why), -1);
    assert_non_null(strstr(why, "reviewer.sensitivity.padding"));
    assert_int_not_equal(sim_roles_handle(&bad, body, SCHEMA_REVIEW_RESPONSE, 1, &out), 0);
    for (int i = 0; i < n_models; i++)
        assert_int_equal(sim_roles_check_model(&models[i], why, sizeof why), 0);
    /* max_tokens is honoured like a real server: a cut reply, finish "length" */
    cJSON *small_req = request(SCHEMA_INSTRUCTION, p.data);
    cJSON_AddNumberToObject(small_req, "max_tokens", 5);
    buf_reset(&out.content);
    out.finish_reason = NULL;
    assert_int_equal(sim_roles_handle(m, small_req, SCHEMA_INSTRUCTION, 42, &out), 0);
    assert_non_null(out.finish_reason);
    assert_string_equal(out.finish_reason, "length");
    assert_true(out.content.len <= 20);
    cJSON_Delete(small_req);
    /* content given as an array of text parts reads the same as a string */
    cJSON *parts_req = request(SCHEMA_INSTRUCTION, "");
    cJSON *msgs = cJSON_GetObjectItem(parts_req, "messages");
    cJSON *user = cJSON_GetArrayItem(msgs, 1);
    cJSON *parts = cJSON_CreateArray();
    size_t half = p.len / 2;
    char *first = strndup(p.data, half);
    cJSON *p1 = cJSON_CreateObject(), *p2 = cJSON_CreateObject();
    cJSON_AddStringToObject(p1, "type", "text");
    cJSON_AddStringToObject(p1, "text", first);
    cJSON_AddStringToObject(p2, "type", "text");
    cJSON_AddStringToObject(p2, "text", p.data + half);
    cJSON_AddItemToArray(parts, p1);
    cJSON_AddItemToArray(parts, p2);
    cJSON_ReplaceItemInObject(user, "content", parts);
    free(first);
    buf_reset(&out.content);
    out.finish_reason = NULL;
    assert_int_equal(sim_roles_handle(m, parts_req, SCHEMA_INSTRUCTION, 42, &out), 0);
    assert_string_equal(out.content.data, a);
    cJSON_Delete(parts_req);
    cJSON_Delete(spec);
    cJSON_Delete(body);
    buf_release(&out.content);
    buf_release(&p);
    free(a);
}

/* A harsh reviewer (sim-internlm-8b) scores more flawed records below tau than
 * a lenient one (sim-mistral-7b). */
static void test_harsh_vs_lenient(void **state)
{
    (void)state;
    const struct sim_model *harsh = model("sim-internlm-8b"), *lenient = model("sim-mistral-7b");
    const struct sim_model *gen = model("sim-mistral-7b");
    int flawed = 0, caught_h = 0, caught_l = 0, clean = 0, fa_h = 0, fa_l = 0;
    for (uint64_t i = 0; i < 700; i++) {
        struct record rec;
        generate(gen, (int)(i % SYNTH_N_DOMAINS), rng_derive(9, "hl", i), &rec);
        unsigned f = simflaw_detect(rec.instruction, rec.response) & SIMFLAW_RESPONSE_MASK;
        double sh = phase2(harsh, &rec, rng_derive(9, "h", i), NULL, NULL, 0);
        double sl = phase2(lenient, &rec, rng_derive(9, "l", i), NULL, NULL, 0);
        if (f) {
            flawed++;
            caught_h += sh < 8;
            caught_l += sl < 8;
        } else {
            clean++;
            fa_h += sh < 8;
            fa_l += sl < 8;
        }
        free(rec.instruction);
        free(rec.response);
    }
    printf("SIMULATED reviewers on %d flawed / %d clean responses: harsh catches %.1f%% "
           "(rejects %.1f%% of clean), lenient catches %.1f%% (rejects %.1f%% of clean)\n",
           flawed, clean, 100.0 * caught_h / flawed, 100.0 * fa_h / clean,
           100.0 * caught_l / flawed, 100.0 * fa_l / clean);
    assert_true(flawed >= 100);
    assert_true(caught_h > caught_l);
}

static double mean3(const double *v)
{
    return (v[0] + v[1] + v[2]) / 3;
}
static double psd3(const double *v)
{
    double m = mean3(v), s = 0;
    for (int i = 0; i < 3; i++) s += (v[i] - m) * (v[i] - m);
    return sqrt(s / 3);
}

/* The committee against one reviewer, on the same simulated records. */
static void test_committee_vs_one(void **state)
{
    (void)state;
    const int n = 2500;
    const double tau = 8, delta = 1.5;
    int kept_one = 0, flawed_one = 0, kept_gra = 0, flawed_gra = 0, kept_mean = 0, flawed_mean = 0;
    int adjudicated = 0, adj_kept = 0, gen_flawed = 0;
    int pattern = 0, pattern_overturned = 0;
    struct rng r;
    rng_seed(&r, 2024);
    for (int i = 0; i < n; i++) {
        int order[N_SMALL] = {0, 1, 2, 3, 4};
        rng_shuffle(&r, order, N_SMALL, sizeof order[0]);
        const struct sim_model *g = model(small[order[0]]);
        const struct sim_model *rv[3] = {model(small[order[1]]), model(small[order[2]]),
                                         model(small[order[3]])};
        const struct sim_model *adj = model(small[order[4]]);
        int d = (int)rng_below(&r, SYNTH_N_DOMAINS);
        uint64_t seed = rng_derive(11, "rec", (uint64_t)i);
        struct record rec;
        generate(g, d, seed, &rec);
        bool flawed = simflaw_detect(rec.instruction, rec.response) != 0;
        gen_flawed += flawed;

        bool p1[3];
        double s[3];
        struct buf blocks = BUF_INIT;
        for (int k = 0; k < 3; k++) {
            p1[k] = phase1(rv[k], &rec, rng_derive(seed, "p1", (uint64_t)k));
            s[k] = phase2(rv[k], &rec, rng_derive(seed, "p2", (uint64_t)k), NULL, &blocks, k + 1);
        }
        /* one reviewer (the first): its phase 1 and its score >= tau */
        if (p1[0] && s[0] >= tau) {
            kept_one++;
            flawed_one += flawed;
        }
        bool pass1 = p1[0] && p1[1] && p1[2];
        double mu = mean3(s), sigma = psd3(s);
        if (pass1 && mu >= tau) {
            kept_mean++;
            flawed_mean += flawed;
        }
        if (pass1 && mu >= tau) {
            bool keep = true;
            if (sigma > delta) {
                adjudicated++;
                double a = phase2(adj, &rec, rng_derive(seed, "adj", 0), blocks.data, NULL, 0);
                keep = a >= tau;
                adj_kept += keep;
                int high = (s[0] >= tau) + (s[1] >= tau) + (s[2] >= tau);
                if (flawed && high == 2) {
                    pattern++;
                    pattern_overturned += !keep;
                }
            }
            if (keep) {
                kept_gra++;
                flawed_gra += flawed;
            }
        }
        buf_release(&blocks);
        free(rec.instruction);
        free(rec.response);
    }
    double r_one = (double)flawed_one / kept_one, r_gra = (double)flawed_gra / kept_gra;
    double r_mean = (double)flawed_mean / kept_mean;
    printf("SIMULATED committee vs one reviewer over %d records (generated flaw rate %.1f%%):\n", n,
           100.0 * gen_flawed / n);
    printf("  one reviewer:           kept %4d, flawed among kept %.2f%%\n", kept_one, 100 * r_one);
    printf("  3 reviewers, mean only: kept %4d, flawed among kept %.2f%%\n", kept_mean,
           100 * r_mean);
    printf(
        "  GRA (mean+sigma+adj):   kept %4d, flawed among kept %.2f%% (%d adjudicated, %d kept)\n",
        kept_gra, 100 * r_gra, adjudicated, adj_kept);
    printf("  case-study pattern in the stream (flawed, two reviewers >= tau, one below, "
           "sent to the adjudicator): %d, overturned %d\n",
           pattern, pattern_overturned);
    assert_true(kept_one > 100 && kept_gra > 100);
    /* two-proportion z: the committee's flaw rate is lower by more than noise */
    double pbar = (double)(flawed_one + flawed_gra) / (kept_one + kept_gra);
    double se = sqrt(pbar * (1 - pbar) * (1.0 / kept_one + 1.0 / kept_gra));
    printf("  difference %.2f points, z = %.2f\n", 100 * (r_one - r_gra), (r_one - r_gra) / se);
    assert_true(r_gra < r_one);
    assert_true((r_one - r_gra) / se > 2.0);
}

/* The paper's case study: two lenient reviewers score a flawed record high,
 * one strict reviewer low and names the flaw; mu passes tau, sigma exceeds
 * delta, so the adjudicator decides, re-checking the named flaw. */
static void test_case_study(void **state)
{
    (void)state;
    struct buf ins = BUF_INIT, resp = BUF_INIT, p = BUF_INIT;
    int trials = 0, overturned = 0, overturned_unnamed = 0;
    for (uint64_t s = 0; s < 200; s++) {
        struct rng r;
        rng_seed(&r, rng_derive(12, "case", s));
        simflaw_math_instruction(&r, -1, NULL, NULL, NULL, 0, &ins);
        buf_reset(&resp);
        simflaw_solution(ins.data, SIMFLAW_WRONG_ANSWER, 1.0, &r, &resp);
        assert_int_equal(simflaw_detect(ins.data, resp.data), SIMFLAW_WRONG_ANSWER);
        const double sc[3] = {9.5, 9.33, 5.33};
        assert_true(mean3(sc) >= 8 && psd3(sc) > 1.5);
        for (int named = 1; named >= 0; named--) {
            make_prompt(&p, 1, 5, NULL, ins.data, resp.data);
            buf_puts(&p, "<review>\nreviewer: 1\nscores: correctness=10 clarity=9 completeness=10 "
                         "relevance=10 coherence=9 ethicality=9\nweaknesses: No significant "
                         "weaknesses.\n</review>\n");
            buf_puts(&p, "<review>\nreviewer: 2\nscores: correctness=9 clarity=9 completeness=9 "
                         "relevance=10 coherence=9 ethicality=10\nweaknesses: Could be "
                         "shorter.\n</review>\n");
            buf_appendf(&p,
                        "<review>\nreviewer: 3\nscores: correctness=2 clarity=6 completeness=6 "
                        "relevance=7 coherence=5 ethicality=6\nweaknesses: %s\n</review>\n",
                        named ? "The final answer is wrong." : "Something seems off.");
            const struct sim_model *adj = model(small[s % N_SMALL]);
            char *t = call(adj, SCHEMA_ADJUDICATE, p.data, s);
            cJSON *j = parse(t);
            int v[6];
            char *st, *wk, why[REPLY_WHY_LEN];
            assert_int_equal(reply_scores(j, v, &st, &wk, why), 0);
            double mean = (v[0] + v[1] + v[2] + v[3] + v[4] + v[5]) / 6.0;
            if (named) {
                trials++;
                overturned += mean < 8;
            } else {
                overturned_unnamed += mean < 8;
            }
            free(st);
            free(wk);
            cJSON_Delete(j);
            free(t);
        }
    }
    printf("SIMULATED case study (%d wrong-answer records, reviews 9.5 / 9.3 / 5.3, majority vote "
           "keeps all): adjudicator rejects %.1f%% when the strict critique names the flaw, "
           "%.1f%% when it does not\n",
           trials, 100.0 * overturned / trials, 100.0 * overturned_unnamed / trials);
    assert_true(overturned >= trials * 8 / 10);
    assert_true(overturned > overturned_unnamed);
    buf_release(&ins);
    buf_release(&resp);
    buf_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),    cmocka_unit_test(test_replies_validate),
        cmocka_unit_test(test_harsh_vs_lenient), cmocka_unit_test(test_committee_vs_one),
        cmocka_unit_test(test_case_study),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
