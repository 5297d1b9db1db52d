/* test_llm_client: the client against a local stub server (tests/support):
 * success and accounting, retry classes (429 + Retry-After, 5xx, dropped
 * connections, truncated bodies), permanent 4xx with the server's message,
 * finish_reason "length", parse failures under their own budget, the body
 * size cap, replicas least-in-flight and the per-endpoint in-flight cap, RPM
 * limiting, embeddings, llm_stop(), and that the API key never reaches the
 * cache file or the stats. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/llm.h"
#include "tests/support/stub_server.h"
#include "tests/support/test_cfg.h"

/* ---- helpers */

struct got {
    int n, n_ok, status[LLM_STATUS_COUNT];
    int last_http, last_attempts;
    char last_error[400];
    char last_content[200];
    char last_hash[65];
    bool last_hit;
    long pt, ct;
    int n_emb, dim;
    float emb0[8];
    int json_ok;
};

static void on_done(void *ud, const struct llm_result *r)
{
    struct got *g = ud;
    g->n++;
    g->status[r->status]++;
    if (r->status == LLM_OK) g->n_ok++;
    g->last_http = r->http_status;
    g->last_attempts = r->attempts;
    g->last_hit = r->cache_hit;
    snprintf(g->last_error, sizeof g->last_error, "%s", r->error ? r->error : "");
    snprintf(g->last_content, sizeof g->last_content, "%s", r->content ? r->content : "");
    memcpy(g->last_hash, r->request_hash, 65);
    g->pt += r->prompt_tokens;
    g->ct += r->completion_tokens;
    if (r->embeddings) {
        g->n_emb = r->n_embeddings;
        g->dim = r->dim;
        for (int i = 0; i < r->dim && i < 8; i++) g->emb0[i] = r->embeddings[i];
    }
    if (r->json) g->json_ok++;
}

static cJSON *user_msg(const char *text)
{
    cJSON *a = cJSON_CreateArray();
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", text);
    cJSON_AddItemToArray(a, m);
    return a;
}

static void submit_n(struct llm_client *c, const char *model, const char *tag, int n, struct got *g,
                     bool with_schema)
{
    cJSON *schema = cJSON_Parse("{\"type\":\"object\"}");
    for (int i = 0; i < n; i++) {
        char text[64];
        snprintf(text, sizeof text, "question %d", i);
        cJSON *msgs = user_msg(text);
        struct llm_request rq = {.model = model,
                                 .tag = tag,
                                 .messages = msgs,
                                 .seed = (uint64_t)i + 1,
                                 .done = on_done,
                                 .ud = g};
        if (with_schema) {
            rq.schema = schema;
            rq.schema_name = "gra_test";
        }
        assert_int_equal(llm_submit(c, &rq), 0);
        cJSON_Delete(msgs);
    }
    cJSON_Delete(schema);
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct gra_config *one_model(const struct stub_server *s)
{
    struct gra_config *cfg = tcfg_new();
    cfg->client.backoff_base_ms = 5;
    cfg->client.backoff_cap_ms = 50;
    cfg->client.max_retries = 4;
    tcfg_add_model(cfg, "m1", stub_url(s));
    return cfg;
}

/* ---- scripted handler: the reply for the k-th request comes from a list */

struct script {
    pthread_mutex_t mu;
    int k;
    const struct stub_reply *steps; /* bodies are strdup'ed per use */
    const char *const *bodies;
    int n;
    char *last_body; /* the last request body seen */
    char *last_auth;
};

static void scripted(void *ud, const char *url, const char *body, size_t len,
                     struct stub_reply *out)
{
    (void)url;
    (void)len;
    struct script *s = ud;
    pthread_mutex_lock(&s->mu);
    int i = s->k < s->n ? s->k : s->n - 1;
    s->k++;
    free(s->last_body);
    s->last_body = xstrdup(body);
    *out = s->steps[i];
    out->body = s->bodies[i] ? xstrdup(s->bodies[i]) : NULL;
    pthread_mutex_unlock(&s->mu);
}

static void run_script(const struct stub_reply *steps, const char *const *bodies, int n,
                       struct got *g, bool with_schema, bool allow_length, int *requests)
{
    struct script sc = {.steps = steps, .bodies = bodies, .n = n};
    pthread_mutex_init(&sc.mu, NULL);
    struct stub_server *s = stub_start(scripted, &sc);
    assert_non_null(s);
    struct gra_config *cfg = one_model(s);
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    cJSON *msgs = user_msg("hi");
    cJSON *schema = cJSON_Parse("{\"type\":\"object\"}");
    struct llm_request rq = {.model = "m1",
                             .messages = msgs,
                             .seed = 9,
                             .done = on_done,
                             .ud = g,
                             .allow_length = allow_length};
    if (with_schema) {
        rq.schema = schema;
        rq.schema_name = "gra_x";
    }
    assert_int_equal(llm_submit(c, &rq), 0);
    assert_int_equal(llm_run(c), 0);
    cJSON_Delete(msgs);
    cJSON_Delete(schema);
    llm_client_free(c);
    *requests = (int)stub_requests(s);
    stub_stop(s);
    tcfg_free(cfg);
    free(sc.last_body);
    pthread_mutex_destroy(&sc.mu);
}

/* ---- tests */

static void test_ok_and_accounting(void **state)
{
    (void)state;
    struct stub_server *s = stub_start(NULL, NULL);
    assert_non_null(s);
    struct gra_config *cfg = one_model(s);
    cfg->models[0].params_b = 2.0;
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct got g = {0};
    submit_n(c, "m1", "generator", 50, &g, false);
    submit_n(c, "m1", "reviewer", 30, &g, false);
    /* unknown model: GRA_EINVAL and no callback */
    cJSON *msgs = user_msg("x");
    struct llm_request bad = {.model = "nope", .messages = msgs, .done = on_done, .ud = &g};
    assert_int_equal(llm_submit(c, &bad), GRA_EINVAL);
    cJSON_Delete(msgs);
    assert_int_equal(llm_run(c), 0);
    assert_int_equal(g.n, 80);
    assert_int_equal(g.n_ok, 80);
    assert_string_equal(g.last_content, "hello from the stub");
    assert_int_equal(g.pt, 80 * 7);
    assert_int_equal(g.ct, 80 * 5);
    assert_int_equal(stub_requests(s), 80);
    struct llm_counters k;
    llm_counters(c, &k);
    assert_int_equal(k.done, 80);
    assert_int_equal(k.inflight, 0);
    assert_int_equal(k.queued, 0);
    cJSON *st = llm_stats_json(c);
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "models"), "m1");
    assert_int_equal(cJSON_GetObjectItem(m, "calls")->valueint, 80);
    assert_int_equal(cJSON_GetObjectItem(m, "prompt_tokens")->valueint, 560);
    double flops = cJSON_GetObjectItem(m, "flops")->valuedouble;
    assert_true(flops > 2.0 * 2e9 * 960 * 0.999 && flops < 2.0 * 2e9 * 960 * 1.001);
    /* keep-alive: 80 calls at 16 in flight open at most 16 connections */
    long conns = (long)cJSON_GetObjectItem(m, "connections")->valuedouble;
    printf("connections opened for 80 calls: %ld\n", conns);
    assert_true(conns >= 1 && conns <= 16);
    assert_true(cJSON_GetObjectItem(m, "latency_ms_p95")->valuedouble >=
                cJSON_GetObjectItem(m, "latency_ms_p50")->valuedouble);
    const cJSON *gen = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "tags"), "generator");
    assert_int_equal(cJSON_GetObjectItem(gen, "calls")->valueint, 50);
    const cJSON *rv = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(st, "by_tag_model"), "reviewer"), "m1");
    assert_int_equal(cJSON_GetObjectItem(rv, "calls")->valueint, 30);
    cJSON_Delete(st);
    llm_client_free(c);
    stub_stop(s);
    tcfg_free(cfg);
}

static void test_retry_after_429(void **state)
{
    (void)state;
    const struct stub_reply steps[] = {{.status = 429, .retry_after_s = 1}, {0}};
    const char *const bodies[] = {"{\"error\":{\"message\":\"slow down\"}}", NULL};
    struct got g = {0};
    int nreq;
    double t0 = mono_ms();
    run_script(steps, bodies, 2, &g, false, false, &nreq);
    double dt = mono_ms() - t0;
    assert_int_equal(g.n_ok, 1);
    assert_int_equal(g.last_attempts, 2);
    assert_int_equal(nreq, 2);
    /* Retry-After (1 s) replaces the 5 ms backoff and is clamped to the 50 ms cap */
    assert_true(dt >= 45 && dt < 900);
}

static void test_retry_after_honoured_within_cap(void **state)
{
    (void)state;
    struct script sc = {0};
    const struct stub_reply steps[] = {{.status = 429, .retry_after_s = 1}, {0}};
    const char *const bodies[] = {"{\"error\":{\"message\":\"slow down\"}}", NULL};
    sc.steps = steps;
    sc.bodies = bodies;
    sc.n = 2;
    pthread_mutex_init(&sc.mu, NULL);
    struct stub_server *s = stub_start(scripted, &sc);
    struct gra_config *cfg = one_model(s);
    cfg->client.backoff_cap_ms = 5000;
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct got g = {0};
    submit_n(c, "m1", NULL, 1, &g, false);
    double t0 = mono_ms();
    assert_int_equal(llm_run(c), 0);
    double dt = mono_ms() - t0;
    assert_int_equal(g.n_ok, 1);
    assert_true(dt >= 990 && dt < 3000);
    llm_client_free(c);
    stub_stop(s);
    tcfg_free(cfg);
    free(sc.last_body);
    pthread_mutex_destroy(&sc.mu);
}

static void test_transient_then_ok(void **state)
{
    (void)state;
    const struct stub_reply steps[] = {
        {.status = 500}, {.status = 503}, {.mode = STUB_DROP}, {.mode = STUB_TRUNCATE}, {0}};
    const char *const bodies[] = {"{\"error\":\"boom\"}", "busy", NULL, NULL, NULL};
    struct got g = {0};
    int nreq;
    run_script(steps, bodies, 5, &g, false, false, &nreq);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.n_ok, 1);
    /* libcurl itself resends once when a reused connection dies before any
     * byte arrives, so the drop may cost no attempt of ours */
    assert_true(g.last_attempts == 4 || g.last_attempts == 5);
    assert_int_equal(nreq, 5);
}

static void test_retries_exhausted(void **state)
{
    (void)state;
    const struct stub_reply steps[] = {{.status = 503}};
    const char *const bodies[] = {"{\"error\":{\"message\":\"overloaded\"}}"};
    struct got g = {0};
    int nreq;
    run_script(steps, bodies, 1, &g, false, false, &nreq);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.status[LLM_FAIL_HTTP], 1);
    assert_int_equal(g.last_http, 503);
    assert_int_equal(nreq, 5); /* 1 + max_retries 4 */
    assert_non_null(strstr(g.last_error, "overloaded"));
}

static void test_permanent_4xx(void **state)
{
    (void)state;
    const struct stub_reply steps[] = {{.status = 400}};
    const char *const bodies[] = {
        "{\"error\":{\"message\":\"max_tokens is too large\",\"type\":\"invalid_request_error\"}}"};
    struct got g = {0};
    int nreq;
    run_script(steps, bodies, 1, &g, false, false, &nreq);
    assert_int_equal(g.status[LLM_FAIL_HTTP], 1);
    assert_int_equal(nreq, 1);
    assert_int_equal(g.last_http, 400);
    assert_string_equal(g.last_error, "HTTP 400: max_tokens is too large");
}

static void test_length(void **state)
{
    (void)state;
    char *cut = stub_chat_body("a reply cut sh", "length", 5, 16);
    const struct stub_reply steps[] = {{0}};
    const char *const bodies[] = {cut};
    struct got g = {0};
    int nreq;
    run_script(steps, bodies, 1, &g, false, false, &nreq);
    assert_int_equal(g.status[LLM_FAIL_LENGTH], 1);
    assert_int_equal(nreq, 1);
    assert_string_equal(g.last_content, "a reply cut sh");
    memset(&g, 0, sizeof g);
    run_script(steps, bodies, 1, &g, false, true, &nreq);
    assert_int_equal(g.n_ok, 1);
    free(cut);
}

static void test_parse_budget(void **state)
{
    (void)state;
    /* a malformed body, then an unparseable structured reply, then a good one */
    char *prose = stub_chat_body("I refuse to answer in JSON.", "stop", 1, 1);
    char *good = stub_chat_body("```json\n{\"score\": 8}\n```", "stop", 1, 1);
    const struct stub_reply steps[] = {{0}, {0}, {0}};
    const char *const bodies[] = {"{\"choices\": [", prose, good};
    struct got g = {0};
    int nreq;
    run_script(steps, bodies, 3, &g, true, false, &nreq);
    assert_int_equal(g.n_ok, 1);
    assert_int_equal(g.json_ok, 1);
    assert_int_equal(nreq, 3);
    /* always bad: 1 + LLM_PARSE_RETRIES attempts, then LLM_FAIL_PARSE */
    const char *const bad[] = {prose};
    memset(&g, 0, sizeof g);
    run_script(steps, bad, 1, &g, true, false, &nreq);
    assert_int_equal(g.status[LLM_FAIL_PARSE], 1);
    assert_int_equal(nreq, 3);
    free(prose);
    free(good);
}

static void test_body_cap(void **state)
{
    (void)state;
    struct stub_server *s = stub_start(NULL, NULL);
    struct gra_config *cfg = one_model(s);
    cfg->client.max_body_bytes = 64;
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct got g = {0};
    submit_n(c, "m1", NULL, 1, &g, false);
    assert_int_equal(llm_run(c), 0);
    assert_int_equal(g.status[LLM_FAIL_TRANSPORT], 1);
    assert_non_null(strstr(g.last_error, "max_body_bytes"));
    assert_int_equal(stub_requests(s), 1);
    llm_client_free(c);
    stub_stop(s);
    tcfg_free(cfg);
}

static void slow(void *ud, const char *url, const char *body, size_t len, struct stub_reply *out)
{
    (void)ud;
    (void)url;
    (void)body;
    (void)len;
    out->delay_ms = 30;
}

static void test_inflight_cap_and_replicas(void **state)
{
    (void)state;
    struct stub_server *a = stub_start(slow, NULL), *b = stub_start(slow, NULL);
    struct gra_config *cfg = tcfg_new();
    struct model_cfg *m = tcfg_add_model(cfg, "m1", stub_url(a));
    tcfg_add_endpoint(m, stub_url(b));
    m->max_inflight = 4;
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct got g = {0};
    submit_n(c, "m1", NULL, 80, &g, false);
    assert_int_equal(llm_run(c), 0);
    assert_int_equal(g.n_ok, 80);
    /* the cap holds per endpoint, and both replicas did a fair share */
    assert_true(stub_max_concurrent(a) <= 4 && stub_max_concurrent(b) <= 4);
    assert_true(stub_max_concurrent(a) >= 3 && stub_max_concurrent(b) >= 3);
    assert_true(stub_requests(a) >= 30 && stub_requests(b) >= 30);
    assert_int_equal(stub_requests(a) + stub_requests(b), 80);
    llm_client_free(c);
    stub_stop(a);
    stub_stop(b);
    tcfg_free(cfg);
}

static void test_rpm_limit(void **state)
{
    (void)state;
    struct stub_server *s = stub_start(NULL, NULL);
    struct gra_config *cfg = one_model(s);
    cfg->models[0].rpm = 240; /* 4/s, burst of 4 */
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct got g = {0};
    submit_n(c, "m1", NULL, 10, &g, false);
    double t0 = mono_ms();
    assert_int_equal(llm_run(c), 0);
    double dt = mono_ms() - t0;
    assert_int_equal(g.n_ok, 10);
    /* 4 at once, then 6 more at 250 ms each: about 1.5 s */
    assert_true(dt >= 1400 && dt < 4000);
    llm_client_free(c);
    stub_stop(s);
    tcfg_free(cfg);
}

static void big_usage(void *ud, const char *url, const char *body, size_t len,
                      struct stub_reply *out)
{
    (void)ud;
    (void)url;
    (void)body;
    (void)len;
    out->body = stub_chat_body("ok", "stop", 7, 100); /* 107 tokens per call */
}

static void test_tpm_limit(void **state)
{
    (void)state;
    struct stub_server *s = stub_start(big_usage, NULL);
    struct gra_config *cfg = one_model(s);
    cfg->models[0].tpm = 60000; /* 1000 tokens/s, bucket of 1000 */
    /* the estimate before sending is body/4 + max_tokens (~125), so at most 8
     * go at once; the real usage (107) is settled when each reply arrives */
    cfg->models[0].params = cJSON_Parse("{\"max_tokens\":100}");
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct got g = {0};
    submit_n(c, "m1", NULL, 20, &g, false);
    double t0 = mono_ms();
    assert_int_equal(llm_run(c), 0);
    double dt = mono_ms() - t0;
    assert_int_equal(g.n_ok, 20);
    assert_int_equal(g.ct, 2000);
    /* 2140 tokens through a 1000-token bucket refilled at 1000/s: about 1.1 s
     * (less the last request's slack) */
    printf("tpm: 20 calls took %.0f ms\n", dt);
    assert_true(dt >= 900 && dt < 5000);
    llm_client_free(c);
    stub_stop(s);
    tcfg_free(cfg);
}

static void test_embeddings(void **state)
{
    (void)state;
    struct stub_server *s = stub_start(NULL, NULL);
    struct gra_config *cfg = one_model(s);
    cfg->models[0].embedding = true;
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct got g = {0};
    const char *in[] = {"one \"quoted\"", "two", "three"};
    struct llm_request rq = {.model = "m1", .inputs = in, .n_inputs = 3, .done = on_done, .ud = &g};
    assert_int_equal(llm_submit(c, &rq), 0);
    assert_int_equal(llm_run(c), 0);
    assert_int_equal(g.n_ok, 1);
    assert_int_equal(g.n_emb, 3);
    assert_int_equal(g.dim, 4);
    assert_true(g.emb0[1] == 0.5f && g.emb0[3] == 1.0f);
    llm_client_free(c);
    stub_stop(s);
    tcfg_free(cfg);
}

struct stopper {
    struct llm_client *c;
    struct got g;
};

static void stop_after_first(void *ud, const struct llm_result *r)
{
    struct stopper *st = ud;
    on_done(&st->g, r);
    llm_stop(st->c);
}

static void test_stop(void **state)
{
    (void)state;
    struct stub_server *s = stub_start(slow, NULL);
    struct gra_config *cfg = one_model(s);
    cfg->models[0].max_inflight = 2;
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct stopper st = {.c = c};
    cJSON *msgs = user_msg("x");
    for (int i = 0; i < 20; i++) {
        struct llm_request rq = {.model = "m1",
                                 .messages = msgs,
                                 .seed = (uint64_t)i,
                                 .done = stop_after_first,
                                 .ud = &st};
        assert_int_equal(llm_submit(c, &rq), 0);
    }
    cJSON_Delete(msgs);
    assert_int_equal(llm_run(c), GRA_EINTR);
    /* every request got exactly one callback */
    assert_int_equal(st.g.n, 20);
    assert_true(st.g.n_ok >= 1 && st.g.n_ok <= 2);
    assert_int_equal(st.g.n_ok + st.g.status[LLM_FAIL_CANCELLED], 20);
    llm_client_free(c);
    stub_stop(s);
    tcfg_free(cfg);
}

static void test_free_cancels_queued(void **state)
{
    (void)state;
    struct gra_config *cfg = tcfg_new();
    tcfg_add_model(cfg, "m1", "http://127.0.0.1:9/v1");
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct got g = {0};
    submit_n(c, "m1", NULL, 5, &g, false);
    llm_client_free(c);
    assert_int_equal(g.n, 5);
    assert_int_equal(g.status[LLM_FAIL_CANCELLED], 5);
    tcfg_free(cfg);
}

static void test_connection_refused(void **state)
{
    (void)state;
    struct gra_config *cfg = tcfg_new();
    cfg->client.backoff_base_ms = 1;
    cfg->client.backoff_cap_ms = 5;
    cfg->client.max_retries = 2;
    tcfg_add_model(cfg, "m1", "http://127.0.0.1:9/v1"); /* discard port: refused */
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct got g = {0};
    submit_n(c, "m1", NULL, 3, &g, false);
    assert_int_equal(llm_run(c), 0);
    assert_int_equal(g.status[LLM_FAIL_TRANSPORT], 3);
    assert_int_equal(g.last_attempts, 3);
    llm_client_free(c);
    tcfg_free(cfg);
}

/* The key value must appear in the Authorization header and nowhere else:
 * not in the cache file (nor its WAL), not in the stats JSON. */
static void capture_auth(void *ud, const char *url, const char *body, size_t len,
                         struct stub_reply *out)
{
    (void)url;
    (void)len;
    (void)out;
    struct script *s = ud;
    pthread_mutex_lock(&s->mu);
    free(s->last_body);
    s->last_body = xstrdup(body);
    pthread_mutex_unlock(&s->mu);
}

static bool file_contains(const char *path, const char *needle)
{
    char *data = NULL;
    size_t n = 0;
    if (!fileio_exists(path) || fileio_read(path, &data, &n) != 0) return false;
    bool found = false;
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n && !found; i++) found = memcmp(data + i, needle, k) == 0;
    free(data);
    return found;
}

static void test_api_key_secrecy(void **state)
{
    (void)state;
    const char *secret = "sk-test-SECRET-0123456789abcdef";
    setenv("GRA_TEST_API_KEY", secret, 1);
    struct script sc = {0};
    pthread_mutex_init(&sc.mu, NULL);
    struct stub_server *s = stub_start(capture_auth, &sc);
    struct gra_config *cfg = one_model(s);
    cfg->models[0].api_key_env = xstrdup("GRA_TEST_API_KEY");
    char *path = tcfg_tmp_path("secret-cache");
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true, .cache_path = path};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct got g = {0};
    submit_n(c, "m1", "generator", 20, &g, false);
    assert_int_equal(llm_run(c), 0);
    assert_int_equal(g.n, 20);
    cJSON *st = llm_stats_json(c);
    char *txt = cJSON_PrintUnformatted(st);
    assert_null(strstr(txt, secret));
    cJSON_free(txt);
    cJSON_Delete(st);
    /* the body never carries it either */
    assert_null(strstr(sc.last_body, secret));
    llm_client_free(c);
    char *wal = xasprintf("%s-wal", path);
    assert_true(fileio_exists(path));
    assert_false(file_contains(path, secret));
    assert_false(file_contains(wal, secret));
    /* sanity: the search works on this file */
    assert_true(file_contains(path, "hello from the stub") ||
                file_contains(wal, "hello from the stub"));
    free(wal);
    tcfg_tmp_remove(path);
    stub_stop(s);
    tcfg_free(cfg);
    free(sc.last_body);
    pthread_mutex_destroy(&sc.mu);
    unsetenv("GRA_TEST_API_KEY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_and_accounting),
        cmocka_unit_test(test_retry_after_429),
        cmocka_unit_test(test_retry_after_honoured_within_cap),
        cmocka_unit_test(test_transient_then_ok),
        cmocka_unit_test(test_retries_exhausted),
        cmocka_unit_test(test_permanent_4xx),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_parse_budget),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_inflight_cap_and_replicas),
        cmocka_unit_test(test_rpm_limit),
        cmocka_unit_test(test_tpm_limit),
        cmocka_unit_test(test_embeddings),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_free_cancels_queued),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_api_key_secrecy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
