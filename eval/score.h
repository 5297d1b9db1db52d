/*
 * score: verdicts for one model output against one gold answer, per
 * benchmark family. A verdict carries the strict and the flexible rule's
 * result, the extracted answer (flexible rule; NULL = extraction failed) and
 * the benchmark's primary verdict. Extraction failure is its own outcome:
 * extract_failed is set and both verdicts are 0.
 *
 * Ownership: verdict.extracted is a heap string; score_verdict_release()
 * frees it.
 */
#ifndef GRA_EVAL_SCORE_H
#define GRA_EVAL_SCORE_H

#include <stdbool.h>

struct verdict {
    char *extracted;       /* flexible rule's answer, NULL when none */
    bool strict, flexible; /* rule verdicts */
    bool correct;          /* primary verdict (the spec's "primary" rule) */
    bool extract_failed;   /* flexible rule extracted nothing */
    double partial;        /* a graded score in [0,1] where the family has one
                              (MC2: share of options classified right), else
                              equal to correct */
    struct {                   /* IFEval only (eval/ifeval.h): per item */
        int n;                 /* instructions */
        int strict, loose;     /* instructions followed, per rule */
        int strict_unsup, loose_unsup; /* instructions undecided */
        bool undecided_strict, undecided_loose; /* prompt undecided */
    } ifeval;
};

void score_verdict_release(struct verdict *v);

/* GSM8K: gold is the canonical gold number (extract_gsm8k_gold). */
void score_gsm8k(const char *output, const char *gold, struct verdict *v);
/* MATH: gold is the reference answer (last \boxed content of the solution). */
void score_math(const char *output, const char *gold, struct verdict *v);
/* Multiple choice over n options A..; gold is the option index; options
 * (may be NULL) enable the flexible option-text match. */
void score_mc(const char *output, int n, const char *const *options, int gold, struct verdict *v);
/* Multiple select: gold is the bit mask of true options. correct = the exact
 * set; partial = share of options classified right. */
void score_mc_multi(const char *output, int n, unsigned long gold, struct verdict *v);
/* Free phrase (BBH): case-insensitive exact match after trimming; "(A)" and
 * "A" agree. */
void score_phrase(const char *output, const char *gold, struct verdict *v);

#endif
