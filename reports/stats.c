/*
 * stats: intervals, paired tests, multiplicity corrections, the bootstrap
 * loops and reviewer agreement (see stats.h for the conventions).
 *
 * The bootstrap is the hot path (perf_reports: 10,000 resamples x 14,042
 * MMLU items in well under a second). Each resample draws n indices two at a
 * time from one 64-bit xoshiro output (Lemire's multiply-shift, rejection
 * keeps it unbiased) and, for binary items, tests one bit in each of two
 * precomputed "a right, b wrong" / "a wrong, b right" bitsets: a paired
 * difference only depends on the discordant items that were drawn.
 */
#include "reports/stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/rng.h"

void stats_wilson(double p, double n, double alpha, double *lo, double *hi)
{
    if (!(n > 0)) {
        *lo = 0.0;
        *hi = 1.0;
        return;
    }
    double z = gsl_cdf_ugaussian_Pinv(1.0 - alpha / 2.0);
    double z2 = z * z;
    double den = 1.0 + z2 / n;
    double centre = (p + z2 / (2.0 * n)) / den;
    double var = p * (1.0 - p) / n + z2 / (4.0 * n * n);
    double half = z * sqrt(var > 0 ? var : 0) / den;
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
}

int stats_mcnemar(long b, long c, double *p, double *midp)
{
    if (b < 0 || c < 0) return err(GRA_EINVAL, "mcnemar: negative count");
    long nd = b + c;
    if (nd == 0) {
        *p = *midp = 1.0;
        return 0;
    }
    unsigned k = (unsigned)(b < c ? b : c);
    double cdf = gsl_cdf_binomial_P(k, 0.5, (unsigned)nd);
    double pk = gsl_ran_binomial_pdf(k, 0.5, (unsigned)nd);
    if (!isfinite(cdf) || !isfinite(pk))
        return err(GRA_EINVAL, "mcnemar: GSL failed for b=%ld c=%ld", b, c);
    double two = 2.0 * cdf;
    double mid = 2.0 * (cdf - 0.5 * pk);
    *p = two > 1 ? 1 : two;
    *midp = mid > 1 ? 1 : (mid < 0 ? 0 : mid);
    return 0;
}

static double upper_tail(double t, double df)
{
    return df > 0 ? gsl_cdf_tdist_Q(t, df) : gsl_cdf_ugaussian_Q(t);
}

static double lower_tail(double t, double df)
{
    return df > 0 ? gsl_cdf_tdist_P(t, df) : gsl_cdf_ugaussian_P(t);
}

void stats_tost(double diff, double se, double df, double m, double alpha, struct stats_tost *out)
{
    if (se > 0) {
        out->p_lower = upper_tail((diff + m) / se, df);
        out->p_upper = lower_tail((diff - m) / se, df);
    } else {
        out->p_lower = diff > -m ? 0.0 : 1.0;
        out->p_upper = diff < m ? 0.0 : 1.0;
    }
    out->p_tost = out->p_lower > out->p_upper ? out->p_lower : out->p_upper;
    out->equivalent = out->p_tost < alpha;
    out->noninferior = out->p_lower < alpha;
}

double stats_mmin_tost(double se, double alpha, double power)
{
    return (gsl_cdf_ugaussian_Pinv(1.0 - alpha) +
            gsl_cdf_ugaussian_Pinv(1.0 - (1.0 - power) / 2.0)) *
           se;
}

double stats_mmin_noninf(double se, double alpha, double power)
{
    return (gsl_cdf_ugaussian_Pinv(1.0 - alpha) + gsl_cdf_ugaussian_Pinv(power)) * se;
}

static size_t *order_ascending(const double *p, size_t m)
{
    size_t *idx = xmalloc((m ? m : 1) * sizeof *idx);
    gsl_sort_index(idx, p, 1, m);
    return idx;
}

void stats_holm(const double *p, size_t m, double *adj)
{
    if (m == 0) return;
    size_t *idx = order_ascending(p, m);
    double run = 0;
    for (size_t j = 0; j < m; j++) {
        double v = (double)(m - j) * p[idx[j]];
        if (v > 1) v = 1;
        if (v > run) run = v;
        adj[idx[j]] = run;
    }
    free(idx);
}

void stats_bh(const double *p, size_t m, double *adj)
{
    if (m == 0) return;
    size_t *idx = order_ascending(p, m);
    double run = 1;
    for (size_t j = m; j-- > 0;) {
        double v = (double)m * p[idx[j]] / (double)(j + 1);
        if (v > 1) v = 1;
        if (v < run) run = v;
        adj[idx[j]] = run;
    }
    free(idx);
}

void stats_percentile_ci(double *v, size_t n, double alpha, double *lo, double *hi)
{
    if (n == 0) {
        *lo = *hi = NAN;
        return;
    }
    gsl_sort(v, 1, n);
    *lo = gsl_stats_quantile_from_sorted_data(v, 1, n, alpha / 2.0);
    *hi = gsl_stats_quantile_from_sorted_data(v, 1, n, 1.0 - alpha / 2.0);
}

double stats_mean(const double *x, size_t n)
{
    return n ? gsl_stats_mean(x, 1, n) : NAN;
}

double stats_sd(const double *x, size_t n)
{
    return n > 1 ? gsl_stats_sd(x, 1, n) : 0.0;
}

/* ---- resampling ---- */

static bool is01(double x)
{
    return x == 0.0 || x == 1.0;
}

void stats_items_init(struct stats_items *it, const double *xa, const double *xb, size_t n)
{
    memset(it, 0, sizeof *it);
    it->n = n;
    bool binary = true;
    for (size_t i = 0; i < n && binary; i++)
        if (!is01(xa[i]) || (xb && !is01(xb[i]))) binary = false;
    it->binary = binary;
    if (binary) {
        size_t words = (n + 63) / 64;
        it->bits_a = xcalloc(words ? words : 1, sizeof(uint64_t));
        if (xb) it->bits_b = xcalloc(words ? words : 1, sizeof(uint64_t));
        for (size_t i = 0; i < n; i++) {
            if (xa[i] == 1.0) it->bits_a[i >> 6] |= 1ULL << (i & 63);
            if (xb && xb[i] == 1.0) it->bits_b[i >> 6] |= 1ULL << (i & 63);
        }
    } else {
        it->xa = xmalloc((n ? n : 1) * sizeof(double));
        memcpy(it->xa, xa, n * sizeof(double));
        if (xb) {
            it->xb = xmalloc((n ? n : 1) * sizeof(double));
            memcpy(it->xb, xb, n * sizeof(double));
        }
    }
}

void stats_items_release(struct stats_items *it)
{
    free(it->bits_a);
    free(it->bits_b);
    free(it->xa);
    free(it->xb);
    memset(it, 0, sizeof *it);
}

/* rng_next() of core/rng.h, step for step, inlined into the hot loop (a call
 * per draw costs more than the draw); test_stats checks it against
 * rng_next() so the two cannot drift apart. */
static inline uint64_t xoshiro_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3] << 45 | s[3] >> 19;
    return result;
}

uint64_t stats_rng_next(struct rng *r)
{
    return xoshiro_next(r);
}

/* Indices in [0, n) two per 64-bit output; unbiased by rejection. A
 * resample's n indices are drawn into a buffer first, then gathered: the
 * draw loop keeps the generator in registers. */
struct idx_stream {
    struct rng r;
    uint64_t buf;
    int left;
    uint32_t n, thresh;
};

static void idx_init(struct idx_stream *s, uint64_t seed, uint32_t n)
{
    rng_seed(&s->r, seed);
    s->left = 0;
    s->buf = 0;
    s->n = n;
    s->thresh = (uint32_t)(-n) % n; /* 2^32 mod n */
}

static inline uint32_t idx_next(struct idx_stream *s)
{
    for (;;) {
        uint32_t x;
        if (s->left) {
            x = (uint32_t)(s->buf >> 32);
            s->left = 0;
        } else {
            s->buf = xoshiro_next(&s->r);
            x = (uint32_t)s->buf;
            s->left = 1;
        }
        uint64_t m = (uint64_t)x * s->n;
        if ((uint32_t)m >= s->thresh) return (uint32_t)(m >> 32);
    }
}

/* The next cnt indices of the stream into idx: the same sequence as cnt
 * calls of idx_next() (halves low then high, rejected halves skipped), with
 * the generator state in locals and no branch on the common path. */
static void idx_fill(struct idx_stream *s, uint32_t *restrict idx, size_t cnt)
{
    size_t k = 0;
    const uint64_t n = s->n;
    const uint32_t th = s->thresh;
    if (s->left && cnt) {
        uint64_t m = (s->buf >> 32) * n;
        s->left = 0;
        idx[k] = (uint32_t)(m >> 32);
        k += (uint32_t)m >= th;
    }
    struct rng r = s->r;
    while (k + 2 <= cnt) {
        uint64_t x = xoshiro_next(&r);
        uint64_t m1 = (x & 0xffffffffu) * n, m2 = (x >> 32) * n;
        idx[k] = (uint32_t)(m1 >> 32);
        k += (uint32_t)m1 >= th;
        idx[k] = (uint32_t)(m2 >> 32);
        k += (uint32_t)m2 >= th;
    }
    s->r = r;
    while (k < cnt) idx[k++] = idx_next(s);
}

void stats_boot(const struct stats_items *it, long B, uint64_t seed, double *out)
{
    size_t n = it->n;
    if (n == 0 || n >= UINT32_MAX) {
        for (long r = 0; r < B; r++) out[r] = NAN;
        return;
    }
    struct idx_stream s;
    idx_init(&s, seed, (uint32_t)n);
    bool paired = it->binary ? it->bits_b != NULL : it->xb != NULL;
    uint32_t *idx = xmalloc(n * sizeof *idx);
    if (it->binary) {
        size_t words = (n + 63) / 64;
        uint64_t *pos = xmalloc(words * sizeof *pos), *neg = xcalloc(words, sizeof *neg);
        if (paired) {
            for (size_t w = 0; w < words; w++) {
                pos[w] = it->bits_a[w] & ~it->bits_b[w];
                neg[w] = ~it->bits_a[w] & it->bits_b[w];
            }
        } else {
            memcpy(pos, it->bits_a, words * sizeof *pos);
        }
        for (long r = 0; r < B; r++) {
            idx_fill(&s, idx, n);
            long np = 0, nn = 0;
            for (size_t k = 0; k < n; k++) {
                uint32_t i = idx[k];
                np += (long)((pos[i >> 6] >> (i & 63)) & 1);
                nn += (long)((neg[i >> 6] >> (i & 63)) & 1);
            }
            out[r] = (double)(np - nn) / (double)n;
        }
        free(pos);
        free(neg);
        free(idx);
        return;
    }
    double *d = xmalloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = it->xa[i] - (paired ? it->xb[i] : 0.0);
    for (long r = 0; r < B; r++) {
        idx_fill(&s, idx, n);
        double sum = 0;
        for (size_t k = 0; k < n; k++) sum += d[idx[k]];
        out[r] = sum / (double)n;
    }
    free(d);
    free(idx);
}

void stats_boot_hier(const double *sa, size_t Sa, const double *sb, size_t Sb, size_t n, long B,
                     uint64_t seed, double *out)
{
    if (n == 0 || n >= UINT32_MAX || Sa == 0 || (sb && Sb == 0)) {
        for (long r = 0; r < B; r++) out[r] = NAN;
        return;
    }
    struct idx_stream s;
    idx_init(&s, seed, (uint32_t)n);
    struct rng rs;
    rng_seed(&rs, rng_derive(seed, "hier-seeds", 0));
    double *wa = xcalloc(Sa, sizeof *wa), *wb = xcalloc(Sb ? Sb : 1, sizeof *wb);
    double *comb = xmalloc(n * sizeof *comb);
    for (long r = 0; r < B; r++) {
        memset(wa, 0, Sa * sizeof *wa);
        for (size_t k = 0; k < Sa; k++) wa[rng_below(&rs, Sa)] += 1.0 / (double)Sa;
        if (sb) {
            memset(wb, 0, Sb * sizeof *wb);
            for (size_t k = 0; k < Sb; k++) wb[rng_below(&rs, Sb)] += 1.0 / (double)Sb;
        }
        for (size_t i = 0; i < n; i++) {
            double v = 0;
            for (size_t k = 0; k < Sa; k++)
                if (wa[k] != 0) v += wa[k] * sa[k * n + i];
            if (sb)
                for (size_t k = 0; k < Sb; k++)
                    if (wb[k] != 0) v -= wb[k] * sb[k * n + i];
            comb[i] = v;
        }
        double sum = 0;
        for (size_t k = 0; k < n; k++) sum += comb[idx_next(&s)];
        out[r] = sum / (double)n;
    }
    free(wa);
    free(wb);
    free(comb);
}

/* ---- agreement ---- */

static int cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

double stats_kripp_alpha_interval(const size_t *unit, const double *v, size_t nv,
                                  size_t *n_pairable)
{
    if (n_pairable) *n_pairable = 0;
    if (nv == 0) return NAN;
    /* group values by unit through an index sorted by unit */
    size_t *ord = xmalloc(nv * 2 * sizeof *ord);
    for (size_t k = 0; k < nv; k++) {
        ord[2 * k] = unit[k];
        ord[2 * k + 1] = k;
    }
    qsort(ord, nv, 2 * sizeof *ord, cmp_size);
    double n = 0, sum = 0, sumsq = 0, dobs = 0;
    for (size_t s = 0; s < nv;) {
        size_t e = s;
        double us = 0, uss = 0;
        while (e < nv && ord[2 * e] == ord[2 * s]) {
            double x = v[ord[2 * e + 1]];
            us += x;
            uss += x * x;
            e++;
        }
        double mu = (double)(e - s);
        if (mu >= 2) {
            /* sum over ordered pairs i != j of (x_i - x_j)^2 = 2 m sum x^2 - 2 (sum x)^2 */
            dobs += (2.0 * mu * uss - 2.0 * us * us) / (mu - 1.0);
            n += mu;
            sum += us;
            sumsq += uss;
        }
        s = e;
    }
    free(ord);
    if (n_pairable) *n_pairable = (size_t)n;
    if (n < 2) return NAN;
    double de = (2.0 * n * sumsq - 2.0 * sum * sum) / (n * (n - 1.0));
    dobs /= n;
    if (!(de > 0)) return NAN;
    return 1.0 - dobs / de;
}

double stats_kish_neff(const double *w, size_t n)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s += w[i];
        s2 += w[i] * w[i];
    }
    return s2 > 0 ? s * s / s2 : 0.0;
}

double stats_pass_at_k(long n, long c, long k)
{
    if (n - c < k) return 1.0;
    double prod = 1.0;
    for (long i = n - c + 1; i <= n; i++) prod *= 1.0 - (double)k / (double)i;
    return 1.0 - prod;
}

const char *stats_verdict(bool equivalent, bool noninferior, double lo, double hi)
{
    if (equivalent) {
        if (lo > 0) return "equivalent, significantly higher";
        if (hi < 0) return "equivalent, significantly lower";
        return "equivalent";
    }
    if (lo > 0) return "superior";
    if (noninferior) return hi < 0 ? "non-inferior, significantly lower" : "non-inferior";
    if (hi < 0) return "inferior";
    return "inconclusive";
}
