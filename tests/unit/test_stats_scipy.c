/*
 * test_stats_scipy: gra's statistics against SciPy on generated data.
 *
 * Draws seeded cases (proportions, discordant counts, paired per-item
 * differences, p-value vectors, reviewer scores, bootstrap samples), computes
 * every quantity with reports/stats.c, writes inputs and gra's outputs to a
 * JSON file in a temp directory and runs /usr/bin/python3
 * tests/python/check_stats.py on it, which recomputes them with scipy
 * (binomtest, t and normal distributions, numpy percentiles, scipy's
 * bootstrap) and compares: to 1e-6 where the method is exact, within a
 * stated tolerance for the bootstrap (different resamples). Skips, saying
 * why, when python3 or scipy is missing.
 */

/* cmocka needs these first, in this order */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/rng.h"
#include "reports/stats.h"

static cJSON *dbl_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static void add_wilson(cJSON *root, struct rng *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "wilson");
    static const double alphas[] = {0.05, 0.1, 0.01};
    for (int k = 0; k < 40; k++) {
        long n = 1 + (long)rng_below(r, k < 10 ? 30 : 5000);
        long x = (long)rng_below(r, (uint64_t)n + 1);
        if (k == 0) x = 0;
        if (k == 1) x = n;
        double a = alphas[k % 3], lo, hi;
        stats_wilson((double)x / (double)n, (double)n, a, &lo, &hi);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "x", (double)x);
        cJSON_AddNumberToObject(o, "n", (double)n);
        cJSON_AddNumberToObject(o, "alpha", a);
        cJSON_AddNumberToObject(o, "lo", lo);
        cJSON_AddNumberToObject(o, "hi", hi);
        cJSON_AddItemToArray(arr, o);
    }
}

static void add_mcnemar(cJSON *root, struct rng *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "mcnemar");
    for (int k = 0; k < 40; k++) {
        long lim = k < 20 ? 30 : 3000;
        long b = (long)rng_below(r, (uint64_t)lim), c = (long)rng_below(r, (uint64_t)lim);
        if (k == 0) b = c = 0;
        if (k == 1) c = b;
        double p, mid;
        assert_int_equal(stats_mcnemar(b, c, &p, &mid), 0);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "b", (double)b);
        cJSON_AddNumberToObject(o, "c", (double)c);
        cJSON_AddNumberToObject(o, "p", p);
        cJSON_AddNumberToObject(o, "midp", mid);
        cJSON_AddItemToArray(arr, o);
    }
}

/* paired per-item differences in points, binary and fractional items */
static void add_tost(cJSON *root, struct rng *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "tost");
    for (int k = 0; k < 24; k++) {
        size_t n = 20 + (size_t)rng_below(r, 2500);
        int samples = k % 3 == 2 ? 3 : 1;
        double pa = 0.3 + 0.5 * rng_uniform(r), flip = 0.05 + 0.25 * rng_uniform(r);
        double *d = malloc(n * sizeof *d);
        for (size_t i = 0; i < n; i++) {
            double sa = 0, sb = 0;
            for (int s = 0; s < samples; s++) {
                double a = rng_uniform(r) < pa, b = rng_uniform(r) < flip ? 1 - a : a;
                sa += a;
                sb += b;
            }
            d[i] = 100.0 * (sa - sb) / samples;
        }
        double diff = stats_mean(d, n), se = stats_sd(d, n) / sqrt((double)n);
        double margin = 0.5 + 5 * rng_uniform(r), alpha = k % 2 ? 0.05 : 0.1, power = 0.8;
        struct stats_tost t;
        stats_tost(diff, se, (double)(n - 1), margin, alpha, &t);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "d", dbl_array(d, n));
        cJSON_AddNumberToObject(o, "margin", margin);
        cJSON_AddNumberToObject(o, "alpha", alpha);
        cJSON_AddNumberToObject(o, "diff", diff);
        cJSON_AddNumberToObject(o, "se", se);
        cJSON_AddNumberToObject(o, "p_lower", t.p_lower);
        cJSON_AddNumberToObject(o, "p_upper", t.p_upper);
        cJSON_AddNumberToObject(o, "p_tost", t.p_tost);
        cJSON_AddBoolToObject(o, "equivalent", t.equivalent);
        cJSON_AddBoolToObject(o, "noninferior", t.noninferior);
        cJSON_AddNumberToObject(o, "power", power);
        cJSON_AddNumberToObject(o, "mmin_tost", stats_mmin_tost(se, alpha, power));
        cJSON_AddNumberToObject(o, "mmin_noninf", stats_mmin_noninf(se, alpha, power));
        cJSON_AddItemToArray(arr, o);
        free(d);
    }
}

static void add_multiplicity(cJSON *root, struct rng *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "multiplicity");
    for (int k = 0; k < 20; k++) {
        size_t m = 1 + (size_t)rng_below(r, 14);
        double p[16], h[16], b[16];
        for (size_t i = 0; i < m; i++) {
            p[i] = rng_uniform(r) < 0.4 ? rng_uniform(r) * 0.02 : rng_uniform(r);
            if (i > 0 && rng_uniform(r) < 0.15) p[i] = p[i - 1]; /* ties */
        }
        stats_holm(p, m, h);
        stats_bh(p, m, b);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "p", dbl_array(p, m));
        cJSON_AddItemToObject(o, "holm", dbl_array(h, m));
        cJSON_AddItemToObject(o, "bh", dbl_array(b, m));
        cJSON_AddItemToArray(arr, o);
    }
}

static void add_kripp(cJSON *root, struct rng *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "krippendorff");
    for (int k = 0; k < 8; k++) {
        size_t units = 10 + (size_t)rng_below(r, 80), nv = 0;
        size_t *u = malloc(units * 6 * sizeof *u);
        double *v = malloc(units * 6 * sizeof *v);
        for (size_t i = 0; i < units; i++) {
            double truth = 4 + 6 * rng_uniform(r);
            size_t m = 1 + (size_t)rng_below(r, 5);
            for (size_t j = 0; j < m; j++) {
                double x = truth + (k % 2 ? 0.5 : 2.0) * rng_normal(r);
                if (k >= 4) x = round(x); /* integer scores */
                u[nv] = i;
                v[nv++] = x;
            }
        }
        size_t np;
        double alpha = stats_kripp_alpha_interval(u, v, nv, &np);
        cJSON *o = cJSON_CreateObject();
        cJSON *ua = cJSON_CreateArray();
        for (size_t i = 0; i < nv; i++) cJSON_AddItemToArray(ua, cJSON_CreateNumber((double)u[i]));
        cJSON_AddItemToObject(o, "unit", ua);
        cJSON_AddItemToObject(o, "value", dbl_array(v, nv));
        cJSON_AddNumberToObject(o, "alpha", alpha);
        cJSON_AddNumberToObject(o, "pairable", (double)np);
        cJSON_AddItemToArray(arr, o);
        free(u);
        free(v);
    }
}

static void add_pass_at_k(cJSON *root, struct rng *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "pass_at_k");
    for (int k = 0; k < 30; k++) {
        long n = 1 + (long)rng_below(r, 200), c = (long)rng_below(r, (uint64_t)n + 1),
             kk = 1 + (long)rng_below(r, (uint64_t)n);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "n", (double)n);
        cJSON_AddNumberToObject(o, "c", (double)c);
        cJSON_AddNumberToObject(o, "k", (double)kk);
        cJSON_AddNumberToObject(o, "v", stats_pass_at_k(n, c, kk));
        cJSON_AddItemToArray(arr, o);
    }
}

static void add_percentile(cJSON *root, struct rng *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "percentile");
    for (int k = 0; k < 12; k++) {
        size_t n = 2 + (size_t)rng_below(r, 700);
        double *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
        for (size_t i = 0; i < n; i++) v[i] = w[i] = rng_normal(r);
        double a = k % 2 ? 0.05 : 0.1, lo, hi;
        stats_percentile_ci(w, n, a, &lo, &hi);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "v", dbl_array(v, n));
        cJSON_AddNumberToObject(o, "alpha", a);
        cJSON_AddNumberToObject(o, "lo", lo);
        cJSON_AddNumberToObject(o, "hi", hi);
        cJSON_AddItemToArray(arr, o);
        free(v);
        free(w);
    }
}

/* bootstrap intervals: the same statistic scipy.stats.bootstrap computes */
static void add_bootstrap(cJSON *root, struct rng *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "bootstrap");
    long B = 10000;
    double *out = malloc((size_t)B * sizeof *out);
    for (int k = 0; k < 4; k++) {
        size_t n = 150 + (size_t)rng_below(r, 400);
        bool paired = k >= 2;
        double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        for (size_t i = 0; i < n; i++) {
            a[i] = rng_uniform(r) < 0.6;
            b[i] = rng_uniform(r) < 0.2 ? 1 - a[i] : a[i];
        }
        struct stats_items it;
        stats_items_init(&it, a, paired ? b : NULL, n);
        stats_boot(&it, B, rng_derive(1, "scipy-boot", (uint64_t)k), out);
        stats_items_release(&it);
        double lo, hi;
        stats_percentile_ci(out, (size_t)B, 0.05, &lo, &hi);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "a", dbl_array(a, n));
        if (paired) cJSON_AddItemToObject(o, "b", dbl_array(b, n));
        cJSON_AddNumberToObject(o, "B", (double)B);
        cJSON_AddNumberToObject(o, "alpha", 0.05);
        cJSON_AddNumberToObject(o, "lo", lo);
        cJSON_AddNumberToObject(o, "hi", hi);
        cJSON_AddItemToArray(arr, o);
        free(a);
        free(b);
    }
    free(out);
}

static int have_scipy(void)
{
    if (access("/usr/bin/python3", X_OK) != 0) return 0;
    int st = system("/usr/bin/python3 -c 'import scipy.stats, numpy' >/dev/null 2>&1");
    return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_against_scipy(void **state)
{
    (void)state;
    if (!have_scipy()) {
        if (getenv("CI") && !strcmp(getenv("CI"), "true"))
            fail_msg("CI=true but /usr/bin/python3 with scipy is missing (apt-get install "
                     "python3-scipy)");
        printf("SKIP: /usr/bin/python3 with scipy not found (Debian: apt-get install "
               "python3-scipy)\n");
        skip();
    }
    struct rng r;
    rng_seed(&r, 20251128);
    cJSON *root = cJSON_CreateObject();
    add_wilson(root, &r);
    add_mcnemar(root, &r);
    add_tost(root, &r);
    add_multiplicity(root, &r);
    add_kripp(root, &r);
    add_pass_at_k(root, &r);
    add_percentile(root, &r);
    add_bootstrap(root, &r);
    const char *base = getenv("GRA_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    assert_int_equal(fileio_mkdirs(base), 0);
    char *tmpl = xasprintf("%s/stats_scipy.XXXXXX", base);
    assert_non_null(mkdtemp(tmpl));
    char *path = xasprintf("%s/cases.json", tmpl);
    char *text = cJSON_PrintUnformatted(root);
    assert_int_equal(fileio_write_atomic(path, text, strlen(text)), 0);
    const char *src = getenv("GRA_SOURCE_DIR");
    char *cmd = xasprintf("/usr/bin/python3 '%s/tests/python/check_stats.py' '%s'",
                          src ? src : GRA_SOURCE_DIR, path);
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    unlink(path);
    rmdir(tmpl);
    free(cmd);
    free(text);
    free(path);
    free(tmpl);
    cJSON_Delete(root);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_against_scipy)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
