/*
 * test_dedup: the greedy near-duplicate filter (synth/dedup.h).
 * Known near-duplicates are caught, distinct texts kept, the cosine threshold
 * behaves at its boundary on vectors with constructed cosines, the batch entry
 * point decides exactly as one-at-a-time calls, and the MinHash estimate stays
 * within a few standard errors of the exact Jaccard.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rng.h"
#include "synth/dedup.h"

static const char *base_text =
    "A bakery sells muffins for 3 dollars each and cookies for 2 dollars each. "
    "On Monday it sold 45 muffins and 60 cookies. How much money did it make?";

static void test_bad_args(void **state)
{
    (void)state;
    assert_null(dedup_new_embedding(0, 0.9));
    assert_null(dedup_new_embedding(8, 1.5));
    assert_null(dedup_new_minhash(0, 5, 0.8, 1));
    assert_null(dedup_new_minhash(128, 0, 0.8, 1));
    assert_null(dedup_new_minhash(128, 5, 0.0, 1));
    struct dedup *d = dedup_new_minhash(128, 5, 0.8, 1);
    assert_string_equal(dedup_method(d), "minhash");
    int b = 0, r = 0;
    dedup_lsh_params(d, &b, &r);
    assert_true(b >= 1 && r >= 1 && b * r <= 128);
    /* the S-curve's steep part sits below the threshold: a pair at J = t is a
     * candidate with high probability */
    double p = 1.0 - pow(1.0 - pow(0.8, r), b);
    printf("minhash t=0.8 k=128: bands=%d rows=%d P(candidate|J=0.8)=%.3f\n", b, r, p);
    assert_true(p > 0.9);
    dedup_free(d);
    d = dedup_new_embedding(4, 0.9);
    assert_string_equal(dedup_method(d), "embedding");
    dedup_lsh_params(d, &b, &r);
    assert_int_equal(b, 0);
    dedup_free(d);
    dedup_free(NULL);
}

static void test_minhash_near_duplicates(void **state)
{
    (void)state;
    const char *variants[] = {
        /* casing and punctuation: identical after normalisation */
        "a BAKERY sells muffins for 3 dollars each, and cookies for 2 dollars each! "
        "On Monday it sold 45 muffins and 60 cookies... How much money did it make",
        /* one word changed */
        "A bakery sells muffins for 3 dollars each and cookies for 2 dollars each. "
        "On Tuesday it sold 45 muffins and 60 cookies. How much money did it make?",
        /* whitespace */
        "A  bakery sells muffins for 3 dollars each\nand cookies for 2 dollars each.\t"
        "On Monday it sold 45 muffins and 60 cookies. How much money did it make?",
    };
    const char *distinct[] = {
        "Write a Python function that returns the second largest element of a list.",
        "Compose a short poem about the first snowfall of winter in a mountain village.",
        "Explain why the sky appears blue during the day and red at sunset.",
    };
    struct dedup *d = dedup_new_minhash(128, 5, 0.7, 42);
    assert_true(dedup_check_add(d, base_text, NULL));
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        double ej = dedup_exact_jaccard(base_text, variants[i], 5);
        printf("variant %zu: exact Jaccard %.3f, max estimate %.3f\n", i, ej,
               dedup_max_similarity(d, variants[i], NULL));
        assert_true(ej >= 0.7);
        assert_false(dedup_check_add(d, variants[i], NULL));
    }
    for (size_t i = 0; i < sizeof distinct / sizeof *distinct; i++) {
        assert_true(dedup_exact_jaccard(base_text, distinct[i], 5) < 0.2);
        assert_true(dedup_check_add(d, distinct[i], NULL));
    }
    assert_int_equal(dedup_count(d), 4);
    /* the same text again, and dedup_add remembering unconditionally */
    assert_false(dedup_check_add(d, distinct[1], NULL));
    dedup_add(d, distinct[1], NULL);
    assert_int_equal(dedup_count(d), 5);
    dedup_free(d);

    /* short texts and empty texts */
    d = dedup_new_minhash(64, 5, 0.8, 1);
    assert_true(dedup_check_add(d, "hi", NULL));
    assert_false(dedup_check_add(d, "Hi!", NULL));
    assert_true(dedup_check_add(d, "", NULL));
    assert_false(dedup_check_add(d, "  ...  ", NULL));
    dedup_free(d);
}

/* Texts with a known shingle overlap: sequences of distinct tokens. */
static char *token_text(int from, int to)
{
    size_t cap = (size_t)(to - from) * 12 + 1;
    char *s = malloc(cap), *p = s;
    for (int i = from; i < to; i++) p += sprintf(p, "w%07d ", i);
    *p = 0;
    return s;
}

static void test_minhash_estimate(void **state)
{
    (void)state;
    const int k = 256;
    /* overlapping token windows give Jaccard from near 0 to near 1 */
    int shifts[] = {0, 2, 5, 10, 20, 35, 50};
    double worst = 0;
    for (size_t i = 0; i < sizeof shifts / sizeof *shifts; i++) {
        char *a = token_text(0, 60), *b = token_text(shifts[i], 60 + shifts[i]);
        double ej = dedup_exact_jaccard(a, b, 5);
        double mj = dedup_minhash_jaccard(a, b, k, 5, 7);
        double se = sqrt(ej * (1 - ej) / k);
        printf("shift %2d: exact J %.3f, MinHash(k=%d) %.3f, SE %.3f\n", shifts[i], ej, k, mj, se);
        assert_true(fabs(mj - ej) <= 4 * se + 0.01);
        if (fabs(mj - ej) > worst) worst = fabs(mj - ej);
        free(a);
        free(b);
    }
    printf("worst |estimate - exact| = %.3f\n", worst);
    /* determinism: same seed same estimate; identical texts estimate 1 */
    assert_true(dedup_minhash_jaccard(base_text, base_text, 64, 5, 3) == 1.0);
}

static void unit(float *v, int dim, double c)
{
    /* cosine c with e1 */
    memset(v, 0, sizeof(float) * (size_t)dim);
    v[0] = (float)c;
    v[1] = (float)sqrt(1 - c * c);
}

static void test_embedding_boundary(void **state)
{
    (void)state;
    const int dim = 384;
    float *e1 = calloc(dim, sizeof(float)), *v = calloc(dim, sizeof(float));
    e1[0] = 3.0f; /* not unit length: normalised on entry */
    struct dedup *d = dedup_new_embedding(dim, 0.9);
    assert_true(dedup_check_add(d, NULL, e1));
    double cs[] = {0.85, 0.8999, 0.9001, 0.95, 1.0};
    bool expect[] = {true, true, false, false, false};
    for (size_t i = 0; i < 5; i++) {
        struct dedup *t = dedup_new_embedding(dim, 0.9);
        dedup_add(t, NULL, e1);
        unit(v, dim, cs[i]);
        for (int j = 0; j < dim; j++) v[j] *= 0.25f; /* scale does not matter */
        double m = dedup_max_similarity(t, NULL, v);
        assert_true(fabs(m - cs[i]) < 1e-5);
        assert_int_equal(dedup_check_add(t, NULL, v), expect[i]);
        dedup_free(t);
    }
    /* a zero vector has cosine 0 with everything */
    memset(v, 0, sizeof(float) * dim);
    assert_true(dedup_check_add(d, NULL, v));
    dedup_free(d);
    free(e1);
    free(v);
}

static void test_embedding_batch_equals_sequential(void **state)
{
    (void)state;
    const int dim = 384, n = 1500;
    float *m = malloc(sizeof(float) * dim * n);
    struct rng r;
    rng_seed(&r, 99);
    int planted = 0;
    for (int i = 0; i < n; i++) {
        float *row = m + (size_t)i * dim;
        if (i > 10 && rng_uniform(&r) < 0.3) {
            /* a near copy of an earlier row: cosine about 0.99 */
            const float *src = m + (size_t)rng_below(&r, (uint64_t)i) * dim;
            for (int k = 0; k < dim; k++)
                row[k] = src[k] + 0.1f * (float)rng_normal(&r) / sqrtf(dim) * 1.0f;
            planted++;
        } else {
            for (int k = 0; k < dim; k++) row[k] = (float)rng_normal(&r);
        }
    }
    struct dedup *a = dedup_new_embedding(dim, 0.9), *b = dedup_new_embedding(dim, 0.9);
    bool *ka = malloc(n), *kb = malloc(n);
    for (int i = 0; i < n; i++) ka[i] = dedup_check_add(a, NULL, m + (size_t)i * dim);
    dedup_check_add_many(b, (size_t)n, NULL, m, kb);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(ka[i], kb[i]);
        kept += ka[i];
    }
    printf("embedding: %d vectors, %d planted near copies, %d kept\n", n, planted, kept);
    /* random 384-d vectors are almost orthogonal: exactly the planted copies go
     * (a copy of a dropped copy still matches its kept ancestor closely) */
    assert_int_equal(kept, n - planted);
    assert_int_equal(dedup_count(a), (size_t)kept);
    dedup_free(a);
    dedup_free(b);
    free(ka);
    free(kb);
    free(m);
}

static void test_minhash_many(void **state)
{
    (void)state;
    /* 3000 distinct token texts plus planted copies with one token changed */
    const int n = 3000;
    char **texts = malloc(sizeof(char *) * 2 * n);
    int total = 0;
    for (int i = 0; i < n; i++) {
        texts[total++] = token_text(i * 40, i * 40 + 20);
        if (i % 3 == 0) {
            char *c = token_text(i * 40, i * 40 + 20);
            c[5] = c[5] == '9' ? '8' : '9'; /* one changed character in one token */
            texts[total++] = c;
        }
    }
    struct dedup *d = dedup_new_minhash(128, 5, 0.8, 5);
    bool *kept = malloc((size_t)total);
    dedup_check_add_many(d, (size_t)total, (const char *const *)texts, NULL, kept);
    int nk = 0;
    for (int i = 0; i < total; i++) nk += kept[i];
    printf("minhash: %d texts, %d planted near copies, %d kept\n", total, total - n, nk);
    assert_int_equal(nk, n);
    for (int i = 0; i < total; i++) free(texts[i]);
    free(texts);
    free(kept);
    dedup_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_minhash_near_duplicates),
        cmocka_unit_test(test_minhash_estimate),
        cmocka_unit_test(test_embedding_boundary),
        cmocka_unit_test(test_embedding_batch_equals_sequential),
        cmocka_unit_test(test_minhash_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
