/*
 * render: report.md and report.html from the summary tree (and nothing else,
 * so both show exactly what summary.json holds).
 *
 * One small document builder writes both formats at once: headings,
 * paragraphs, tables and figures. report.html is self-contained: styles
 * inline, figures inlined as the SVG gnuplot drew (prolog stripped), no
 * script, no external URL, so it reads offline. Lineage references ("in 3")
 * link to the lineage table, which lists every input with its sha256.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "reports/report_int.h"

struct doc {
    struct buf md, html;
    const struct report_ctx *ctx;
    int ncols;
    int rc;
};

static void html_esc(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

static void md_cell(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            buf_puts(b, "\\|");
        else if (*s == '\n')
            buf_putc(b, ' ');
        else
            buf_putc(b, *s);
    }
}

static void doc_h(struct doc *d, int level, const char *id, const char *text)
{
    buf_appendf(&d->md, "\n%.*s %s\n\n", level, "######", text);
    buf_appendf(&d->html, "<h%d id=\"%s\">", level, id);
    html_esc(&d->html, text);
    buf_appendf(&d->html, "</h%d>\n", level);
}

static void doc_p(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void doc_p(struct doc *d, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    char *s = xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    buf_appendf(&d->md, "%s\n\n", s);
    buf_puts(&d->html, "<p>");
    html_esc(&d->html, s);
    buf_puts(&d->html, "</p>\n");
    free(s);
}

static void doc_table(struct doc *d, const char *const *cols)
{
    int n = 0;
    buf_puts(&d->md, "|");
    buf_puts(&d->html, "<table><thead><tr>");
    for (; cols[n]; n++) {
        buf_putc(&d->md, ' ');
        md_cell(&d->md, cols[n]);
        buf_puts(&d->md, " |");
        buf_puts(&d->html, "<th>");
        html_esc(&d->html, cols[n]);
        buf_puts(&d->html, "</th>");
    }
    buf_puts(&d->md, "\n|");
    for (int i = 0; i < n; i++) buf_puts(&d->md, "---|");
    buf_puts(&d->md, "\n");
    buf_puts(&d->html, "</tr></thead><tbody>\n");
    d->ncols = n;
}

/* a cell that starts with "@" is a list of lineage indices ("@0,3") */
static void doc_row(struct doc *d, ...)
{
    va_list ap;
    va_start(ap, d);
    buf_puts(&d->md, "|");
    buf_puts(&d->html, "<tr>");
    for (int i = 0; i < d->ncols; i++) {
        const char *s = va_arg(ap, const char *);
        if (!s) s = "";
        buf_putc(&d->md, ' ');
        buf_puts(&d->html, "<td>");
        if (s[0] == '@') {
            char *copy = xstrdup(s + 1), *save = NULL;
            int first = 1;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                buf_appendf(&d->md, "%s[in %s](#lineage)", first ? "" : " ", t);
                buf_appendf(&d->html, "%s<a href=\"#lin%s\">in %s</a>", first ? "" : " ", t, t);
                first = 0;
            }
            free(copy);
        } else {
            md_cell(&d->md, s);
            html_esc(&d->html, s);
        }
        buf_puts(&d->md, " |");
        buf_puts(&d->html, "</td>");
    }
    buf_puts(&d->md, "\n");
    buf_puts(&d->html, "</tr>\n");
    va_end(ap);
}

static void doc_table_end(struct doc *d)
{
    buf_puts(&d->md, "\n");
    buf_puts(&d->html, "</tbody></table>\n");
}

static void doc_figure(struct doc *d, const cJSON *fig)
{
    const char *svg = jget_str(fig, "svg"), *png = jget_str(fig, "png"),
               *title = jget_str(fig, "title");
    const char *cap = jget_str(fig, "caption"), *tsv = jget_str(fig, "tsv"),
               *name = jget_str(fig, "name");
    buf_appendf(&d->md, "![%s](%s)\n\n*%s* (data: [%s](%s), PNG: [%s](%s))\n\n", title, svg, cap,
                tsv, tsv, png, png);
    buf_appendf(&d->html, "<figure id=\"fig-%s\" data-figure=\"%s\">\n", name, svg);
    char *path = path_join(d->ctx->out_dir, svg);
    char *text = NULL;
    size_t n = 0;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fig, "drawn"))) {
        buf_puts(&d->html, "<p class=\"missing\">figure not drawn (report.plots is false)</p>\n");
    } else if (fileio_read(path, &text, &n) == 0) {
        const char *s = strstr(text, "<svg");
        if (s)
            buf_puts(&d->html, s);
        else
            d->rc = err(GRA_EPARSE, "%s: gnuplot output has no <svg> element", path);
    } else {
        d->rc = GRA_EIO;
    }
    free(text);
    free(path);
    buf_puts(&d->html, "<figcaption>");
    html_esc(&d->html, cap);
    buf_appendf(&d->html, " Data: <code>%s</code>.</figcaption></figure>\n", tsv);
}

/* ---- number formatting into a ring of static buffers ---- */
static char ring[512][96];
static int ring_i;

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
    char *b = ring[ring_i++ & 511];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, 96, f, ap);
    va_end(ap);
    return b;
}

static const char *num(double v, int prec)
{
    return isfinite(v) ? fmt("%.*f", prec, v) : "n/a";
}

static const char *pval(double p)
{
    if (!isfinite(p)) return "n/a";
    if (p < 1e-4) return fmt("%.1e", p);
    return fmt("%.4f", p);
}

static const char *pct(double v)
{
    return isfinite(v) ? fmt("%.2f", 100 * v) : "n/a";
}

static const char *ci_pct(const cJSON *a)
{
    if (cJSON_GetArraySize(a) != 2) return "n/a";
    const cJSON *x = cJSON_GetArrayItem(a, 0), *y = cJSON_GetArrayItem(a, 1);
    if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y)) return "n/a";
    return fmt("[%.2f, %.2f]", 100 * x->valuedouble, 100 * y->valuedouble);
}

static const char *ci_pts(const cJSON *a)
{
    if (cJSON_GetArraySize(a) != 2) return "n/a";
    const cJSON *x = cJSON_GetArrayItem(a, 0), *y = cJSON_GetArrayItem(a, 1);
    if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y)) return "n/a";
    return fmt("[%+.2f, %+.2f]", x->valuedouble, y->valuedouble);
}

static const char *refs(const cJSON *a)
{
    char *b = ring[ring_i++ & 511];
    b[0] = '@';
    b[1] = 0;
    const cJSON *x;
    size_t len = 1;
    cJSON_ArrayForEach(x, a)
    {
        int w = snprintf(b + len, 96 - len, "%s%d", len > 1 ? "," : "", x->valueint);
        if (w < 0 || (size_t)w >= 96 - len) break;
        len += (size_t)w;
    }
    return len > 1 ? b : "";
}

static const cJSON *obj(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *count_of(const cJSON *o, const char *k)
{
    double v = jget_num(o, k, NAN);
    return isfinite(v) ? fmt("%.0f", v) : "-";
}

static void section_results(struct doc *d, const cJSON *s)
{
    const cJSON *acc = obj(s, "accuracy"), *o;
    if (cJSON_GetArraySize(acc) == 0) return;
    doc_h(d, 2, "accuracy", "Accuracy per student and benchmark");
    doc_p(d,
          "Accuracy in percent (pass@1 for code benchmarks: the per-item share of passing samples, "
          "averaged). "
          "Intervals at %.0f%%: Wilson score, percentile bootstrap over items (B = %ld), and over "
          "training seeds and "
          "items when a student has several seeds.",
          100 * (1 - d->ctx->cfg.alpha), d->ctx->cfg.bootstrap_b);
    static const char *const cols[] = {"student",
                                       "benchmark",
                                       "n",
                                       "seeds",
                                       "accuracy",
                                       "Wilson",
                                       "bootstrap",
                                       "seeds x items",
                                       "strict",
                                       "extract fail",
                                       "failed calls",
                                       "SE / clustered SE",
                                       "source",
                                       NULL};
    doc_table(d, cols);
    cJSON_ArrayForEach(o, acc)
    {
        const char *sec =
            cJSON_IsNumber(obj(o, "se_clustered"))
                ? fmt("%.2f / %.2f (%.0f groups)", 100 * jget_num(o, "se", NAN),
                      100 * jget_num(o, "se_clustered", NAN), jget_num(o, "n_groups", 0))
                : "-";
        doc_row(
            d, jget_str(o, "student"), jget_str(o, "benchmark"), num(jget_num(o, "n", NAN), 0),
            fmt("%d", cJSON_GetArraySize(obj(o, "train_seeds"))), pct(jget_num(o, "accuracy", NAN)),
            ci_pct(obj(o, "wilson")), ci_pct(obj(o, "bootstrap")), ci_pct(obj(o, "hierarchical")),
            pct(jget_num(o, "strict_accuracy", NAN)), pct(jget_num(o, "extract_fail_rate", NAN)),
            count_of(o, "call_failed"), sec, refs(obj(o, "inputs")));
    }
    doc_table_end(d);
    const cJSON *m = obj(s, "macro");
    if (cJSON_GetArraySize(m) > 0) {
        doc_h(d, 3, "macro", "Macro average over benchmarks");
        static const char *const mc[] = {"student", "benchmarks", "macro accuracy",
                                         "bootstrap (stratified)", NULL};
        doc_table(d, mc);
        cJSON_ArrayForEach(o, m)
            doc_row(d, jget_str(o, "student"), fmt("%d", cJSON_GetArraySize(obj(o, "benchmarks"))),
                    pct(jget_num(o, "accuracy", NAN)), ci_pct(obj(o, "bootstrap")));
        doc_table_end(d);
    }
}

static void section_comparisons(struct doc *d, const cJSON *s)
{
    const cJSON *cmp = obj(s, "comparisons"), *o;
    const struct report_cfg *cfg = &d->ctx->cfg;
    if (cJSON_GetArraySize(cmp) > 0) {
        doc_h(d, 2, "comparisons", "Paired comparisons (same items)");
        doc_p(d,
              "diff = a - b in points on the items both students answered; 95%% CI by paired "
              "bootstrap (B = %ld, seed "
              "%llu). McNemar exact test on the discordant items (sign test when items have "
              "several samples), mid-p "
              "beside it; Holm and Benjamini-Hochberg adjust the McNemar p-values across "
              "benchmarks for each pair. "
              "Non-inferiority (H0: diff <= -M) and TOST equivalence (H0: |diff| >= M) use the "
              "margin M = %g points "
              "fixed in the config, paired t on the per-item differences. M_min is the smallest "
              "margin the data could "
              "establish with %.0f%% power when the true difference is 0: a verdict at a margin "
              "below M_min is not "
              "supported by the data.",
              cfg->bootstrap_b, (unsigned long long)cfg->seed, cfg->margin, 100 * cfg->power);
        static const char *const cols[] = {"benchmark",
                                           "a",
                                           "b",
                                           "n",
                                           "only a / only b",
                                           "diff",
                                           "95% CI",
                                           "McNemar p",
                                           "mid-p",
                                           "Holm",
                                           "BH",
                                           "NI p",
                                           "TOST p",
                                           "M_min TOST / NI",
                                           "verdict",
                                           "source",
                                           NULL};
        doc_table(d, cols);
        cJSON_ArrayForEach(o, cmp)
        {
            const cJSON *t = obj(o, "tost"), *ni = obj(o, "noninferiority"), *mm = obj(o, "m_min");
            const char *verdict = jget_str(o, "verdict");
            if (!cJSON_IsTrue(obj(o, "margin_supported")))
                verdict = fmt("%s (margin below M_min)", verdict);
            doc_row(d, jget_str(o, "benchmark"), jget_str(o, "a"), jget_str(o, "b"),
                    num(jget_num(o, "n", NAN), 0),
                    fmt("%.0f / %.0f", jget_num(o, "only_a", 0), jget_num(o, "only_b", 0)),
                    fmt("%+.2f", jget_num(o, "diff", NAN)), ci_pts(obj(o, "ci")),
                    pval(jget_num(o, "mcnemar_p", NAN)), pval(jget_num(o, "mcnemar_midp", NAN)),
                    pval(jget_num(o, "holm_p", NAN)), pval(jget_num(o, "bh_p", NAN)),
                    pval(jget_num(ni, "p", NAN)), pval(jget_num(t, "p", NAN)),
                    fmt("%s / %s", num(jget_num(mm, "tost", NAN), 2),
                        num(jget_num(mm, "noninferiority", NAN), 2)),
                    verdict, refs(obj(o, "inputs")));
        }
        doc_table_end(d);
        bool hier = false;
        cJSON_ArrayForEach(o, cmp) if (cJSON_IsArray(obj(o, "ci_hierarchical"))) hier = true;
        if (hier) {
            doc_h(d, 3, "hierarchical", "Across training seeds (hierarchical bootstrap)");
            static const char *const hc[] = {
                "benchmark", "a", "b", "seeds a / b", "diff", "95% CI seeds x items", NULL};
            doc_table(d, hc);
            cJSON_ArrayForEach(o, cmp) if (cJSON_IsArray(obj(o, "ci_hierarchical")))
                doc_row(d, jget_str(o, "benchmark"), jget_str(o, "a"), jget_str(o, "b"),
                        fmt("%.0f / %.0f", jget_num(o, "seeds_a", 1), jget_num(o, "seeds_b", 1)),
                        fmt("%+.2f", jget_num(o, "diff", NAN)), ci_pts(obj(o, "ci_hierarchical")));
            doc_table_end(d);
        }
        bool partial = false;
        cJSON_ArrayForEach(o, cmp) if (jget_num(o, "only_a", 0) > 0 || jget_num(o, "only_b", 0) > 0)
            partial = true;
        if (partial) {
            doc_h(d, 3, "unmatched", "Items answered by only one side (not paired)");
            static const char *const uc[] = {"benchmark",  "a",      "b",          "only a",
                                             "sample ids", "only b", "sample ids", NULL};
            doc_table(d, uc);
            cJSON_ArrayForEach(o, cmp)
            {
                if (jget_num(o, "only_a", 0) == 0 && jget_num(o, "only_b", 0) == 0) continue;
                char *ia = cJSON_PrintUnformatted(obj(o, "only_a_ids")),
                     *ib = cJSON_PrintUnformatted(obj(o, "only_b_ids"));
                doc_row(d, jget_str(o, "benchmark"), jget_str(o, "a"), jget_str(o, "b"),
                        num(jget_num(o, "only_a", 0), 0), fmt("%.90s", ia),
                        num(jget_num(o, "only_b", 0), 0), fmt("%.90s", ib));
                free(ia);
                free(ib);
            }
            doc_table_end(d);
        }
    }
    const cJSON *mc = obj(s, "macro_comparisons");
    if (cJSON_GetArraySize(mc) > 0) {
        doc_h(d, 3, "macro-comparisons", "Macro average difference over benchmarks");
        static const char *const cols[] = {
            "a",      "b",       "benchmarks", "diff", "95% CI (stratified bootstrap)",
            "TOST p", "verdict", NULL};
        doc_table(d, cols);
        cJSON_ArrayForEach(o, mc)
            doc_row(d, jget_str(o, "a"), jget_str(o, "b"),
                    fmt("%d", cJSON_GetArraySize(obj(o, "benchmarks"))),
                    fmt("%+.2f", jget_num(o, "diff", NAN)), ci_pts(obj(o, "ci")),
                    pval(jget_num(obj(o, "tost"), "p", NAN)), jget_str(o, "verdict"));
        doc_table_end(d);
    }
    const cJSON *un = obj(s, "unpaired");
    if (cJSON_GetArraySize(un) > 0) {
        doc_h(d, 3, "unpaired", "Pairs with no items in common (not compared)");
        static const char *const cols[] = {"benchmark", "a", "b", "items a", "items b", NULL};
        doc_table(d, cols);
        cJSON_ArrayForEach(o, un)
            doc_row(d, jget_str(o, "benchmark"), jget_str(o, "a"), jget_str(o, "b"),
                    num(jget_num(o, "only_a", 0), 0), num(jget_num(o, "only_b", 0), 0));
        doc_table_end(d);
    }
}

static void rates_table(struct doc *d, const cJSON *group, const char *what)
{
    if (cJSON_GetArraySize(group) == 0) return;
    static const char *const cols[] = {"",      "calls",      "prompt tokens", "completion tokens",
                                       "FLOPs", "truncation", "parse failure", "retry",
                                       NULL};
    const char *c2[9];
    memcpy(c2, cols, sizeof c2);
    c2[0] = what;
    doc_table(d, c2);
    const cJSON *e;
    cJSON_ArrayForEach(e, group)
        doc_row(d, e->string, count_of(e, "calls"), count_of(e, "prompt_tokens"),
                count_of(e, "completion_tokens"),
                isfinite(jget_num(e, "flops", NAN)) ? fmt("%.3g", jget_num(e, "flops", 0)) : "-",
                pct(jget_num(e, "truncation_rate", NAN)),
                pct(jget_num(e, "parse_failure_rate", NAN)), pct(jget_num(e, "retry_rate", NAN)));
    doc_table_end(d);
}

static void section_datasets(struct doc *d, const cJSON *s)
{
    const cJSON *ds = obj(s, "datasets"), *o;
    if (cJSON_GetArraySize(ds) == 0) return;
    doc_h(d, 2, "datasets", "Data-level metrics");
    static const char *const cc[] = {"dataset",
                                     "method",
                                     "generated",
                                     "phase-1 rejected",
                                     "mu rejected",
                                     "adjudicated",
                                     "adjudicator rejected",
                                     "dedup dropped",
                                     "kept (stats)",
                                     "kept (file)",
                                     "committee acceptance",
                                     "kept / generated",
                                     "dedup",
                                     "source",
                                     NULL};
    doc_table(d, cc);
    cJSON_ArrayForEach(o, ds)
    {
        const cJSON *fs = obj(obj(o, "counts"), "from_stats"),
                    *ff = obj(obj(o, "counts"), "from_files");
        doc_row(d, jget_str(o, "name"), jget_str(o, "method"), count_of(fs, "generated"),
                count_of(fs, "phase1_rejected"), count_of(fs, "mu_rejected"),
                count_of(fs, "adjudicated"), count_of(fs, "adjudicator_rejected"),
                count_of(fs, "dedup_dropped"), count_of(fs, "kept"), count_of(ff, "kept"),
                pct(jget_num(obj(o, "committee_acceptance"), "rate", NAN)),
                pct(jget_num(o, "acceptance_rate", NAN)),
                jget_str(o, "dedup_method") ? jget_str(o, "dedup_method") : "-",
                refs(obj(o, "inputs")));
    }
    doc_table_end(d);
    doc_p(d, "Committee acceptance: samples that passed the committee (directly or by the "
             "adjudicator) over samples that reached review (generated less LLM/parse failures). "
             "Kept / generated also counts what synth's waves generated past the round target, so "
             "it moves in steps with the wave size and says little about the committee.");
    doc_h(d, 3, "agreement", "Reviewer agreement and scores");
    doc_p(d, "Krippendorff's alpha (interval metric) on each reviewer's six-dimension mean score "
             "per sample. Kish "
             "effective number of votes (sum w)^2 / sum w^2 per sample from review weights (equal "
             "weights give the "
             "number of reviewers); the correlated-votes figure is N / (1 + (N - 1) rho) with rho "
             "= max(alpha, 0).");
    static const char *const ac[] = {"dataset",          "alpha",
                                     "pairable scores",  "reviews / sample",
                                     "Kish n_eff",       "n_eff (correlated)",
                                     "reviewer mean",    "mu kept mean",
                                     "adjudicator mean", NULL};
    doc_table(d, ac);
    cJSON_ArrayForEach(o, ds)
    {
        const cJSON *r = obj(o, "reviewers"), *sc = obj(o, "scores");
        doc_row(d, jget_str(o, "name"), num(jget_num(r, "krippendorff_alpha_interval", NAN), 3),
                count_of(r, "pairable_values"), num(jget_num(r, "reviews_per_item", NAN), 2),
                num(jget_num(r, "kish_neff_votes", NAN), 2),
                num(jget_num(r, "neff_correlated_votes", NAN), 2),
                num(jget_num(obj(sc, "reviewer"), "mean", NAN), 2),
                num(jget_num(obj(sc, "mu_kept"), "mean", NAN), 2),
                num(jget_num(obj(sc, "adjudicator"), "mean", NAN), 2));
    }
    doc_table_end(d);
    doc_h(d, 3, "diversity", "Diversity and lengths");
    static const char *const dc[] = {"dataset",
                                     "distinct-1/2/3 (instructions)",
                                     "distinct-1/2/3 (responses)",
                                     "near-dup rate (MinHash)",
                                     "embedding spread",
                                     "instruction words (median, p90)",
                                     "response words (median, p90)",
                                     NULL};
    doc_table(d, dc);
    cJSON_ArrayForEach(o, ds)
    {
        const cJSON *dv = obj(o, "diversity"), *i = obj(dv, "instruction"),
                    *r = obj(dv, "response");
        const cJSON *mh = obj(dv, "minhash"), *es = obj(dv, "embedding_spread"),
                    *ln = obj(o, "lengths");
        doc_row(d, jget_str(o, "name"),
                fmt("%.3f / %.3f / %.3f", jget_num(i, "distinct_1", NAN),
                    jget_num(i, "distinct_2", NAN), jget_num(i, "distinct_3", NAN)),
                fmt("%.3f / %.3f / %.3f", jget_num(r, "distinct_1", NAN),
                    jget_num(r, "distinct_2", NAN), jget_num(r, "distinct_3", NAN)),
                fmt("%s%% (J >= %.2f)", pct(jget_num(mh, "near_dup_rate", NAN)),
                    jget_num(mh, "threshold", NAN)),
                cJSON_IsObject(es) ? num(jget_num(es, "mean_cosine_distance", NAN), 3)
                                   : "no embeddings",
                fmt("%s, %s", num(jget_num(obj(ln, "instruction_words"), "median", NAN), 0),
                    num(jget_num(obj(ln, "instruction_words"), "p90", NAN), 0)),
                fmt("%s, %s", num(jget_num(obj(ln, "response_words"), "median", NAN), 0),
                    num(jget_num(obj(ln, "response_words"), "p90", NAN), 0)));
    }
    doc_table_end(d);
    doc_h(d, 3, "cost", "Failure rates and cost");
    doc_p(d, "FLOPs are 2 x parameters x tokens as counted by synth (stats.json). Rates are shares "
             "of calls.");
    cJSON_ArrayForEach(o, ds)
    {
        const cJSON *c = obj(o, "cost");
        doc_p(d,
              "%s: %s tokens, %s FLOPs in total; per kept record %s tokens, %s FLOPs (source: %s).",
              jget_str(o, "name"), num(jget_num(c, "tokens", NAN), 0),
              isfinite(jget_num(c, "flops", NAN)) ? fmt("%.3g", jget_num(c, "flops", 0))
                                                  : "unknown",
              num(jget_num(c, "tokens_per_kept", NAN), 1),
              isfinite(jget_num(c, "flops_per_kept", NAN))
                  ? fmt("%.3g", jget_num(c, "flops_per_kept", 0))
                  : "unknown",
              jget_str(c, "source"));
        rates_table(d, obj(o, "roles"), "role");
        rates_table(d, obj(o, "models"), "model");
        const cJSON *rm = obj(o, "role_models"), *r;
        if (cJSON_GetArraySize(rm) > 0) {
            /* one table keyed "role / model" */
            cJSON *flat = cJSON_CreateObject();
            cJSON_ArrayForEach(r, rm)
            {
                const cJSON *m;
                cJSON_ArrayForEach(m, r)
                {
                    char *k = xasprintf("%s / %s", r->string, m->string);
                    cJSON_AddItemToObject(flat, k, cJSON_Duplicate(m, 1));
                    free(k);
                }
            }
            rates_table(d, flat, "role / model");
            cJSON_Delete(flat);
        }
    }
    const cJSON *cc2 = obj(s, "cost_comparisons");
    if (cJSON_GetArraySize(cc2) > 0) {
        doc_h(d, 3, "cost-equal", "GRA vs the large-model baseline at equal record count");
        static const char *const kc[] = {
            "GRA dataset", "baseline",   "records",         "GRA FLOPs",    "baseline FLOPs",
            "FLOPs ratio", "GRA tokens", "baseline tokens", "tokens ratio", NULL};
        doc_table(d, kc);
        cJSON_ArrayForEach(o, cc2)
            doc_row(d, jget_str(o, "gra"), jget_str(o, "baseline"), count_of(o, "records"),
                    fmt("%.3g", jget_num(o, "gra_flops", NAN)),
                    fmt("%.3g", jget_num(o, "baseline_flops", NAN)),
                    num(jget_num(o, "flops_ratio", NAN), 3), count_of(o, "gra_tokens"),
                    count_of(o, "baseline_tokens"), num(jget_num(o, "tokens_ratio", NAN), 3));
        doc_table_end(d);
    }
    const cJSON *dcn = obj(s, "decontamination");
    if (cJSON_GetArraySize(dcn) > 0) {
        doc_h(d, 3, "decontamination", "Decontamination overlap");
        doc_p(d, "From gra decontam: records of a dataset that share a word n-gram with a "
                 "benchmark test item.");
        static const char *const dc2[] = {"file",
                                          "dataset",
                                          "n-gram",
                                          "records",
                                          "benchmark",
                                          "items",
                                          "records sharing an n-gram",
                                          "items hit",
                                          "source",
                                          NULL};
        doc_table(d, dc2);
        cJSON_ArrayForEach(o, dcn)
        {
            const cJSON *x = obj(o, "data"), *b;
            const char *r = fmt("@%d", (int)jget_num(o, "input", 0));
            const char *dsn = jget_str(x, "dataset") ? jget_str(x, "dataset") : "-";
            if (!cJSON_IsObject(obj(x, "benchmarks")) ||
                cJSON_GetArraySize(obj(x, "benchmarks")) == 0) {
                doc_row(d, jget_str(o, "file"), dsn, count_of(x, "n"), count_of(x, "records"),
                        "(all)", "-", count_of(x, "contaminated_records"), "-", r);
                continue;
            }
            cJSON_ArrayForEach(b, obj(x, "benchmarks"))
                doc_row(d, jget_str(o, "file"), dsn, count_of(x, "n"), count_of(x, "records"),
                        b->string, count_of(b, "items"), count_of(b, "contaminated_records"),
                        count_of(b, "contaminated_items"), r);
        }
        doc_table_end(d);
    }
}

static void section_published(struct doc *d, const cJSON *s)
{
    const cJSON *p = obj(s, "published"), *o;
    if (!p) return;
    doc_h(d, 2, "published", "The paper's Table 1");
    doc_p(d,
          "Source: %s. Each row's average is recomputed from its own cells; rows whose printed AVG "
          "differs by more "
          "than the table's rounding (0.005) are listed.",
          jget_str(p, "source"));
    const cJSON *mm = obj(p, "avg_mismatches");
    doc_p(d, "%d of %d rows print an average that is not the mean of their cells.",
          cJSON_GetArraySize(mm), cJSON_GetArraySize(obj(p, "rows")));
    if (cJSON_GetArraySize(mm) > 0) {
        static const char *const cols[] = {"student",       "seed",       "data", "AVG printed",
                                           "mean of cells", "difference", NULL};
        doc_table(d, cols);
        cJSON_ArrayForEach(o, mm) doc_row(
            d, jget_str(o, "student"), jget_str(o, "seed"), jget_str(o, "data"),
            num(jget_num(o, "avg_reported", NAN), 2), num(jget_num(o, "avg_recomputed", NAN), 3),
            fmt("%+.3f", jget_num(o, "difference", NAN)));
        doc_table_end(d);
    }
    const cJSON *h = obj(p, "headline");
    if (cJSON_GetArraySize(h) > 0) {
        static const char *const cols[] = {
            "student", "data", "seed sets", "mean of recomputed AVG", "mean of printed AVG", NULL};
        doc_table(d, cols);
        cJSON_ArrayForEach(o, h)
            doc_row(d, jget_str(o, "student"), jget_str(o, "data"), count_of(o, "seed_sets"),
                    num(jget_num(o, "avg_recomputed", NAN), 2),
                    num(jget_num(o, "avg_of_reported", NAN), 2));
        doc_table_end(d);
    }
    const cJSON *rep = obj(p, "reproduction");
    cJSON_ArrayForEach(o, rep)
    {
        const cJSON *row = obj(o, "row");
        char *t = xasprintf("Reproduction: %s vs %s / %s / %s", jget_str(o, "student"),
                            jget_str(row, "student"), jget_str(row, "seed"), jget_str(row, "data"));
        doc_h(d, 3, "reproduction", t);
        free(t);
        static const char *const cols[] = {"column", "benchmark", "published", "reproduced",
                                           "95% CI", "delta",     NULL};
        doc_table(d, cols);
        const cJSON *c;
        cJSON_ArrayForEach(c, obj(o, "columns"))
        {
            const cJSON *ci = obj(c, "ci");
            doc_row(d, jget_str(c, "column"),
                    jget_str(c, "benchmark") ? jget_str(c, "benchmark") : "-",
                    num(jget_num(c, "published", NAN), 2), num(jget_num(c, "reproduced", NAN), 2),
                    cJSON_GetArraySize(ci) == 2
                        ? fmt("[%.2f, %.2f]", cJSON_GetArrayItem(ci, 0)->valuedouble,
                              cJSON_GetArrayItem(ci, 1)->valuedouble)
                        : "-",
                    isfinite(jget_num(c, "delta", NAN)) ? fmt("%+.2f", jget_num(c, "delta", NAN))
                                                        : "-");
        }
        doc_table_end(d);
        doc_p(d,
              "Average over the %.0f columns both have: reproduced %s, published %s (the published "
              "row's own AVG: "
              "printed %s, recomputed %s).",
              jget_num(o, "n_columns", 0), num(jget_num(o, "avg_reproduced", NAN), 2),
              num(jget_num(o, "avg_published_same_columns", NAN), 2),
              num(jget_num(o, "avg_published_printed", NAN), 2),
              num(jget_num(o, "avg_published_recomputed", NAN), 3));
    }
}

static const char CSS[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1200px;margin:1.5em auto;padding:0 "
    "1em;color:#222}"
    "table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}th{background:#f0f3f7}"
    "td{font-variant-numeric:tabular-nums}figure{margin:1em 0 2em}figure "
    "svg{max-width:100%;height:auto}"
    "figcaption{font-size:13px;color:#444}.banner{background:#b00020;color:#fff;font-weight:bold;"
    "padding:0.8em 1em;"
    "font-size:20px;letter-spacing:0.05em}code{font-size:12px}.missing{color:#b00020}";

int render_report(const struct report_ctx *ctx)
{
    const cJSON *s = ctx->summary, *o;
    struct doc d;
    memset(&d, 0, sizeof d);
    d.ctx = ctx;
    buf_init(&d.md, 0);
    buf_init(&d.html, 0);
    buf_puts(&d.html, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<title>gra report</title><style>");
    buf_puts(&d.html, CSS);
    buf_puts(&d.html, "</style></head><body>\n");
    bool sim = cJSON_IsTrue(obj(s, "simulated"));
    if (sim) {
        buf_puts(&d.md,
                 "> **SIMULATED**: built from inputs produced by gra serve-sim (simulated models). "
                 "These numbers describe the simulation, not real models.\n\n");
        buf_puts(
            &d.html,
            "<div class=\"banner\" id=\"simulated\">SIMULATED: built from inputs produced by gra "
            "serve-sim "
            "(simulated models). These numbers describe the simulation, not real models.</div>\n");
    }
    doc_h(&d, 1, "top", sim ? "gra report (SIMULATED)" : "gra report");
    const char *run = jget_str(s, "run_dir");
    doc_p(&d,
          "Generated by gra %s from %s. Config: %s (sha256 %s). Report settings: margin %g points, "
          "alpha %g, "
          "bootstrap B = %ld, seed %llu, power %g.",
          jget_str(s, "gra_version"), run ? run : "results files",
          jget_str(obj(s, "config"), "file") ? jget_str(obj(s, "config"), "file") : "defaults",
          jget_str(obj(s, "config"), "sha256") ? jget_str(obj(s, "config"), "sha256") : "-",
          ctx->cfg.margin, ctx->cfg.alpha, ctx->cfg.bootstrap_b, (unsigned long long)ctx->cfg.seed,
          ctx->cfg.power);
    /* contents: the sections this summary will have */
    static const struct {
        const char *key, *id, *title;
    } toc[] = {{"accuracy", "accuracy", "Accuracy"},
               {"comparisons", "comparisons", "Paired comparisons"},
               {"figures", "figures", "Figures"},
               {"datasets", "datasets", "Data-level metrics"},
               {"published", "published", "The paper's Table 1"},
               {"notes", "notes", "Notes"}};
    buf_puts(&d.md, "Contents:");
    buf_puts(&d.html, "<p>Contents:");
    for (size_t i = 0; i < GRA_ARRAY_LEN(toc); i++) {
        const cJSON *x = obj(s, toc[i].key);
        if (!x || (cJSON_IsArray(x) && cJSON_GetArraySize(x) == 0)) continue;
        buf_appendf(&d.md, " [%s](#%s) |", toc[i].title, toc[i].id);
        buf_appendf(&d.html, " <a href=\"#%s\">%s</a> |", toc[i].id, toc[i].title);
    }
    buf_puts(&d.md, " [Lineage](#lineage)\n\n");
    buf_puts(&d.html, " <a href=\"#lineage\">Lineage</a></p>\n");
    section_results(&d, s);
    section_comparisons(&d, s);
    const cJSON *figs = obj(s, "figures");
    if (cJSON_GetArraySize(figs) > 0) {
        doc_h(&d, 2, "figures", "Figures");
        cJSON_ArrayForEach(o, figs)
        {
            doc_h(&d, 3, fmt("h-%s", jget_str(o, "name")), jget_str(o, "title"));
            doc_figure(&d, o);
        }
    }
    section_datasets(&d, s);
    section_published(&d, s);
    const cJSON *notes = obj(s, "notes");
    if (cJSON_GetArraySize(notes) > 0) {
        doc_h(&d, 2, "notes", "Notes");
        cJSON_ArrayForEach(o, notes) doc_p(&d, "- %s", o->valuestring);
    }
    doc_h(&d, 2, "lineage", "Lineage");
    const cJSON *man = obj(s, "manifest");
    if (man)
        doc_p(&d, "Run manifest: config %s, config sha256 %s, seed %s.",
              jget_str(man, "config") ? jget_str(man, "config") : "-",
              jget_str(man, "config_sha256") ? jget_str(man, "config_sha256") : "-",
              cJSON_IsNumber(obj(man, "seed"))   ? fmt("%.0f", obj(man, "seed")->valuedouble)
              : cJSON_IsString(obj(man, "seed")) ? obj(man, "seed")->valuestring
                                                 : "-");
    static const char *const lc[] = {"in", "role", "path", "sha256", "simulated", NULL};
    doc_table(&d, lc);
    int i = 0;
    cJSON_ArrayForEach(o, obj(obj(s, "lineage"), "inputs"))
    {
        buf_appendf(&d.html, "<tr id=\"lin%d\" hidden></tr>", i);
        doc_row(&d, fmt("%d", i), jget_str(o, "role"), jget_str(o, "path"), jget_str(o, "sha256"),
                cJSON_IsTrue(obj(o, "simulated")) ? "yes" : "no");
        i++;
    }
    doc_table_end(&d);
    buf_puts(&d.html, "</body></html>\n");
    int rc = d.rc;
    char *md = path_join(ctx->out_dir, "report.md"), *html = path_join(ctx->out_dir, "report.html");
    if (!rc) rc = fileio_write_atomic(md, d.md.data, d.md.len);
    if (!rc) rc = fileio_write_atomic(html, d.html.data, d.html.len);
    free(md);
    free(html);
    buf_release(&d.md);
    buf_release(&d.html);
    return rc;
}
