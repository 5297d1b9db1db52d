/*
 * test_committee: the committee rule (synth/committee.h) as a table of cases,
 * including the paper's case study (two reviewers wrongly high, one low: the
 * mean passes, the spread does not, the adjudicator discards; majority vote
 * and mean-only would have kept it), the exact boundaries mu == tau and
 * sigma == delta reached through real rubric means, population vs sample
 * std, weights, and the Dawid-Skene reliability estimate.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/rng.h"
#include "synth/committee.h"

#define A AGG_MEAN_SIGMA
#define ACC VERDICT_ACCEPT
#define REJ VERDICT_REJECT
#define ADJ VERDICT_ADJUDICATE

struct ccase {
    const char *name;
    int agg;
    bool sample;
    int n;
    double scores[5];
    int verdict;
    double mu, sigma; /* NAN = not checked */
};

/* a reviewer score from six rubric integers, as the pipeline computes it */
static double rm(int a, int b, int c, int d, int e, int f)
{
    int s[6] = {a, b, c, d, e, f};
    return committee_rubric_mean(s);
}

static void run_table(const struct ccase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct ccase *c = &cases[i];
        struct committee_rule r = {.aggregation = c->agg, .tau = 8, .delta = 1.5, .sample_sigma = c->sample};
        struct committee_result out;
        assert_int_equal(committee_decide(&r, c->scores, NULL, c->n, &out), 0);
        if (out.verdict != c->verdict)
            fail_msg("case \"%s\": verdict %s, expected %s (mu %.17g sigma %.17g)", c->name,
                     committee_verdict_name(out.verdict), committee_verdict_name(c->verdict), out.mu,
                     out.sigma);
        if (!isnan(c->mu) && fabs(out.mu - c->mu) > 1e-9)
            fail_msg("case \"%s\": mu %.17g, expected %.17g", c->name, out.mu, c->mu);
        if (!isnan(c->sigma) && fabs(out.sigma - c->sigma) > 1e-9)
            fail_msg("case \"%s\": sigma %.17g, expected %.17g", c->name, out.sigma, c->sigma);
    }
}

static void test_table(void **state)
{
    (void)state;
    const double cs_sigma = sqrt((2 * (4.0 / 3) * (4.0 / 3) + (8.0 / 3) * (8.0 / 3)) / 3);
    const struct ccase cases[] = {
        {"unanimous high", A, false, 3, {9, 9, 9}, ACC, 9, 0},
        {"unanimous 10", A, false, 3, {10, 10, 10}, ACC, 10, 0},
        {"mean below tau", A, false, 3, {7, 7, 8}, REJ, 22.0 / 3, NAN},
        {"all zero", A, false, 3, {0, 0, 0}, REJ, 0, 0},
        /* the paper's case study: two reviewers wrongly high, one low */
        {"case study: mean_sigma adjudicates", A, false, 3, {9.5, 9.5, 5.5}, ADJ, 49.0 / 6, cs_sigma},
        {"case study: majority keeps", AGG_MAJORITY, false, 3, {9.5, 9.5, 5.5}, ACC, NAN, NAN},
        {"case study: mean_only keeps", AGG_MEAN_ONLY, false, 3, {9.5, 9.5, 5.5}, ACC, NAN, NAN},
        /* mu == tau exactly, from rubric means 47/6, 49/6, 48/6 */
        {"mu == tau via rubric means", A, false, 3,
         {rm(8, 8, 8, 8, 8, 7), rm(8, 8, 8, 8, 8, 9), rm(8, 8, 8, 8, 8, 8)}, ACC, 8, NAN},
        {"mu == tau, wide spread", A, false, 3, {6, 8, 10}, ADJ, 8, sqrt(8.0 / 3)},
        {"mu just below tau", A, false, 3,
         {rm(8, 8, 8, 8, 8, 7), rm(8, 8, 8, 8, 8, 7), rm(8, 8, 8, 8, 8, 8)}, REJ, NAN, NAN},
        /* sigma == delta: population |a-b|/2 = 1.5 */
        {"sigma == delta (population, n=2)", A, false, 2, {7, 10}, ACC, 8.5, 1.5},
        {"same scores, sample std adjudicates", A, true, 2, {7, 10}, ADJ, 8.5, 3 / sqrt(2)},
        /* three reviewers: sample std exactly delta */
        {"sample sigma == delta (n=3)", A, true, 3, {7, 8.5, 10}, ACC, 8.5, 1.5},
        {"population sigma (n=3)", A, false, 3, {7, 8.5, 10}, ACC, 8.5, sqrt(1.5)},
        {"population accepts, sample adjudicates", A, false, 3, {6.5, 9, 10}, ACC, 8.5, NAN},
        {"population accepts, sample adjudicates (sample)", A, true, 3, {6.5, 9, 10}, ADJ, 8.5, NAN},
        {"sigma just above delta", A, false, 2, {6.9, 10}, ADJ, 8.45, 1.55},
        /* one reviewer: sigma is 0, the rule is the mean */
        {"one reviewer at tau", A, false, 1, {8}, ACC, 8, 0},
        {"one reviewer below", A, false, 1, {7.9}, REJ, 7.9, 0},
        {"one reviewer, sample std", A, true, 1, {9}, ACC, 9, 0},
        /* majority: strict, a tie rejects; votes at score >= tau */
        {"majority tie rejects", AGG_MAJORITY, false, 2, {9, 7}, REJ, NAN, NAN},
        {"majority 2 of 3", AGG_MAJORITY, false, 3, {8, 8, 0}, ACC, NAN, NAN},
        {"majority 1 of 3", AGG_MAJORITY, false, 3, {10, 7.9, 7.9}, REJ, NAN, NAN},
        {"mean_only at tau", AGG_MEAN_ONLY, false, 2, {9, 7}, ACC, 8, NAN},
        {"mean_only below", AGG_MEAN_ONLY, false, 3, {10, 10, 3}, REJ, NAN, NAN},
        {"none accepts anything", AGG_NONE, false, 3, {0, 0, 0}, ACC, NAN, NAN},
        {"five reviewers", A, false, 5, {8, 8, 9, 9, 8}, ACC, 8.4, NAN},
    };
    run_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_case_study_adjudicator(void **state)
{
    (void)state;
    struct committee_rule r = {AGG_MEAN_SIGMA, 8, 1.5, false};
    double s[3] = {rm(10, 9, 9, 10, 10, 9), rm(9, 10, 10, 9, 9, 10), rm(2, 7, 3, 7, 7, 7)};
    struct committee_result out;
    assert_int_equal(committee_decide(&r, s, NULL, 3, &out), 0);
    assert_true(out.mu >= 8);
    assert_true(out.sigma > 1.5);
    assert_int_equal(out.verdict, ADJ);
    /* the adjudicator re-checks, finds the error: low score, discarded */
    assert_false(committee_adjudicator_keeps(&r, rm(2, 7, 4, 8, 6, 10)));
    assert_true(committee_adjudicator_keeps(&r, rm(8, 8, 8, 8, 8, 8)));
    assert_false(committee_adjudicator_keeps(&r, rm(8, 8, 8, 8, 8, 7)));
    /* majority voting alone would have kept it */
    r.aggregation = AGG_MAJORITY;
    assert_int_equal(committee_decide(&r, s, NULL, 3, &out), 0);
    assert_int_equal(out.verdict, ACC);
    assert_int_equal(out.votes_accept, 2);
}

static void test_weights(void **state)
{
    (void)state;
    struct committee_rule r = {AGG_MEAN_SIGMA, 8, 1.5, false};
    double s[3] = {9.5, 9.5, 3};
    double w_trust_low[3] = {0.1, 0.1, 5};
    double w_equal[3] = {2, 2, 2};
    struct committee_result a, b;
    assert_int_equal(committee_decide(&r, s, w_trust_low, 3, &a), 0);
    assert_int_equal(a.verdict, REJ);
    assert_true(fabs(a.mu - (0.95 + 0.95 + 15) / 5.2) < 1e-12);
    /* equal weights are the plain mean */
    assert_int_equal(committee_decide(&r, s, w_equal, 3, &b), 0);
    struct committee_result c;
    assert_int_equal(committee_decide(&r, s, NULL, 3, &c), 0);
    assert_true(fabs(b.mu - c.mu) < 1e-12 && fabs(b.sigma - c.sigma) < 1e-12);
    double bad[3] = {1, 0, 1};
    assert_int_not_equal(committee_decide(&r, s, bad, 3, &a), 0);
    assert_int_not_equal(committee_decide(&r, s, NULL, 0, &a), 0);
    assert_int_not_equal(committee_decide(&r, s, NULL, COMMITTEE_MAX_REVIEWERS + 1, &a), 0);
}

/* Dawid-Skene: two accurate reviewers and one that votes at random. */
static void test_reliability(void **state)
{
    (void)state;
    enum { N = 400, M = 3 };
    int *votes = malloc(sizeof(int) * N * M);
    struct rng r;
    rng_seed(&r, 42);
    for (int i = 0; i < N; i++) {
        int truth = rng_uniform(&r) < 0.6;
        for (int m = 0; m < 2; m++) votes[i * M + m] = rng_uniform(&r) < 0.9 ? truth : !truth;
        votes[i * M + 2] = rng_uniform(&r) < 0.5;
        if (i % 7 == 0) votes[i * M + 1] = -1; /* missing votes are allowed */
    }
    double w[M], se[M], sp[M];
    int it = committee_reliability(votes, N, M, w, se, sp);
    assert_true(it >= 1);
    assert_true(w[0] > 1.5 && w[1] > 1.5);
    assert_true(w[2] < 0.5);
    assert_true(se[0] > 0.8 && sp[0] > 0.8);
    assert_true(fabs(se[2] - 0.5) < 0.15);
    /* a model that never voted gets weight 1 */
    for (int i = 0; i < N; i++) votes[i * M + 2] = -1;
    committee_reliability(votes, N, M, w, NULL, NULL);
    assert_true(fabs(w[2] - 1.0) < 1e-12);
    free(votes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_case_study_adjudicator),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_reliability),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
