/*
 * fuzz_results_line: the reports stage's readers of outside files on
 * arbitrary lines: results.jsonl (results_load + results_finish, then the
 * accuracy and paired-comparison analyses over what was read) and synth
 * datasets (analysis_datasets: kept records; the part after the first NUL,
 * if any, is the dataset's .rejected.jsonl). No crash, leak or UB; a bad
 * line is an error naming file:line, never a crash.
 *
 * The report config has one condition ("cond" = students "m1", "m2") so the
 * condition-member path is exercised, and a small bootstrap (B = 100, the least allowed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/fileio.h"
#include "reports/report_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fwrite(data, 1, size, f);
    return fclose(f);
}

static const char cfg_json[] = "{\"report\":{\"bootstrap_b\":100,\"plots\":false,"
                               "\"conditions\":{\"cond\":[\"m1\",\"m2\"]}}}";

static void ctx_init(struct report_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    report_cfg_defaults(&ctx->cfg);
    cJSON *root = cJSON_Parse(cfg_json);
    if (report_cfg_parse(&ctx->cfg, root, "fuzz.json")) abort(); /* the fixed config is valid */
    cJSON_Delete(root);
    ctx->res.cfg = &ctx->cfg;
    ctx->summary = cJSON_CreateObject();
    ctx->notes = cJSON_AddArrayToObject(ctx->summary, "notes");
}

static void ctx_release(struct report_ctx *ctx)
{
    report_cfg_release(&ctx->cfg);
    lineage_release(&ctx->lin);
    results_release(&ctx->res);
    cJSON_Delete(ctx->summary);
    for (int i = 0; i < ctx->n_datasets; i++) free(ctx->dataset_paths[i]);
    free(ctx->dataset_paths);
}

static char dir[64], res[96], ds[96], rej[96];

static void remove_dir(void)
{
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/gra-fuzz-results-%ld", (long)getpid());
        snprintf(res, sizeof res, "%s/results.jsonl", dir);
        snprintf(ds, sizeof ds, "%s/fz.jsonl", dir);
        snprintf(rej, sizeof rej, "%s/fz.rejected.jsonl", dir);
        gra_log_level = -1;
        atexit(remove_dir);
    }
    if (size > 1 << 16) return 0;
    const uint8_t *nul = memchr(data, '\0', size);
    size_t n1 = nul ? (size_t)(nul - data) : size;
    if (fileio_mkdirs(dir)) return 0;

    /* as a results file */
    struct report_ctx ctx;
    ctx_init(&ctx);
    if (write_file(res, data, n1)) goto out;
    int li = lineage_add(&ctx.lin, res, "results");
    if (li < 0) abort();
    bool sim = false;
    int rc = results_load(&ctx.res, res, li, &sim);
    if (rc == 0) rc = results_finish(&ctx.res, &ctx.lin);
    if (rc != 0 && rc != GRA_EPARSE && rc != GRA_EIO) abort();
    if (rc == 0) {
        for (size_t c = 0; c < ctx.res.n_cells; c++)
            for (size_t i = 0; i < ctx.res.cells[c].n_items; i++) {
                double v = ctx.res.cells[c].score[i];
                if (!(v >= 0 && v <= 1)) abort(); /* a mean of 0/1 observations */
            }
        if (analysis_accuracy(&ctx) == 0) analysis_comparisons(&ctx);
    }
    ctx_release(&ctx);

    /* as a dataset (+ its rejected records) */
    ctx_init(&ctx);
    if (write_file(ds, data, n1)) goto out;
    unlink(rej);
    if (nul && write_file(rej, nul + 1, size - n1 - 1)) goto out;
    ctx.dataset_paths = malloc(sizeof *ctx.dataset_paths);
    ctx.dataset_paths[0] = strdup(ds);
    ctx.n_datasets = 1;
    rc = analysis_datasets(&ctx);
    if (rc != 0 && rc != GRA_EPARSE && rc != GRA_EIO) abort();
out:
    ctx_release(&ctx);
    unlink(res);
    unlink(ds);
    unlink(rej);
    return 0;
}
