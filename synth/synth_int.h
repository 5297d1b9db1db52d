/*
 * synth_int: the synth module's internal types, shared by its .c files only
 * (SQLite's btreeInt.h pattern). Nothing outside synth/ includes this.
 *
 *   sconfig.c  the "synth" config section -> struct synth_cfg
 *   engine.c   datasets, steps (seed preparation, waves of samples), the
 *              per-sample state machine, dedup, enrichment, checkpoints, output
 *   cmd_synth.c  the command line, shards, merge, the manifest
 */
#ifndef GRA_SYNTH_INT_H
#define GRA_SYNTH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "synth/committee.h"
#include "synth/prompts.h"
#include "synth/seeds.h"

struct cJSON;
struct gra_config;
struct llm_client;

enum synth_method {
    METHOD_GRA = 0, METHOD_LARGE, METHOD_LARGE_GEN_ONLY, METHOD_SEED, METHOD_REFINE,
};
extern const char *const synth_method_names[];

enum synth_policy {
    POLICY_RANDOM = 0, POLICY_FIXED, POLICY_SINGLE, POLICY_ROUND_ROBIN, POLICY_RELIABILITY,
};
extern const char *const synth_policy_names[];

/* role parameter slots (request body defaults per role) */
enum synth_role {
    ROLE_GENERATOR = 0, ROLE_REVIEWER, ROLE_ADJUDICATOR, ROLE_METADATA, ROLE_N
};
extern const char *const synth_role_names[];

struct dataset_cfg {
    char *name;
    int method;                 /* enum synth_method */
    char **models;              /* the committee M (names under "models") */
    int n_models;
    int n_reviewers;            /* N_R */
    int policy;                 /* enum synth_policy */
    int fixed_generator, fixed_adjudicator, fixed_metadata; /* indices into models */
    int fixed_reviewers[COMMITTEE_MAX_REVIEWERS];
    struct committee_rule rule;
    bool instruction_checks;    /* reviewer phase 1 */
    int rounds;
    long per_round;             /* target kept records per round */
    char *match_count;          /* dataset whose final count sets the total */
    struct seed_file_cfg *seed_files;
    int n_seed_files;
    bool seeds_fail_on_bad;
    char *embedding_model;      /* NULL = MinHash */
    bool dedup;
    double dedup_threshold;     /* cosine, paper 0.9 */
    double minhash_threshold;   /* estimated Jaccard for the fallback */
    int minhash_perm, minhash_shingle;
    int examples_min, examples_max; /* pool examples shown to the generator */
    int example_instructions;   /* domain example instructions in step 2 */
    bool domain_from_seeds;     /* else uniform over the seven */
    double max_attempts_factor; /* attempts per round <= factor * per_round */
    double expected_acceptance; /* sizes the first wave */
    double overshoot;           /* wave size multiplier */
    int parse_retries;          /* extra tries with a new seed when a reply is unusable */
    int reliability_min_items;  /* below this, reliability weights are 1 */
    long max_active;            /* samples in flight at once; 0 = from the models' caps */
    long speculate;             /* samples started beyond the current wave; -1 = auto */
    int embed_batch;
    struct cJSON *role_params[ROLE_N]; /* merged over model params (owned) */
};

struct synth_cfg {
    char *data_dir;
    char *prompts_dir;
    struct dataset_cfg *ds;
    int n_ds;
};

/* Parse and validate cfg->root["synth"]: 0 or GRA_ECONFIG after logging every
 * problem. Free with synth_cfg_free(). */
int synth_cfg_load(const struct gra_config *cfg, struct synth_cfg *out);
void synth_cfg_free(struct synth_cfg *sc);
/* Canonical JSON of one dataset's section + everything it depends on, hashed
 * into the dataset's state so a changed config cannot resume old state. */
char *synth_cfg_dataset_json(const struct gra_config *cfg, const struct dataset_cfg *dc);

/* ---- engine ---- */
struct synth_opts {
    const char *out_dir;
    int shard_i, shard_n;       /* shard_n 0 = not sharded */
    bool merge;                 /* finish the current step from shard journals */
    const char *const *extra_shard_dirs; /* where else to look for shard journals */
    int n_extra_shard_dirs;
    bool quiet;
};

struct synth_ctx {
    struct gra_config *cfg;
    struct synth_cfg *sc;
    struct prompt_set prompts;
    struct llm_client *client;
    const struct synth_opts *opts;
    volatile int *stop_flag;
};

/* Outcome of running one dataset: done, or waiting for shards/merge. */
enum { DS_DONE = 0, DS_WAITING = 1 };

/* Run (or continue) dataset dc. Returns DS_DONE, DS_WAITING (shard mode: this
 * shard's part of the current step is journaled; or merge: shards missing),
 * or a negative GRA_E*. */
int synth_dataset_run(struct synth_ctx *ctx, const struct dataset_cfg *dc);

#endif
