/*
 * simsrv: `gra serve-sim`, the offline OpenAI-compatible simulated model
 * server (see simsrv.h for the contract, docs/serve-sim.md for usage and
 * docs/sim-models.md for the model files).
 *
 * Shape:
 *   - libmicrohttpd with its own epoll threads (a pool of opts.threads), HTTP/1.1
 *     keep-alive. The access handler collects the body, then answers the whole
 *     request in one go: parse, validate, dispatch to a role handler (or the
 *     generic reply), render the OpenAI JSON (or the SSE stream) into a buffer.
 *   - Latency is never slept in an MHD thread: a delayed reply is rendered at
 *     once, the connection is suspended and its wake time goes into a min-heap
 *     served by one timer thread, which resumes it when due; MHD then calls the
 *     handler again and the ready response is queued. 1024 slow requests in
 *     flight cost 1024 heap entries, not 1024 threads.
 *   - Determinism: the request seed is a hash of the canonical body (keys
 *     sorted, "stream"/"stream_options" left out, so streamed and plain
 *     requests agree) mixed with the model's seed. The reply, the token counts
 *     and the latency draw all come from it.
 *   - Faults are drawn per request from a stream keyed by the fault seed, the
 *     request hash and how many times this exact request arrived before, so a
 *     retried request gets a fresh draw and eventually succeeds. Only the POST
 *     routes fault; GET /v1/models (readiness checks) always answers.
 *   - Everything is labelled SIMULATED: system_fingerprint "gra-sim-SIMULATED",
 *     owned_by "gra-sim (SIMULATED)", an "X-Gra-Sim: SIMULATED" header, and
 *     the generic replies say so in their text.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/rng.h"
#include "core/sim_int.h"
#include "core/simsrv.h"

#define SIM_MAX_BODY (32u << 20)       /* request bodies above this get 413 */
#define SIM_CREATED 1735689600L        /* fixed "created": 2025-01-01T00:00:00Z */
#define SIM_FINGERPRINT "gra-sim-SIMULATED"
#define SIM_OWNER "gra-sim (SIMULATED)"
#define SIM_MAX_N 16                   /* "n" choices per request */
#define SIM_MAX_INPUTS 2048            /* embedding inputs per request */

/* ---- role registry (process-wide: main.c registers before any server) ---- */

struct role_ent {
    char *prefix;
    size_t len;
    sim_role_fn fn;
};
static pthread_mutex_t roles_mu = PTHREAD_MUTEX_INITIALIZER;
static struct role_ent roles[32];
static int n_roles;
static sim_role_fn student_fn;

void simsrv_register_role(const char *schema_prefix, sim_role_fn fn)
{
    pthread_mutex_lock(&roles_mu);
    for (int i = 0; i < n_roles; i++) {
        if (strcmp(roles[i].prefix, schema_prefix) == 0) {
            roles[i].fn = fn;
            pthread_mutex_unlock(&roles_mu);
            return;
        }
    }
    if (n_roles == (int)GRA_ARRAY_LEN(roles)) {
        pthread_mutex_unlock(&roles_mu);
        log_error("simsrv: too many role handlers (max %d), \"%s\" ignored",
                  (int)GRA_ARRAY_LEN(roles), schema_prefix);
        return;
    }
    roles[n_roles].prefix = xstrdup(schema_prefix);
    roles[n_roles].len = strlen(schema_prefix);
    roles[n_roles].fn = fn;
    n_roles++;
    pthread_mutex_unlock(&roles_mu);
}

void simsrv_register_student(sim_role_fn fn)
{
    pthread_mutex_lock(&roles_mu);
    student_fn = fn;
    pthread_mutex_unlock(&roles_mu);
}

/* The handler for a schema name (NULL name: the student); NULL if none. */
static sim_role_fn role_lookup(const char *schema)
{
    sim_role_fn fn = NULL;
    pthread_mutex_lock(&roles_mu);
    if (!schema) {
        fn = student_fn;
    } else {
        size_t best = 0;
        for (int i = 0; i < n_roles; i++) {
            if (roles[i].len >= best && strncmp(schema, roles[i].prefix, roles[i].len) == 0) {
                best = roles[i].len;
                fn = roles[i].fn;
            }
        }
    }
    pthread_mutex_unlock(&roles_mu);
    return fn;
}

/* ---- the server ---- */

struct timer_ent {
    uint64_t wake_ns;
    struct MHD_Connection *conn;
};

struct fault_ent {
    uint64_t key;
    uint32_t count;
    struct fault_ent *next;
};

struct simsrv {
    struct MHD_Daemon *daemon;
    int port;
    struct sim_table table;
    char *data_dir;
    int embed_dim;
    bool no_delay;
    struct sim_faults faults;
    bool any_fault;
    atomic_long requests;
    char *models_json; /* GET /v1/models body, rendered once */

    pthread_t timer;
    bool timer_running;
    pthread_mutex_t tmu;
    pthread_cond_t tcv;
    struct timer_ent *heap;
    size_t nheap, capheap;
    bool stopping;

    pthread_mutex_t fmu;
    struct fault_ent **fbuckets;
    size_t nfbuckets, nfents;
};

enum fault {
    F_NONE = 0, F_DROP, F_429, F_500, F_503, F_TRUNCATED, F_MALFORMED, F_LENGTH,
};

/* One HTTP request's state across handler calls (freed on completion). */
struct req {
    struct buf body;
    bool too_large;
    bool ready;                 /* a delayed reply waits in resp (or drop) */
    bool drop;
    unsigned status;
    struct MHD_Response *resp;
};

/* What a route produced, before it becomes an MHD response. */
struct result {
    unsigned status;
    struct buf body;
    const char *ctype;
    enum fault fault;
    double delay_ms;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- timer thread: a min-heap of wake times, resumes suspended connections ---- */

static void heap_push(struct simsrv *s, struct timer_ent e)
{
    if (s->nheap == s->capheap) {
        s->capheap = s->capheap ? s->capheap * 2 : 256;
        s->heap = xrealloc(s->heap, s->capheap * sizeof *s->heap);
    }
    size_t i = s->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (s->heap[p].wake_ns <= e.wake_ns) break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = e;
}

static struct timer_ent heap_pop(struct simsrv *s)
{
    struct timer_ent top = s->heap[0];
    struct timer_ent last = s->heap[--s->nheap];
    size_t i = 0, n = s->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && s->heap[c + 1].wake_ns < s->heap[c].wake_ns) c++;
        if (last.wake_ns <= s->heap[c].wake_ns) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n) s->heap[i] = last;
    return top;
}

static void *timer_main(void *arg)
{
    struct simsrv *s = arg;
    pthread_mutex_lock(&s->tmu);
    for (;;) {
        if (s->stopping) {
            /* resume everything still waiting: MHD must not stop with
             * suspended connections */
            while (s->nheap) MHD_resume_connection(heap_pop(s).conn);
            break;
        }
        if (!s->nheap) {
            pthread_cond_wait(&s->tcv, &s->tmu);
            continue;
        }
        uint64_t now = now_ns();
        if (s->heap[0].wake_ns <= now) {
            struct MHD_Connection *c = heap_pop(s).conn;
            pthread_mutex_unlock(&s->tmu);
            MHD_resume_connection(c);
            pthread_mutex_lock(&s->tmu);
            continue;
        }
        uint64_t w = s->heap[0].wake_ns;
        struct timespec ts = {(time_t)(w / 1000000000ull), (long)(w % 1000000000ull)};
        pthread_cond_timedwait(&s->tcv, &s->tmu, &ts);
    }
    pthread_mutex_unlock(&s->tmu);
    return NULL;
}

/* ---- fault draws ---- */

static uint32_t fault_attempt(struct simsrv *s, uint64_t key)
{
    pthread_mutex_lock(&s->fmu);
    if (s->nfents >= 2 * s->nfbuckets) {
        size_t nb = s->nfbuckets ? s->nfbuckets * 4 : 1024;
        struct fault_ent **b = xcalloc(nb, sizeof *b);
        for (size_t i = 0; i < s->nfbuckets; i++) {
            struct fault_ent *e = s->fbuckets[i], *next;
            for (; e; e = next) {
                next = e->next;
                e->next = b[e->key % nb];
                b[e->key % nb] = e;
            }
        }
        free(s->fbuckets);
        s->fbuckets = b;
        s->nfbuckets = nb;
    }
    struct fault_ent **head = &s->fbuckets[key % s->nfbuckets], *e = *head;
    while (e && e->key != key) e = e->next;
    if (!e) {
        e = xcalloc(1, sizeof *e);
        e->key = key;
        e->next = *head;
        *head = e;
        s->nfents++;
    }
    uint32_t a = e->count++;
    pthread_mutex_unlock(&s->fmu);
    return a;
}

static enum fault fault_draw(struct simsrv *s, uint64_t reqhash)
{
    if (!s->any_fault) return F_NONE;
    uint32_t attempt = fault_attempt(s, reqhash);
    struct rng r;
    rng_seed(&r, rng_derive(s->faults.seed ^ reqhash, "fault", attempt));
    double u = rng_uniform(&r);
    const struct sim_faults *f = &s->faults;
    const double rates[] = {f->rate_drop, f->rate_429, f->rate_500, f->rate_503,
                            f->rate_truncated, f->rate_malformed, f->rate_length};
    const enum fault kinds[] = {F_DROP, F_429, F_500, F_503, F_TRUNCATED, F_MALFORMED, F_LENGTH};
    double acc = 0;
    for (size_t i = 0; i < GRA_ARRAY_LEN(rates); i++) {
        acc += rates[i];
        if (u < acc) return kinds[i];
    }
    return F_NONE;
}

/* ---- canonical request hash ---- */

static uint64_t hash_node(const cJSON *n, uint64_t h, bool top);

static int cmp_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int c = strcmp(x->string, y->string);
    return c ? c : (x < y ? -1 : x > y);
}

static uint64_t hash_node(const cJSON *n, uint64_t h, bool top)
{
    unsigned char tag = (unsigned char)(n->type & 0xff);
    h = hash64(&tag, 1, h);
    if (cJSON_IsNumber(n)) {
        double d = n->valuedouble == 0 ? 0.0 : n->valuedouble;
        return hash64(&d, sizeof d, h);
    }
    if (cJSON_IsString(n)) return hash64(n->valuestring, strlen(n->valuestring) + 1, h);
    if (cJSON_IsArray(n)) {
        const cJSON *c;
        cJSON_ArrayForEach(c, n) h = hash_node(c, h, false);
        return hash64("]", 1, h);
    }
    if (cJSON_IsObject(n)) {
        size_t k = 0, cap = 16;
        const cJSON *small[16];
        const cJSON **v = small;
        const cJSON *c;
        cJSON_ArrayForEach(c, n) {
            if (top && (strcmp(c->string, "stream") == 0 || strcmp(c->string, "stream_options") == 0))
                continue;
            if (k == cap) {
                const cJSON **nv = xmalloc(2 * cap * sizeof *nv);
                memcpy(nv, v, k * sizeof *nv);
                if (v != small) free(v);
                v = nv;
                cap *= 2;
            }
            v[k++] = c;
        }
        qsort(v, k, sizeof *v, cmp_keys);
        for (size_t i = 0; i < k; i++) {
            h = hash64(v[i]->string, strlen(v[i]->string) + 1, h);
            h = hash_node(v[i], h, false);
        }
        if (v != small) free(v);
        return hash64("}", 1, h);
    }
    return h; /* true, false, null: the tag says it all */
}

/* ---- small helpers ---- */

static long est_tokens(size_t bytes)
{
    return bytes ? (long)((bytes + 3) / 4) : 0;
}

static void error_json(struct result *res, unsigned status, const char *type, const char *param,
                       const char *code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void error_json(struct result *res, unsigned status, const char *type, const char *param,
                       const char *code, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    res->status = status;
    res->ctype = "application/json";
    buf_reset(&res->body);
    buf_puts(&res->body, "{\"error\":{\"message\":");
    buf_put_json_string(&res->body, msg, strlen(msg));
    buf_puts(&res->body, ",\"type\":");
    buf_put_json_string(&res->body, type, strlen(type));
    buf_puts(&res->body, ",\"param\":");
    if (param) buf_put_json_string(&res->body, param, strlen(param));
    else buf_puts(&res->body, "null");
    buf_puts(&res->body, ",\"code\":");
    if (code) buf_put_json_string(&res->body, code, strlen(code));
    else buf_puts(&res->body, "null");
    buf_puts(&res->body, "}}");
}

/* Text of a message's content: a string, or the "text" parts of an array. */
static void content_text(const cJSON *content, struct buf *out)
{
    if (cJSON_IsString(content)) {
        buf_puts(out, content->valuestring);
        return;
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, content) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
        if (cJSON_IsString(t)) {
            if (out->len) buf_putc(out, '\n');
            buf_puts(out, t->valuestring);
        }
    }
}

static double draw_latency(const struct sim_model *m, uint64_t seed)
{
    struct rng r;
    rng_seed(&r, rng_derive(seed, "latency", 0));
    double mean = m->latency_mean_ms, sd = m->latency_sd_ms;
    if (strcmp(m->latency_dist, "normal") == 0) {
        double v = mean + sd * rng_normal(&r);
        return v > 0 ? v : 0;
    }
    if (strcmp(m->latency_dist, "lognormal") == 0 && mean > 0) {
        double s2 = log(1 + (sd * sd) / (mean * mean));
        return exp(log(mean) - s2 / 2 + sqrt(s2) * rng_normal(&r));
    }
    return mean;
}

/* ---- the generic reply: no handler for this request ---- */

static const char *const filler[] = {
    "this", "simulated", "answer", "considers", "the", "question", "about", "and",
    "notes", "that", "a", "careful", "reply", "would", "explain", "each", "step",
    "in", "order", "with", "one", "example", "so", "result", "is", "clear",
};

static void generic_reply(const struct sim_model *m, const cJSON *body, uint64_t seed,
                          struct sim_reply *out)
{
    /* the last user message's words, so the reply visibly relates to it */
    struct buf last = BUF_INIT;
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages"), *it;
    cJSON_ArrayForEach(it, msgs) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(it, "role");
        if (cJSON_IsString(role) && strcmp(role->valuestring, "user") == 0) {
            buf_reset(&last);
            content_text(cJSON_GetObjectItemCaseSensitive(it, "content"), &last);
        }
    }
    const char *words[64];
    size_t wlen[64];
    int nw = 0;
    for (char *p = last.data; *p && nw < 64;) {
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
        if (!*p) break;
        char *q = p;
        while (*q && *q != ' ' && *q != '\n' && *q != '\t' && *q != '\r') q++;
        words[nw] = p;
        wlen[nw] = (size_t)(q - p);
        nw++;
        p = q;
    }
    struct rng r;
    rng_seed(&r, rng_derive(seed, "generic", 0));
    buf_appendf(&out->content, "SIMULATED reply from %s", m->name);
    if (nw) {
        buf_puts(&out->content, " to \"");
        for (int i = 0; i < nw && i < 8; i++) {
            if (i) buf_putc(&out->content, ' ');
            buf_append(&out->content, words[i], wlen[i]);
        }
        buf_puts(&out->content, nw > 8 ? " ...\"" : "\"");
    }
    buf_puts(&out->content, ":");
    long target = lround(m->verbosity * (double)(16 + rng_below(&r, 24)));
    if (target < 1) target = 1;
    for (long i = 0; i < target; i++) {
        buf_putc(&out->content, ' ');
        if (nw && rng_uniform(&r) < 0.35) {
            int k = (int)rng_below(&r, (uint64_t)nw);
            buf_append(&out->content, words[k], wlen[k]);
        } else {
            buf_puts(&out->content, filler[rng_below(&r, GRA_ARRAY_LEN(filler))]);
        }
    }
    buf_putc(&out->content, '.');
    buf_release(&last);

    /* honour max_tokens like a real server: cut and say "length" */
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(body, "max_completion_tokens");
    if (!cJSON_IsNumber(mt)) mt = cJSON_GetObjectItemCaseSensitive(body, "max_tokens");
    if (cJSON_IsNumber(mt) && mt->valuedouble >= 1 &&
        est_tokens(out->content.len) > (long)mt->valuedouble) {
        size_t cut = (size_t)mt->valuedouble * 4;
        while (cut > 0 && out->content.data[cut] != ' ') cut--;
        if (cut == 0) cut = (size_t)mt->valuedouble * 4;
        out->content.len = cut;
        out->content.data[cut] = '\0';
        out->finish_reason = "length";
    }
}

/* ---- routes ---- */

struct choice {
    struct sim_reply rep;
};

/* Split s into SSE pieces of a few words; pieces concatenate to s exactly. */
static size_t next_piece(const char *s, size_t len, size_t pos)
{
    int spaces = 0;
    size_t i = pos;
    while (i < len) {
        if (s[i] == ' ' && i > pos && ++spaces == 3) return i;
        i++;
    }
    return len;
}

static void chunk_head(struct buf *b, uint64_t id, const char *model)
{
    buf_appendf(b, "data: {\"id\":\"chatcmpl-sim-%016llx\",\"object\":\"chat.completion.chunk\","
                   "\"created\":%ld,\"model\":",
                (unsigned long long)id, SIM_CREATED);
    buf_put_json_string(b, model, strlen(model));
    buf_puts(b, ",\"system_fingerprint\":\"" SIM_FINGERPRINT "\",");
}

static void render_chat(struct result *res, const struct sim_model *m, uint64_t id,
                        struct choice *ch, int n, long ptok, long ctok, bool stream,
                        bool include_usage)
{
    struct buf *b = &res->body;
    res->status = 200;
    if (!stream) {
        res->ctype = "application/json";
        buf_appendf(b, "{\"id\":\"chatcmpl-sim-%016llx\",\"object\":\"chat.completion\","
                       "\"created\":%ld,\"model\":",
                    (unsigned long long)id, SIM_CREATED);
        buf_put_json_string(b, m->name, strlen(m->name));
        buf_puts(b, ",\"system_fingerprint\":\"" SIM_FINGERPRINT "\",\"choices\":[");
        for (int i = 0; i < n; i++) {
            struct sim_reply *r = &ch[i].rep;
            buf_appendf(b, "%s{\"index\":%d,\"message\":{\"role\":\"assistant\",\"content\":",
                        i ? "," : "", i);
            buf_put_json_string(b, r->content.data, r->content.len);
            buf_appendf(b, ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"%s\"}",
                        r->finish_reason ? r->finish_reason : "stop");
        }
        buf_appendf(b, "],\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
                       "\"total_tokens\":%ld}}",
                    ptok, ctok, ptok + ctok);
        return;
    }
    res->ctype = "text/event-stream";
    const char *usage_null = include_usage ? ",\"usage\":null" : "";
    for (int i = 0; i < n; i++) {
        struct sim_reply *r = &ch[i].rep;
        chunk_head(b, id, m->name);
        buf_appendf(b, "\"choices\":[{\"index\":%d,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
                       "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]%s}\n\n",
                    i, usage_null);
        for (size_t pos = 0; pos < r->content.len;) {
            size_t end = next_piece(r->content.data, r->content.len, pos);
            chunk_head(b, id, m->name);
            buf_appendf(b, "\"choices\":[{\"index\":%d,\"delta\":{\"content\":", i);
            buf_put_json_string(b, r->content.data + pos, end - pos);
            buf_appendf(b, "},\"logprobs\":null,\"finish_reason\":null}]%s}\n\n", usage_null);
            pos = end;
        }
        chunk_head(b, id, m->name);
        buf_appendf(b, "\"choices\":[{\"index\":%d,\"delta\":{},\"logprobs\":null,"
                       "\"finish_reason\":\"%s\"}]%s}\n\n",
                    i, r->finish_reason ? r->finish_reason : "stop", usage_null);
    }
    if (include_usage) {
        chunk_head(b, id, m->name);
        buf_appendf(b, "\"choices\":[],\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
                       "\"total_tokens\":%ld}}\n\n",
                    ptok, ctok, ptok + ctok);
    }
    buf_puts(b, "data: [DONE]\n\n");
}

/* Common start of the POST routes: the model, or an error in res. */
static const struct sim_model *route_model(struct simsrv *s, const cJSON *body, struct result *res)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (!cJSON_IsString(model) || !model->valuestring[0]) {
        error_json(res, 400, "invalid_request_error", "model", NULL,
                   "you must provide a model parameter (SIMULATED server)");
        return NULL;
    }
    const struct sim_model *m = sim_models_find(&s->table, model->valuestring);
    if (!m)
        error_json(res, 404, "invalid_request_error", "model", "model_not_found",
                   "The model `%s` does not exist or you do not have access to it "
                   "(SIMULATED server; GET /v1/models lists the %d declared models)",
                   model->valuestring, s->table.n);
    return m;
}

static void route_chat(struct simsrv *s, const cJSON *body, struct result *res)
{
    const struct sim_model *m = route_model(s, body, res);
    if (!m) return;
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0)
        return error_json(res, 400, "invalid_request_error", "messages", NULL,
                          "'messages' must be a non-empty array (SIMULATED server)");
    long ptok = 3;
    int idx = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, msgs) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(it, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(it, "content");
        if (!cJSON_IsObject(it) || !cJSON_IsString(role))
            return error_json(res, 400, "invalid_request_error", "messages", NULL,
                              "messages[%d]: expected an object with a string 'role' "
                              "(SIMULATED server)", idx);
        if (content && !cJSON_IsString(content) && !cJSON_IsArray(content) && !cJSON_IsNull(content))
            return error_json(res, 400, "invalid_request_error", "messages", NULL,
                              "messages[%d].content: expected a string or an array of parts "
                              "(SIMULATED server)", idx);
        if (cJSON_IsString(content)) ptok += 4 + est_tokens(strlen(content->valuestring));
        else if (cJSON_IsArray(content)) {
            struct buf t = BUF_INIT;
            content_text(content, &t);
            ptok += 4 + est_tokens(t.len);
            buf_release(&t);
        } else ptok += 4;
        idx++;
    }
    int n = 1;
    const cJSON *nj = cJSON_GetObjectItemCaseSensitive(body, "n");
    if (nj && !cJSON_IsNull(nj)) {
        if (!cJSON_IsNumber(nj) || nj->valuedouble < 1 || nj->valuedouble > SIM_MAX_N ||
            nj->valuedouble != floor(nj->valuedouble))
            return error_json(res, 400, "invalid_request_error", "n", NULL,
                              "'n' must be an integer in [1, %d] (SIMULATED server)", SIM_MAX_N);
        n = (int)nj->valuedouble;
    }
    bool stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "stream"));
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
    bool include_usage = stream && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(so, "include_usage"));
    const char *schema = NULL;
    const cJSON *rf = cJSON_GetObjectItemCaseSensitive(body, "response_format");
    if (cJSON_IsObject(rf)) {
        const cJSON *js = cJSON_GetObjectItemCaseSensitive(rf, "json_schema");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(js, "name");
        if (cJSON_IsString(name)) schema = name->valuestring;
    }

    uint64_t h = hash_node(body, 0x51a, true);
    uint64_t seed = mix64(h ^ mix64(m->seed));
    res->fault = fault_draw(s, h ^ 0xc4a7);
    if (res->fault && res->fault != F_LENGTH && res->fault != F_TRUNCATED &&
        res->fault != F_MALFORMED)
        return; /* an error or a drop: no reply to compute */

    sim_role_fn fn = role_lookup(schema);
    struct choice ch[SIM_MAX_N];
    long ctok = 0, ptok_handler = 0;
    for (int i = 0; i < n; i++) buf_init(&ch[i].rep.content, 0);
    for (int i = 0; i < n; i++) {
        struct sim_reply *r = &ch[i].rep;
        r->finish_reason = NULL;
        r->prompt_tokens = r->completion_tokens = 0;
        r->http_status = 0;
        r->error_message[0] = '\0';
        uint64_t cs = i ? rng_derive(seed, "choice", (uint64_t)i) : seed;
        int rc = fn ? fn(m, body, schema, cs, r) : SIM_DECLINE;
        if (rc == SIM_DECLINE) {
            buf_reset(&r->content);
            r->finish_reason = NULL;
            r->completion_tokens = r->prompt_tokens = 0;
            r->http_status = 0;
            generic_reply(m, body, cs, r);
        } else if (rc || r->http_status) {
            unsigned st = rc ? 500 : (unsigned)r->http_status;
            error_json(res, st, st >= 500 ? "server_error" : "invalid_request_error", NULL, NULL,
                       "%s (SIMULATED %s handler for model %s)",
                       r->error_message[0] ? r->error_message : "role handler failed",
                       schema ? schema : "student", m->name);
            res->fault = F_NONE;
            for (int j = 0; j < n; j++) buf_release(&ch[j].rep.content);
            return;
        }
        if (res->fault == F_LENGTH && i == 0) {
            /* cut the reply in the middle, at a character boundary */
            size_t cut = r->content.len / 2;
            while (cut > 0 && ((unsigned char)r->content.data[cut] & 0xc0) == 0x80) cut--;
            r->content.len = cut;
            r->content.data[cut] = '\0';
            r->finish_reason = "length";
            r->completion_tokens = 0;
        }
        ctok += r->completion_tokens > 0 ? r->completion_tokens : est_tokens(r->content.len);
        if (i == 0 && r->prompt_tokens > 0) ptok_handler = r->prompt_tokens;
    }
    if (ptok_handler) ptok = ptok_handler;
    render_chat(res, m, seed, ch, n, ptok, ctok, stream, include_usage);
    for (int i = 0; i < n; i++) buf_release(&ch[i].rep.content);
    if (!s->no_delay) res->delay_ms = draw_latency(m, seed) + m->ms_per_token * (double)ctok;
}

static void put_base64(struct buf *b, const unsigned char *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    buf_grow(b, (n + 2) / 3 * 4 + 2);
    buf_putc(b, '"');
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
        buf_append(b, q, 4);
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], i + 1 < n ? tbl[(v >> 6) & 63] : '=', '='};
        buf_append(b, q, 4);
    }
    buf_putc(b, '"');
}

static void route_embeddings(struct simsrv *s, const cJSON *body, struct result *res)
{
    const struct sim_model *m = route_model(s, body, res);
    if (!m) return;
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(body, "input");
    int n_in = 0;
    if (cJSON_IsString(input)) {
        n_in = 1;
    } else if (cJSON_IsArray(input)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, input) {
            if (!cJSON_IsString(it))
                return error_json(res, 400, "invalid_request_error", "input", NULL,
                                  "input[%d]: expected a string (token arrays are not supported "
                                  "by the SIMULATED server)", n_in);
            n_in++;
        }
    }
    if (n_in == 0 || n_in > SIM_MAX_INPUTS)
        return error_json(res, 400, "invalid_request_error", "input", NULL,
                          "'input' must be a string or a non-empty array of at most %d strings "
                          "(SIMULATED server)", SIM_MAX_INPUTS);
    bool b64 = false;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(body, "encoding_format");
    if (fmt && !cJSON_IsNull(fmt)) {
        if (cJSON_IsString(fmt) && strcmp(fmt->valuestring, "base64") == 0) b64 = true;
        else if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "float") != 0)
            return error_json(res, 400, "invalid_request_error", "encoding_format", NULL,
                              "'encoding_format' must be \"float\" or \"base64\" (SIMULATED server)");
    }
    int dim = m->embed_dim > 0 ? m->embed_dim : s->embed_dim;
    const cJSON *dj = cJSON_GetObjectItemCaseSensitive(body, "dimensions");
    if (dj && !cJSON_IsNull(dj)) {
        if (!cJSON_IsNumber(dj) || dj->valuedouble < 1 || dj->valuedouble > 8192 ||
            dj->valuedouble != floor(dj->valuedouble))
            return error_json(res, 400, "invalid_request_error", "dimensions", NULL,
                              "'dimensions' must be an integer in [1, 8192] (SIMULATED server)");
        dim = (int)dj->valuedouble;
    }
    uint64_t h = hash_node(body, 0xe3b, true);
    res->fault = fault_draw(s, h ^ 0xe3b);
    if (res->fault == F_LENGTH) res->fault = F_NONE; /* no finish_reason in embeddings */
    if (res->fault && res->fault != F_TRUNCATED && res->fault != F_MALFORMED) return;

    float *v = xmalloc(sizeof(float) * (size_t)dim);
    struct buf *b = &res->body;
    res->status = 200;
    res->ctype = "application/json";
    buf_puts(b, "{\"object\":\"list\",\"data\":[");
    long toks = 0;
    for (int i = 0; i < n_in; i++) {
        const char *text = cJSON_IsString(input) ? input->valuestring
                                                 : cJSON_GetArrayItem(input, i)->valuestring;
        toks += est_tokens(strlen(text));
        sim_embed(text, dim, v);
        buf_appendf(b, "%s{\"object\":\"embedding\",\"index\":%d,\"embedding\":", i ? "," : "", i);
        if (b64) {
            unsigned char *bytes = xmalloc(4 * (size_t)dim);
            for (int k = 0; k < dim; k++) {
                uint32_t u;
                memcpy(&u, &v[k], 4);
                bytes[4 * k] = (unsigned char)u;
                bytes[4 * k + 1] = (unsigned char)(u >> 8);
                bytes[4 * k + 2] = (unsigned char)(u >> 16);
                bytes[4 * k + 3] = (unsigned char)(u >> 24);
            }
            put_base64(b, bytes, 4 * (size_t)dim);
            free(bytes);
        } else {
            buf_putc(b, '[');
            for (int k = 0; k < dim; k++) buf_appendf(b, k ? ",%.8g" : "%.8g", (double)v[k]);
            buf_putc(b, ']');
        }
        buf_putc(b, '}');
    }
    free(v);
    buf_puts(b, "],\"model\":");
    buf_put_json_string(b, m->name, strlen(m->name));
    buf_appendf(b, ",\"usage\":{\"prompt_tokens\":%ld,\"total_tokens\":%ld}}", toks, toks);
    if (!s->no_delay) {
        uint64_t seed = mix64(h ^ mix64(m->seed));
        res->delay_ms = draw_latency(m, seed) + m->ms_per_token * 0.05 * (double)toks;
    }
}

static void render_models(struct simsrv *s)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "{\"object\":\"list\",\"data\":[");
    for (int i = 0; i < s->table.n; i++) {
        buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
        buf_put_json_string(&b, s->table.models[i].name, strlen(s->table.models[i].name));
        buf_appendf(&b, ",\"object\":\"model\",\"created\":%ld,\"owned_by\":\"" SIM_OWNER "\"}",
                    SIM_CREATED);
    }
    buf_puts(&b, "]}");
    s->models_json = buf_detach(&b, NULL);
}

static void route(struct simsrv *s, const char *method, const char *url, struct req *r,
                  struct result *res)
{
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (strcmp(url, "/v1/models") == 0) {
        if (!get) goto bad_method;
        res->status = 200;
        res->ctype = "application/json";
        buf_puts(&res->body, s->models_json);
        return;
    }
    if (strncmp(url, "/v1/models/", 11) == 0) {
        if (!get) goto bad_method;
        const struct sim_model *m = sim_models_find(&s->table, url + 11);
        if (!m)
            return error_json(res, 404, "invalid_request_error", "model", "model_not_found",
                              "The model `%s` does not exist (SIMULATED server)", url + 11);
        res->status = 200;
        res->ctype = "application/json";
        buf_puts(&res->body, "{\"id\":");
        buf_put_json_string(&res->body, m->name, strlen(m->name));
        buf_appendf(&res->body, ",\"object\":\"model\",\"created\":%ld,\"owned_by\":\"" SIM_OWNER "\"}",
                    SIM_CREATED);
        return;
    }
    bool chat = strcmp(url, "/v1/chat/completions") == 0;
    bool emb = strcmp(url, "/v1/embeddings") == 0;
    if (!chat && !emb)
        return error_json(res, 404, "invalid_request_error", NULL, "unknown_url",
                          "Invalid URL (%s %s): the SIMULATED server serves GET /v1/models, "
                          "POST /v1/chat/completions and POST /v1/embeddings", method, url);
    if (!post) goto bad_method;
    if (r->too_large)
        return error_json(res, 413, "invalid_request_error", NULL, "request_too_large",
                          "request body larger than %u bytes (SIMULATED server)", SIM_MAX_BODY);
    const char *end = NULL;
    cJSON *body = cJSON_ParseWithLengthOpts(r->body.data, r->body.len, &end, 0);
    if (!body)
        return error_json(res, 400, "invalid_request_error", NULL, NULL,
                          "We could not parse the JSON body of your request (at byte %ld; "
                          "SIMULATED server)", end ? (long)(end - r->body.data) : 0L);
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        return error_json(res, 400, "invalid_request_error", NULL, NULL,
                          "the request body must be a JSON object (SIMULATED server)");
    }
    if (chat) route_chat(s, body, res);
    else route_embeddings(s, body, res);
    cJSON_Delete(body);
    return;
bad_method:
    error_json(res, 405, "invalid_request_error", NULL, "method_not_allowed",
               "Method %s not allowed on %s (SIMULATED server)", method, url);
}

/* ---- MHD glue ---- */

struct trunc {
    char *data;
    size_t cut;
};

static ssize_t trunc_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct trunc *t = cls;
    if (pos >= t->cut) return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = t->cut - (size_t)pos;
    if (n > max) n = max;
    memcpy(out, t->data + pos, n);
    return (ssize_t)n;
}

static void trunc_free(void *cls)
{
    struct trunc *t = cls;
    free(t->data);
    free(t);
}

/* Turn a result into an MHD response (NULL for a drop). */
static struct MHD_Response *make_response(struct simsrv *s, struct result *res, unsigned *status)
{
    char tmp[64];
    switch (res->fault) {
    case F_DROP:
        return NULL;
    case F_429:
        error_json(res, 429, "requests", NULL, "rate_limit_exceeded",
                   "Rate limit reached for requests (SIMULATED fault). Please try again in %gs.",
                   s->faults.retry_after_s);
        break;
    case F_500:
        error_json(res, 500, "server_error", NULL, NULL,
                   "The server had an error while processing your request (SIMULATED fault)");
        break;
    case F_503:
        error_json(res, 503, "server_error", NULL, "service_unavailable",
                   "The engine is currently overloaded, please try again later (SIMULATED fault)");
        break;
    case F_MALFORMED:
        buf_reset(&res->body);
        buf_puts(&res->body, "<html><body>502 upstream garbage (SIMULATED malformed reply)</body>");
        res->status = 200;
        break;
    default:
        break;
    }
    struct MHD_Response *resp;
    size_t len;
    char *data = buf_detach(&res->body, &len);
    if (res->fault == F_TRUNCATED) {
        struct trunc *t = xmalloc(sizeof *t);
        t->data = data;
        t->cut = len / 2;
        resp = MHD_create_response_from_callback(len, 4096, trunc_read, t, trunc_free);
    } else {
        resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    }
    if (!resp) abort(); /* MHD fails only on out-of-memory */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, res->ctype ? res->ctype : "application/json");
    MHD_add_response_header(resp, "X-Gra-Sim", "SIMULATED");
    if (res->ctype && strcmp(res->ctype, "text/event-stream") == 0)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (res->fault == F_429) {
        snprintf(tmp, sizeof tmp, "%.0f", ceil(s->faults.retry_after_s));
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, tmp);
        snprintf(tmp, sizeof tmp, "%.0f", s->faults.retry_after_s * 1000.0);
        MHD_add_response_header(resp, "retry-after-ms", tmp);
    }
    *status = res->status ? res->status : 200;
    return resp;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct simsrv *s = cls;
    struct req *r = *con_cls;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        buf_init(&r->body, 0);
        *con_cls = r;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > SIM_MAX_BODY) r->too_large = true;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_large) {
            if (r->body.len + *upload_size > SIM_MAX_BODY) {
                r->too_large = true;
                buf_release(&r->body);
            } else {
                buf_append(&r->body, upload, *upload_size);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->ready) { /* resumed after the latency */
        if (r->drop) return MHD_NO;
        enum MHD_Result ret = MHD_queue_response(conn, r->status, r->resp);
        MHD_destroy_response(r->resp);
        r->resp = NULL;
        return ret;
    }
    atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
    struct result res = {0};
    buf_init(&res.body, 0);
    route(s, method, url, r, &res);
    double delay = res.delay_ms + (res.status != 0 || res.fault ? s->faults.extra_delay_ms : 0);
    unsigned status = 200;
    struct MHD_Response *resp = make_response(s, &res, &status);
    buf_release(&res.body);
    if (delay >= 1.0) {
        pthread_mutex_lock(&s->tmu);
        if (!s->stopping) {
            r->ready = true;
            r->drop = resp == NULL;
            r->resp = resp;
            r->status = status;
            MHD_suspend_connection(conn);
            bool first = s->nheap == 0 || now_ns() + (uint64_t)(delay * 1e6) < s->heap[0].wake_ns;
            heap_push(s, (struct timer_ent){now_ns() + (uint64_t)(delay * 1e6), conn});
            if (first) pthread_cond_signal(&s->tcv);
            pthread_mutex_unlock(&s->tmu);
            return MHD_YES;
        }
        pthread_mutex_unlock(&s->tmu);
    }
    if (!resp) return MHD_NO; /* drop: close without a reply */
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct req *r = *con_cls;
    if (!r) return;
    if (r->resp) MHD_destroy_response(r->resp);
    buf_release(&r->body);
    free(r);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (gra_log_level < LOG_DEBUG) return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n') line[--n] = '\0';
    log_debug("serve-sim (libmicrohttpd): %s", line);
}

static int check_faults(const struct sim_faults *f)
{
    const double r[] = {f->rate_429, f->rate_500, f->rate_503, f->rate_drop,
                        f->rate_truncated, f->rate_malformed, f->rate_length};
    double sum = 0;
    for (size_t i = 0; i < GRA_ARRAY_LEN(r); i++) {
        if (!(r[i] >= 0 && r[i] <= 1))
            return err(GRA_EINVAL, "serve-sim: fault rates must be in [0, 1], got %g", r[i]);
        sum += r[i];
    }
    if (sum > 1 + 1e-9)
        return err(GRA_EINVAL, "serve-sim: fault rates add up to %g > 1", sum);
    if (!(f->retry_after_s >= 0 && f->retry_after_s <= 86400))
        return err(GRA_EINVAL, "serve-sim: retry-after must be in [0, 86400] s");
    if (!(f->extra_delay_ms >= 0 && f->extra_delay_ms <= 3.6e6))
        return err(GRA_EINVAL, "serve-sim: extra delay must be in [0, 3600000] ms");
    return 0;
}

int simsrv_start(const struct simsrv_opts *o, struct simsrv **out)
{
    *out = NULL;
    int rc = check_faults(&o->faults);
    if (rc) return rc;
    if (o->embed_dim < 0 || o->embed_dim > 8192)
        return err(GRA_EINVAL, "serve-sim: embedding dimension must be in [1, 8192]");
    if (o->port < 0 || o->port > 65535) return err(GRA_EINVAL, "serve-sim: bad port %d", o->port);
    const char *host = o->host && o->host[0] ? o->host : "127.0.0.1";
    if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return err(GRA_EINVAL, "serve-sim: host must be an IPv4 address, got \"%s\"", host);

    struct simsrv *s = xcalloc(1, sizeof *s);
    rc = sim_models_load(o->models_files, o->n_models_files, &s->table);
    if (rc) {
        free(s);
        return rc;
    }
    for (int i = 0; i < s->table.n; i++) s->table.models[i].server = s;
    s->data_dir = o->data_dir ? xstrdup(o->data_dir) : NULL;
    s->embed_dim = o->embed_dim ? o->embed_dim : 384;
    s->no_delay = o->no_delay;
    s->faults = o->faults;
    s->any_fault = o->faults.rate_429 > 0 || o->faults.rate_500 > 0 || o->faults.rate_503 > 0 ||
                   o->faults.rate_drop > 0 || o->faults.rate_truncated > 0 ||
                   o->faults.rate_malformed > 0 || o->faults.rate_length > 0;
    atomic_init(&s->requests, 0);
    render_models(s);
    pthread_mutex_init(&s->tmu, NULL);
    pthread_mutex_init(&s->fmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->tcv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&s->timer, NULL, timer_main, s) != 0) {
        rc = err(GRA_EIO, "serve-sim: cannot start the timer thread");
        goto fail;
    }
    s->timer_running = true;

    /* many slow requests in flight need many descriptors */
    struct rlimit rl;
    unsigned conn_limit = 1000;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t want = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
        if (rl.rlim_cur < want) {
            rl.rlim_cur = want;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur > 128) conn_limit = (unsigned)(rl.rlim_cur - 64);
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = o->threads > 0 ? (unsigned)o->threads : (unsigned)(ncpu > 0 ? ncpu : 1);
    if (threads > 256) threads = 256;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &sa},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL},
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, conn_limit, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, 600, NULL},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32 * 1024, NULL}, /* MHD clears it per request */
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    s->daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                                     MHD_USE_ERROR_LOG | MHD_USE_TURBO,
                                 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        rc = err(GRA_EIO, "serve-sim: cannot listen on %s:%d (port in use? run with -vv for details)",
                 host, o->port);
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : o->port;
    *out = s;
    return 0;
fail:
    simsrv_stop(s);
    return rc;
}

int simsrv_port(const struct simsrv *s)
{
    return s ? s->port : 0;
}

const char *simsrv_data_dir(const struct simsrv *s)
{
    return s ? s->data_dir : NULL;
}

long simsrv_requests(const struct simsrv *s)
{
    return s ? atomic_load(&((struct simsrv *)s)->requests) : 0;
}

const struct sim_model *simsrv_model(const struct simsrv *s, const char *name)
{
    return s ? sim_models_find(&s->table, name) : NULL;
}

void simsrv_stop(struct simsrv *s)
{
    if (!s) return;
    if (s->timer_running) {
        pthread_mutex_lock(&s->tmu);
        s->stopping = true;
        pthread_cond_signal(&s->tcv);
        pthread_mutex_unlock(&s->tmu);
        pthread_join(s->timer, NULL);
    }
    if (s->daemon) MHD_stop_daemon(s->daemon);
    pthread_cond_destroy(&s->tcv);
    pthread_mutex_destroy(&s->tmu);
    pthread_mutex_destroy(&s->fmu);
    for (size_t i = 0; i < s->nfbuckets; i++) {
        struct fault_ent *e = s->fbuckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(s->fbuckets);
    free(s->heap);
    free(s->models_json);
    free(s->data_dir);
    sim_models_free(&s->table);
    free(s);
}

int simsrv_autostart(struct gra_config *cfg, struct simsrv **out)
{
    *out = NULL;
    int n_sim = 0;
    for (int i = 0; i < cfg->n_models; i++) n_sim += cfg->models[i].sim;
    if (!n_sim) return 0;
    struct simsrv_opts o = {0};
    o.models_files = (const char *const *)cfg->sim_models_files;
    o.n_models_files = cfg->n_sim_models_files;
    o.data_dir = getenv("GRA_DATA_DIR");
    struct simsrv *s;
    int rc = simsrv_start(&o, &s);
    if (rc) return rc;
    struct buf names = BUF_INIT;
    for (int i = 0; i < cfg->n_models; i++) {
        struct model_cfg *m = &cfg->models[i];
        if (!m->sim) continue;
        const char *served = m->served_name ? m->served_name : m->name;
        if (!sim_models_find(&s->table, served)) {
            rc = err(GRA_ECONFIG, "%s: models.%s: endpoint \"sim\" but the model \"%s\" is not "
                     "declared in %s%s (docs/sim-models.md)",
                     cfg->path ? cfg->path : "config", m->name, served,
                     cfg->n_sim_models_files ? "the sim model files, first " : "the built-in sim models",
                     cfg->n_sim_models_files ? cfg->sim_models_files[0] : "");
            continue;
        }
        for (int e = 0; e < m->n_endpoints; e++) free(m->endpoints[e]);
        if (m->n_endpoints < 1) m->endpoints = xrealloc(m->endpoints, sizeof *m->endpoints);
        m->endpoints[0] = xasprintf("http://127.0.0.1:%d/v1", s->port);
        m->n_endpoints = 1;
        buf_appendf(&names, "%s%s", names.len ? ", " : "", m->name);
    }
    if (rc) {
        buf_release(&names);
        simsrv_stop(s);
        return rc;
    }
    log_warn("models %s are SIMULATED: serve-sim answers them on http://127.0.0.1:%d/v1 "
             "(results are not real model outputs)", names.data, s->port);
    buf_release(&names);
    *out = s;
    return 0;
}
