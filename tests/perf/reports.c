/*
 * perf_reports: the report's hot loop, the paired bootstrap, at MMLU scale:
 * 10,000 resamples over 14,042 paired items on one core (target < 1 s).
 * Also times the fractional path (items with several samples) and the
 * percentile step, and prints the interval so the work cannot be optimised
 * away. Usage: perf_reports [B] [n]
 */
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/rng.h"
#include "reports/stats.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    long B = argc > 1 ? atol(argv[1]) : 10000;
    size_t n = argc > 2 ? (size_t)atol(argv[2]) : 14042;
    if (B < 100 || n < 2) {
        fprintf(stderr, "usage: perf_reports [B >= 100] [n >= 2]\n");
        return 2;
    }
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b),
           *out = malloc((size_t)B * sizeof *out);
    struct rng r;
    rng_seed(&r, 42);
    for (size_t i = 0; i < n; i++) {
        a[i] = rng_uniform(&r) < 0.65;
        b[i] = rng_uniform(&r) < 0.15 ? 1 - a[i] : a[i];
    }
    struct stats_items it;
    double t0 = now();
    stats_items_init(&it, a, b, n);
    stats_boot(&it, B, 7, out);
    double t1 = now();
    double lo, hi;
    stats_percentile_ci(out, (size_t)B, 0.05, &lo, &hi);
    double t2 = now();
    stats_items_release(&it);
    double t_binary = t1 - t0;
    printf("paired bootstrap, binary items: n=%zu B=%ld: %.3f s (%.2f ns per draw), percentile "
           "%.4f s, "
           "95%% CI [%+.3f, %+.3f] points\n",
           n, B, t1 - t0, (t1 - t0) * 1e9 / ((double)n * (double)B), t2 - t1, 100 * lo, 100 * hi);

    for (size_t i = 0; i < n; i++) {
        a[i] = (a[i] * 2 + (rng_uniform(&r) < 0.5)) / 3; /* three samples per item */
        b[i] = (b[i] * 2 + (rng_uniform(&r) < 0.5)) / 3;
    }
    t0 = now();
    stats_items_init(&it, a, b, n);
    stats_boot(&it, B, 7, out);
    t1 = now();
    stats_items_release(&it);
    stats_percentile_ci(out, (size_t)B, 0.05, &lo, &hi);
    printf(
        "paired bootstrap, fractional items: n=%zu B=%ld: %.3f s, 95%% CI [%+.3f, %+.3f] points\n",
        n, B, t1 - t0, 100 * lo, 100 * hi);
    printf("target: binary paired bootstrap under 1 s on one core: %s\n",
           t_binary < 1.0 ? "met" : "NOT met");
    free(a);
    free(b);
    free(out);
    return 0;
}
