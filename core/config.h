/*
 * config: experiment files (JSON, loaded with cJSON) into typed structs.
 *
 * core owns the top level, "models" and "client"; each stage validates its own
 * section ("synth", "eval", "report", ...) from cfg->root with the cfg_*
 * helpers below, so every error has one shape:
 *
 *     configs/x.json: models.llama.max_inflight: expected a positive integer, got "ten"
 *
 * Unknown keys are rejected everywhere (cfg_keys). Every field is documented in
 * docs/config.md. Relative paths inside a config resolve against the config
 * file's directory (config_path()).
 */
#ifndef GRA_CONFIG_H
#define GRA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

struct model_cfg {
    char *name;        /* key under "models" */
    char *served_name; /* "model" sent to the server (default: name) */
    char **endpoints;  /* base URLs up to and including /v1 (no trailing slash), one per
                          replica; heap array of heap strings, freed by config_free() */
    int n_endpoints;
    bool sim;                   /* endpoint "sim": gra starts serve-sim itself. Until
                                   simsrv_autostart() fills them in, endpoints == NULL and
                                   n_endpoints == 0; it stores a heap array of heap strings,
                                   which config_free() frees */
    char *api_key_env;          /* name of the environment variable, never the key */
    int max_inflight;           /* per endpoint */
    double rpm, tpm;            /* 0 = unlimited */
    double params_b;            /* size in billions of parameters (FLOPs accounting) */
    double price_in, price_out; /* per million tokens, 0 = unknown */
    int timeout_ms;
    int max_retries;
    bool structured_output; /* send response_format json_schema */
    bool embedding;         /* kind "embedding" */
    struct cJSON *params;   /* default body fields: temperature, top_p, max_tokens ... (owned) */
};

struct client_cfg {
    int backoff_base_ms;    /* default 500 */
    int backoff_cap_ms;     /* default 60000 */
    int max_retries;        /* default 6; a model may override */
    int connect_timeout_ms; /* default 10000 */
    long max_body_bytes;    /* default 16 MiB */
};

struct gra_config {
    char *path; /* the file it came from */
    char *dir;  /* its directory, for relative paths */
    char *name;
    uint64_t seed;
    char *cache_path;        /* NULL = no cache ("cache": null); default "cache.sqlite";
                                relative to the run directory */
    char **sim_models_files; /* for "sim" endpoints; default configs/sim-models.json
                                and configs/sim-students.json under $GRA_HOME or else the
                                source tree; given ones resolved with config_path() */
    int n_sim_models_files;
    struct model_cfg *models;
    int n_models;
    struct client_cfg client;
    struct cJSON *root; /* the whole document, for stage sections (owned) */
};

/* Load and validate; 0, or GRA_ECONFIG (bad content, malformed JSON included)
 * or GRA_EIO (unreadable) after logging every problem found (not just the
 * first). Free with config_free() (NULL is a no-op). */
int config_load(const char *path, struct gra_config **out);
void config_free(struct gra_config *cfg);
const struct model_cfg *config_model(const struct gra_config *cfg, const char *name);
/* Resolve p against the config's directory (heap string, free()). */
char *config_path(const struct gra_config *cfg, const char *p);

/* ---- validation helpers for stage sections ----
 * `path` is the JSON path of obj ("synth.gra", "" for the top level); messages
 * name file[:line] + path.key. obj may be NULL (section absent): then every
 * value is absent and gets its default. A present value of the wrong type or
 * out of range is an error and *out gets the default. The line is found for
 * any item of a document loaded by config_load() (and not yet freed).
 * Each returns 0 or GRA_ECONFIG (after logging) and counts errors in e, so a
 * stage can check everything and then fail once with all messages shown. */
struct cfg_err {
    const char *file;
    int n_errors;
};
/* Reject keys of obj not in allowed (NULL-terminated). */
int cfg_keys(struct cfg_err *e, const struct cJSON *obj, const char *path,
             const char *const *allowed);
/* Child object (or NULL when absent and not required). */
int cfg_object(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
               bool required, const struct cJSON **out);
int cfg_int(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path, long def,
            long min, long max, long *out);
int cfg_double(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
               double def, double min, double max, double *out);
int cfg_bool(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
             bool def, bool *out);
/* Heap copy (free()); *out = def copy or NULL when absent. */
int cfg_string(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
               const char *def, char **out);
/* One of choices (NULL-terminated); *out = index, def when absent. */
int cfg_enum(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
             const char *const *choices, int def, int *out);
/* Array of strings (heap, free each and the array); absent = NULL, 0. */
int cfg_strings(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
                char ***out, int *n);
/* Report an error in the common shape; returns GRA_ECONFIG. fmt is what
 * follows "FILE: path.key: ", e.g. "expected a model name, got %s". */
int cfg_fail(struct cfg_err *e, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with the source line of item (the line of its key) when known. */
int cfg_fail_at(struct cfg_err *e, const struct cJSON *item, const char *path, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* 1-based source line of an item of a loaded config (its key's line for an
 * object member), 0 when unknown. */
int cfg_line(const struct cJSON *item);
/* The "got ..." part of a message: "ten" (quoted, escaped, cut at 48 bytes),
 * 3.5, true, null, an array, an object, nothing (v NULL). Writes into out
 * (n bytes) and returns out. */
const char *cfg_describe(const struct cJSON *v, char *out, size_t n);

#endif
