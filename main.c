/*
 * gra: the command table (git's git.c shape), global flags and exit codes.
 *
 * Global options come before the subcommand (getopt "+" stops there); each
 * cmd_x(argc, argv) gets argv[0] == its own name and parses the rest itself.
 * `gra help CMD` is `gra CMD --help`. Adding a command: write cmd_x() in the
 * stage's cmd_*.c, declare it in the stage header, add a row below
 * (docs/developing.md).
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <curl/curl.h>
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commands.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/progress.h"
#include "eval/eval.h"
#include "reports/reports.h"
#include "synth/synth.h"

static int cmd_run(int argc, char **argv);

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"run", cmd_run, "synth, eval and report for one experiment (resumable; the normal entry)"},
    {"synth", cmd_synth, "synthesize GRA datasets and baselines from seeds"},
    {"eval", cmd_eval, "score students on benchmarks (a live endpoint or a predictions file)"},
    {"report", cmd_report, "statistics, plots and the report for a run or results files"},
    {"serve-sim", cmd_serve_sim, "run the offline simulated OpenAI-compatible model server"},
    {"cache", cmd_cache, "inspect the call cache (stats, verify)"},
    {"data", cmd_data, "fetch benchmark and seed files, verify their sha256"},
    {"decontam", cmd_decontam, "report dataset records that share n-grams with benchmark items"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gra [--version] [--quiet] [-v] <command> [<args>]\n\ncommands:\n");
    for (size_t i = 0; i < GRA_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-10s %s\n", "help", "show help for a command (gra help CMD)");
    fprintf(f, "\nglobal options:\n"
               "  --quiet, -q   no progress line, warnings and errors only\n"
               "  -v            more detail (repeat for debug)\n"
               "  --version     print the version\n"
               "\nexit codes: 0 ok, 1 failed items over threshold, 2 usage, 3 config,\n"
               "4 I/O or data, 5 external command failed, 130 interrupted (docs/exit-codes.md)\n");
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < GRA_ARRAY_LEN(commands); i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

/*
 * gra run EXP.json --out RUN: every stage in order on one run directory. Each
 * stage is resumable on its own (the call cache and its checkpoints), so
 * running the same command again after a kill finishes the work without
 * repeating it. Stages whose section is absent from the config are skipped.
 */
static int run_stage(const char *name, int (*fn)(int, char **), char **argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    log_info("run: stage %s", name);
    optind = 0;
    int rc = fn(argc, argv);
    fflush(stdout); /* keep each stage's stdout ahead of the next stage's stderr */
    if (rc != 0) log_error("run: stage %s failed (exit %d); fix it and run the same command again", name, rc);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Decontamination of every dataset the run wrote: RUN/decontam-NAME.json,
 * which the report shows. A failure (benchmark data absent) is reported and
 * the run goes on: the report then says that no overlap was computed. */
static void run_decontam(const char *out)
{
    char *dir = path_join(out, "datasets");
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 6 || strcmp(e->d_name + len - 6, ".jsonl") != 0) continue;
        if (strstr(e->d_name, ".rejected.") || strstr(e->d_name, ".embeddings.")) continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrndup(e->d_name, len - 6);
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        char *file = xasprintf("%s/%s.jsonl", dir, names[i]);
        char *report = xasprintf("%s/decontam-%s.json", out, names[i]);
        char *a[] = {"decontam", file, "--out", report, NULL};
        if (run_stage("decontam", cmd_decontam, a) != 0)
            log_warn("run: decontamination of %s failed; the report will not show its overlap",
                     file);
        free(file);
        free(report);
        free(names[i]);
    }
    free(names);
    free(dir);
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"replay", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    bool replay = false;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'r':
            replay = true;
            break;
        case 'h':
            printf("usage: gra run EXP.json --out RUN_DIR [--replay]\n\n"
                   "Runs every stage the experiment configures, in order, on RUN_DIR:\n"
                   "  gra synth EXP.json --out RUN_DIR       (if the config has \"synth\")\n"
                   "  gra decontam RUN_DIR/datasets/NAME.jsonl --out RUN_DIR/decontam-NAME.json\n"
                   "  gra eval EXP.json --out RUN_DIR/eval   (if the config has \"eval\")\n"
                   "  gra report RUN_DIR                     (always)\n"
                   "Interrupted runs resume: run the same command again.\n"
                   "--replay fails on any call-cache miss (reproduce a run exactly).\n");
            return 0;
        default:
            return GRA_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !out) {
        fprintf(stderr, "usage: gra run EXP.json --out RUN_DIR [--replay]\n");
        return GRA_EXIT_USAGE;
    }
    char *cfgpath = argv[optind];
    cJSON *root = NULL;
    if (json_read_file(cfgpath, &root) != 0) return GRA_EXIT_CONFIG;
    bool has_synth = cJSON_GetObjectItemCaseSensitive(root, "synth") != NULL;
    bool has_eval = cJSON_GetObjectItemCaseSensitive(root, "eval") != NULL;
    cJSON_Delete(root);
    if (fileio_mkdirs(out) != 0) return GRA_EXIT_IO;

    int rc = 0;
    char *rp = replay ? "--replay" : NULL;
    if (has_synth) {
        char *a[] = {"synth", cfgpath, "--out", (char *)out, rp, NULL};
        if ((rc = run_stage("synth", cmd_synth, a))) return rc;
        run_decontam(out);
    }
    if (has_eval) {
        char *evdir = path_join(out, "eval");
        /* simulated students trained on this run's datasets resolve their
         * "trained_on" paths against the run directory */
        setenv("GRA_RUN_DIR", out, 1);
        char *a[] = {"eval", cfgpath, "--out", evdir, rp, NULL};
        rc = run_stage("eval", cmd_eval, a);
        free(evdir);
        if (rc) return rc;
    }
    char *a[] = {"report", (char *)out, NULL};
    return run_stage("report", cmd_report, a);
}

int main(int argc, char **argv)
{
    /* keep the "C" locale: cJSON prints numbers with the locale's decimal point */
    setlocale(LC_ALL, "C");
    gsl_set_error_handler_off();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    synth_sim_register();
    eval_sim_register();

    static const struct option opts[] = {
        {"version", no_argument, NULL, 'V'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "+qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'V':
            printf("gra %s\n", GRA_VERSION);
            return 0;
        case 'q':
            gra_quiet = true;
            gra_log_level = LOG_WARN;
            break;
        case 'v':
            gra_log_level++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return GRA_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return GRA_EXIT_USAGE;
    }
    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) {
        if (optind + 1 >= argc) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[optind + 1], "help") == 0) {
            usage(stdout);
            return 0;
        }
        const struct command *cmd = find(argv[optind + 1]);
        if (!cmd) {
            fprintf(stderr, "gra: '%s' is not a command. See 'gra help'.\n", argv[optind + 1]);
            return GRA_EXIT_USAGE;
        }
        char *hargv[] = {(char *)cmd->name, "--help", NULL};
        optind = 0;
        return cmd->fn(2, hargv);
    }
    const struct command *cmd = find(name);
    if (!cmd) {
        fprintf(stderr, "gra: '%s' is not a command. See 'gra help'.\n", name);
        return GRA_EXIT_USAGE;
    }
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    optind = 0; /* full getopt reinitialisation for the subcommand's argv */
    int rc = cmd->fn(sub_argc, sub_argv);
    curl_global_cleanup();
    return rc;
}
