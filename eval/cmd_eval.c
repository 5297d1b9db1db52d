/*
 * cmd_eval: `gra eval`, the two ways in (docs/eval.md):
 *   gra eval EXP.json [--student NAME] [--benchmark NAME] [--limit N] --out DIR
 *       asks each student model (config "eval" section, docs/config-eval.md)
 *       every item of every benchmark through the core client (core/llm.h);
 *       "sim" students are served by an in-process serve-sim;
 *   gra eval --benchmark NAME --predictions FILE [--student NAME] --out DIR
 *       scores outputs produced elsewhere.
 * Both fill the same table of samples (student x benchmark x item x sample),
 * score it (extractors here, code through eval/code.h's sandbox), and write
 * DIR/results.jsonl and DIR/summary.json (docs/schema-results.md) in a fixed
 * order, whatever order the answers arrived in.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/llm.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/simsrv.h"
#include "eval/bench.h"
#include "eval/code.h"
#include "eval/ifeval.h"
#include "eval/eval.h"

#define EVAL_RULES_VERSION "gra-eval-1"

struct sample {
    char *output; /* NULL until answered */
    bool answered;
    bool call_failed;
    char *call_error;          /* llm status name + message */
    const char *finish_reason; /* static string or NULL */
    long prompt_tokens, completion_tokens;
    double latency_ms;
    bool cache_hit;
    char request_hash[65];
    struct verdict v;
    int outcome; /* code: enum code_outcome, else -1 */
};

struct cell {
    const char *student; /* display name */
    const char *model;   /* config model (live mode) */
    long train_seed;     /* -1 = unknown */
    bool simulated;
    struct bench *b; /* shared, owned by the run */
    int n_items;
    int *n_samples;    /* per item */
    struct sample **s; /* per item: n_samples[i] samples */
};

struct run {
    struct bench **benches;
    int n_benches;
    struct cell *cells;
    int n_cells;
    int code_workers;
    double code_timeout_s; /* 0 = the spec's */
    bool partial;          /* predictions: missing items allowed */
    long calls_total, calls_failed;
    struct progress *prog;
    long done;
    struct llm_client *client;
};

static void run_release(struct run *r)
{
    for (int c = 0; c < r->n_cells; c++) {
        struct cell *cl = &r->cells[c];
        for (int i = 0; i < cl->n_items; i++) {
            for (int k = 0; k < cl->n_samples[i]; k++) {
                free(cl->s[i][k].output);
                free(cl->s[i][k].call_error);
                score_verdict_release(&cl->s[i][k].v);
            }
            free(cl->s[i]);
        }
        free(cl->s);
        free(cl->n_samples);
    }
    free(r->cells);
    for (int i = 0; i < r->n_benches; i++) bench_free(r->benches[i]);
    free(r->benches);
}

static struct cell *add_cell(struct run *r, const char *student, const char *model, long train_seed,
                             bool simulated, struct bench *b, int n_samples)
{
    r->cells = xrealloc(r->cells, sizeof *r->cells * (size_t)(r->n_cells + 1));
    struct cell *c = &r->cells[r->n_cells++];
    memset(c, 0, sizeof *c);
    c->student = student;
    c->model = model;
    c->train_seed = train_seed;
    c->simulated = simulated;
    c->b = b;
    c->n_items = b->n_items;
    c->n_samples = xcalloc((size_t)(b->n_items ? b->n_items : 1), sizeof *c->n_samples);
    c->s = xcalloc((size_t)(b->n_items ? b->n_items : 1), sizeof *c->s);
    for (int i = 0; i < b->n_items && n_samples > 0; i++) {
        c->n_samples[i] = n_samples;
        c->s[i] = xcalloc((size_t)n_samples, sizeof **c->s);
    }
    return c;
}

/* ---------------- scoring ---------------- */

static int score_cell(struct run *r, struct cell *c)
{
    struct bench *b = c->b;
    if (b->family != BENCH_CODE) {
        for (int i = 0; i < c->n_items; i++)
            for (int k = 0; k < c->n_samples[i]; k++) {
                struct sample *s = &c->s[i][k];
                s->outcome = -1;
                if (s->call_failed || !s->output) {
                    memset(&s->v, 0, sizeof s->v);
                    s->v.extract_failed = !s->call_failed;
                    continue;
                }
                bench_score(b, i, s->output, &s->v);
            }
        return 0;
    }
    int n = 0;
    for (int i = 0; i < c->n_items; i++) n += c->n_samples[i];
    struct code_job *jobs = xcalloc((size_t)(n ? n : 1), sizeof *jobs);
    struct sample **back = xcalloc((size_t)(n ? n : 1), sizeof *back);
    int j = 0;
    for (int i = 0; i < c->n_items; i++)
        for (int k = 0; k < c->n_samples[i]; k++) {
            struct sample *s = &c->s[i][k];
            if (s->call_failed || !s->output) {
                memset(&s->v, 0, sizeof s->v);
                s->outcome = s->call_failed ? -1 : CODE_NO_CODE;
                s->v.extract_failed = !s->call_failed;
                continue;
            }
            jobs[j].family = strcmp(b->loader, "humaneval") == 0 ? CODE_HUMANEVAL : CODE_MBPP;
            jobs[j].item = b->items[i].record;
            jobs[j].output = s->output;
            jobs[j].output_is_completion = b->completion_code;
            back[j] = s;
            j++;
        }
    struct code_opts o = {r->code_workers,
                          r->code_timeout_s > 0 ? r->code_timeout_s : b->code_timeout_s, NULL};
    int rc = j ? code_score_batch(jobs, j, &o) : 0;
    if (rc) {
        err(rc, "%s: the code sandbox cannot run; no code sample was scored", b->name);
    } else {
        for (int q = 0; q < j; q++) {
            struct sample *s = back[q];
            memset(&s->v, 0, sizeof s->v);
            s->outcome = jobs[q].outcome;
            s->v.correct = s->v.strict = s->v.flexible = jobs[q].outcome == CODE_PASSED;
            s->v.partial = s->v.correct ? 1 : 0;
            s->v.extract_failed = jobs[q].outcome == CODE_NO_CODE;
            if (jobs[q].extracted) s->v.extracted = xstrdup(jobs[q].extracted);
        }
    }
    for (int q = 0; q < j; q++) code_job_release(&jobs[q]);
    free(jobs);
    free(back);
    return rc;
}

/* ---------------- output ---------------- */

static void put_result(struct buf *out, const struct cell *c, int i, int k)
{
    const struct bench *b = c->b;
    const struct sample *s = &c->s[i][k];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "student", c->student);
    cJSON_AddStringToObject(o, "benchmark", b->name);
    cJSON_AddStringToObject(o, "id", b->items[i].id);
    cJSON_AddNumberToObject(o, "sample", k);
    if (c->train_seed >= 0)
        cJSON_AddNumberToObject(o, "train_seed", (double)c->train_seed);
    else
        cJSON_AddNullToObject(o, "train_seed");
    cJSON_AddStringToObject(o, "output", s->output ? s->output : "");
    if (s->v.extracted)
        cJSON_AddStringToObject(o, "extracted", s->v.extracted);
    else
        cJSON_AddNullToObject(o, "extracted");
    cJSON_AddNumberToObject(o, "correct", s->v.correct ? 1 : 0);
    cJSON_AddNumberToObject(o, "strict", s->v.strict ? 1 : 0);
    cJSON_AddNumberToObject(o, "flexible", s->v.flexible ? 1 : 0);
    cJSON_AddBoolToObject(o, "extract_failed", s->v.extract_failed);
    if (b->family == BENCH_MC_MULTI) cJSON_AddNumberToObject(o, "partial", s->v.partial);
    if (b->family == BENCH_CODE && s->outcome >= 0)
        cJSON_AddStringToObject(o, "outcome", code_outcome_name(s->outcome));
    if (b->items[i].group) cJSON_AddStringToObject(o, "group", b->items[i].group);
    cJSON_AddNumberToObject(o, "prompt_tokens", (double)s->prompt_tokens);
    cJSON_AddNumberToObject(o, "completion_tokens", (double)s->completion_tokens);
    cJSON_AddNumberToObject(o, "latency_ms", round(s->latency_ms * 1000) / 1000);
    cJSON_AddStringToObject(o, "prompt_hash", b->prompt_hash);
    if (s->call_failed) {
        cJSON_AddBoolToObject(o, "call_failed", true);
        cJSON_AddStringToObject(o, "error", s->call_error ? s->call_error : "");
    }
    if (s->finish_reason) cJSON_AddStringToObject(o, "finish_reason", s->finish_reason);
    if (s->request_hash[0]) cJSON_AddStringToObject(o, "call", s->request_hash);
    if (c->simulated) cJSON_AddBoolToObject(o, "simulated", true);
    char *line = json_print_compact(o);
    buf_puts(out, line);
    buf_putc(out, '\n');
    free(line);
    cJSON_Delete(o);
}

static cJSON *cell_summary(const struct cell *c)
{
    const struct bench *b = c->b;
    cJSON *o = cJSON_CreateObject();
    long n_samples = 0, n_fail = 0, calls_failed = 0, ptok = 0, ctok = 0;
    double acc = 0, sacc = 0, facc = 0, partial = 0, lat = 0;
    int max_n = 0, n_scored_items = 0;
    cJSON *groups = NULL;
    struct group_acc {
        const char *g;
        int n;
        double acc;
    } *ga = NULL;
    int n_ga = 0;
    struct ifeval_tally ift = {0};
    for (int i = 0; i < c->n_items; i++) {
        int n = c->n_samples[i];
        if (n == 0) continue;
        n_scored_items++;
        if (n > max_n) max_n = n;
        double ci = 0, si = 0, fi = 0, pi = 0;
        for (int k = 0; k < n; k++) {
            const struct sample *s = &c->s[i][k];
            ci += s->v.correct;
            si += s->v.strict;
            fi += s->v.flexible;
            pi += s->v.partial;
            if (b->family == BENCH_IFEVAL) ifeval_tally_add(&ift, &s->v);
            n_fail += s->v.extract_failed;
            calls_failed += s->call_failed;
            ptok += s->prompt_tokens;
            ctok += s->completion_tokens;
            lat += s->latency_ms;
        }
        n_samples += n;
        acc += ci / n;
        sacc += si / n;
        facc += fi / n;
        partial += pi / n;
        const char *g = b->items[i].group;
        if (g) {
            if (!n_ga || strcmp(ga[n_ga - 1].g, g) != 0) {
                ga = xrealloc(ga, sizeof *ga * (size_t)(n_ga + 1));
                ga[n_ga++] = (struct group_acc){g, 0, 0};
            }
            ga[n_ga - 1].n++;
            ga[n_ga - 1].acc += ci / n;
        }
    }
    double ni = n_scored_items ? n_scored_items : 1;
    cJSON_AddNumberToObject(o, "n_items", n_scored_items);
    cJSON_AddNumberToObject(o, "n_samples", max_n);
    cJSON_AddNumberToObject(o, "accuracy", acc / ni);
    cJSON_AddNumberToObject(o, "strict_accuracy", sacc / ni);
    cJSON_AddNumberToObject(o, "flexible_accuracy", facc / ni);
    cJSON_AddNumberToObject(o, "extract_fail_rate", n_samples ? (double)n_fail / n_samples : 0);
    cJSON_AddNumberToObject(o, "failed_calls", (double)calls_failed);
    if (c->n_items > n_scored_items)
        cJSON_AddNumberToObject(o, "missing_items", c->n_items - n_scored_items);
    if (b->family == BENCH_MC_MULTI) cJSON_AddNumberToObject(o, "mean_partial", partial / ni);
    if (b->family == BENCH_IFEVAL) ifeval_tally_to_json(&ift, o);
    if (b->family == BENCH_CODE) {
        cJSON *pk = cJSON_AddObjectToObject(o, "pass_at_k");
        int ks1[] = {1};
        const int *ks = b->n_ks ? b->ks : ks1;
        int nks = b->n_ks ? b->n_ks : 1;
        cJSON *outcomes = cJSON_CreateObject();
        for (int q = 0; q < nks; q++) {
            int k = ks[q];
            double sum = 0;
            int cnt = 0;
            bool ok = true;
            for (int i = 0; i < c->n_items; i++) {
                int n = c->n_samples[i];
                if (n == 0) continue;
                if (n < k) ok = false;
                int passed = 0;
                for (int s = 0; s < n; s++) passed += c->s[i][s].v.correct;
                if (n >= k) {
                    sum += code_pass_at_k(n, passed, k);
                    cnt++;
                }
            }
            char key[16];
            snprintf(key, sizeof key, "%d", k);
            if (ok && cnt)
                cJSON_AddNumberToObject(pk, key, sum / cnt);
            else
                cJSON_AddNullToObject(pk, key); /* fewer samples than k */
        }
        for (int i = 0; i < c->n_items; i++)
            for (int s = 0; s < c->n_samples[i]; s++) {
                int oc = c->s[i][s].outcome;
                const char *name = oc >= 0 ? code_outcome_name(oc) : "call_failed";
                cJSON *x = cJSON_GetObjectItemCaseSensitive(outcomes, name);
                if (x)
                    cJSON_SetNumberValue(x, x->valuedouble + 1);
                else
                    cJSON_AddNumberToObject(outcomes, name, 1);
            }
        cJSON_AddItemToObject(o, "outcomes", outcomes);
    }
    if (n_ga) {
        groups = cJSON_AddObjectToObject(o, "groups");
        double macro = 0;
        for (int g = 0; g < n_ga; g++) {
            cJSON *x = cJSON_AddObjectToObject(groups, ga[g].g);
            cJSON_AddNumberToObject(x, "n_items", ga[g].n);
            cJSON_AddNumberToObject(x, "accuracy", ga[g].acc / ga[g].n);
            macro += ga[g].acc / ga[g].n;
        }
        cJSON_AddNumberToObject(o, "macro_accuracy", macro / n_ga);
    }
    free(ga);
    cJSON_AddNumberToObject(o, "prompt_tokens", (double)ptok);
    cJSON_AddNumberToObject(o, "completion_tokens", (double)ctok);
    cJSON_AddNumberToObject(o, "latency_ms_mean",
                            n_samples ? round(lat / n_samples * 1000) / 1000 : 0);
    cJSON_AddStringToObject(o, "family", bench_family_name(b->family));
    cJSON_AddStringToObject(o, "primary", b->primary);
    cJSON_AddStringToObject(o, "prompt_hash", b->prompt_hash);
    if (c->train_seed >= 0) cJSON_AddNumberToObject(o, "train_seed", (double)c->train_seed);
    if (c->simulated) cJSON_AddBoolToObject(o, "simulated", true);
    return o;
}

static int write_outputs(struct run *r, const char *out_dir, const char *mode, const char *source)
{
    int rc = fileio_mkdirs(out_dir);
    if (rc) return rc;
    struct buf res = BUF_INIT;
    bool simulated = false;
    for (int c = 0; c < r->n_cells; c++) simulated = simulated || r->cells[c].simulated;
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddBoolToObject(sum, "simulated", simulated);
    if (simulated)
        cJSON_AddStringToObject(sum, "label", "SIMULATED: students served by gra serve-sim");
    cJSON_AddStringToObject(sum, "rules_version", EVAL_RULES_VERSION);
    cJSON_AddStringToObject(sum, "mode", mode);
    if (source) cJSON_AddStringToObject(sum, "source", source);
    cJSON *students = cJSON_AddObjectToObject(sum, "students");
    cJSON *hashes = cJSON_AddObjectToObject(sum, "prompt_hashes");
    for (int c = 0; c < r->n_cells; c++) {
        struct cell *cl = &r->cells[c];
        for (int i = 0; i < cl->n_items; i++)
            for (int k = 0; k < cl->n_samples[i]; k++) put_result(&res, cl, i, k);
        cJSON *st = cJSON_GetObjectItemCaseSensitive(students, cl->student);
        if (!st) st = cJSON_AddObjectToObject(students, cl->student);
        cJSON_AddItemToObject(st, cl->b->name, cell_summary(cl));
        if (!cJSON_GetObjectItemCaseSensitive(hashes, cl->b->name))
            cJSON_AddStringToObject(hashes, cl->b->name, cl->b->prompt_hash);
    }
    char *rp = path_join(out_dir, "results.jsonl");
    char *sp = path_join(out_dir, "summary.json");
    rc = fileio_write_atomic(rp, res.data, res.len);
    if (!rc) {
        char *s = cJSON_Print(sum);
        size_t n = strlen(s);
        char *s2 = xmalloc(n + 2);
        memcpy(s2, s, n);
        s2[n] = '\n';
        s2[n + 1] = '\0';
        rc = fileio_write_atomic(sp, s2, n + 1);
        cJSON_free(s);
        free(s2);
    }
    /* the headline, one line per cell */
    for (int c = 0; c < r->n_cells && !rc; c++) {
        cJSON *x = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(students, r->cells[c].student), r->cells[c].b->name);
        printf("%s%-16s %-16s n=%-6d accuracy %.4f  strict %.4f  extract-fail %.4f\n",
               r->cells[c].simulated ? "SIMULATED " : "", r->cells[c].student, r->cells[c].b->name,
               (int)cJSON_GetObjectItemCaseSensitive(x, "n_items")->valuedouble,
               cJSON_GetObjectItemCaseSensitive(x, "accuracy")->valuedouble,
               cJSON_GetObjectItemCaseSensitive(x, "strict_accuracy")->valuedouble,
               cJSON_GetObjectItemCaseSensitive(x, "extract_fail_rate")->valuedouble);
    }
    if (!rc) printf("wrote %s and %s\n", rp, sp);
    free(rp);
    free(sp);
    buf_release(&res);
    cJSON_Delete(sum);
    return rc;
}

/* ---------------- predictions ---------------- */

struct pred_ctx {
    const char *path;
    struct bench *b;
    struct cell *cell;
    long *seen_line; /* per item: line of its prediction, 0 = none */
    int errors;
    bool limited; /* --limit: ids past the first N items are skipped */
    long skipped;
};

static int pred_error(struct pred_ctx *p, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int pred_error(struct pred_ctx *p, long line, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->errors < 50)
        log_error("%s:%ld: %s", p->path, line, msg);
    else if (p->errors == 50)
        log_error("%s: more errors not shown", p->path);
    p->errors++;
    return 0;
}

static int pred_line(void *ud, long line, cJSON *o, const char *errmsg)
{
    struct pred_ctx *p = ud;
    if (!o) return pred_error(p, line, "%s", errmsg);
    if (!cJSON_IsObject(o)) return pred_error(p, line, "expected an object {\"id\", \"output\"}");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    char idbuf[64];
    const char *ids;
    if (cJSON_IsString(id)) {
        ids = id->valuestring;
    } else if (cJSON_IsNumber(id) && id->valuedouble == floor(id->valuedouble)) {
        snprintf(idbuf, sizeof idbuf, "%.0f", id->valuedouble);
        ids = idbuf;
    } else {
        return pred_error(p, line, "id: expected a string (or an integer task_id)");
    }
    for (const cJSON *c = o->child; c; c = c->next)
        if (strcmp(c->string, "id") != 0 && strcmp(c->string, "output") != 0 &&
            strcmp(c->string, "outputs") != 0 && strcmp(c->string, "benchmark") != 0)
            return pred_error(p, line, "%s: unknown key (allowed: id, output, outputs, benchmark)",
                              c->string);
    const char *bn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "benchmark"));
    if (bn && strcmp(bn, p->b->name) != 0)
        return pred_error(p, line, "benchmark: \"%s\", but --benchmark is %s", bn, p->b->name);
    int i = bench_find(p->b, ids);
    if (i < 0 && p->limited) {
        p->skipped++;
        return 0;
    }
    if (i < 0) return pred_error(p, line, "id \"%s\": not an item of %s", ids, p->b->name);
    if (p->seen_line[i])
        return pred_error(p, line, "id \"%s\": duplicate (first at line %ld)", ids,
                          p->seen_line[i]);
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(o, "output");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(o, "outputs");
    if ((out != NULL) == (outs != NULL))
        return pred_error(p, line,
                          "expected exactly one of \"output\" (string) and \"outputs\" (array)");
    int n = 1;
    if (outs) {
        if (!cJSON_IsArray(outs) || cJSON_GetArraySize(outs) == 0)
            return pred_error(p, line, "outputs: expected a non-empty array of strings");
        n = cJSON_GetArraySize(outs);
        for (const cJSON *x = outs->child; x; x = x->next)
            if (!cJSON_IsString(x)) return pred_error(p, line, "outputs: expected strings only");
    } else if (!cJSON_IsString(out)) {
        return pred_error(p, line, "output: expected a string");
    }
    p->seen_line[i] = line;
    struct cell *c = p->cell;
    c->n_samples[i] = n;
    c->s[i] = xcalloc((size_t)n, sizeof **c->s);
    if (outs) {
        int k = 0;
        for (const cJSON *x = outs->child; x; x = x->next, k++)
            c->s[i][k].output = xstrdup(x->valuestring);
    } else {
        c->s[i][0].output = xstrdup(out->valuestring);
    }
    for (int k = 0; k < n; k++) c->s[i][k].answered = true;
    return 0;
}

static int eval_predictions(struct run *r, const char *bench_dir, const char *data_dir,
                            const char *bench_name, const char *pred_path, const char *student,
                            int limit)
{
    struct bench *b;
    int rc = bench_open(bench_dir, bench_name, &b);
    if (rc) return rc;
    r->benches = xcalloc(1, sizeof *r->benches);
    r->benches[r->n_benches++] = b;
    rc = bench_load(b, data_dir, limit);
    if (rc) return rc;
    if (!fileio_exists(pred_path))
        return err(GRA_ENOENT, "predictions file %s does not exist", pred_path);
    struct cell *c = add_cell(r, student, NULL, -1, false, b, 0);
    struct pred_ctx p = {
        pred_path, b,         c, xcalloc((size_t)(b->n_items ? b->n_items : 1), sizeof(long)),
        0,         limit > 0, 0};
    rc = jsonl_foreach(pred_path, pred_line, &p);
    if (p.skipped)
        log_info("%s: %ld predictions for items past --limit %d skipped", pred_path, p.skipped,
                 limit);
    int missing = 0;
    const char *first_missing = NULL;
    for (int i = 0; i < b->n_items; i++)
        if (!p.seen_line[i]) {
            if (!first_missing) first_missing = b->items[i].id;
            missing++;
        }
    free(p.seen_line);
    if (rc) return rc;
    if (missing && !r->partial) {
        log_error(
            "%s: %d of %d items of %s have no prediction (first: id \"%s\"); pass --partial to "
            "score only the predicted items",
            pred_path, missing, b->n_items, b->name, first_missing);
        p.errors++;
    } else if (missing) {
        log_warn("%s: %d of %d items of %s have no prediction (--partial: scoring the rest)",
                 pred_path, missing, b->n_items, b->name);
    }
    if (p.errors)
        return err(GRA_EPARSE, "%s: %d problem%s in the predictions file; nothing written",
                   pred_path, p.errors, p.errors == 1 ? "" : "s");
    return score_cell(r, c);
}

/* ---------------- live students ---------------- */

struct req_ud {
    struct run *r;
    struct sample *s;
};

static volatile sig_atomic_t eval_interrupted;
static struct llm_client *eval_client_for_signal;

static void on_signal(int sig)
{
    (void)sig;
    eval_interrupted = 1;
    if (eval_client_for_signal) llm_stop(eval_client_for_signal);
}

static void on_done(void *ud, const struct llm_result *res)
{
    struct req_ud *u = ud;
    struct sample *s = u->s;
    s->answered = true;
    s->prompt_tokens = res->prompt_tokens;
    s->completion_tokens = res->completion_tokens;
    s->latency_ms = res->latency_ms;
    s->cache_hit = res->cache_hit;
    snprintf(s->request_hash, sizeof s->request_hash, "%s", res->request_hash);
    if (res->status == LLM_OK) {
        s->output = xstrndup(res->content ? res->content : "", res->content ? res->content_len : 0);
        s->finish_reason =
            res->finish_reason && strcmp(res->finish_reason, "length") == 0 ? "length" : NULL;
    } else {
        s->call_failed = true;
        s->call_error =
            xasprintf("%s: %s", llm_status_name(res->status), res->error ? res->error : "");
        u->r->calls_failed++;
    }
    u->r->done++;
    if (u->r->prog) {
        struct llm_counters k;
        llm_counters(u->r->client, &k);
        progress_update(u->r->prog, u->r->done, k.inflight, k.retries, u->r->calls_failed);
    }
    free(u);
}

struct eval_cfg {
    char **students;
    long *train_seeds;
    int n_students;
    char **benches;
    int *limits;
    int n_benches;
    long limit;
    long samples;
    long workers;
    double timeout_s;
    double max_failed_fraction;
    char *data_dir;
};

static void eval_cfg_release(struct eval_cfg *e)
{
    for (int i = 0; i < e->n_students; i++) free(e->students[i]);
    free(e->students);
    free(e->train_seeds);
    for (int i = 0; i < e->n_benches; i++) free(e->benches[i]);
    free(e->benches);
    free(e->limits);
    free(e->data_dir);
}

/* Validate the "eval" section (docs/config-eval.md). */
static int eval_cfg_parse(const struct gra_config *cfg, const char *bench_dir, struct eval_cfg *e)
{
    memset(e, 0, sizeof *e);
    struct cfg_err ce = {cfg->path, 0};
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(cfg->root, "eval");
    if (!cJSON_IsObject(ev))
        return cfg_fail(&ce, "", "eval",
                        "required: an object with \"students\" and \"benchmarks\"");
    static const char *const keys[] = {
        "students", "benchmarks",          "limit", "samples", "data_dir",
        "code",     "max_failed_fraction", NULL};
    cfg_keys(&ce, ev, "eval", keys);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(ev, "students");
    if (!cJSON_IsArray(st) || cJSON_GetArraySize(st) == 0) {
        cfg_fail(&ce, "eval", "students",
                 "expected a non-empty array of model names or {\"model\", \"train_seed\"}");
    } else {
        int n = cJSON_GetArraySize(st), k = 0;
        e->students = xcalloc((size_t)n, sizeof *e->students);
        e->train_seeds = xcalloc((size_t)n, sizeof *e->train_seeds);
        for (const cJSON *x = st->child; x; x = x->next, k++) {
            char path[64];
            snprintf(path, sizeof path, "eval.students[%d]", k);
            const char *m = NULL;
            e->train_seeds[k] = -1;
            if (cJSON_IsString(x)) {
                m = x->valuestring;
            } else if (cJSON_IsObject(x)) {
                static const char *const sk[] = {"model", "train_seed", NULL};
                cfg_keys(&ce, x, path, sk);
                m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "model"));
                if (!m) cfg_fail(&ce, path, "model", "required: a name under \"models\"");
                long ts;
                if (cfg_int(&ce, x, "train_seed", path, -1, -1, (long)1 << 52, &ts) == 0)
                    e->train_seeds[k] = ts;
            } else {
                cfg_fail(&ce, "eval.students", "", "element %d: expected a model name or an object",
                         k);
            }
            if (m && !config_model(cfg, m))
                cfg_fail(&ce, path, "model", "\"%s\" is not under \"models\"", m);
            for (int j = 0; m && j < e->n_students; j++)
                if (strcmp(e->students[j], m) == 0)
                    cfg_fail(&ce, path, "model", "\"%s\" listed twice", m);
            if (m) e->students[e->n_students++] = xstrdup(m);
        }
    }
    const cJSON *bs = cJSON_GetObjectItemCaseSensitive(ev, "benchmarks");
    if (!cJSON_IsArray(bs) || cJSON_GetArraySize(bs) == 0) {
        cfg_fail(&ce, "eval", "benchmarks",
                 "expected a non-empty array of benchmark names or {\"name\", \"limit\"}");
    } else {
        int n = cJSON_GetArraySize(bs), k = 0;
        e->benches = xcalloc((size_t)n, sizeof *e->benches);
        e->limits = xcalloc((size_t)n, sizeof *e->limits);
        for (const cJSON *x = bs->child; x; x = x->next, k++) {
            char path[64];
            snprintf(path, sizeof path, "eval.benchmarks[%d]", k);
            const char *nm = NULL;
            if (cJSON_IsString(x)) {
                nm = x->valuestring;
            } else if (cJSON_IsObject(x)) {
                static const char *const bk[] = {"name", "limit", NULL};
                cfg_keys(&ce, x, path, bk);
                nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "name"));
                if (!nm) cfg_fail(&ce, path, "name", "required: a benchmark name");
                long l;
                if (cfg_int(&ce, x, "limit", path, 0, 0, 100000000, &l) == 0)
                    e->limits[e->n_benches] = (int)l;
            } else {
                cfg_fail(&ce, "eval.benchmarks", "", "element %d: expected a name or an object", k);
            }
            if (nm) {
                char *bd = path_join(bench_dir, nm);
                char *sp = path_join(bd, "spec.json");
                if (strchr(nm, '/') || !fileio_exists(sp))
                    cfg_fail(&ce, path, "name", "unknown benchmark \"%s\" (no %s)", nm, sp);
                free(bd);
                free(sp);
                e->benches[e->n_benches++] = xstrdup(nm);
            }
        }
    }
    cfg_int(&ce, ev, "limit", "eval", 0, 0, 100000000, &e->limit);
    cfg_int(&ce, ev, "samples", "eval", 0, 0, 1000, &e->samples);
    cfg_double(&ce, ev, "max_failed_fraction", "eval", 0.01, 0, 1, &e->max_failed_fraction);
    cfg_string(&ce, ev, "data_dir", "eval", NULL, &e->data_dir);
    const cJSON *code;
    e->timeout_s = 0;
    if (cfg_object(&ce, ev, "code", "eval", false, &code) == 0 && code) {
        static const char *const ck[] = {"workers", "timeout_s", NULL};
        cfg_keys(&ce, code, "eval.code", ck);
        cfg_int(&ce, code, "workers", "eval.code", 0, 0, 4096, &e->workers);
        cfg_double(&ce, code, "timeout_s", "eval.code", 0, 0, 3600, &e->timeout_s);
    }
    if (e->data_dir && e->data_dir[0] != '/') {
        char *p = config_path(cfg, e->data_dir);
        free(e->data_dir);
        e->data_dir = p;
    }
    if (ce.n_errors) return GRA_ECONFIG;
    return 0;
}

static int eval_live(struct run *r, const char *exp, const char *bench_dir,
                     const char *data_dir_opt, const char *only_student, const char *only_bench,
                     int limit_opt, const char *out_dir, const char *cache_opt, bool no_cache,
                     bool replay, int *exit_code)
{
    struct gra_config *cfg = NULL;
    struct simsrv *srv = NULL;
    struct llm_client *client = NULL;
    struct eval_cfg e;
    char *data_dir = NULL, *cache = NULL;
    memset(&e, 0, sizeof e);
    int rc = config_load(exp, &cfg);
    if (rc) goto out;
    rc = eval_cfg_parse(cfg, bench_dir, &e);
    if (rc) goto out;
    data_dir = data_dir_opt ? xstrdup(data_dir_opt)
               : e.data_dir ? xstrdup(e.data_dir)
                            : bench_data_dir_default();
    if (only_student) {
        bool found = false;
        for (int i = 0; i < e.n_students; i++)
            found = found || strcmp(e.students[i], only_student) == 0;
        if (!found) {
            rc = err(GRA_EINVAL, "--student %s: not a student of %s (eval.students)", only_student,
                     exp);
            goto out;
        }
    }
    if (!r->code_workers) r->code_workers = (int)e.workers; /* --code-workers wins */
    if (!(r->code_timeout_s > 0)) r->code_timeout_s = e.timeout_s;
    /* load the benchmarks once; students share them */
    for (int k = 0; k < e.n_benches; k++) {
        if (only_bench && strcmp(e.benches[k], only_bench) != 0) continue;
        struct bench *b;
        rc = bench_open(bench_dir, e.benches[k], &b);
        if (rc) goto out;
        r->benches = xrealloc(r->benches, sizeof *r->benches * (size_t)(r->n_benches + 1));
        r->benches[r->n_benches++] = b;
        int lim = limit_opt > 0 ? limit_opt : e.limits[k] > 0 ? e.limits[k] : (int)e.limit;
        rc = bench_load(b, data_dir, lim);
        if (rc) goto out;
        if (e.samples > 0) b->n_samples = (int)e.samples;
    }
    if (only_bench && r->n_benches == 0) {
        rc = err(GRA_EINVAL, "--benchmark %s: not a benchmark of %s (eval.benchmarks)", only_bench,
                 exp);
        goto out;
    }
    /* the run directory is the parent of --out (RUN/eval): the cache lives
     * there, and simulated students trained on the run's datasets resolve
     * their "trained_on" paths against it (GRA_RUN_DIR, unless already set) */
    char *run_dir = xstrdup(out_dir);
    {
        size_t n = strlen(run_dir);
        while (n > 1 && run_dir[n - 1] == '/') run_dir[--n] = '\0';
        char *slash = strrchr(run_dir, '/');
        if (slash == run_dir)
            run_dir[1] = '\0';
        else if (slash)
            *slash = '\0';
        else
            strcpy(run_dir, ".");
    }
    if (!getenv("GRA_RUN_DIR")) setenv("GRA_RUN_DIR", run_dir, 1);
    /* sim students need the same data directory as we do */
    setenv("GRA_DATA_DIR", data_dir, 1);
    rc = simsrv_autostart(cfg, &srv);
    if (rc) {
        free(run_dir);
        goto out;
    }
    if (!no_cache) {
        const char *cp = cache_opt ? cache_opt : cfg->cache_path;
        if (cp && cp[0] != '/' && !cache_opt) {
            cache = path_join(run_dir, cp);
            fileio_mkdirs(out_dir);
        } else if (cp) {
            cache = xstrdup(cp);
        }
    }
    free(run_dir);
    struct llm_client_opts lo = {cache, replay, gra_quiet};
    rc = llm_client_new(cfg, &lo, &client);
    if (rc) goto out;
    r->client = client;
    long total = 0;
    for (int si = 0; si < e.n_students; si++) {
        if (only_student && strcmp(e.students[si], only_student) != 0) continue;
        const struct model_cfg *m = config_model(cfg, e.students[si]);
        for (int bi = 0; bi < r->n_benches; bi++) {
            struct bench *b = r->benches[bi];
            struct cell *c = add_cell(r, e.students[si], e.students[si], e.train_seeds[si], m->sim,
                                      b, b->n_samples);
            for (int i = 0; i < b->n_items; i++) total += c->n_samples[i];
        }
    }
    r->prog = progress_new("eval samples", total, gra_quiet);
    eval_client_for_signal = client;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    for (int c = 0; c < r->n_cells && !rc; c++) {
        struct cell *cl = &r->cells[c];
        struct bench *b = cl->b;
        for (int i = 0; i < cl->n_items && !rc; i++) {
            cJSON *msgs = bench_messages(b, i);
            if (!msgs) {
                rc = GRA_ECONFIG;
                break;
            }
            for (int k = 0; k < cl->n_samples[i]; k++) {
                struct req_ud *u = xmalloc(sizeof *u);
                u->r = r;
                u->s = &cl->s[i][k];
                char label[512];
                snprintf(label, sizeof label, "eval/%s/%s", b->name, b->items[i].id);
                struct llm_request q = {0};
                q.model = cl->model;
                q.tag = "student";
                q.messages = msgs;
                q.params = b->gen;
                q.allow_length = true;
                q.seed = rng_derive(cfg->seed, label, (uint64_t)k);
                q.done = on_done;
                q.ud = u;
                r->calls_total++;
                rc = llm_submit(client, &q);
                if (rc) {
                    free(u);
                    break;
                }
            }
            cJSON_Delete(msgs);
        }
    }
    if (!rc) rc = llm_run(client);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    eval_client_for_signal = NULL;
    progress_finish(r->prog);
    r->prog = NULL;
    if (rc) goto out;
    for (int c = 0; c < r->n_cells && !rc; c++) rc = score_cell(r, &r->cells[c]);
    if (rc) goto out;
    rc = write_outputs(r, out_dir, "live", exp);
    if (!rc && r->calls_total &&
        (double)r->calls_failed / (double)r->calls_total > e.max_failed_fraction) {
        log_error("%ld of %ld student calls failed (more than eval.max_failed_fraction %.3g); "
                  "re-run to retry them (answered calls come from the cache)",
                  r->calls_failed, r->calls_total, e.max_failed_fraction);
        *exit_code = GRA_EXIT_FAILED_ITEMS;
    }
out:
    llm_client_free(client);
    simsrv_stop(srv);
    eval_cfg_release(&e);
    config_free(cfg);
    free(data_dir);
    free(cache);
    return rc;
}

/* ---------------- command ---------------- */

static int eval_usage(FILE *f)
{
    fprintf(f,
            "usage: gra eval EXP.json [--student NAME] [--benchmark NAME] [--limit N] --out DIR\n"
            "       gra eval --benchmark NAME --predictions FILE [--student NAME] --out DIR\n\n"
            "Score students on benchmarks: ask live student endpoints (the config's \"eval\"\n"
            "section, docs/config-eval.md), or score a predictions file (JSONL lines\n"
            "{\"id\": ..., \"output\": \"...\"} or {\"id\": ..., \"outputs\": [...]}).\n"
            "Writes DIR/results.jsonl and DIR/summary.json (docs/schema-results.md).\n\n"
            "--out DIR             output directory (required)\n"
            "--benchmark NAME      one benchmark (predictions: required)\n"
            "--student NAME        one student (predictions: the name recorded, default "
            "\"predictions\")\n"
            "--limit N             the first N items of each benchmark\n"
            "--data-dir DIR        benchmark data (default $GRA_DATA_DIR, else "
            "~/.local/share/gra/data)\n"
            "--benchmarks-dir DIR  specs (default $GRA_SOURCE_DIR/benchmarks)\n"
            "--partial             predictions: score only the predicted items (missing ones are\n"
            "                      otherwise an error)\n"
            "--code-workers N      sandbox workers (default: cores); --code-timeout S overrides "
            "the spec\n"
            "--cache PATH          call cache (default: the config's, relative to DIR's parent)\n"
            "--no-cache, --replay  no call cache / fail on any cache miss\n\n"
            "exit: 0 ok, 1 too many failed student calls, 2 usage, 3 config or spec,\n"
            "4 data or predictions problem (each reported as file:line), 5 sandbox failed\n");
    return f == stdout ? 0 : GRA_EXIT_USAGE;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"benchmark", required_argument, NULL, 'b'},
        {"student", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'l'},
        {"predictions", required_argument, NULL, 'p'},
        {"data-dir", required_argument, NULL, 'd'},
        {"benchmarks-dir", required_argument, NULL, 'B'},
        {"partial", no_argument, NULL, 'P'},
        {"code-workers", required_argument, NULL, 'w'},
        {"code-timeout", required_argument, NULL, 't'},
        {"cache", required_argument, NULL, 'c'},
        {"no-cache", no_argument, NULL, 'N'},
        {"replay", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *bench_name = NULL, *student = NULL, *pred = NULL, *data_dir = NULL;
    const char *bench_dir = NULL, *cache = NULL;
    long limit = 0, workers = 0;
    double timeout = 0;
    bool partial = false, no_cache = false, replay = false;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'b':
            bench_name = optarg;
            break;
        case 's':
            student = optarg;
            break;
        case 'p':
            pred = optarg;
            break;
        case 'd':
            data_dir = optarg;
            break;
        case 'B':
            bench_dir = optarg;
            break;
        case 'P':
            partial = true;
            break;
        case 'c':
            cache = optarg;
            break;
        case 'N':
            no_cache = true;
            break;
        case 'R':
            replay = true;
            break;
        case 'l':
            errno = 0;
            limit = strtol(optarg, &end, 10);
            if (errno || *end || limit < 1 || limit > 100000000) {
                fprintf(stderr, "gra eval: --limit: expected a positive integer, got '%s'\n",
                        optarg);
                return GRA_EXIT_USAGE;
            }
            break;
        case 'w':
            errno = 0;
            workers = strtol(optarg, &end, 10);
            if (errno || *end || workers < 0 || workers > 4096) {
                fprintf(stderr, "gra eval: --code-workers: expected 0..4096, got '%s'\n", optarg);
                return GRA_EXIT_USAGE;
            }
            break;
        case 't':
            timeout = strtod(optarg, &end);
            if (*end || !(timeout > 0 && timeout <= 3600)) {
                fprintf(stderr,
                        "gra eval: --code-timeout: expected seconds in (0, 3600], got '%s'\n",
                        optarg);
                return GRA_EXIT_USAGE;
            }
            break;
        case 'h':
            return eval_usage(stdout);
        default:
            return eval_usage(stderr);
        }
    }
    const char *exp = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc) {
        fprintf(stderr, "gra eval: unexpected argument '%s'\n", argv[optind + 1]);
        return eval_usage(stderr);
    }
    if (!out) {
        fprintf(stderr, "gra eval: --out DIR is required\n");
        return eval_usage(stderr);
    }
    if (!!exp == !!pred) {
        fprintf(stderr, "gra eval: give either EXP.json or --predictions FILE\n");
        return eval_usage(stderr);
    }
    if (pred && !bench_name) {
        fprintf(stderr, "gra eval: --predictions needs --benchmark NAME\n");
        return eval_usage(stderr);
    }
    if (!bench_dir) bench_dir = bench_dir_default();
    struct run r;
    memset(&r, 0, sizeof r);
    r.partial = partial;
    r.code_workers = (int)workers;
    r.code_timeout_s = timeout;
    int rc, exit_code = 0;
    if (pred) {
        char *dd = data_dir ? xstrdup(data_dir) : bench_data_dir_default();
        rc = eval_predictions(&r, bench_dir, dd, bench_name, pred,
                              student ? student : "predictions", (int)limit);
        if (!rc) rc = write_outputs(&r, out, "predictions", pred);
        free(dd);
    } else {
        rc = eval_live(&r, exp, bench_dir, data_dir, student, bench_name, (int)limit, out, cache,
                       no_cache, replay, &exit_code);
    }
    run_release(&r);
    if (rc) return eval_interrupted ? GRA_EXIT_INTERRUPTED : gra_exit_code(rc);
    return exit_code;
}
