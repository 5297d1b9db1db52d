/*
 * perf_dedup: throughput of the greedy near-duplicate filter (synth/dedup.h).
 *
 *   perf_dedup [--emb-n N] [--mh-n N] [--dim D] [--skip-emb] [--skip-minhash]
 *
 * 1. Embedding: greedy cosine < 0.9 dedup of N (default 50,000) records of D
 *    (384) dimensions: random Gaussian vectors with 10% planted near copies
 *    (cosine about 0.99 to an earlier record), walked through the batch entry
 *    point; then the same at n/4 and n/2, and the scaling exponent of time in
 *    n (least squares on log t vs log n; the greedy rule is O(n * kept)).
 *    Also one-at-a-time calls at n/4 to show what the blocking buys, and
 *    sim_embed vectors of generated instructions (the serve-sim embedding).
 * 2. MinHash: k=128, character 5-grams, Jaccard >= 0.8, over N (default
 *    1,000,000) short texts (12 pseudo-words, about 70 characters) with 10%
 *    planted copies that differ in one word, at n/4, n/2, n.
 *
 * Prints wall and CPU times on this machine (the scaling exponents use CPU
 * time, which other load on a shared machine disturbs less); a benchmark, not a
 * test.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"
#include "core/rng.h"
#include "core/simflaw.h"
#include "core/simsrv.h"
#include "synth/dedup.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of this process: robust to other load on a shared machine. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Slope of log(t) against log(n). */
static double exponent(const double *n, const double *t, int k)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int i = 0; i < k; i++) {
        mx += log(n[i]) / k;
        my += log(t[i]) / k;
    }
    for (int i = 0; i < k; i++) {
        sxy += (log(n[i]) - mx) * (log(t[i]) - my);
        sxx += (log(n[i]) - mx) * (log(n[i]) - mx);
    }
    return sxy / sxx;
}

static float *random_vectors(size_t n, int dim, double planted, uint64_t seed, size_t *n_planted)
{
    float *m = malloc(sizeof(float) * n * (size_t)dim);
    if (!m) abort();
    struct rng r;
    rng_seed(&r, seed);
    *n_planted = 0;
    for (size_t i = 0; i < n; i++) {
        float *row = m + i * (size_t)dim;
        if (i > 100 && rng_uniform(&r) < planted) {
            const float *src = m + (size_t)rng_below(&r, i) * (size_t)dim;
            for (int k = 0; k < dim; k++) row[k] = src[k] + 0.15f * (float)rng_normal(&r);
            (*n_planted)++;
        } else {
            for (int k = 0; k < dim; k++) row[k] = (float)rng_normal(&r);
        }
    }
    return m;
}

static void bench_embedding(size_t n, int dim)
{
    printf("== embedding dedup: greedy, cosine < 0.9, dim %d, 10%% planted near copies ==\n", dim);
    size_t planted;
    float *m = random_vectors(n, dim, 0.10, 77, &planted);
    bool *kept = malloc(n);
    double ns[3], ts[3];
    for (int s = 0; s < 3; s++) {
        size_t k = s == 0 ? n / 4 : s == 1 ? n / 2 : n;
        struct dedup *d = dedup_new_embedding(dim, 0.9);
        double t0 = now(), c0 = cpu();
        dedup_check_add_many(d, k, NULL, m, kept);
        double t = now() - t0, c = cpu() - c0;
        size_t nk = dedup_count(d);
        /* dot products: each item against the items kept before it */
        double dots = 0;
        size_t kk = 0;
        for (size_t i = 0; i < k; i++) {
            dots += (double)kk;
            kk += kept[i];
        }
        printf("  n=%7zu  kept=%7zu  wall %8.3f s  cpu %8.3f s  %6.2f M dot/s  %5.1f GFLOP/s (per "
               "cpu s)\n",
               k, nk, t, c, dots / c / 1e6, 2.0 * dots * dim / c / 1e9);
        ns[s] = (double)k;
        ts[s] = c;
        dedup_free(d);
    }
    printf(
        "  scaling exponent of cpu time in n: %.2f (the greedy rule is O(n * kept): 2 expected)\n",
        exponent(ns, ts, 3));
    /* one at a time, n/4: the memory-bound form */
    {
        size_t k = n / 4;
        struct dedup *d = dedup_new_embedding(dim, 0.9);
        double t0 = cpu();
        size_t same = 0;
        bool *k2 = malloc(k);
        for (size_t i = 0; i < k; i++) k2[i] = dedup_check_add(d, NULL, m + i * (size_t)dim);
        double t = cpu() - t0;
        struct dedup *e = dedup_new_embedding(dim, 0.9);
        dedup_check_add_many(e, k, NULL, m, kept);
        for (size_t i = 0; i < k; i++) same += k2[i] == kept[i];
        printf("  one-at-a-time n=%zu: cpu %.3f s (batch above: %.3f s); identical decisions: %s\n",
               k, t, ts[0], same == k ? "yes" : "NO");
        free(k2);
        dedup_free(d);
        dedup_free(e);
    }
    free(m);
    free(kept);
}

static void bench_sim_embed(size_t n, int dim)
{
    printf("== embedding dedup of sim_embed vectors of %zu generated instructions ==\n", n);
    float *m = malloc(sizeof(float) * n * (size_t)dim);
    bool *kept = malloc(n);
    struct buf b = BUF_INIT;
    struct rng r;
    rng_seed(&r, 5);
    double t0 = now();
    static const char *const stems[] = {"inventory", "grades", "sensor",
                                        "prices",    "votes",  "scores"};
    for (size_t i = 0; i < n; i++) {
        if (i % 2)
            simflaw_math_instruction(&r, -1, NULL, NULL, NULL, 0, &b);
        else
            simflaw_code_instruction(&r, -1, stems[rng_below(&r, 6)], 0, &b);
        sim_embed(b.data, dim, m + i * (size_t)dim);
    }
    double te = now() - t0;
    struct dedup *d = dedup_new_embedding(dim, 0.9);
    t0 = now();
    dedup_check_add_many(d, n, NULL, m, kept);
    double t = now() - t0;
    printf("  sim_embed %.3f s (%.0f texts/s); dedup %.3f s, kept %zu of %zu (templated texts are "
           "near-duplicates of each other)\n",
           te, n / te, t, dedup_count(d), n);
    dedup_free(d);
    buf_release(&b);
    free(m);
    free(kept);
}

static void pseudo_word(uint64_t id, char *w)
{
    static const char cons[] = "bcdfghklmnprstvz", vow[] = "aeiou";
    uint64_t x = mix64(id + 1);
    int syl = 2 + (int)(x % 2);
    x /= 2;
    int k = 0;
    for (int i = 0; i < syl; i++) {
        w[k++] = cons[x % 16];
        x /= 16;
        w[k++] = vow[x % 5];
        x /= 5;
    }
    w[k] = 0;
}

static void bench_minhash(size_t n)
{
    printf("== MinHash dedup: k=128, character 5-grams, Jaccard >= 0.8, short texts ==\n");
    enum { WORDS = 12 };
    const uint64_t vocab = 20000;
    char **texts = malloc(sizeof(char *) * n);
    struct rng r;
    rng_seed(&r, 9);
    size_t planted = 0, chars = 0;
    uint64_t(*ids)[WORDS] = malloc(sizeof *ids * n);
    size_t *src = malloc(sizeof(size_t) * n);
    for (size_t i = 0; i < n; i++) {
        src[i] = i;
        if (i > 100 && rng_uniform(&r) < 0.10) {
            src[i] = (size_t)rng_below(&r, i);
            memcpy(ids[i], ids[src[i]], sizeof ids[i]);
            ids[i][rng_below(&r, WORDS)] = rng_below(&r, vocab);
            planted++;
        } else {
            for (int k = 0; k < WORDS; k++) ids[i][k] = rng_below(&r, vocab);
        }
        char buf[WORDS * 8 + 2], w[8];
        size_t len = 0;
        for (int k = 0; k < WORDS; k++) {
            pseudo_word(ids[i][k], w);
            len += (size_t)sprintf(buf + len, "%s%s", k ? " " : "", w);
        }
        texts[i] = strdup(buf);
        chars += len;
    }
    free(ids);
    printf("  %zu texts, mean %.0f characters, %zu planted one-word variants\n", n,
           (double)chars / n, planted);
    double ns[3], ts[3];
    bool *kept = malloc(n);
    for (int s = 0; s < 3; s++) {
        size_t k = s == 0 ? n / 4 : s == 1 ? n / 2 : n;
        struct dedup *d = dedup_new_minhash(128, 5, 0.8, 1);
        int b, rr;
        dedup_lsh_params(d, &b, &rr);
        double t0 = now(), c0 = cpu();
        dedup_check_add_many(d, k, (const char *const *)texts, NULL, kept);
        double t = now() - t0, c = cpu() - c0;
        printf(
            "  n=%8zu  kept=%8zu  wall %7.3f s  cpu %7.3f s  %8.0f texts/cpu-s  (LSH b=%d r=%d)\n",
            k, dedup_count(d), t, c, k / c, b, rr);
        ns[s] = (double)k;
        ts[s] = c;
        dedup_free(d);
    }
    printf("  scaling exponent of cpu time in n: %.2f (1 expected: hashing is linear, LSH lookups "
           "O(1))\n",
           exponent(ns, ts, 3));
    /* quality at n: planted variants whose exact Jaccard to their source is
     * >= 0.8 should go; dropped items should be planted */
    size_t above = 0, above_dropped = 0, dropped = 0, dropped_planted = 0, a85 = 0, a85_dropped = 0;
    for (size_t i = 0; i < n; i++) {
        if (!kept[i]) {
            dropped++;
            dropped_planted += src[i] != i;
        }
        if (src[i] == i) continue;
        double j = dedup_exact_jaccard(texts[i], texts[src[i]], 5);
        if (j >= 0.8) {
            above++;
            above_dropped += !kept[i];
        }
        if (j >= 0.85) {
            a85++;
            a85_dropped += !kept[i];
        }
    }
    printf("  planted variants with exact Jaccard >= 0.8: %zu, dropped %zu (%.1f%%); dropped items "
           "that are planted variants: %.1f%%\n",
           above, above_dropped, 100.0 * above_dropped / (above ? above : 1),
           100.0 * dropped_planted / (dropped ? dropped : 1));
    printf("  planted variants with exact Jaccard >= 0.85: %zu, dropped %.1f%% (the estimate's SE "
           "at k=128 is about 0.035, so pairs just above 0.8 are often estimated below it)\n",
           a85, 100.0 * a85_dropped / (a85 ? a85 : 1));
    free(src);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(kept);
}

int main(int argc, char **argv)
{
    size_t emb_n = 50000, mh_n = 1000000;
    int dim = 384;
    bool emb = true, mh = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--emb-n") == 0 && i + 1 < argc)
            emb_n = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--mh-n") == 0 && i + 1 < argc)
            mh_n = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dim") == 0 && i + 1 < argc)
            dim = atoi(argv[++i]);
        else if (strcmp(argv[i], "--skip-emb") == 0)
            emb = false;
        else if (strcmp(argv[i], "--skip-minhash") == 0)
            mh = false;
        else {
            fprintf(stderr, "usage: perf_dedup [--emb-n N] [--mh-n N] [--dim D] [--skip-emb] "
                            "[--skip-minhash]\n");
            return 2;
        }
    }
    if (emb_n < 8 || mh_n < 8 || dim < 1) {
        fprintf(stderr, "perf_dedup: sizes too small\n");
        return 2;
    }
    if (emb) {
        bench_embedding(emb_n, dim);
        bench_sim_embed(emb_n / 5, dim);
    }
    if (mh) bench_minhash(mh_n);
    return 0;
}
