/*
 * bench: a benchmark = benchmarks/NAME/spec.json (data about the benchmark,
 * no code) + its data files in the data directory (docs/benchmarks.md).
 *
 * bench_open() reads and validates the spec; bench_load() reads the data
 * files, turns every record into a struct bench_item (id, prompt variables,
 * gold answer, a gold output in natural form), loads the few-shot exemplars
 * and computes the prompt hash (sha256 of the prompt section of the spec and
 * every exemplar text, in order). bench_messages()/bench_prompt() render the
 * request for one item; bench_score() gives the verdict for a non-code
 * output (code benchmarks go through eval/code.h).
 *
 * Ownership: a struct bench owns everything it points to; bench_free()
 * releases it. Items and their records live as long as the bench.
 */
#ifndef GRA_EVAL_BENCH_H
#define GRA_EVAL_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eval/score.h"

struct cJSON;

enum bench_family {
    BENCH_GSM8K,    /* last number / "####" */
    BENCH_MATH,     /* \boxed{} + normaliser + equivalence */
    BENCH_MC,       /* one option letter */
    BENCH_MC_MULTI, /* a set of option letters (TruthfulQA MC2 as generation) */
    BENCH_CODE,     /* program run against the tests (eval/code.h) */
    BENCH_PHRASE,   /* "the answer is X" exact match (BBH) */
    BENCH_IFEVAL,   /* verifiable-instruction checkers (eval/ifeval.h) */
};
const char *bench_family_name(int family);

struct bench_file {
    char *path;         /* relative to the data directory (and to a mirror) */
    char *url;          /* primary download URL, NULL when it cannot be fetched */
    char **mirror_urls; /* further URLs with the same bytes */
    int n_mirror_urls;
    char *sha256; /* expected; NULL = not pinned (optional benchmarks) */
    long bytes;   /* expected size, -1 unknown */
    char *license;
    char *note; /* why url is NULL, how to obtain it */
};

struct bench_item {
    char *id;
    struct cJSON *record;    /* the raw record (CSV rows as an object) */
    struct cJSON *vars;      /* prompt variables: {"question": ..., "options": ...} */
    char *group;             /* MMLU subject, BBH task; NULL otherwise */
    char *gold;              /* GSM8K canonical number, MATH answer, letter(s), phrase */
    int gold_index;          /* MC: option index */
    unsigned long gold_mask; /* MC_MULTI: true options */
    char **options;          /* MC/MC_MULTI option texts in presented order */
    int n_options;
    char *gold_output; /* a correct output in natural form (gold rationale,
                          solution, "The answer is (B).", canonical code) */
};

struct bench_exemplar {
    char *group; /* NULL = all items */
    struct cJSON *vars;
    char *target; /* the assistant's answer text */
};

struct bench {
    char *name;
    char *spec_path;
    struct cJSON *spec;
    int family;
    char *loader;
    bool optional; /* data not staged by default; fetched only when named */
    struct bench_file *files;
    int n_files;
    /* prompt */
    bool chat; /* chat messages; false = plain completion */
    int shots;
    char *system;
    char *tmpl;
    char *primary;     /* "flexible" (default) or "strict" */
    struct cJSON *gen; /* generation parameters (temperature, max_tokens, stop, n) */
    int n_samples;
    int *ks; /* pass@k values reported (code) */
    int n_ks;
    double code_timeout_s;
    bool completion_code; /* code: the output continues the prompt */
    bool inline_exemplars; /* exemplars are rendered into the item's {fewshot}
                              variable (BBH cot-prompts), not as chat turns */
    /* loaded data */
    struct bench_item *items;
    int n_items, items_cap;
    struct bench_exemplar *exemplars;
    int n_exemplars, exemplars_cap;
    char prompt_hash[65];
    int *id_index; /* open-addressing id -> item index, built by bench_find */
    size_t id_cap;
};

/* The benchmarks directory: $GRA_BENCHMARKS_DIR, else
 * $GRA_SOURCE_DIR/benchmarks, else the source tree's (static string). */
const char *bench_dir_default(void);
/* The data directory: $GRA_DATA_DIR, else ~/.local/share/gra/data (heap). */
char *bench_data_dir_default(void);

/* Names of all benchmarks (folders with a spec.json), sorted. Free each
 * and the array. 0 or GRA_EIO. */
int bench_list(const char *bench_dir, char ***names, int *n);

/* Read and validate bench_dir/NAME/spec.json. 0, GRA_ENOENT (unknown
 * benchmark), GRA_ECONFIG/GRA_EPARSE (bad spec, every problem logged). */
/* The seed and training files synthesis reads (Self-Instruct and Code Alpaca
 * seeds, GSM8K and MATH train), listed in benchmarks/seed-data.json with the
 * same file entries as a spec. `gra data fetch/verify` handle them like a
 * benchmark named "seeds". Only files are filled in; free with bench_free(). */
#define BENCH_SEED_DATA_FILE "seed-data.json"
#define BENCH_SEED_DATA_NAME "seeds"
int bench_open_seed_data(const char *bench_dir, struct bench **out);

int bench_open(const char *bench_dir, const char *name, struct bench **out);
/* Load items and exemplars from data_dir. limit > 0 keeps the first limit
 * items. 0, GRA_ENOENT (data file missing: the message says to run
 * `gra data fetch`), GRA_EPARSE (bad record: file:line: field). */
int bench_load(struct bench *b, const char *data_dir, int limit);
void bench_free(struct bench *b);

/* Index of the item with this id, or -1 (a hash index built on the first call;
 * call it only after bench_load). Duplicate ids: the first item. */
int bench_find(struct bench *b, const char *id);

/* Render the request for item i: a chat messages array (chat mode) or one
 * user message holding the whole completion prompt. New cJSON array, free
 * with cJSON_Delete. NULL + logged error when a template names an unknown
 * variable. */
struct cJSON *bench_messages(const struct bench *b, int i);
/* The completion-mode prompt text (heap, free()). */
char *bench_prompt_text(const struct bench *b, int i);

/* Verdict for a non-code output (family != BENCH_CODE). */
void bench_score(const struct bench *b, int i, const char *output, struct verdict *v);

/* A wrong output in natural form for item i (another number, another letter,
 * a different answer), for tests and the simulated student (heap). */
char *bench_corrupt_output(const struct bench *b, int i);

#endif
