/*
 * stats: the statistics behind the report (research/perf-stats.md section C).
 *
 * Pure functions over arrays: no I/O, no allocation that outlives a call
 * unless stated. Distributions come from GSL (gsl_cdf_*); resampling uses
 * core/rng.h streams (xoshiro256**), seeded by the caller, so every interval
 * is reproducible from (seed, label). Scores are fractions in [0, 1]; the
 * report converts differences to points (x 100) itself.
 *
 * Conventions (documented in docs/reports.md):
 *   - percentile intervals use linear interpolation between order statistics
 *     (gsl_stats_quantile_from_sorted_data, numpy's default);
 *   - paired SE is the sample sd of d_i over sqrt(n) (n - 1 in the variance),
 *     TOST and non-inferiority use Student t with n - 1 df on it;
 *   - McNemar exact is min(1, 2 P(X <= min(b,c))), X ~ Bin(b + c, 1/2).
 */
#ifndef GRA_REPORTS_STATS_H
#define GRA_REPORTS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wilson score interval for a proportion p (successes / n, may be a mean of
 * fractions) at confidence 1 - alpha. n == 0 gives [0, 1]. */
void stats_wilson(double p, double n, double alpha, double *lo, double *hi);

/* McNemar's exact two-sided test on discordant counts b, c, and its mid-p
 * (2 (P(X <= k) - P(X = k) / 2), k = min(b, c), capped at 1). b + c == 0
 * gives p = midp = 1. 0 or GRA_EINVAL (GSL failure). */
int stats_mcnemar(long b, long c, double *p, double *midp);

/* Equivalence and non-inferiority against margin m (same unit as diff and
 * se), Student t with df degrees of freedom (df <= 0: normal).
 *   p_lower = P(T >= (diff + m) / se)     H0: diff <= -m (non-inferiority)
 *   p_upper = P(T <= (diff - m) / se)     H0: diff >= +m
 *   p_tost  = max(p_lower, p_upper); equivalent iff p_tost < alpha;
 *   noninferior iff p_lower < alpha.
 * se == 0 degenerates to the sign of the distance to the bound. */
struct stats_tost {
    double p_lower, p_upper, p_tost;
    bool equivalent, noninferior;
};
void stats_tost(double diff, double se, double df, double m, double alpha, struct stats_tost *out);

/* The verdict of one comparison a - b, the same rule for a benchmark and for
 * the macro average: equivalent (TOST) first ("equivalent, significantly
 * higher/lower" when the interval [lo, hi] also excludes 0), then "superior"
 * when lo > 0, then non-inferior ("non-inferior, significantly lower" when
 * hi < 0), then "inferior" when hi < 0, else "inconclusive". lo, hi: the
 * bootstrap interval of the difference (NaN counts as including 0). Returns a
 * static string. */
const char *stats_verdict(bool equivalent, bool noninferior, double lo, double hi);

/* Smallest margin that TOST (two one-sided tests at alpha) or the
 * non-inferiority test establish with the given power when the true
 * difference is 0: (z_{1-alpha} + z_{1-(1-power)/2}) se and
 * (z_{1-alpha} + z_{power}) se (perf-stats.md C.6). */
double stats_mmin_tost(double se, double alpha, double power);
double stats_mmin_noninf(double se, double alpha, double power);

/* Holm (step-down FWER) and Benjamini-Hochberg (step-up FDR) adjusted
 * p-values of p[0..m-1] into adj[0..m-1] (same order as the input). */
void stats_holm(const double *p, size_t m, double *adj);
void stats_bh(const double *p, size_t m, double *adj);

/* Percentile interval of v[0..n-1] at 1 - alpha; v is sorted in place. */
void stats_percentile_ci(double *v, size_t n, double alpha, double *lo, double *hi);

/* Sample mean / sd (n - 1) of x. */
double stats_mean(const double *x, size_t n);
double stats_sd(const double *x, size_t n);

/*
 * Items for resampling. Binary items are bit-packed: bit i of a[] (and b[])
 * is item i's 0/1 score; the paired loop only counts discordant bits, so one
 * resample of n items costs n draws and two bit tests. Fractional items
 * (several samples per item, pass@1 of code) use the double arrays.
 */
struct stats_items {
    size_t n;
    bool binary;
    uint64_t *bits_a, *bits_b; /* binary: (n + 63) / 64 words; bits_b NULL for one sample */
    double *xa, *xb;           /* fractional: n values; xb NULL for one sample */
};

/* Build from per-item scores (xb may be NULL). Items whose scores are all 0/1
 * are stored bit-packed. Free with stats_items_release(). */
void stats_items_init(struct stats_items *it, const double *xa, const double *xb, size_t n);
void stats_items_release(struct stats_items *it);

/* B bootstrap resamples of the mean of a (one sample) or of a - b (paired,
 * the same resampled indices for both sides), written to out[0..B-1]; the
 * stream is seeded with seed. */
void stats_boot(const struct stats_items *it, long B, uint64_t seed, double *out);

/*
 * Hierarchical (two-level) bootstrap over training seeds and items.
 * sa[s * n + i] is side a's score for seed s (of Sa) on item i; likewise sb
 * (NULL for one side). Each resample draws Sa seeds of a and Sb seeds of b
 * with replacement, then n items with replacement, and records the mean over
 * drawn items of (mean over drawn a-seeds - mean over drawn b-seeds).
 */
void stats_boot_hier(const double *sa, size_t Sa, const double *sb, size_t Sb, size_t n, long B,
                     uint64_t seed, double *out);

/* The bootstrap's inlined copy of core/rng.h's rng_next() (exposed so a
 * test can check they give the same stream). */
struct rng;
uint64_t stats_rng_next(struct rng *r);

/* Krippendorff's alpha, interval metric. unit[k] is the unit (item) of value
 * v[k], k < nv; units with fewer than two values are not pairable and are
 * ignored. Returns NaN when fewer than two pairable values or no expected
 * disagreement. *n_pairable gets the number of pairable values (may be NULL). */
double stats_kripp_alpha_interval(const size_t *unit, const double *v, size_t nv,
                                  size_t *n_pairable);

/* Kish effective number (sum w)^2 / sum w^2 of weights w (0 when all zero). */
double stats_kish_neff(const double *w, size_t n);

/* Unbiased pass@k for one problem with n samples, c correct (Chen et al.). */
double stats_pass_at_k(long n, long c, long k);

#endif
