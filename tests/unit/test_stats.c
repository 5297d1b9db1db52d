/*
 * test_stats: the reports module's statistics against hand-computed values
 * (research/perf-stats.md C quotes several, checked there with GSL), the
 * bootstrap's determinism and calibration, agreement, MinHash/distinct-n,
 * the published-table audit (expected rows computed here in integer
 * hundredths, independently of the double arithmetic in published.c), and
 * the "report" config section.
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

#include "core/err.h"
#include "core/rng.h"
#include "reports/report_int.h"
#include "reports/stats.h"
#include "reports/text.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static void test_wilson(void **state)
{
    (void)state;
    double lo, hi;
    stats_wilson(137.0 / 164.0, 164, 0.05, &lo, &hi);
    NEAR(lo, 0.771, 1e-3);
    NEAR(hi, 0.884, 1e-3);
    stats_wilson(0, 0, 0.05, &lo, &hi);
    assert_true(lo == 0 && hi == 1);
    stats_wilson(0, 30, 0.05, &lo, &hi);
    assert_true(lo == 0);
    assert_true(hi > 0.09 && hi < 0.12);
}

static void test_mcnemar(void **state)
{
    (void)state;
    double p, mid;
    assert_int_equal(stats_mcnemar(10, 2, &p, &mid), 0);
    /* X ~ Bin(12, 1/2): P(X <= 2) = 79/4096, P(X = 2) = 66/4096 */
    NEAR(p, 2.0 * 79 / 4096, 1e-12);
    NEAR(mid, 2.0 * (79.0 - 33.0) / 4096, 1e-12);
    NEAR(p, 0.0386, 1e-4);
    assert_int_equal(stats_mcnemar(2, 10, &p, &mid), 0); /* symmetric */
    NEAR(p, 2.0 * 79 / 4096, 1e-12);
    assert_int_equal(stats_mcnemar(0, 0, &p, &mid), 0);
    assert_true(p == 1 && mid == 1);
    assert_int_equal(stats_mcnemar(5, 5, &p, &mid), 0);
    assert_true(p == 1);
    NEAR(mid, 1.0, 1e-12);
    assert_int_not_equal(stats_mcnemar(-1, 3, &p, &mid), 0);
}

static void test_tost(void **state)
{
    (void)state;
    struct stats_tost t;
    stats_tost(-0.5, 1.0, 999, 2.0, 0.05, &t);
    NEAR(t.p_lower, 0.067, 1e-3);
    NEAR(t.p_upper, 0.006, 1e-3);
    NEAR(t.p_tost, t.p_lower, 0);
    assert_false(t.equivalent);
    assert_false(t.noninferior);
    stats_tost(0.1, 0.5, 0, 2.0, 0.05, &t); /* normal, well inside the band */
    assert_true(t.equivalent && t.noninferior);
    stats_tost(-3.0, 0.0, 10, 2.0, 0.05, &t); /* se 0: outside the band */
    assert_false(t.equivalent);
    assert_false(t.noninferior);
    stats_tost(1.0, 0.0, 10, 2.0, 0.05, &t);
    assert_true(t.equivalent);
}

/* the audit's macro case: diff +2.73, bootstrap CI [2.04, 3.46], margin 1: the
 * normal tests call it non-inferior (not equivalent); the interval is wholly
 * above 0, so the verdict is "superior", as for a single benchmark */
static void test_verdict(void **state)
{
    (void)state;
    struct stats_tost t;
    stats_tost(2.73, 0.36, 0, 1.0, 0.05, &t);
    assert_true(t.noninferior);
    assert_false(t.equivalent);
    assert_string_equal(stats_verdict(t.equivalent, t.noninferior, 2.04, 3.46), "superior");
    /* the mirror image: wholly below -margin */
    stats_tost(-2.73, 0.36, 0, 1.0, 0.05, &t);
    assert_false(t.noninferior);
    assert_string_equal(stats_verdict(t.equivalent, t.noninferior, -3.46, -2.04), "inferior");
    /* inside the band */
    assert_string_equal(stats_verdict(true, true, -0.4, 0.5), "equivalent");
    assert_string_equal(stats_verdict(true, true, 0.1, 0.6), "equivalent, significantly higher");
    assert_string_equal(stats_verdict(true, true, -0.6, -0.1), "equivalent, significantly lower");
    /* above -margin but the upper end beyond +margin */
    assert_string_equal(stats_verdict(false, true, -0.5, 1.8), "non-inferior");
    assert_string_equal(stats_verdict(false, true, -0.9, -0.2),
                        "non-inferior, significantly lower");
    assert_string_equal(stats_verdict(false, false, -2.5, 1.8), "inconclusive");
    /* lo > 0 but the upper end beyond the margin: superior, not non-inferior */
    assert_string_equal(stats_verdict(false, true, 0.2, 1.8), "superior");
    assert_string_equal(stats_verdict(false, false, NAN, NAN), "inconclusive");
}

static void test_mmin(void **state)
{
    (void)state;
    NEAR(stats_mmin_tost(1.0, 0.05, 0.8), 1.644854 + 1.281552, 1e-5);
    NEAR(stats_mmin_noninf(1.0, 0.05, 0.8), 1.644854 + 0.841621, 1e-5);
    /* perf-stats C.6: HumanEval, 10% discordance: 2.93 sqrt(0.1 / 164) = 7.2 points */
    NEAR(stats_mmin_tost(100 * sqrt(0.1 / 164), 0.05, 0.8), 7.2, 0.05);
}

static void test_holm_bh(void **state)
{
    (void)state;
    const double p[] = {0.01, 0.04, 0.03, 0.005};
    double h[4], b[4];
    stats_holm(p, 4, h);
    stats_bh(p, 4, b);
    const double eh[] = {0.03, 0.06, 0.06, 0.02}, eb[] = {0.02, 0.04, 0.04, 0.02};
    for (int i = 0; i < 4; i++) {
        NEAR(h[i], eh[i], 1e-12);
        NEAR(b[i], eb[i], 1e-12);
    }
    const double one[] = {0.7};
    stats_holm(one, 1, h);
    NEAR(h[0], 0.7, 0);
    const double big[] = {0.6, 0.9};
    stats_holm(big, 2, h);
    NEAR(h[0], 1.0, 0); /* capped at 1 */
}

static void test_pass_at_k(void **state)
{
    (void)state;
    NEAR(stats_pass_at_k(10, 3, 1), 0.3, 1e-12);
    NEAR(stats_pass_at_k(10, 3, 5), 0.916667, 1e-6);
    NEAR(stats_pass_at_k(5, 0, 1), 0.0, 0);
    NEAR(stats_pass_at_k(3, 3, 2), 1.0, 0);
}

static void test_percentile(void **state)
{
    (void)state;
    double v[] = {5, 1, 4, 2, 3};
    double lo, hi;
    stats_percentile_ci(v, 5, 0.5, &lo, &hi); /* quartiles with linear interpolation */
    NEAR(lo, 2.0, 1e-12);
    NEAR(hi, 4.0, 1e-12);
}

/* the bootstrap: deterministic, centred on the estimate, spread = its SE */
static void test_bootstrap(void **state)
{
    (void)state;
    size_t n = 3000;
    long B = 4000;
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    double *o1 = malloc((size_t)B * sizeof *o1), *o2 = malloc((size_t)B * sizeof *o2);
    struct rng r;
    rng_seed(&r, 12345);
    double sa = 0, sd = 0;
    for (size_t i = 0; i < n; i++) {
        a[i] = rng_uniform(&r) < 0.7;
        b[i] = rng_uniform(&r) < 0.15 ? 1.0 - a[i] : a[i]; /* ~15% discordant */
        sa += a[i];
        sd += a[i] - b[i];
    }
    struct stats_items it;
    stats_items_init(&it, a, b, n);
    assert_true(it.binary);
    stats_boot(&it, B, 77, o1);
    stats_boot(&it, B, 77, o2);
    assert_memory_equal(o1, o2, (size_t)B * sizeof *o1);
    double m = stats_mean(o1, (size_t)B), s = stats_sd(o1, (size_t)B);
    double dbar = sd / n, var = 0;
    for (size_t i = 0; i < n; i++) var += (a[i] - b[i] - dbar) * (a[i] - b[i] - dbar);
    double se = sqrt(var / n) / sqrt((double)n);
    NEAR(m, dbar, 4 * se / sqrt((double)B) + 1e-12);
    assert_true(fabs(s / se - 1) < 0.06);
    stats_boot(&it, B, 78, o2);
    assert_true(memcmp(o1, o2, (size_t)B * sizeof *o1) != 0);
    stats_items_release(&it);

    /* one sample */
    stats_items_init(&it, a, NULL, n);
    stats_boot(&it, B, 5, o1);
    double p = sa / n;
    NEAR(stats_mean(o1, (size_t)B), p, 4 * sqrt(p * (1 - p) / n) / sqrt((double)B));
    assert_true(fabs(stats_sd(o1, (size_t)B) / sqrt(p * (1 - p) / n) - 1) < 0.06);
    stats_items_release(&it);

    /* fractional items take the double path and agree in distribution */
    for (size_t i = 0; i < n; i++) a[i] = a[i] * 0.5 + 0.25;
    stats_items_init(&it, a, NULL, n);
    assert_false(it.binary);
    stats_boot(&it, B, 5, o2);
    /* same indices drawn (same seed): x' = x / 2 + 1/4 on every resample */
    for (long k = 0; k < B; k++) NEAR(o2[k], o1[k] * 0.5 + 0.25, 1e-12);
    stats_items_release(&it);

    /* identical sides: every paired resample is exactly 0 */
    stats_items_init(&it, b, b, n);
    stats_boot(&it, 100, 9, o1);
    for (long k = 0; k < 100; k++) assert_true(o1[k] == 0);
    stats_items_release(&it);
    free(a);
    free(b);
    free(o1);
    free(o2);
}

static void test_rng_copy(void **state)
{
    (void)state;
    struct rng a, b;
    rng_seed(&a, 99);
    rng_seed(&b, 99);
    for (int i = 0; i < 1000; i++) assert_true(rng_next(&a) == stats_rng_next(&b));
}

static void test_boot_hier(void **state)
{
    (void)state;
    size_t n = 400, S = 3;
    long B = 2000;
    double *sa = malloc(S * n * sizeof *sa), *out = malloc((size_t)B * sizeof *out);
    struct rng r;
    rng_seed(&r, 3);
    for (size_t s = 0; s < S; s++)
        for (size_t i = 0; i < n; i++) sa[s * n + i] = rng_uniform(&r) < 0.4 + 0.1 * (double)s;
    stats_boot_hier(sa, S, NULL, 0, n, B, 11, out);
    double lo, hi;
    stats_percentile_ci(out, (size_t)B, 0.05, &lo, &hi);
    /* the seed level adds spread: wider than the items-only interval */
    double *avg = malloc(n * sizeof *avg), *o2 = malloc((size_t)B * sizeof *o2);
    for (size_t i = 0; i < n; i++) avg[i] = (sa[i] + sa[n + i] + sa[2 * n + i]) / 3;
    struct stats_items it;
    stats_items_init(&it, avg, NULL, n);
    stats_boot(&it, B, 11, o2);
    stats_items_release(&it);
    double lo2, hi2;
    stats_percentile_ci(o2, (size_t)B, 0.05, &lo2, &hi2);
    assert_true(hi - lo > hi2 - lo2);
    assert_true(lo < 0.5 && hi > 0.5);
    free(sa);
    free(out);
    free(avg);
    free(o2);
}

static void test_kripp(void **state)
{
    (void)state;
    const size_t u[] = {0, 0, 1, 1, 2};
    const double v[] = {1, 2, 3, 4, 9}; /* unit 2 has one value: not pairable */
    size_t np;
    NEAR(stats_kripp_alpha_interval(u, v, 5, &np), 0.7, 1e-12);
    assert_int_equal(np, 4);
    const size_t u2[] = {0, 0, 0, 1, 1, 1};
    const double v2[] = {3, 3, 3, 7, 7, 7};
    NEAR(stats_kripp_alpha_interval(u2, v2, 6, NULL), 1.0, 1e-12);
    const double v3[] = {5, 5, 5, 5, 5, 5};
    assert_true(isnan(stats_kripp_alpha_interval(u2, v3, 6, NULL)));
    const double w1[] = {1, 1, 1}, w2[] = {1, 0, 0}, w3[] = {2, 1, 1};
    NEAR(stats_kish_neff(w1, 3), 3, 1e-12);
    NEAR(stats_kish_neff(w2, 3), 1, 1e-12);
    NEAR(stats_kish_neff(w3, 3), 16.0 / 6.0, 1e-12);
}

static void test_text(void **state)
{
    (void)state;
    const char *t1[] = {"A b a B"};
    double d[3];
    size_t w;
    text_distinct(t1, 1, d, &w);
    assert_int_equal(w, 4);
    NEAR(d[0], 0.5, 1e-12);
    NEAR(d[1], 2.0 / 3.0, 1e-12);
    NEAR(d[2], 1.0, 1e-12);
    const char *t2[] = {
        "Write a poem about the sea in four lines.", "write a poem about   the sea in four lines",
        "Compute the derivative of x squared plus three.", "List five prime numbers above 100."};
    struct text_neardup nd;
    text_minhash_neardup(t2, 4, 0.8, &nd);
    assert_int_equal(nd.n_near_dup, 2);
    NEAR(nd.rate, 0.5, 1e-12);
    const char *t3[] = {"alpha beta gamma delta", "completely different words here", ""};
    text_minhash_neardup(t3, 3, 0.8, &nd);
    assert_int_equal(nd.n_near_dup, 0);
}

/* Table 1: rows whose printed AVG is off, computed in integer hundredths */
static void test_published(void **state)
{
    (void)state;
    const char *src = getenv("GRA_SOURCE_DIR");
    char *path = xasprintf("%s/reports/published/gra_table1.csv", src ? src : GRA_SOURCE_DIR);
    struct pub_table t;
    assert_int_equal(pub_table_load(path, &t), 0);
    assert_int_equal(t.n_columns, 10);
    assert_int_equal(t.n_rows, 24);
    int *got = malloc((size_t)t.n_rows * sizeof *got);
    int n = pub_table_mismatches(&t, 0.005, got);
    /* independent path: re-read the CSV as integers (hundredths) */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int row = -1, expected[64], ne = 0;
    while (fgets(line, sizeof line, f)) {
        if (row == -1) { /* header */
            row = 0;
            continue;
        }
        char *p = line;
        for (int k = 0; k < 3; k++) p = strchr(p, ',') + 1;
        long cents[11];
        for (int k = 0; k < 11; k++) {
            long whole = strtol(p, &p, 10), frac = 0;
            if (*p == '.') {
                p++;
                frac = (p[0] - '0') * 10 + (p[1] - '0');
                p += 2;
            }
            cents[k] = whole * 100 + frac;
            if (*p == ',') p++;
        }
        long sum = 0;
        for (int k = 0; k < 10; k++) sum += cents[k];
        /* |sum/10 - avg| > 0.005  <=>  |sum - 10 avg| > 5 hundredths */
        if (labs(sum - 10 * cents[10]) > 5) expected[ne++] = row;
        row++;
    }
    fclose(f);
    assert_int_equal(n, ne);
    for (int i = 0; i < n; i++) assert_int_equal(got[i], expected[i]);
    assert_int_equal(ne, 10);
    /* the rounding-half rows (45.705 printed 45.71) are not mismatches */
    for (int i = 0; i < n; i++)
        assert_false(!strcmp(t.rows[got[i]].seed, "WizardLM") &&
                     !strcmp(t.rows[got[i]].data, "seed") &&
                     !strcmp(t.rows[got[i]].student, "Qwen2.5-7B"));
    free(got);
    pub_table_release(&t);
    free(path);
}

static void test_config(void **state)
{
    (void)state;
    struct report_cfg c;
    report_cfg_defaults(&c);
    assert_true(c.margin == 1.0 && c.bootstrap_b == 10000 && c.alpha == 0.05);
    const char *good =
        "{\"seed\": 5, \"report\": {\"margin\": 2.5, \"bootstrap_b\": 500, \"published\": "
        "{\"benchmarks\": {\"gsm8k\": \"GSM8K\"}, \"students\": {\"s1\": {\"student\": "
        "\"Qwen2.5-7B\", "
        "\"seed\": \"Alpaca\", \"data\": \"GRA\"}}}}}";
    cJSON *j = cJSON_Parse(good);
    assert_int_equal(report_cfg_parse(&c, j, "good.json"), 0);
    assert_true(c.margin == 2.5 && c.bootstrap_b == 500 && c.seed == 5);
    assert_int_equal(c.n_bench_map, 1);
    assert_int_equal(c.n_rows, 1);
    assert_string_equal(c.rows[0].row_data, "GRA");
    cJSON_Delete(j);
    report_cfg_release(&c);

    static const char *const bad[] = {
        "{\"report\": {\"marginn\": 2}}",
        "{\"report\": {\"margin\": -1}}",
        "{\"report\": {\"bootstrap_b\": \"many\"}}",
        "{\"report\": {\"published\": {\"students\": {\"s\": {\"student\": \"x\"}}}}}",
        "{\"report\": 3}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        report_cfg_defaults(&c);
        j = cJSON_Parse(bad[i]);
        assert_non_null(j);
        assert_int_equal(report_cfg_parse(&c, j, "bad.json"), GRA_ECONFIG);
        cJSON_Delete(j);
        report_cfg_release(&c);
    }
}

int main(void)
{
    gsl_set_error_handler_off();
    gra_log_level = LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wilson),    cmocka_unit_test(test_mcnemar),
        cmocka_unit_test(test_tost),      cmocka_unit_test(test_verdict),
        cmocka_unit_test(test_mmin),      cmocka_unit_test(test_holm_bh),
        cmocka_unit_test(test_pass_at_k), cmocka_unit_test(test_percentile),
        cmocka_unit_test(test_bootstrap), cmocka_unit_test(test_boot_hier),
        cmocka_unit_test(test_rng_copy),  cmocka_unit_test(test_kripp),
        cmocka_unit_test(test_text),      cmocka_unit_test(test_published),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
