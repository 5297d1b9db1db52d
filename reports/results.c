/*
 * results: read gra eval's results.jsonl files (docs/schema-results.md) into
 * one cell per (student, benchmark) holding every item's observations.
 *
 * Every field is checked where it is read and a bad line fails the whole
 * report with "FILE:LINE: field: problem": a silently skipped line would bias
 * an accuracy. The same (student, benchmark, id, train_seed, sample) twice is
 * an error too (it would count twice). After loading, results_finish()
 * reduces each item to one score: the mean over its samples (pass@1 for code,
 * unbiased) per training seed, then the mean over seeds.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "reports/report_int.h"

struct load_ctx {
    struct results *r;
    const char *path;
    int file;
    int rc;
    bool simulated;
};

static int bad(struct load_ctx *lc, long line, const char *field, const char *what)
{
    lc->rc = err(GRA_EPARSE, "%s:%ld: field '%s': %s", lc->path, line, field, what);
    return lc->rc;
}

static int index_of(char ***names, int *n, const char *s)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*names)[i], s) == 0) return i;
    *names = xrealloc(*names, (size_t)(*n + 1) * sizeof **names);
    (*names)[*n] = xstrdup(s);
    return (*n)++;
}

struct cell *results_cell(const struct results *r, const char *student, const char *benchmark)
{
    char *key = xasprintf("%s\t%s", student, benchmark);
    long i = strmap_get(&r->cell_index, key);
    free(key);
    return i < 0 ? NULL : &r->cells[i];
}

static struct cell *cell_get(struct results *r, const char *student, const char *benchmark)
{
    struct cell *c = results_cell(r, student, benchmark);
    if (c) return c;
    if (r->n_cells == r->cap_cells) {
        r->cap_cells = r->cap_cells ? r->cap_cells * 2 : 16;
        r->cells = xrealloc(r->cells, r->cap_cells * sizeof *r->cells);
    }
    c = &r->cells[r->n_cells];
    memset(c, 0, sizeof *c);
    c->student = xstrdup(student);
    c->benchmark = xstrdup(benchmark);
    char *key = xasprintf("%s\t%s", student, benchmark);
    strmap_put(&r->cell_index, key, (long)r->n_cells);
    free(key);
    r->n_cells++;
    index_of(&r->students, &r->n_students, student);
    index_of(&r->benchmarks, &r->n_benchmarks, benchmark);
    return c;
}

/* 0/1 from a number or a bool; -1 when neither */
static int bit_of(const cJSON *v)
{
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? 1 : 0;
    if (cJSON_IsNumber(v) && (v->valuedouble == 0.0 || v->valuedouble == 1.0))
        return (int)v->valuedouble;
    return -1;
}

static int on_line(void *ud, long line, cJSON *o, const char *errmsg)
{
    struct load_ctx *lc = ud;
    if (!o) {
        lc->rc = err(GRA_EPARSE, "%s:%ld: %s", lc->path, line, errmsg);
        return lc->rc;
    }
    if (!cJSON_IsObject(o)) return bad(lc, line, "(line)", "expected a JSON object");
    const char *student = jget_str(o, "student"), *bench = jget_str(o, "benchmark");
    if (!student || !*student) return bad(lc, line, "student", "missing or not a non-empty string");
    if (!bench || !*bench) return bad(lc, line, "benchmark", "missing or not a non-empty string");
    const cJSON *idv = cJSON_GetObjectItemCaseSensitive(o, "id");
    char idbuf[64];
    const char *id;
    if (cJSON_IsString(idv) && idv->valuestring[0]) {
        id = idv->valuestring;
    } else if (cJSON_IsNumber(idv) && idv->valuedouble == floor(idv->valuedouble)) {
        snprintf(idbuf, sizeof idbuf, "%.0f", idv->valuedouble);
        id = idbuf;
    } else {
        return bad(lc, line, "id", "missing or not a string");
    }
    int sample = 0;
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(o, "sample");
    if (sv) {
        if (!cJSON_IsNumber(sv) || sv->valuedouble < 0 ||
            sv->valuedouble != floor(sv->valuedouble) || sv->valuedouble > INT_MAX)
            return bad(lc, line, "sample", "expected a non-negative integer");
        sample = (int)sv->valuedouble;
    }
    long seed = LONG_MIN;
    const cJSON *tv = cJSON_GetObjectItemCaseSensitive(o, "train_seed");
    if (tv && !cJSON_IsNull(tv)) {
        if (!cJSON_IsNumber(tv) || tv->valuedouble != floor(tv->valuedouble) ||
            fabs(tv->valuedouble) > 9e15)
            return bad(lc, line, "train_seed", "expected an integer or null");
        seed = (long)tv->valuedouble;
    }
    int correct = bit_of(cJSON_GetObjectItemCaseSensitive(o, "correct"));
    if (correct < 0) return bad(lc, line, "correct", "missing or not 0/1");
    const cJSON *stv = cJSON_GetObjectItemCaseSensitive(o, "strict");
    int strict = stv ? bit_of(stv) : correct;
    if (strict < 0) return bad(lc, line, "strict", "not 0/1");
    const cJSON *ef = cJSON_GetObjectItemCaseSensitive(o, "extract_failed");
    int efail;
    if (ef) {
        if (!cJSON_IsBool(ef)) return bad(lc, line, "extract_failed", "expected true or false");
        efail = cJSON_IsTrue(ef);
    } else {
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(o, "extracted");
        efail = ex && cJSON_IsNull(ex);
    }
    const cJSON *sim = cJSON_GetObjectItemCaseSensitive(o, "simulated");
    if (sim && !cJSON_IsBool(sim)) return bad(lc, line, "simulated", "expected true or false");

    struct results *r = lc->r;
    /* a student listed under report.conditions is one training seed of that condition */
    const char *member = NULL;
    if (r->cfg)
        for (int k = 0; k < r->cfg->n_conds && !member; k++)
            for (int m = 0; m < r->cfg->n_cond_members[k]; m++)
                if (!strcmp(r->cfg->cond_members[k][m], student)) {
                    member = student;
                    student = r->cfg->cond_names[k];
                    seed = m; /* the seed level is the member, whatever its train_seed says */
                    break;
                }
    struct cell *c = cell_get(r, student, bench);
    if (cJSON_IsTrue(sim)) c->simulated = r->simulated = lc->simulated = true;
    if (cJSON_GetObjectItemCaseSensitive(o, "outcome")) c->code = true;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "call_failed"))) c->call_failed++;
    const char *group = jget_str(o, "group");
    const char *ph = jget_str(o, "prompt_hash");
    if (ph && !c->prompt_hash) c->prompt_hash = xstrdup(ph);
    c->tokens_prompt += jget_num(o, "prompt_tokens", 0);
    c->tokens_completion += jget_num(o, "completion_tokens", 0);

    int si = -1;
    for (int k = 0; k < c->n_seeds; k++)
        if (c->seeds[k] == seed) si = k;
    if (si < 0) {
        c->seeds = xrealloc(c->seeds, (size_t)(c->n_seeds + 1) * sizeof *c->seeds);
        c->members = xrealloc(c->members, (size_t)(c->n_seeds + 1) * sizeof *c->members);
        c->seeds[c->n_seeds] = seed;
        c->members[c->n_seeds] = member ? xstrdup(member) : NULL;
        si = c->n_seeds++;
    }
    long ii = strmap_get(&c->index, id);
    if (ii < 0) {
        if (c->n_items == c->cap_items) {
            c->cap_items = c->cap_items ? c->cap_items * 2 : 64;
            c->items = xrealloc(c->items, c->cap_items * sizeof *c->items);
        }
        ii = (long)c->n_items++;
        memset(&c->items[ii], 0, sizeof c->items[ii]);
        c->items[ii].id = xstrdup(id);
        strmap_put(&c->index, id, ii);
    }
    struct item *it = &c->items[ii];
    if (group && !it->group) it->group = xstrdup(group);
    if (it->n_obs == it->cap_obs) {
        it->cap_obs = it->cap_obs ? it->cap_obs * 2 : 1;
        it->obs = xrealloc(it->obs, (size_t)it->cap_obs * sizeof *it->obs);
    }
    struct obs *ob = &it->obs[it->n_obs++];
    ob->seed_idx = si;
    ob->sample = sample;
    ob->correct = (unsigned char)correct;
    ob->strict = (unsigned char)strict;
    ob->efail = (unsigned char)efail;
    ob->correct_v = correct;
    ob->file = lc->file;
    ob->line = line;
    return 0;
}

int results_load(struct results *r, const char *path, int file, bool *simulated)
{
    struct load_ctx lc = {r, path, file, 0, false};
    int rc = jsonl_foreach(path, on_line, &lc);
    *simulated = lc.simulated;
    if (lc.rc) return lc.rc;
    return rc;
}

static int cmp_obs(const void *x, const void *y)
{
    const struct obs *a = x, *b = y;
    if (a->seed_idx != b->seed_idx) return a->seed_idx < b->seed_idx ? -1 : 1;
    if (a->sample != b->sample) return a->sample < b->sample ? -1 : 1;
    return 0;
}

int results_finish(struct results *r, const struct lineage *lin)
{
    for (size_t ci = 0; ci < r->n_cells; ci++) {
        struct cell *c = &r->cells[ci];
        size_t n = c->n_items;
        int S = c->n_seeds;
        c->score = xcalloc(n ? n : 1, sizeof(double));
        c->strict = xcalloc(n ? n : 1, sizeof(double));
        c->efail = xcalloc(n ? n : 1, sizeof(double));
        c->per_seed = xcalloc((n ? n : 1) * (size_t)S, sizeof(double));
        c->n_samples_min = LONG_MAX;
        c->n_samples_max = 0;
        double *sum = xcalloc((size_t)S, sizeof(double)),
               *ssum = xcalloc((size_t)S, sizeof(double));
        long *cnt = xcalloc((size_t)S, sizeof(long));
        for (size_t i = 0; i < n; i++) {
            struct item *it = &c->items[i];
            qsort(it->obs, (size_t)it->n_obs, sizeof *it->obs, cmp_obs);
            for (int k = 1; k < it->n_obs; k++)
                if (cmp_obs(&it->obs[k - 1], &it->obs[k]) == 0) {
                    const struct obs *o = &it->obs[k], *p = &it->obs[k - 1];
                    free(sum);
                    free(ssum);
                    free(cnt);
                    return err(GRA_EPARSE,
                               "%s:%ld: duplicate result for student '%s' benchmark '%s' item '%s' "
                               "sample %d (first at %s:%ld)",
                               lin->paths[o->file], o->line, c->student, c->benchmark, it->id,
                               o->sample, lin->paths[p->file], p->line);
                }
            memset(sum, 0, (size_t)S * sizeof *sum);
            memset(ssum, 0, (size_t)S * sizeof *ssum);
            memset(cnt, 0, (size_t)S * sizeof *cnt);
            long nef = 0;
            for (int k = 0; k < it->n_obs; k++) {
                const struct obs *o = &it->obs[k];
                sum[o->seed_idx] += o->correct;
                ssum[o->seed_idx] += o->strict;
                cnt[o->seed_idx]++;
                nef += o->efail;
            }
            double sc = 0, st = 0;
            int have = 0;
            for (int s = 0; s < S; s++) {
                if (!cnt[s]) continue;
                sc += sum[s] / (double)cnt[s];
                st += ssum[s] / (double)cnt[s];
                have++;
                if (cnt[s] < c->n_samples_min) c->n_samples_min = cnt[s];
                if (cnt[s] > c->n_samples_max) c->n_samples_max = cnt[s];
            }
            c->score[i] = sc / have;
            c->strict[i] = st / have;
            c->efail[i] = (double)nef / (double)it->n_obs;
            /* a seed that did not answer this item takes the item's mean over the seeds that did */
            for (int s = 0; s < S; s++)
                c->per_seed[(size_t)s * n + i] = cnt[s] ? sum[s] / (double)cnt[s] : c->score[i];
        }
        if (c->n_samples_min == LONG_MAX) c->n_samples_min = 0;
        free(sum);
        free(ssum);
        free(cnt);
    }
    return 0;
}

void results_release(struct results *r)
{
    for (size_t ci = 0; ci < r->n_cells; ci++) {
        struct cell *c = &r->cells[ci];
        for (size_t i = 0; i < c->n_items; i++) {
            free(c->items[i].id);
            free(c->items[i].group);
            free(c->items[i].obs);
        }
        for (int s = 0; s < c->n_seeds; s++) free(c->members[s]);
        free(c->members);
        free(c->items);
        strmap_release(&c->index);
        free(c->student);
        free(c->benchmark);
        free(c->seeds);
        free(c->prompt_hash);
        free(c->score);
        free(c->strict);
        free(c->efail);
        free(c->per_seed);
    }
    free(r->cells);
    strmap_release(&r->cell_index);
    for (int i = 0; i < r->n_students; i++) free(r->students[i]);
    for (int i = 0; i < r->n_benchmarks; i++) free(r->benchmarks[i]);
    free(r->students);
    free(r->benchmarks);
    memset(r, 0, sizeof *r);
}
