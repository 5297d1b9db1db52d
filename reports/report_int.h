/*
 * report_int: types shared by the files of the reports module (not by other
 * modules). The flow is
 *
 *   inputs (results JSONL, datasets, manifest)  -> struct report_ctx
 *   analyses (accuracy, comparisons, data, published) -> summary cJSON tree
 *   figures (gnuplot) and report.md / report.html   <- summary tree only
 *
 * so every number shown is in summary.json. Ownership: report_ctx_release()
 * frees everything hanging off the context, including the summary tree.
 */
#ifndef GRA_REPORT_INT_H
#define GRA_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* ---- string -> index map (open addressing, keys copied) ---- */
struct strmap {
    char **keys;
    long *vals;
    size_t cap, len;
};
void strmap_release(struct strmap *m);
/* Index of key, or -1. */
long strmap_get(const struct strmap *m, const char *key);
void strmap_put(struct strmap *m, const char *key, long val);

/* ---- configuration: the "report" section (docs/config-report.md) ---- */
struct report_map {
    char *student;                           /* reproduction student name */
    char *row_student, *row_seed, *row_data; /* Table 1 row */
};
struct report_cfg {
    double margin;                       /* equivalence / non-inferiority margin, points (1) */
    long bootstrap_b;                    /* resamples (10000) */
    uint64_t seed;                       /* bootstrap seed (config seed, else 20250411) */
    double alpha;                        /* 0.05 */
    double power;                        /* for M_min, 0.8 */
    double near_dup_threshold;           /* MinHash Jaccard for near duplicates (0.8) */
    bool plots;                          /* run gnuplot (true) */
    char *published_table;               /* CSV path (default: reports/published/gra_table1.csv) */
    char **bench_names, **bench_columns; /* benchmark -> Table 1 column */
    int n_bench_map;
    struct report_map *rows; /* student -> Table 1 row */
    int n_rows;
    char **sd_students, **sd_datasets; /* student -> the dataset it was trained on */
    int n_sd;
    char **cond_names;    /* conditions: students trained with different seeds */
    char ***cond_members; /* cond_members[i][0..n_cond_members[i]-1] */
    int *n_cond_members;
    int n_conds;
    char *source; /* config file the section came from, or NULL */
};
void report_cfg_defaults(struct report_cfg *c);
/* Validate root's "report" section (root may be NULL) into c (defaults
 * first); file names the config in messages. 0 or GRA_ECONFIG. */
int report_cfg_parse(struct report_cfg *c, const struct cJSON *root, const char *file);
void report_cfg_release(struct report_cfg *c);

/* ---- lineage: every input read, with its sha256 ---- */
struct lineage {
    char **paths, **roles;
    char (*sha)[65];
    bool *simulated;
    int n;
};
/* Record path (hashing it); returns its index or a negative GRA_E*. */
int lineage_add(struct lineage *l, const char *path, const char *role);
void lineage_release(struct lineage *l);

/* ---- evaluation results ---- */
struct obs {
    int seed_idx;
    int sample;
    unsigned char correct, strict, efail;
    double correct_v; /* correct as read (0/1) */
    int file;
    long line;
};

struct item {
    char *id;
    char *group; /* items sharing a context (IFEval prompt), or NULL */
    struct obs *obs;
    int n_obs, cap_obs;
};

/* one (student, benchmark) */
struct cell {
    char *student, *benchmark;
    bool code; /* any line carried "outcome" */
    bool simulated;
    long *seeds; /* train_seed values (LONG_MIN = null) */
    int n_seeds;
    struct item *items;
    size_t n_items, cap_items;
    struct strmap index;
    char *prompt_hash;
    double tokens_prompt, tokens_completion;
    long call_failed; /* lines with "call_failed": true */
    char **members;   /* for a condition: the students merged into it, by seed index */
    /* filled by results_finish() */
    double *score;    /* per item: mean over seeds of the per-seed mean correct */
    double *strict;   /* same for strict */
    double *efail;    /* extraction-failure share per item */
    double *per_seed; /* n_seeds x n_items, missing seeds filled with the item score */
    long n_samples_min, n_samples_max;
};

struct results {
    const struct report_cfg *cfg; /* conditions (may be NULL) */
    struct cell *cells;
    size_t n_cells, cap_cells;
    struct strmap cell_index;      /* "student\tbenchmark" */
    char **students, **benchmarks; /* in order of first appearance */
    int n_students, n_benchmarks;
    bool simulated;
};

/* Load one results JSONL (file = its lineage index); *simulated tells whether
 * any line said "simulated": true. Errors name file:line. */
int results_load(struct results *r, const char *path, int file, bool *simulated);
/* Check duplicates and compute per-item scores; 0 or GRA_EPARSE. */
int results_finish(struct results *r, const struct lineage *lin);
struct cell *results_cell(const struct results *r, const char *student, const char *benchmark);
void results_release(struct results *r);

/* ---- the context for one report ---- */
struct report_ctx {
    char *out_dir;
    char *run_dir; /* NULL in --results mode */
    struct report_cfg cfg;
    struct lineage lin;
    struct results res;
    struct cJSON *manifest; /* owned, may be NULL */
    char **dataset_paths;   /* RUN/datasets/NAME.jsonl */
    int n_datasets;
    char **decontam_paths;
    int n_decontam;
    char **eval_summaries; /* summary.json beside each results file */
    int n_eval_summaries;
    bool simulated;
    struct cJSON *summary; /* owned */
    struct cJSON *notes;   /* array inside summary */
};

/* analyses: each adds its section to ctx->summary */
int analysis_accuracy(struct report_ctx *ctx);
int analysis_comparisons(struct report_ctx *ctx);
int analysis_datasets(struct report_ctx *ctx);
int analysis_published(struct report_ctx *ctx);
/* Check each eval summary.json's accuracies against the ones recomputed here. */
int analysis_eval_summaries(struct report_ctx *ctx);
void report_note(struct report_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* published Table 1 (reports/published/gra_table1.csv) */
struct pub_row {
    char *student, *seed, *data;
    double cells[16];
    int n_cells;
    double avg_reported, avg_recomputed;
};
struct pub_table {
    char *columns[16];
    int n_columns;
    struct pub_row *rows;
    int n_rows;
};
/* Parse the CSV; errors name file:line. Free with pub_table_release(). */
int pub_table_load(const char *path, struct pub_table *t);
void pub_table_release(struct pub_table *t);
/* Rows whose printed average differs from the mean of their cells by more
 * than tol: indices into t->rows written to out (capacity t->n_rows);
 * returns how many. */
int pub_table_mismatches(const struct pub_table *t, double tol, int *out);

/* figures: write TSV + gnuplot script, run gnuplot; each figure is recorded
 * in summary "figures" with its data. */
int figures_make(struct report_ctx *ctx);

/* report.md and report.html (self-contained) from the summary tree */
int render_report(const struct report_ctx *ctx);

/* small JSON helpers */
struct cJSON *jnum(double v); /* NaN/inf -> null */
struct cJSON *jpair(double lo, double hi);
double jget_num(const struct cJSON *o, const char *key, double def);
const char *jget_str(const struct cJSON *o, const char *key);

#endif
