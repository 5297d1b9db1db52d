/*
 * cmd_report: `gra report`, the last stage (docs/reports.md).
 *
 *   gra report RUN_DIR [--out DIR] [options]
 *   gra report --results FILE... --out DIR [--dataset FILE.jsonl ...] [options]
 *
 * Gathers the inputs (and their sha256 for the lineage), runs the analyses
 * (accuracy, paired comparisons, data-level metrics, the published table),
 * draws the figures and writes summary.json, report.md and report.html into
 * the output directory. Any simulated input puts the SIMULATED banner on all
 * three. Settings come from the experiment config's "report" section (the
 * config the run's manifest names, or --config), then command-line options.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/progress.h"
#include "reports/report_int.h"
#include "reports/reports.h"

static void usage(FILE *f)
{
    fprintf(
        f, "usage: gra report RUN_DIR [--out DIR] [options]\n"
           "       gra report --results FILE... --out DIR [--dataset FILE.jsonl]... [options]\n\n"
           "Statistics, figures and the report for a run directory (RUN/datasets, "
           "RUN/eval/**/results.jsonl,\n"
           "RUN/manifest.json; written to RUN/report) or for results files from gra eval.\n\n"
           "options:\n"
           "  --out DIR          output directory (default RUN_DIR/report)\n"
           "  --results FILE     a results JSONL from gra eval (repeatable; the rest of argv too)\n"
           "  --dataset FILE     a dataset JSONL (its .rejected.jsonl and .stats.json beside it "
           "are read)\n"
           "  --config EXP.json  take the \"report\" section from this config (default: the "
           "manifest's config)\n"
           "  --margin M         equivalence / non-inferiority margin in points (default 1)\n"
           "  --bootstrap B      bootstrap resamples, 100..1000000 (default 10000)\n"
           "  --seed S           bootstrap seed (default: report.seed, else the config seed)\n"
           "  --alpha A          significance level (default 0.05)\n"
           "  --no-plots         write the figure data and scripts but do not run gnuplot\n\n"
           "Writes report.md, report.html (self-contained), summary.json (docs/schema-report.md) "
           "and figures/.\n"
           "Exit codes: 0 ok, 2 usage, 3 config, 4 input (the message names file and line), 5 "
           "gnuplot failed.\n");
}

static void push(char ***v, int *n, const char *s)
{
    *v = xrealloc(*v, (size_t)(*n + 1) * sizeof **v);
    (*v)[(*n)++] = xstrdup(s);
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* every results.jsonl under dir, recursively */
static int find_results(const char *dir, char ***out, int *n)
{
    DIR *dp = opendir(dir);
    if (!dp) return 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(dp)) && !rc) {
        if (e->d_name[0] == '.') continue;
        char *p = path_join(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = find_results(p, out, n);
            else if (S_ISREG(st.st_mode) && strcmp(e->d_name, "results.jsonl") == 0)
                push(out, n, p);
        }
        free(p);
    }
    closedir(dp);
    return rc;
}

static void find_files(const char *dir, const char *prefix, const char *suffix, const char *exclude,
                       char ***out, int *n)
{
    DIR *dp = opendir(dir);
    if (!dp) return;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.') continue;
        if (strncmp(e->d_name, prefix, strlen(prefix)) || !ends_with(e->d_name, suffix)) continue;
        if (exclude && ends_with(e->d_name, exclude)) continue;
        char *p = path_join(dir, e->d_name);
        push(out, n, p);
        free(p);
    }
    closedir(dp);
}

static const char *first_str(const cJSON *o, const char *const *keys)
{
    for (int i = 0; keys[i]; i++) {
        const char *s = jget_str(o, keys[i]);
        if (s) return s;
    }
    return NULL;
}

static void ctx_release(struct report_ctx *ctx)
{
    free(ctx->out_dir);
    free(ctx->run_dir);
    report_cfg_release(&ctx->cfg);
    lineage_release(&ctx->lin);
    results_release(&ctx->res);
    cJSON_Delete(ctx->manifest);
    free_list(ctx->dataset_paths, ctx->n_datasets);
    free_list(ctx->decontam_paths, ctx->n_decontam);
    free_list(ctx->eval_summaries, ctx->n_eval_summaries);
    cJSON_Delete(ctx->summary);
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"results", no_argument, NULL, 'r'},
        {"dataset", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"margin", required_argument, NULL, 'm'},
        {"bootstrap", required_argument, NULL, 'B'},
        {"seed", required_argument, NULL, 's'},
        {"alpha", required_argument, NULL, 'a'},
        {"no-plots", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct report_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    report_cfg_defaults(&ctx.cfg);
    char *out = NULL, *config = NULL, **results = NULL, **datasets = NULL;
    int n_results = 0, n_datasets = 0, c, rc = 0;
    bool results_mode = false, no_plots = false;
    double margin = -1, alpha = -1;
    long boot = -1;
    long long seed = -1;
    char *end;
    while ((c = getopt_long(argc, argv, "o:rd:c:m:B:s:a:Ph", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            free(out);
            out = xstrdup(optarg);
            break;
        case 'r':
            results_mode = true;
            break;
        case 'd':
            push(&datasets, &n_datasets, optarg);
            break;
        case 'c':
            free(config);
            config = xstrdup(optarg);
            break;
        case 'm':
            margin = strtod(optarg, &end);
            if (*end || !(margin > 0)) goto bad_usage;
            break;
        case 'B':
            boot = strtol(optarg, &end, 10);
            if (*end || boot < 100 || boot > 1000000) goto bad_usage;
            break;
        case 's':
            seed = strtoll(optarg, &end, 10);
            if (*end || seed < 0) goto bad_usage;
            break;
        case 'a':
            alpha = strtod(optarg, &end);
            if (*end || !(alpha > 0 && alpha < 0.5)) goto bad_usage;
            break;
        case 'P':
            no_plots = true;
            break;
        case 'h':
            usage(stdout);
            rc = 0;
            goto done;
        default:
            goto bad_usage;
        }
    }
    const char *run = NULL;
    if (results_mode) {
        /* --results takes every remaining non-option argument */
        for (int i = optind; i < argc; i++) push(&results, &n_results, argv[i]);
        if (n_results == 0) {
            fprintf(stderr, "gra report: --results needs at least one FILE\n");
            goto bad_usage;
        }
        if (!out) {
            fprintf(stderr, "gra report: --results needs --out DIR\n");
            goto bad_usage;
        }
    } else {
        if (optind != argc - 1) goto bad_usage;
        run = argv[optind];
        struct stat st;
        if (stat(run, &st) != 0 || !S_ISDIR(st.st_mode)) {
            rc = err(GRA_ENOENT, "%s: not a run directory", run);
            goto done;
        }
        ctx.run_dir = xstrdup(run);
        if (!out) out = path_join(run, "report");
    }
    ctx.out_dir = out;
    out = NULL;
    ctx.summary = cJSON_CreateObject();
    cJSON_AddStringToObject(ctx.summary, "schema", "gra-report/1");
    cJSON_AddBoolToObject(ctx.summary, "simulated", false);
    cJSON_AddStringToObject(ctx.summary, "gra_version", GRA_VERSION);
    if (run)
        cJSON_AddStringToObject(ctx.summary, "run_dir", run);
    else
        cJSON_AddNullToObject(ctx.summary, "run_dir");
    ctx.notes = cJSON_AddArrayToObject(ctx.summary, "notes");

    /* manifest and config */
    const char *config_sha_manifest = NULL;
    if (run) {
        char *mp = path_join(run, "manifest.json");
        if (fileio_exists(mp)) {
            int li = lineage_add(&ctx.lin, mp, "manifest");
            if (li < 0) {
                rc = li;
                free(mp);
                goto done;
            }
            rc = json_read_file(mp, &ctx.manifest);
            if (!rc && !cJSON_IsObject(ctx.manifest))
                rc = err(GRA_EPARSE, "%s:1: expected a JSON object", mp);
            if (rc) {
                free(mp);
                goto done;
            }
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctx.manifest, "simulated")))
                ctx.simulated = ctx.lin.simulated[li] = true;
            cJSON *m = cJSON_AddObjectToObject(ctx.summary, "manifest");
            static const char *const ck[] = {"config", "config_path", NULL};
            static const char *const hk[] = {"config_sha256", "config_hash", NULL};
            const char *cp = first_str(ctx.manifest, ck);
            config_sha_manifest = first_str(ctx.manifest, hk);
            if (cp) cJSON_AddStringToObject(m, "config", cp);
            if (config_sha_manifest)
                cJSON_AddStringToObject(m, "config_sha256", config_sha_manifest);
            const cJSON *sd = cJSON_GetObjectItemCaseSensitive(ctx.manifest, "seed");
            if (cJSON_IsNumber(sd))
                cJSON_AddNumberToObject(m, "seed", sd->valuedouble);
            else if (cJSON_IsString(sd))
                cJSON_AddStringToObject(m, "seed", sd->valuestring);
            cJSON_AddNumberToObject(m, "input", li);
            if (!config && cp) {
                /* a relative config path in the manifest is relative to the run directory */
                char *full = cp[0] == '/' ? xstrdup(cp) : path_join(run, cp);
                if (fileio_exists(full))
                    config = xstrdup(full);
                else if (fileio_exists(cp))
                    config = xstrdup(cp);
                else
                    report_note(&ctx,
                                "manifest names config %s, which is not readable: report settings "
                                "are the defaults",
                                cp);
                free(full);
            }
        } else {
            report_note(&ctx, "%s is missing: no run identity in the lineage", mp);
        }
        free(mp);
    }
    cJSON *cfgj = cJSON_AddObjectToObject(ctx.summary, "config");
    if (config) {
        cJSON *root = NULL;
        int li = lineage_add(&ctx.lin, config, "config");
        if (li < 0) {
            rc = li;
            goto done;
        }
        rc = json_read_file(config, &root);
        if (rc) goto done;
        rc = report_cfg_parse(&ctx.cfg, root, config);
        cJSON_Delete(root);
        if (rc) goto done;
        cJSON_AddStringToObject(cfgj, "file", config);
        cJSON_AddStringToObject(cfgj, "sha256", ctx.lin.sha[li]);
        if (config_sha_manifest && strcmp(config_sha_manifest, ctx.lin.sha[li]) != 0)
            report_note(&ctx, "config %s has changed since the run (sha256 %s, manifest says %s)",
                        config, ctx.lin.sha[li], config_sha_manifest);
    }
    if (margin > 0) ctx.cfg.margin = margin;
    if (boot > 0) ctx.cfg.bootstrap_b = boot;
    if (seed >= 0) ctx.cfg.seed = (uint64_t)seed;
    if (alpha > 0) ctx.cfg.alpha = alpha;
    if (no_plots) ctx.cfg.plots = false;
    cJSON_AddNumberToObject(cfgj, "margin", ctx.cfg.margin);
    cJSON_AddNumberToObject(cfgj, "bootstrap_b", (double)ctx.cfg.bootstrap_b);
    cJSON_AddNumberToObject(cfgj, "seed", (double)ctx.cfg.seed);
    cJSON_AddNumberToObject(cfgj, "alpha", ctx.cfg.alpha);
    cJSON_AddNumberToObject(cfgj, "power", ctx.cfg.power);
    cJSON_AddNumberToObject(cfgj, "near_dup_threshold", ctx.cfg.near_dup_threshold);

    /* inputs */
    if (run) {
        char *ev = path_join(run, "eval"), *dd = path_join(run, "datasets");
        find_results(ev, &results, &n_results);
        find_files(dd, "", ".jsonl", ".rejected.jsonl", &ctx.dataset_paths, &ctx.n_datasets);
        /* sidecars are not datasets */
        for (int i = 0; i < ctx.n_datasets; i++)
            if (ends_with(ctx.dataset_paths[i], ".embeddings.jsonl")) {
                free(ctx.dataset_paths[i]);
                ctx.dataset_paths[i--] = ctx.dataset_paths[--ctx.n_datasets];
            }
        find_files(run, "decontam", ".json", NULL, &ctx.decontam_paths, &ctx.n_decontam);
        free(ev);
        free(dd);
    }
    for (int i = 0; i < n_datasets; i++) {
        if (!fileio_exists(datasets[i])) {
            rc = err(GRA_ENOENT, "%s: no such dataset file", datasets[i]);
            goto done;
        }
        push(&ctx.dataset_paths, &ctx.n_datasets, datasets[i]);
    }
    for (int i = 0; i < ctx.n_datasets; i++)
        if (!ends_with(ctx.dataset_paths[i], ".jsonl")) {
            rc = err(GRA_EINVAL, "%s: a dataset file must end in .jsonl", ctx.dataset_paths[i]);
            goto done;
        }
    ctx.res.cfg = &ctx.cfg;
    if (n_results > 1) qsort(results, (size_t)n_results, sizeof *results, cmp_str);
    if (ctx.n_decontam > 1)
        qsort(ctx.decontam_paths, (size_t)ctx.n_decontam, sizeof(char *), cmp_str);
    if (n_results == 0 && ctx.n_datasets == 0) {
        rc = err(GRA_ENOENT,
                 "%s: no results (eval/**/results.jsonl) and no datasets (datasets/*.jsonl): "
                 "nothing to report",
                 run ? run : "(arguments)");
        goto done;
    }
    for (int i = 0; i < n_results; i++) {
        if (!fileio_exists(results[i])) {
            rc = err(GRA_ENOENT, "%s: no such results file", results[i]);
            goto done;
        }
        int li = lineage_add(&ctx.lin, results[i], "results");
        if (li < 0) {
            rc = li;
            goto done;
        }
        bool sim = false;
        rc = results_load(&ctx.res, results[i], li, &sim);
        if (rc) goto done;
        if (sim) ctx.lin.simulated[li] = ctx.simulated = true;
        /* eval's summary.json beside it: its accuracies are cross-checked */
        const char *slash = strrchr(results[i], '/');
        char *sp = slash ? xasprintf("%.*s/summary.json", (int)(slash - results[i]), results[i])
                         : xstrdup("summary.json");
        if (fileio_exists(sp)) push(&ctx.eval_summaries, &ctx.n_eval_summaries, sp);
        free(sp);
    }
    rc = results_finish(&ctx.res, &ctx.lin);
    if (rc) goto done;
    if (n_results == 0) report_note(&ctx, "no evaluation results: student sections are empty");

    rc = fileio_mkdirs(ctx.out_dir);
    if (rc) goto done;
    if ((rc = analysis_accuracy(&ctx))) goto done;
    if ((rc = analysis_eval_summaries(&ctx))) goto done;
    if ((rc = analysis_comparisons(&ctx))) goto done;
    if ((rc = analysis_datasets(&ctx))) goto done;
    if ((rc = analysis_published(&ctx))) goto done;
    if ((rc = figures_make(&ctx))) goto done;

    /* simulated status and lineage, now that every input is known */
    cJSON_ReplaceItemInObjectCaseSensitive(ctx.summary, "simulated",
                                           cJSON_CreateBool(ctx.simulated));
    if (ctx.simulated)
        cJSON_AddStringToObject(
            ctx.summary, "banner",
            "SIMULATED: built from inputs produced by gra serve-sim (simulated models)");
    cJSON *lin = cJSON_AddObjectToObject(ctx.summary, "lineage");
    cJSON *ins = cJSON_AddArrayToObject(lin, "inputs");
    for (int i = 0; i < ctx.lin.n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "index", i);
        cJSON_AddStringToObject(o, "role", ctx.lin.roles[i]);
        cJSON_AddStringToObject(o, "path", ctx.lin.paths[i]);
        cJSON_AddStringToObject(o, "sha256", ctx.lin.sha[i]);
        cJSON_AddBoolToObject(o, "simulated", ctx.lin.simulated[i]);
        cJSON_AddItemToArray(ins, o);
    }
    char *text = cJSON_Print(ctx.summary);
    char *sp = path_join(ctx.out_dir, "summary.json");
    rc = fileio_write_atomic(sp, text, strlen(text));
    free(text);
    free(sp);
    if (!rc) rc = render_report(&ctx);
    if (!rc)
        log_info("report: wrote %s/report.md, report.html, summary.json%s", ctx.out_dir,
                 ctx.simulated ? " (SIMULATED)" : "");
    if (!rc && !gra_quiet)
        fprintf(stderr, "gra report: %s/report.html%s\n", ctx.out_dir,
                ctx.simulated ? " (SIMULATED)" : "");
done:
    free(out);
    free(config);
    free_list(results, n_results);
    free_list(datasets, n_datasets);
    ctx_release(&ctx);
    return rc ? gra_exit_code(rc) : 0;
bad_usage:
    usage(stderr);
    free(out);
    free(config);
    free_list(results, n_results);
    free_list(datasets, n_datasets);
    ctx_release(&ctx);
    return GRA_EXIT_USAGE;
}
