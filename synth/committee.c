/*
 * committee: the paper's decision rule and its ablation variants, plus the
 * Dawid-Skene reliability estimate (see committee.h for the contract).
 *
 * Why exact-ish arithmetic matters here: a reviewer's score is the mean of six
 * integers, so mu is a multiple of 1/(6 n) and lands exactly on tau = 8 for
 * many real score tables; a rounding error of one ulp must not flip a sample
 * that the paper's ">=" keeps. Every comparison therefore allows COMMITTEE_EPS.
 */
#include "synth/committee.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/err.h"

const char *const committee_aggregation_names[] = {"mean_sigma", "majority", "mean_only",
                                                   "none", NULL};

const char *committee_verdict_name(int v)
{
    switch (v) {
    case VERDICT_ACCEPT: return "accept";
    case VERDICT_ADJUDICATE: return "adjudicate";
    default: return "reject";
    }
}

double committee_rubric_mean(const int scores[6])
{
    int sum = 0;
    for (int i = 0; i < 6; i++) sum += scores[i];
    return sum / 6.0;
}

static bool at_least(double x, double bound) { return x >= bound - COMMITTEE_EPS; }

int committee_decide(const struct committee_rule *r, const double *scores,
                     const double *weights, int n, struct committee_result *out)
{
    if (n < 1 || n > COMMITTEE_MAX_REVIEWERS) return GRA_EINVAL;
    double v1 = 0, v2 = 0, sum = 0;
    for (int i = 0; i < n; i++) {
        double w = weights ? weights[i] : 1.0;
        if (!(w > 0) || !isfinite(w)) return GRA_EINVAL;
        v1 += w;
        v2 += w * w;
        sum += w * scores[i];
    }
    double mu = sum / v1, ss = 0;
    for (int i = 0; i < n; i++) {
        double w = weights ? weights[i] : 1.0, d = scores[i] - mu;
        ss += w * d * d;
    }
    double var;
    if (r->sample_sigma) {
        /* unweighted: n - 1; weighted: the reliability-weights correction */
        double denom = v1 - v2 / v1;
        var = (n > 1 && denom > 0) ? ss / denom : 0.0;
    } else {
        var = ss / v1;
    }
    out->mu = mu;
    out->sigma = sqrt(var);
    out->votes_accept = 0;
    double w_accept = 0;
    for (int i = 0; i < n; i++)
        if (at_least(scores[i], r->tau)) {
            out->votes_accept++;
            w_accept += weights ? weights[i] : 1.0;
        }
    switch (r->aggregation) {
    case AGG_NONE:
        out->verdict = VERDICT_ACCEPT;
        break;
    case AGG_MAJORITY:
        /* strict majority: a tie rejects */
        out->verdict = (2 * w_accept > v1 + COMMITTEE_EPS) ? VERDICT_ACCEPT : VERDICT_REJECT;
        break;
    case AGG_MEAN_ONLY:
        out->verdict = at_least(mu, r->tau) ? VERDICT_ACCEPT : VERDICT_REJECT;
        break;
    case AGG_MEAN_SIGMA:
    default:
        if (!at_least(mu, r->tau))
            out->verdict = VERDICT_REJECT;
        else if (out->sigma <= r->delta + COMMITTEE_EPS)
            out->verdict = VERDICT_ACCEPT;
        else
            out->verdict = VERDICT_ADJUDICATE;
        break;
    }
    return 0;
}

bool committee_adjudicator_keeps(const struct committee_rule *r, double score)
{
    return at_least(score, r->tau);
}

int committee_reliability(const int *votes, int n_items, int n_models, double *weights,
                          double *sens, double *spec)
{
    if (n_items < 0 || n_models < 1 || !weights) return GRA_EINVAL;
    double *post = xcalloc((size_t)(n_items > 0 ? n_items : 1), sizeof(double));
    double *se = xcalloc((size_t)n_models, sizeof(double));
    double *sp = xcalloc((size_t)n_models, sizeof(double));
    int *seen = xcalloc((size_t)n_models, sizeof(int));
    /* initial posterior P(good | votes): the share of accept votes */
    for (int i = 0; i < n_items; i++) {
        int a = 0, k = 0;
        for (int m = 0; m < n_models; m++) {
            int v = votes[(size_t)i * n_models + m];
            if (v < 0) continue;
            k++;
            a += v;
            seen[m]++;
        }
        post[i] = k ? (double)a / k : 0.5;
    }
    int iter = 0;
    double prior = 0.5;
    for (iter = 1; iter <= 100; iter++) {
        /* M step, add-one (Laplace) smoothing */
        double pg = 1;
        for (int i = 0; i < n_items; i++) pg += post[i];
        prior = pg / (n_items + 2.0);
        for (int m = 0; m < n_models; m++) {
            double tp = 1, g = 2, tn = 1, b = 2;
            for (int i = 0; i < n_items; i++) {
                int v = votes[(size_t)i * n_models + m];
                if (v < 0) continue;
                g += post[i];
                b += 1 - post[i];
                if (v == 1) tp += post[i];
                else tn += 1 - post[i];
            }
            se[m] = tp / g;
            sp[m] = tn / b;
        }
        /* E step */
        double change = 0;
        for (int i = 0; i < n_items; i++) {
            double lg = log(prior), lb = log(1 - prior);
            for (int m = 0; m < n_models; m++) {
                int v = votes[(size_t)i * n_models + m];
                if (v < 0) continue;
                lg += v ? log(se[m]) : log(1 - se[m]);
                lb += v ? log(1 - sp[m]) : log(sp[m]);
            }
            double mx = lg > lb ? lg : lb;
            double p = exp(lg - mx) / (exp(lg - mx) + exp(lb - mx));
            change = fmax(change, fabs(p - post[i]));
            post[i] = p;
        }
        if (change < 1e-6) break;
    }
    if (iter > 100) iter = 100;
    for (int m = 0; m < n_models; m++) {
        double w = 1.0;
        if (seen[m]) {
            w = log(se[m] / (1 - sp[m])) + log(sp[m] / (1 - se[m]));
            if (!isfinite(w) || w < 0.05) w = 0.05;
            if (w > 10) w = 10;
        }
        weights[m] = w;
        if (sens) sens[m] = seen[m] ? se[m] : NAN;
        if (spec) spec[m] = seen[m] ? sp[m] : NAN;
    }
    free(post);
    free(se);
    free(sp);
    free(seen);
    return iter;
}
