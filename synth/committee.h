/*
 * committee: how a sample's reviews become a decision (gra-method.md 5-6),
 * and the reviewer reliability estimate behind the "reliability" policy.
 *
 * Pure functions over numbers: no I/O, no allocation visible to the caller,
 * so the rule can be tested as a table of cases (tests/unit/test_committee.c).
 *
 * The paper's rule (aggregation "mean_sigma"), mu and sigma over the N_R
 * reviewer scores (each the mean of six 0-10 rubric scores):
 *     mu <  tau                  -> reject
 *     mu >= tau, sigma <= delta  -> accept
 *     mu >= tau, sigma >  delta  -> adjudicate (kept iff adjudicator >= tau)
 * Comparisons use a tolerance of COMMITTEE_EPS so that exact boundary cases
 * (mu == tau, sigma == delta), which floating point division may land a hair
 * off, are decided as the paper's >= and <= say.
 */
#ifndef GRA_SYNTH_COMMITTEE_H
#define GRA_SYNTH_COMMITTEE_H

#include <stdbool.h>

#define COMMITTEE_EPS 1e-9
#define COMMITTEE_MAX_REVIEWERS 16

enum committee_aggregation {
    AGG_MEAN_SIGMA = 0, /* paper: mean + spread, adjudicator on disagreement */
    AGG_MAJORITY,       /* each reviewer votes accept iff its score >= tau; strict majority */
    AGG_MEAN_ONLY,      /* accept iff mu >= tau, no adjudicator */
    AGG_NONE,           /* no review at all */
};
/* "mean_sigma", "majority", "mean_only", "none" (NULL-terminated, for cfg_enum). */
extern const char *const committee_aggregation_names[];

enum committee_verdict { VERDICT_REJECT = 0, VERDICT_ACCEPT, VERDICT_ADJUDICATE };
/* "reject", "accept", "adjudicate". */
const char *committee_verdict_name(int v);

struct committee_rule {
    int aggregation;   /* enum committee_aggregation */
    double tau;        /* paper: 8 */
    double delta;      /* paper: 1.5 */
    bool sample_sigma; /* false (default): population std; true: n-1 denominator */
};

struct committee_result {
    double mu, sigma; /* (weighted) mean and std of the scores */
    int votes_accept; /* reviewers with score >= tau */
    int verdict;      /* enum committee_verdict */
};

/* The mean of the six rubric scores. */
double committee_rubric_mean(const int scores[6]);

/* Decide over n reviewer scores (1 <= n <= COMMITTEE_MAX_REVIEWERS).
 * weights: NULL for the plain mean (the paper), else n positive weights for
 * the reliability-weighted mean and std (sum w (s - mu)^2 / sum w; the
 * "sample" option applies the unbiased correction V1 / (V1 - V2/V1)).
 * For AGG_MAJORITY the weighted vote is used when weights are given.
 * AGG_NONE always accepts. 0, or GRA_EINVAL on bad n or weights. */
int committee_decide(const struct committee_rule *r, const double *scores,
                     const double *weights, int n, struct committee_result *out);

/* The adjudicator's rule: kept iff its score >= tau (with COMMITTEE_EPS). */
bool committee_adjudicator_keeps(const struct committee_rule *r, double score);

/* Dawid-Skene (two classes, one sensitivity/specificity pair per reviewer)
 * over binary accept votes.
 *   votes: n_items x n_models, row-major: 1 accept, 0 reject, -1 no vote
 * Initialised from the per-item majority, EM until the change in the class
 * posteriors is below 1e-6 or 100 iterations, with add-one smoothing so a
 * reviewer seen a few times stays away from 0/1. Out: weights[m] = the
 * log-odds weight log(se/(1-sp)) + log(sp/(1-se)), clamped to [0.05, 10]
 * (1.0 for a model with no votes); sens/spec may be NULL. Returns the number
 * of EM iterations run, or GRA_EINVAL. */
int committee_reliability(const int *votes, int n_items, int n_models, double *weights,
                          double *sens, double *spec);

#endif
