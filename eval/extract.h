/*
 * extract: pulling the answer out of a model's free text, per benchmark
 * family (research/perf-stats.md section E). Pure functions over strings:
 * no I/O, no allocation that outlives the call except the returned strings.
 *
 * Every extractor has a strict rule (an explicit answer marker) and a
 * flexible rule (the marker, else a looser fallback). NULL / -1 means
 * "nothing extracted": callers count that apart from a wrong answer.
 *
 * Ownership: every returned char * is a heap string the caller frees with
 * free(); inputs are never modified. Inputs need not be valid UTF-8.
 */
#ifndef GRA_EVAL_EXTRACT_H
#define GRA_EVAL_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

/* ---- numbers (GSM8K) ---- */

/* Canonical form of a number written s[0..n): '$', thousands commas, spaces,
 * a leading '+', a trailing '.' and the unicode minus are tolerated; the
 * result is [-]digits[.digits] with no leading zeros, no trailing fractional
 * zeros and no "-0" ("1,000.50" -> "1000.5"). false if s is not a number. */
bool extract_number_canon(const char *s, size_t n, char *out, size_t outsz);

/* Strict: the first "#### N" (lm-eval strict-match), else the last
 * "The answer is N". Canonical number or NULL. */
char *extract_gsm8k_strict(const char *text);
/* Flexible: the text is cut at a continuation "Question:" (OpenCompass), then
 * the last number in it, thousands separators kept whole ("1,000" is 1000,
 * unlike OpenCompass's regex). Canonical number or NULL. */
char *extract_gsm8k_flexible(const char *text);
/* The gold number of a GSM8K answer field (text after "####"). NULL if none. */
char *extract_gsm8k_gold(const char *answer_field);

/* ---- MATH ---- */

/* Content of the last \boxed{...} or \fbox{...} (braces matched, also the
 * "\boxed 5" form). NULL if none or unbalanced. */
char *extract_boxed(const char *text);
/* Strict: the last boxed answer. */
char *extract_math_strict(const char *text);
/* Flexible: the last boxed answer, else the "final answer is X" / "The answer
 * is X" sentence (Minerva's form), math delimiters stripped. */
char *extract_math_flexible(const char *text);

/* ---- multiple choice ---- */

/* Options are letters A.. (n_options <= 26). Strict: the last explicit
 * answer marker ("The answer is (B)", "Answer: B", "**Answer:** $\boxed{B}$")
 * or a reply that is only a letter ("B", "(B).").
 * Returns the option index 0..n-1 or -1. */
int extract_mc_strict(const char *text, int n_options);
/* Flexible: strict, else the first standalone option letter ("(C)", "C.",
 * "C)", a bare "C"), never the article "A" or the pronoun "I" in prose
 * ("A good answer is...", "I think..."), else the one option whose text
 * appears in the reply (the longest when one option's text contains
 * another's). options may be NULL (no text match). Index or -1. */
int extract_mc_flexible(const char *text, int n_options, const char *const *options);

/* Multiple-select (TruthfulQA MC2 as generation): the set of letters after
 * the last answer marker ("Answer: A, C and D"), as a bit mask over options
 * (bit i = option i). Strict requires the marker; flexible also takes a last
 * line made only of letters and separators. 0 = nothing extracted. */
unsigned long extract_mc_multi_strict(const char *text, int n_options);
unsigned long extract_mc_multi_flexible(const char *text, int n_options);

/* BBH-style free answer: the text after the last "the answer is" up to the
 * end of the sentence/line, trimmed of markup and a trailing period. Strict
 * requires the phrase; flexible falls back to the last non-empty line. */
char *extract_phrase_strict(const char *text);
char *extract_phrase_flexible(const char *text);

#endif
