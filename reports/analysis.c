/*
 * analysis: accuracy per (student, benchmark) and paired comparisons of every
 * pair of students on the items both answered (research/perf-stats.md C).
 *
 * Every bootstrap stream is seeded from (report seed, a label naming the
 * student(s) and benchmark), so a number does not change when another student
 * is added to the report. Macro averages over benchmarks reuse the per
 * benchmark resamples: resample r of the macro is the mean of resample r of
 * each benchmark, which is the bootstrap stratified by benchmark (items are
 * resampled within each benchmark, benchmarks are fixed).
 */
#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/rng.h"
#include "reports/report_int.h"
#include "reports/stats.h"

static uint64_t stream_seed(const struct report_ctx *ctx, const char *kind, const char *a,
                            const char *b, const char *bench)
{
    char *label = xasprintf("%s\t%s\t%s\t%s", kind, a, b ? b : "", bench);
    uint64_t s = rng_derive(ctx->cfg.seed, label, 0);
    free(label);
    return s;
}

static cJSON *seeds_json(const struct cell *c)
{
    cJSON *a = cJSON_CreateArray();
    for (int s = 0; s < c->n_seeds; s++)
        cJSON_AddItemToArray(a, c->seeds[s] == LONG_MIN ? cJSON_CreateNull()
                                                        : cJSON_CreateNumber((double)c->seeds[s]));
    return a;
}

static cJSON *lineage_refs(const struct report_ctx *ctx, const struct cell *c)
{
    bool *used = xcalloc((size_t)ctx->lin.n + 1, sizeof *used);
    for (size_t i = 0; i < c->n_items; i++)
        for (int k = 0; k < c->items[i].n_obs; k++) used[c->items[i].obs[k].file] = true;
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < ctx->lin.n; i++)
        if (used[i]) cJSON_AddItemToArray(a, cJSON_CreateNumber(i));
    free(used);
    return a;
}

/* Items of one group (MMLU subject, BBH task, a shared prompt) are not independent:
 * the clustered SE of Miller (2024), sqrt(sum over groups of (sum of
 * deviations)^2) / n, next to the plain one. Ungrouped items are their own
 * cluster. */
static void add_clustered(cJSON *o, const struct cell *c, double mean)
{
    size_t n = c->n_items;
    bool any = false;
    for (size_t i = 0; i < n && !any; i++) any = c->items[i].group != NULL;
    if (!any || n == 0) return;
    struct strmap g = {0};
    double *dev = xcalloc(n, sizeof *dev), *gsum = xcalloc(n, sizeof *gsum), plain = 0;
    long *gn = xcalloc(n, sizeof *gn);
    const char **gname = xcalloc(n, sizeof *gname);
    long ng = 0;
    for (size_t i = 0; i < n; i++) {
        double d = c->score[i] - mean;
        plain += d * d;
        long k = c->items[i].group ? strmap_get(&g, c->items[i].group) : -1;
        if (k < 0) {
            k = ng++;
            gname[k] = c->items[i].group;
            if (c->items[i].group) strmap_put(&g, c->items[i].group, k);
        }
        dev[k] += d;
        gsum[k] += c->score[i];
        gn[k]++;
    }
    double cl = 0, macro = 0;
    long named = 0;
    cJSON *groups = cJSON_CreateObject();
    for (long k = 0; k < ng; k++) {
        cl += dev[k] * dev[k];
        if (!gname[k]) continue;
        /* per group accuracy, and their unweighted mean (MMLU's macro over subjects) */
        cJSON *x = cJSON_AddObjectToObject(groups, gname[k]);
        cJSON_AddNumberToObject(x, "n", (double)gn[k]);
        cJSON_AddNumberToObject(x, "accuracy", gsum[k] / (double)gn[k]);
        macro += gsum[k] / (double)gn[k];
        named++;
    }
    cJSON_AddNumberToObject(o, "n_groups", (double)ng);
    cJSON_AddItemToObject(o, "se", jnum(sqrt(plain) / (double)n));
    cJSON_AddItemToObject(o, "se_clustered", jnum(sqrt(cl) / (double)n));
    cJSON_AddItemToObject(o, "group_macro_accuracy", jnum(named ? macro / (double)named : NAN));
    cJSON_AddItemToObject(o, "groups", groups);
    free(dev);
    free(gsum);
    free(gn);
    free(gname);
    strmap_release(&g);
}

int analysis_accuracy(struct report_ctx *ctx)
{
    const struct results *r = &ctx->res;
    const struct report_cfg *cfg = &ctx->cfg;
    cJSON *acc = cJSON_AddArrayToObject(ctx->summary, "accuracy");
    cJSON *macro = cJSON_AddArrayToObject(ctx->summary, "macro");
    long B = cfg->bootstrap_b;
    double *boot = xmalloc((size_t)B * sizeof *boot);
    double *sum = xmalloc((size_t)B * sizeof *sum);
    for (int si = 0; si < r->n_students; si++) {
        const char *st = r->students[si];
        memset(sum, 0, (size_t)B * sizeof *sum);
        int nb = 0;
        double macc = 0;
        cJSON *mb = cJSON_CreateArray();
        for (int bi = 0; bi < r->n_benchmarks; bi++) {
            struct cell *c = results_cell(r, st, r->benchmarks[bi]);
            if (!c || c->n_items == 0) continue;
            size_t n = c->n_items;
            double a = stats_mean(c->score, n), s = stats_mean(c->strict, n);
            long nobs = 0, nef = 0;
            for (size_t i = 0; i < n; i++)
                for (int k = 0; k < c->items[i].n_obs; k++) {
                    nobs++;
                    nef += c->items[i].obs[k].efail;
                }
            double wl, wh, bl, bh;
            stats_wilson(a, (double)n, cfg->alpha, &wl, &wh);
            struct stats_items it;
            stats_items_init(&it, c->score, NULL, n);
            stats_boot(&it, B, stream_seed(ctx, "acc", st, NULL, c->benchmark), boot);
            stats_items_release(&it);
            for (long k = 0; k < B; k++) sum[k] += boot[k];
            stats_percentile_ci(boot, (size_t)B, cfg->alpha, &bl, &bh);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "student", st);
            cJSON_AddStringToObject(o, "benchmark", c->benchmark);
            cJSON_AddNumberToObject(o, "n", (double)n);
            cJSON_AddNumberToObject(o, "n_samples_min", (double)c->n_samples_min);
            cJSON_AddNumberToObject(o, "n_samples_max", (double)c->n_samples_max);
            cJSON_AddItemToObject(o, "train_seeds", seeds_json(c));
            if (c->members && c->members[0]) {
                cJSON *mm = cJSON_AddArrayToObject(o, "members");
                for (int sd = 0; sd < c->n_seeds; sd++)
                    cJSON_AddItemToArray(mm,
                                         cJSON_CreateString(c->members[sd] ? c->members[sd] : ""));
            }
            cJSON_AddBoolToObject(o, "code", c->code);
            cJSON_AddItemToObject(o, "accuracy", jnum(a));
            cJSON_AddItemToObject(o, "strict_accuracy", jnum(s));
            cJSON_AddItemToObject(o, "extract_fail_rate",
                                  jnum(nobs ? (double)nef / (double)nobs : NAN));
            cJSON_AddNumberToObject(o, "call_failed", (double)c->call_failed);
            if (c->call_failed)
                report_note(
                    ctx,
                    "%s on %s: %ld of %ld model calls failed (eval counts them as wrong answers)",
                    st, c->benchmark, c->call_failed, nobs);
            add_clustered(o, c, a);
            cJSON_AddItemToObject(o, "wilson", jpair(wl, wh));
            cJSON_AddItemToObject(o, "bootstrap", jpair(bl, bh));
            if (c->n_seeds > 1) {
                stats_boot_hier(c->per_seed, (size_t)c->n_seeds, NULL, 0, n, B,
                                stream_seed(ctx, "acc-hier", st, NULL, c->benchmark), boot);
                stats_percentile_ci(boot, (size_t)B, cfg->alpha, &bl, &bh);
                cJSON_AddItemToObject(o, "hierarchical", jpair(bl, bh));
                /* per-seed accuracies: the seed-level spread behind the hierarchical interval */
                cJSON *ps = cJSON_AddArrayToObject(o, "per_seed_accuracy");
                for (int sd = 0; sd < c->n_seeds; sd++)
                    cJSON_AddItemToArray(ps, jnum(stats_mean(c->per_seed + (size_t)sd * n, n)));
            } else {
                cJSON_AddNullToObject(o, "hierarchical");
            }
            if (c->code) {
                cJSON *pk = cJSON_AddObjectToObject(o, "pass_at_k");
                static const long ks[] = {1, 10, 100};
                for (size_t q = 0; q < GRA_ARRAY_LEN(ks); q++) {
                    if (ks[q] > c->n_samples_min) break;
                    double tot = 0;
                    long cnt = 0;
                    for (size_t i = 0; i < n; i++) {
                        /* per (item, seed): n samples, c correct */
                        for (int sd = 0; sd < c->n_seeds; sd++) {
                            long ns = 0, nc = 0;
                            for (int k = 0; k < c->items[i].n_obs; k++)
                                if (c->items[i].obs[k].seed_idx == sd) {
                                    ns++;
                                    nc += c->items[i].obs[k].correct;
                                }
                            if (!ns) continue;
                            tot += stats_pass_at_k(ns, nc, ks[q]);
                            cnt++;
                        }
                    }
                    char key[16];
                    snprintf(key, sizeof key, "%ld", ks[q]);
                    cJSON_AddItemToObject(pk, key, jnum(cnt ? tot / (double)cnt : NAN));
                }
            }
            if (c->prompt_hash) cJSON_AddStringToObject(o, "prompt_hash", c->prompt_hash);
            cJSON_AddBoolToObject(o, "simulated", c->simulated);
            cJSON_AddItemToObject(o, "inputs", lineage_refs(ctx, c));
            cJSON_AddItemToArray(acc, o);
            macc += a;
            nb++;
            cJSON_AddItemToArray(mb, cJSON_CreateString(c->benchmark));
        }
        if (nb == 0) {
            cJSON_Delete(mb);
            continue;
        }
        for (long k = 0; k < B; k++) sum[k] /= nb;
        double lo, hi;
        stats_percentile_ci(sum, (size_t)B, cfg->alpha, &lo, &hi);
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "student", st);
        cJSON_AddItemToObject(m, "benchmarks", mb);
        cJSON_AddItemToObject(m, "accuracy", jnum(macc / nb));
        cJSON_AddItemToObject(m, "bootstrap", jpair(lo, hi));
        cJSON_AddItemToArray(macro, m);
    }
    free(boot);
    free(sum);
    return 0;
}

/* one paired comparison, kept for the corrections and the macro average */
struct cmp {
    int a, b, bench;
    double diff, se;
    double p;
    double *boot; /* B resampled differences in points (owned) */
    cJSON *obj;
};

static cJSON *id_sample(char **ids, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n && i < 5; i++) cJSON_AddItemToArray(a, cJSON_CreateString(ids[i]));
    return a;
}

static const char *verdict_of(const struct stats_tost *t, double lo, double hi)
{
    return stats_verdict(t->equivalent, t->noninferior, lo, hi);
}

static int compare_cells(struct report_ctx *ctx, struct cell *ca, struct cell *cb, struct cmp *out)
{
    const struct report_cfg *cfg = &ctx->cfg;
    long B = cfg->bootstrap_b;
    size_t na = ca->n_items, nbi = cb->n_items;
    size_t *ia = xmalloc((na ? na : 1) * sizeof *ia), *ib = xmalloc((na ? na : 1) * sizeof *ib);
    char **only_a = xmalloc((na ? na : 1) * sizeof *only_a);
    char **only_b = xmalloc((nbi ? nbi : 1) * sizeof *only_b);
    size_t n = 0, noa = 0, nob = 0;
    for (size_t i = 0; i < na; i++) {
        long j = strmap_get(&cb->index, ca->items[i].id);
        if (j < 0) {
            only_a[noa++] = ca->items[i].id;
        } else {
            ia[n] = i;
            ib[n] = (size_t)j;
            n++;
        }
    }
    for (size_t j = 0; j < nbi; j++)
        if (strmap_get(&ca->index, cb->items[j].id) < 0) only_b[nob++] = cb->items[j].id;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "benchmark", ca->benchmark);
    cJSON_AddStringToObject(o, "a", ca->student);
    cJSON_AddStringToObject(o, "b", cb->student);
    cJSON_AddNumberToObject(o, "n", (double)n);
    cJSON_AddNumberToObject(o, "only_a", (double)noa);
    cJSON_AddNumberToObject(o, "only_b", (double)nob);
    cJSON_AddItemToObject(o, "only_a_ids", id_sample(only_a, noa));
    cJSON_AddItemToObject(o, "only_b_ids", id_sample(only_b, nob));
    out->obj = o;
    out->boot = NULL;
    out->p = NAN;
    int rc = 0;
    if (n == 0) {
        free(ia);
        free(ib);
        free(only_a);
        free(only_b);
        return 1; /* nothing paired */
    }
    double *xa = xmalloc(n * sizeof *xa), *xb = xmalloc(n * sizeof *xb),
           *d = xmalloc(n * sizeof *d);
    bool binary = true;
    for (size_t k = 0; k < n; k++) {
        xa[k] = ca->score[ia[k]];
        xb[k] = cb->score[ib[k]];
        d[k] = 100.0 * (xa[k] - xb[k]);
        if ((xa[k] != 0 && xa[k] != 1) || (xb[k] != 0 && xb[k] != 1)) binary = false;
    }
    double acc_a = stats_mean(xa, n), acc_b = stats_mean(xb, n);
    double diff = stats_mean(d, n);
    double se = stats_sd(d, n) / sqrt((double)n);
    long disc_b = 0, disc_c = 0;
    for (size_t k = 0; k < n; k++) {
        if (d[k] > 0) disc_b++;
        if (d[k] < 0) disc_c++;
    }
    double p, midp;
    rc = stats_mcnemar(disc_b, disc_c, &p, &midp);
    if (rc) goto out;
    struct stats_items it;
    stats_items_init(&it, xa, xb, n);
    out->boot = xmalloc((size_t)B * sizeof(double));
    stats_boot(&it, B, stream_seed(ctx, "paired", ca->student, cb->student, ca->benchmark),
               out->boot);
    stats_items_release(&it);
    for (long k = 0; k < B; k++) out->boot[k] *= 100.0;
    double *tmp = xmalloc((size_t)B * sizeof *tmp);
    memcpy(tmp, out->boot, (size_t)B * sizeof *tmp);
    double lo, hi;
    stats_percentile_ci(tmp, (size_t)B, cfg->alpha, &lo, &hi);
    struct stats_tost t;
    double df = n > 1 ? (double)(n - 1) : 0;
    /* No item differs: the sample SE is 0 and a t test would claim any margin.
     * Use the rule of three instead: with 0 discordant items of n, the
     * discordance rate is below 3/n (95%), so SE <= 100 sqrt(3/n) / sqrt(n). */
    double se_used = se;
    bool floored = false;
    if (!(se > 0)) {
        se_used = 100.0 * sqrt(3.0 / (double)n) / sqrt((double)n);
        floored = true;
    }
    stats_tost(diff, se_used, df, cfg->margin, cfg->alpha, &t);
    double tq =
        df > 0 ? gsl_cdf_tdist_Pinv(1 - cfg->alpha, df) : gsl_cdf_ugaussian_Pinv(1 - cfg->alpha);

    cJSON_AddItemToObject(o, "acc_a", jnum(acc_a));
    cJSON_AddItemToObject(o, "acc_b", jnum(acc_b));
    cJSON_AddItemToObject(o, "diff", jnum(diff));
    cJSON_AddItemToObject(o, "se", jnum(se));
    if (floored) {
        cJSON_AddItemToObject(o, "se_used", jnum(se_used));
        cJSON_AddStringToObject(
            o, "se_note",
            "no item differs: TOST, non-inferiority and M_min use the rule-of-three "
            "bound 100 sqrt(3/n) / sqrt(n) instead of the sample SE 0");
    }
    cJSON_AddItemToObject(o, "ci", jpair(lo, hi));
    if (ca->n_seeds > 1 || cb->n_seeds > 1) {
        size_t Sa = (size_t)ca->n_seeds, Sb = (size_t)cb->n_seeds;
        double *sa = xmalloc(Sa * n * sizeof *sa), *sb = xmalloc(Sb * n * sizeof *sb);
        for (size_t s = 0; s < Sa; s++)
            for (size_t k = 0; k < n; k++) sa[s * n + k] = ca->per_seed[s * na + ia[k]];
        for (size_t s = 0; s < Sb; s++)
            for (size_t k = 0; k < n; k++) sb[s * n + k] = cb->per_seed[s * nbi + ib[k]];
        stats_boot_hier(sa, Sa, sb, Sb, n, B,
                        stream_seed(ctx, "paired-hier", ca->student, cb->student, ca->benchmark),
                        tmp);
        for (long k = 0; k < B; k++) tmp[k] *= 100.0;
        double hl, hh;
        stats_percentile_ci(tmp, (size_t)B, cfg->alpha, &hl, &hh);
        cJSON_AddItemToObject(o, "ci_hierarchical", jpair(hl, hh));
        cJSON_AddNumberToObject(o, "seeds_a", (double)Sa);
        cJSON_AddNumberToObject(o, "seeds_b", (double)Sb);
        free(sa);
        free(sb);
    } else {
        cJSON_AddNullToObject(o, "ci_hierarchical");
    }
    free(tmp);
    cJSON_AddStringToObject(o, "mcnemar_method", binary ? "exact" : "sign");
    cJSON *dc = cJSON_AddObjectToObject(o, "discordant");
    cJSON_AddNumberToObject(dc, "a_only_right", (double)disc_b);
    cJSON_AddNumberToObject(dc, "b_only_right", (double)disc_c);
    cJSON_AddItemToObject(o, "mcnemar_p", jnum(p));
    cJSON_AddItemToObject(o, "mcnemar_midp", jnum(midp));
    cJSON *ni = cJSON_AddObjectToObject(o, "noninferiority");
    cJSON_AddNumberToObject(ni, "margin", cfg->margin);
    cJSON_AddItemToObject(ni, "p", jnum(t.p_lower));
    cJSON_AddBoolToObject(ni, "noninferior", t.noninferior);
    cJSON *to = cJSON_AddObjectToObject(o, "tost");
    cJSON_AddNumberToObject(to, "margin", cfg->margin);
    cJSON_AddItemToObject(to, "p", jnum(t.p_tost));
    cJSON_AddItemToObject(to, "p_lower", jnum(t.p_lower));
    cJSON_AddItemToObject(to, "p_upper", jnum(t.p_upper));
    cJSON_AddBoolToObject(to, "equivalent", t.equivalent);
    cJSON_AddItemToObject(to, "ci90", jpair(diff - tq * se_used, diff + tq * se_used));
    cJSON *mm = cJSON_AddObjectToObject(o, "m_min");
    double mt = stats_mmin_tost(se_used, cfg->alpha, cfg->power);
    cJSON_AddItemToObject(mm, "tost", jnum(mt));
    cJSON_AddItemToObject(mm, "noninferiority",
                          jnum(stats_mmin_noninf(se_used, cfg->alpha, cfg->power)));
    cJSON_AddBoolToObject(o, "margin_supported", mt <= cfg->margin);
    cJSON_AddStringToObject(o, "verdict", verdict_of(&t, lo, hi));
    cJSON *ins = lineage_refs(ctx, ca), *inb = lineage_refs(ctx, cb), *x;
    cJSON_ArrayForEach(x, inb)
    {
        bool have = false;
        const cJSON *y;
        cJSON_ArrayForEach(y, ins) if (y->valueint == x->valueint) have = true;
        if (!have) cJSON_AddItemToArray(ins, cJSON_CreateNumber(x->valueint));
    }
    cJSON_Delete(inb);
    cJSON_AddItemToObject(o, "inputs", ins);
    out->diff = diff;
    out->se = se_used;
    out->p = p;
out:
    free(xa);
    free(xb);
    free(d);
    free(ia);
    free(ib);
    free(only_a);
    free(only_b);
    return rc;
}

int analysis_comparisons(struct report_ctx *ctx)
{
    const struct results *r = &ctx->res;
    const struct report_cfg *cfg = &ctx->cfg;
    long B = cfg->bootstrap_b;
    cJSON *list = cJSON_AddArrayToObject(ctx->summary, "comparisons");
    cJSON *macro = cJSON_AddArrayToObject(ctx->summary, "macro_comparisons");
    cJSON *unpaired = cJSON_AddArrayToObject(ctx->summary, "unpaired");
    int rc = 0;
    for (int a = 0; a < r->n_students; a++)
        for (int b = a + 1; b < r->n_students; b++) {
            struct cmp *cs = xcalloc((size_t)r->n_benchmarks + 1, sizeof *cs);
            int nc = 0;
            for (int k = 0; k < r->n_benchmarks; k++) {
                struct cell *ca = results_cell(r, r->students[a], r->benchmarks[k]);
                struct cell *cb = results_cell(r, r->students[b], r->benchmarks[k]);
                if (!ca || !cb) continue;
                struct cmp c = {a, b, k, 0, 0, NAN, NULL, NULL};
                int x = compare_cells(ctx, ca, cb, &c);
                if (x < 0) {
                    cJSON_Delete(c.obj);
                    rc = x;
                    for (int q = 0; q < nc; q++) free(cs[q].boot);
                    free(cs);
                    return rc;
                }
                if (x == 1) {
                    /* no common items: reported, never paired */
                    cJSON_AddItemToArray(unpaired, c.obj);
                    report_note(
                        ctx, "%s vs %s on %s: no items in common (%zu vs %zu items), not compared",
                        ca->student, cb->student, ca->benchmark, ca->n_items, cb->n_items);
                    continue;
                }
                cs[nc++] = c;
            }
            if (nc == 0) {
                free(cs);
                continue;
            }
            double *p = xmalloc((size_t)nc * sizeof *p), *holm = xmalloc((size_t)nc * sizeof *holm),
                   *bh = xmalloc((size_t)nc * sizeof *bh);
            for (int q = 0; q < nc; q++) p[q] = cs[q].p;
            stats_holm(p, (size_t)nc, holm);
            stats_bh(p, (size_t)nc, bh);
            double *mb = xcalloc((size_t)B, sizeof *mb), mdiff = 0, mvar = 0;
            cJSON *names = cJSON_CreateArray();
            for (int q = 0; q < nc; q++) {
                cJSON_AddItemToObject(cs[q].obj, "holm_p", jnum(holm[q]));
                cJSON_AddItemToObject(cs[q].obj, "bh_p", jnum(bh[q]));
                cJSON_AddBoolToObject(cs[q].obj, "significant_holm", holm[q] < cfg->alpha);
                cJSON_AddItemToArray(list, cs[q].obj);
                for (long k = 0; k < B; k++) mb[k] += cs[q].boot[k] / nc;
                mdiff += cs[q].diff / nc;
                mvar += cs[q].se * cs[q].se;
                cJSON_AddItemToArray(names, cJSON_CreateString(r->benchmarks[cs[q].bench]));
                free(cs[q].boot);
            }
            double lo, hi, mse = sqrt(mvar) / nc;
            stats_percentile_ci(mb, (size_t)B, cfg->alpha, &lo, &hi);
            struct stats_tost t;
            stats_tost(mdiff, mse, 0, cfg->margin, cfg->alpha, &t);
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "a", r->students[a]);
            cJSON_AddStringToObject(m, "b", r->students[b]);
            cJSON_AddItemToObject(m, "benchmarks", names);
            cJSON_AddItemToObject(m, "diff", jnum(mdiff));
            cJSON_AddItemToObject(m, "se", jnum(mse));
            cJSON_AddItemToObject(m, "ci", jpair(lo, hi));
            cJSON *to = cJSON_AddObjectToObject(m, "tost");
            cJSON_AddNumberToObject(to, "margin", cfg->margin);
            cJSON_AddItemToObject(to, "p", jnum(t.p_tost));
            cJSON_AddBoolToObject(to, "equivalent", t.equivalent);
            cJSON_AddBoolToObject(m, "noninferior", t.noninferior);
            cJSON_AddStringToObject(m, "verdict", verdict_of(&t, lo, hi));
            cJSON_AddItemToArray(macro, m);
            free(mb);
            free(p);
            free(holm);
            free(bh);
            free(cs);
        }
    return rc;
}

int analysis_eval_summaries(struct report_ctx *ctx)
{
    if (ctx->n_eval_summaries == 0) return 0;
    cJSON *chk = cJSON_AddObjectToObject(ctx->summary, "eval_summary_check");
    cJSON *files = cJSON_AddArrayToObject(chk, "inputs");
    cJSON *mism = cJSON_AddArrayToObject(chk, "mismatches");
    const cJSON *acc = cJSON_GetObjectItemCaseSensitive(ctx->summary, "accuracy");
    long checked = 0;
    for (int i = 0; i < ctx->n_eval_summaries; i++) {
        const char *path = ctx->eval_summaries[i];
        int li = lineage_add(&ctx->lin, path, "eval_summary");
        if (li < 0) return li;
        cJSON_AddItemToArray(files, cJSON_CreateNumber(li));
        cJSON *j = NULL;
        int rc = json_read_file(path, &j);
        if (rc) return rc;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "simulated")))
            ctx->simulated = ctx->lin.simulated[li] = true;
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "students"), *s, *b;
        cJSON_ArrayForEach(s, st) cJSON_ArrayForEach(b, s)
        {
            double theirs = jget_num(b, "accuracy", NAN);
            if (!cJSON_IsObject(b) || !isfinite(theirs)) continue;
            const cJSON *o, *mine = NULL;
            cJSON_ArrayForEach(o, acc) if (!strcmp(jget_str(o, "student"), s->string) &&
                                           !strcmp(jget_str(o, "benchmark"), b->string)) mine = o;
            if (!mine) continue; /* e.g. merged into a condition */
            checked++;
            double tm = jget_num(b, "macro_accuracy", NAN),
                   om = jget_num(mine, "group_macro_accuracy", NAN);
            if (isfinite(tm) && isfinite(om) && fabs(tm - om) > 1e-9)
                report_note(ctx,
                            "%s: %s on %s: macro accuracy over groups %.6f, but the results lines "
                            "give %.6f",
                            path, s->string, b->string, tm, om);
            double ours = jget_num(mine, "accuracy", NAN);
            if (fabs(ours - theirs) > 1e-9) {
                cJSON *m = cJSON_CreateObject();
                cJSON_AddStringToObject(m, "student", s->string);
                cJSON_AddStringToObject(m, "benchmark", b->string);
                cJSON_AddNumberToObject(m, "eval_summary", theirs);
                cJSON_AddItemToObject(m, "recomputed", jnum(ours));
                cJSON_AddNumberToObject(m, "input", li);
                cJSON_AddItemToArray(mism, m);
                report_note(ctx, "%s: %s on %s: accuracy %.6f, but the results lines give %.6f",
                            path, s->string, b->string, theirs, ours);
            }
        }
        cJSON_Delete(j);
    }
    cJSON_AddNumberToObject(chk, "checked", (double)checked);
    return 0;
}
