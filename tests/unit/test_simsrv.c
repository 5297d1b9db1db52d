/*
 * test_simsrv: serve-sim started in this process on a free port and called
 * over real HTTP with libcurl: the OpenAI shapes, determinism, streaming,
 * embeddings, errors, every fault type at its rate, role dispatch, latency
 * without a thread per sleeping request, and the model file checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/simsrv.h"

struct resp {
    long status;
    CURLcode cc;
    struct buf body;
    char retry_after[32];
    char ctype[64];
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    buf_append(&r->body, p, sz * n);
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    size_t len = sz * n;
    char line[256];
    size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, p, k);
    line[k] = '\0';
    while (k && (line[k - 1] == '\r' || line[k - 1] == '\n')) line[--k] = '\0';
    if (strncasecmp(line, "Retry-After:", 12) == 0)
        snprintf(r->retry_after, sizeof r->retry_after, "%.31s", line + 13);
    if (strncasecmp(line, "Content-Type:", 13) == 0)
        snprintf(r->ctype, sizeof r->ctype, "%.63s", line + 14);
    return len;
}

/* One request on a reused easy handle (keep-alive). body NULL = GET. */
static bool fresh_connections; /* no keep-alive (libcurl silently retries a request
                                  whose reused connection closed without a reply) */

static void call(CURL *h, int port, const char *method, const char *path, const char *body,
                 struct resp *r)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    memset(r, 0, sizeof *r);
    buf_init(&r->body, 0);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    if (fresh_connections) {
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    }
    struct curl_slist *hd = NULL;
    if (body) {
        hd = curl_slist_append(hd, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (method) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    r->cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hd);
}

static struct simsrv *start(const struct simsrv_opts *o)
{
    struct simsrv *s = NULL;
    assert_int_equal(simsrv_start(o, &s), 0);
    assert_non_null(s);
    assert_true(simsrv_port(s) > 0);
    return s;
}

static struct simsrv *start_default(void)
{
    struct simsrv_opts o = {0};
    o.no_delay = true;
    o.threads = 2;
    return start(&o);
}

static cJSON *parse(const struct resp *r)
{
    cJSON *j = cJSON_ParseWithLengthOpts(r->body.data, r->body.len, NULL, 0);
    if (!j) fprintf(stderr, "not JSON: %.300s\n", r->body.data);
    assert_non_null(j);
    return j;
}

static const char *chat_content(const cJSON *j)
{
    const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), 0);
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(ch, "message"), "content");
    assert_true(cJSON_IsString(c));
    return c->valuestring;
}

static char *tmp_path(const char *name)
{
    const char *dir = getenv("GRA_TEST_TMP");
    if (!dir || !*dir) dir = "/tmp";
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0) fail_msg("cannot create %s", dir);
    return xasprintf("%s/test_simsrv_%d_%s", dir, (int)getpid(), name);
}

static char *write_tmp(const char *name, const char *text)
{
    char *p = tmp_path(name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static const char *CHAT =
    "{\"model\":\"sim-small-7b\",\"temperature\":0.7,\"messages\":[{\"role\":\"system\","
    "\"content\":\"You are helpful.\"},{\"role\":\"user\",\"content\":\"Explain why the sky is "
    "blue in two sentences.\"}]}";

/* ---- tests ---- */

static void test_models_list(void **st)
{
    (void)st;
    struct simsrv *s = start_default();
    CURL *h = curl_easy_init();
    struct resp r;
    call(h, simsrv_port(s), NULL, "/v1/models", NULL, &r);
    assert_int_equal(r.cc, CURLE_OK);
    assert_int_equal(r.status, 200);
    cJSON *j = parse(&r);
    assert_string_equal(cJSON_GetObjectItem(j, "object")->valuestring, "list");
    const cJSON *data = cJSON_GetObjectItem(j, "data"), *m;
    assert_true(cJSON_GetArraySize(data) >= 3);
    bool small = false, embed = false;
    cJSON_ArrayForEach(m, data) {
        assert_string_equal(cJSON_GetObjectItem(m, "object")->valuestring, "model");
        assert_non_null(strstr(cJSON_GetObjectItem(m, "owned_by")->valuestring, "SIMULATED"));
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(m, "created")));
        small |= strcmp(cJSON_GetObjectItem(m, "id")->valuestring, "sim-small-7b") == 0;
        embed |= strcmp(cJSON_GetObjectItem(m, "id")->valuestring, "sim-embed") == 0;
    }
    assert_true(small && embed);
    cJSON_Delete(j);
    buf_release(&r.body);
    call(h, simsrv_port(s), NULL, "/v1/models/sim-embed", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "\"id\":\"sim-embed\""));
    buf_release(&r.body);
    call(h, simsrv_port(s), NULL, "/v1/models/none", NULL, &r);
    assert_int_equal(r.status, 404);
    buf_release(&r.body);
    curl_easy_cleanup(h);
    simsrv_stop(s);
}

static void test_chat_shape_and_determinism(void **st)
{
    (void)st;
    struct simsrv *s = start_default();
    CURL *h = curl_easy_init();
    struct resp a, b, c;
    call(h, simsrv_port(s), NULL, "/v1/chat/completions", CHAT, &a);
    call(h, simsrv_port(s), NULL, "/v1/chat/completions", CHAT, &b);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.ctype, "application/json");
    assert_string_equal(a.body.data, b.body.data); /* byte-identical */
    cJSON *j = parse(&a);
    assert_string_equal(cJSON_GetObjectItem(j, "object")->valuestring, "chat.completion");
    assert_string_equal(cJSON_GetObjectItem(j, "model")->valuestring, "sim-small-7b");
    assert_string_equal(cJSON_GetObjectItem(j, "system_fingerprint")->valuestring, "gra-sim-SIMULATED");
    assert_true(strncmp(cJSON_GetObjectItem(j, "id")->valuestring, "chatcmpl-", 9) == 0);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "created")));
    const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), 0);
    assert_string_equal(cJSON_GetObjectItem(ch, "finish_reason")->valuestring, "stop");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(ch, "message"), "role")->valuestring,
                        "assistant");
    const char *content = chat_content(j);
    assert_non_null(strstr(content, "SIMULATED"));
    assert_non_null(strstr(content, "sky")); /* derived from the user's message */
    const cJSON *u = cJSON_GetObjectItem(j, "usage");
    int pt = cJSON_GetObjectItem(u, "prompt_tokens")->valueint;
    int ct = cJSON_GetObjectItem(u, "completion_tokens")->valueint;
    assert_true(pt > 5 && ct > 5);
    assert_int_equal(cJSON_GetObjectItem(u, "total_tokens")->valueint, pt + ct);

    /* the same request with its keys in another order is the same request */
    call(h, simsrv_port(s), NULL, "/v1/chat/completions",
         "{\"messages\":[{\"content\":\"You are helpful.\",\"role\":\"system\"},{\"role\":\"user\","
         "\"content\":\"Explain why the sky is blue in two sentences.\"}],\"temperature\":0.7,"
         "\"model\":\"sim-small-7b\"}", &c);
    cJSON *jc = parse(&c);
    assert_string_equal(chat_content(jc), content);
    cJSON_Delete(jc);
    buf_release(&c.body);

    /* another seed, another model: other replies */
    call(h, simsrv_port(s), NULL, "/v1/chat/completions",
         "{\"model\":\"sim-small-7b\",\"seed\":2,\"temperature\":0.7,\"messages\":[{\"role\":\"system\","
         "\"content\":\"You are helpful.\"},{\"role\":\"user\",\"content\":\"Explain why the sky is "
         "blue in two sentences.\"}]}", &c);
    jc = parse(&c);
    assert_string_not_equal(chat_content(jc), content);
    cJSON_Delete(jc);
    buf_release(&c.body);
    call(h, simsrv_port(s), NULL, "/v1/chat/completions",
         "{\"model\":\"sim-large-72b\",\"temperature\":0.7,\"messages\":[{\"role\":\"system\","
         "\"content\":\"You are helpful.\"},{\"role\":\"user\",\"content\":\"Explain why the sky is "
         "blue in two sentences.\"}]}", &c);
    jc = parse(&c);
    assert_string_not_equal(chat_content(jc), content);
    assert_string_equal(cJSON_GetObjectItem(jc, "model")->valuestring, "sim-large-72b");
    cJSON_Delete(jc);
    buf_release(&c.body);

    /* n = 3: three choices, choice 0 is the n = 1 reply */
    call(h, simsrv_port(s), NULL, "/v1/chat/completions",
         "{\"model\":\"sim-small-7b\",\"n\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}", &c);
    jc = parse(&c);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(jc, "choices")), 3);
    cJSON_Delete(jc);
    buf_release(&c.body);

    /* max_tokens cuts a generic reply with finish_reason "length" */
    call(h, simsrv_port(s), NULL, "/v1/chat/completions",
         "{\"model\":\"sim-small-7b\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}", &c);
    jc = parse(&c);
    ch = cJSON_GetArrayItem(cJSON_GetObjectItem(jc, "choices"), 0);
    assert_string_equal(cJSON_GetObjectItem(ch, "finish_reason")->valuestring, "length");
    assert_true(strlen(chat_content(jc)) <= 20);
    cJSON_Delete(jc);
    buf_release(&c.body);

    cJSON_Delete(j);
    buf_release(&a.body);
    buf_release(&b.body);
    curl_easy_cleanup(h);
    simsrv_stop(s);
}

static void test_stream_matches_plain(void **st)
{
    (void)st;
    struct simsrv *s = start_default();
    CURL *h = curl_easy_init();
    struct resp plain, sse;
    call(h, simsrv_port(s), NULL, "/v1/chat/completions", CHAT, &plain);
    cJSON *pj = parse(&plain);
    char *streamed = xasprintf("%.*s,\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
                               (int)strlen(CHAT) - 1, CHAT);
    call(h, simsrv_port(s), NULL, "/v1/chat/completions", streamed, &sse);
    free(streamed);
    assert_int_equal(sse.status, 200);
    assert_string_equal(sse.ctype, "text/event-stream");
    struct buf text = BUF_INIT;
    int chunks = 0, done = 0;
    const char *finish = NULL;
    cJSON *usage = NULL;
    char *save = NULL;
    for (char *line = strtok_r(sse.body.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        assert_true(strncmp(line, "data: ", 6) == 0);
        assert_int_equal(done, 0); /* nothing after [DONE] */
        if (strcmp(line + 6, "[DONE]") == 0) {
            done = 1;
            continue;
        }
        cJSON *c = cJSON_Parse(line + 6);
        assert_non_null(c);
        assert_string_equal(cJSON_GetObjectItem(c, "object")->valuestring, "chat.completion.chunk");
        chunks++;
        const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0);
        if (ch) {
            const cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(ch, "delta"), "content");
            if (cJSON_IsString(d)) buf_puts(&text, d->valuestring);
            const cJSON *fr = cJSON_GetObjectItem(ch, "finish_reason");
            if (cJSON_IsString(fr)) finish = strcmp(fr->valuestring, "stop") == 0 ? "stop" : "other";
        }
        const cJSON *u = cJSON_GetObjectItem(c, "usage");
        if (cJSON_IsObject(u)) {
            assert_null(usage);
            usage = cJSON_Duplicate(u, 1);
        }
        cJSON_Delete(c);
    }
    assert_int_equal(done, 1);
    assert_true(chunks >= 4);
    assert_non_null(finish);
    assert_string_equal(finish, "stop");
    assert_string_equal(text.data, chat_content(pj));
    assert_non_null(usage);
    assert_true(cJSON_Compare(usage, cJSON_GetObjectItem(pj, "usage"), 1));
    cJSON_Delete(usage);
    buf_release(&text);
    cJSON_Delete(pj);
    buf_release(&plain.body);
    buf_release(&sse.body);
    curl_easy_cleanup(h);
    simsrv_stop(s);
}

static const char *S20 = "the quick brown fox jumps over the lazy dog while seven old farmers "
                         "watch the river flow past green hills today";
static const char *S20b = "the quick brown fox jumps over the lazy cat while seven old farmers "
                          "watch the river flow past green hills today";
static const char *SOTHER = "Compute the derivative of x squared plus three x minus five, then "
                            "evaluate it at two.";

static void test_embed_function(void **st)
{
    (void)st;
    float a[384], b[384], c[384], e1[384], e2[384];
    sim_embed(S20, 384, a);
    sim_embed(S20b, 384, b);
    sim_embed(SOTHER, 384, c);
    double na = sim_embed_cosine(a, a, 384);
    assert_true(fabs(na - 1.0) < 1e-5);
    double near = sim_embed_cosine(a, b, 384), far = sim_embed_cosine(a, c, 384);
    fprintf(stderr, "sim_embed: one word changed in 20: cos %.3f; unrelated: cos %.3f\n", near, far);
    assert_true(near > 0.9);
    assert_true(fabs(far) < 0.25);
    /* case and punctuation do not matter; empty text is still a unit vector */
    sim_embed("The QUICK, brown fox!", 384, e1);
    sim_embed("the quick brown fox", 384, e2);
    assert_true(sim_embed_cosine(e1, e2, 384) > 0.999);
    sim_embed("", 384, e1);
    assert_true(fabs(sim_embed_cosine(e1, e1, 384) - 1.0) < 1e-6);
    /* many unrelated pairs: mean |cos| small */
    double sum = 0;
    int n = 0;
    char t1[64], t2[64];
    for (int i = 0; i < 50; i++) {
        snprintf(t1, sizeof t1, "alpha%d beta%d gamma%d delta", i, i * 7, i * 13);
        snprintf(t2, sizeof t2, "omega%d sigma%d kappa%d zeta", i * 3, i * 5, i * 11);
        sim_embed(t1, 384, e1);
        sim_embed(t2, 384, e2);
        sum += fabs(sim_embed_cosine(e1, e2, 384));
        n++;
    }
    assert_true(sum / n < 0.12);
}

static void test_embeddings_http(void **st)
{
    (void)st;
    struct simsrv *s = start_default();
    CURL *h = curl_easy_init();
    struct resp r;
    char *body = xasprintf("{\"model\":\"sim-embed\",\"input\":[\"%s\",\"%s\"]}", S20, S20b);
    call(h, simsrv_port(s), NULL, "/v1/embeddings", body, &r);
    free(body);
    assert_int_equal(r.status, 200);
    cJSON *j = parse(&r);
    assert_string_equal(cJSON_GetObjectItem(j, "object")->valuestring, "list");
    const cJSON *data = cJSON_GetObjectItem(j, "data");
    assert_int_equal(cJSON_GetArraySize(data), 2);
    float v[2][384];
    for (int i = 0; i < 2; i++) {
        const cJSON *d = cJSON_GetArrayItem(data, i);
        assert_int_equal(cJSON_GetObjectItem(d, "index")->valueint, i);
        assert_string_equal(cJSON_GetObjectItem(d, "object")->valuestring, "embedding");
        const cJSON *e = cJSON_GetObjectItem(d, "embedding");
        assert_int_equal(cJSON_GetArraySize(e), 384);
        for (int k = 0; k < 384; k++) v[i][k] = (float)cJSON_GetArrayItem(e, k)->valuedouble;
    }
    assert_true(sim_embed_cosine(v[0], v[1], 384) > 0.9);
    float ref[384];
    sim_embed(S20, 384, ref);
    for (int k = 0; k < 384; k++) assert_true(fabsf(ref[k] - v[0][k]) < 1e-6f);
    const cJSON *u = cJSON_GetObjectItem(j, "usage");
    assert_true(cJSON_GetObjectItem(u, "prompt_tokens")->valueint > 0);
    cJSON_Delete(j);
    buf_release(&r.body);

    /* base64 (the official clients' default) decodes to the same floats */
    body = xasprintf("{\"model\":\"sim-embed\",\"input\":\"%s\",\"encoding_format\":\"base64\"}", S20);
    call(h, simsrv_port(s), NULL, "/v1/embeddings", body, &r);
    free(body);
    j = parse(&r);
    const char *b64 = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "data"), 0),
                                          "embedding")->valuestring;
    assert_int_equal(strlen(b64), (384 * 4 + 2) / 3 * 4);
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char bytes[384 * 4 + 3];
    size_t nb = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (const char *p = b64; *p && *p != '='; p++) {
        acc = acc << 6 | (uint32_t)(strchr(tbl, *p) - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes[nb++] = (unsigned char)(acc >> bits);
        }
    }
    assert_int_equal(nb, 384 * 4);
    for (int k = 0; k < 384; k++) {
        uint32_t w = bytes[4 * k] | (uint32_t)bytes[4 * k + 1] << 8 | (uint32_t)bytes[4 * k + 2] << 16 |
                     (uint32_t)bytes[4 * k + 3] << 24;
        float f;
        memcpy(&f, &w, 4);
        assert_true(f == ref[k]);
    }
    cJSON_Delete(j);
    buf_release(&r.body);

    /* dimensions */
    call(h, simsrv_port(s), NULL, "/v1/embeddings",
         "{\"model\":\"sim-embed\",\"input\":\"x y z\",\"dimensions\":16}", &r);
    j = parse(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
                         cJSON_GetArrayItem(cJSON_GetObjectItem(j, "data"), 0), "embedding")), 16);
    cJSON_Delete(j);
    buf_release(&r.body);
    curl_easy_cleanup(h);
    simsrv_stop(s);
}

static void expect_error(CURL *h, int port, const char *method, const char *path, const char *body,
                         long status, const char *param, const char *code)
{
    struct resp r;
    call(h, port, method, path, body, &r);
    assert_int_equal(r.cc, CURLE_OK);
    if (r.status != status) fprintf(stderr, "%s %s: %ld %s\n", method ? method : "", path, r.status, r.body.data);
    assert_int_equal(r.status, status);
    cJSON *j = parse(&r);
    const cJSON *e = cJSON_GetObjectItem(j, "error");
    assert_true(cJSON_IsObject(e));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(e, "message")));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(e, "type")));
    const cJSON *p = cJSON_GetObjectItem(e, "param"), *c = cJSON_GetObjectItem(e, "code");
    assert_non_null(p);
    assert_non_null(c);
    if (param) assert_string_equal(p->valuestring, param);
    else assert_true(cJSON_IsNull(p));
    if (code) assert_string_equal(c->valuestring, code);
    else assert_true(cJSON_IsNull(c));
    cJSON_Delete(j);
    buf_release(&r.body);
}

static void test_errors(void **st)
{
    (void)st;
    struct simsrv *s = start_default();
    CURL *h = curl_easy_init();
    int p = simsrv_port(s);
    expect_error(h, p, NULL, "/v1/chat/completions", "{\"model\": ", 400, NULL, NULL);
    expect_error(h, p, NULL, "/v1/chat/completions", "[1,2]", 400, NULL, NULL);
    expect_error(h, p, NULL, "/v1/chat/completions",
                 "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 404,
                 "model", "model_not_found");
    expect_error(h, p, NULL, "/v1/embeddings", "{\"model\":\"gpt-9\",\"input\":\"x\"}", 404, "model",
                 "model_not_found");
    expect_error(h, p, NULL, "/v1/chat/completions", "{\"messages\":[]}", 400, "model", NULL);
    expect_error(h, p, NULL, "/v1/chat/completions", "{\"model\":\"sim-small-7b\"}", 400, "messages", NULL);
    expect_error(h, p, NULL, "/v1/chat/completions",
                 "{\"model\":\"sim-small-7b\",\"messages\":[{\"content\":\"x\"}]}", 400, "messages", NULL);
    expect_error(h, p, NULL, "/v1/chat/completions",
                 "{\"model\":\"sim-small-7b\",\"n\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                 400, "n", NULL);
    expect_error(h, p, NULL, "/v1/embeddings", "{\"model\":\"sim-embed\"}", 400, "input", NULL);
    expect_error(h, p, NULL, "/v1/embeddings", "{\"model\":\"sim-embed\",\"input\":[[1,2]]}", 400, "input", NULL);
    expect_error(h, p, NULL, "/v1/embeddings",
                 "{\"model\":\"sim-embed\",\"input\":\"x\",\"encoding_format\":\"hex\"}", 400,
                 "encoding_format", NULL);
    expect_error(h, p, NULL, "/v1/chat/completions", NULL, 405, NULL, "method_not_allowed");
    expect_error(h, p, "DELETE", "/v1/models", NULL, 405, NULL, "method_not_allowed");
    expect_error(h, p, NULL, "/v1/completions", "{}", 404, NULL, "unknown_url");
    expect_error(h, p, NULL, "/", NULL, 404, NULL, "unknown_url");

    /* a body over the cap: 413 (announced by Content-Length, answered before upload) */
    size_t big = (32u << 20) + 16;
    char *huge = xmalloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    struct resp r;
    call(h, p, NULL, "/v1/chat/completions", huge, &r);
    free(huge);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body.data, "request_too_large"));
    buf_release(&r.body);
    curl_easy_cleanup(h);
    simsrv_stop(s);
}

/* ---- faults ---- */

enum outcome { O_OK, O_DROP, O_429, O_500, O_503, O_TRUNC, O_MALFORMED, O_LENGTH, O_OTHER };

static enum outcome classify(const struct resp *r)
{
    if (r->cc == CURLE_GOT_NOTHING) return O_DROP;
    if (r->cc == CURLE_PARTIAL_FILE) return O_TRUNC;
    if (r->cc != CURLE_OK) return O_OTHER;
    if (r->status == 429) return r->retry_after[0] && strstr(r->body.data, "rate_limit_exceeded") ? O_429 : O_OTHER;
    if (r->status == 500) return strstr(r->body.data, "\"server_error\"") ? O_500 : O_OTHER;
    if (r->status == 503) return strstr(r->body.data, "\"error\"") ? O_503 : O_OTHER;
    if (r->status != 200) return O_OTHER;
    cJSON *j = cJSON_ParseWithLengthOpts(r->body.data, r->body.len, NULL, 0);
    if (!j) return O_MALFORMED;
    const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), 0);
    const cJSON *fr = cJSON_GetObjectItem(ch, "finish_reason");
    enum outcome o = O_OTHER;
    if (cJSON_IsString(fr)) o = strcmp(fr->valuestring, "length") == 0 ? O_LENGTH : O_OK;
    cJSON_Delete(j);
    return o;
}

static void fault_rate(size_t off, enum outcome want)
{
    struct simsrv_opts o = {0};
    o.no_delay = true;
    o.threads = 2;
    o.faults.retry_after_s = 2;
    o.faults.seed = 99;
    const double rate = 0.25;
    *(double *)((char *)&o.faults + off) = rate; /* the one rate under test */
    struct simsrv *s = start(&o);
    CURL *h = curl_easy_init();
    fresh_connections = want == O_DROP;
    int counts[O_OTHER + 1] = {0};
    const int N = 400;
    for (int i = 0; i < N; i++) {
        char body[200];
        snprintf(body, sizeof body,
                 "{\"model\":\"sim-small-7b\",\"messages\":[{\"role\":\"user\",\"content\":\"question %d\"}]}", i);
        struct resp r;
        call(h, simsrv_port(s), NULL, "/v1/chat/completions", body, &r);
        enum outcome oc = classify(&r);
        if (oc == O_429) assert_string_equal(r.retry_after, "2");
        counts[oc]++;
        buf_release(&r.body);
    }
    double got = (double)counts[want] / N;
    fprintf(stderr, "fault %d: rate %.3f (configured %.2f), ok %d, other %d\n", (int)want, got, rate,
            counts[O_OK], counts[O_OTHER]);
    assert_int_equal(counts[O_OTHER], 0);
    assert_int_equal(counts[O_OK] + counts[want], N);
    /* binomial sd at n=400, p=0.25 is 0.022: +-0.08 is > 3.5 sd */
    assert_true(got > rate - 0.08 && got < rate + 0.08);
    assert_int_equal(simsrv_requests(s), N); /* every arrival counted once */
    fresh_connections = false;
    curl_easy_cleanup(h);
    simsrv_stop(s);
}

#define FAULT_OFF(field) offsetof(struct sim_faults, field)

static void test_fault_rates(void **st)
{
    (void)st;
    fault_rate(FAULT_OFF(rate_429), O_429);
    fault_rate(FAULT_OFF(rate_500), O_500);
    fault_rate(FAULT_OFF(rate_503), O_503);
    fault_rate(FAULT_OFF(rate_drop), O_DROP);
    fault_rate(FAULT_OFF(rate_truncated), O_TRUNC);
    fault_rate(FAULT_OFF(rate_malformed), O_MALFORMED);
    fault_rate(FAULT_OFF(rate_length), O_LENGTH);
}

static void test_fault_retry_succeeds(void **st)
{
    (void)st;
    struct simsrv *clean = start_default();
    struct simsrv_opts o = {0};
    o.no_delay = true;
    o.faults.rate_500 = 0.6;
    o.faults.seed = 7;
    struct simsrv *s = start(&o);
    CURL *h = curl_easy_init();
    struct resp want;
    call(h, simsrv_port(clean), NULL, "/v1/chat/completions", CHAT, &want);
    int fails = 0, i;
    for (i = 0; i < 40; i++) {
        struct resp r;
        call(h, simsrv_port(s), NULL, "/v1/chat/completions", CHAT, &r);
        if (r.status == 200) {
            /* the reply after faults is the reply without faults */
            assert_string_equal(r.body.data, want.body.data);
            buf_release(&r.body);
            break;
        }
        assert_int_equal(r.status, 500);
        fails++;
        buf_release(&r.body);
    }
    assert_true(i < 40);
    /* the draws continue: over 200 further arrivals about 60% fail */
    for (i = 0; i < 200; i++) {
        struct resp r;
        call(h, simsrv_port(s), NULL, "/v1/chat/completions", CHAT, &r);
        fails += r.status == 500;
        buf_release(&r.body);
    }
    assert_true(fails > 90 && fails < 160);
    buf_release(&want.body);
    curl_easy_cleanup(h);
    simsrv_stop(s);
    simsrv_stop(clean);
}

/* ---- role dispatch ---- */

static int handler_a(const struct sim_model *m, const struct cJSON *body, const char *schema,
                     uint64_t seed, struct sim_reply *out)
{
    (void)body;
    buf_appendf(&out->content, "{\"handler\":\"a\",\"schema\":\"%s\",\"model\":\"%s\",\"seed\":\"%llx\"}",
                schema, m->name, (unsigned long long)seed);
    out->completion_tokens = 42;
    return 0;
}

static int handler_b(const struct sim_model *m, const struct cJSON *body, const char *schema,
                     uint64_t seed, struct sim_reply *out)
{
    (void)m;
    (void)body;
    (void)seed;
    buf_appendf(&out->content, "{\"handler\":\"b\",\"schema\":\"%s\"}", schema);
    return 0;
}

static int handler_fail(const struct sim_model *m, const struct cJSON *body, const char *schema,
                        uint64_t seed, struct sim_reply *out)
{
    (void)m;
    (void)body;
    (void)schema;
    (void)seed;
    snprintf(out->error_message, sizeof out->error_message, "cannot simulate this");
    return -1;
}

static int student(const struct sim_model *m, const struct cJSON *body, const char *schema,
                   uint64_t seed, struct sim_reply *out)
{
    (void)body;
    (void)seed;
    assert_null(schema);
    if (strcmp(m->name, "sim-large-72b") == 0) return SIM_DECLINE;
    buf_puts(&out->content, "The answer is 42.");
    return 0;
}

static char *schema_body(const char *model, const char *schema)
{
    return xasprintf("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"review this\"}],"
                     "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"%s\","
                     "\"schema\":{\"type\":\"object\"}}}}", model, schema);
}

static void test_role_dispatch(void **st)
{
    (void)st;
    simsrv_register_role("tsim_", handler_b);
    simsrv_register_role("tsim_review", handler_a);
    simsrv_register_role("tfail_", handler_fail);
    struct simsrv *s = start_default();
    CURL *h = curl_easy_init();
    struct resp r;
    char *b = schema_body("sim-small-7b", "tsim_review_v1");
    call(h, simsrv_port(s), NULL, "/v1/chat/completions", b, &r);
    free(b);
    cJSON *j = parse(&r);
    cJSON *inner = cJSON_Parse(chat_content(j));
    assert_non_null(inner);
    assert_string_equal(cJSON_GetObjectItem(inner, "handler")->valuestring, "a"); /* longest prefix */
    assert_string_equal(cJSON_GetObjectItem(inner, "schema")->valuestring, "tsim_review_v1");
    assert_string_equal(cJSON_GetObjectItem(inner, "model")->valuestring, "sim-small-7b");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "usage"), "completion_tokens")->valueint, 42);
    cJSON_Delete(inner);
    cJSON_Delete(j);
    buf_release(&r.body);

    b = schema_body("sim-small-7b", "tsim_generate");
    call(h, simsrv_port(s), NULL, "/v1/chat/completions", b, &r);
    free(b);
    assert_non_null(strstr(r.body.data, "\\\"handler\\\":\\\"b\\\""));
    buf_release(&r.body);

    b = schema_body("sim-small-7b", "tfail_x");
    call(h, simsrv_port(s), NULL, "/v1/chat/completions", b, &r);
    free(b);
    assert_int_equal(r.status, 500);
    assert_non_null(strstr(r.body.data, "cannot simulate this"));
    buf_release(&r.body);

    /* an unknown schema: the generic reply */
    b = schema_body("sim-small-7b", "zzz_unknown");
    call(h, simsrv_port(s), NULL, "/v1/chat/completions", b, &r);
    free(b);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "SIMULATED reply from sim-small-7b"));
    buf_release(&r.body);

    /* no schema: the student, which may decline */
    simsrv_register_student(student);
    call(h, simsrv_port(s), NULL, "/v1/chat/completions", CHAT, &r);
    j = parse(&r);
    assert_string_equal(chat_content(j), "The answer is 42.");
    cJSON_Delete(j);
    buf_release(&r.body);
    call(h, simsrv_port(s), NULL, "/v1/chat/completions",
         "{\"model\":\"sim-large-72b\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}", &r);
    assert_non_null(strstr(r.body.data, "SIMULATED reply from sim-large-72b"));
    buf_release(&r.body);
    simsrv_register_student(NULL);
    curl_easy_cleanup(h);
    simsrv_stop(s);
}

/* ---- latency: many delayed requests, few threads ---- */

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_latency_concurrent(void **st)
{
    (void)st;
    char *f = write_tmp("lat.json",
                        "{\"models\":[{\"name\":\"slow\",\"seed\":1,\"latency\":{\"dist\":\"fixed\","
                        "\"mean_ms\":400}}]}");
    const char *files[] = {f};
    struct simsrv_opts o = {0};
    o.models_files = files;
    o.n_models_files = 1;
    o.threads = 2;
    struct simsrv *s = start(&o);
    /* 1024 in flight when the descriptor limit allows (client and server
     * sockets both live in this process) */
    struct rlimit rl;
    int N = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < 2 * 1024 + 128) N = rl.rlim_cur > 256 ? (int)(rl.rlim_cur - 128) / 2 : 64;
    }
    CURLM *multi = curl_multi_init();
    CURL **hs = xcalloc((size_t)N, sizeof *hs);
    struct resp *rs = xcalloc((size_t)N, sizeof *rs);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/chat/completions", simsrv_port(s));
    char (*bodies)[128] = xcalloc((size_t)N, sizeof *bodies);
    for (int i = 0; i < N; i++) {
        hs[i] = curl_easy_init();
        memset(&rs[i], 0, sizeof rs[i]);
        buf_init(&rs[i].body, 0);
        snprintf(bodies[i], sizeof bodies[i],
                 "{\"model\":\"slow\",\"messages\":[{\"role\":\"user\",\"content\":\"q%d\"}]}", i);
        curl_easy_setopt(hs[i], CURLOPT_URL, url);
        curl_easy_setopt(hs[i], CURLOPT_POSTFIELDS, bodies[i]);
        curl_easy_setopt(hs[i], CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(hs[i], CURLOPT_WRITEDATA, &rs[i]);
        curl_multi_add_handle(multi, hs[i]);
    }
    double t0 = mono();
    int running = 1;
    while (running) {
        curl_multi_perform(multi, &running);
        if (running) curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    double dt = mono() - t0;
    int ok = 0;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left)))
        if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK) ok++;
    fprintf(stderr, "latency: %d requests of 400 ms each on 2 threads took %.2f s\n", N, dt);
    assert_int_equal(ok, N);
    /* sleeping in the 2 workers would take N * 0.4 s / 2 (205 s for 1024) */
    assert_true(dt >= 0.39);
    assert_true(dt < 4.0);
    for (int i = 0; i < N; i++) {
        curl_multi_remove_handle(multi, hs[i]);
        curl_easy_cleanup(hs[i]);
        buf_release(&rs[i].body);
    }
    curl_multi_cleanup(multi);
    free(hs);
    free(rs);
    /* stopping with requests still sleeping is clean */
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, bodies[0]);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 100L);
    curl_easy_perform(h); /* times out client-side; the server still holds it */
    curl_easy_cleanup(h);
    simsrv_stop(s);
    free(bodies);
    unlink(f);
    free(f);
}

/* ---- model files ---- */

static void test_model_files(void **st)
{
    (void)st;
    char *a = write_tmp("a.json",
                        "{\"models\":[{\"name\":\"m1\",\"size_b\":7,\"seed\":5,\"verbosity\":0.5,"
                        "\"latency\":{\"dist\":\"normal\",\"mean_ms\":100,\"sd_ms\":10},"
                        "\"generator\":{\"anything\":[1,2,3]}},"
                        "{\"name\":\"e1\",\"embedding\":{\"dim\":32}}]}");
    char *b = write_tmp("b.json",
                        "{\"comment\":\"students\",\"models\":[{\"name\":\"m1\",\"student\":{\"skill\":0.4},"
                        "\"latency\":{\"dist\":\"fixed\",\"mean_ms\":1}},{\"name\":\"m2\",\"seed\":\"18446744073709551615\"}]}");
    const char *files[] = {a, b};
    struct simsrv_opts o = {0};
    o.models_files = files;
    o.n_models_files = 2;
    o.no_delay = true;
    o.data_dir = "/nonexistent/data";
    struct simsrv *s = start(&o);
    const struct sim_model *m1 = simsrv_model(s, "m1");
    assert_non_null(m1);
    assert_ptr_equal(m1->server, s);
    assert_string_equal(simsrv_data_dir(s), "/nonexistent/data");
    assert_int_equal(m1->seed, 5);
    assert_true(fabs(m1->verbosity - 0.5) < 1e-12);
    assert_string_equal(m1->latency_dist, "fixed"); /* the later file's section wins */
    assert_non_null(cJSON_GetObjectItem(m1->spec, "generator"));
    assert_non_null(cJSON_GetObjectItem(m1->spec, "student"));
    assert_true(simsrv_model(s, "m2")->seed == UINT64_MAX);
    assert_int_equal(simsrv_model(s, "e1")->embed_dim, 32);
    assert_null(simsrv_model(s, "sim-small-7b")); /* files replace the built-ins */
    CURL *h = curl_easy_init();
    struct resp r;
    call(h, simsrv_port(s), NULL, "/v1/embeddings", "{\"model\":\"e1\",\"input\":\"x\"}", &r);
    cJSON *j = parse(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
                         cJSON_GetArrayItem(cJSON_GetObjectItem(j, "data"), 0), "embedding")), 32);
    cJSON_Delete(j);
    buf_release(&r.body);
    curl_easy_cleanup(h);
    simsrv_stop(s);

    /* every bad declaration is rejected */
    const char *bad[] = {
        "{\"models\":[{\"name\":\"x\",\"colour\":\"red\"}]}",
        "{\"models\":[{\"name\":\"x\",\"latency\":{\"dist\":\"gamma\"}}]}",
        "{\"models\":[{\"name\":\"x\",\"latency\":{\"mean_ms\":-1}}]}",
        "{\"models\":[{\"name\":\"x\",\"seed\":-3}]}",
        "{\"models\":[{\"name\":\"x\",\"student\":[1]}]}",
        "{\"models\":[{\"size_b\":7}]}",
        "{\"models\":[{\"name\":\"x\"},{\"name\":\"x\"}]}",
        "{\"modles\":[]}",
        "{\"models\":[]}",
        "{\"models\":[{\"name\":\"x\",\"embedding\":{\"dim\":0}}]}",
        "{\"models\": [",
    };
    for (size_t i = 0; i < GRA_ARRAY_LEN(bad); i++) {
        char *p = write_tmp("bad.json", bad[i]);
        const char *one[] = {p};
        int rc = simsrv_check_models(one, 1);
        if (rc == 0) fprintf(stderr, "accepted: %s\n", bad[i]);
        assert_true(rc == GRA_ECONFIG || rc == GRA_EPARSE);
        struct simsrv *none = NULL;
        struct simsrv_opts ob = {0};
        ob.models_files = one;
        ob.n_models_files = 1;
        assert_int_not_equal(simsrv_start(&ob, &none), 0);
        assert_null(none);
        unlink(p);
        free(p);
    }
    /* the documented example file is valid */
    const char *src = getenv("GRA_SOURCE_DIR");
    char *example = xasprintf("%s/configs/sim-core-example.json", src && *src ? src : GRA_SOURCE_DIR);
    const char *ex[] = {example};
    assert_int_equal(simsrv_check_models(ex, 1), 0);
    free(example);
    const char *missing[] = {"/nonexistent/models.json"};
    assert_int_equal(simsrv_check_models(missing, 1), GRA_EIO);
    assert_int_equal(simsrv_check_models(NULL, 0), 0); /* the built-ins are valid */
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

static void test_bad_opts(void **st)
{
    (void)st;
    struct simsrv *s = NULL;
    struct simsrv_opts o = {0};
    o.faults.rate_429 = 0.7;
    o.faults.rate_500 = 0.7;
    assert_int_equal(simsrv_start(&o, &s), GRA_EINVAL);
    memset(&o, 0, sizeof o);
    o.host = "not-an-ip";
    assert_int_equal(simsrv_start(&o, &s), GRA_EINVAL);
    assert_null(s);
    /* a port in use */
    struct simsrv *a = start_default();
    memset(&o, 0, sizeof o);
    o.port = simsrv_port(a);
    assert_int_equal(simsrv_start(&o, &s), GRA_EIO);
    simsrv_stop(a);
    simsrv_stop(NULL);
}

/* autostart on a hand-built config (no config_load: it is another module) */
static void test_autostart(void **st)
{
    (void)st;
    struct model_cfg models[3];
    memset(models, 0, sizeof models);
    models[0].name = "gen";
    models[0].served_name = "sim-small-7b";
    models[0].sim = true;
    models[0].endpoints = xcalloc(1, sizeof(char *));
    models[0].endpoints[0] = xstrdup("sim");
    models[0].n_endpoints = 1;
    models[1].name = "sim-embed";
    models[1].sim = true; /* no endpoints array yet */
    models[2].name = "real";
    models[2].endpoints = xcalloc(1, sizeof(char *));
    models[2].endpoints[0] = xstrdup("http://10.0.0.1:8000/v1");
    models[2].n_endpoints = 1;
    struct gra_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.path = "test.json";
    cfg.models = models;
    cfg.n_models = 3;
    struct simsrv *s = NULL;
    assert_int_equal(simsrv_autostart(&cfg, &s), 0);
    assert_non_null(s);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d/v1", simsrv_port(s));
    assert_string_equal(models[0].endpoints[0], want);
    assert_int_equal(models[1].n_endpoints, 1);
    assert_string_equal(models[1].endpoints[0], want);
    assert_string_equal(models[2].endpoints[0], "http://10.0.0.1:8000/v1");
    CURL *h = curl_easy_init();
    struct resp r;
    call(h, simsrv_port(s), NULL, "/v1/models", NULL, &r);
    assert_int_equal(r.status, 200);
    buf_release(&r.body);
    curl_easy_cleanup(h);
    simsrv_stop(s);

    /* a simulated model the sim files do not declare: a config error */
    models[0].served_name = "undeclared-model";
    s = NULL;
    assert_int_equal(simsrv_autostart(&cfg, &s), GRA_ECONFIG);
    assert_null(s);
    /* no simulated model: no server */
    models[0].sim = models[1].sim = false;
    assert_int_equal(simsrv_autostart(&cfg, &s), 0);
    assert_null(s);
    for (int i = 0; i < 3; i++) {
        for (int e = 0; e < models[i].n_endpoints; e++) free(models[i].endpoints[e]);
        free(models[i].endpoints);
    }
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    gra_log_level = LOG_WARN;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_list),
        cmocka_unit_test(test_chat_shape_and_determinism),
        cmocka_unit_test(test_stream_matches_plain),
        cmocka_unit_test(test_embed_function),
        cmocka_unit_test(test_embeddings_http),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_fault_rates),
        cmocka_unit_test(test_fault_retry_succeeds),
        cmocka_unit_test(test_role_dispatch),
        cmocka_unit_test(test_latency_concurrent),
        cmocka_unit_test(test_model_files),
        cmocka_unit_test(test_bad_opts),
        cmocka_unit_test(test_autostart),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
