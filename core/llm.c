/*
 * llm: the client behind llm.h.
 *
 * Data structures, chosen so that per-event work does not grow with the
 * number of requests in flight:
 *   - struct req: one submitted call. It owns its request body (rendered once
 *     at submit, canonical JSON) and its cache key; it moves through
 *       pending (cache lookup, in llm_run) -> model ready queue (FIFO)
 *       -> in flight on an endpoint -> delivered,
 *     with retries parked in a min-heap keyed by their not-before time.
 *   - struct model_st: per configured model, its ready queue, its replicas
 *     (struct endpoint: in-flight count, pool of idle connections), its
 *     RPM/TPM token buckets and its accounting.
 *   - struct conn: one reusable curl easy handle with its response buffer and
 *     error buffer. Handles stay with their endpoint and are reused, so
 *     curl's connection cache (CURLMOPT_MAXCONNECTS sized to the total
 *     concurrency) keeps the TCP connections alive between requests.
 * The loop (llm_run): cache lookups for new submissions, promote due
 * retries, dispatch while endpoints have free slots and the rate limits
 * allow, curl_multi_perform, drain completions (each ends in a retry or in
 * exactly one callback), commit the cache batch when due, then
 * curl_multi_poll for at most LLM_MAX_WAIT_MS or until the next timer.
 *
 * Outcome rules: HTTP 408/409/429/5xx and the transport errors listed in
 * transport_retryable() are retried with full-jitter backoff drawn from the
 * request's own stream rng_derive(seed, "llm.backoff", 0) (Retry-After wins),
 * up to max_retries; 2xx bodies that are not OpenAI-shaped or whose
 * structured reply does not parse get LLM_PARSE_RETRIES more attempts under
 * their own budget; finish_reason "length" fails unless allowed; every other
 * status fails with the server's message. Only LLM_OK replies are cached.
 *
 * Secrets: the API key is read once per model from the named environment
 * variable into that model's header list and appears nowhere else.
 */
#include "core/llm.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/buf.h"
#include "core/cache.h"
#include "core/config.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/progress.h"
#include "core/rng.h"

#define LLM_MAX_WAIT_MS 200    /* poll slice: llm_stop() is seen this fast */
#define LLM_PARSE_RETRIES 2    /* extra attempts for malformed 2xx bodies */
#define LLM_STOP_GRACE_MS 2000 /* in-flight calls may finish after llm_stop() */
#define LLM_DEFAULT_TIMEOUT_MS 600000
#define LAT_BINS 2048 /* log-scale latency histogram, 1% resolution */
#define LAT_STEP 1.01
#define LAT_UNIT 0.1

/* ---------------------------------------------------------------- stats */

struct stats {
    long calls, cache_hits, prompt_tokens, completion_tokens;
    long retries, truncations, parse_failures;
    long connections; /* new TCP connections opened (keep-alive keeps this near the cap) */
    long failures[LLM_STATUS_COUNT];
    double latency_sum;
    long lat_n;
    uint32_t *lat; /* LAT_BINS, allocated on first use */
    long *http;    /* 600 status counters (every attempt), on first use */
};

static void stats_release(struct stats *s)
{
    free(s->lat);
    free(s->http);
}

static int lat_bin(double ms)
{
    if (ms <= 0) return 0;
    double b = log1p(ms / LAT_UNIT) / log(LAT_STEP);
    if (b >= LAT_BINS - 1) return LAT_BINS - 1;
    return (int)b;
}

static double lat_value(int bin)
{
    return LAT_UNIT * (pow(LAT_STEP, bin + 0.5) - 1.0);
}

static double stats_quantile(const struct stats *s, double q)
{
    if (!s->lat_n || !s->lat) return 0;
    long target = (long)ceil(q * (double)s->lat_n);
    if (target < 1) target = 1;
    long acc = 0;
    for (int i = 0; i < LAT_BINS; i++) {
        acc += s->lat[i];
        if (acc >= target) return lat_value(i);
    }
    return lat_value(LAT_BINS - 1);
}

/* ---------------------------------------------------------------- types */

struct llm_client;
struct model_st;
struct conn;

struct req {
    struct req *next; /* pending / ready queue link */
    struct model_st *m;
    struct conn *conn; /* while in flight */
    int tag;           /* index into client tags, -1 = none */
    char *body;
    size_t body_len;
    char key[SHA256_HEX_LEN + 1];
    bool embedding, has_schema, allow_length;
    int n_inputs;
    struct rng rng; /* backoff jitter */
    int attempts, retries, parse_retries;
    int64_t not_before;
    long est_tokens;
    double t0; /* start of the current attempt (ms) */
    int last_http;
    llm_done_fn done;
    void *ud;
};

struct endpoint {
    struct model_st *m;
    char *url_chat, *url_emb;
    int inflight;
    struct conn *idle; /* free list */
};

struct conn {
    CURL *h;
    struct endpoint *ep;
    struct req *req;
    struct conn *next_idle;
    struct conn *prev_live, *next_live; /* in-flight list, for cancellation */
    const char *url;                    /* URL last set on h (pointer compare) */
    struct buf body;
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
};

struct model_st {
    const struct model_cfg *cfg;
    struct endpoint *eps;
    int n_eps, rr;
    int cap; /* per endpoint */
    int max_retries;
    long timeout_ms;
    struct curl_slist *headers;
    struct req *q_head, *q_tail;
    /* token buckets */
    double rq_tokens, rq_cap, tk_tokens, tk_cap;
    int64_t rl_last;
    struct stats st;
};

struct reply {
    cJSON *root;
    cJSON *json;
    char err[320];
};

struct llm_client {
    const struct gra_config *cfg;
    bool replay, quiet, running;
    volatile sig_atomic_t stop;
    long replay_misses; /* replay mode: a miss ends llm_run with GRA_EMISS */
    CURLM *multi;
    struct model_st *models;
    int n_models;
    char **tags;
    int n_tags;
    struct stats *tag_st; /* n_tags */
    struct stats **tm_st; /* n_tags arrays of n_models */
    struct req *pend_head, *pend_tail;
    struct req **heap;
    int heap_n, heap_cap;
    struct cache *cache;
    struct conn *live;  /* in-flight connections */
    struct buf scratch; /* canonical key rendering */
    float *emb;         /* embedding rows of the result being delivered */
    size_t emb_cap;
    long max_body;
    long base_ms, cap_ms;
    long n_queued, n_inflight, n_done, n_retries, n_failures, n_hits;
    int64_t rl_wake; /* earliest time a rate-limited model may send */
};

/* ---------------------------------------------------------------- time */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *llm_status_name(int status)
{
    static const char *const names[LLM_STATUS_COUNT] = {
        "ok", "http", "transport", "length", "parse", "cache_miss", "cancelled"};
    return status >= 0 && status < LLM_STATUS_COUNT ? names[status] : "unknown";
}

long llm_backoff_ms(int attempt, long base_ms, long cap_ms, long retry_after_ms, double u)
{
    if (cap_ms < 0) cap_ms = 0;
    if (retry_after_ms > 0) return retry_after_ms < cap_ms ? retry_after_ms : cap_ms;
    if (attempt < 1) attempt = 1;
    if (base_ms < 0) base_ms = 0;
    double e = (double)base_ms;
    for (int i = 1; i < attempt && e < (double)cap_ms; i++) e *= 2;
    if (e > (double)cap_ms) e = (double)cap_ms;
    if (!(u >= 0)) u = 0;
    if (u >= 1) u = nextafter(1.0, 0.0);
    return (long)(u * e);
}

/* ------------------------------------------------------- canonical JSON */

static void canon_number(struct buf *b, double d)
{
    if (!isfinite(d))
        buf_puts(b, "null");
    else if (d == floor(d) && fabs(d) < 1e15)
        buf_appendf(b, "%.0f", d);
    else {
        /* shortest of %.15g..%.17g that reads back exactly */
        char t[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(t, sizeof t, "%.*g", prec, d);
            if (strtod(t, NULL) == d) break;
        }
        buf_puts(b, t);
    }
}

static int key_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* Compact JSON with object keys sorted (bytewise), numbers in one format. */
static void canon(struct buf *b, const cJSON *v)
{
    if (!v) {
        buf_puts(b, "null");
        return;
    }
    switch (v->type & 0xff) {
    case cJSON_False:
        buf_puts(b, "false");
        return;
    case cJSON_True:
        buf_puts(b, "true");
        return;
    case cJSON_NULL:
        buf_puts(b, "null");
        return;
    case cJSON_Number:
        canon_number(b, v->valuedouble);
        return;
    case cJSON_String:
        buf_put_json_string(b, v->valuestring, strlen(v->valuestring));
        return;
    case cJSON_Raw:
        buf_puts(b, v->valuestring ? v->valuestring : "null");
        return;
    case cJSON_Array: {
        buf_putc(b, '[');
        for (const cJSON *it = v->child; it; it = it->next) {
            if (it != v->child) buf_putc(b, ',');
            canon(b, it);
        }
        buf_putc(b, ']');
        return;
    }
    case cJSON_Object: {
        int n = 0;
        for (const cJSON *it = v->child; it; it = it->next) n++;
        const cJSON *small[16];
        const cJSON **kids = n <= 16 ? small : xmalloc((size_t)n * sizeof *kids);
        n = 0;
        for (const cJSON *it = v->child; it; it = it->next) kids[n++] = it;
        qsort(kids, (size_t)n, sizeof *kids, key_cmp);
        buf_putc(b, '{');
        for (int i = 0; i < n; i++) {
            if (i) buf_putc(b, ',');
            const char *k = kids[i]->string ? kids[i]->string : "";
            buf_put_json_string(b, k, strlen(k));
            buf_putc(b, ':');
            canon(b, kids[i]);
        }
        buf_putc(b, '}');
        if (kids != small) free(kids);
        return;
    }
    default:
        buf_puts(b, "null");
        return;
    }
}

static bool reserved_param(const char *k)
{
    static const char *const r[] = {"model",           "messages", "input",         "seed",
                                    "response_format", "stream",   "stream_options"};
    for (size_t i = 0; i < GRA_ARRAY_LEN(r); i++)
        if (strcmp(k, r[i]) == 0) return true;
    return false;
}

/* The merged parameters (request over model defaults), sorted by key, without
 * the fields the client itself sets. *out is heap (free()) or NULL. */
static int merged_params(const struct model_cfg *mc, const cJSON *params, const cJSON ***out)
{
    int n = 0, cap = 0;
    const cJSON **v = NULL;
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *src = pass == 0 ? params : mc->params;
        if (!cJSON_IsObject(src)) continue;
        for (const cJSON *it = src->child; it; it = it->next) {
            if (!it->string || reserved_param(it->string)) continue;
            if (pass == 1 && cJSON_IsObject(params) &&
                cJSON_GetObjectItemCaseSensitive(params, it->string))
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                v = xrealloc(v, (size_t)cap * sizeof *v);
            }
            v[n++] = it;
        }
    }
    if (n) qsort(v, (size_t)n, sizeof *v, key_cmp);
    *out = v;
    return n;
}

static void put_params(struct buf *b, const cJSON **p, int n, bool lead_comma)
{
    for (int i = 0; i < n; i++) {
        if (lead_comma || i) buf_putc(b, ',');
        buf_put_json_string(b, p[i]->string, strlen(p[i]->string));
        buf_putc(b, ':');
        canon(b, p[i]);
    }
}

static void put_inputs(struct buf *b, const struct llm_request *req)
{
    buf_putc(b, '[');
    for (int i = 0; i < req->n_inputs; i++) {
        if (i) buf_putc(b, ',');
        const char *s = req->inputs[i] ? req->inputs[i] : "";
        buf_put_json_string(b, s, strlen(s));
    }
    buf_putc(b, ']');
}

static const char *served(const struct model_cfg *mc)
{
    return mc->served_name ? mc->served_name : mc->name;
}

/* Render the canonical request into b and hash it. */
static void request_key(struct buf *b, const struct model_cfg *mc, const struct llm_request *req,
                        const cJSON **p, int np, char out[SHA256_HEX_LEN + 1])
{
    buf_reset(b);
    buf_putc(b, '{');
    if (req->inputs) {
        buf_puts(b, "\"input\":");
        put_inputs(b, req);
        buf_puts(b, ",\"kind\":\"embeddings\"");
    } else {
        buf_puts(b, "\"kind\":\"chat\",\"messages\":");
        canon(b, req->messages);
    }
    buf_puts(b, ",\"model\":");
    buf_put_json_string(b, served(mc), strlen(served(mc)));
    buf_puts(b, ",\"params\":{");
    put_params(b, p, np, false);
    buf_puts(b, "},\"schema\":");
    canon(b, req->schema);
    buf_puts(b, ",\"schema_name\":");
    if (req->schema_name)
        buf_put_json_string(b, req->schema_name, strlen(req->schema_name));
    else
        buf_puts(b, "null");
    buf_appendf(b, ",\"seed\":\"%llu\"}", (unsigned long long)req->seed);
    sha256_hex(b->data, b->len, out);
}

static const struct model_cfg *find_model_cfg(const struct gra_config *cfg, const char *name)
{
    for (int i = 0; name && i < cfg->n_models; i++)
        if (strcmp(cfg->models[i].name, name) == 0) return &cfg->models[i];
    return NULL;
}

static bool request_valid(const struct llm_request *req)
{
    if (req->inputs) return req->n_inputs > 0;
    return cJSON_IsArray(req->messages);
}

int llm_request_key(const struct gra_config *cfg, const struct llm_request *req, char out[65])
{
    const struct model_cfg *mc = find_model_cfg(cfg, req->model);
    if (!mc) return err(GRA_EINVAL, "llm: unknown model \"%s\"", req->model ? req->model : "");
    if (!request_valid(req)) return err(GRA_EINVAL, "llm: request has no messages or inputs");
    const cJSON **p = NULL;
    int np = merged_params(mc, req->params, &p);
    struct buf b = BUF_INIT;
    request_key(&b, mc, req, p, np, out);
    buf_release(&b);
    free(p);
    return 0;
}

/* ---------------------------------------------------------- JSON replies */

/* End of the balanced {...} starting at s[0] == '{', string-aware; NULL if the
 * text ends first. */
static const char *balanced_end(const char *s, const char *end)
{
    int depth = 0;
    bool in_str = false;
    for (const char *p = s; p < end; p++) {
        char ch = *p;
        if (in_str) {
            if (ch == '\\')
                p++;
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '{') {
            depth++;
        } else if (ch == '}') {
            if (--depth == 0) return p;
        }
    }
    return NULL;
}

static cJSON *parse_object(const char *s, size_t n)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(s, n, &end, 0);
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static cJSON *first_object(const char *s, const char *end, int max_tries)
{
    for (const char *p = s; p < end && max_tries > 0; p++) {
        p = memchr(p, '{', (size_t)(end - p));
        if (!p) break;
        const char *e = balanced_end(p, end);
        if (!e) {
            max_tries--;
            continue;
        }
        cJSON *j = parse_object(p, (size_t)(e - p + 1));
        if (j) return j;
        max_tries--;
    }
    return NULL;
}

void llm_message_add(cJSON *msgs, const char *role, const char *content)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", role);
    cJSON_AddStringToObject(m, "content", content);
    cJSON_AddItemToArray(msgs, m);
}

cJSON *llm_parse_json_reply(const char *text, size_t len)
{
    if (!text) return NULL;
    const char *end = text + len;
    /* fenced blocks first: ```json ... ``` (or a bare ```) is the explicit answer */
    const char *p = text;
    while (p < end) {
        const char *f = NULL;
        for (const char *q = p; q + 3 <= end; q++)
            if (q[0] == '`' && q[1] == '`' && q[2] == '`') {
                f = q;
                break;
            }
        if (!f) break;
        const char *body = memchr(f + 3, '\n', (size_t)(end - (f + 3)));
        if (!body) break;
        body++;
        const char *close = NULL;
        for (const char *q = body; q + 3 <= end; q++)
            if (q[0] == '`' && q[1] == '`' && q[2] == '`') {
                close = q;
                break;
            }
        const char *stop = close ? close : end;
        cJSON *j = first_object(body, stop, 8);
        if (j) return j;
        if (!close) break;
        p = close + 3;
    }
    return first_object(text, end, 64);
}

/* ------------------------------------------------------------ stats use */

static struct stats *tag_model_stats(struct llm_client *c, int tag, const struct model_st *m)
{
    return &c->tm_st[tag][m - c->models];
}

static void for_stats(struct llm_client *c, const struct req *q, struct stats *out[3], int *n)
{
    *n = 0;
    out[(*n)++] = &q->m->st;
    if (q->tag >= 0) {
        out[(*n)++] = &c->tag_st[q->tag];
        out[(*n)++] = tag_model_stats(c, q->tag, q->m);
    }
}

/* One attempt finished on handle h with status http (0 = none). */
static void account_http(struct llm_client *c, const struct req *q, CURL *h, long http, bool retry)
{
    struct stats *s[3];
    int n;
    long conns = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
    for_stats(c, q, s, &n);
    for (int i = 0; i < n; i++) {
        if (retry) s[i]->retries++;
        s[i]->connections += conns;
        if (http > 0 && http < 600) {
            if (!s[i]->http) s[i]->http = xcalloc(600, sizeof *s[i]->http);
            s[i]->http[http]++;
        }
    }
}

static void account_done(struct llm_client *c, const struct req *q, const struct llm_result *r)
{
    struct stats *s[3];
    int n;
    for_stats(c, q, s, &n);
    for (int i = 0; i < n; i++) {
        struct stats *t = s[i];
        t->calls++;
        if (r->cache_hit) t->cache_hits++;
        t->failures[r->status]++;
        if (r->status == LLM_FAIL_LENGTH) t->truncations++;
        if (r->status == LLM_FAIL_PARSE) t->parse_failures++;
        t->prompt_tokens += r->prompt_tokens;
        t->completion_tokens += r->completion_tokens;
        if (r->status == LLM_OK && !r->cache_hit) {
            t->latency_sum += r->latency_ms;
            if (!t->lat) t->lat = xcalloc(LAT_BINS, sizeof *t->lat);
            t->lat[lat_bin(r->latency_ms)]++;
            t->lat_n++;
        }
    }
}

static cJSON *stats_json(const struct stats *s, double params_b, double price_in, double price_out)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "calls", (double)s->calls);
    cJSON_AddNumberToObject(o, "cache_hits", (double)s->cache_hits);
    cJSON_AddNumberToObject(o, "prompt_tokens", (double)s->prompt_tokens);
    cJSON_AddNumberToObject(o, "completion_tokens", (double)s->completion_tokens);
    cJSON_AddNumberToObject(o, "latency_ms_sum", s->latency_sum);
    cJSON_AddNumberToObject(o, "latency_ms_p50", stats_quantile(s, 0.50));
    cJSON_AddNumberToObject(o, "latency_ms_p95", stats_quantile(s, 0.95));
    cJSON_AddNumberToObject(o, "retries", (double)s->retries);
    cJSON *f = cJSON_AddObjectToObject(o, "failures");
    for (int i = 1; i < LLM_STATUS_COUNT; i++)
        if (s->failures[i]) cJSON_AddNumberToObject(f, llm_status_name(i), (double)s->failures[i]);
    cJSON *h = cJSON_AddObjectToObject(o, "http_statuses");
    for (int i = 0; s->http && i < 600; i++)
        if (s->http[i]) {
            char k[8];
            snprintf(k, sizeof k, "%d", i);
            cJSON_AddNumberToObject(h, k, (double)s->http[i]);
        }
    cJSON_AddNumberToObject(o, "connections", (double)s->connections);
    cJSON_AddNumberToObject(o, "truncations", (double)s->truncations);
    cJSON_AddNumberToObject(o, "parse_failures", (double)s->parse_failures);
    if (params_b >= 0) {
        double tok = (double)(s->prompt_tokens + s->completion_tokens);
        cJSON_AddNumberToObject(o, "params_b", params_b);
        cJSON_AddNumberToObject(o, "flops", 2.0 * params_b * 1e9 * tok);
        if (price_in > 0 || price_out > 0)
            cJSON_AddNumberToObject(
                o, "cost_usd",
                (price_in * (double)s->prompt_tokens + price_out * (double)s->completion_tokens) /
                    1e6);
    }
    return o;
}

cJSON *llm_stats_json(const struct llm_client *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *models = cJSON_AddObjectToObject(o, "models");
    for (int i = 0; i < c->n_models; i++) {
        const struct model_cfg *mc = c->models[i].cfg;
        cJSON_AddItemToObject(
            models, mc->name,
            stats_json(&c->models[i].st, mc->params_b, mc->price_in, mc->price_out));
    }
    cJSON *tags = cJSON_AddObjectToObject(o, "tags");
    cJSON *tm = cJSON_AddObjectToObject(o, "by_tag_model");
    for (int t = 0; t < c->n_tags; t++) {
        /* a tag's FLOPs sum its models' */
        struct stats *ts = &c->tag_st[t];
        cJSON *tj = stats_json(ts, -1, 0, 0);
        double flops = 0, cost = 0;
        cJSON *per = cJSON_AddObjectToObject(tm, c->tags[t]);
        for (int i = 0; i < c->n_models; i++) {
            const struct stats *s = &c->tm_st[t][i];
            if (!s->calls) continue;
            const struct model_cfg *mc = c->models[i].cfg;
            cJSON *mj = stats_json(s, mc->params_b, mc->price_in, mc->price_out);
            flops += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(mj, "flops"));
            cJSON *cu = cJSON_GetObjectItemCaseSensitive(mj, "cost_usd");
            if (cu) cost += cu->valuedouble;
            cJSON_AddItemToObject(per, mc->name, mj);
        }
        cJSON_AddNumberToObject(tj, "flops", flops);
        if (cost > 0) cJSON_AddNumberToObject(tj, "cost_usd", cost);
        cJSON_AddItemToObject(tags, c->tags[t], tj);
    }
    return o;
}

void llm_counters(const struct llm_client *c, struct llm_counters *out)
{
    out->queued = c->n_queued - c->n_inflight; /* submitted, not yet sent or delivered */
    out->inflight = c->n_inflight;
    out->done = c->n_done;
    out->retries = c->n_retries;
    out->failures = c->n_failures;
    out->cache_hits = c->n_hits;
}

/* ------------------------------------------------------------- queueing */

static void heap_push(struct llm_client *c, struct req *q)
{
    if (c->heap_n == c->heap_cap) {
        c->heap_cap = c->heap_cap ? 2 * c->heap_cap : 64;
        c->heap = xrealloc(c->heap, (size_t)c->heap_cap * sizeof *c->heap);
    }
    int i = c->heap_n++;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (c->heap[p]->not_before <= q->not_before) break;
        c->heap[i] = c->heap[p];
        i = p;
    }
    c->heap[i] = q;
}

static struct req *heap_pop(struct llm_client *c)
{
    struct req *top = c->heap[0];
    struct req *last = c->heap[--c->heap_n];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        int64_t mv = last->not_before;
        if (l < c->heap_n && c->heap[l]->not_before < mv) {
            m = l;
            mv = c->heap[l]->not_before;
        }
        if (r < c->heap_n && c->heap[r]->not_before < mv) m = r;
        if (m == i) break;
        c->heap[i] = c->heap[m];
        i = m;
    }
    if (c->heap_n) c->heap[i] = last;
    return top;
}

static void ready_push(struct model_st *m, struct req *q)
{
    q->next = NULL;
    if (m->q_tail)
        m->q_tail->next = q;
    else
        m->q_head = q;
    m->q_tail = q;
}

static struct req *ready_pop(struct model_st *m)
{
    struct req *q = m->q_head;
    if (q) {
        m->q_head = q->next;
        if (!m->q_head) m->q_tail = NULL;
        q->next = NULL;
    }
    return q;
}

static void req_free(struct req *q)
{
    free(q->body);
    free(q);
}

/* ------------------------------------------------------------- delivery */

static void deliver(struct llm_client *c, struct req *q, struct llm_result *r)
{
    memcpy(r->request_hash, q->key, sizeof r->request_hash);
    if (!r->cache_hit) r->attempts = q->attempts;
    if (!r->http_status) r->http_status = q->last_http;
    if (r->status != LLM_OK && !r->error) r->error = llm_status_name(r->status);
    account_done(c, q, r);
    c->n_done++;
    c->n_queued--;
    if (r->status != LLM_OK) c->n_failures++;
    if (r->cache_hit) c->n_hits++;
    q->done(q->ud, r);
    req_free(q);
}

static void deliver_status(struct llm_client *c, struct req *q, int status, const char *msg)
{
    struct llm_result r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.error = msg;
    deliver(c, q, &r);
}

enum parse_outcome { PR_OK, PR_LENGTH, PR_BAD };

static long json_long(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
}

/* Parse an OpenAI-shaped body into r (pointers into rp->root / c->emb). */
static int parse_reply(struct llm_client *c, const struct req *q, const char *body, size_t len,
                       struct llm_result *r, struct reply *rp)
{
    rp->root = cJSON_ParseWithLengthOpts(body, len, NULL, 0);
    if (!cJSON_IsObject(rp->root)) {
        snprintf(rp->err, sizeof rp->err, "response body is not JSON (%zu bytes)", len);
        return PR_BAD;
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(rp->root, "usage");
    long pt = json_long(usage, "prompt_tokens"), ct = json_long(usage, "completion_tokens");
    if (q->embedding) {
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(rp->root, "data");
        int n = cJSON_GetArraySize(data);
        if (!cJSON_IsArray(data) || n != q->n_inputs) {
            snprintf(rp->err, sizeof rp->err, "embeddings reply has %d rows for %d inputs", n,
                     q->n_inputs);
            return PR_BAD;
        }
        int dim = -1, row = 0;
        for (const cJSON *it = data->child; it; it = it->next, row++) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(it, "embedding");
            long idx = json_long(it, "index");
            if (idx < 0) idx = row;
            int d = cJSON_GetArraySize(e);
            if (!cJSON_IsArray(e) || d == 0 || (dim >= 0 && d != dim) || idx >= n) {
                snprintf(rp->err, sizeof rp->err, "embeddings reply: bad row %d", row);
                return PR_BAD;
            }
            if (dim < 0) {
                dim = d;
                size_t need = (size_t)n * (size_t)dim;
                if (need > c->emb_cap) {
                    c->emb = xrealloc(c->emb, need * sizeof *c->emb);
                    c->emb_cap = need;
                }
            }
            float *dst = c->emb + (size_t)idx * (size_t)dim;
            for (const cJSON *x = e->child; x; x = x->next) *dst++ = (float)x->valuedouble;
        }
        r->embeddings = c->emb;
        r->n_embeddings = n;
        r->dim = dim;
        r->prompt_tokens = pt >= 0 ? pt : (long)(q->body_len / 4);
        r->completion_tokens = 0;
        return PR_OK;
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(rp->root, "choices");
    const cJSON *ch0 = cJSON_GetArrayItem(choices, 0);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ch0, "message");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(ch0, "finish_reason");
    if (!cJSON_IsObject(msg) || !(cJSON_IsString(content) || cJSON_IsNull(content))) {
        snprintf(rp->err, sizeof rp->err, "response has no choices[0].message.content");
        return PR_BAD;
    }
    r->content = cJSON_IsString(content) ? content->valuestring : "";
    r->content_len = strlen(r->content);
    r->finish_reason = cJSON_IsString(fr) ? fr->valuestring : NULL;
    r->prompt_tokens = pt >= 0 ? pt : (long)(q->body_len / 4);
    r->completion_tokens = ct >= 0 ? ct : (long)(r->content_len / 4);
    if (r->finish_reason && strcmp(r->finish_reason, "length") == 0 && !q->allow_length) {
        snprintf(rp->err, sizeof rp->err, "reply cut at max_tokens (finish_reason \"length\")");
        return PR_LENGTH;
    }
    if (q->has_schema) {
        rp->json = llm_parse_json_reply(r->content, r->content_len);
        if (!rp->json) {
            snprintf(rp->err, sizeof rp->err, "structured reply has no JSON object");
            return PR_BAD;
        }
        r->json = rp->json;
    }
    return PR_OK;
}

static void reply_release(struct reply *rp)
{
    cJSON_Delete(rp->root);
    cJSON_Delete(rp->json);
    rp->root = rp->json = NULL;
}

/* ----------------------------------------------------------- rate limits */

static bool rate_admit(struct model_st *m, const struct req *q, int64_t now, int64_t *wake)
{
    double rpm = m->cfg->rpm, tpm = m->cfg->tpm;
    if (rpm <= 0 && tpm <= 0) return true;
    double dt = (double)(now - m->rl_last);
    m->rl_last = now;
    if (rpm > 0) m->rq_tokens = fmin(m->rq_cap, m->rq_tokens + dt * rpm / 60000.0);
    if (tpm > 0) m->tk_tokens = fmin(m->tk_cap, m->tk_tokens + dt * tpm / 60000.0);
    if (rpm > 0 && m->rq_tokens < 1) {
        int64_t w = now + (int64_t)ceil((1 - m->rq_tokens) * 60000.0 / rpm);
        if (w < *wake) *wake = w;
        return false;
    }
    double need = fmin((double)q->est_tokens, m->tk_cap);
    if (tpm > 0 && m->tk_tokens < need) {
        int64_t w = now + (int64_t)ceil((need - m->tk_tokens) * 60000.0 / tpm);
        if (w < *wake) *wake = w;
        return false;
    }
    if (rpm > 0) m->rq_tokens -= 1;
    if (tpm > 0) m->tk_tokens -= (double)q->est_tokens;
    return true;
}

static void rate_refund(struct model_st *m, const struct req *q, const struct llm_result *r)
{
    if (m->cfg->tpm <= 0) return;
    double used = (double)(r->prompt_tokens + r->completion_tokens);
    m->tk_tokens = fmin(m->tk_cap, m->tk_tokens + (double)q->est_tokens - used);
}

/* ---------------------------------------------------------- connections */

static size_t on_write(char *p, size_t sz, size_t n, void *ud)
{
    struct conn *k = ud;
    if (buf_append(&k->body, p, sz * n) != 0) {
        k->too_big = true;
        return 0;
    }
    return sz * n;
}

static struct conn *conn_get(struct llm_client *c, struct endpoint *ep)
{
    struct conn *k = ep->idle;
    if (k) {
        ep->idle = k->next_idle;
        return k;
    }
    k = xcalloc(1, sizeof *k);
    k->ep = ep;
    buf_init(&k->body, (size_t)c->max_body);
    k->h = curl_easy_init();
    if (!k->h) {
        fprintf(stderr, "gra: fatal: curl_easy_init failed\n");
        abort();
    }
    CURL *h = k->h;
    curl_easy_setopt(h, CURLOPT_PRIVATE, k);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, k->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, ep->m->headers);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(
        h, CURLOPT_CONNECTTIMEOUT_MS,
        (long)(c->cfg->client.connect_timeout_ms > 0 ? c->cfg->client.connect_timeout_ms : 10000));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ep->m->timeout_ms);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 16384L);
    return k;
}

static void conn_put(struct conn *k)
{
    k->req = NULL;
    /* keep a grown buffer for reuse unless it is unusually large */
    if (k->body.cap > (1u << 20)) buf_release(&k->body);
    buf_reset(&k->body);
    k->next_idle = k->ep->idle;
    k->ep->idle = k;
}

static void conn_free(struct conn *k)
{
    curl_easy_cleanup(k->h);
    buf_release(&k->body);
    free(k);
}

static void live_add(struct llm_client *c, struct conn *k)
{
    k->prev_live = NULL;
    k->next_live = c->live;
    if (c->live) c->live->prev_live = k;
    c->live = k;
}

static void live_del(struct llm_client *c, struct conn *k)
{
    if (k->prev_live)
        k->prev_live->next_live = k->next_live;
    else
        c->live = k->next_live;
    if (k->next_live) k->next_live->prev_live = k->prev_live;
    k->prev_live = k->next_live = NULL;
}

static void start(struct llm_client *c, struct req *q, struct endpoint *ep)
{
    struct conn *k = conn_get(c, ep);
    k->req = q;
    k->too_big = false;
    k->errbuf[0] = '\0';
    buf_reset(&k->body);
    q->conn = k;
    const char *url = q->embedding ? ep->url_emb : ep->url_chat;
    if (k->url != url) {
        curl_easy_setopt(k->h, CURLOPT_URL, url);
        k->url = url;
    }
    curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(k->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
    q->attempts++;
    q->t0 = now_ms();
    ep->inflight++;
    c->n_inflight++;
    CURLMcode mc = curl_multi_add_handle(c->multi, k->h);
    if (mc == CURLM_OK) {
        live_add(c, k);
    } else {
        /* cannot happen short of memory exhaustion; fail the request visibly */
        ep->inflight--;
        c->n_inflight--;
        conn_put(k);
        q->conn = NULL;
        deliver_status(c, q, LLM_FAIL_TRANSPORT, curl_multi_strerror(mc));
    }
}

/* Least-in-flight replica with a free slot, ties broken round-robin. */
static struct endpoint *pick_endpoint(struct model_st *m)
{
    struct endpoint *best = NULL;
    for (int i = 0; i < m->n_eps; i++) {
        struct endpoint *ep = &m->eps[(m->rr + i) % m->n_eps];
        if (ep->inflight >= m->cap) continue;
        if (!best || ep->inflight < best->inflight) best = ep;
    }
    if (best) m->rr = (int)(best - m->eps + 1) % m->n_eps;
    return best;
}

static void dispatch(struct llm_client *c, int64_t now)
{
    c->rl_wake = INT64_MAX;
    for (int i = 0; i < c->n_models; i++) {
        struct model_st *m = &c->models[i];
        while (m->q_head) {
            struct endpoint *ep = pick_endpoint(m);
            if (!ep) break;
            if (!rate_admit(m, m->q_head, now, &c->rl_wake)) break;
            start(c, ready_pop(m), ep);
        }
    }
}

static void retry_later(struct llm_client *c, struct req *q, CURL *h, long delay_ms, long http)
{
    account_http(c, q, h, http, true);
    c->n_retries++;
    q->not_before = (int64_t)now_ms() + delay_ms;
    heap_push(c, q);
}

static bool transport_retryable(CURLcode cc)
{
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        return true;
    default:
        return false;
    }
}

static bool http_retryable(long s)
{
    return s == 408 || s == 409 || s == 429 || (s >= 500 && s <= 599);
}

/* The server's error message from an OpenAI-shaped error body, else a
 * printable prefix of the body. */
static void server_message(const struct buf *b, long http, char *out, size_t n)
{
    cJSON *j = cJSON_ParseWithLengthOpts(b->data, b->len, NULL, 0);
    const char *msg = NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (cJSON_IsString(e))
        msg = e->valuestring;
    else if (cJSON_IsObject(e) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")))
        msg = cJSON_GetObjectItemCaseSensitive(e, "message")->valuestring;
    else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "message")))
        msg = cJSON_GetObjectItemCaseSensitive(j, "message")->valuestring;
    if (msg) {
        snprintf(out, n, "HTTP %ld: %s", http, msg);
    } else {
        int w = snprintf(out, n, "HTTP %ld: ", http);
        size_t o = w > 0 && (size_t)w < n ? (size_t)w : 0;
        for (size_t i = 0; i < b->len && o + 1 < n && i < 200; i++) {
            unsigned char ch = (unsigned char)b->data[i];
            out[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
        }
        out[o] = '\0';
    }
    cJSON_Delete(j);
}

static void complete(struct llm_client *c, struct conn *k, CURLcode cc)
{
    struct req *q = k->req;
    struct endpoint *ep = k->ep;
    struct model_st *m = ep->m;
    curl_multi_remove_handle(c->multi, k->h);
    live_del(c, k);
    ep->inflight--;
    c->n_inflight--;
    q->conn = NULL;
    long http = 0;
    curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &http);
    double lat = now_ms() - q->t0;
    q->last_http = (int)http;
    bool stopping = c->stop != 0;
    char msg[400];

    if (cc == CURLE_OK && http >= 200 && http < 300) {
        struct llm_result r;
        struct reply rp;
        memset(&r, 0, sizeof r);
        memset(&rp, 0, sizeof rp);
        int pr = parse_reply(c, q, k->body.data, k->body.len, &r, &rp);
        if (pr == PR_BAD && q->parse_retries < LLM_PARSE_RETRIES && !stopping) {
            q->parse_retries++;
            reply_release(&rp);
            account_http(c, q, k->h, http, true);
            c->n_retries++;
            q->not_before = (int64_t)now_ms() + llm_backoff_ms(q->parse_retries, c->base_ms,
                                                               c->cap_ms, 0, rng_uniform(&q->rng));
            heap_push(c, q);
            conn_put(k);
            return;
        }
        account_http(c, q, k->h, http, false);
        r.status = pr == PR_OK ? LLM_OK : pr == PR_LENGTH ? LLM_FAIL_LENGTH : LLM_FAIL_PARSE;
        r.error = pr == PR_OK ? NULL : rp.err;
        r.latency_ms = lat;
        if (r.status == LLM_OK && c->cache)
            cache_put(c->cache, q->key, served(m->cfg), k->body.data, k->body.len, lat);
        rate_refund(m, q, &r);
        deliver(c, q, &r);
        reply_release(&rp);
        conn_put(k);
        return;
    }
    if (cc == CURLE_WRITE_ERROR && k->too_big) {
        account_http(c, q, k->h, http, false);
        snprintf(msg, sizeof msg, "response body larger than max_body_bytes (%ld)", c->max_body);
        conn_put(k);
        deliver_status(c, q, LLM_FAIL_TRANSPORT, msg);
        return;
    }
    bool transient = cc != CURLE_OK ? transport_retryable(cc) : http_retryable(http);
    if (cc != CURLE_OK)
        snprintf(msg, sizeof msg, "%s%s%s", curl_easy_strerror(cc), k->errbuf[0] ? ": " : "",
                 k->errbuf);
    else
        server_message(&k->body, http, msg, sizeof msg);
    if (transient && q->retries < m->max_retries && !stopping) {
        curl_off_t ra = 0;
        if (cc == CURLE_OK) curl_easy_getinfo(k->h, CURLINFO_RETRY_AFTER, &ra);
        q->retries++;
        long delay = llm_backoff_ms(q->retries, c->base_ms, c->cap_ms, ra > 0 ? (long)ra * 1000 : 0,
                                    rng_uniform(&q->rng));
        log_debug("llm: %s: retry %d in %ld ms after %s", m->cfg->name, q->retries, delay, msg);
        retry_later(c, q, k->h, delay, http);
        conn_put(k);
        return;
    }
    account_http(c, q, k->h, http, false);
    conn_put(k);
    if (stopping && transient)
        deliver_status(c, q, LLM_FAIL_CANCELLED, "interrupted");
    else
        deliver_status(c, q, cc != CURLE_OK ? LLM_FAIL_TRANSPORT : LLM_FAIL_HTTP, msg);
}

/* ----------------------------------------------------------- client API */

static int tag_index(struct llm_client *c, const char *tag)
{
    if (!tag) return -1;
    for (int i = 0; i < c->n_tags; i++)
        if (strcmp(c->tags[i], tag) == 0) return i;
    int i = c->n_tags++;
    c->tags = xrealloc(c->tags, (size_t)c->n_tags * sizeof *c->tags);
    c->tag_st = xrealloc(c->tag_st, (size_t)c->n_tags * sizeof *c->tag_st);
    c->tm_st = xrealloc(c->tm_st, (size_t)c->n_tags * sizeof *c->tm_st);
    c->tags[i] = xstrdup(tag);
    memset(&c->tag_st[i], 0, sizeof c->tag_st[i]);
    c->tm_st[i] = xcalloc((size_t)c->n_models, sizeof **c->tm_st);
    return i;
}

static char *join_url(const char *base, const char *path)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/') n--;
    return xasprintf("%.*s%s", (int)n, base, path);
}

static void raise_fd_limit(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || (long)rl.rlim_cur >= need) return;
    rlim_t want = (rlim_t)need;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max) want = rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || (long)want < need)
        log_warn("llm: open-file limit %ld is below the %ld connections configured", (long)want,
                 need);
}

int llm_client_new(const struct gra_config *cfg, const struct llm_client_opts *opts,
                   struct llm_client **out)
{
    *out = NULL;
    int rc = 0;
    struct llm_client *c = xcalloc(1, sizeof *c);
    c->cfg = cfg;
    c->replay = opts && opts->replay;
    c->quiet = opts ? opts->quiet : false;
    c->base_ms = cfg->client.backoff_base_ms > 0 ? cfg->client.backoff_base_ms : 500;
    c->cap_ms = cfg->client.backoff_cap_ms > 0 ? cfg->client.backoff_cap_ms : 60000;
    c->max_body = cfg->client.max_body_bytes > 0 ? cfg->client.max_body_bytes : 16L << 20;
    c->rl_wake = INT64_MAX;
    buf_init(&c->scratch, 0);
    c->multi = curl_multi_init();
    if (!c->multi) {
        rc = err(GRA_EHTTP, "llm: curl_multi_init failed");
        goto out;
    }
    c->n_models = cfg->n_models;
    c->models = xcalloc(cfg->n_models > 0 ? (size_t)cfg->n_models : 1, sizeof *c->models);
    long total_cap = 0;
    for (int i = 0; i < cfg->n_models; i++) {
        const struct model_cfg *mc = &cfg->models[i];
        struct model_st *m = &c->models[i];
        m->cfg = mc;
        if (mc->n_endpoints < 1) {
            rc = err(GRA_ECONFIG, "llm: model %s has no endpoint", mc->name);
            goto out;
        }
        m->n_eps = mc->n_endpoints;
        m->eps = xcalloc((size_t)m->n_eps, sizeof *m->eps);
        for (int e = 0; e < m->n_eps; e++) {
            if (strcmp(mc->endpoints[e], "sim") == 0) {
                rc = err(GRA_ECONFIG,
                         "llm: model %s: endpoint \"sim\" was not resolved (simsrv_autostart)",
                         mc->name);
                goto out;
            }
            m->eps[e].m = m;
            m->eps[e].url_chat = join_url(mc->endpoints[e], "/chat/completions");
            m->eps[e].url_emb = join_url(mc->endpoints[e], "/embeddings");
        }
        m->cap = mc->max_inflight > 0 ? mc->max_inflight : 16;
        m->max_retries = mc->max_retries >= 0           ? mc->max_retries
                         : cfg->client.max_retries >= 0 ? cfg->client.max_retries
                                                        : 6;
        m->timeout_ms = mc->timeout_ms > 0 ? mc->timeout_ms : LLM_DEFAULT_TIMEOUT_MS;
        m->headers = curl_slist_append(NULL, "Content-Type: application/json");
        m->headers = curl_slist_append(m->headers, "Expect:");
        const char *key = mc->api_key_env && *mc->api_key_env ? getenv(mc->api_key_env) : NULL;
        if (key && *key) {
            char *h = xasprintf("Authorization: Bearer %s", key);
            m->headers = curl_slist_append(m->headers, h);
            memset(h, 0, strlen(h));
            free(h);
        } else if (mc->api_key_env && *mc->api_key_env) {
            log_warn("llm: model %s: environment variable %s is not set; sending no API key",
                     mc->name, mc->api_key_env);
        }
        m->rq_cap = mc->rpm > 0 ? fmax(1.0, mc->rpm / 60.0) : 0;
        m->tk_cap = mc->tpm > 0 ? fmax(1.0, mc->tpm / 60.0) : 0;
        m->rq_tokens = m->rq_cap;
        m->tk_tokens = m->tk_cap;
        total_cap += (long)m->cap * m->n_eps;
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, total_cap + 16);
    raise_fd_limit(total_cap + 256);
    if (opts && opts->cache_path) {
        if ((rc = cache_open(opts->cache_path, false, &c->cache)) != 0) goto out;
    } else if (c->replay) {
        rc = err(GRA_EINVAL, "llm: replay mode needs a cache");
        goto out;
    }
out:
    if (rc) {
        llm_client_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int llm_submit(struct llm_client *c, const struct llm_request *req)
{
    const struct model_cfg *mc = find_model_cfg(c->cfg, req->model);
    if (!mc) return err(GRA_EINVAL, "llm: unknown model \"%s\"", req->model ? req->model : "");
    if (!req->done) return err(GRA_EINVAL, "llm: request without a callback");
    if (!request_valid(req))
        return err(GRA_EINVAL, "llm: request to %s has no messages array or inputs", mc->name);
    struct req *q = xcalloc(1, sizeof *q);
    q->m = &c->models[mc - c->cfg->models];
    q->tag = tag_index(c, req->tag);
    q->embedding = req->inputs != NULL;
    q->n_inputs = req->n_inputs;
    q->has_schema = req->schema != NULL && !q->embedding;
    q->allow_length = req->allow_length;
    q->done = req->done;
    q->ud = req->ud;
    rng_seed(&q->rng, rng_derive(req->seed, "llm.backoff", 0));

    const cJSON **p = NULL;
    int np = merged_params(mc, req->params, &p);
    request_key(&c->scratch, mc, req, p, np, q->key);

    struct buf b = BUF_INIT;
    buf_grow(&b, c->scratch.len + 128);
    buf_puts(&b, "{\"model\":");
    buf_put_json_string(&b, served(mc), strlen(served(mc)));
    if (q->embedding) {
        buf_puts(&b, ",\"input\":");
        put_inputs(&b, req);
    } else {
        buf_puts(&b, ",\"messages\":");
        canon(&b, req->messages);
    }
    put_params(&b, p, np, true);
    if (!q->embedding) {
        buf_appendf(&b, ",\"seed\":%llu", (unsigned long long)(req->seed & 0x7fffffffULL));
        if (req->schema && mc->structured_output) {
            const char *name = req->schema_name ? req->schema_name : "reply";
            buf_puts(&b,
                     ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":");
            buf_put_json_string(&b, name, strlen(name));
            buf_puts(&b, ",\"schema\":");
            canon(&b, req->schema);
            buf_puts(&b, ",\"strict\":true}}");
        }
    }
    buf_putc(&b, '}');
    long max_tokens = 0;
    for (int i = 0; i < np; i++)
        if ((strcmp(p[i]->string, "max_tokens") == 0 ||
             strcmp(p[i]->string, "max_completion_tokens") == 0) &&
            cJSON_IsNumber(p[i]))
            max_tokens = (long)p[i]->valuedouble;
    free(p);
    q->body = buf_detach(&b, &q->body_len);
    q->est_tokens = (long)(q->body_len / 4) + max_tokens;

    if (c->pend_tail)
        c->pend_tail->next = q;
    else
        c->pend_head = q;
    c->pend_tail = q;
    c->n_queued++;
    return 0;
}

/* Cache lookups for newly submitted requests; hits are delivered here. */
static bool process_pending(struct llm_client *c)
{
    bool any = false;
    while (c->pend_head) {
        struct req *q = c->pend_head;
        c->pend_head = q->next;
        if (!c->pend_head) c->pend_tail = NULL;
        q->next = NULL;
        any = true;
        if (c->stop) {
            deliver_status(c, q, LLM_FAIL_CANCELLED, "interrupted");
            continue;
        }
        if (c->cache) {
            char *v = NULL;
            size_t n = 0;
            double lat = 0;
            if (cache_get(c->cache, q->key, &v, &n, &lat) == 0) {
                struct llm_result r;
                struct reply rp;
                memset(&r, 0, sizeof r);
                memset(&rp, 0, sizeof rp);
                int pr = parse_reply(c, q, v, n, &r, &rp);
                if (pr != PR_BAD) {
                    r.status = pr == PR_OK ? LLM_OK : LLM_FAIL_LENGTH;
                    r.error = pr == PR_OK ? NULL : rp.err;
                    r.cache_hit = true;
                    r.latency_ms = lat; /* as measured when the entry was made */
                    r.http_status = 200;
                    deliver(c, q, &r);
                    reply_release(&rp);
                    free(v);
                    continue;
                }
                log_warn("llm: cache entry %s does not parse (%s); treated as a miss", q->key,
                         rp.err);
                reply_release(&rp);
                free(v);
            }
            if (c->replay) {
                if (c->replay_misses++ == 0)
                    log_error("replay: no cache entry for a call to %s (request %.16s...); the "
                              "cache does not hold this run's calls, stopping",
                              q->m->cfg->name, q->key);
                deliver_status(c, q, LLM_FAIL_MISS, "replay mode: no cache entry for this request");
                continue;
            }
        }
        ready_push(q->m, q);
    }
    return any;
}

static void promote_due(struct llm_client *c, int64_t now)
{
    while (c->heap_n && c->heap[0]->not_before <= now) {
        struct req *q = heap_pop(c);
        ready_push(q->m, q);
    }
}

static bool drain_done(struct llm_client *c)
{
    bool any = false;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        struct conn *k = NULL;
        CURLcode cc = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&k);
        complete(c, k, cc);
        any = true;
    }
    return any;
}

/* Deliver LLM_FAIL_CANCELLED to everything not finished, including requests
 * submitted by those callbacks. */
static void cancel_all(struct llm_client *c)
{
    for (;;) {
        bool any = false;
        for (int i = 0; i < c->n_models; i++) {
            struct model_st *m = &c->models[i];
            struct req *q;
            while ((q = ready_pop(m))) {
                deliver_status(c, q, LLM_FAIL_CANCELLED, "interrupted");
                any = true;
            }
        }
        while (c->heap_n) {
            deliver_status(c, heap_pop(c), LLM_FAIL_CANCELLED, "interrupted");
            any = true;
        }
        while (c->pend_head) {
            struct req *q = c->pend_head;
            c->pend_head = q->next;
            if (!c->pend_head) c->pend_tail = NULL;
            deliver_status(c, q, LLM_FAIL_CANCELLED, "interrupted");
            any = true;
        }
        while (c->live) {
            struct conn *k = c->live;
            struct req *q = k->req;
            curl_multi_remove_handle(c->multi, k->h);
            live_del(c, k);
            k->ep->inflight--;
            c->n_inflight--;
            q->conn = NULL;
            conn_put(k);
            deliver_status(c, q, LLM_FAIL_CANCELLED, "interrupted");
            any = true;
        }
        if (!any) break;
    }
}

int llm_run(struct llm_client *c)
{
    if (c->running) return err(GRA_ESTATE, "llm_run: called from inside a callback");
    c->running = true;
    struct progress *prog = progress_new("llm calls", 0, c->quiet);
    double stop_at = 0;
    int rc = 0;
    for (;;) {
        if (c->stop || c->replay_misses) {
            double t = now_ms();
            if (!stop_at) stop_at = t;
            if (!c->n_inflight || t - stop_at >= LLM_STOP_GRACE_MS) {
                cancel_all(c);
                rc = c->replay_misses ? GRA_EMISS : GRA_EINTR;
                break;
            }
        }
        bool busy = process_pending(c);
        int64_t now = (int64_t)now_ms();
        if (!c->stop && !c->replay_misses) {
            promote_due(c, now);
            dispatch(c, now);
        }
        if (!c->n_inflight && !c->heap_n && !c->pend_head) {
            bool queued = false;
            for (int i = 0; i < c->n_models && !queued; i++) queued = c->models[i].q_head != NULL;
            if (!queued) break;
        }
        int running = 0;
        curl_multi_perform(c->multi, &running);
        if (drain_done(c)) busy = true;
        if (c->cache) cache_tick(c->cache);
        progress_update(prog, c->n_done, c->n_inflight, c->n_retries, c->n_failures);
        if (busy || c->pend_head) continue;
        int64_t wake = (int64_t)now_ms() + LLM_MAX_WAIT_MS;
        if (c->heap_n && c->heap[0]->not_before < wake) wake = c->heap[0]->not_before;
        if (c->rl_wake < wake) wake = c->rl_wake;
        int64_t wait = wake - (int64_t)now_ms();
        if (wait <= 0) continue;
        curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
    }
    if (c->cache && cache_flush(c->cache) != 0 && !rc) rc = GRA_ECACHE;
    if (c->replay_misses && !rc) rc = GRA_EMISS;
    progress_update(prog, c->n_done, c->n_inflight, c->n_retries, c->n_failures);
    progress_finish(prog);
    c->running = false;
    return rc;
}

void llm_stop(struct llm_client *c)
{
    c->stop = 1;
}

void llm_client_free(struct llm_client *c)
{
    if (!c) return;
    if (c->models) {
        c->stop = 1;
        cancel_all(c);
    }
    for (int i = 0; c->models && i < c->n_models; i++) {
        struct model_st *m = &c->models[i];
        for (int e = 0; e < m->n_eps; e++) {
            struct conn *k = m->eps[e].idle;
            while (k) {
                struct conn *nx = k->next_idle;
                conn_free(k);
                k = nx;
            }
            free(m->eps[e].url_chat);
            free(m->eps[e].url_emb);
        }
        free(m->eps);
        for (struct curl_slist *h = m->headers; h; h = h->next) /* the key, if any */
            if (strncmp(h->data, "Authorization:", 14) == 0) memset(h->data, 0, strlen(h->data));
        curl_slist_free_all(m->headers);
        stats_release(&m->st);
    }
    free(c->models);
    for (int t = 0; t < c->n_tags; t++) {
        free(c->tags[t]);
        stats_release(&c->tag_st[t]);
        for (int i = 0; i < c->n_models; i++) stats_release(&c->tm_st[t][i]);
        free(c->tm_st[t]);
    }
    free(c->tags);
    free(c->tag_st);
    free(c->tm_st);
    if (c->multi) curl_multi_cleanup(c->multi);
    cache_close(c->cache);
    free(c->heap);
    free(c->emb);
    buf_release(&c->scratch);
    free(c);
}
