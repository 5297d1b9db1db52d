/*
 * sconfig: the "synth" section of an experiment config (documented field by
 * field in docs/config-synth.md). Everything is checked before any call is
 * made, and every problem is reported (file + JSON path), not just the first.
 *
 * Method defaults: "large" and "large_generate_only" put their one model in
 * every role (policy "single"); "large_generate_only" does no review
 * (aggregation "none"); "gra_refine" runs one round over the seeds.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "core/fileio.h"
#include "synth/synth_int.h"

const char *const synth_method_names[] = {"gra", "large", "large_generate_only", "seed",
                                          "gra_refine", NULL};
const char *const synth_policy_names[] = {"random", "fixed", "single", "round_robin",
                                          "reliability", NULL};
const char *const synth_role_names[] = {"generator", "reviewer", "adjudicator", "metadata", NULL};

static const char *const synth_keys[] = {"data_dir", "prompts_dir", "seed_sets", "datasets", NULL};
static const char *const dataset_keys[] = {
    "method", "models", "reviewers", "policy", "assignment", "aggregation", "tau", "delta",
    "sigma", "instruction_checks", "rounds", "per_round", "match_count", "seeds",
    "embedding_model", "dedup", "dedup_threshold", "minhash", "examples_min", "examples_max",
    "example_instructions", "domains", "max_attempts_factor", "expected_acceptance",
    "overshoot", "parse_retries", "reliability_min_items", "max_active", "speculate", "embed_batch",
    "params", "comment", NULL};
static const char *const seedset_keys[] = {"files", "on_bad_record", "comment", NULL};
static const char *const file_keys[] = {"path", "format", "fields", "limit", "sample", NULL};
static const char *const field_keys[] = {"instruction", "input", "output", NULL};
static const char *const assign_keys[] = {"generator", "reviewers", "adjudicator", "metadata",
                                          NULL};
static const char *const minhash_keys[] = {"num_perm", "shingle_chars", "threshold", NULL};
static const char *const sigma_names[] = {"population", "sample", NULL};
static const char *const bad_names[] = {"skip", "fail", NULL};
static const char *const domains_names[] = {"uniform", "seeds", NULL};

static char *default_data_dir(const struct gra_config *cfg, const cJSON *synth,
                              struct cfg_err *e)
{
    char *d = NULL;
    cfg_string(e, synth, "data_dir", "synth", NULL, &d);
    if (d) {
        char *r = config_path(cfg, d);
        free(d);
        return r;
    }
    const char *env = getenv("GRA_DATA_DIR");
    if (env && *env) return xstrdup(env);
    return xstrdup(GRA_SOURCE_DIR "/../shared/data");
}

static int model_index(const struct dataset_cfg *dc, const char *name)
{
    for (int i = 0; i < dc->n_models; i++)
        if (strcmp(dc->models[i], name) == 0) return i;
    return -1;
}

static void parse_files(struct cfg_err *e, const struct synth_cfg *sc, const cJSON *set,
                        const char *path, struct dataset_cfg *dc)
{
    cfg_keys(e, set, path, seedset_keys);
    int bad = 0;
    cfg_enum(e, set, "on_bad_record", path, bad_names, 0, &bad);
    dc->seeds_fail_on_bad = bad == 1;
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(set, "files");
    if (!cJSON_IsArray(files) || cJSON_GetArraySize(files) == 0) {
        cfg_fail(e, path, "files", "expected a non-empty array of seed files");
        return;
    }
    int n = cJSON_GetArraySize(files), k = 0;
    dc->seed_files = xcalloc((size_t)n, sizeof *dc->seed_files);
    const cJSON *f;
    cJSON_ArrayForEach(f, files) {
        char fpath[256];
        snprintf(fpath, sizeof fpath, "%s.files[%d]", path, k);
        struct seed_file_cfg *fc = &dc->seed_files[k++];
        char *p = NULL;
        if (cJSON_IsString(f)) {
            p = xstrdup(f->valuestring);
        } else if (cJSON_IsObject(f)) {
            cfg_keys(e, f, fpath, file_keys);
            cfg_string(e, f, "path", fpath, NULL, &p);
            if (!p) cfg_fail(e, fpath, "path", "required");
            cfg_enum(e, f, "format", fpath, seed_format_names, SEED_AUTO, &fc->format);
            cfg_int(e, f, "limit", fpath, 0, 0, 100000000, &fc->limit);
            cfg_bool(e, f, "sample", fpath, false, &fc->sample);
            const cJSON *fields = NULL;
            char fp2[300];
            snprintf(fp2, sizeof fp2, "%s.fields", fpath);
            cfg_object(e, f, "fields", fpath, false, &fields);
            if (fields) {
                cfg_keys(e, fields, fp2, field_keys);
                cfg_string(e, fields, "instruction", fp2, NULL, &fc->f_instruction);
                cfg_string(e, fields, "input", fp2, NULL, &fc->f_input);
                cfg_string(e, fields, "output", fp2, NULL, &fc->f_output);
            }
        } else {
            cfg_fail(e, path, "files", "expected a path string or an object with \"path\"");
        }
        if (p) {
            fc->path = p[0] == '/' ? xstrdup(p) : path_join(sc->data_dir, p);
            fc->name = xstrdup(p);
            if (!fileio_exists(fc->path))
                cfg_fail(e, fpath, "path", "no such file: %s (data_dir %s)", fc->path,
                         sc->data_dir);
            free(p);
        }
    }
    dc->n_seed_files = k;
}

static void parse_assignment(struct cfg_err *e, const cJSON *a, const char *path,
                             struct dataset_cfg *dc)
{
    cfg_keys(e, a, path, assign_keys);
    char *g = NULL, *ad = NULL, *md = NULL, **rv = NULL;
    int nr = 0;
    cfg_string(e, a, "generator", path, NULL, &g);
    cfg_string(e, a, "adjudicator", path, NULL, &ad);
    cfg_string(e, a, "metadata", path, NULL, &md);
    cfg_strings(e, a, "reviewers", path, &rv, &nr);
    struct {
        const char *key;
        char *name;
        int *slot;
    } one[] = {{"generator", g, &dc->fixed_generator},
               {"adjudicator", ad, &dc->fixed_adjudicator},
               {"metadata", md, &dc->fixed_metadata}};
    for (size_t i = 0; i < GRA_ARRAY_LEN(one); i++) {
        *one[i].slot = one[i].name ? model_index(dc, one[i].name) : 0;
        if (!one[i].name && i == 0)
            cfg_fail(e, path, one[i].key, "required for policy \"fixed\"");
        else if (one[i].name && *one[i].slot < 0)
            cfg_fail(e, path, one[i].key, "\"%s\" is not one of the dataset's models",
                     one[i].name);
        if (!one[i].name && i > 0) *one[i].slot = -1;
        free(one[i].name);
    }
    if (nr != dc->n_reviewers)
        cfg_fail(e, path, "reviewers", "expected %d model names (the dataset's \"reviewers\")",
                 dc->n_reviewers);
    for (int i = 0; i < nr; i++) {
        if (i < COMMITTEE_MAX_REVIEWERS) {
            dc->fixed_reviewers[i] = model_index(dc, rv[i]);
            if (dc->fixed_reviewers[i] < 0)
                cfg_fail(e, path, "reviewers", "\"%s\" is not one of the dataset's models", rv[i]);
        }
        free(rv[i]);
    }
    free(rv);
}

static cJSON *role_defaults(int role)
{
    switch (role) {
    case ROLE_GENERATOR: return cJSON_Parse("{\"temperature\":0.8,\"max_tokens\":1536}");
    case ROLE_METADATA: return cJSON_Parse("{\"temperature\":0.2,\"max_tokens\":384}");
    default: return cJSON_Parse("{\"temperature\":0.2,\"max_tokens\":768}");
    }
}

static void parse_dataset(struct cfg_err *e, const struct gra_config *cfg, struct synth_cfg *sc,
                          const cJSON *seed_sets, const cJSON *d, struct dataset_cfg *dc)
{
    char path[200];
    snprintf(path, sizeof path, "synth.datasets.%s", d->string);
    dc->name = xstrdup(d->string);
    if (!cJSON_IsObject(d)) {
        cfg_fail(e, "synth.datasets", d->string, "expected an object");
        return;
    }
    if (!*dc->name || strchr(dc->name, '/') || strchr(dc->name, '.'))
        cfg_fail(e, "synth.datasets", d->string, "a dataset name must be non-empty, without '/' or '.'");
    cfg_keys(e, d, path, dataset_keys);
    if (!cJSON_GetObjectItemCaseSensitive(d, "method"))
        cfg_fail(e, path, "method", "required (one of gra, large, large_generate_only, seed, gra_refine)");
    cfg_enum(e, d, "method", path, synth_method_names, METHOD_GRA, &dc->method);
    bool large = dc->method == METHOD_LARGE || dc->method == METHOD_LARGE_GEN_ONLY;
    cfg_strings(e, d, "models", path, &dc->models, &dc->n_models);
    if (dc->n_models == 0) cfg_fail(e, path, "models", "expected a non-empty array of model names");
    for (int i = 0; i < dc->n_models; i++) {
        const struct model_cfg *m = config_model(cfg, dc->models[i]);
        if (!m) cfg_fail(e, path, "models", "\"%s\" is not defined under \"models\"", dc->models[i]);
        else if (m->embedding)
            cfg_fail(e, path, "models", "\"%s\" is an embedding model, not a chat model", dc->models[i]);
        for (int j = 0; j < i; j++)
            if (strcmp(dc->models[i], dc->models[j]) == 0)
                cfg_fail(e, path, "models", "\"%s\" is listed twice", dc->models[i]);
    }
    if (large && dc->n_models != 1)
        cfg_fail(e, path, "models", "method \"%s\" takes exactly one model",
                 synth_method_names[dc->method]);
    long nr;
    cfg_int(e, d, "reviewers", path, 3, 1, COMMITTEE_MAX_REVIEWERS, &nr);
    dc->n_reviewers = (int)nr;
    cfg_enum(e, d, "policy", path, synth_policy_names, large ? POLICY_SINGLE : POLICY_RANDOM,
             &dc->policy);
    if (large && dc->policy != POLICY_SINGLE)
        cfg_fail(e, path, "policy", "method \"%s\" uses policy \"single\"",
                 synth_method_names[dc->method]);
    cfg_enum(e, d, "aggregation", path, committee_aggregation_names,
             dc->method == METHOD_LARGE_GEN_ONLY ? AGG_NONE : AGG_MEAN_SIGMA,
             &dc->rule.aggregation);
    if (dc->method == METHOD_LARGE_GEN_ONLY && dc->rule.aggregation != AGG_NONE)
        cfg_fail(e, path, "aggregation", "method \"large_generate_only\" does no review (\"none\")");
    cfg_double(e, d, "tau", path, 8.0, 0, 10, &dc->rule.tau);
    cfg_double(e, d, "delta", path, 1.5, 0, 10, &dc->rule.delta);
    int sg = 0;
    cfg_enum(e, d, "sigma", path, sigma_names, 0, &sg);
    dc->rule.sample_sigma = sg == 1;
    cfg_bool(e, d, "instruction_checks", path, true, &dc->instruction_checks);
    long v;
    cfg_int(e, d, "rounds", path, dc->method == METHOD_GRA ? 5 : 1, 1, 1000, &v);
    dc->rounds = (int)v;
    cfg_int(e, d, "per_round", path, dc->method == METHOD_REFINE ? 0 : 10000, 0, 100000000,
            &dc->per_round);
    cfg_string(e, d, "match_count", path, NULL, &dc->match_count);
    if (dc->match_count && cJSON_GetObjectItemCaseSensitive(d, "per_round"))
        cfg_fail(e, path, "match_count", "give either \"match_count\" or \"per_round\", not both");
    if (dc->match_count && strcmp(dc->match_count, dc->name) == 0)
        cfg_fail(e, path, "match_count", "a dataset cannot match its own count");

    /* seeds: a name under synth.seed_sets, or an inline seed set */
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, "seeds");
    char spath[240];
    if (cJSON_IsString(s)) {
        const cJSON *set = seed_sets ? cJSON_GetObjectItemCaseSensitive(seed_sets, s->valuestring) : NULL;
        snprintf(spath, sizeof spath, "synth.seed_sets.%s", s->valuestring);
        if (!set) cfg_fail(e, path, "seeds", "no seed set \"%s\" under synth.seed_sets", s->valuestring);
        else parse_files(e, sc, set, spath, dc);
    } else if (cJSON_IsObject(s)) {
        snprintf(spath, sizeof spath, "%s.seeds", path);
        parse_files(e, sc, s, spath, dc);
    } else {
        cfg_fail(e, path, "seeds", "required: a seed set name or {\"files\": [...]}");
    }

    cfg_string(e, d, "embedding_model", path, NULL, &dc->embedding_model);
    if (dc->embedding_model) {
        const struct model_cfg *m = config_model(cfg, dc->embedding_model);
        if (!m) cfg_fail(e, path, "embedding_model", "\"%s\" is not defined under \"models\"", dc->embedding_model);
        else if (!m->embedding)
            cfg_fail(e, path, "embedding_model", "\"%s\" is not an embedding model (kind \"embedding\")", dc->embedding_model);
    }
    cfg_bool(e, d, "dedup", path, true, &dc->dedup);
    cfg_double(e, d, "dedup_threshold", path, 0.9, -1, 1, &dc->dedup_threshold);
    const cJSON *mh = NULL;
    cfg_object(e, d, "minhash", path, false, &mh);
    char mpath[240];
    snprintf(mpath, sizeof mpath, "%s.minhash", path);
    cfg_keys(e, mh, mpath, minhash_keys);
    cfg_int(e, mh, "num_perm", mpath, 128, 16, 1024, &v);
    dc->minhash_perm = (int)v;
    cfg_int(e, mh, "shingle_chars", mpath, 5, 1, 32, &v);
    dc->minhash_shingle = (int)v;
    cfg_double(e, mh, "threshold", mpath, 0.8, 0.01, 1, &dc->minhash_threshold);
    cfg_int(e, d, "examples_min", path, 3, 1, 50, &v);
    dc->examples_min = (int)v;
    cfg_int(e, d, "examples_max", path, 5, 1, 50, &v);
    dc->examples_max = (int)v;
    if (dc->examples_max < dc->examples_min)
        cfg_fail(e, path, "examples_max", "must be >= examples_min (%d)", dc->examples_min);
    cfg_int(e, d, "example_instructions", path, 3, 0, 50, &v);
    dc->example_instructions = (int)v;
    int dd = 0;
    cfg_enum(e, d, "domains", path, domains_names, 0, &dd);
    dc->domain_from_seeds = dd == 1;
    cfg_double(e, d, "max_attempts_factor", path, 4.0, 1.0, 1000, &dc->max_attempts_factor);
    cfg_double(e, d, "expected_acceptance", path, 0.5, 0.01, 1.0, &dc->expected_acceptance);
    cfg_double(e, d, "overshoot", path, 1.1, 1.0, 10.0, &dc->overshoot);
    cfg_int(e, d, "parse_retries", path, 1, 0, 10, &v);
    dc->parse_retries = (int)v;
    cfg_int(e, d, "reliability_min_items", path, 20, 1, 100000000, &v);
    dc->reliability_min_items = (int)v;
    cfg_int(e, d, "max_active", path, 0, 0, 10000000, &dc->max_active);
    cfg_int(e, d, "speculate", path, -1, -1, 10000000, &dc->speculate);
    cfg_int(e, d, "embed_batch", path, 64, 1, 4096, &v);
    dc->embed_batch = (int)v;

    const cJSON *params = NULL;
    cfg_object(e, d, "params", path, false, &params);
    char ppath[240];
    snprintf(ppath, sizeof ppath, "%s.params", path);
    cfg_keys(e, params, ppath, synth_role_names);
    for (int r = 0; r < ROLE_N; r++) {
        dc->role_params[r] = role_defaults(r);
        const cJSON *over = params ? cJSON_GetObjectItemCaseSensitive(params, synth_role_names[r]) : NULL;
        if (over && !cJSON_IsObject(over)) {
            cfg_fail(e, ppath, synth_role_names[r], "expected an object of request body fields");
            continue;
        }
        for (const cJSON *it = over ? over->child : NULL; it; it = it->next) {
            cJSON_DeleteItemFromObjectCaseSensitive(dc->role_params[r], it->string);
            cJSON_AddItemToObject(dc->role_params[r], it->string, cJSON_Duplicate(it, 1));
        }
    }

    /* role feasibility */
    bool reviewed = dc->rule.aggregation != AGG_NONE &&
                    (dc->method == METHOD_GRA || dc->method == METHOD_LARGE || dc->method == METHOD_REFINE);
    if (reviewed && (dc->policy == POLICY_RANDOM || dc->policy == POLICY_RELIABILITY) &&
        dc->n_models < 1 + dc->n_reviewers)
        cfg_fail(e, path, "reviewers", "%d reviewers need at least %d models besides the generator "
                 "(have %d models; use policy \"single\" or fewer reviewers)",
                 dc->n_reviewers, dc->n_reviewers, dc->n_models);
    const cJSON *a = NULL;
    cfg_object(e, d, "assignment", path, dc->policy == POLICY_FIXED, &a);
    if (a) {
        char apath[240];
        snprintf(apath, sizeof apath, "%s.assignment", path);
        parse_assignment(e, a, apath, dc);
    }
}

int synth_cfg_load(const struct gra_config *cfg, struct synth_cfg *sc)
{
    memset(sc, 0, sizeof *sc);
    struct cfg_err e = {cfg->path, 0};
    const cJSON *synth = NULL;
    cfg_object(&e, cfg->root, "synth", "", true, &synth);
    if (!synth) return GRA_ECONFIG;
    cfg_keys(&e, synth, "synth", synth_keys);
    sc->data_dir = default_data_dir(cfg, synth, &e);
    char *pd = NULL;
    cfg_string(&e, synth, "prompts_dir", "synth", NULL, &pd);
    if (pd) {
        sc->prompts_dir = config_path(cfg, pd);
        free(pd);
    }
    const cJSON *seed_sets = NULL, *datasets = NULL;
    cfg_object(&e, synth, "seed_sets", "synth", false, &seed_sets);
    cfg_object(&e, synth, "datasets", "synth", true, &datasets);
    int n = datasets ? cJSON_GetArraySize(datasets) : 0;
    if (datasets && n == 0) cfg_fail(&e, "synth", "datasets", "no dataset defined");
    sc->ds = xcalloc((size_t)n + 1, sizeof *sc->ds);
    for (const cJSON *d = datasets ? datasets->child : NULL; d; d = d->next)
        parse_dataset(&e, cfg, sc, seed_sets, d, &sc->ds[sc->n_ds++]);
    for (int i = 0; i < sc->n_ds; i++) {
        const char *mc = sc->ds[i].match_count;
        if (!mc) continue;
        bool found = false;
        for (int j = 0; j < sc->n_ds; j++) found |= strcmp(sc->ds[j].name, mc) == 0;
        if (!found) {
            char p[200];
            snprintf(p, sizeof p, "synth.datasets.%s", sc->ds[i].name);
            cfg_fail(&e, p, "match_count", "no dataset \"%s\" in this config", mc);
        }
    }
    if (e.n_errors) {
        log_error("%s: %d error%s in the synth section (see docs/config-synth.md)", cfg->path,
                  e.n_errors, e.n_errors == 1 ? "" : "s");
        synth_cfg_free(sc);
        return GRA_ECONFIG;
    }
    return 0;
}

void synth_cfg_free(struct synth_cfg *sc)
{
    for (int i = 0; i < sc->n_ds; i++) {
        struct dataset_cfg *dc = &sc->ds[i];
        free(dc->name);
        for (int k = 0; k < dc->n_models; k++) free(dc->models[k]);
        free(dc->models);
        free(dc->match_count);
        for (int k = 0; k < dc->n_seed_files; k++) {
            free(dc->seed_files[k].path);
            free(dc->seed_files[k].name);
            free(dc->seed_files[k].f_instruction);
            free(dc->seed_files[k].f_input);
            free(dc->seed_files[k].f_output);
        }
        free(dc->seed_files);
        free(dc->embedding_model);
        for (int r = 0; r < ROLE_N; r++) cJSON_Delete(dc->role_params[r]);
    }
    free(sc->ds);
    free(sc->data_dir);
    free(sc->prompts_dir);
    memset(sc, 0, sizeof *sc);
}

char *synth_cfg_dataset_json(const struct gra_config *cfg, const struct dataset_cfg *dc)
{
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg->root, "synth"),
                                         "datasets"),
        dc->name);
    cJSON *o = cJSON_CreateObject();
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)cfg->seed);
    cJSON_AddStringToObject(o, "seed", seed);
    cJSON_AddItemToObject(o, "dataset", cJSON_Duplicate(ds, 1));
    cJSON *files = cJSON_AddArrayToObject(o, "seed_files");
    for (int i = 0; i < dc->n_seed_files; i++) {
        const struct seed_file_cfg *f = &dc->seed_files[i];
        cJSON *fo = cJSON_CreateObject();
        const char *base = strrchr(f->path, '/');
        cJSON_AddStringToObject(fo, "file", base ? base + 1 : f->path);
        cJSON_AddNumberToObject(fo, "format", f->format);
        cJSON_AddNumberToObject(fo, "limit", (double)f->limit);
        cJSON_AddBoolToObject(fo, "sample", f->sample);
        cJSON_AddItemToArray(files, fo);
    }
    cJSON *models = cJSON_AddObjectToObject(o, "models");
    for (int i = 0; i < dc->n_models; i++) {
        const struct model_cfg *m = config_model(cfg, dc->models[i]);
        cJSON *mo = cJSON_AddObjectToObject(models, dc->models[i]);
        if (!m) continue;
        cJSON_AddStringToObject(mo, "served_name", m->served_name ? m->served_name : m->name);
        if (m->params) cJSON_AddItemToObject(mo, "params", cJSON_Duplicate(m->params, 1));
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}
