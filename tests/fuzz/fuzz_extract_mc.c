/* fuzz_extract_mc: multiple-choice letter extraction (single and multiple
 * selection, with and without option texts) and the BBH phrase extractor on
 * any bytes: no crash, no UB, indexes always in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/extract.h"
#include "eval/score.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    static const char *const opts[] = {"a mammal", "a bird", "J. B. Rhine", "I", "", "x"};
    for (int n = 0; n <= 27; n += (n < 6 ? 1 : 7)) {
        int a = extract_mc_strict(s, n);
        int b = extract_mc_flexible(s, n, n <= 6 ? opts : NULL);
        if (a < -1 || a >= (n > 0 ? n : 1) || b < -1 || b >= (n > 0 ? n : 1)) abort();
        unsigned long m = extract_mc_multi_flexible(s, n);
        if (n > 0 && n < 26 && (m >> n)) abort();
        extract_mc_multi_strict(s, n);
    }
    struct verdict v;
    score_mc(s, 4, opts, 2, &v);
    score_verdict_release(&v);
    score_phrase(s, "(A)", &v);
    score_verdict_release(&v);
    free(s);
    return 0;
}
