/*
 * fuzz_math_norm: the MATH answer normaliser, the numeric evaluator and
 * equivalence (eval/math_norm.h) on arbitrary pairs of answers. The input is
 * split at the first NUL, else the first newline, into a and b (no split: b
 * is a itself). Checked: no crash, leak, UB or runaway recursion; the
 * normaliser is deterministic and idempotent on its own output's value
 * (a normalised number evaluates to the same value after normalising again);
 * equivalence is reflexive and symmetric.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/math_norm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const char *s)
{
    char *n1 = math_normalize(s), *n2 = math_normalize(s);
    if (!n1 || !n2 || strcmp(n1, n2) != 0) abort(); /* never NULL, deterministic */
    double v, w;
    if (math_eval(n1, &v)) {
        if (!isfinite(v)) abort(); /* documented: false when not finite */
        char *nn = math_normalize(n1);
        /* normalising a normalised number does not change its value */
        if (math_eval(nn, &w) && !(w == v || fabs(w - v) <= 1e-9 * fmax(1.0, fabs(v)))) abort();
        free(nn);
    }
    free(n1);
    free(n2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0; /* answers are short; equivalence tries several forms */
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    const char *a = s, *b = s;
    size_t na = strlen(s);
    if (na < size) {
        b = s + na + 1; /* split at the first NUL */
    } else {
        char *nl = strchr(s, '\n');
        if (nl) {
            *nl = '\0';
            b = nl + 1;
        }
    }
    one(a);
    one(b);
    if (!math_equiv(a, a) || !math_equiv(b, b)) abort(); /* reflexive */
    if (math_equiv(a, b) != math_equiv(b, a)) abort();  /* symmetric */
    free(s);
    return 0;
}
