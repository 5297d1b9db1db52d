/*
 * code: scoring code benchmarks (HumanEval, MBPP) by running the program in
 * the sandbox (eval/sandbox.h). The harness process never runs model output.
 *
 * code_score_batch() takes the raw dataset item (the JSON object of its line in
 * the benchmark file), the model output (a completion or a reply with a fenced
 * block), assembles the check program the benchmark defines, and runs all of
 * them on `workers` sandboxed children at once.
 */
#ifndef GRA_EVAL_CODE_H
#define GRA_EVAL_CODE_H

#include <stdbool.h>

struct cJSON;

enum code_family { CODE_HUMANEVAL, CODE_MBPP };

enum code_outcome {
    CODE_PASSED = 0,
    CODE_FAILED,        /* ran, a test failed or it raised */
    CODE_TIMEOUT,       /* wall-clock or CPU limit */
    CODE_LIMIT,         /* memory, file size, processes or output cap */
    CODE_NO_CODE,       /* nothing extractable: counted as an extraction failure */
    CODE_SANDBOX_ERROR, /* the sandbox itself failed (not the program) */
};
const char *code_outcome_name(int outcome); /* "passed", "failed", ... */

struct code_job {
    enum code_family family;
    const struct cJSON *item;  /* dataset record (HumanEval: task_id, prompt, test,
                                  entry_point; MBPP: text, test_list, test_setup_code,
                                  test_imports) */
    const char *output;        /* what the model produced */
    bool output_is_completion; /* HumanEval: output continues the prompt (completion
                                  mode); false: a chat reply holding a full function */
    /* results */
    int outcome;     /* enum code_outcome */
    char *extracted; /* the code actually run (heap, free()), NULL if none */
    char *detail;    /* short failure detail: last stderr line (heap, free()) */
    double wall_ms;
};

struct code_opts {
    int workers;        /* 0 = number of cores */
    double timeout_s;   /* per program wall clock, default 10 */
    const char *python; /* default /usr/bin/python3 */
};

/* Score n jobs in place. 0, or GRA_E* if the sandbox cannot run at all (then no
 * job is marked: every outcome is CODE_SANDBOX_ERROR, extracted and detail
 * NULL). Free each job's strings with code_job_release(). */
int code_score_batch(struct code_job *jobs, int n, const struct code_opts *o);
void code_job_release(struct code_job *j);

/* The same with every sandbox limit given (eval/sandbox.h: memory, file
 * size, processes, output cap, work-dir root); o's fields override so's
 * workers/timeout/python when set. so may be NULL (the defaults). */
struct sandbox_opts;
int code_score_batch_sandbox(struct code_job *jobs, int n, const struct code_opts *o,
                             const struct sandbox_opts *so);

/* Unbiased pass@k from n samples of which c passed (Chen et al. 2021):
 * 1 - C(n-c,k)/C(n,k), computed as 1 - prod_{i=n-c+1..n} (1 - k/i), and 1 when
 * n-c < k. NAN when the arguments make no sense (n < 1, k < 1, k > n, c < 0,
 * c > n). */
double code_pass_at_k(int n, int c, int k);

/* The code that would be run for an output, without running it (heap string,
 * free(); NULL when nothing extractable): the extraction rules of
 * docs/sandbox.md. `program` (may be NULL) receives the whole check program
 * (heap, free()). */
char *code_extract(enum code_family family, const struct cJSON *item, const char *output,
                   bool output_is_completion, char **program);

#endif
