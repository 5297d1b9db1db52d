/*
 * plot: the report's figures, drawn by gnuplot (research/c-style.md 5).
 *
 * Each figure is three files in OUT/figures/: NAME.tsv (the numbers, with a
 * "#" header; series are gnuplot index blocks), NAME.gp (a script that draws
 * NAME.svg then NAME.png with pngcairo) and NAME.log (gnuplot's stderr).
 * gnuplot runs through posix_spawnp with an argv (no shell), stdin from
 * /dev/null; a non-zero exit fails the report and names the log. The
 * terminals are noenhanced, so model and benchmark names taken from data are
 * drawn as written (no _ subscripts). Every figure's rows also go into the
 * summary ("figures"), so summary.json holds every number a figure shows.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "reports/report_int.h"

extern char **environ;

#define FONT "DejaVu Sans,11"

struct fig {
    struct report_ctx *ctx;
    char *name, *title, *dir;
    struct buf tsv, gp;
    cJSON *rows, *columns;
    int blocks;
};

/* a gnuplot double-quoted string literal */
static void gp_quote(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') buf_putc(b, '\\');
        if (*s == '\n' || *s == '\t' || *s == '\r')
            buf_putc(b, ' ');
        else
            buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

static void fig_init(struct fig *f, struct report_ctx *ctx, const char *name, const char *title,
                     const char *const *cols)
{
    memset(f, 0, sizeof *f);
    f->ctx = ctx;
    f->name = xstrdup(name);
    for (char *p = f->name; *p; p++) /* a file name from data: keep it plain */
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            *p = '_';
    f->title = xstrdup(title);
    f->dir = path_join(ctx->out_dir, "figures");
    buf_init(&f->tsv, 0);
    buf_init(&f->gp, 0);
    f->rows = cJSON_CreateArray();
    f->columns = cJSON_CreateArray();
    buf_puts(&f->tsv, "#");
    for (int i = 0; cols[i]; i++) {
        buf_appendf(&f->tsv, "%s%s", i ? "\t" : " ", cols[i]);
        cJSON_AddItemToArray(f->columns, cJSON_CreateString(cols[i]));
    }
    buf_putc(&f->tsv, '\n');
}

static void fig_release(struct fig *f)
{
    free(f->name);
    free(f->title);
    free(f->dir);
    buf_release(&f->tsv);
    buf_release(&f->gp);
    cJSON_Delete(f->rows);
    cJSON_Delete(f->columns);
}

/* start a new gnuplot index block (not before the first) */
static void fig_block(struct fig *f)
{
    if (f->blocks++) buf_puts(&f->tsv, "\n\n");
}

/* one row: fmt has one char per cell, 's' string or 'd' double */
static void fig_row(struct fig *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cJSON *row = cJSON_CreateArray();
    for (int i = 0; fmt[i]; i++) {
        if (i) buf_putc(&f->tsv, '\t');
        if (fmt[i] == 's') {
            const char *s = va_arg(ap, const char *);
            buf_putc(&f->tsv, '"');
            for (const char *p = s; *p; p++)
                buf_putc(&f->tsv, (*p == '\t' || *p == '\n' || *p == '"') ? ' ' : *p);
            buf_putc(&f->tsv, '"');
            cJSON_AddItemToArray(row, cJSON_CreateString(s));
        } else {
            double v = va_arg(ap, double);
            if (isfinite(v))
                buf_appendf(&f->tsv, "%.10g", v);
            else
                buf_puts(&f->tsv, "NaN");
            cJSON_AddItemToArray(row, jnum(v));
        }
    }
    buf_putc(&f->tsv, '\n');
    cJSON_AddItemToArray(f->rows, row);
    va_end(ap);
}

static char *fig_file(const struct fig *f, const char *ext)
{
    char *base = xasprintf("%s.%s", f->name, ext);
    char *p = path_join(f->dir, base);
    free(base);
    return p;
}

/* header of the script: terminal, output, data settings; w x h pixels */
static void gp_head(struct fig *f, int w, int h)
{
    char *svg = fig_file(f, "svg"), *tsv = fig_file(f, "tsv");
    struct buf *g = &f->gp;
    buf_appendf(g, "# %s: drawn by gra report; data in %s.tsv\n", f->name, f->name);
    buf_appendf(g, "set terminal svg size %d,%d noenhanced font \"%s\" background rgb \"white\"\n",
                w, h, FONT);
    buf_puts(g, "set output ");
    gp_quote(g, svg);
    buf_puts(g,
             "\nset encoding utf8\nset datafile separator \"\\t\"\nset datafile missing \"NaN\"\n"
             "set datafile commentschars \"#\"\nset title ");
    gp_quote(g, f->title);
    buf_puts(g, "\ndata = ");
    gp_quote(g, tsv);
    buf_puts(g, "\n");
    free(svg);
    free(tsv);
}

static void gp_tail(struct fig *f, int w, int h)
{
    char *png = fig_file(f, "png");
    buf_appendf(
        &f->gp,
        "set terminal pngcairo size %d,%d noenhanced font \"%s\" background rgb \"white\"\n", w, h,
        FONT);
    buf_puts(&f->gp, "set output ");
    gp_quote(&f->gp, png);
    buf_puts(&f->gp, "\nreplot\nset output\n");
    free(png);
}

static int run_gnuplot(const char *script, const char *log)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char *argv[] = {"gnuplot", (char *)script, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return err(GRA_EEXTERNAL, "cannot run gnuplot: %s (install gnuplot-nox)", strerror(rc));
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return err(GRA_EEXTERNAL, "waitpid gnuplot: %s", strerror(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char *text = NULL;
        size_t n = 0;
        fileio_read(log, &text, &n);
        int e = err(GRA_EEXTERNAL, "gnuplot %s failed (%s %d): %s", script,
                    WIFEXITED(st) ? "exit" : "signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), text ? text : "(no log)");
        free(text);
        return e;
    }
    return 0;
}

/* write the files, run gnuplot, record the figure in the summary */
static int fig_finish(struct fig *f, cJSON *figs, const char *caption)
{
    char *tsv = fig_file(f, "tsv"), *gp = fig_file(f, "gp"), *log = fig_file(f, "log");
    int rc = fileio_write_atomic(tsv, f->tsv.data, f->tsv.len);
    if (!rc) rc = fileio_write_atomic(gp, f->gp.data, f->gp.len);
    if (!rc && f->ctx->cfg.plots) rc = run_gnuplot(gp, log);
    if (!rc) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", f->name);
        cJSON_AddStringToObject(o, "title", f->title);
        cJSON_AddStringToObject(o, "caption", caption);
        char *rel = xasprintf("figures/%s.svg", f->name);
        cJSON_AddStringToObject(o, "svg", rel);
        free(rel);
        rel = xasprintf("figures/%s.png", f->name);
        cJSON_AddStringToObject(o, "png", rel);
        free(rel);
        rel = xasprintf("figures/%s.tsv", f->name);
        cJSON_AddStringToObject(o, "tsv", rel);
        free(rel);
        rel = xasprintf("figures/%s.gp", f->name);
        cJSON_AddStringToObject(o, "gp", rel);
        free(rel);
        cJSON_AddBoolToObject(o, "drawn", f->ctx->cfg.plots);
        cJSON *data = cJSON_AddObjectToObject(o, "data");
        cJSON_AddItemToObject(data, "columns", f->columns);
        cJSON_AddItemToObject(data, "rows", f->rows);
        f->columns = f->rows = NULL;
        cJSON_AddItemToArray(figs, o);
    }
    free(tsv);
    free(gp);
    free(log);
    fig_release(f);
    return rc;
}

static const cJSON *arr(const cJSON *o, const char *k)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsArray(a) ? a : NULL;
}

static double arr_num(const cJSON *a, int i)
{
    const cJSON *v = cJSON_GetArrayItem(a, i);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* ---- figure 1: accuracy per benchmark with bootstrap intervals ---- */
static int fig_accuracy(struct report_ctx *ctx, cJSON *figs)
{
    const struct results *r = &ctx->res;
    const cJSON *acc = arr(ctx->summary, "accuracy");
    if (!acc || cJSON_GetArraySize(acc) == 0) return 0;
    struct fig f;
    static const char *const cols[] = {"x",          "student",     "benchmark", "accuracy_pct",
                                       "ci_low_pct", "ci_high_pct", NULL};
    fig_init(&f, ctx, "accuracy", "Accuracy per benchmark (95% percentile bootstrap interval)",
             cols);
    int S = r->n_students, K = r->n_benchmarks;
    double w = 0.8 / S;
    for (int s = 0; s < S; s++) {
        fig_block(&f);
        const cJSON *o;
        cJSON_ArrayForEach(o, acc)
        {
            if (strcmp(jget_str(o, "student"), r->students[s])) continue;
            int k = 0;
            while (k < K && strcmp(r->benchmarks[k], jget_str(o, "benchmark"))) k++;
            const cJSON *ci = arr(o, "bootstrap");
            fig_row(&f, "dssddd", k + (s - (S - 1) / 2.0) * w, r->students[s], r->benchmarks[k],
                    100 * jget_num(o, "accuracy", NAN), 100 * arr_num(ci, 0), 100 * arr_num(ci, 1));
        }
    }
    /* the canvas widens with the number of benchmarks (and students); when the
     * labels still do not fit their slots they are rotated */
    size_t longest = 0, maxs = 0;
    for (int k = 0; k < K; k++)
        if (strlen(r->benchmarks[k]) > longest) longest = strlen(r->benchmarks[k]);
    for (int s = 0; s < S; s++)
        if (strlen(r->students[s]) > maxs) maxs = strlen(r->students[s]);
    int key_px = 60 + 8 * (int)maxs; /* the key, outside on the right */
    int slot = 40 + 22 * S;          /* pixels per benchmark */
    if (slot < 90) slot = 90;
    int W = 140 + key_px + slot * K, H = 520;
    if (W > 2400) W = 2400;
    if (W < 720) W = 720;
    double slot_px = (double)(W - 140 - key_px) / K;
    bool rotate = longest * 7.5 > slot_px * 0.9;
    if (rotate) H += (int)(longest * 5.5);
    gp_head(&f, W, H);
    struct buf *g = &f.gp;
    if (rotate) buf_puts(g, "set xtics rotate by -35 left\n");
    buf_appendf(
        g,
        "set ylabel \"accuracy (%%)\"\nset yrange [0:100]\nset xrange [-0.6:%f]\nset grid ytics\n"
        "set key outside right top\nset xtics (",
        K - 0.4);
    for (int k = 0; k < K; k++) {
        if (k) buf_puts(g, ", ");
        gp_quote(g, r->benchmarks[k]);
        buf_appendf(g, " %d", k);
    }
    buf_puts(g, ")\nplot ");
    for (int s = 0; s < S; s++) {
        buf_appendf(g, "%sdata index %d using 1:4:5:6 with yerrorbars pt 7 ps 0.9 lw 1.5 title ",
                    s ? ", \\\n  " : "", s);
        gp_quote(g, r->students[s]);
    }
    buf_puts(g, "\n");
    gp_tail(&f, W, H);
    return fig_finish(
        &f, figs,
        "Points: accuracy (pass@1 for code); bars: 95% percentile bootstrap interval over items.");
}

/* ---- figure 2: forest plot of paired differences ---- */
static int fig_forest(struct report_ctx *ctx, cJSON *figs)
{
    const cJSON *cmp = arr(ctx->summary, "comparisons");
    int R = cmp ? cJSON_GetArraySize(cmp) : 0;
    if (R == 0) return 0;
    struct fig f;
    static const char *const cols[] = {"y", "label", "diff_pts", "ci_low_pts", "ci_high_pts", NULL};
    char *title = xasprintf(
        "Paired differences a - b (points, 95%% paired bootstrap) vs equivalence band +/-%g",
        ctx->cfg.margin);
    fig_init(&f, ctx, "forest", title, cols);
    free(title);
    fig_block(&f);
    int i = 0;
    const cJSON *o;
    char **labels = xcalloc((size_t)R, sizeof *labels);
    cJSON_ArrayForEach(o, cmp)
    {
        const cJSON *ci = arr(o, "ci");
        labels[i] =
            xasprintf("%s: %s - %s", jget_str(o, "benchmark"), jget_str(o, "a"), jget_str(o, "b"));
        fig_row(&f, "dsddd", (double)(R - 1 - i), labels[i], jget_num(o, "diff", NAN),
                arr_num(ci, 0), arr_num(ci, 1));
        i++;
    }
    /* the left margin holds the longest label (gnuplot margins count
     * characters; a little more for proportional glyphs wider than average) */
    size_t longest = 0;
    for (int k = 0; k < R; k++)
        if (strlen(labels[k]) > longest) longest = strlen(labels[k]);
    int lmargin = (int)longest + 3;
    if (lmargin < 12) lmargin = 12;
    int W = 720 + lmargin * 8, H = 160 + 26 * R;
    if (W < 1000) W = 1000;
    if (H < 300) H = 300;
    gp_head(&f, W, H);
    struct buf *g = &f.gp;
    double m = ctx->cfg.margin;
    buf_appendf(
        g,
        "set xlabel \"difference (points)\"\nset yrange [-0.8:%f]\nset grid xtics\nunset key\n"
        "set lmargin %d\n"
        "set object 1 rect from %g, graph 0 to %g, graph 1 fc rgb \"#cfe3ff\" fs solid 0.6 "
        "noborder behind\n"
        "set arrow 1 from 0, graph 0 to 0, graph 1 nohead lc rgb \"#555555\" dt 2\n"
        "set ytics (",
        R - 0.2, lmargin, -m, m);
    for (int k = 0; k < R; k++) {
        if (k) buf_puts(g, ", ");
        gp_quote(g, labels[k]);
        buf_appendf(g, " %d", R - 1 - k);
        free(labels[k]);
    }
    free(labels);
    buf_puts(
        g,
        ")\nplot data using 3:1:4:5 with xerrorbars pt 7 ps 1 lw 1.5 lc rgb \"#1f4e9c\" notitle\n");
    gp_tail(&f, W, H);
    return fig_finish(&f, figs,
                      "Points: difference a - b in points; bars: 95% paired bootstrap interval. "
                      "Shaded: the equivalence "
                      "band (+/- margin); dashed: zero. Parity is a claim about the band.");
}

static const cJSON *datasets_of(struct report_ctx *ctx)
{
    return arr(ctx->summary, "datasets");
}

/* ---- figure 3: rounds curve ---- */
static int fig_rounds(struct report_ctx *ctx, cJSON *figs)
{
    const cJSON *ds = datasets_of(ctx), *d;
    int n = 0;
    cJSON_ArrayForEach(d, ds) if (cJSON_GetArraySize(arr(d, "rounds")) > 0) n++;
    if (n == 0) return 0;
    struct fig f;
    static const char *const cols[] = {"round",           "dataset",      "cumulative_kept",
                                       "acceptance_rate", "mu_kept_mean", NULL};
    fig_init(&f, ctx, "rounds", "Rounds: cumulative kept records and acceptance rate", cols);
    char **names = xcalloc((size_t)n, sizeof *names);
    int k = 0;
    cJSON_ArrayForEach(d, ds)
    {
        const cJSON *rs = arr(d, "rounds"), *r;
        if (cJSON_GetArraySize(rs) == 0) continue;
        names[k++] = xstrdup(jget_str(d, "name"));
        fig_block(&f);
        cJSON_ArrayForEach(r, rs)
            fig_row(&f, "dsddd", jget_num(r, "round", NAN), jget_str(d, "name"),
                    jget_num(r, "cumulative_kept", NAN), jget_num(r, "acceptance_rate", NAN),
                    jget_num(r, "mu_kept_mean", NAN));
    }
    gp_head(&f, 960, 520);
    struct buf *g = &f.gp;
    buf_puts(g, "set xlabel \"round\"\nset ylabel \"cumulative kept records\"\nset y2label "
                "\"acceptance rate\"\n"
                "set y2range [0:1]\nset y2tics\nset ytics nomirror\nset xtics 1\nset grid\nset key "
                "outside right top\n"
                "plot ");
    for (int i = 0; i < n; i++) {
        buf_appendf(g, "%sdata index %d using 1:3 with linespoints pt 7 lw 2 lc %d title ",
                    i ? ", \\\n  " : "", i, i + 1);
        gp_quote(g, names[i]);
        buf_appendf(g,
                    ", data index %d using 1:4 axes x1y2 with linespoints dt 2 pt 6 lc %d title ",
                    i, i + 1);
        char *t = xasprintf("%s acceptance", names[i]);
        gp_quote(g, t);
        free(t);
        free(names[i]);
    }
    free(names);
    buf_puts(g, "\n");
    gp_tail(&f, 960, 520);
    return fig_finish(
        &f, figs,
        "Solid: cumulative kept records by round; dashed: share of the round's samples kept.");
}

/* ---- figures 4/5: score histograms and mu/sigma scatter per dataset ---- */
static int fig_scores(struct report_ctx *ctx, cJSON *figs)
{
    const cJSON *ds = datasets_of(ctx), *d;
    int rc = 0;
    cJSON_ArrayForEach(d, ds)
    {
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(d, "scores");
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(sc, "histogram");
        const char *name = jget_str(d, "name");
        double nrev = jget_num(cJSON_GetObjectItemCaseSensitive(sc, "reviewer"), "n", 0);
        if (nrev > 0) {
            struct fig f;
            static const char *const cols[] = {"bin_centre", "reviewer", "adjudicator", "mu", NULL};
            char *fname = xasprintf("scores_%s", name),
                 *title = xasprintf("%s: score distributions", name);
            fig_init(&f, ctx, fname, title, cols);
            fig_block(&f);
            const cJSON *hr = arr(h, "reviewer"), *ha = arr(h, "adjudicator"), *hm = arr(h, "mu");
            for (int b = 0; b < 20; b++)
                fig_row(&f, "dddd", 0.25 + 0.5 * b, arr_num(hr, b), arr_num(ha, b), arr_num(hm, b));
            gp_head(&f, 900, 480);
            buf_puts(&f.gp, "set xlabel \"score (0-10)\"\nset ylabel \"count\"\nset xrange "
                            "[0:10]\nset yrange [0:*]\n"
                            "set style fill transparent solid 0.45 noborder\nset boxwidth "
                            "0.45\nset grid ytics\nset key top left\n"
                            "plot data using ($1-0.12):2 with boxes lc rgb \"#1f77b4\" title "
                            "\"reviewer scores\", \\\n"
                            "  data using ($1+0.12):3 with boxes lc rgb \"#d62728\" title "
                            "\"adjudicator scores\", \\\n"
                            "  data using 1:4 with linespoints pt 7 lw 2 lc rgb \"#2ca02c\" title "
                            "\"committee mean mu\"\n");
            gp_tail(&f, 900, 480);
            rc = fig_finish(&f, figs,
                            "Reviewer scores (mean of six dimensions), adjudicator scores and the "
                            "committee mean, bins of 0.5.");
            free(fname);
            free(title);
            if (rc) return rc;
        }
        const cJSON *pts = arr(sc, "mu_sigma");
        if (cJSON_GetArraySize(pts) == 0) continue;
        static const char *const verdicts[] = {"accepted", "adjudicated_kept",
                                               "adjudicator_rejected", "mu_rejected", "other"};
        static const char *const colours[] = {"#2ca02c", "#1f77b4", "#d62728", "#7f7f7f",
                                              "#ff7f0e"};
        struct fig f;
        static const char *const cols[] = {"mu", "sigma", "verdict", NULL};
        char *fname = xasprintf("musigma_%s", name),
             *title = xasprintf("%s: committee mean vs spread", name);
        fig_init(&f, ctx, fname, title, cols);
        int used[5] = {0}, nb = 0;
        for (int v = 0; v < 5; v++) {
            const cJSON *p;
            int any = 0;
            cJSON_ArrayForEach(
                p, pts) if (!strcmp(cJSON_GetArrayItem(p, 2)->valuestring, verdicts[v])) any = 1;
            if (!any) continue;
            fig_block(&f);
            used[v] = 1 + nb++;
            cJSON_ArrayForEach(p,
                               pts) if (!strcmp(cJSON_GetArrayItem(p, 2)->valuestring, verdicts[v]))
                fig_row(&f, "dds", arr_num(p, 0), arr_num(p, 1), verdicts[v]);
        }
        double tau = jget_num(sc, "tau", 8), delta = jget_num(sc, "delta", 1.5);
        gp_head(&f, 900, 560);
        buf_appendf(
            &f.gp,
            "set xlabel \"committee mean mu\"\nset ylabel \"committee spread sigma\"\nset xrange "
            "[0:10.2]\n"
            "set yrange [0:*]\nset grid\nset key outside right top\n"
            "set arrow 1 from %g, graph 0 to %g, graph 1 nohead lw 1.5 dt 2 lc rgb \"#000000\"\n"
            "set arrow 2 from graph 0, first %g to graph 1, first %g nohead lw 1.5 dt 2 lc rgb "
            "\"#000000\"\n"
            "set label 1 \"tau = %g\" at %g, graph 0.97 left offset 0.5,0\n"
            "set label 2 \"delta = %g\" at graph 0.02, first %g offset 0,0.7\nplot ",
            tau, tau, delta, delta, tau, tau, delta, delta);
        int first = 1;
        for (int v = 0; v < 5; v++) {
            if (!used[v]) continue;
            buf_appendf(
                &f.gp,
                "%sdata index %d using 1:2 with points pt 7 ps 0.6 lc rgb \"%s\" title \"%s\"",
                first ? "" : ", \\\n  ", used[v] - 1, colours[v], verdicts[v]);
            first = 0;
        }
        buf_puts(&f.gp, "\n");
        gp_tail(&f, 900, 560);
        rc = fig_finish(
            &f, figs,
            "Each sample the committee scored: accept when mu >= tau and sigma <= delta; "
            "adjudicate when sigma > delta; reject when mu < tau.");
        free(fname);
        free(title);
        if (rc) return rc;
    }
    return 0;
}

/* macro accuracy of the student trained on a dataset, when the manifest says which */
static double student_quality(struct report_ctx *ctx, const char *dataset)
{
    const char *student = NULL;
    for (int i = 0; i < ctx->cfg.n_sd && !student; i++)
        if (!strcmp(ctx->cfg.sd_datasets[i], dataset)) student = ctx->cfg.sd_students[i];
    const cJSON *st =
        ctx->manifest ? cJSON_GetObjectItemCaseSensitive(ctx->manifest, "students") : NULL;
    const cJSON *s;
    if (!student) cJSON_ArrayForEach(s, st)
        {
            const char *dsn = jget_str(s, "dataset");
            if (dsn && !strcmp(dsn, dataset)) student = s->string ? s->string : jget_str(s, "name");
        }
    if (!student) return NAN;
    const cJSON *m;
    cJSON_ArrayForEach(
        m, arr(ctx->summary, "macro")) if (!strcmp(jget_str(m, "student"), student)) return 100 *
        jget_num(m, "accuracy", NAN);
    return NAN;
}

/* ---- figure 6: cost vs quality ---- */
static int fig_cost(struct report_ctx *ctx, cJSON *figs)
{
    const cJSON *ds = datasets_of(ctx), *d;
    int n = 0;
    bool flops = true, acc = false;
    cJSON_ArrayForEach(d, ds)
    {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(d, "cost");
        if (!isfinite(jget_num(c, "flops_per_kept", NAN))) flops = false;
        if (isfinite(jget_num(c, "tokens_per_kept", NAN)) && jget_num(c, "tokens_per_kept", 0) > 0)
            n++;
        if (isfinite(student_quality(ctx, jget_str(d, "name")))) acc = true;
    }
    if (n == 0) return 0;
    struct fig f;
    static const char *const cols[] = {"dataset", "cost_per_kept", "mu_kept_mean",
                                       "student_macro_accuracy_pct", NULL};
    fig_init(&f, ctx, "cost_quality",
             flops ? "Cost vs quality: FLOPs per kept record"
                   : "Cost vs quality: tokens per kept record",
             cols);
    fig_block(&f);
    cJSON_ArrayForEach(d, ds)
    {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(d, "cost");
        double x = jget_num(c, flops ? "flops_per_kept" : "tokens_per_kept", NAN);
        if (!isfinite(x) || x <= 0) continue;
        double q = jget_num(cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(d, "scores"), "mu_kept"),
                            "mean", NAN);
        fig_row(&f, "sddd", jget_str(d, "name"), x, q, student_quality(ctx, jget_str(d, "name")));
    }
    gp_head(&f, 900, 540);
    buf_appendf(&f.gp,
                "set xlabel \"%s per kept record (log scale)\"\nset logscale x\nset ylabel \"mean "
                "committee score mu of kept records\"\n"
                "set grid\nset key outside right top\nset offsets graph 0.1, graph 0.1, graph 0.1, "
                "graph 0.1\n",
                flops ? "FLOPs" : "tokens");
    if (acc)
        buf_puts(&f.gp,
                 "set y2label \"student macro accuracy (%)\"\nset y2tics\nset ytics nomirror\n");
    buf_puts(&f.gp, "plot data using 2:3 with points pt 7 ps 1.4 lc rgb \"#1f4e9c\" title \"data "
                    "quality (mu)\", \\\n"
                    "  data using 2:3:1 with labels offset 1,0.8 left notitle");
    if (acc)
        buf_puts(&f.gp, ", \\\n  data using 2:4 axes x1y2 with points pt 5 ps 1.2 lc rgb "
                        "\"#d62728\" title \"student accuracy\""
                        ", \\\n  data using 2:4:1 axes x1y2 with labels offset 1,-0.8 left tc rgb "
                        "\"#d62728\" notitle");
    buf_puts(&f.gp, "\n");
    gp_tail(&f, 900, 540);
    return fig_finish(&f, figs,
                      "Each point is a dataset: its synthesis cost per kept record against the "
                      "committee's mean score of what it kept"
                      " (and the macro accuracy of the student trained on it when the manifest "
                      "maps students to datasets).");
}

/* ---- figure 7: ablation curves over a grid parameter (ablation_figure) ---- */

static int cmp_double_asc(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* ---- figure 8: cost per kept record by role, stacked per dataset ---- */
static int fig_cost_roles(struct report_ctx *ctx, cJSON *figs)
{
    const cJSON *ds = datasets_of(ctx), *d, *e;
    /* the roles, in order of first appearance */
    char *roles[16];
    int nr = 0, nd = 0;
    bool flops = true;
    cJSON_ArrayForEach(d, ds)
    {
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(d, "cost"), "per_role");
        if (cJSON_GetArraySize(pr) == 0) continue;
        nd++;
        cJSON_ArrayForEach(e, pr)
        {
            if (!isfinite(jget_num(e, "flops_per_kept", NAN))) flops = false;
            int k = 0;
            while (k < nr && strcmp(roles[k], e->string)) k++;
            if (k == nr && nr < 16) roles[nr++] = e->string;
        }
    }
    if (nd == 0 || nr == 0) return 0;
    const char *what = flops ? "flops_per_kept" : "tokens_per_kept";
    struct fig f;
    static const char *const cols[] = {"dataset", "role", "per_kept_record", "stacked_top", NULL};
    fig_init(&f, ctx, "cost_roles",
             flops ? "FLOPs per kept record by role" : "Tokens per kept record by role", cols);
    /* one block per role: x = dataset index, stacked by cumulative sums */
    double *base = xcalloc((size_t)nd, sizeof *base);
    char **names = xcalloc((size_t)nd, sizeof *names);
    for (int r = 0; r < nr; r++) {
        fig_block(&f);
        int i = 0;
        cJSON_ArrayForEach(d, ds)
        {
            const cJSON *pr = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(d, "cost"), "per_role");
            if (cJSON_GetArraySize(pr) == 0) continue;
            names[i] = (char *)jget_str(d, "name");
            double v = jget_num(cJSON_GetObjectItemCaseSensitive(pr, roles[r]), what, 0);
            if (!isfinite(v)) v = 0;
            base[i] += v;
            fig_row(&f, "ssdd", names[i], roles[r], v, base[i]);
            i++;
        }
    }
    gp_head(&f, 900, 520);
    struct buf *g = &f.gp;
    buf_appendf(
        g,
        "set ylabel \"%s per kept record\"\nset style fill solid 0.8 border -1\nset boxwidth 0.6\n"
        "set grid ytics\nset key outside right top\nset yrange [0:*]\nset xrange [-0.6:%f]\nset "
        "xtics (",
        flops ? "FLOPs" : "tokens", nd - 0.4);
    for (int i = 0; i < nd; i++) {
        if (i) buf_puts(g, ", ");
        gp_quote(g, names[i]);
        buf_appendf(g, " %d", i);
    }
    /* stacked bars: each role's box reaches its cumulative top (column 4);
     * drawn from the top role down so the lower roles cover the rest */
    buf_puts(g, ")\nplot ");
    for (int r = nr - 1; r >= 0; r--) {
        buf_appendf(g, "%sdata index %d using ($0):4 with boxes lc %d title ",
                    r == nr - 1 ? "" : ", \\\n  ", r, r + 1);
        gp_quote(g, roles[r]);
    }
    buf_puts(g, "\n");
    gp_tail(&f, 900, 520);
    free(base);
    free(names);
    return fig_finish(&f, figs, "Synthesis cost per kept record, split by role (stacked).");
}

/* the ablation coordinates of a dataset (summary "grid") */
static const char *const abl_coords[] = {"n_reviewers", "n_models",           "role_policy",
                                         "aggregation", "instruction_checks", "rounds"};

/* one coordinate's value as text ("-" when absent); caller frees */
static char *abl_text(const cJSON *d, const char *coord)
{
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "grid"), coord);
    if (cJSON_IsString(v)) return xstrdup(v->valuestring);
    if (cJSON_IsNumber(v)) return xasprintf("%g", v->valuedouble);
    return xstrdup("-");
}

/* the key of d's curve for param: every other coordinate, "k=v, k=v" */
static char *abl_key(const cJSON *d, const char *param)
{
    struct buf b;
    buf_init(&b, 0);
    for (size_t c = 0; c < GRA_ARRAY_LEN(abl_coords); c++) {
        if (!strcmp(abl_coords[c], param)) continue;
        char *t = abl_text(d, abl_coords[c]);
        buf_appendf(&b, "%s%s=%s", b.len ? ", " : "", abl_coords[c], t);
        free(t);
    }
    char *k = xstrdup(b.len ? b.data : "");
    buf_release(&b);
    return k;
}

struct abl_pt {
    const cJSON *d;
    int group; /* index of its curve */
    double x;  /* the value (numeric params) or its category index */
    char *xs;  /* the value as text */
    const char *name;
};

static int cmp_abl_pt(const void *x, const void *y)
{
    const struct abl_pt *a = x, *b = y;
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* the value of a dataset in ablation panel p: 0 committee acceptance, 1 mean
 * mu of the kept records, 2 the macro accuracy of its student (NaN: none) */
static double abl_val(struct report_ctx *ctx, const cJSON *d, int p)
{
    if (p == 0)
        return jget_num(cJSON_GetObjectItemCaseSensitive(d, "committee_acceptance"), "rate", NAN);
    if (p == 1)
        return jget_num(cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetObjectItemCaseSensitive(d, "scores"), "mu_kept"),
                        "mean", NAN);
    return student_quality(ctx, jget_str(d, "name") ? jget_str(d, "name") : "");
}

/* Ablation curves for one (method, param). A curve joins datasets that differ
 * from each other in param only: they are grouped by every other ablation
 * coordinate, a group needs >= 2 distinct values of param, and a dataset
 * with aggregation "none" (no committee) only enters the aggregation curves.
 * Returns 1 when a figure was drawn, 0 when no group qualifies, or <0. */
static int ablation_figure(struct report_ctx *ctx, cJSON *figs, const char *method,
                           const char *param)
{
    const cJSON *ds = datasets_of(ctx), *d;
    int nd = cJSON_GetArraySize(ds);
    if (nd < 2) return 0;
    struct abl_pt *pts = xcalloc((size_t)nd, sizeof *pts);
    char **keys = xcalloc((size_t)nd, sizeof *keys); /* per candidate */
    char **gkeys = xcalloc((size_t)nd, sizeof *gkeys);
    char **cats = xcalloc((size_t)nd, sizeof *cats);
    int np = 0, ng = 0, ncat = 0, rc = 0;
    bool numeric = true;
    cJSON_ArrayForEach(d, ds)
    {
        const char *m = jget_str(d, "method");
        if (!m || strcmp(m, method)) continue;
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(d, "grid");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(g, param);
        if (!cJSON_IsNumber(v) && !cJSON_IsString(v)) continue;
        const cJSON *agg = cJSON_GetObjectItemCaseSensitive(g, "aggregation");
        if (strcmp(param, "aggregation") && cJSON_IsString(agg) &&
            !strcmp(agg->valuestring, "none"))
            continue;
        if (!cJSON_IsNumber(v)) numeric = false;
        pts[np].d = d;
        pts[np].name = jget_str(d, "name") ? jget_str(d, "name") : "?";
        pts[np].xs = abl_text(d, param);
        keys[np] = abl_key(d, param);
        np++;
    }
    /* groups with >= 2 distinct values */
    int *gid = xcalloc((size_t)(np ? np : 1), sizeof *gid);
    for (int i = 0; i < np; i++) gid[i] = -1;
    for (int i = 0; i < np; i++) {
        if (gid[i] != -1) continue;
        bool distinct = false;
        for (int j = i + 1; j < np; j++)
            if (!strcmp(keys[i], keys[j]) && strcmp(pts[i].xs, pts[j].xs)) distinct = true;
        if (!distinct) {
            for (int j = i; j < np; j++)
                if (!strcmp(keys[i], keys[j])) gid[j] = -2;
            continue;
        }
        gkeys[ng] = keys[i];
        for (int j = i; j < np; j++)
            if (!strcmp(keys[i], keys[j])) gid[j] = ng;
        ng++;
    }
    int n = 0;
    for (int i = 0; i < np; i++) {
        if (gid[i] < 0) {
            free(pts[i].xs);
            continue;
        }
        pts[i].group = gid[i];
        pts[n++] = pts[i];
    }
    if (ng == 0) goto out;
    if (!numeric) { /* categories: the values in use, sorted */
        for (int i = 0; i < n; i++) {
            int k = 0;
            while (k < ncat && strcmp(cats[k], pts[i].xs)) k++;
            if (k == ncat) cats[ncat++] = pts[i].xs;
        }
        qsort(cats, (size_t)ncat, sizeof *cats, cmp_str);
    }
    for (int i = 0; i < n; i++) {
        if (numeric)
            pts[i].x = cJSON_GetObjectItemCaseSensitive(
                           cJSON_GetObjectItemCaseSensitive(pts[i].d, "grid"), param)
                           ->valuedouble;
        else
            for (int k = 0; k < ncat; k++)
                if (!strcmp(cats[k], pts[i].xs)) pts[i].x = k;
    }
    qsort(pts, (size_t)n, sizeof *pts, cmp_abl_pt);
    /* the panels that have a value to show */
    int use[3], panels = 0;
    for (int p = 0; p < 3; p++) {
        bool any = false;
        for (int i = 0; i < n && !any; i++) any = isfinite(abl_val(ctx, pts[i].d, p));
        if (any) use[panels++] = p;
    }
    bool student = panels > 0 && use[panels - 1] == 2;
    if (panels == 0) goto out;
    /* the coordinates equal across every curve, and the ones telling curves apart */
    struct buf fixed, varying;
    buf_init(&fixed, 0);
    buf_init(&varying, 0);
    for (size_t c = 0; c < GRA_ARRAY_LEN(abl_coords); c++) {
        if (!strcmp(abl_coords[c], param)) continue;
        char *t0 = abl_text(pts[0].d, abl_coords[c]);
        bool same = true;
        for (int i = 1; i < n && same; i++) {
            char *t = abl_text(pts[i].d, abl_coords[c]);
            if (strcmp(t, t0)) same = false;
            free(t);
        }
        if (same)
            buf_appendf(&fixed, "%s%s=%s", fixed.len ? ", " : "", abl_coords[c], t0);
        else
            buf_appendf(&varying, "%s%s", varying.len ? ", " : "", abl_coords[c]);
        free(t0);
    }
    /* each line's title: its values of the coordinates that tell lines apart */
    char **gtitles = xcalloc((size_t)ng, sizeof *gtitles);
    for (int g = 0; g < ng; g++) {
        int i = 0;
        while (pts[i].group != g) i++;
        struct buf t;
        buf_init(&t, 0);
        for (size_t c = 0; c < GRA_ARRAY_LEN(abl_coords) && ng > 1; c++) {
            if (!strcmp(abl_coords[c], param) || !varying.len ||
                !strstr(varying.data, abl_coords[c]))
                continue;
            char *v = abl_text(pts[i].d, abl_coords[c]);
            buf_appendf(&t, "%s%s=%s", t.len ? ", " : "", abl_coords[c], v);
            free(v);
        }
        gtitles[g] = xstrdup(t.len ? t.data : "datasets");
        buf_release(&t);
    }
    struct fig f;
    static const char *const cols_s[] = {"curve",
                                         "value",
                                         "x",
                                         "dataset",
                                         "committee_acceptance",
                                         "accepted",
                                         "reviewed",
                                         "kept_per_generated",
                                         "mu_kept_mean",
                                         "student_macro_accuracy_pct",
                                         NULL};
    static const char *const cols_n[] = {"curve",
                                         "value",
                                         "x",
                                         "dataset",
                                         "committee_acceptance",
                                         "accepted",
                                         "reviewed",
                                         "kept_per_generated",
                                         "mu_kept_mean",
                                         NULL};
    char *fname = xasprintf("ablation_%s_%s", method, param);
    char *title = xasprintf("Ablation over %s (%s datasets)", param, method);
    fig_init(&f, ctx, fname, title, student ? cols_s : cols_n);
    for (int g = 0; g < ng; g++) {
        fig_block(&f);
        for (int i = 0; i < n; i++) {
            if (pts[i].group != g) continue;
            const cJSON *ca = cJSON_GetObjectItemCaseSensitive(pts[i].d, "committee_acceptance");
            double qual =
                jget_num(cJSON_GetObjectItemCaseSensitive(
                             cJSON_GetObjectItemCaseSensitive(pts[i].d, "scores"), "mu_kept"),
                         "mean", NAN);
            if (student)
                fig_row(&f, "ssdsddddddd", gkeys[g], pts[i].xs, pts[i].x, pts[i].name,
                        jget_num(ca, "rate", NAN), jget_num(ca, "accepted", NAN),
                        jget_num(ca, "reviewed", NAN), jget_num(pts[i].d, "acceptance_rate", NAN),
                        qual, student_quality(ctx, pts[i].name));
            else
                fig_row(&f, "ssdsddddd", gkeys[g], pts[i].xs, pts[i].x, pts[i].name,
                        jget_num(ca, "rate", NAN), jget_num(ca, "accepted", NAN),
                        jget_num(ca, "reviewed", NAN), jget_num(pts[i].d, "acceptance_rate", NAN),
                        qual);
        }
    }
    int W = 900, H = 300 + 260 * panels;
    gp_head(&f, W, H);
    /* multiplot: the plot commands are written once per terminal */
    struct buf body;
    buf_init(&body, 0);
    buf_appendf(&body, "set multiplot layout %d,1 title ", panels);
    gp_quote(&body, f.title);
    buf_puts(&body, "\nunset title\nset grid\nset lmargin 12\n");
    if (ng > 1) /* the lines are told apart by a key; one line needs none */
        buf_puts(&body, "set key outside right top vertical Left reverse\nset rmargin 30\n");
    else
        buf_puts(&body, "unset key\nset rmargin 4\n");
    if (numeric) {
        double lo = pts[0].x, hi = pts[0].x;
        for (int i = 1; i < n; i++) {
            if (pts[i].x < lo) lo = pts[i].x;
            if (pts[i].x > hi) hi = pts[i].x;
        }
        double pad = hi > lo ? 0.1 * (hi - lo) : 0.5;
        buf_appendf(&body, "set xrange [%g:%g]\n", lo - pad, hi + pad);
        /* ticks at the values in use */
        buf_puts(&body, "set xtics (");
        double last = NAN;
        double *xs = xcalloc((size_t)n, sizeof *xs);
        for (int i = 0; i < n; i++) xs[i] = pts[i].x;
        qsort(xs, (size_t)n, sizeof *xs, cmp_double_asc);
        int nt = 0;
        for (int i = 0; i < n; i++) {
            if (xs[i] == last) continue;
            last = xs[i];
            buf_appendf(&body, "%s\"%g\" %g", nt++ ? ", " : "", xs[i], xs[i]);
        }
        free(xs);
        buf_puts(&body, ")\n");
    } else {
        buf_appendf(&body, "set xrange [-0.5:%f]\nset xtics (", ncat - 0.5);
        for (int k = 0; k < ncat; k++) {
            if (k) buf_puts(&body, ", ");
            gp_quote(&body, cats[k]);
            buf_appendf(&body, " %d", k);
        }
        buf_puts(&body, ")\n");
    }
    static const struct {
        int col;
        const char *ylabel, *range;
    } panel[] = {{5, "committee acceptance (accepted / reviewed)", "[0:1]"},
                 {9, "mean mu of kept records", "[*:*]"},
                 {10, "student macro accuracy (%)", "[*:*]"}};
    for (int q = 0; q < panels; q++) {
        int p = use[q];
        if (q == panels - 1) {
            buf_puts(&body, "set xlabel ");
            gp_quote(&body, param);
            buf_puts(&body, "\n");
        } else
            buf_puts(&body, "unset xlabel\n");
        buf_appendf(&body, "set ylabel \"%s\"\nset yrange %s\nplot ", panel[p].ylabel,
                    panel[p].range);
        int drawn_g = 0;
        for (int g = 0; g < ng; g++) {
            /* a line with no value in this panel (no mu, no student) is left out */
            bool any = false;
            for (int i = 0; i < n && !any; i++)
                if (pts[i].group == g) any = isfinite(abl_val(ctx, pts[i].d, p));
            if (!any) continue;
            buf_appendf(&body,
                        "%sdata index %d using 3:%d with linespoints pt 7 ps 1.1 lw 2 lc %d title ",
                        drawn_g++ ? ", \\\n  " : "", g, panel[p].col, g + 1);
            gp_quote(&body, gtitles[g]);
        }
        buf_puts(&body, "\n");
    }
    buf_puts(&body, "unset multiplot\n");
    buf_append(&f.gp, body.data, body.len);
    char *png = fig_file(&f, "png");
    buf_appendf(&f.gp,
                "set terminal pngcairo size %d,%d noenhanced font \"%s\" background rgb "
                "\"white\"\nset output ",
                W, H, FONT);
    gp_quote(&f.gp, png);
    buf_puts(&f.gp, "\n");
    buf_append(&f.gp, body.data, body.len);
    buf_puts(&f.gp, "set output\n");
    free(png);
    buf_release(&body);
    char *caption = xasprintf(
        "One line per group of %s datasets that differ only in %s; held fixed across all lines: "
        "%s%s%s. Top: the committee's acceptance, accepted / reviewed (samples that passed the "
        "committee, directly or by the adjudicator, over samples that reached review: generated "
        "less LLM/parse failures; aggregation none has no committee, so every sample passes); "
        "kept/generated is in the data only, because synth's waves over-generate past the round "
        "target. %s%s",
        method, param, fixed.len ? fixed.data : "(nothing else)",
        varying.len ? "; the lines differ in " : "", varying.len ? varying.data : "",
        "Middle: mean committee score mu of the kept records.",
        student ? " Bottom: macro accuracy of the student trained on the dataset." : "");
    rc = fig_finish(&f, figs, caption);
    free(caption);
    buf_release(&fixed);
    buf_release(&varying);
    for (int g = 0; g < ng; g++) free(gtitles[g]);
    free(gtitles);
    free(fname);
    free(title);
    if (!rc) rc = 1;
out:
    for (int i = 0; i < n; i++) free(pts[i].xs);
    for (int i = 0; i < np; i++) free(keys[i]);
    free(keys);
    free(gkeys);
    free(cats);
    free(gid);
    free(pts);
    return rc;
}

static int fig_ablation(struct report_ctx *ctx, cJSON *figs)
{
    static const char *const params[] = {"n_reviewers", "n_models", "role_policy", "aggregation",
                                         "instruction_checks"};
    const cJSON *ds = datasets_of(ctx), *d, *d0;
    int drawn = 0;
    for (size_t p = 0; p < GRA_ARRAY_LEN(params); p++) {
        int mi = 0;
        cJSON_ArrayForEach(d0, ds)
        {
            const char *method = jget_str(d0, "method");
            if (!method) continue;
            /* each method once: skip when an earlier dataset had it */
            bool seen = false;
            int k = 0;
            cJSON_ArrayForEach(d, ds)
            {
                if (k++ >= mi) break;
                const char *m = jget_str(d, "method");
                if (m && !strcmp(m, method)) seen = true;
            }
            mi++;
            if (seen) continue;
            int rc = ablation_figure(ctx, figs, method, params[p]);
            if (rc < 0) return rc;
            drawn += rc;
        }
    }
    if (!drawn)
        report_note(
            ctx,
            "no ablation figure: the run has no grid (no two datasets of one method whose "
            "stats.json "
            "config differ in exactly one of n_reviewers, n_models, role_policy, aggregation or "
            "instruction_checks)");
    return 0;
}

/* figures of an earlier report in the same directory would be stale */
static void clear_old(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp) return;
    static const char *const exts[] = {".svg", ".png", ".tsv", ".gp", ".log"};
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t n = strlen(e->d_name);
        for (size_t k = 0; k < GRA_ARRAY_LEN(exts); k++) {
            size_t m = strlen(exts[k]);
            if (n > m && strcmp(e->d_name + n - m, exts[k]) == 0) {
                char *p = path_join(dir, e->d_name);
                unlink(p);
                free(p);
                break;
            }
        }
    }
    closedir(dp);
}

int figures_make(struct report_ctx *ctx)
{
    char *dir = path_join(ctx->out_dir, "figures");
    int rc = fileio_mkdirs(dir);
    if (!rc) clear_old(dir);
    free(dir);
    if (rc) return rc;
    cJSON *figs = cJSON_AddArrayToObject(ctx->summary, "figures");
    if ((rc = fig_accuracy(ctx, figs))) return rc;
    if ((rc = fig_forest(ctx, figs))) return rc;
    if ((rc = fig_rounds(ctx, figs))) return rc;
    if ((rc = fig_scores(ctx, figs))) return rc;
    if ((rc = fig_ablation(ctx, figs))) return rc;
    if ((rc = fig_cost(ctx, figs))) return rc;
    if ((rc = fig_cost_roles(ctx, figs))) return rc;
    if (!ctx->cfg.plots)
        report_note(ctx, "report.plots is false: figure scripts written, gnuplot not run");
    return 0;
}
