/* test_cache: the call cache and its keys. Keys are stable across runs (a
 * recorded constant) and change with the model, any message, any parameter
 * (request or model default), the schema and its name, and the seed; they do
 * not change with the endpoint, the API key or parameter key order. put/get
 * round trips, a damaged value reads as a miss and is named by verify, replay
 * mode fails a miss without touching the network, and a second pass over the
 * same requests is served from the cache with zero network calls. */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/cache.h"
#include "core/commands.h"
#include "core/config.h"
#include "core/err.h"
#include "core/llm.h"
#include "tests/support/stub_server.h"
#include "tests/support/test_cfg.h"

/* Computed once from the fixed request in fx_init() and recorded here (it is
 * also what Python gives: sha256 of json.dumps(obj, sort_keys=True,
 * separators=(",", ":"), ensure_ascii=False) of the canonical object). If it
 * changes, every existing cache is invalidated, so it must never change by
 * accident. */
#define RECORDED_KEY "efd2a6feab0d217c695a24f60fca8ab3b8cf10e3bc23c3a0d3aa7605a07f0f3b"

struct fixture {
    struct gra_config *cfg;
    cJSON *messages, *params, *schema;
    struct llm_request req;
};

static void fx_init(struct fixture *f)
{
    f->cfg = tcfg_new();
    struct model_cfg *m = tcfg_add_model(f->cfg, "gen", "http://127.0.0.1:1/v1");
    free(m->served_name);
    m->served_name = xstrdup("Qwen2.5-7B-Instruct");
    m->params = cJSON_Parse("{\"temperature\":0.7,\"max_tokens\":512}");
    tcfg_add_model(f->cfg, "other", "http://127.0.0.1:1/v1");
    f->messages = cJSON_Parse("[{\"role\":\"system\",\"content\":\"You are a reviewer.\"},"
                              "{\"role\":\"user\",\"content\":\"Rate: \\\"2+2=4\\\" \\u00e9\"}]");
    f->params = cJSON_Parse("{\"top_p\":0.9}");
    f->schema =
        cJSON_Parse("{\"type\":\"object\",\"properties\":{\"score\":{\"type\":\"integer\"}}}");
    memset(&f->req, 0, sizeof f->req);
    f->req.model = "gen";
    f->req.messages = f->messages;
    f->req.params = f->params;
    f->req.schema = f->schema;
    f->req.schema_name = "gra_review";
    f->req.seed = 20250417;
}

static void fx_free(struct fixture *f)
{
    cJSON_Delete(f->messages);
    cJSON_Delete(f->params);
    cJSON_Delete(f->schema);
    tcfg_free(f->cfg);
}

static void key_of(struct fixture *f, char out[65])
{
    assert_int_equal(llm_request_key(f->cfg, &f->req, out), 0);
}

static void test_key_stable(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    char k[65];
    key_of(&f, k);
    printf("recorded key: %s\n", k);
    assert_string_equal(k, RECORDED_KEY);
    /* independent of the endpoint, the API key and the order of keys */
    free(f.cfg->models[0].endpoints[0]);
    f.cfg->models[0].endpoints[0] = xstrdup("https://elsewhere.example/v1");
    f.cfg->models[0].api_key_env = xstrdup("SOME_KEY");
    cJSON_Delete(f.cfg->models[0].params);
    f.cfg->models[0].params = cJSON_Parse("{\"max_tokens\":512,\"temperature\":0.7}");
    char k2[65];
    key_of(&f, k2);
    assert_string_equal(k, k2);
    /* a request parameter equal to the default is the same merged request */
    cJSON_AddNumberToObject(f.params, "temperature", 0.7);
    key_of(&f, k2);
    assert_string_equal(k, k2);
    fx_free(&f);
}

static void test_key_changes(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    char base[65], k[65];
    key_of(&f, base);

    f.req.model = "other"; /* another served model */
    key_of(&f, k);
    assert_string_not_equal(base, k);
    f.req.model = "gen";

    free(f.cfg->models[0].served_name); /* same config name, other served name */
    f.cfg->models[0].served_name = xstrdup("Qwen2.5-7B-Instruct-AWQ");
    key_of(&f, k);
    assert_string_not_equal(base, k);
    free(f.cfg->models[0].served_name);
    f.cfg->models[0].served_name = xstrdup("Qwen2.5-7B-Instruct");
    key_of(&f, k);
    assert_string_equal(base, k);

    cJSON *c = cJSON_GetObjectItem(cJSON_GetArrayItem(f.messages, 1), "content");
    cJSON_SetValuestring(c, "Rate: \"2+2=5\" \xc3\xa9"); /* one message changed */
    key_of(&f, k);
    assert_string_not_equal(base, k);
    cJSON_SetValuestring(c, "Rate: \"2+2=4\" \xc3\xa9");
    key_of(&f, k);
    assert_string_equal(base, k);

    cJSON_ReplaceItemInObject(f.params, "top_p", cJSON_CreateNumber(0.95)); /* a parameter */
    key_of(&f, k);
    assert_string_not_equal(base, k);
    cJSON_ReplaceItemInObject(f.params, "top_p", cJSON_CreateNumber(0.9));

    cJSON_ReplaceItemInObject(f.cfg->models[0].params, "max_tokens", cJSON_CreateNumber(256));
    key_of(&f, k); /* a model default */
    assert_string_not_equal(base, k);
    cJSON_ReplaceItemInObject(f.cfg->models[0].params, "max_tokens", cJSON_CreateNumber(512));

    cJSON_AddNumberToObject(f.params, "temperature", 0.2); /* request overrides default */
    key_of(&f, k);
    assert_string_not_equal(base, k);
    cJSON_DeleteItemFromObject(f.params, "temperature");

    cJSON_AddBoolToObject(f.schema, "additionalProperties", 0); /* the schema */
    key_of(&f, k);
    assert_string_not_equal(base, k);
    cJSON_DeleteItemFromObject(f.schema, "additionalProperties");

    f.req.schema_name = "gra_review_v2"; /* the schema name */
    key_of(&f, k);
    assert_string_not_equal(base, k);
    f.req.schema_name = "gra_review";

    f.req.schema = NULL; /* no schema at all */
    key_of(&f, k);
    assert_string_not_equal(base, k);
    f.req.schema = f.schema;

    f.req.seed++; /* the seed */
    key_of(&f, k);
    assert_string_not_equal(base, k);
    f.req.seed = 20250417 + (1ULL << 40); /* seeds differing above 32 bits differ */
    key_of(&f, k);
    assert_string_not_equal(base, k);
    f.req.seed = 20250417;

    key_of(&f, k);
    assert_string_equal(base, k);
    fx_free(&f);
}

static void test_put_get(void **state)
{
    (void)state;
    char *path = tcfg_tmp_path("cache-putget");
    struct cache *c = NULL;
    assert_int_equal(cache_open(path, false, &c), 0);
    char key[65];
    memset(key, 'a', 64);
    key[64] = 0;
    char *v = NULL;
    size_t n = 0;
    assert_int_equal(cache_get(c, key, &v, &n, NULL), GRA_ENOENT);
    const char body[] = "{\"choices\":[]}\0binary";
    assert_int_equal(cache_put(c, key, "m", body, sizeof body, 12.5), 0);
    /* visible inside the open batch */
    assert_int_equal(cache_get(c, key, &v, &n, NULL), 0);
    assert_int_equal(n, sizeof body);
    assert_memory_equal(v, body, sizeof body);
    free(v);
    assert_int_equal(cache_close(c), 0);
    /* and after reopening (committed on close), with the call's latency */
    assert_int_equal(cache_open(path, true, &c), 0);
    double lat = -1;
    assert_int_equal(cache_get(c, key, &v, &n, &lat), 0);
    assert_memory_equal(v, body, sizeof body);
    assert_true(lat == 12.5);
    free(v);
    cJSON *st = NULL;
    assert_int_equal(cache_stats(c, &st), 0);
    assert_int_equal(cJSON_GetObjectItem(st, "entries")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "models"), "m")->valueint, 1);
    cJSON_Delete(st);
    long checked, bad;
    assert_int_equal(cache_verify(c, NULL, NULL, &checked, &bad), 0);
    assert_int_equal(checked, 1);
    assert_int_equal(bad, 0);
    cache_close(c);
    /* the CLI agrees */
    char *av1[] = {"cache", "verify", path, NULL};
    assert_int_equal(cmd_cache(3, av1), GRA_EXIT_OK);
    char *av2[] = {"cache", "stats", "--json", path, NULL};
    assert_int_equal(cmd_cache(4, av2), GRA_EXIT_OK);
    char *av3[] = {"cache", "frobnicate", path, NULL};
    assert_int_equal(cmd_cache(3, av3), GRA_EXIT_USAGE);

    /* damage the value behind the cache's back: a miss, and verify names it */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE calls SET value = 'tampered'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cache_open(path, true, &c), 0);
    assert_int_equal(cache_get(c, key, &v, &n, NULL), GRA_ENOENT);
    assert_int_equal(cache_verify(c, NULL, NULL, &checked, &bad), 0);
    assert_int_equal(bad, 1);
    cache_close(c);
    assert_int_equal(cmd_cache(3, av1), GRA_EXIT_IO);
    /* a read-only open of a missing file is ENOENT, not a new file */
    char *missing = tcfg_tmp_path("cache-missing");
    assert_int_equal(cache_open(missing, true, &c), GRA_ENOENT);
    char *av4[] = {"cache", "stats", missing, NULL};
    assert_int_equal(cmd_cache(3, av4), GRA_EXIT_IO);
    assert_int_equal(access(missing, F_OK), -1);
    /* another SQLite file is refused and left as it was (not switched to WAL) */
    assert_int_equal(sqlite3_open(missing, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE notes(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cache_open(missing, false, &c), GRA_ECACHE);
    assert_int_equal(cache_open(missing, true, &c), GRA_ECACHE);
    assert_int_equal(sqlite3_open(missing, &db), SQLITE_OK);
    sqlite3_stmt *jm;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &jm, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(jm), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(jm, 0), "delete");
    sqlite3_finalize(jm);
    sqlite3_close(db);
    tcfg_tmp_remove(missing);
    tcfg_tmp_remove(path);
}

struct got {
    int n, ok, miss, hits;
};

static void on_done(void *ud, const struct llm_result *r)
{
    struct got *g = ud;
    g->n++;
    g->ok += r->status == LLM_OK;
    g->miss += r->status == LLM_FAIL_MISS;
    g->hits += r->cache_hit;
}

static void submit_all(struct llm_client *c, struct fixture *f, int n, struct got *g)
{
    f->req.schema = NULL;
    f->req.done = on_done;
    f->req.ud = g;
    for (int i = 0; i < n; i++) {
        f->req.seed = (uint64_t)i;
        assert_int_equal(llm_submit(c, &f->req), 0);
    }
}

static void test_client_cache_and_replay(void **state)
{
    (void)state;
    struct stub_server *s = stub_start(NULL, NULL);
    assert_non_null(s);
    struct fixture f;
    fx_init(&f);
    free(f.cfg->models[0].endpoints[0]);
    f.cfg->models[0].endpoints[0] = xstrdup(stub_url(s));
    char *path = tcfg_tmp_path("cache-client");
    struct llm_client_opts o = {.quiet = true, .cache_path = path};
    struct llm_client *c = NULL;

    /* replay on an empty cache: every request fails with LLM_FAIL_MISS, none
     * is sent, and the run ends with GRA_EMISS */
    o.replay = true;
    assert_int_equal(llm_client_new(f.cfg, &o, &c), 0);
    struct got g = {0};
    submit_all(c, &f, 10, &g);
    assert_int_equal(llm_run(c), GRA_EMISS);
    assert_int_equal(g.n, 10);
    assert_int_equal(g.miss, 10);
    assert_int_equal(g.ok, 0);
    assert_int_equal(stub_requests(s), 0);
    /* and the client stays failed */
    submit_all(c, &f, 1, &g);
    assert_int_equal(llm_run(c), GRA_EMISS);
    assert_int_equal(g.n, 11);
    llm_client_free(c);

    /* first pass fills the cache */
    o.replay = false;
    assert_int_equal(llm_client_new(f.cfg, &o, &c), 0);
    memset(&g, 0, sizeof g);
    submit_all(c, &f, 100, &g);
    assert_int_equal(llm_run(c), 0);
    assert_int_equal(g.ok, 100);
    assert_int_equal(g.hits, 0);
    assert_int_equal(stub_requests(s), 100);
    llm_client_free(c);

    /* second pass, replay mode: all hits, zero network calls */
    o.replay = true;
    assert_int_equal(llm_client_new(f.cfg, &o, &c), 0);
    memset(&g, 0, sizeof g);
    submit_all(c, &f, 100, &g);
    assert_int_equal(llm_run(c), 0);
    assert_int_equal(g.ok, 100);
    assert_int_equal(g.hits, 100);
    assert_int_equal(stub_requests(s), 100);
    cJSON *st = llm_stats_json(c);
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "models"), "gen");
    assert_int_equal(cJSON_GetObjectItem(m, "cache_hits")->valueint, 100);
    cJSON_Delete(st);
    llm_client_free(c);

    fx_free(&f);
    tcfg_tmp_remove(path);
    stub_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_stable),
        cmocka_unit_test(test_key_changes),
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_client_cache_and_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
