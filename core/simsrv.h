/*
 * simsrv: `gra serve-sim`, the offline OpenAI-compatible model server
 * (libmicrohttpd, loopback only): GET /v1/models, POST /v1/chat/completions
 * (also stream:true as server-sent events), POST /v1/embeddings, errors in
 * OpenAI's shape. Models are seeded simulations declared in a JSON file
 * (docs/sim-models.md); replies are deterministic given the request body and
 * the model's seed. Fault injection for tests and benchmarks.
 *
 * core knows nothing of GRA roles or benchmarks: a stage registers a role
 * handler for the response_format schema names it uses ("gra_" from synth),
 * and one handler answers requests with no schema (the student, from eval).
 * main.c registers them; without one, a plain deterministic echo-style reply
 * is produced. Everything served is labelled SIMULATED (system_fingerprint
 * "gra-sim-SIMULATED", owned_by "gra-sim (SIMULATED)", header X-Gra-Sim).
 *
 * Ownership: simsrv_start() allocates the server, simsrv_stop() frees it and
 * everything it owns (model table, spec objects); struct sim_model pointers
 * and their spec stay valid until then. Role handlers write into a
 * sim_reply whose content buffer the server releases. Usage: docs/serve-sim.md;
 * model files and the role-section extension mechanism: docs/sim-models.md.
 */
#ifndef GRA_SIMSRV_H
#define GRA_SIMSRV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

struct cJSON;
struct gra_config;
struct simsrv;

struct sim_model {
    const char *name;
    double size_b;              /* billions of parameters */
    uint64_t seed;
    double latency_mean_ms, latency_sd_ms; /* per reply; distribution named below */
    const char *latency_dist;   /* "fixed", "normal", "lognormal" */
    double ms_per_token;        /* added per completion token (0 default) */
    double verbosity;           /* 1.0 = default reply length */
    const struct cJSON *spec;   /* the model's whole object: role sections
                                   ("generator", "reviewer", "student", ...) */
    int embed_dim;              /* "embedding": {"dim": N}; 0 = the server's default */
    const struct simsrv *server;/* the server whose table holds this model (for
                                   simsrv_model() / simsrv_data_dir() in handlers) */
};

struct sim_reply {
    struct buf content;         /* the assistant text */
    const char *finish_reason;  /* NULL = "stop" */
    long prompt_tokens, completion_tokens; /* 0 = estimated from text */
    int http_status;            /* 0 = 200; else an error reply with error_message */
    char error_message[200];
};

/* A role handler: fill out for this request. schema_name is NULL for requests
 * without response_format. Must be thread-safe and deterministic given
 * (m, body, seed): seed is derived from the body and the model seed. 0, or
 * non-zero to answer 500 with out->error_message; SIM_DECLINE to let the
 * generic reply answer instead (e.g. a student handler asked about a model
 * that has no "student" section). out->content is initialised empty (no
 * size limit) and released by the server. With "n" > 1 the handler is called
 * once per choice, choice i with seed rng_derive(seed, "choice", i) (i >= 1;
 * choice 0 gets seed itself). */
#define SIM_DECLINE 0x51D
typedef int (*sim_role_fn)(const struct sim_model *m, const struct cJSON *body,
                           const char *schema_name, uint64_t seed, struct sim_reply *out);

/* Requests whose schema name starts with prefix go to fn (longest prefix wins). */
void simsrv_register_role(const char *schema_prefix, sim_role_fn fn);
/* Requests without a schema go to fn (the student). */
void simsrv_register_student(sim_role_fn fn);

struct sim_faults {
    double rate_429;        /* with Retry-After: retry_after_s */
    double retry_after_s;
    double rate_500, rate_503;
    double rate_drop;       /* close the connection without a reply */
    double rate_truncated;  /* a body cut in the middle */
    double rate_malformed;  /* a body that is not JSON */
    double rate_length;     /* finish_reason "length" with a cut reply */
    double extra_delay_ms;  /* added to every reply */
    uint64_t seed;
};

struct simsrv_opts {
    const char *const *models_files; /* JSON model declarations, merged in order
                                        (configs/sim-models.json: roles, configs/
                                        sim-students.json: students); none = built-ins */
    int n_models_files;
    const char *data_dir;     /* benchmark data for the simulated student (GRA_DATA_DIR) */
    const char *host;         /* default 127.0.0.1 */
    int port;                 /* 0 = any free port */
    int threads;              /* 0 = number of cores */
    int embed_dim;            /* default 384 */
    bool no_delay;            /* ignore model latencies (benchmarks) */
    struct sim_faults faults;
};

/* Start in this process (libmicrohttpd's threads). 0 or GRA_E* (a bad model
 * file is GRA_ECONFIG/GRA_EPARSE with file + JSON path logged). The opts and
 * the strings they point to need not outlive the call. Free with simsrv_stop(). */
int simsrv_start(const struct simsrv_opts *o, struct simsrv **out);
int simsrv_port(const struct simsrv *s);
/* opts.data_dir as given (NULL if none); owned by the server. */
const char *simsrv_data_dir(const struct simsrv *s);
/* Requests answered so far (all routes, faults included). */
long simsrv_requests(const struct simsrv *s);
/* Stop and free (NULL ok). */
void simsrv_stop(struct simsrv *s);

/* For configs whose models have endpoint "sim": start one serve-sim on a free
 * loopback port with cfg->sim_models_files and rewrite those models' endpoints
 * to it. *out is NULL when no model is simulated. Stop with simsrv_stop(). */
int simsrv_autostart(struct gra_config *cfg, struct simsrv **out);

/* Deterministic embedding of text into dim floats (unit length) from hashed
 * word uni/bigrams and character 3-5-grams: near-duplicate texts are close in
 * cosine. Shared with tests and the MinHash fallback's checks. */
void sim_embed(const char *text, int dim, float *out);
/* Cosine of two unit vectors from sim_embed (their dot product). */
double sim_embed_cosine(const float *a, const float *b, int dim);

/* Validate and merge model declaration files (docs/sim-models.md) without
 * starting a server, for `gra serve-sim --check` and config validation.
 * 0 or GRA_ECONFIG/GRA_EPARSE/GRA_EIO after logging every problem. */
int simsrv_check_models(const char *const *files, int n_files);

/* Look up a model by name in a running server's table (for role handlers that
 * need another model's data). NULL if unknown. */
const struct sim_model *simsrv_model(const struct simsrv *s, const char *name);

#endif
