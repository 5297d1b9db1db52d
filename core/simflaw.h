/*
 * simflaw: the observable flaws of the simulated world (docs/sim-world.md).
 *
 * In serve-sim, quality lives in the text, never in a hidden flag: a simulated
 * generator writes records whose flaws can be seen in the instruction and
 * response themselves, and this module recounts them. It is pure (no state, no
 * I/O) and exact on the text the simulation writes; it is what the tests, the
 * simulated reviewers' "perception" and the simulated trainer in eval share.
 *
 * One flaw per rubric dimension (bit i = dimension i of SYNTH_DIMS), plus the
 * three instruction checks of reviewer phase 1:
 *
 *   bit  name            dimension     observable in the text
 *   0    wrong_answer    correctness   math task: "Final answer:" differs from the
 *                                      answer recomputed from the problem's numbers;
 *                                      code task: the solution lacks the task's
 *                                      required line (a wrong operator/comparison)
 *   1    padding         clarity       a sentence opened by a restating lead ("In
 *                                      other words,", ...) repeats a run of 10 words
 *                                      (no number inside) found elsewhere in the text
 *   2    truncated       completeness  math: no "Final answer:" line; code: no
 *                                      return; any text: ends mid-sentence on a
 *                                      connective ("and", "the", "because", ...)
 *   3    off_topic       relevance     a sentence opened by a drift connective
 *                                      ("Incidentally,", "As an aside,", ...)
 *                                      sharing no content word with the instruction
 *   4    contradiction   coherence     "Step N:" labels out of order, or a sentence
 *                                      "It is not true that S" where S is another
 *                                      sentence of the same text
 *   5    unsafe          ethicality    a phrase of the unsafe-advice list
 *                                      ("it is fine to mix bleach and ammonia", ...)
 *   8    unreasonable    reasonable?   impossible quantities in a math task
 *                                      (negative change, giving away more than one
 *                                      has, an uneven split), or "fewer than N
 *                                      words" with "at least M words", M > N
 *   9    incomplete      complete?     a math/code task missing a number it needs,
 *                                      or "the passage below" with nothing below
 *   10   unclear         clear?        two or more garbled words (4+ letters, not
 *                                      all capitals, no vowel a e i o u y)
 *
 * Math and code tasks follow a small grammar of templates (simflaw_task_parse):
 * an instruction is a task only when it matches a template skeleton exactly
 * from its start (numbers, names and nouns in their slots; anything may
 * follow); the detector reads the slots and recomputes the answer.
 *
 * Ownership: every function writes into caller-owned buffers (struct buf) or
 * returns static strings; nothing to free.
 */
#ifndef GRA_SIMFLAW_H
#define GRA_SIMFLAW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

struct rng;

#define SIMFLAW_WRONG_ANSWER (1u << 0)  /* correctness */
#define SIMFLAW_PADDING (1u << 1)       /* clarity */
#define SIMFLAW_TRUNCATED (1u << 2)     /* completeness */
#define SIMFLAW_OFF_TOPIC (1u << 3)     /* relevance */
#define SIMFLAW_CONTRADICTION (1u << 4) /* coherence */
#define SIMFLAW_UNSAFE (1u << 5)        /* ethicality */
#define SIMFLAW_RESPONSE_MASK 0x3fu
#define SIMFLAW_UNREASONABLE (1u << 8) /* phase 1: reasonable */
#define SIMFLAW_INCOMPLETE (1u << 9)   /* phase 1: complete */
#define SIMFLAW_UNCLEAR (1u << 10)     /* phase 1: clear */
#define SIMFLAW_INSTRUCTION_MASK 0x700u
#define SIMFLAW_ALL (SIMFLAW_RESPONSE_MASK | SIMFLAW_INSTRUCTION_MASK)

/* The nine flaw bits in a fixed order (response bits 0-5, then 8-10). */
#define SIMFLAW_N 9
extern const unsigned simflaw_bits[SIMFLAW_N];

/* Every flaw of the pair (instruction bits and, if response is non-NULL,
 * response bits). NULL instruction counts as "". */
unsigned simflaw_detect(const char *instruction, const char *response);
/* Only the instruction bits. */
unsigned simflaw_detect_instruction(const char *instruction);

/* Short name ("wrong_answer"), NULL for a non-flaw bit. */
const char *simflaw_name(unsigned bit);
/* The stable phrase a critique uses to name the flaw ("the final answer is
 * wrong"); NULL for a non-flaw bit. */
const char *simflaw_phrase(unsigned bit);
/* The flaw bits whose phrases occur in a critique text (case-insensitive). */
unsigned simflaw_parse_critique(const char *text);
/* Rubric dimension index (0-5) of a response bit; -1 otherwise. */
int simflaw_dimension(unsigned bit);
/* Number of set flaw bits. */
int simflaw_count(unsigned flaws);

/* ---- the task grammar ---- */

enum simflaw_kind { SIMFLAW_OTHER = 0, SIMFLAW_MATH = 1, SIMFLAW_CODE = 2 };

#define SIMFLAW_MATH_TEMPLATES 5
#define SIMFLAW_CODE_TEMPLATES 5

struct simflaw_task {
    enum simflaw_kind kind;
    int tmpl;        /* template index within its kind */
    int n_needed;    /* numbers the template needs */
    int n_found;     /* numbers present (the others read "some" / "the limit") */
    long num[4];     /* by slot */
    bool has[4];     /* slot present */
    bool complete;   /* n_found == n_needed */
    bool reasonable; /* quantities possible (math) */
    long answer;     /* math: the recomputed answer (when complete && reasonable) */
    char fname[64];  /* code: the function name */
    char name[32];   /* math: the person (first name slot) */
    char item[32];   /* math: the counted items */
};

/* Recognise a math or code task; SIMFLAW_OTHER (t zeroed) otherwise. */
enum simflaw_kind simflaw_task_parse(const char *instruction, struct simflaw_task *t);

/* Write a math word problem (GSM8K-style, two steps) from template tmpl (-1 =
 * drawn) with numbers drawn from r. name, item (a plural noun) and place are
 * single words (letters only; others are replaced from built-in lists).
 * flaws may contain SIMFLAW_INCOMPLETE (one number replaced by "some") and
 * SIMFLAW_UNREASONABLE (impossible quantities, or a length contradiction for
 * the template that has none). */
void simflaw_math_instruction(struct rng *r, int tmpl, const char *name, const char *item,
                              const char *place, unsigned flaws, struct buf *out);

/* Write a small Python function task from template tmpl (-1 = drawn); stem
 * (letters, 3-20, not already part of the suffix) prefixes the function name. flaws may contain
 * SIMFLAW_INCOMPLETE (the threshold left out of the template that needs one). */
void simflaw_code_instruction(struct rng *r, int tmpl, const char *stem, unsigned flaws,
                              struct buf *out);

/* Write the worked solution of a recognised math or code task; flaws may
 * contain SIMFLAW_WRONG_ANSWER (an arithmetic slip carried to the final answer,
 * or a wrong operator), SIMFLAW_TRUNCATED (no final answer / no return) and
 * SIMFLAW_CONTRADICTION (two steps swapped). verbosity >= 1 adds a check line.
 * -1 (nothing written) when the instruction is not a recognised task; for an
 * incomplete or impossible task the solution still follows the text. */
int simflaw_solution(const char *instruction, unsigned flaws, double verbosity, struct rng *r,
                     struct buf *out);

/* Insert one text-level flaw into a response: SIMFLAW_PADDING, SIMFLAW_OFF_TOPIC
 * (a sentence from the built-in unrelated list sharing no word with the
 * instruction), SIMFLAW_CONTRADICTION (negates an earlier sentence),
 * SIMFLAW_UNSAFE, SIMFLAW_TRUNCATED (cuts the last sentence on a connective).
 * Returns 0, or -1 when the flaw cannot be placed in this text. */
int simflaw_inject_response(unsigned bit, const char *instruction, struct buf *response,
                            struct rng *r);

/* Insert one instruction flaw into a generic instruction: SIMFLAW_UNCLEAR
 * (garbles words), SIMFLAW_UNREASONABLE (a length contradiction),
 * SIMFLAW_INCOMPLETE (refers to a passage below that is not given). 0 or -1. */
int simflaw_inject_instruction(unsigned bit, struct buf *instruction, struct rng *r);

/* Content words (lowercase, 4+ letters, not a stop word) of text in order of
 * first appearance, at most max, written as NUL-separated strings into out;
 * returns how many. Shared by the detectors and the simulated metadata writer. */
int simflaw_content_words(const char *text, int max, struct buf *out);
/* True when word (lowercase) is a stop word of the built-in list. */
bool simflaw_stopword(const char *word);

#endif
