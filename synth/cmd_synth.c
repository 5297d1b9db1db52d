/*
 * cmd_synth: `gra synth`, the command line of the synthesis stage.
 *
 *   gra synth CONFIG --out DIR [--dataset NAME]... [--shard i/N] [--replay] [--quiet]
 *   gra synth [CONFIG] --merge DIR [SHARD_DIR...]
 *
 * Order of work: load and validate the whole config (core + synth section),
 * load the prompts, write RUN/manifest.json, start serve-sim when a model's
 * endpoint is "sim", open the client (its call cache lives in the run
 * directory), then run the datasets in dependency order (a "match_count"
 * dataset after the one it matches). SIGINT/SIGTERM stop the client: the
 * samples in flight are dropped (not journaled) and the command exits 130;
 * the same command continues where it stopped (engine.c explains why the
 * result is the same as an uninterrupted run).
 *
 * Sharding: --shard i/N runs this shard's part of each dataset's current step
 * and exits; --merge DIR finishes every step whose shard journals are all
 * present (global dedup, enrichment, checkpoint) and prints "status: complete"
 * or "status: pending" on stdout (scripts/slurm/ loops on it).
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/llm.h"
#include "core/progress.h"
#include "core/simsrv.h"
#include "synth/synth.h"
#include "synth/synth_int.h"

static struct llm_client *g_client;
static volatile int g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
    if (g_client) llm_stop(g_client);
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: gra synth CONFIG --out DIR [--dataset NAME]... [--shard i/N] [--replay] [--quiet]\n"
        "       gra synth [CONFIG] --merge DIR [SHARD_DIR...]\n"
        "       gra synth CONFIG --check\n"
        "\n"
        "Synthesize the datasets of CONFIG's \"synth\" section (GRA, the large-model and\n"
        "seed baselines, GRA-Refine, ablation cells) into DIR/datasets/ (docs/synth.md,\n"
        "docs/config-synth.md, docs/schema-dataset.md). Re-running the same command\n"
        "continues an interrupted run; the result equals an uninterrupted run.\n"
        "\n"
        "options:\n"
        "  --out DIR       the run directory (created)\n"
        "  --dataset NAME  only this dataset (repeatable); the others are left alone\n"
        "  --shard i/N     run shard i (0-based) of N of each dataset's current step,\n"
        "                  journal it under DIR/state/ and exit (Slurm: i = $SLURM_ARRAY_TASK_ID)\n"
        "  --merge DIR     finish every step whose shards are all journaled: global\n"
        "                  dedup, enrichment, checkpoint; SHARD_DIRs are other run\n"
        "                  directories whose state/ holds shard journals. Prints\n"
        "                  \"status: complete\" or \"status: pending\" on stdout\n"
        "  --replay        every LLM call must be a cache hit (reproduce a finished run)\n"
        "  --check         validate CONFIG and the prompts, then exit (no --out needed)\n"
        "  --quiet         no progress line\n"
        "\n"
        "exit codes: 0 done (or this shard's part done), 2 usage, 3 config, 4 I/O,\n"
        "130 interrupted\n");
}

static int parse_shard(const char *s, int *i, int *n)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/') return -1;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || b < 1 || b > 100000 || a < 0 || a >= b) return -1;
    *i = (int)a;
    *n = (int)b;
    return 0;
}

/* The config path recorded by an earlier run of this directory. */
static char *manifest_config(const char *dir)
{
    char *p = path_join(dir, "manifest.json");
    cJSON *m = NULL;
    char *out = NULL;
    if (fileio_exists(p) && json_read_file(p, &m) == 0) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "config");
        if (cJSON_IsString(c)) out = xstrdup(c->valuestring);
    }
    cJSON_Delete(m);
    free(p);
    return out;
}

static int write_manifest(const struct gra_config *cfg, const struct synth_cfg *sc,
                          const char *out_dir, const char *cfg_abs)
{
    char sha[65];
    int rc = sha256_file_hex(cfg->path, sha);
    if (rc) return rc;
    char *p = path_join(out_dir, "manifest.json");
    cJSON *m = NULL;
    if (fileio_exists(p)) json_read_file(p, &m);
    if (!cJSON_IsObject(m)) {
        cJSON_Delete(m);
        m = cJSON_CreateObject();
    }
    bool sim = false;
    for (int i = 0; i < cfg->n_models; i++) sim |= cfg->models[i].sim;
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)cfg->seed);
    /* other stages may add their keys; ours are replaced in place */
    {
        const char *keys[] = {"gra_version", "config", "config_sha256", "seed"};
        const char *vals[] = {GRA_VERSION, cfg_abs, sha, seed};
        for (int k = 0; k < 4; k++) {
            cJSON *v = cJSON_CreateString(vals[k]);
            if (cJSON_GetObjectItemCaseSensitive(m, keys[k])) cJSON_ReplaceItemInObjectCaseSensitive(m, keys[k], v);
            else cJSON_AddItemToObject(m, keys[k], v);
        }
    }
    cJSON *simv = cJSON_CreateBool(sim || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "simulated")));
    if (cJSON_GetObjectItemCaseSensitive(m, "simulated")) cJSON_ReplaceItemInObjectCaseSensitive(m, "simulated", simv);
    else cJSON_AddItemToObject(m, "simulated", simv);
    if (sim && !cJSON_GetObjectItemCaseSensitive(m, "label")) cJSON_AddStringToObject(m, "label", "SIMULATED");
    cJSON *ds = cJSON_CreateArray();
    for (int i = 0; i < sc->n_ds; i++) cJSON_AddItemToArray(ds, cJSON_CreateString(sc->ds[i].name));
    if (cJSON_GetObjectItemCaseSensitive(m, "datasets")) cJSON_ReplaceItemInObjectCaseSensitive(m, "datasets", ds);
    else cJSON_AddItemToObject(m, "datasets", ds);
    char *txt = cJSON_Print(m);
    char *line = xasprintf("%s\n", txt);
    rc = fileio_write_atomic(p, line, strlen(line));
    free(line);
    free(txt);
    cJSON_Delete(m);
    free(p);
    return rc;
}

/* Datasets in an order where every match_count target comes first. */
static int order_datasets(const struct synth_cfg *sc, int *order)
{
    int n = sc->n_ds, k = 0;
    bool *placed = xcalloc((size_t)n + 1, sizeof *placed);
    while (k < n) {
        bool progress = false;
        for (int i = 0; i < n; i++) {
            if (placed[i]) continue;
            const char *mc = sc->ds[i].match_count;
            bool ready = true;
            for (int j = 0; mc && j < n; j++)
                if (strcmp(sc->ds[j].name, mc) == 0 && !placed[j]) ready = false;
            if (ready) {
                placed[i] = true;
                order[k++] = i;
                progress = true;
            }
        }
        if (!progress) {
            free(placed);
            return err(GRA_ECONFIG, "synth.datasets: match_count references form a cycle");
        }
    }
    free(placed);
    return 0;
}

int cmd_synth(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},  {"dataset", required_argument, NULL, 'd'},
        {"shard", required_argument, NULL, 's'}, {"merge", required_argument, NULL, 'm'},
        {"replay", no_argument, NULL, 'r'},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},       {"check", no_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *merge = NULL;
    const char **only = xcalloc((size_t)argc + 1, sizeof *only);
    int n_only = 0, shard_i = 0, shard_n = 0, ch, exit_code = GRA_EXIT_OK, rc = 0;
    bool replay = false, quiet = gra_quiet, check = false;
    struct gra_config *cfg = NULL;
    struct synth_cfg sc = {0};
    struct synth_ctx ctx = {0};
    struct simsrv *sim = NULL;
    char *cfg_path = NULL, *cache_path = NULL, *cfg_abs = NULL;
    bool sc_loaded = false, prompts_loaded = false;
    while ((ch = getopt_long(argc, argv, "o:d:s:m:rqhc", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'd': only[n_only++] = optarg; break;
        case 's':
            if (parse_shard(optarg, &shard_i, &shard_n)) {
                fprintf(stderr, "gra synth: --shard expects i/N with 0 <= i < N, got \"%s\"\n", optarg);
                free(only);
                return GRA_EXIT_USAGE;
            }
            break;
        case 'm': merge = optarg; break;
        case 'r': replay = true; break;
        case 'c': check = true; break;
        case 'q': quiet = true; break;
        case 'h':
            usage(stdout);
            free(only);
            return GRA_EXIT_OK;
        default:
            usage(stderr);
            free(only);
            return GRA_EXIT_USAGE;
        }
    }
    /* positional: CONFIG (may come after the options), then SHARD_DIRs for --merge */
    const char **extra = xcalloc((size_t)argc + 1, sizeof *extra);
    int n_extra = 0;
    for (int i = optind; i < argc; i++) {
        if (!cfg_path && !merge) cfg_path = xstrdup(argv[i]);
        else if (!cfg_path && merge && i == optind && strstr(argv[i], ".json")) cfg_path = xstrdup(argv[i]);
        else if (merge) extra[n_extra++] = argv[i];
        else {
            fprintf(stderr, "gra synth: unexpected argument \"%s\"\n", argv[i]);
            exit_code = GRA_EXIT_USAGE;
            goto out;
        }
    }
    if (merge) {
        if (out && strcmp(out, merge) != 0) {
            fprintf(stderr, "gra synth: give --merge DIR without --out (DIR is the run directory)\n");
            exit_code = GRA_EXIT_USAGE;
            goto out;
        }
        out = merge;
        if (shard_n) {
            fprintf(stderr, "gra synth: --merge and --shard exclude each other\n");
            exit_code = GRA_EXIT_USAGE;
            goto out;
        }
        if (!cfg_path) cfg_path = manifest_config(merge);
        if (!cfg_path) {
            fprintf(stderr, "gra synth: --merge %s: no CONFIG given and no manifest.json naming one\n", merge);
            exit_code = GRA_EXIT_USAGE;
            goto out;
        }
    }
    if (!cfg_path || (!out && !check)) {
        usage(stderr);
        exit_code = GRA_EXIT_USAGE;
        goto out;
    }
    rc = config_load(cfg_path, &cfg);
    if (rc) goto fail;
    rc = synth_cfg_load(cfg, &sc);
    if (rc) goto fail;
    sc_loaded = true;
    for (int i = 0; i < n_only; i++) {
        bool found = false;
        for (int j = 0; j < sc.n_ds; j++) found |= strcmp(sc.ds[j].name, only[i]) == 0;
        if (!found) {
            rc = err(GRA_ECONFIG, "%s: --dataset %s: no such dataset under synth.datasets", cfg->path, only[i]);
            goto fail;
        }
    }
    {
        char *pd = sc.prompts_dir ? xstrdup(sc.prompts_dir) : prompts_default_dir();
        rc = prompts_load(pd, &ctx.prompts);
        free(pd);
        if (rc) goto fail;
        prompts_loaded = true;
    }
    if (check) {
        printf("%s: synth section valid (%d dataset%s), prompts in %s\n", cfg->path, sc.n_ds,
               sc.n_ds == 1 ? "" : "s", ctx.prompts.dir);
        goto out;
    }
    rc = fileio_mkdirs(out);
    if (rc) goto fail;
    {
        char buf[PATH_MAX];
        cfg_abs = xstrdup(realpath(cfg->path, buf) ? buf : cfg->path);
    }
    rc = write_manifest(cfg, &sc, out, cfg_abs);
    if (rc) goto fail;
    rc = simsrv_autostart(cfg, &sim);
    if (rc) goto fail;
    if (cfg->cache_path) {
        char *base = cfg->cache_path[0] == '/' ? xstrdup(cfg->cache_path) : path_join(out, cfg->cache_path);
        if (shard_n > 1) {
            /* one SQLite file per shard process: no writer contention, safe on NFS */
            cache_path = xasprintf("%s.shard-%d-of-%d", base, shard_i, shard_n);
            free(base);
        } else {
            cache_path = base;
        }
    }
    /* the stage draws its own progress lines (per step, with the client's counters) */
    struct llm_client_opts lo = {.cache_path = cache_path, .replay = replay, .quiet = true};
    rc = llm_client_new(cfg, &lo, &ctx.client);
    if (rc) goto fail;
    g_client = ctx.client;
    g_stop = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct synth_opts so = {.out_dir = out, .shard_i = shard_i, .shard_n = shard_n,
                            .merge = merge != NULL, .extra_shard_dirs = extra,
                            .n_extra_shard_dirs = n_extra, .quiet = quiet};
    ctx.cfg = cfg;
    ctx.sc = &sc;
    ctx.opts = &so;
    ctx.stop_flag = (volatile int *)&g_stop;
    int *order = xcalloc((size_t)sc.n_ds + 1, sizeof *order);
    rc = order_datasets(&sc, order);
    int waiting = 0;
    for (int k = 0; !rc && k < sc.n_ds; k++) {
        const struct dataset_cfg *dc = &sc.ds[order[k]];
        bool selected = n_only == 0;
        for (int i = 0; i < n_only; i++) selected |= strcmp(only[i], dc->name) == 0;
        if (!selected) continue;
        int r = synth_dataset_run(&ctx, dc);
        if (r == DS_WAITING) {
            waiting++;
        } else if (r < 0) {
            rc = r;
        }
        if (g_stop) rc = GRA_EINTR;
    }
    free(order);
    if (!rc) {
        if (merge || shard_n > 1) {
            printf("status: %s\n", waiting ? "pending" : "complete");
            fflush(stdout);
        } else if (waiting) {
            rc = err(GRA_ESTATE, "%d dataset(s) wait for a match_count dataset that is not complete "
                     "(run it first, or drop --dataset)", waiting);
        }
    }
fail:
    if (rc == GRA_EINTR) log_warn("gra synth: interrupted; run the same command again to continue");
    exit_code = rc ? gra_exit_code(rc) : GRA_EXIT_OK;
    g_client = NULL;
    llm_client_free(ctx.client);
    simsrv_stop(sim);
out:
    if (prompts_loaded) prompts_release(&ctx.prompts);
    if (sc_loaded) synth_cfg_free(&sc);
    config_free(cfg);
    free(cfg_path);
    free(cfg_abs);
    free(cache_path);
    free(only);
    free(extra);
    return exit_code;
}
