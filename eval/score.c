/*
 * score: per-family verdicts (see score.h). The primary verdict is the
 * flexible rule for every family here: strict is reported beside it so the
 * two can be compared (research/perf-stats.md E.1, E.4).
 */
#include "eval/score.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "eval/extract.h"
#include "eval/math_norm.h"

void score_verdict_release(struct verdict *v)
{
    if (!v) return;
    free(v->extracted);
    v->extracted = NULL;
}

static void finish(struct verdict *v)
{
    v->correct = v->flexible;
    v->extract_failed = v->extracted == NULL;
    v->partial = v->correct ? 1.0 : 0.0;
}

void score_gsm8k(const char *output, const char *gold, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    char *s = extract_gsm8k_strict(output);
    v->extracted = extract_gsm8k_flexible(output);
    /* a strict answer that exists is what the flexible rule reports too when
     * the reply ends with more numbers after "####" (rare) */
    if (s && !v->extracted) v->extracted = xstrdup(s);
    v->strict = s && gold && strcmp(s, gold) == 0;
    v->flexible = v->extracted && gold && strcmp(v->extracted, gold) == 0;
    free(s);
    finish(v);
}

void score_math(const char *output, const char *gold, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    char *s = extract_math_strict(output);
    v->extracted = extract_math_flexible(output);
    v->strict = s && gold && math_equiv(s, gold);
    v->flexible =
        v->extracted && gold &&
        (v->strict && s && strcmp(s, v->extracted) == 0 ? true : math_equiv(v->extracted, gold));
    free(s);
    finish(v);
}

void score_mc(const char *output, int n, const char *const *options, int gold, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    int s = extract_mc_strict(output, n);
    int f = extract_mc_flexible(output, n, options);
    if (f >= 0) {
        char l[2] = {(char)('A' + f), 0};
        v->extracted = xstrdup(l);
    }
    v->strict = s >= 0 && s == gold;
    v->flexible = f >= 0 && f == gold;
    finish(v);
}

static char *mask_letters(unsigned long m, int n)
{
    char buf[64];
    size_t o = 0;
    for (int i = 0; i < n && i < 26; i++)
        if (m & (1ul << i)) {
            if (o) buf[o++] = ',';
            buf[o++] = (char)('A' + i);
        }
    buf[o] = '\0';
    return xstrdup(buf);
}

void score_mc_multi(const char *output, int n, unsigned long gold, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    unsigned long s = extract_mc_multi_strict(output, n);
    unsigned long f = extract_mc_multi_flexible(output, n);
    if (f) v->extracted = mask_letters(f, n);
    v->strict = s && s == gold;
    v->flexible = f && f == gold;
    finish(v);
    if (f && n > 0) {
        int right = 0;
        for (int i = 0; i < n && i < 26; i++)
            if (((f >> i) & 1ul) == ((gold >> i) & 1ul)) right++;
        v->partial = (double)right / n;
    }
}

/* lowercase, trimmed, "(a)" -> "a" */
static char *phrase_key(const char *s)
{
    size_t n = strlen(s);
    char *k = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) k[o++] = (char)tolower((unsigned char)s[i]);
    k[o] = '\0';
    if (o == 3 && k[0] == '(' && k[2] == ')') {
        k[0] = k[1];
        k[1] = '\0';
    }
    return k;
}

void score_phrase(const char *output, const char *gold, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    char *s = extract_phrase_strict(output);
    v->extracted = extract_phrase_flexible(output);
    char *g = phrase_key(gold ? gold : "");
    if (s) {
        char *k = phrase_key(s);
        v->strict = strcmp(k, g) == 0;
        free(k);
    }
    if (v->extracted) {
        char *k = phrase_key(v->extracted);
        v->flexible = strcmp(k, g) == 0;
        free(k);
    }
    free(g);
    free(s);
    finish(v);
}
