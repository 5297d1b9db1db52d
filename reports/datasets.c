/*
 * datasets: data-level metrics of each synthesized dataset (DESIGN.md
 * "reports", research/perf-stats.md D): counts per stage, reviewer agreement,
 * score distributions, diversity, lengths, rounds, failure rates and cost per
 * role and model, decontamination overlap when eval wrote it, and the cross-
 * dataset views (GRA vs the large-model baseline at equal record count, the
 * ablation grid, cost vs quality).
 *
 * Inputs are RUN/datasets/NAME.jsonl (kept records), NAME.rejected.jsonl and
 * NAME.stats.json (docs/schema-dataset.md). Counts are taken from stats.json
 * when present and recounted from the files in every case, so a disagreement
 * is visible. Everything a figure shows is put in the summary here.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/rng.h"
#include "reports/report_int.h"
#include "reports/stats.h"
#include "reports/text.h"

#define MU_SIGMA_MAX 20000

struct dvec {
    double *v;
    size_t n, cap;
};

static void dpush(struct dvec *d, double x)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->v = xrealloc(d->v, d->cap * sizeof *d->v);
    }
    d->v[d->n++] = x;
}

struct point {
    double mu, sigma;
    int verdict; /* 0 accepted, 1 adjudicated_kept, 2 adjudicator_rejected, 3 mu_rejected, 4 other
                  */
    int round;
};

struct ds {
    const char *name;
    const char *path;
    char *method;
    bool simulated;
    /* kept records */
    char **instr, **resp;
    size_t n_kept, cap_kept;
    struct dvec instr_chars, resp_chars, instr_words, resp_words, mu_kept;
    /* reviewer scores for agreement: unit id, value, weight */
    size_t *unit;
    struct dvec rv, rw;
    size_t n_units;
    struct dvec review_scores, adj_scores, mu_all;
    struct point *pts;
    size_t n_pts, cap_pts;
    /* rounds */
    long kept_by_round[64], rej_by_round[64];
    double mu_sum_by_round[64];
    struct cJSON *rej_reason, *rej_stage, *models_scores; /* objects of counts */
    long n_rejected;
    long n_rej_failed; /* rejected for an LLM/parse failure before the committee decided */
    long n_rej_post;   /* passed the committee, dropped later (dedup, round target, metadata) */
    long n_adjudicated_kept;
    /* embeddings */
    double **emb;
    size_t n_emb, dim;
    /* usage recounted from records */
    struct cJSON *usage;
    long decision_counts[4]; /* accepted, adjudicated_kept, unreviewed, other */
    const char *file;
    int rc;
};

static int fail(struct ds *d, long line, const char *field, const char *what)
{
    d->rc = err(GRA_EPARSE, "%s:%ld: field '%s': %s", d->file, line, field, what);
    return d->rc;
}

/* A record's "round": absent = 0, else an integer in 0..63 (checked before
 * any cast: a huge number converted to int is undefined behaviour). */
static int round_of(struct ds *d, long line, const cJSON *rd, int *round)
{
    *round = 0;
    if (!rd) return 0;
    if (!cJSON_IsNumber(rd) || rd->valuedouble != floor(rd->valuedouble))
        return fail(d, line, "round", "expected an integer");
    if (rd->valuedouble < 0 || rd->valuedouble > 63) return fail(d, line, "round", "outside 0..63");
    *round = (int)rd->valuedouble;
    return 0;
}

static double review_score(const cJSON *rv)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(rv, "score");
    if (cJSON_IsNumber(s)) return s->valuedouble;
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(rv, "scores");
    if (!cJSON_IsObject(sc)) return NAN;
    double sum = 0;
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, sc)
    {
        if (!cJSON_IsNumber(it)) return NAN;
        sum += it->valuedouble;
        n++;
    }
    return n ? sum / n : NAN;
}

static void count_key(cJSON *obj, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v)
        cJSON_SetNumberValue(v, v->valuedouble + 1);
    else
        cJSON_AddNumberToObject(obj, key, 1);
}

static size_t nwords(const char *s)
{
    size_t n = 0;
    int in = 0;
    for (; *s; s++) {
        int sp = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';
        if (!sp && !in) n++;
        in = !sp;
    }
    return n;
}

/* reviews: agreement values, score histograms, per-model scores */
static int take_reviews(struct ds *d, const cJSON *o, long line)
{
    const cJSON *rvs = cJSON_GetObjectItemCaseSensitive(o, "reviews");
    if (!rvs || cJSON_IsNull(rvs)) return 0;
    if (!cJSON_IsArray(rvs)) return fail(d, line, "reviews", "expected an array");
    size_t u = d->n_units++;
    const cJSON *rv;
    cJSON_ArrayForEach(rv, rvs)
    {
        if (!cJSON_IsObject(rv)) return fail(d, line, "reviews[]", "expected an object");
        double s = review_score(rv);
        if (!isfinite(s)) continue; /* phase-1 only: no scores */
        if (s < 0 || s > 10) return fail(d, line, "reviews[].score", "outside 0..10");
        d->unit = xrealloc(d->unit, (d->rv.n + 1) * sizeof *d->unit);
        d->unit[d->rv.n] = u;
        dpush(&d->rv, s);
        dpush(&d->rw, jget_num(rv, "weight", 1.0));
        dpush(&d->review_scores, s);
        const char *m = jget_str(rv, "model");
        if (m) {
            cJSON *ms = cJSON_GetObjectItemCaseSensitive(d->models_scores, m);
            if (!ms) {
                ms = cJSON_AddObjectToObject(d->models_scores, m);
                cJSON_AddNumberToObject(ms, "n", 0);
                cJSON_AddNumberToObject(ms, "sum", 0);
                cJSON_AddNumberToObject(ms, "sumsq", 0);
            }
            cJSON *n = cJSON_GetObjectItemCaseSensitive(ms, "n"),
                  *sm = cJSON_GetObjectItemCaseSensitive(ms, "sum"),
                  *sq = cJSON_GetObjectItemCaseSensitive(ms, "sumsq");
            cJSON_SetNumberValue(n, n->valuedouble + 1);
            cJSON_SetNumberValue(sm, sm->valuedouble + s);
            cJSON_SetNumberValue(sq, sq->valuedouble + s * s);
        }
    }
    const cJSON *adj = cJSON_GetObjectItemCaseSensitive(o, "adjudicator");
    if (cJSON_IsObject(adj)) {
        double s = review_score(adj);
        if (isfinite(s)) dpush(&d->adj_scores, s);
    }
    return 0;
}

static void add_point(struct ds *d, const cJSON *o, int verdict, int round)
{
    double mu = jget_num(o, "mu", NAN), sg = jget_num(o, "sigma", NAN);
    if (!isfinite(mu) || !isfinite(sg)) return;
    dpush(&d->mu_all, mu);
    if (d->n_pts == d->cap_pts) {
        d->cap_pts = d->cap_pts ? d->cap_pts * 2 : 256;
        d->pts = xrealloc(d->pts, d->cap_pts * sizeof *d->pts);
    }
    d->pts[d->n_pts++] = (struct point){mu, sg, verdict, round};
}

static void add_usage(struct ds *d, const cJSON *o)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "usage");
    if (!cJSON_IsObject(u)) return;
    const cJSON *role;
    cJSON_ArrayForEach(role, u)
    {
        if (!cJSON_IsObject(role)) continue;
        cJSON *r = cJSON_GetObjectItemCaseSensitive(d->usage, role->string);
        if (!r) r = cJSON_AddObjectToObject(d->usage, role->string);
        const cJSON *f;
        cJSON_ArrayForEach(f, role)
        {
            if (!cJSON_IsNumber(f)) continue;
            cJSON *t = cJSON_GetObjectItemCaseSensitive(r, f->string);
            if (t)
                cJSON_SetNumberValue(t, t->valuedouble + f->valuedouble);
            else
                cJSON_AddNumberToObject(r, f->string, f->valuedouble);
        }
    }
}

static int on_kept(void *ud, long line, cJSON *o, const char *errmsg)
{
    struct ds *d = ud;
    if (!o) {
        d->rc = err(GRA_EPARSE, "%s:%ld: %s", d->file, line, errmsg);
        return d->rc;
    }
    if (!cJSON_IsObject(o)) return fail(d, line, "(line)", "expected a JSON object");
    const char *in = jget_str(o, "instruction"), *re = jget_str(o, "response");
    if (!in) return fail(d, line, "instruction", "missing or not a string");
    if (!re) return fail(d, line, "response", "missing or not a string");
    int round;
    if (round_of(d, line, cJSON_GetObjectItemCaseSensitive(o, "round"), &round)) return d->rc;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "simulated"))) d->simulated = true;
    const char *m = jget_str(o, "method");
    if (m && !d->method) d->method = xstrdup(m);
    if (d->n_kept == d->cap_kept) {
        d->cap_kept = d->cap_kept ? d->cap_kept * 2 : 256;
        d->instr = xrealloc(d->instr, d->cap_kept * sizeof *d->instr);
        d->resp = xrealloc(d->resp, d->cap_kept * sizeof *d->resp);
    }
    d->instr[d->n_kept] = xstrdup(in);
    d->resp[d->n_kept] = xstrdup(re);
    d->n_kept++;
    dpush(&d->instr_chars, (double)strlen(in));
    dpush(&d->resp_chars, (double)strlen(re));
    dpush(&d->instr_words, (double)nwords(in));
    dpush(&d->resp_words, (double)nwords(re));
    d->kept_by_round[round]++;
    const char *dec = jget_str(o, "decision");
    int di = 3, verdict = 4;
    if (dec && !strcmp(dec, "accepted"))
        di = 0, verdict = 0;
    else if (dec && !strcmp(dec, "adjudicated_kept"))
        di = 1, verdict = 1;
    else if (dec && !strcmp(dec, "unreviewed"))
        di = 2;
    d->decision_counts[di]++;
    double mu = jget_num(o, "mu", NAN);
    if (isfinite(mu)) {
        dpush(&d->mu_kept, mu);
        d->mu_sum_by_round[round] += mu;
    }
    add_point(d, o, verdict, round);
    const cJSON *emb = cJSON_GetObjectItemCaseSensitive(o, "embedding");
    if (cJSON_IsArray(emb) && cJSON_GetArraySize(emb) > 0) {
        size_t dim = (size_t)cJSON_GetArraySize(emb);
        if (d->dim && dim != d->dim)
            return fail(d, line, "embedding", "dimension differs from earlier records");
        d->dim = dim;
        d->emb = xrealloc(d->emb, (d->n_emb + 1) * sizeof *d->emb);
        double *v = xmalloc(dim * sizeof *v);
        size_t k = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, emb) v[k++] = cJSON_IsNumber(x) ? x->valuedouble : 0.0;
        d->emb[d->n_emb++] = v;
    }
    add_usage(d, o);
    return take_reviews(d, o, line);
}

/* NAME.embeddings.jsonl: {"id", "embedding": [numbers]} per line */
static int on_embedding(void *ud, long line, cJSON *o, const char *errmsg)
{
    struct ds *d = ud;
    if (!o) {
        d->rc = err(GRA_EPARSE, "%s:%ld: %s", d->file, line, errmsg);
        return d->rc;
    }
    const cJSON *emb = cJSON_GetObjectItemCaseSensitive(o, "embedding");
    if (!cJSON_IsArray(emb) || cJSON_GetArraySize(emb) == 0)
        return fail(d, line, "embedding", "expected an array of numbers");
    size_t dim = (size_t)cJSON_GetArraySize(emb);
    if (d->dim && dim != d->dim)
        return fail(d, line, "embedding", "dimension differs from earlier lines");
    d->dim = dim;
    double *v = xmalloc(dim * sizeof *v);
    size_t k = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, emb)
    {
        if (!cJSON_IsNumber(x)) {
            free(v);
            return fail(d, line, "embedding", "expected an array of numbers");
        }
        v[k++] = x->valuedouble;
    }
    d->emb = xrealloc(d->emb, (d->n_emb + 1) * sizeof *d->emb);
    d->emb[d->n_emb++] = v;
    return 0;
}

static int on_rejected(void *ud, long line, cJSON *o, const char *errmsg)
{
    struct ds *d = ud;
    if (!o) {
        d->rc = err(GRA_EPARSE, "%s:%ld: %s", d->file, line, errmsg);
        return d->rc;
    }
    if (!cJSON_IsObject(o)) return fail(d, line, "(line)", "expected a JSON object");
    const char *reason = jget_str(o, "reason"), *stage = jget_str(o, "stage");
    if (!reason) return fail(d, line, "reason", "missing or not a string");
    if (!stage) return fail(d, line, "stage", "missing or not a string");
    int round;
    if (round_of(d, line, cJSON_GetObjectItemCaseSensitive(o, "round"), &round)) return d->rc;
    d->n_rejected++;
    d->rej_by_round[round]++;
    /* the reason's family: "llm_failure:429" counts under llm_failure */
    char fam[64];
    snprintf(fam, sizeof fam, "%.*s", (int)strcspn(reason, ":"), reason);
    count_key(d->rej_reason, fam);
    count_key(d->rej_stage, stage);
    if (!strcmp(stage, "dedup") || !strcmp(stage, "round") || !strcmp(stage, "metadata"))
        d->n_rej_post++;
    else if (!strcmp(fam, "llm_failure") || !strcmp(fam, "parse_failure"))
        d->n_rej_failed++;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "simulated"))) d->simulated = true;
    int verdict = 4;
    if (!strcmp(fam, "mu_below_tau"))
        verdict = 3;
    else if (!strcmp(fam, "adjudicator_below_tau"))
        verdict = 2;
    else if (!strcmp(fam, "near_duplicate"))
        verdict = 0; /* passed the committee, dropped by dedup */
    add_point(d, o, verdict, round);
    add_usage(d, o);
    return take_reviews(d, o, line);
}

static cJSON *dist_json(struct dvec *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", (double)v->n);
    if (!v->n) return o;
    double *s = xmalloc(v->n * sizeof *s);
    memcpy(s, v->v, v->n * sizeof *s);
    gsl_sort(s, 1, v->n);
    cJSON_AddItemToObject(o, "mean", jnum(gsl_stats_mean(s, 1, v->n)));
    cJSON_AddItemToObject(o, "sd", jnum(stats_sd(s, v->n)));
    cJSON_AddItemToObject(o, "p10", jnum(gsl_stats_quantile_from_sorted_data(s, 1, v->n, 0.10)));
    cJSON_AddItemToObject(o, "median", jnum(gsl_stats_quantile_from_sorted_data(s, 1, v->n, 0.5)));
    cJSON_AddItemToObject(o, "p90", jnum(gsl_stats_quantile_from_sorted_data(s, 1, v->n, 0.90)));
    cJSON_AddItemToObject(o, "max", jnum(s[v->n - 1]));
    free(s);
    return o;
}

/* 20 bins of width 0.5 over 0..10 (the last bin holds 10) */
static cJSON *hist_json(const struct dvec *v)
{
    double c[20] = {0};
    for (size_t i = 0; i < v->n; i++) {
        double q = v->v[i] / 0.5; /* clamp before the cast: scores come from the file */
        int b = q >= 19 ? 19 : q > 0 ? (int)q : 0;
        c[b]++;
    }
    return cJSON_CreateDoubleArray(c, 20);
}

/* per role / per model entries of stats.json with derived rates; client is
 * the matching group of the LLM client's own counters (runtime.client.tags
 * for roles, .models for models), which is where retries are counted */
static cJSON *rates_of(const cJSON *group, const cJSON *client)
{
    cJSON *out = cJSON_CreateObject();
    if (!cJSON_IsObject(group)) return out;
    const cJSON *e;
    cJSON_ArrayForEach(e, group)
    {
        if (!cJSON_IsObject(e)) continue;
        cJSON *o = cJSON_Duplicate(e, 1);
        double calls = jget_num(e, "calls", NAN);
        static const char *const pairs[][2] = {
            {"truncated", "truncation_rate"},
            {"truncations", "truncation_rate"},
            {"parse_failures", "parse_failure_rate"},
            {"retries", "retry_rate"},
            {"failures", "failure_rate"},
            {"failed", "failure_rate"},
        };
        for (size_t k = 0; k < GRA_ARRAY_LEN(pairs); k++) {
            double x = jget_num(e, pairs[k][0], NAN);
            if (isfinite(x) && calls > 0 && !cJSON_GetObjectItemCaseSensitive(o, pairs[k][1]))
                cJSON_AddNumberToObject(o, pairs[k][1], x / calls);
        }
        const cJSON *ce = client ? cJSON_GetObjectItemCaseSensitive(client, e->string) : NULL;
        double cr = jget_num(ce, "retries", NAN), cc = jget_num(ce, "calls", NAN);
        if (isfinite(cr) && cc > 0 && !cJSON_GetObjectItemCaseSensitive(o, "retry_rate")) {
            cJSON_AddNumberToObject(o, "retries", cr);
            cJSON_AddNumberToObject(o, "retry_rate", cr / cc);
        }
        double pt = jget_num(e, "prompt_tokens", 0), ct = jget_num(e, "completion_tokens", 0);
        if (!cJSON_GetObjectItemCaseSensitive(o, "tokens"))
            cJSON_AddNumberToObject(o, "tokens", pt + ct);
        cJSON_AddItemToObject(out, e->string, o);
    }
    return out;
}

static const cJSON *first_obj(const cJSON *o, const char *const *keys)
{
    for (int i = 0; keys[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
        if (cJSON_IsObject(v)) return v;
    }
    return NULL;
}

static void ds_release(struct ds *d)
{
    for (size_t i = 0; i < d->n_kept; i++) {
        free(d->instr[i]);
        free(d->resp[i]);
    }
    free(d->instr);
    free(d->resp);
    struct dvec *vs[] = {&d->instr_chars, &d->resp_chars, &d->instr_words, &d->resp_words,
                         &d->mu_kept,     &d->rv,         &d->rw,          &d->review_scores,
                         &d->adj_scores,  &d->mu_all};
    for (size_t i = 0; i < GRA_ARRAY_LEN(vs); i++) free(vs[i]->v);
    free(d->unit);
    free(d->pts);
    for (size_t i = 0; i < d->n_emb; i++) free(d->emb[i]);
    free(d->emb);
    free(d->method);
    cJSON_Delete(d->rej_reason);
    cJSON_Delete(d->rej_stage);
    cJSON_Delete(d->models_scores);
    cJSON_Delete(d->usage);
}

static double emb_spread(const struct ds *d, uint64_t seed, size_t *used)
{
    size_t n = d->n_emb;
    size_t *idx = xmalloc((n ? n : 1) * sizeof *idx);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    struct rng r;
    rng_seed(&r, rng_derive(seed, "embedding-spread", 0));
    rng_shuffle(&r, idx, n, sizeof *idx);
    size_t m = n > 1000 ? 1000 : n;
    double sum = 0;
    long cnt = 0;
    for (size_t a = 0; a < m; a++)
        for (size_t b = a + 1; b < m; b++) {
            const double *x = d->emb[idx[a]], *y = d->emb[idx[b]];
            double xy = 0, xx = 0, yy = 0;
            for (size_t k = 0; k < d->dim; k++) {
                xy += x[k] * y[k];
                xx += x[k] * x[k];
                yy += y[k] * y[k];
            }
            if (xx > 0 && yy > 0) {
                sum += 1.0 - xy / sqrt(xx * yy);
                cnt++;
            }
        }
    free(idx);
    *used = m;
    return cnt ? sum / (double)cnt : NAN;
}

static const char *const verdict_names[] = {"accepted", "adjudicated_kept", "adjudicator_rejected",
                                            "mu_rejected", "other"};

static int one_dataset(struct report_ctx *ctx, const char *path, cJSON *list)
{
    struct ds d;
    memset(&d, 0, sizeof d);
    d.path = path;
    d.rej_reason = cJSON_CreateObject();
    d.rej_stage = cJSON_CreateObject();
    d.models_scores = cJSON_CreateObject();
    d.usage = cJSON_CreateObject();
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *name = xstrndup(base, strlen(base) - strlen(".jsonl"));
    char *dir = xstrndup(path, (size_t)(base - path));
    char *rej = xasprintf("%s%s.rejected.jsonl", dir, name),
         *stp = xasprintf("%s%s.stats.json", dir, name);
    cJSON *stats = NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON *inputs = cJSON_CreateArray();
    int rc = lineage_add(&ctx->lin, path, "dataset");
    if (rc < 0) goto out;
    cJSON_AddItemToArray(inputs, cJSON_CreateNumber(rc));
    d.file = path;
    rc = jsonl_foreach(path, on_kept, &d);
    if (d.rc || rc) {
        rc = d.rc ? d.rc : rc;
        goto out;
    }
    if (fileio_exists(rej)) {
        rc = lineage_add(&ctx->lin, rej, "rejected");
        if (rc < 0) goto out;
        cJSON_AddItemToArray(inputs, cJSON_CreateNumber(rc));
        d.file = rej;
        rc = jsonl_foreach(rej, on_rejected, &d);
        if (d.rc || rc) {
            rc = d.rc ? d.rc : rc;
            goto out;
        }
    } else {
        report_note(
            ctx, "dataset %s: no %s, rejection counts and reviewer agreement use kept records only",
            name, rej);
    }
    char *embp = xasprintf("%s%s.embeddings.jsonl", dir, name);
    if (d.n_emb == 0 && fileio_exists(embp)) {
        rc = lineage_add(&ctx->lin, embp, "embeddings");
        if (rc < 0) {
            free(embp);
            goto out;
        }
        cJSON_AddItemToArray(inputs, cJSON_CreateNumber(rc));
        d.file = embp;
        rc = jsonl_foreach(embp, on_embedding, &d);
        if (d.rc || rc) {
            rc = d.rc ? d.rc : rc;
            free(embp);
            goto out;
        }
    }
    free(embp);
    if (fileio_exists(stp)) {
        rc = lineage_add(&ctx->lin, stp, "stats");
        if (rc < 0) goto out;
        cJSON_AddItemToArray(inputs, cJSON_CreateNumber(rc));
        rc = json_read_file(stp, &stats);
        if (rc) goto out;
        if (!cJSON_IsObject(stats)) {
            rc = err(GRA_EPARSE, "%s:1: expected a JSON object", stp);
            goto out;
        }
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(stats, "simulated"))) d.simulated = true;
        const char *m = jget_str(stats, "method");
        if (m && !d.method) d.method = xstrdup(m);
    } else {
        report_note(
            ctx,
            "dataset %s: no %s, stage counts, rates and cost are recounted from the records only",
            name, stp);
    }
    rc = 0;
    if (d.simulated) {
        ctx->simulated = true;
        const cJSON *ix;
        cJSON_ArrayForEach(ix, inputs) ctx->lin.simulated[ix->valueint] = true;
    }

    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "method", d.method ? d.method : "unknown");
    cJSON_AddBoolToObject(o, "simulated", d.simulated);
    cJSON_AddItemToObject(o, "inputs", inputs);
    inputs = NULL;

    /* counts */
    cJSON *counts = cJSON_AddObjectToObject(o, "counts");
    static const char *const ckeys[] = {"generated",
                                        "phase1_rejected",
                                        "mu_rejected",
                                        "majority_rejected",
                                        "adjudicated",
                                        "adjudicator_rejected",
                                        "accepted",
                                        "dedup_dropped",
                                        "round_target_dropped",
                                        "metadata_failed",
                                        "kept",
                                        "failed"};
    const cJSON *sc = stats ? cJSON_GetObjectItemCaseSensitive(stats, "counts") : NULL;
    if (!cJSON_IsObject(sc)) sc = stats;
    cJSON *fs = cJSON_AddObjectToObject(counts, "from_stats");
    for (size_t k = 0; k < GRA_ARRAY_LEN(ckeys); k++) {
        double v = jget_num(sc, ckeys[k], NAN);
        cJSON_AddItemToObject(fs, ckeys[k], jnum(v));
    }
    cJSON *ff = cJSON_AddObjectToObject(counts, "from_files");
    cJSON_AddNumberToObject(ff, "kept", (double)d.n_kept);
    cJSON_AddNumberToObject(ff, "rejected", (double)d.n_rejected);
    cJSON_AddNumberToObject(ff, "accepted_directly", (double)d.decision_counts[0]);
    cJSON_AddNumberToObject(ff, "adjudicated_kept", (double)d.decision_counts[1]);
    cJSON_AddItemToObject(ff, "rejected_by_reason", d.rej_reason);
    cJSON_AddItemToObject(ff, "rejected_by_stage", d.rej_stage);
    d.rej_reason = d.rej_stage = NULL;
    double gen = jget_num(sc, "generated", NAN);
    if (!isfinite(gen)) gen = (double)(d.n_kept + (size_t)d.n_rejected);
    double kept_stats = jget_num(sc, "kept", NAN);
    if (isfinite(kept_stats) && (long)kept_stats != (long)d.n_kept)
        report_note(ctx, "dataset %s: stats.json says kept=%.0f but %s has %zu records", name,
                    kept_stats, path, d.n_kept);
    cJSON_AddItemToObject(o, "acceptance_rate", jnum(gen > 0 ? (double)d.n_kept / gen : NAN));
    /* the committee's acceptance: samples that passed the committee (directly
     * or by the adjudicator) over samples that reached review (generated less
     * LLM/parse failures). Unlike kept/generated it does not depend on how
     * many samples synth's waves over-generated past the round target. */
    {
        double acc = jget_num(sc, "accepted", NAN), failed = jget_num(sc, "failed", NAN);
        const char *src = "stats";
        if (!isfinite(acc) || !isfinite(failed) || !isfinite(jget_num(sc, "generated", NAN))) {
            acc = (double)d.n_kept + (double)d.n_rej_post;
            failed = (double)d.n_rej_failed;
            gen = (double)d.n_kept + (double)d.n_rejected;
            src = "files";
        }
        double reviewed = gen - failed;
        /* no committee at all (seed records, generate-only): nothing to show */
        bool any_review = d.decision_counts[0] + d.decision_counts[1] > 0 || d.n_rejected > 0 ||
                          (stats && !strcmp(src, "stats"));
        cJSON *ca = cJSON_AddObjectToObject(o, "committee_acceptance");
        cJSON_AddItemToObject(ca, "rate", jnum(any_review && reviewed > 0 ? acc / reviewed : NAN));
        cJSON_AddNumberToObject(ca, "accepted", acc);
        cJSON_AddNumberToObject(ca, "reviewed", reviewed);
        cJSON_AddStringToObject(ca, "source", src);
    }
    const cJSON *dm = stats ? cJSON_GetObjectItemCaseSensitive(stats, "dedup_method") : NULL;
    if (!dm && stats) dm = cJSON_GetObjectItemCaseSensitive(stats, "dedup");
    if (cJSON_IsObject(dm)) dm = cJSON_GetObjectItemCaseSensitive(dm, "method");
    if (cJSON_IsString(dm))
        cJSON_AddStringToObject(o, "dedup_method", dm->valuestring);
    else
        cJSON_AddNullToObject(o, "dedup_method");

    /* reviewers */
    cJSON *rvw = cJSON_AddObjectToObject(o, "reviewers");
    size_t npair = 0;
    double alpha = stats_kripp_alpha_interval(d.unit, d.rv.v, d.rv.n, &npair);
    cJSON_AddItemToObject(rvw, "krippendorff_alpha_interval", jnum(alpha));
    cJSON_AddNumberToObject(rvw, "pairable_values", (double)npair);
    cJSON_AddNumberToObject(rvw, "units", (double)d.n_units);
    {
        /* Kish effective number of votes per item from review weights (1 when unweighted),
         * and the committee's effective size N / (1 + (N - 1) rho) with rho = max(alpha, 0) */
        double neff = 0, nrev = 0;
        long units = 0;
        for (size_t s = 0; s < d.rv.n;) {
            size_t e = s;
            while (e < d.rv.n && d.unit[e] == d.unit[s]) e++;
            neff += stats_kish_neff(d.rw.v + s, e - s);
            nrev += (double)(e - s);
            units++;
            s = e;
        }
        double nbar = units ? nrev / units : NAN;
        double rho = isfinite(alpha) && alpha > 0 ? alpha : 0;
        cJSON_AddItemToObject(rvw, "reviews_per_item", jnum(nbar));
        cJSON_AddItemToObject(rvw, "kish_neff_votes", jnum(units ? neff / units : NAN));
        cJSON_AddItemToObject(rvw, "neff_correlated_votes",
                              jnum(isfinite(nbar) ? nbar / (1 + (nbar - 1) * rho) : NAN));
    }
    cJSON *pm = cJSON_AddObjectToObject(rvw, "per_model");
    const cJSON *msc;
    cJSON_ArrayForEach(msc, d.models_scores)
    {
        double n = jget_num(msc, "n", 0), s = jget_num(msc, "sum", 0),
               q = jget_num(msc, "sumsq", 0);
        cJSON *x = cJSON_AddObjectToObject(pm, msc->string);
        cJSON_AddNumberToObject(x, "n", n);
        cJSON_AddItemToObject(x, "mean", jnum(n ? s / n : NAN));
        cJSON_AddItemToObject(x, "sd",
                              jnum(n > 1 ? sqrt(fmax(0, (q - s * s / n) / (n - 1))) : NAN));
    }

    /* score distributions */
    cJSON *scores = cJSON_AddObjectToObject(o, "scores");
    cJSON_AddItemToObject(scores, "reviewer", dist_json(&d.review_scores));
    cJSON_AddItemToObject(scores, "adjudicator", dist_json(&d.adj_scores));
    cJSON_AddItemToObject(scores, "mu_kept", dist_json(&d.mu_kept));
    cJSON_AddItemToObject(scores, "mu_all", dist_json(&d.mu_all));
    cJSON *hist = cJSON_AddObjectToObject(scores, "histogram");
    cJSON_AddNumberToObject(hist, "bin_width", 0.5);
    cJSON_AddItemToObject(hist, "reviewer", hist_json(&d.review_scores));
    cJSON_AddItemToObject(hist, "adjudicator", hist_json(&d.adj_scores));
    cJSON_AddItemToObject(hist, "mu", hist_json(&d.mu_all));
    {
        const cJSON *cfgs =
            stats ? first_obj(stats, (const char *const[]){"config", "grid", "params", NULL})
                  : NULL;
        cJSON_AddNumberToObject(scores, "tau", jget_num(cfgs, "tau", 8.0));
        cJSON_AddNumberToObject(scores, "delta", jget_num(cfgs, "delta", 1.5));
        /* the scatter shows at most MU_SIGMA_MAX samples (a seeded subset, in
         * file order) so that report.html stays readable for 50K-record runs */
        cJSON *pts = cJSON_AddArrayToObject(scores, "mu_sigma");
        cJSON_AddNumberToObject(scores, "mu_sigma_total", (double)d.n_pts);
        unsigned char *keep = xmalloc(d.n_pts ? d.n_pts : 1);
        memset(keep, d.n_pts <= MU_SIGMA_MAX, d.n_pts ? d.n_pts : 1);
        if (d.n_pts > MU_SIGMA_MAX) {
            size_t *idx = xmalloc(d.n_pts * sizeof *idx);
            for (size_t i = 0; i < d.n_pts; i++) idx[i] = i;
            struct rng r;
            rng_seed(&r, rng_derive(ctx->cfg.seed, "mu-sigma-sample", 0));
            rng_shuffle(&r, idx, d.n_pts, sizeof *idx);
            for (size_t i = 0; i < MU_SIGMA_MAX; i++) keep[idx[i]] = 1;
            free(idx);
            report_note(
                ctx, "dataset %s: the mu/sigma scatter shows a seeded sample of %d of %zu samples",
                name, MU_SIGMA_MAX, d.n_pts);
        }
        for (size_t i = 0; i < d.n_pts; i++) {
            if (!keep[i]) continue;
            cJSON *p = cJSON_CreateArray();
            cJSON_AddItemToArray(p, cJSON_CreateNumber(d.pts[i].mu));
            cJSON_AddItemToArray(p, cJSON_CreateNumber(d.pts[i].sigma));
            cJSON_AddItemToArray(p, cJSON_CreateString(verdict_names[d.pts[i].verdict]));
            cJSON_AddItemToArray(pts, p);
        }
        free(keep);
        /* the ablation coordinates: synth writes config {reviewers, models[], policy,
         * aggregation, instruction_checks, rounds}; n_reviewers / n_models /
         * role_policy are accepted as the same */
        cJSON *grid = cJSON_AddObjectToObject(o, "grid");
        static const char *const gk[][2] = {{"n_reviewers", "reviewers"}, {"n_models", "models"},
                                            {"role_policy", "policy"},    {"aggregation", NULL},
                                            {"instruction_checks", NULL}, {"rounds", NULL}};
        for (size_t k = 0; k < GRA_ARRAY_LEN(gk); k++) {
            const cJSON *v = cfgs ? cJSON_GetObjectItemCaseSensitive(cfgs, gk[k][0]) : NULL;
            if (!v && cfgs && gk[k][1]) v = cJSON_GetObjectItemCaseSensitive(cfgs, gk[k][1]);
            if (cJSON_IsArray(v))
                cJSON_AddNumberToObject(grid, gk[k][0], cJSON_GetArraySize(v));
            else if (cJSON_IsBool(v))
                cJSON_AddStringToObject(grid, gk[k][0], cJSON_IsTrue(v) ? "on" : "off");
            else if (cJSON_IsNumber(v) || cJSON_IsString(v))
                cJSON_AddItemToObject(grid, gk[k][0], cJSON_Duplicate(v, 0));
        }
    }

    /* diversity and lengths */
    cJSON *div = cJSON_AddObjectToObject(o, "diversity");
    double dn[3];
    size_t words;
    text_distinct((const char *const *)d.instr, d.n_kept, dn, &words);
    cJSON *di = cJSON_AddObjectToObject(div, "instruction");
    cJSON_AddNumberToObject(di, "distinct_1", dn[0]);
    cJSON_AddNumberToObject(di, "distinct_2", dn[1]);
    cJSON_AddNumberToObject(di, "distinct_3", dn[2]);
    cJSON_AddNumberToObject(di, "words", (double)words);
    text_distinct((const char *const *)d.resp, d.n_kept, dn, &words);
    cJSON *dr = cJSON_AddObjectToObject(div, "response");
    cJSON_AddNumberToObject(dr, "distinct_1", dn[0]);
    cJSON_AddNumberToObject(dr, "distinct_2", dn[1]);
    cJSON_AddNumberToObject(dr, "distinct_3", dn[2]);
    cJSON_AddNumberToObject(dr, "words", (double)words);
    struct text_neardup nd;
    text_minhash_neardup((const char *const *)d.instr, d.n_kept, ctx->cfg.near_dup_threshold, &nd);
    cJSON *mh = cJSON_AddObjectToObject(div, "minhash");
    cJSON_AddStringToObject(mh, "text", "instruction");
    cJSON_AddStringToObject(mh, "shingles", "character 5-grams, lowercase, whitespace collapsed");
    cJSON_AddNumberToObject(mh, "permutations", TEXT_MH_PERMS);
    cJSON_AddNumberToObject(mh, "bands", TEXT_MH_BANDS);
    cJSON_AddNumberToObject(mh, "threshold", nd.threshold);
    cJSON_AddNumberToObject(mh, "near_dup_records", (double)nd.n_near_dup);
    cJSON_AddNumberToObject(mh, "near_dup_rate", nd.rate);
    cJSON_AddNumberToObject(mh, "candidate_pairs", (double)nd.candidate_pairs);
    if (d.n_emb >= 2) {
        size_t used;
        double sp = emb_spread(&d, ctx->cfg.seed, &used);
        cJSON *es = cJSON_AddObjectToObject(div, "embedding_spread");
        cJSON_AddItemToObject(es, "mean_cosine_distance", jnum(sp));
        cJSON_AddNumberToObject(es, "records_sampled", (double)used);
        cJSON_AddNumberToObject(es, "dim", (double)d.dim);
    } else {
        cJSON_AddNullToObject(div, "embedding_spread");
        const char *dmn = jget_str(o, "dedup_method");
        if (dmn && !strcmp(dmn, "embedding"))
            report_note(ctx,
                        "dataset %s: embeddings were made (dedup) but are not in the dataset files "
                        "(record field \"embedding\" or %s.embeddings.jsonl): embedding spread not "
                        "computed",
                        name, name);
    }
    cJSON *len = cJSON_AddObjectToObject(o, "lengths");
    cJSON_AddItemToObject(len, "instruction_chars", dist_json(&d.instr_chars));
    cJSON_AddItemToObject(len, "instruction_words", dist_json(&d.instr_words));
    cJSON_AddItemToObject(len, "response_chars", dist_json(&d.resp_chars));
    cJSON_AddItemToObject(len, "response_words", dist_json(&d.resp_words));

    /* rounds (synth's stats.json rounds[] adds target and attempted) */
    const cJSON *srounds = stats ? cJSON_GetObjectItemCaseSensitive(stats, "rounds") : NULL;
    cJSON *rounds = cJSON_AddArrayToObject(o, "rounds");
    long cum = 0;
    for (int r = 0; r < 64; r++) {
        if (!d.kept_by_round[r] && !d.rej_by_round[r]) continue;
        cum += d.kept_by_round[r];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "round", r);
        cJSON_AddNumberToObject(x, "kept", (double)d.kept_by_round[r]);
        cJSON_AddNumberToObject(x, "rejected", (double)d.rej_by_round[r]);
        cJSON_AddNumberToObject(x, "cumulative_kept", (double)cum);
        double tot = (double)(d.kept_by_round[r] + d.rej_by_round[r]);
        const cJSON *sr;
        cJSON_ArrayForEach(sr, srounds) if (cJSON_IsObject(sr) && jget_num(sr, "round", -1) == r)
        {
            double att = jget_num(sr, "attempted", NAN);
            if (att > 0) tot = att;
            cJSON_AddItemToObject(x, "attempted", jnum(att));
            cJSON_AddItemToObject(x, "target", jnum(jget_num(sr, "target", NAN)));
        }
        cJSON_AddItemToObject(x, "acceptance_rate", jnum((double)d.kept_by_round[r] / tot));
        cJSON_AddItemToObject(
            x, "mu_kept_mean",
            jnum(d.kept_by_round[r] ? d.mu_sum_by_round[r] / (double)d.kept_by_round[r] : NAN));
        cJSON_AddItemToArray(rounds, x);
    }

    /* rates and cost: synth writes usage {by_role, by_model, by_role_model, total}
     * and the client's counters under runtime.client {tags, models, by_tag_model} */
    const cJSON *usage = stats ? cJSON_GetObjectItemCaseSensitive(stats, "usage") : NULL;
    const cJSON *client = stats ? cJSON_GetObjectItemCaseSensitive(
                                      cJSON_GetObjectItemCaseSensitive(stats, "runtime"), "client")
                                : NULL;
    const cJSON *roles =
        stats ? first_obj(stats, (const char *const[]){"roles", "per_role", NULL}) : NULL;
    if (!roles && usage) roles = first_obj(usage, (const char *const[]){"by_role", NULL});
    const cJSON *models =
        stats ? first_obj(stats, (const char *const[]){"models", "per_model", NULL}) : NULL;
    if (!models && usage) models = first_obj(usage, (const char *const[]){"by_model", NULL});
    cJSON_AddItemToObject(o, "roles",
                          rates_of(roles, cJSON_GetObjectItemCaseSensitive(client, "tags")));
    cJSON_AddItemToObject(o, "models",
                          rates_of(models, cJSON_GetObjectItemCaseSensitive(client, "models")));
    const cJSON *rm =
        stats ? first_obj(stats, (const char *const[]){"per_role_model", "by_role_model", NULL})
              : NULL;
    if (!rm && usage) rm = first_obj(usage, (const char *const[]){"by_role_model", NULL});
    if (rm) {
        cJSON *x = cJSON_AddObjectToObject(o, "role_models");
        const cJSON *r;
        const cJSON *tm = cJSON_GetObjectItemCaseSensitive(client, "by_tag_model");
        cJSON_ArrayForEach(r, rm) cJSON_AddItemToObject(
            x, r->string, rates_of(r, cJSON_GetObjectItemCaseSensitive(tm, r->string)));
    }
    cJSON *cost = cJSON_AddObjectToObject(o, "cost");
    double tok = 0, flops = 0;
    bool have_flops = false;
    cJSON *pr = cJSON_AddObjectToObject(cost, "per_role");
    const cJSON *src = roles ? roles : d.usage;
    const cJSON *e;
    cJSON_ArrayForEach(e, src)
    {
        double pt = jget_num(e, "prompt_tokens", 0), ct = jget_num(e, "completion_tokens", 0);
        double fl = jget_num(e, "flops", NAN);
        cJSON *x = cJSON_AddObjectToObject(pr, e->string);
        cJSON_AddNumberToObject(x, "prompt_tokens", pt);
        cJSON_AddNumberToObject(x, "completion_tokens", ct);
        cJSON_AddItemToObject(x, "flops", jnum(fl));
        cJSON_AddItemToObject(x, "tokens_per_kept",
                              jnum(d.n_kept ? (pt + ct) / (double)d.n_kept : NAN));
        cJSON_AddItemToObject(x, "flops_per_kept", jnum(d.n_kept ? fl / (double)d.n_kept : NAN));
        tok += pt + ct;
        if (isfinite(fl)) {
            flops += fl;
            have_flops = true;
        }
    }
    double tflops = jget_num(stats, "flops", NAN);
    if (!isfinite(tflops) && usage)
        tflops = jget_num(cJSON_GetObjectItemCaseSensitive(usage, "total"), "flops", NAN);
    if (isfinite(tflops)) {
        flops = tflops;
        have_flops = true;
    }
    cJSON_AddStringToObject(cost, "source",
                            roles ? "stats.json" : "record usage (kept and rejected)");
    cJSON_AddNumberToObject(cost, "tokens", tok);
    cJSON_AddItemToObject(cost, "flops", jnum(have_flops ? flops : NAN));
    cJSON_AddItemToObject(cost, "tokens_per_kept", jnum(d.n_kept ? tok / (double)d.n_kept : NAN));
    cJSON_AddItemToObject(cost, "flops_per_kept",
                          jnum(have_flops && d.n_kept ? flops / (double)d.n_kept : NAN));
    if (!have_flops)
        report_note(
            ctx, "dataset %s: no FLOPs in stats.json (2 x params x tokens needs the model sizes)",
            name);
    double wall = jget_num(stats, "wall_time_s", NAN);
    if (!isfinite(wall))
        wall = jget_num(cJSON_GetObjectItemCaseSensitive(stats, "runtime"), "wall_time_s", NAN);
    cJSON_AddItemToObject(o, "wall_time_s", jnum(wall));
    cJSON_AddItemToArray(list, o);
    o = NULL;
out:
    cJSON_Delete(o);
    cJSON_Delete(inputs);
    cJSON_Delete(stats);
    ds_release(&d);
    free(name);
    free(dir);
    free(rej);
    free(stp);
    return rc < 0 ? rc : 0;
}

/* GRA vs the large-model baseline at equal record count */
static void cost_compare(struct report_ctx *ctx, cJSON *list)
{
    cJSON *cmp = cJSON_AddArrayToObject(ctx->summary, "cost_comparisons");
    const cJSON *a, *b;
    cJSON_ArrayForEach(a, list)
    {
        const char *ma = jget_str(a, "method");
        if (!ma || (strcmp(ma, "gra") && strcmp(ma, "gra_refine"))) continue;
        cJSON_ArrayForEach(b, list)
        {
            const char *mb = jget_str(b, "method");
            if (!mb || strncmp(mb, "large", 5)) continue;
            const cJSON *ca = cJSON_GetObjectItemCaseSensitive(a, "cost"),
                        *cb = cJSON_GetObjectItemCaseSensitive(b, "cost");
            double ka = jget_num(cJSON_GetObjectItemCaseSensitive(
                                     cJSON_GetObjectItemCaseSensitive(a, "counts"), "from_files"),
                                 "kept", 0);
            double kb = jget_num(cJSON_GetObjectItemCaseSensitive(
                                     cJSON_GetObjectItemCaseSensitive(b, "counts"), "from_files"),
                                 "kept", 0);
            double n = ka < kb ? ka : kb;
            double fa = jget_num(ca, "flops_per_kept", NAN),
                   fb = jget_num(cb, "flops_per_kept", NAN);
            double ta = jget_num(ca, "tokens_per_kept", NAN),
                   tb = jget_num(cb, "tokens_per_kept", NAN);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "gra", jget_str(a, "name"));
            cJSON_AddStringToObject(o, "baseline", jget_str(b, "name"));
            cJSON_AddNumberToObject(o, "records", n);
            cJSON_AddItemToObject(o, "gra_flops", jnum(fa * n));
            cJSON_AddItemToObject(o, "baseline_flops", jnum(fb * n));
            cJSON_AddItemToObject(o, "flops_ratio", jnum(fb > 0 ? fa / fb : NAN));
            cJSON_AddItemToObject(o, "gra_tokens", jnum(ta * n));
            cJSON_AddItemToObject(o, "baseline_tokens", jnum(tb * n));
            cJSON_AddItemToObject(o, "tokens_ratio", jnum(tb > 0 ? ta / tb : NAN));
            /* the same per role: where the committee's extra calls go */
            cJSON *pr = cJSON_AddObjectToObject(o, "per_role");
            const cJSON *ra = cJSON_GetObjectItemCaseSensitive(ca, "per_role"),
                        *rb = cJSON_GetObjectItemCaseSensitive(cb, "per_role"), *e;
            cJSON_ArrayForEach(e, ra)
            {
                cJSON *x = cJSON_AddObjectToObject(pr, e->string);
                const cJSON *eb = cJSON_GetObjectItemCaseSensitive(rb, e->string);
                cJSON_AddItemToObject(x, "gra_flops", jnum(jget_num(e, "flops_per_kept", NAN) * n));
                cJSON_AddItemToObject(x, "baseline_flops",
                                      jnum(eb ? jget_num(eb, "flops_per_kept", NAN) * n : 0.0));
            }
            cJSON_ArrayForEach(e, rb) if (!cJSON_GetObjectItemCaseSensitive(ra, e->string))
            {
                cJSON *x = cJSON_AddObjectToObject(pr, e->string);
                cJSON_AddNumberToObject(x, "gra_flops", 0.0);
                cJSON_AddItemToObject(x, "baseline_flops",
                                      jnum(jget_num(e, "flops_per_kept", NAN) * n));
            }
            cJSON_AddItemToArray(cmp, o);
        }
    }
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

int analysis_datasets(struct report_ctx *ctx)
{
    cJSON *list = cJSON_AddArrayToObject(ctx->summary, "datasets");
    if (ctx->n_datasets > 1)
        qsort(ctx->dataset_paths, (size_t)ctx->n_datasets, sizeof(char *), cmp_str);
    for (int i = 0; i < ctx->n_datasets; i++) {
        int rc = one_dataset(ctx, ctx->dataset_paths[i], list);
        if (rc) return rc;
    }
    cost_compare(ctx, list);
    cJSON *dc = cJSON_AddArrayToObject(ctx->summary, "decontamination");
    for (int i = 0; i < ctx->n_decontam; i++) {
        int li = lineage_add(&ctx->lin, ctx->decontam_paths[i], "decontam");
        if (li < 0) return li;
        cJSON *j = NULL;
        int rc = json_read_file(ctx->decontam_paths[i], &j);
        if (rc) return rc;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "simulated")))
            ctx->simulated = ctx->lin.simulated[li] = true;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", ctx->decontam_paths[i]);
        cJSON_AddNumberToObject(o, "input", li);
        cJSON_AddItemToObject(o, "data", j);
        cJSON_AddItemToArray(dc, o);
    }
    if (ctx->n_datasets && !ctx->n_decontam)
        report_note(
            ctx, "no RUN/decontam*.json: decontamination overlap not reported (run gra decontam)");
    return 0;
}
