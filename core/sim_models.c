/*
 * sim_models: the model declaration files of serve-sim (docs/sim-models.md).
 *
 *     {"models": [{"name": "m", "size_b": 7, "seed": 1,
 *                  "latency": {"dist": "lognormal", "mean_ms": 400, "sd_ms": 150,
 *                              "ms_per_token": 8},
 *                  "verbosity": 1.0,
 *                  "generator": {...}, "reviewer": {...}, "student": {...},
 *                  "embedding": {"dim": 384}}]}
 *
 * core checks the core fields and that each role section is an object; what
 * is inside "generator", "reviewer" and "student" belongs to the stage that
 * registered the handler, which reads it through sim_model.spec. Several
 * files are merged in order: a model named again in a later file gets that
 * declaration's keys laid over the earlier ones (a whole section replaces the
 * section of the same name), so configs/sim-models.json (roles) and
 * configs/sim-students.json (students) can describe the same model.
 * Every problem is reported with its file and JSON path, all of them before
 * failing, in the shape of config.h's messages.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/sim_int.h"

const char sim_builtin_models[] =
    "{\"models\": ["
    "{\"name\": \"sim-small-7b\", \"size_b\": 7, \"seed\": 101, \"verbosity\": 1.0,"
    " \"latency\": {\"dist\": \"lognormal\", \"mean_ms\": 300, \"sd_ms\": 120, \"ms_per_token\": 4}},"
    "{\"name\": \"sim-large-72b\", \"size_b\": 72, \"seed\": 202, \"verbosity\": 1.4,"
    " \"latency\": {\"dist\": \"lognormal\", \"mean_ms\": 900, \"sd_ms\": 300, \"ms_per_token\": 15}},"
    "{\"name\": \"sim-embed\", \"size_b\": 0.1, \"seed\": 303,"
    " \"latency\": {\"dist\": \"fixed\", \"mean_ms\": 5}, \"embedding\": {\"dim\": 384}}"
    "]}";

static const char *const model_keys[] = {"name", "size_b", "seed", "latency", "verbosity",
                                         "generator", "reviewer", "student", "embedding", NULL};
static const char *const role_keys[] = {"generator", "reviewer", "student", "embedding", NULL};
static const char *const latency_keys[] = {"dist", "mean_ms", "sd_ms", "ms_per_token", NULL};
static const char *const dists[] = {"fixed", "normal", "lognormal", NULL};
static const char *const file_keys[] = {"models", "comment", "description", NULL};

struct ctx {
    const char *file;
    int n_errors;
};

/* "FILE: path.key: message" (key may be NULL). */
static int fail(struct ctx *c, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct ctx *c, const char *path, const char *key, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!path[0]) log_error("%s: %s: %s", c->file, key ? key : "(top level)", msg);
    else log_error("%s: %s%s%s: %s", c->file, path, key ? "." : "", key ? key : "", msg);
    c->n_errors++;
    return GRA_ECONFIG;
}

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0) return true;
    return false;
}

static void check_keys(struct ctx *c, const cJSON *obj, const char *path, const char *const *allowed)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        if (!in_list(it->string, allowed)) {
            char list[256] = "";
            for (const char *const *a = allowed; *a; a++) {
                if (a != allowed) strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, *a, sizeof list - strlen(list) - 1);
            }
            fail(c, path, it->string, "unknown key (allowed: %s)", list);
        }
    }
}

/* A number in [min, max]; def when absent. */
static double get_num(struct ctx *c, const cJSON *obj, const char *key, const char *path,
                      double def, double min, double max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return def;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < min ||
        v->valuedouble > max) {
        char *txt = cJSON_PrintUnformatted(v);
        fail(c, path, key, "expected a number in [%g, %g], got %s", min, max,
             txt ? txt : "?");
        free(txt);
        return def;
    }
    return v->valuedouble;
}

/* Parse one model object (a declaration from file c->file, or the merged
 * object when out != NULL). */
static void parse_model(struct ctx *c, const cJSON *obj, const char *path, struct sim_model *out)
{
    if (!cJSON_IsObject(obj)) {
        fail(c, path, NULL, "expected an object");
        return;
    }
    check_keys(c, obj, path, model_keys);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(obj, "name");
    if (!cJSON_IsString(name) || !name->valuestring[0]) {
        fail(c, path, "name", "expected a non-empty string");
        return;
    }
    struct sim_model m = {0};
    m.name = name->valuestring;
    m.size_b = get_num(c, obj, "size_b", path, 7.0, 1e-6, 1e6);
    m.verbosity = get_num(c, obj, "verbosity", path, 1.0, 0.01, 100.0);
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(obj, "seed");
    if (!seed) {
        m.seed = hash64(m.name, strlen(m.name), 0x5eed);
    } else if (cJSON_IsNumber(seed) && seed->valuedouble >= 0 && seed->valuedouble <= 9007199254740992.0 &&
               seed->valuedouble == floor(seed->valuedouble)) {
        m.seed = (uint64_t)seed->valuedouble;
    } else if (cJSON_IsString(seed) && seed->valuestring[0] &&
               strspn(seed->valuestring, "0123456789") == strlen(seed->valuestring) &&
               strlen(seed->valuestring) <= 20) {
        m.seed = strtoull(seed->valuestring, NULL, 10);
    } else {
        fail(c, path, "seed", "expected a non-negative integer (or a string of digits)");
    }
    m.latency_dist = "fixed";
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(obj, "latency");
    if (lat) {
        char lpath[300];
        snprintf(lpath, sizeof lpath, "%s.latency", path);
        if (!cJSON_IsObject(lat)) {
            fail(c, lpath, NULL, "expected an object");
        } else {
            check_keys(c, lat, lpath, latency_keys);
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(lat, "dist");
            if (d) {
                if (!cJSON_IsString(d) || !in_list(d->valuestring, dists))
                    fail(c, lpath, "dist", "expected one of fixed, normal, lognormal");
                else
                    for (int i = 0; dists[i]; i++)
                        if (strcmp(dists[i], d->valuestring) == 0) m.latency_dist = dists[i];
            }
            m.latency_mean_ms = get_num(c, lat, "mean_ms", lpath, 0, 0, 3.6e6);
            m.latency_sd_ms = get_num(c, lat, "sd_ms", lpath, 0, 0, 3.6e6);
            m.ms_per_token = get_num(c, lat, "ms_per_token", lpath, 0, 0, 6e4);
        }
    }
    for (int i = 0; role_keys[i]; i++) {
        const cJSON *sec = cJSON_GetObjectItemCaseSensitive(obj, role_keys[i]);
        if (sec && !cJSON_IsObject(sec)) fail(c, path, role_keys[i], "expected an object");
    }
    const cJSON *emb = cJSON_GetObjectItemCaseSensitive(obj, "embedding");
    if (cJSON_IsObject(emb)) {
        char epath[300];
        snprintf(epath, sizeof epath, "%s.embedding", path);
        static const char *const emb_keys[] = {"dim", NULL};
        check_keys(c, emb, epath, emb_keys);
        double dim = get_num(c, emb, "dim", epath, 0, 1, 8192);
        if (dim != floor(dim)) fail(c, epath, "dim", "expected an integer");
        m.embed_dim = (int)dim;
    }
    m.spec = obj;
    if (out) *out = m;
}

/* Lay decl's keys over the merged object of the same name (or add it). */
static void merge_decl(cJSON *merged, const cJSON *decl)
{
    const char *name = cJSON_GetObjectItemCaseSensitive(decl, "name")->valuestring;
    cJSON *it;
    cJSON_ArrayForEach(it, merged) {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(it, "name")->valuestring, name) == 0) {
            const cJSON *k;
            cJSON_ArrayForEach(k, decl) {
                cJSON *dup = cJSON_Duplicate(k, 1);
                if (cJSON_GetObjectItemCaseSensitive(it, k->string))
                    cJSON_ReplaceItemInObjectCaseSensitive(it, k->string, dup);
                else
                    cJSON_AddItemToObject(it, k->string, dup);
            }
            return;
        }
    }
    cJSON_AddItemToArray(merged, cJSON_Duplicate(decl, 1));
}

static int load_doc(struct ctx *c, const cJSON *doc, cJSON *merged)
{
    int before = c->n_errors;
    if (!cJSON_IsObject(doc)) return fail(c, "", NULL, "expected an object with \"models\"");
    check_keys(c, doc, "", file_keys);
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(doc, "models");
    if (!cJSON_IsArray(models)) return fail(c, "models", NULL, "expected an array of model objects");
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, models) {
        char path[64];
        snprintf(path, sizeof path, "models[%d]", i);
        int e0 = c->n_errors;
        parse_model(c, m, path, NULL);
        if (c->n_errors == e0) {
            /* a name twice in one file is a mistake; across files it is a merge */
            const char *name = cJSON_GetObjectItemCaseSensitive(m, "name")->valuestring;
            int j = 0;
            const cJSON *o;
            cJSON_ArrayForEach(o, models) {
                if (j >= i) break;
                const cJSON *on = cJSON_GetObjectItemCaseSensitive(o, "name");
                if (cJSON_IsString(on) && strcmp(on->valuestring, name) == 0) {
                    fail(c, path, "name", "\"%s\" already declared at models[%d] of this file", name, j);
                    break;
                }
                j++;
            }
        }
        if (c->n_errors == e0) merge_decl(merged, m);
        i++;
    }
    return c->n_errors > before ? GRA_ECONFIG : 0;
}

int sim_models_load(const char *const *files, int n_files, struct sim_table *t)
{
    memset(t, 0, sizeof *t);
    cJSON *merged = cJSON_CreateArray();
    int rc = 0, n_errors = 0;
    if (n_files <= 0) {
        struct ctx c = {"<built-in models>", 0};
        cJSON *doc = cJSON_Parse(sim_builtin_models);
        if (!doc) abort(); /* a bug in the literal above */
        load_doc(&c, doc, merged);
        cJSON_Delete(doc);
        n_errors += c.n_errors;
    }
    for (int f = 0; f < n_files; f++) {
        struct ctx c = {files[f], 0};
        cJSON *doc = NULL;
        int r = json_read_file(files[f], &doc);
        if (r) {
            if (!rc) rc = r;
            continue;
        }
        load_doc(&c, doc, merged);
        cJSON_Delete(doc);
        n_errors += c.n_errors;
    }
    if (!rc && n_errors) rc = GRA_ECONFIG;
    if (!rc && cJSON_GetArraySize(merged) == 0) {
        rc = err(GRA_ECONFIG, "sim models: no model declared in %d file(s)", n_files);
    }
    if (rc) {
        cJSON_Delete(merged);
        return rc;
    }
    t->merged = merged;
    t->n = cJSON_GetArraySize(merged);
    t->models = xcalloc((size_t)t->n, sizeof *t->models);
    struct ctx c = {"<merged models>", 0};
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, merged) {
        char path[64];
        snprintf(path, sizeof path, "models[%d]", i);
        parse_model(&c, m, path, &t->models[i]);
        i++;
    }
    if (c.n_errors) { /* cannot happen: every declaration was checked */
        sim_models_free(t);
        return GRA_ECONFIG;
    }
    return 0;
}

void sim_models_free(struct sim_table *t)
{
    if (!t) return;
    free(t->models);
    cJSON_Delete(t->merged);
    memset(t, 0, sizeof *t);
}

const struct sim_model *sim_models_find(const struct sim_table *t, const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->models[i].name, name) == 0) return &t->models[i];
    return NULL;
}

int simsrv_check_models(const char *const *files, int n_files)
{
    struct sim_table t;
    int rc = sim_models_load(files, n_files, &t);
    if (!rc) sim_models_free(&t);
    return rc;
}
