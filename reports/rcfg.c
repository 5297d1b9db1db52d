/*
 * rcfg: the "report" section of an experiment config (docs/config-report.md),
 * validated with core/config.h's cfg_* helpers so its errors look like every
 * other section's. All problems are reported before failing once.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "reports/report_int.h"

/* benchmark name (as gra eval writes it) -> Table 1 column */
static const char *const default_map[][2] = {
    {"gsm8k", "GSM8K"},         {"math", "MATH"},         {"math500", "MATH"},
    {"humaneval", "HumanEval"}, {"mbpp", "MBPP"},         {"hellaswag", "HellaSwag"},
    {"arc", "ARC-C"},           {"arc_c", "ARC-C"},       {"arc_challenge", "ARC-C"},
    {"gpqa", "GPQA"},           {"gpqa_diamond", "GPQA"}, {"bbh", "BBH"},
    {"mmlu", "MMLU"},           {"ifeval", "IFEval"},
};

void report_cfg_defaults(struct report_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->margin = 1.0;
    c->bootstrap_b = 10000;
    c->seed = 20250411;
    c->alpha = 0.05;
    c->power = 0.8;
    c->near_dup_threshold = 0.8;
    c->plots = true;
    c->published_table = xasprintf("%s/reports/published/gra_table1.csv", GRA_SOURCE_DIR);
    c->n_bench_map = (int)GRA_ARRAY_LEN(default_map);
    c->bench_names = xmalloc(GRA_ARRAY_LEN(default_map) * sizeof(char *));
    c->bench_columns = xmalloc(GRA_ARRAY_LEN(default_map) * sizeof(char *));
    for (size_t i = 0; i < GRA_ARRAY_LEN(default_map); i++) {
        c->bench_names[i] = xstrdup(default_map[i][0]);
        c->bench_columns[i] = xstrdup(default_map[i][1]);
    }
}

static void clear_bench_map(struct report_cfg *c)
{
    for (int i = 0; i < c->n_bench_map; i++) {
        free(c->bench_names[i]);
        free(c->bench_columns[i]);
    }
    free(c->bench_names);
    free(c->bench_columns);
    c->bench_names = c->bench_columns = NULL;
    c->n_bench_map = 0;
}

void report_cfg_release(struct report_cfg *c)
{
    clear_bench_map(c);
    for (int i = 0; i < c->n_rows; i++) {
        free(c->rows[i].student);
        free(c->rows[i].row_student);
        free(c->rows[i].row_seed);
        free(c->rows[i].row_data);
    }
    free(c->rows);
    for (int i = 0; i < c->n_sd; i++) {
        free(c->sd_students[i]);
        free(c->sd_datasets[i]);
    }
    free(c->sd_students);
    free(c->sd_datasets);
    for (int i = 0; i < c->n_conds; i++) {
        for (int m = 0; m < c->n_cond_members[i]; m++) free(c->cond_members[i][m]);
        free(c->cond_members[i]);
        free(c->cond_names[i]);
    }
    free(c->cond_names);
    free(c->cond_members);
    free(c->n_cond_members);
    free(c->published_table);
    free(c->source);
    memset(c, 0, sizeof *c);
}

static int parse_published(struct report_cfg *c, struct cfg_err *e, const cJSON *pub)
{
    static const char *const keys[] = {"table", "benchmarks", "students", NULL};
    cfg_keys(e, pub, "report.published", keys);
    char *table = NULL;
    cfg_string(e, pub, "table", "report.published", NULL, &table);
    if (table) {
        free(c->published_table);
        /* relative to the config file's directory */
        if (table[0] != '/' && c->source && strrchr(c->source, '/')) {
            const char *s = strrchr(c->source, '/');
            c->published_table = xasprintf("%.*s/%s", (int)(s - c->source), c->source, table);
            free(table);
        } else {
            c->published_table = table;
        }
    }
    const cJSON *bm = NULL;
    cfg_object(e, pub, "benchmarks", "report.published", false, &bm);
    if (bm) {
        clear_bench_map(c);
        int n = cJSON_GetArraySize(bm);
        c->bench_names = xcalloc((size_t)n + 1, sizeof(char *));
        c->bench_columns = xcalloc((size_t)n + 1, sizeof(char *));
        const cJSON *it;
        cJSON_ArrayForEach(it, bm)
        {
            char *col = NULL;
            cfg_string(e, bm, it->string, "report.published.benchmarks", NULL, &col);
            if (!col) continue;
            c->bench_names[c->n_bench_map] = xstrdup(it->string);
            c->bench_columns[c->n_bench_map++] = col;
        }
    }
    const cJSON *sm = NULL;
    cfg_object(e, pub, "students", "report.published", false, &sm);
    if (sm) {
        int n = cJSON_GetArraySize(sm);
        c->rows = xcalloc((size_t)n + 1, sizeof *c->rows);
        const cJSON *it;
        cJSON_ArrayForEach(it, sm)
        {
            char *path = xasprintf("report.published.students.%s", it->string);
            if (!cJSON_IsObject(it)) {
                cfg_fail(
                    e, "report.published.students", it->string,
                    "expected an object {\"student\", \"seed\", \"data\"} naming a Table 1 row");
                free(path);
                continue;
            }
            static const char *const rk[] = {"student", "seed", "data", NULL};
            cfg_keys(e, it, path, rk);
            struct report_map *m = &c->rows[c->n_rows];
            memset(m, 0, sizeof *m);
            cfg_string(e, it, "student", path, NULL, &m->row_student);
            cfg_string(e, it, "seed", path, NULL, &m->row_seed);
            cfg_string(e, it, "data", path, NULL, &m->row_data);
            if (!m->row_student || !m->row_seed || !m->row_data) {
                cfg_fail(e, path, "student", "student, seed and data are all required");
                free(m->row_student);
                free(m->row_seed);
                free(m->row_data);
            } else {
                m->student = xstrdup(it->string);
                c->n_rows++;
            }
            free(path);
        }
    }
    return 0;
}

int report_cfg_parse(struct report_cfg *c, const cJSON *root, const char *file)
{
    if (file) {
        free(c->source);
        c->source = xstrdup(file);
    }
    if (!root) return 0;
    struct cfg_err e = {file ? file : "(config)", 0};
    long top_seed = -1;
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(root, "seed");
    if (cJSON_IsNumber(sv) && sv->valuedouble >= 0) top_seed = (long)sv->valuedouble;
    if (top_seed >= 0) c->seed = (uint64_t)top_seed;
    const cJSON *rep = NULL;
    cfg_object(&e, root, "report", "", false, &rep);
    if (!rep) return e.n_errors ? GRA_ECONFIG : 0;
    static const char *const keys[] = {"margin",     "bootstrap_b",        "seed",  "alpha",
                                       "power",      "near_dup_threshold", "plots", "published",
                                       "conditions", "student_datasets",   NULL};
    cfg_keys(&e, rep, "report", keys);
    cfg_double(&e, rep, "margin", "report", 1.0, 1e-9, 100.0, &c->margin);
    cfg_int(&e, rep, "bootstrap_b", "report", 10000, 100, 1000000, &c->bootstrap_b);
    long seed = 0;
    cfg_int(&e, rep, "seed", "report", (long)(c->seed & LONG_MAX), 0, LONG_MAX, &seed);
    c->seed = (uint64_t)seed;
    cfg_double(&e, rep, "alpha", "report", 0.05, 1e-6, 0.5, &c->alpha);
    cfg_double(&e, rep, "power", "report", 0.8, 0.5, 0.9999, &c->power);
    cfg_double(&e, rep, "near_dup_threshold", "report", 0.8, 0.05, 1.0, &c->near_dup_threshold);
    cfg_bool(&e, rep, "plots", "report", true, &c->plots);
    const cJSON *sdm = NULL;
    cfg_object(&e, rep, "student_datasets", "report", false, &sdm);
    if (sdm) {
        int n = cJSON_GetArraySize(sdm);
        c->sd_students = xcalloc((size_t)n + 1, sizeof(char *));
        c->sd_datasets = xcalloc((size_t)n + 1, sizeof(char *));
        const cJSON *it;
        cJSON_ArrayForEach(it, sdm)
        {
            char *ds = NULL;
            cfg_string(&e, sdm, it->string, "report.student_datasets", NULL, &ds);
            if (!ds) continue;
            c->sd_students[c->n_sd] = xstrdup(it->string);
            c->sd_datasets[c->n_sd++] = ds;
        }
    }
    const cJSON *conds = NULL;
    cfg_object(&e, rep, "conditions", "report", false, &conds);
    if (conds) {
        int n = cJSON_GetArraySize(conds);
        c->cond_names = xcalloc((size_t)n + 1, sizeof *c->cond_names);
        c->cond_members = xcalloc((size_t)n + 1, sizeof *c->cond_members);
        c->n_cond_members = xcalloc((size_t)n + 1, sizeof *c->n_cond_members);
        const cJSON *it;
        cJSON_ArrayForEach(it, conds)
        {
            char **m = NULL;
            int nm = 0;
            cfg_strings(&e, conds, it->string, "report.conditions", &m, &nm);
            if (nm < 1) {
                cfg_fail(&e, "report.conditions", it->string,
                         "expected a non-empty array of student names");
                free(m);
                continue;
            }
            for (int k = 0; k < c->n_conds; k++)
                for (int q = 0; q < c->n_cond_members[k]; q++)
                    for (int x = 0; x < nm; x++)
                        if (!strcmp(c->cond_members[k][q], m[x]))
                            cfg_fail(&e, "report.conditions", it->string,
                                     "student \"%s\" is also in condition \"%s\"", m[x],
                                     c->cond_names[k]);
            c->cond_names[c->n_conds] = xstrdup(it->string);
            c->cond_members[c->n_conds] = m;
            c->n_cond_members[c->n_conds++] = nm;
        }
    }
    const cJSON *pub = NULL;
    cfg_object(&e, rep, "published", "report", false, &pub);
    if (pub) parse_published(c, &e, pub);
    return e.n_errors ? GRA_ECONFIG : 0;
}
