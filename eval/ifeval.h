/*
 * ifeval: the IFEval verifiable-instruction checkers (Zhou et al. 2023,
 * arXiv 2311.07911; google-research instruction_following_eval), written
 * from the reference's documented semantics (docs/benchmarks.md, "IFEval").
 *
 * An IFEval item is {"key", "prompt", "instruction_id_list": [...],
 * "kwargs": [{...}, ...]}: one kwargs object per instruction id. Each of the
 * 25 instruction types decides whether a response follows it. The strict
 * verdict checks the response as given; the loose verdict also tries the
 * response with its first line, its last line or both removed, and each of
 * those with every '*' removed (8 variants; any that follows counts), as the
 * reference's evaluation_lib does.
 *
 * One instruction cannot be decided without a language-identification model:
 * language:response_language when the target language shares its script
 * with other languages (Latin, Cyrillic, Arabic, Devanagari). Those checks
 * return IFEVAL_UNSUPPORTED; they are counted apart (never as followed),
 * and a prompt whose decided instructions all pass but has an undecided one
 * is "undecided" (counted apart, not as followed). english_capital /
 * english_lowercase approximate langdetect's "en" by "the letters are Latin
 * script" (documented deviation).
 *
 * Pure functions over strings; no I/O. Inputs need not be valid UTF-8.
 * Ownership: ifeval_result.detail is heap; ifeval_result_release frees it.
 */
#ifndef GRA_EVAL_IFEVAL_H
#define GRA_EVAL_IFEVAL_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct verdict;

enum ifeval_outcome { IFEVAL_FAIL = 0, IFEVAL_PASS = 1, IFEVAL_UNSUPPORTED = 2 };

/* Number of instruction types and their ids (static strings). */
int ifeval_n_instructions(void);
const char *ifeval_instruction_id(int k);

/* Validate one item record: instruction_id_list and kwargs of the same
 * length, every id known, every required kwarg present with the right type,
 * no unknown non-null kwarg. 0 = valid; else -1 and msg holds
 * "FIELD: problem" (for file:line: reports). */
int ifeval_validate(const struct cJSON *record, char *msg, size_t msgsz);

/* Check one instruction (kwargs: its object, may be NULL when it takes
 * none) against one response. An invalid instruction is IFEVAL_FAIL
 * (validate items first). */
int ifeval_check(const char *instruction_id, const struct cJSON *kwargs, const char *response);
/* Loose: the best outcome over the 8 response variants (PASS if any passes,
 * else UNSUPPORTED if any is undecided, else FAIL). */
int ifeval_check_loose(const char *instruction_id, const struct cJSON *kwargs,
                       const char *response);

struct ifeval_result {
    int n;                            /* instructions in the item */
    int strict_pass, loose_pass;      /* instructions followed */
    int strict_unsup, loose_unsup;    /* instructions undecided */
    bool prompt_strict, prompt_loose; /* every instruction followed */
    bool undecided_strict, undecided_loose; /* none failed, one undecided */
    char *detail; /* "id=S/L; ..." with S, L in pass/fail/n.a. (heap) */
};

/* Score a validated record's instructions on response. 0, or -1 when the
 * record is malformed (validate it first). */
int ifeval_score(const struct cJSON *record, const char *response, struct ifeval_result *r);
void ifeval_result_release(struct ifeval_result *r);

/* Fill a verdict from a result: strict/flexible = prompt-level strict/loose,
 * correct = the primary rule's, partial = share of instructions followed
 * (strict), extracted = detail (moved), extract_failed never (a reply is
 * always checkable), the ifeval counters copied. */
void ifeval_fill_verdict(struct ifeval_result *r, bool primary_strict, struct verdict *v);

/* Summary counters over many verdicts (prompt and instruction level). */
struct ifeval_tally {
    long prompts, prompt_strict, prompt_loose, prompt_undecided_strict, prompt_undecided_loose;
    long instr, instr_strict, instr_loose, instr_unsup_strict, instr_unsup_loose;
};
void ifeval_tally_add(struct ifeval_tally *t, const struct verdict *v);
/* Add "ifeval": {prompt_level_strict_accuracy, prompt_level_loose_accuracy,
 * inst_level_strict_accuracy, inst_level_loose_accuracy, and the undecided
 * counts} to object o. */
void ifeval_tally_to_json(const struct ifeval_tally *t, struct cJSON *o);

/* Helpers exposed for tests: counts as the checkers use them. */
int ifeval_count_words(const char *s);
int ifeval_count_sentences(const char *s);

#endif
