/* fuzz_extract_gsm8k: GSM8K extraction and number canonicalisation on any
 * bytes: no crash, no UB, and every extracted answer is a canonical number. */
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
    char *a = extract_gsm8k_strict(s);
    char *b = extract_gsm8k_flexible(s);
    char *g = extract_gsm8k_gold(s);
    char canon[1024]; /* a canonical number can be ~515 bytes (extract.c limits) */
    /* a canonical answer canonicalises to itself */
    if (b && (!extract_number_canon(b, strlen(b), canon, sizeof canon) || strcmp(canon, b) != 0))
        abort();
    if (a && (!extract_number_canon(a, strlen(a), canon, sizeof canon) || strcmp(canon, a) != 0))
        abort();
    extract_number_canon(s, size < 600 ? strlen(s) : 0, canon, sizeof canon);
    struct verdict v;
    score_gsm8k(s, "42", &v);
    score_verdict_release(&v);
    free(a);
    free(b);
    free(g);
    free(s);
    return 0;
}
