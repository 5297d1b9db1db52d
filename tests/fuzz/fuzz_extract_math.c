/* fuzz_extract_math: \boxed extraction, the MATH normaliser, the numeric
 * evaluator and equivalence on any bytes: no crash, no UB, no runaway
 * recursion; equivalence is reflexive. The input is split at
 * the first NUL or newline into an output and a gold answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/extract.h"
#include "eval/math_norm.h"
#include "eval/score.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char *nl = strchr(s, '\n');
    const char *gold = "\\frac{1}{2}";
    if (nl) {
        *nl = '\0';
        gold = nl + 1;
    }
    char *b = extract_boxed(s);
    char *f = extract_math_flexible(s);
    char *n = math_normalize(s);
    double v;
    math_eval(n, &v);
    if (strlen(s) < 2000) {
        if (!math_equiv(s, s)) abort(); /* reflexive */
        math_equiv(s, gold);
        math_equiv(gold, s);
    }
    struct verdict vd;
    score_math(s, gold, &vd);
    score_verdict_release(&vd);
    free(b);
    free(f);
    free(n);
    free(s);
    return 0;
}
