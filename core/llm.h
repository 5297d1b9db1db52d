/*
 * llm: the one LLM client every stage uses (chat completions and embeddings
 * against OpenAI-compatible servers).
 *
 * Shape (curl's --parallel / 10-at-a-time): one CURLM driven by one thread in
 * llm_run(); requests wait in a queue until their endpoint has a free
 * in-flight slot, their not-before time (backoff) has passed and the RPM/TPM
 * budget allows; replicas of a model are chosen least-in-flight; connections
 * are kept alive and reused. Retries on 408/409/429/5xx, connection errors and
 * timeouts, exponential backoff with full jitter from the request's own seeded
 * stream, Retry-After honoured, a cap per request. Every request ends in
 * exactly one callback, with a status: nothing is silently dropped.
 *
 * The call cache (cache.h) sits in front: the key is sha256 of the canonical
 * request (model, messages, parameters, schema) plus the per-sample seed. A
 * hit makes no network call and still goes through the callback (from inside
 * llm_run, never from llm_submit, so callers see one ordering rule). In replay
 * mode a miss fails the request with LLM_FAIL_MISS.
 *
 * API keys are read from the environment variable the model config names,
 * put only into the Authorization header, and never logged, cached or
 * counted.
 */
#ifndef GRA_LLM_H
#define GRA_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct gra_config;
struct llm_client;

enum llm_status {
    LLM_OK = 0,
    LLM_FAIL_HTTP,      /* non-retryable HTTP status, or retries exhausted on one */
    LLM_FAIL_TRANSPORT, /* connection/timeout errors after all retries */
    LLM_FAIL_LENGTH,    /* finish_reason "length" and the request did not allow it */
    LLM_FAIL_PARSE,     /* body not OpenAI-shaped, or structured reply not parseable */
    LLM_FAIL_MISS,      /* replay mode and the cache has no entry */
    LLM_FAIL_CANCELLED, /* the run was interrupted before the request finished */
};
#define LLM_STATUS_COUNT 7
/* "ok", "http", "transport", "length", "parse", "cache_miss", "cancelled". */
const char *llm_status_name(int status);

struct llm_result {
    int status;        /* enum llm_status */
    const char *error; /* message when status != LLM_OK (server's message for HTTP) */
    int http_status;   /* last HTTP status seen, 0 if none */
    /* chat */
    const char *content; /* assistant text (NUL-terminated), NULL for embeddings */
    size_t content_len;
    const char *finish_reason;
    struct cJSON *json; /* structured reply when the request had a schema and it
                           parsed (first JSON object / fenced block tolerated);
                           owned by the result: cJSON_Detach or copy to keep */
    /* embeddings: n_embeddings rows of dim floats, row-major */
    const float *embeddings;
    int n_embeddings;
    int dim;
    /* accounting */
    long prompt_tokens, completion_tokens;
    double latency_ms; /* wall time of the successful attempt; on a cache hit, the
                          latency recorded when the entry was made (0 = unknown) */
    int attempts;      /* HTTP attempts made (0 on a cache hit) */
    bool cache_hit;
    char request_hash[65]; /* cache key: the call id recorded in provenance */
};

/* Called exactly once per submitted request, from inside llm_run(). The result
 * and everything it points to are valid only during the call. The callback may
 * submit further requests. */
typedef void (*llm_done_fn)(void *ud, const struct llm_result *r);

struct llm_request {
    const char *model; /* name under "models" in the config */
    const char *tag;   /* accounting tag (the GRA role), may be NULL */
    /* chat: messages is a JSON array of {"role","content"} (copied) */
    const struct cJSON *messages;
    const struct cJSON *params; /* body fields merged over the model's defaults
                                   (temperature, max_tokens, ...); may be NULL */
    const char *schema_name;    /* structured output: response_format json_schema */
    const struct cJSON *schema; /* the JSON schema (copied); NULL for free text */
    bool allow_length;          /* false: finish_reason "length" => LLM_FAIL_LENGTH */
    /* embeddings: when inputs != NULL the request is POST /embeddings */
    const char *const *inputs;
    int n_inputs;
    uint64_t seed; /* per-sample seed: sent as "seed" (its low 31 bits, the range
                      every server accepts), part of the cache key (all 64
                      bits), and the seed of this request's jitter stream */
    llm_done_fn done;
    void *ud;
};

struct llm_client_opts {
    const char *cache_path; /* SQLite call cache; NULL = none */
    bool replay;            /* fail on any cache miss */
    bool quiet;             /* no progress line */
};

/* Create a client for the models of cfg (cfg must outlive the client). "sim"
 * endpoints must have been resolved first (simsrv_autostart). 0 or GRA_E*. */
int llm_client_new(const struct gra_config *cfg, const struct llm_client_opts *opts,
                   struct llm_client **out);
/* Free; requests still queued get LLM_FAIL_CANCELLED callbacks first. NULL ok.
 * Never from inside a callback (llm_run is still using the client). */
void llm_client_free(struct llm_client *c);

/* Queue a request; everything it points to is copied. 0, or GRA_EINVAL for an
 * unknown model (no callback is made then). */
int llm_submit(struct llm_client *c, const struct llm_request *req);

/* Drive all queued and in-flight requests, including ones submitted from
 * callbacks, until none is left. 0, GRA_EINTR after llm_stop(), or in replay
 * mode GRA_EMISS when any request missed the cache (each submitted request is
 * still answered from the cache or with LLM_FAIL_MISS, nothing is sent, and
 * requests that would be sent later are cancelled; every later llm_run
 * returns GRA_EMISS too). */
int llm_run(struct llm_client *c);

/* Ask llm_run() to stop (async-signal-safe): no new request starts, in-flight
 * ones finish or are cancelled, remaining ones get LLM_FAIL_CANCELLED. */
void llm_stop(struct llm_client *c);

/* Live counters, for progress lines: queued = submitted and neither in flight
 * nor delivered (waiting for a slot, a rate limit or a retry time). */
struct llm_counters {
    long queued, inflight, done, retries, failures, cache_hits;
};
void llm_counters(const struct llm_client *c, struct llm_counters *out);

/* Accounting so far, as a new JSON object (free with cJSON_Delete):
 * {"models": {NAME: {calls, cache_hits, prompt_tokens, completion_tokens,
 *   latency_ms_sum, latency_ms_p50, latency_ms_p95, retries, failures: {status: n},
 *   http_statuses: {code: n}, connections, truncations, parse_failures, params_b, flops,
 *   cost_usd (when priced)}},
 *  "tags": {TAG: {...same...}}, "by_tag_model": {TAG: {NAME: {...}}}} */
struct cJSON *llm_stats_json(const struct llm_client *c);

/* The call cache key of req as the client would compute it (sha256 hex of the
 * canonical request: kind, served model name, messages or inputs, parameters
 * merged over the model's defaults, schema name, schema, seed; keys sorted,
 * compact JSON). Never depends on the API key or the endpoint. 0, or
 * GRA_EINVAL for an unknown model. */
int llm_request_key(const struct gra_config *cfg, const struct llm_request *req, char out[65]);

/* Append {"role": role, "content": content} to the chat messages array msgs
 * (strings copied). */
void llm_message_add(struct cJSON *msgs, const char *role, const char *content);

/* Parse the first JSON object in text: bare, inside a ```json fence, or
 * embedded in prose. NULL if none. Free with cJSON_Delete. */
struct cJSON *llm_parse_json_reply(const char *text, size_t len);

/* The backoff schedule (exposed for tests): the delay before retry number
 * `attempt` (1-based), full jitter in [0, min(cap, base * 2^(attempt-1))],
 * drawn from u in [0,1); retry_after_ms > 0 wins, clamped to cap. */
long llm_backoff_ms(int attempt, long base_ms, long cap_ms, long retry_after_ms, double u);

#endif
