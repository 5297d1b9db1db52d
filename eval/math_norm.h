/*
 * math_norm: MATH answer normalisation and equivalence, written in C after
 * the rules of Hendrycks et al. (math_equivalence._strip_string) and
 * Minerva's normalize_final_answer (research/perf-stats.md E.2), with a
 * numeric check on top:
 *   - strings: \dfrac/\tfrac -> \frac, \frac12 and \sqrt3 shorthand, \left/
 *     \right, degrees, percent, '$', units in \text{} and bare unit words after
 *     a number, thousands separators, a short "x =" prefix, ^{2} -> ^2, spaces;
 *   - equivalence: equal normalised strings, else equal numeric values of
 *     expressions built from numbers, fractions, sqrt, powers, pi and + - * /
 *     (0.5 == 1/2 == \frac{1}{2}, 2\sqrt{2} == \sqrt{8}), else element-wise for
 *     tuples and intervals (ordered, brackets must agree) and sets or bare
 *     lists (unordered).
 * There is no symbolic algebra: x+1 and 1+x are different. A sympy/
 * math_verify check would be an optional external step (docs/eval.md).
 *
 * Ownership: returned strings are heap strings freed by the caller (free()).
 */
#ifndef GRA_EVAL_MATH_NORM_H
#define GRA_EVAL_MATH_NORM_H

#include <stdbool.h>

/* Normalised form of a MATH answer (never NULL). */
char *math_normalize(const char *s);

/* Value of a numeric expression in normalised form; false if s is not one
 * (or is not finite). */
bool math_eval(const char *normalized, double *out);

/* Are two raw answers equivalent (each normalised first)? */
bool math_equiv(const char *a, const char *b);

#endif
