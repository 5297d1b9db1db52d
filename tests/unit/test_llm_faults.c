/* test_llm_faults: the client against serve-sim (in process) with 20% of the
 * requests faulted: 429 with Retry-After, 500, 503, dropped connections,
 * truncated bodies, malformed bodies and finish_reason "length". Every one of
 * 2000 requests must end in exactly one callback; successes plus recorded
 * failures equal the submissions; the stats agree with the callbacks. Then a
 * cached run: a first pass fills the cache, and a second pass pointed at a
 * dead endpoint (any network call would fail) is served entirely from it. */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/err.h"
#include "core/llm.h"
#include "core/simsrv.h"
#include "tests/support/test_cfg.h"

#define N_REQ 2000

struct run {
    int calls[N_REQ];
    int status[LLM_STATUS_COUNT];
    int hits;
    long retries_seen;
};

struct slot {
    struct run *run;
    int id;
};

static void on_done(void *ud, const struct llm_result *r)
{
    struct slot *s = ud;
    s->run->calls[s->id]++;
    s->run->status[r->status]++;
    s->run->hits += r->cache_hit;
    if (r->attempts > 1) s->run->retries_seen++;
    if (r->status == LLM_OK) assert_true(r->content_len > 0);
}

static struct simsrv *start_sim(double fault_total)
{
    struct simsrv_opts o;
    memset(&o, 0, sizeof o);
    o.host = "127.0.0.1";
    o.threads = 2;
    o.no_delay = true;
    double each = fault_total / 7.0;
    o.faults.rate_429 = each;
    o.faults.retry_after_s = 1;
    o.faults.rate_500 = each;
    o.faults.rate_503 = each;
    o.faults.rate_drop = each;
    o.faults.rate_truncated = each;
    o.faults.rate_malformed = each;
    o.faults.rate_length = each;
    o.faults.seed = 7;
    struct simsrv *s = NULL;
    if (simsrv_start(&o, &s) != 0) return NULL;
    return s;
}

static struct gra_config *sim_cfg(const char *url)
{
    struct gra_config *cfg = tcfg_new();
    cfg->client.backoff_base_ms = 5;
    cfg->client.backoff_cap_ms = 1000; /* Retry-After (1 s) fits under the cap */
    cfg->client.max_retries = 8;
    struct model_cfg *m = tcfg_add_model(cfg, "sim-small-7b", url);
    m->max_inflight = 64;
    m->params_b = 7;
    m->params = cJSON_Parse("{\"temperature\":0.7,\"max_tokens\":128}");
    return cfg;
}

static void submit_all(struct llm_client *c, struct slot *slots, struct run *run, bool allow_length)
{
    for (int i = 0; i < N_REQ; i++) {
        char text[96];
        snprintf(text, sizeof text, "Write one sentence about topic number %d.", i);
        cJSON *msgs = cJSON_CreateArray();
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "user");
        cJSON_AddStringToObject(m, "content", text);
        cJSON_AddItemToArray(msgs, m);
        slots[i].run = run;
        slots[i].id = i;
        struct llm_request rq = {.model = "sim-small-7b",
                                 .tag = i % 2 ? "reviewer" : "generator",
                                 .messages = msgs,
                                 .seed = 1000 + (uint64_t)i,
                                 .allow_length = allow_length,
                                 .done = on_done,
                                 .ud = &slots[i]};
        assert_int_equal(llm_submit(c, &rq), 0);
        cJSON_Delete(msgs);
    }
}

static long stat_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

static void test_faults_exactly_once(void **state)
{
    (void)state;
    struct simsrv *s = start_sim(0.20);
    assert_non_null(s);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", simsrv_port(s));
    struct gra_config *cfg = sim_cfg(url);
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct run *run = xcalloc(1, sizeof *run);
    struct slot *slots = xcalloc(N_REQ, sizeof *slots);
    submit_all(c, slots, run, false);
    assert_int_equal(llm_run(c), 0);

    int total = 0;
    for (int i = 0; i < N_REQ; i++) assert_int_equal(run->calls[i], 1); /* none lost, none twice */
    for (int k = 0; k < LLM_STATUS_COUNT; k++) total += run->status[k];
    assert_int_equal(total, N_REQ);
    printf("ok %d, length %d, parse %d, http %d, transport %d; requests retried %ld\n",
           run->status[LLM_OK], run->status[LLM_FAIL_LENGTH], run->status[LLM_FAIL_PARSE],
           run->status[LLM_FAIL_HTTP], run->status[LLM_FAIL_TRANSPORT], run->retries_seen);
    /* "length" is final (about 20%/7 of the requests); everything else is retried through */
    assert_true(run->status[LLM_FAIL_LENGTH] > N_REQ / 100);
    assert_true(run->status[LLM_FAIL_LENGTH] < N_REQ / 10);
    assert_true(run->status[LLM_OK] + run->status[LLM_FAIL_LENGTH] >= N_REQ - 2);
    assert_true(run->retries_seen > N_REQ / 10);

    struct llm_counters k;
    llm_counters(c, &k);
    assert_int_equal(k.done, N_REQ);
    assert_int_equal(k.queued, 0);
    assert_int_equal(k.inflight, 0);
    assert_int_equal(k.failures, N_REQ - run->status[LLM_OK]);

    cJSON *st = llm_stats_json(c);
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "models"), "sim-small-7b");
    assert_int_equal(stat_num(m, "calls"), N_REQ);
    assert_int_equal(stat_num(m, "truncations"), run->status[LLM_FAIL_LENGTH]);
    assert_int_equal(stat_num(m, "retries"), k.retries);
    const cJSON *f = cJSON_GetObjectItem(m, "failures");
    long fsum = 0;
    for (const cJSON *it = f ? f->child : NULL; it; it = it->next) fsum += (long)it->valuedouble;
    assert_int_equal(fsum, N_REQ - run->status[LLM_OK]);
    const cJSON *h = cJSON_GetObjectItem(m, "http_statuses");
    assert_true(stat_num(h, "429") > 0 && stat_num(h, "500") > 0 && stat_num(h, "503") > 0);
    const cJSON *tg = cJSON_GetObjectItem(st, "tags");
    assert_int_equal(stat_num(cJSON_GetObjectItem(tg, "generator"), "calls") +
                         stat_num(cJSON_GetObjectItem(tg, "reviewer"), "calls"),
                     N_REQ);
    cJSON_Delete(st);
    llm_client_free(c);
    free(run);
    free(slots);
    simsrv_stop(s);
    tcfg_free(cfg);
}

static void test_cached_second_pass(void **state)
{
    (void)state;
    struct simsrv *s = start_sim(0.20);
    assert_non_null(s);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", simsrv_port(s));
    struct gra_config *cfg = sim_cfg(url);
    char *path = tcfg_tmp_path("faults-cache");
    struct llm_client *c = NULL;
    struct llm_client_opts o = {.quiet = true, .cache_path = path};
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    struct run *run = xcalloc(1, sizeof *run);
    struct slot *slots = xcalloc(N_REQ, sizeof *slots);
    submit_all(c, slots, run, true);
    assert_int_equal(llm_run(c), 0);
    assert_int_equal(run->status[LLM_OK], N_REQ);
    llm_client_free(c);
    simsrv_stop(s);

    /* pass 2: nothing listens at the endpoint any more; a network call would fail */
    struct run *run2 = xcalloc(1, sizeof *run2);
    assert_int_equal(llm_client_new(cfg, &o, &c), 0);
    submit_all(c, slots, run2, true);
    assert_int_equal(llm_run(c), 0);
    assert_int_equal(run2->status[LLM_OK], N_REQ);
    assert_int_equal(run2->hits, N_REQ);
    for (int i = 0; i < N_REQ; i++) assert_int_equal(run2->calls[i], 1);
    cJSON *st = llm_stats_json(c);
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "models"), "sim-small-7b");
    assert_int_equal(stat_num(m, "calls"), N_REQ);
    assert_int_equal(stat_num(m, "cache_hits"), N_REQ);
    assert_int_equal(stat_num(m, "retries"), 0);
    cJSON_Delete(st);
    llm_client_free(c);
    free(run);
    free(run2);
    free(slots);
    tcfg_tmp_remove(path);
    tcfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults_exactly_once),
        cmocka_unit_test(test_cached_second_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
