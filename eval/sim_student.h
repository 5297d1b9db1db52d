/*
 * sim_student: the SIMULATED student of serve-sim (docs/sim-students.md).
 *
 * A request with no response_format goes to sim_student_reply(). It finds the
 * real benchmark item the prompt asks about (an index of the staged test
 * sets, built once per data directory), decides right or wrong with a
 * probability from the model's "student" section and the dataset it was
 * "trained" on, and answers in natural form: the gold rationale / answer /
 * letter / canonical code when right, a plausible wrong one otherwise (a
 * nearby number, another letter, code that fails its tests). The real
 * extractors, scorers and sandbox then judge the reply; nothing is flagged.
 *
 * Data directory: the server's (simsrv_data_dir), else $GRA_DATA_DIR, else the
 * source tree's ../shared/data.
 *
 * Ownership: nothing returned needs freeing; the index lives for the process.
 */
#ifndef GRA_EVAL_SIM_STUDENT_H
#define GRA_EVAL_SIM_STUDENT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/simsrv.h"

struct cJSON;

/* The sim_role_fn registered for schema-less requests (thread-safe).
 * SIM_DECLINE when the model has no "student" section; 500 with a message
 * naming the field when the section is invalid or trained_on is unreadable. */
int sim_student_reply(const struct sim_model *m, const struct cJSON *body, const char *schema_name,
                      uint64_t seed, struct sim_reply *out);

/* Benchmark domains of the student model. */
enum sim_domain { SIM_DOM_MATH, SIM_DOM_CODE, SIM_DOM_KNOWLEDGE, SIM_DOM_REASONING, SIM_DOM_N };
const char *sim_domain_name(int d); /* "math", "code", "knowledge", "reasoning" */

/* What the simulated trainer measured in a dataset (weighted per benchmark
 * domain, docs/sim-students.md): clean records that count for the domain and
 * the flawed share of the records that count. */
struct sim_training {
    long records; /* lines read */
    long flawed;  /* records with a flaw recounted from the text */
    double clean_eff[SIM_DOM_N];
    double flaw_rate[SIM_DOM_N];
};

/* The probability model: p = sigmoid(logit(base) + G (1 - exp(-clean/N0))
 * - F * flaw_rate - difficulty), constants in docs/sim-students.md. */
double sim_student_p(double base_skill, double clean_eff, double flaw_rate, double difficulty);
/* Difficulty of an item: a standard normal drawn from a hash of
 * "BENCH/ID". */
double sim_student_difficulty(const char *bench, const char *item_id);

/* Measure a dataset JSONL (records with domain, instruction, response). 0 or
 * GRA_EIO/GRA_EPARSE naming file and line. */
int sim_student_measure(const char *path, struct sim_training *t);

/* The item a prompt asks about, for tests and tools: on a match fills bench
 * (static), id and domain (pointers into the index, valid for the process)
 * and returns true. data_dir NULL = the default. */
bool sim_student_lookup(const char *data_dir, const char *prompt, const char **bench,
                        const char **item_id, int *domain);

/* Probability that model m answers the item right (its student section and
 * training as in sim_student_reply); -1 when m has no valid student section
 * or its training data cannot be read. */
double sim_student_item_p(const struct sim_model *m, const char *bench, const char *item_id,
                          int domain);

#endif
