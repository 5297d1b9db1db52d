/*
 * published: the paper's Table 1 (reports/published/gra_table1.csv, quoted
 * with its source note in reports/published/SOURCE.md) and the comparison of
 * a reproduction against it.
 *
 * Averages are never trusted: each row's mean is recomputed from its ten
 * cells and every row whose printed AVG differs from it by more than the
 * rounding of the table (0.005) is listed. A reproduction's students are
 * mapped to table rows and its benchmarks to table columns by the config
 * ("report.published"); averages of a reproduction are compared only over
 * the columns both sides have.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "reports/report_int.h"

#define PUB_TOL 0.005

/* Split one CSV line in place (double quotes allowed); returns field count. */
static int csv_split(char *s, char **f, int max)
{
    int n = 0;
    while (n < max) {
        if (*s == '"') {
            char *w = ++s;
            f[n++] = w;
            while (*s) {
                if (*s == '"' && s[1] == '"') {
                    *w++ = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    *w++ = *s++;
                }
            }
            *w = 0;
            while (*s && *s != ',') s++;
        } else {
            f[n++] = s;
            while (*s && *s != ',') s++;
        }
        if (!*s) break;
        *s++ = 0;
    }
    return n;
}

static int parse_num(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    while (*end == ' ' || *end == '\r') end++;
    return end != s && *end == 0 && isfinite(*out);
}

int pub_table_load(const char *path, struct pub_table *t)
{
    memset(t, 0, sizeof *t);
    char *data;
    size_t len;
    int rc = fileio_read(path, &data, &len);
    if (rc) return rc;
    char *save = NULL, *line = strtok_r(data, "\n", &save);
    long lineno = 1;
    char *f[40];
    if (!line) {
        rc = err(GRA_EPARSE, "%s:1: empty file", path);
        goto out;
    }
    int nf = csv_split(line, f, 40);
    if (nf < 5 || strcmp(f[0], "student") || strcmp(f[1], "seed") || strcmp(f[2], "data")) {
        rc = err(GRA_EPARSE, "%s:1: header must start with student,seed,data", path);
        goto out;
    }
    char *last = f[nf - 1];
    last[strcspn(last, "\r")] = 0;
    if (strcmp(last, "AVG_reported") != 0) {
        rc = err(GRA_EPARSE, "%s:1: last column must be AVG_reported, got '%s'", path, last);
        goto out;
    }
    if (nf - 4 > 16) {
        rc = err(GRA_EPARSE, "%s:1: too many benchmark columns (%d)", path, nf - 4);
        goto out;
    }
    t->n_columns = nf - 4;
    for (int i = 0; i < t->n_columns; i++) t->columns[i] = xstrdup(f[3 + i]);
    while ((line = strtok_r(NULL, "\n", &save))) {
        lineno++;
        if (strspn(line, " \r") == strlen(line)) continue;
        int n = csv_split(line, f, 40);
        if (n != t->n_columns + 4) {
            rc = err(GRA_EPARSE, "%s:%ld: %d fields, expected %d", path, lineno, n,
                     t->n_columns + 4);
            goto out;
        }
        t->rows = xrealloc(t->rows, (size_t)(t->n_rows + 1) * sizeof *t->rows);
        struct pub_row *r = &t->rows[t->n_rows];
        memset(r, 0, sizeof *r);
        r->student = xstrdup(f[0]);
        r->seed = xstrdup(f[1]);
        r->data = xstrdup(f[2]);
        t->n_rows++;
        double sum = 0;
        for (int i = 0; i <= t->n_columns; i++) {
            double v;
            if (!parse_num(f[3 + i], &v)) {
                rc = err(GRA_EPARSE, "%s:%ld: column '%s': not a number: '%s'", path, lineno,
                         i < t->n_columns ? t->columns[i] : "AVG_reported", f[3 + i]);
                goto out;
            }
            if (i < t->n_columns) {
                r->cells[i] = v;
                sum += v;
            } else {
                r->avg_reported = v;
            }
        }
        r->n_cells = t->n_columns;
        r->avg_recomputed = sum / t->n_columns;
    }
    if (t->n_rows == 0) rc = err(GRA_EPARSE, "%s: no rows", path);
out:
    free(data);
    if (rc) pub_table_release(t);
    return rc;
}

void pub_table_release(struct pub_table *t)
{
    for (int i = 0; i < t->n_columns; i++) free(t->columns[i]);
    for (int i = 0; i < t->n_rows; i++) {
        free(t->rows[i].student);
        free(t->rows[i].seed);
        free(t->rows[i].data);
    }
    free(t->rows);
    memset(t, 0, sizeof *t);
}

int pub_table_mismatches(const struct pub_table *t, double tol, int *out)
{
    int n = 0;
    for (int i = 0; i < t->n_rows; i++)
        if (fabs(t->rows[i].avg_reported - t->rows[i].avg_recomputed) > tol + 1e-9) out[n++] = i;
    return n;
}

static const cJSON *find_acc(const cJSON *acc, const char *student, const char *bench)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, acc)
    {
        const char *s = jget_str(o, "student"), *b = jget_str(o, "benchmark");
        if (s && b && strcmp(s, student) == 0 && strcmp(b, bench) == 0) return o;
    }
    return NULL;
}

static int find_row(const struct pub_table *t, const struct report_map *m)
{
    for (int i = 0; i < t->n_rows; i++)
        if (!strcmp(t->rows[i].student, m->row_student) && !strcmp(t->rows[i].seed, m->row_seed) &&
            !strcmp(t->rows[i].data, m->row_data))
            return i;
    return -1;
}

int analysis_published(struct report_ctx *ctx)
{
    const struct report_cfg *cfg = &ctx->cfg;
    struct pub_table t;
    if (!fileio_exists(cfg->published_table)) {
        report_note(ctx, "published table %s not found: no comparison with the paper",
                    cfg->published_table);
        return 0;
    }
    int li = lineage_add(&ctx->lin, cfg->published_table, "published");
    if (li < 0) return li;
    int rc = pub_table_load(cfg->published_table, &t);
    if (rc) return rc;
    cJSON *pub = cJSON_AddObjectToObject(ctx->summary, "published");
    cJSON_AddStringToObject(pub, "table", cfg->published_table);
    cJSON_AddNumberToObject(pub, "input", li);
    cJSON_AddStringToObject(
        pub, "source",
        "He, Lin, Wu et al., arXiv 2504.12322 v1, Table 1 (reports/published/SOURCE.md)");
    cJSON *cols = cJSON_AddArrayToObject(pub, "columns");
    for (int i = 0; i < t.n_columns; i++)
        cJSON_AddItemToArray(cols, cJSON_CreateString(t.columns[i]));
    cJSON *rows = cJSON_AddArrayToObject(pub, "rows");
    for (int i = 0; i < t.n_rows; i++) {
        const struct pub_row *r = &t.rows[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "student", r->student);
        cJSON_AddStringToObject(o, "seed", r->seed);
        cJSON_AddStringToObject(o, "data", r->data);
        cJSON_AddItemToObject(o, "cells", cJSON_CreateDoubleArray(r->cells, r->n_cells));
        cJSON_AddNumberToObject(o, "avg_reported", r->avg_reported);
        cJSON_AddNumberToObject(o, "avg_recomputed", r->avg_recomputed);
        cJSON_AddBoolToObject(o, "avg_matches",
                              fabs(r->avg_reported - r->avg_recomputed) <= PUB_TOL + 1e-9);
        cJSON_AddItemToArray(rows, o);
    }
    int *mis = xmalloc((size_t)t.n_rows * sizeof *mis);
    int nm = pub_table_mismatches(&t, PUB_TOL, mis);
    cJSON *ml = cJSON_AddArrayToObject(pub, "avg_mismatches");
    for (int k = 0; k < nm; k++) {
        const struct pub_row *r = &t.rows[mis[k]];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "student", r->student);
        cJSON_AddStringToObject(o, "seed", r->seed);
        cJSON_AddStringToObject(o, "data", r->data);
        cJSON_AddNumberToObject(o, "avg_reported", r->avg_reported);
        cJSON_AddNumberToObject(o, "avg_recomputed", r->avg_recomputed);
        cJSON_AddNumberToObject(o, "difference", r->avg_reported - r->avg_recomputed);
        cJSON_AddItemToArray(ml, o);
    }
    free(mis);

    /* headline: mean over seed sets per (student, data), recomputed vs printed */
    cJSON *head = cJSON_AddArrayToObject(pub, "headline");
    for (int i = 0; i < t.n_rows; i++) {
        bool seen = false;
        for (int j = 0; j < i; j++)
            if (!strcmp(t.rows[j].student, t.rows[i].student) &&
                !strcmp(t.rows[j].data, t.rows[i].data))
                seen = true;
        if (seen) continue;
        double sr = 0, sp = 0;
        int n = 0;
        for (int j = i; j < t.n_rows; j++)
            if (!strcmp(t.rows[j].student, t.rows[i].student) &&
                !strcmp(t.rows[j].data, t.rows[i].data)) {
                sr += t.rows[j].avg_recomputed;
                sp += t.rows[j].avg_reported;
                n++;
            }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "student", t.rows[i].student);
        cJSON_AddStringToObject(o, "data", t.rows[i].data);
        cJSON_AddNumberToObject(o, "seed_sets", n);
        cJSON_AddNumberToObject(o, "avg_recomputed", sr / n);
        cJSON_AddNumberToObject(o, "avg_of_reported", sp / n);
        cJSON_AddItemToArray(head, o);
    }

    /* a reproduction, mapped by the config */
    cJSON *rep = cJSON_AddArrayToObject(pub, "reproduction");
    const cJSON *acc = cJSON_GetObjectItemCaseSensitive(ctx->summary, "accuracy");
    for (int m = 0; m < cfg->n_rows; m++) {
        const struct report_map *mp = &cfg->rows[m];
        int ri = find_row(&t, mp);
        if (ri < 0) {
            report_note(ctx, "report.published.students.%s: no Table 1 row %s / %s / %s",
                        mp->student, mp->row_student, mp->row_seed, mp->row_data);
            continue;
        }
        const struct pub_row *r = &t.rows[ri];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "student", mp->student);
        cJSON *row = cJSON_AddObjectToObject(o, "row");
        cJSON_AddStringToObject(row, "student", r->student);
        cJSON_AddStringToObject(row, "seed", r->seed);
        cJSON_AddStringToObject(row, "data", r->data);
        cJSON *cl = cJSON_AddArrayToObject(o, "columns");
        double sr = 0, sp = 0;
        int n = 0;
        for (int c = 0; c < t.n_columns; c++) {
            const cJSON *a = NULL;
            const char *bench = NULL;
            for (int k = 0; k < cfg->n_bench_map && !a; k++)
                if (!strcmp(cfg->bench_columns[k], t.columns[c])) {
                    a = find_acc(acc, mp->student, cfg->bench_names[k]);
                    bench = cfg->bench_names[k];
                }
            cJSON *co = cJSON_CreateObject();
            cJSON_AddStringToObject(co, "column", t.columns[c]);
            cJSON_AddNumberToObject(co, "published", r->cells[c]);
            if (a) {
                double v = 100.0 * jget_num(a, "accuracy", NAN);
                const cJSON *ci = cJSON_GetObjectItemCaseSensitive(a, "bootstrap");
                cJSON_AddStringToObject(co, "benchmark", bench);
                cJSON_AddItemToObject(co, "reproduced", jnum(v));
                if (cJSON_GetArraySize(ci) == 2)
                    cJSON_AddItemToObject(co, "ci",
                                          jpair(100.0 * cJSON_GetArrayItem(ci, 0)->valuedouble,
                                                100.0 * cJSON_GetArrayItem(ci, 1)->valuedouble));
                cJSON_AddItemToObject(co, "delta", jnum(v - r->cells[c]));
                if (isfinite(v)) {
                    sr += v;
                    sp += r->cells[c];
                    n++;
                }
            } else {
                cJSON_AddNullToObject(co, "reproduced");
            }
            cJSON_AddItemToArray(cl, co);
        }
        cJSON_AddNumberToObject(o, "n_columns", n);
        cJSON_AddItemToObject(o, "avg_reproduced", jnum(n ? sr / n : NAN));
        cJSON_AddItemToObject(o, "avg_published_same_columns", jnum(n ? sp / n : NAN));
        cJSON_AddNumberToObject(o, "avg_published_recomputed", r->avg_recomputed);
        cJSON_AddNumberToObject(o, "avg_published_printed", r->avg_reported);
        cJSON_AddItemToArray(rep, o);
        if (n == 0)
            report_note(ctx, "published: student %s has no benchmark mapped to a Table 1 column",
                        mp->student);
    }
    pub_table_release(&t);
    return 0;
}
