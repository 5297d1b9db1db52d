/*
 * bench: benchmark specs, data loading, prompts and per-item scoring (see
 * bench.h and docs/benchmarks.md).
 *
 * Specs are data; the code here is one loader per record layout ("gsm8k",
 * "math", "mmlu", "arc", "truthfulqa_mc1", ...), each reading the field names
 * the spec maps, so a new benchmark with a known layout needs no code. Every
 * bad record is reported as file:line: field. Loaders that shuffle options
 * (TruthfulQA, GPQA) draw from a stream derived from the spec's seed and the
 * item id, so the presented order is stable across runs and machines.
 */
#include "eval/bench.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/llm.h"
#include "core/rng.h"
#include "eval/csv.h"
#include "eval/extract.h"
#include "eval/ifeval.h"

static const char *const family_names[] = {"gsm8k", "math",   "mc",    "mc_multi",
                                           "code",  "phrase", "ifeval"};

const char *bench_family_name(int family)
{
    if (family < 0 || family >= (int)GRA_ARRAY_LEN(family_names)) return "?";
    return family_names[family];
}

const char *bench_dir_default(void)
{
    static char path[4096];
    const char *e = getenv("GRA_BENCHMARKS_DIR");
    if (e && *e) return e;
    const char *src = getenv("GRA_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/benchmarks", src && *src ? src : GRA_SOURCE_DIR);
    return path;
}

char *bench_data_dir_default(void)
{
    const char *e = getenv("GRA_DATA_DIR");
    if (e && *e) return xstrdup(e);
    const char *home = getenv("HOME");
    return xasprintf("%s/.local/share/gra/data", home && *home ? home : ".");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int bench_list(const char *bench_dir, char ***names, int *n)
{
    DIR *d = opendir(bench_dir);
    if (!d)
        return err(GRA_EIO, "cannot open benchmarks directory %s: %s", bench_dir, strerror(errno));
    char **v = NULL;
    int k = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char *dir = path_join(bench_dir, de->d_name);
        char *spec = path_join(dir, "spec.json");
        if (fileio_exists(spec)) {
            v = xrealloc(v, sizeof *v * (size_t)(k + 1));
            v[k++] = xstrdup(de->d_name);
        }
        free(dir);
        free(spec);
    }
    closedir(d);
    if (k) qsort(v, (size_t)k, sizeof *v, cmp_str);
    *names = v;
    *n = k;
    return 0;
}

/* ---------------- spec ---------------- */

struct spec_err {
    const char *path;
    int n;
};

static void spec_fail(struct spec_err *e, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void spec_fail(struct spec_err *e, const char *key, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_error("%s: %s: %s", e->path, key, msg);
    e->n++;
}

static const char *sget(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static char *sdup(const cJSON *o, const char *k)
{
    const char *s = sget(o, k);
    return s ? xstrdup(s) : NULL;
}

static void check_keys(struct spec_err *e, const cJSON *o, const char *where,
                       const char *const *allowed)
{
    for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, c->string) == 0) ok = true;
        if (!ok) spec_fail(e, where, "unknown key \"%s\"", c->string);
    }
}

static const char *const loaders[] = {"gsm8k",
                                      "math",
                                      "mmlu",
                                      "arc",
                                      "truthfulqa_mc1",
                                      "truthfulqa_mc2",
                                      "humaneval",
                                      "mbpp",
                                      "hellaswag",
                                      "gpqa",
                                      "bbh",
                                      "ifeval",
                                      NULL};
static const int loader_family[] = {BENCH_GSM8K, BENCH_MATH,     BENCH_MC,     BENCH_MC,
                                    BENCH_MC,    BENCH_MC_MULTI, BENCH_CODE,   BENCH_CODE,
                                    BENCH_MC,    BENCH_MC,       BENCH_PHRASE, BENCH_IFEVAL};
/* extractor names per family, as written in specs (documentation + check) */
static const char *const family_extractor[] = {"gsm8k", "math_boxed",    "mc_letter", "mc_letters",
                                               "code",  "answer_phrase", "ifeval"};

static void parse_files(struct bench *b, struct spec_err *e)
{
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(b->spec, "files");
    if (!cJSON_IsArray(fs) || cJSON_GetArraySize(fs) == 0) {
        spec_fail(e, "files", "expected a non-empty array");
        return;
    }
    b->n_files = cJSON_GetArraySize(fs);
    b->files = xcalloc((size_t)b->n_files, sizeof *b->files);
    static const char *const keys[] = {"path",    "url",  "mirror_urls", "sha256", "bytes",
                                       "license", "note", "upstream",    NULL};
    int i = 0;
    for (const cJSON *f = fs->child; f; f = f->next, i++) {
        char where[64];
        snprintf(where, sizeof where, "files[%d]", i);
        struct bench_file *bf = &b->files[i];
        bf->bytes = -1;
        if (!cJSON_IsObject(f)) {
            spec_fail(e, where, "expected an object");
            continue;
        }
        check_keys(e, f, where, keys);
        bf->path = sdup(f, "path");
        bf->url = sdup(f, "url");
        bf->sha256 = sdup(f, "sha256");
        bf->license = sdup(f, "license");
        bf->note = sdup(f, "note");
        const cJSON *by = cJSON_GetObjectItemCaseSensitive(f, "bytes");
        if (cJSON_IsNumber(by)) bf->bytes = (long)by->valuedouble;
        if (!bf->path || strstr(bf->path, "..") || bf->path[0] == '/')
            spec_fail(e, where, "path: expected a relative path without \"..\"");
        if (bf->sha256 &&
            (strlen(bf->sha256) != 64 || strspn(bf->sha256, "0123456789abcdef") != 64))
            spec_fail(e, where, "sha256: expected 64 lowercase hex digits");
        if (!bf->sha256 && !b->optional)
            spec_fail(e, where, "sha256: required for a staged benchmark");
        if (!bf->license) spec_fail(e, where, "license: required");
        if (!bf->url && !bf->note)
            spec_fail(e, where, "note: required when url is null (say how to get the file)");
        const cJSON *mu = cJSON_GetObjectItemCaseSensitive(f, "mirror_urls");
        if (cJSON_IsArray(mu)) {
            bf->n_mirror_urls = cJSON_GetArraySize(mu);
            bf->mirror_urls = xcalloc((size_t)bf->n_mirror_urls + 1, sizeof *bf->mirror_urls);
            int k = 0;
            for (const cJSON *u = mu->child; u; u = u->next)
                if (cJSON_IsString(u)) bf->mirror_urls[k++] = xstrdup(u->valuestring);
            bf->n_mirror_urls = k;
        }
    }
}

/* Read the JSON file at path (taking ownership of path) into a new bench
 * named name, with only spec, spec_path and name set. 0 or the read error
 * (path freed then). */
static int bench_read_spec(char *path, const char *name, struct bench **out)
{
    cJSON *spec;
    int rc = json_read_file(path, &spec);
    if (rc) {
        free(path);
        return rc;
    }
    struct bench *b = xcalloc(1, sizeof *b);
    b->spec = spec;
    b->spec_path = path;
    b->name = xstrdup(name);
    *out = b;
    return 0;
}

int bench_open_seed_data(const char *bench_dir, struct bench **out)
{
    *out = NULL;
    char *path = path_join(bench_dir, BENCH_SEED_DATA_FILE);
    struct bench *b;
    int rc = bench_read_spec(path, BENCH_SEED_DATA_NAME, &b);
    if (rc) return rc;
    b->family = -1;
    struct spec_err e = {path, 0};
    static const char *const top[] = {"description", "files", NULL};
    if (!cJSON_IsObject(b->spec))
        spec_fail(&e, "(top)", "expected an object");
    else {
        check_keys(&e, b->spec, "(top)", top);
        parse_files(b, &e);
    }
    if (e.n) {
        rc = err(GRA_ECONFIG, "%s: %d problem%s in the seed data list", path, e.n,
                 e.n == 1 ? "" : "s");
        bench_free(b); /* frees path */
        return rc;
    }
    *out = b;
    return 0;
}

int bench_open(const char *bench_dir, const char *name, struct bench **out)
{
    *out = NULL;
    if (!name || !*name || strchr(name, '/') || name[0] == '.')
        return err(GRA_EINVAL, "invalid benchmark name \"%s\"", name ? name : "");
    char *dir = path_join(bench_dir, name);
    char *path = path_join(dir, "spec.json");
    free(dir);
    if (!fileio_exists(path)) {
        int rc = err(GRA_ENOENT, "unknown benchmark \"%s\" (no %s)", name, path);
        free(path);
        return rc;
    }
    struct bench *b;
    int rc = bench_read_spec(path, name, &b);
    if (rc) return rc;
    cJSON *spec = b->spec;
    b->n_samples = 1;
    struct spec_err e = {path, 0};
    static const char *const top[] = {
        "name",      "title", "description", "paper",      "family",    "loader", "optional",
        "files",     "data",  "prompt",      "generation", "extractor", "scorer", "primary",
        "pass_at_k", "code",  "seed",        "notes",      NULL};
    if (!cJSON_IsObject(spec)) {
        spec_fail(&e, "(top)", "expected an object");
        goto done;
    }
    check_keys(&e, spec, "(top)", top);
    const char *sn = sget(spec, "name");
    if (!sn || strcmp(sn, name) != 0)
        spec_fail(&e, "name", "must equal the folder name \"%s\"", name);
    b->optional = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "optional"));
    b->loader = sdup(spec, "loader");
    b->family = -1;
    for (int i = 0; loaders[i]; i++)
        if (b->loader && strcmp(b->loader, loaders[i]) == 0) b->family = loader_family[i];
    if (b->family < 0)
        spec_fail(&e, "loader", "unknown loader \"%s\"", b->loader ? b->loader : "(missing)");
    const char *fam = sget(spec, "family");
    if (b->family >= 0 && (!fam || strcmp(fam, family_names[b->family]) != 0))
        spec_fail(&e, "family", "loader %s gives family \"%s\"", b->loader,
                  family_names[b->family]);
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(spec, "extractor");
    const char *exs = cJSON_IsObject(ex) ? sget(ex, "name") : NULL;
    if (b->family >= 0 && (!exs || strcmp(exs, family_extractor[b->family]) != 0))
        spec_fail(&e, "extractor.name", "family %s uses extractor \"%s\"", family_names[b->family],
                  family_extractor[b->family]);
    parse_files(b, &e);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(spec, "data");
    if (!cJSON_IsObject(data)) spec_fail(&e, "data", "expected an object");
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(spec, "prompt");
    if (!cJSON_IsObject(pr)) {
        spec_fail(&e, "prompt", "expected an object");
    } else {
        static const char *const pk[] = {"mode", "system", "template", "shots", "exemplars", NULL};
        check_keys(&e, pr, "prompt", pk);
        const char *mode = sget(pr, "mode");
        if (!mode || (strcmp(mode, "chat") != 0 && strcmp(mode, "completion") != 0))
            spec_fail(&e, "prompt.mode", "expected \"chat\" or \"completion\"");
        b->chat = mode && strcmp(mode, "chat") == 0;
        b->system = sdup(pr, "system");
        b->tmpl = sdup(pr, "template");
        if (!b->tmpl) spec_fail(&e, "prompt.template", "required");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(pr, "shots");
        b->shots = cJSON_IsNumber(sh) ? sh->valueint : 0;
        if (b->shots < 0 || b->shots > 64) spec_fail(&e, "prompt.shots", "expected 0..64");
        if (b->shots > 0 && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(pr, "exemplars")))
            spec_fail(&e, "prompt.exemplars", "required when shots > 0");
    }
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(spec, "generation");
    if (!cJSON_IsObject(gen)) {
        spec_fail(&e, "generation", "expected an object");
    } else {
        b->gen = cJSON_Duplicate(gen, 1);
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(gen, "n");
        if (n) {
            if (!cJSON_IsNumber(n) || n->valueint < 1 || n->valueint > 1000)
                spec_fail(&e, "generation.n", "expected 1..1000");
            else
                b->n_samples = n->valueint;
            cJSON_DeleteItemFromObjectCaseSensitive(b->gen, "n");
        }
    }
    b->primary = xstrdup(sget(spec, "primary") ? sget(spec, "primary") : "flexible");
    if (strcmp(b->primary, "flexible") != 0 && strcmp(b->primary, "strict") != 0)
        spec_fail(&e, "primary", "expected \"strict\" or \"flexible\"");
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(spec, "pass_at_k");
    if (cJSON_IsArray(pk)) {
        b->n_ks = cJSON_GetArraySize(pk);
        b->ks = xcalloc((size_t)b->n_ks + 1, sizeof *b->ks);
        int i = 0;
        for (const cJSON *k = pk->child; k; k = k->next) {
            if (!cJSON_IsNumber(k) || k->valueint < 1)
                spec_fail(&e, "pass_at_k", "expected positive integers");
            else
                b->ks[i++] = k->valueint;
        }
        b->n_ks = i;
    }
    b->code_timeout_s = 10;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(spec, "code");
    if (code) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(code, "timeout_s");
        if (cJSON_IsNumber(t) && t->valuedouble > 0) b->code_timeout_s = t->valuedouble;
        b->completion_code = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(code, "completion"));
    }
done:
    if (e.n) {
        int rc2 = err(GRA_ECONFIG, "%s: %d problem%s in the benchmark spec", path, e.n,
                      e.n == 1 ? "" : "s");
        bench_free(b);
        return rc2;
    }
    *out = b;
    return 0;
}

static void item_release(struct bench_item *it)
{
    free(it->id);
    cJSON_Delete(it->record);
    cJSON_Delete(it->vars);
    free(it->group);
    free(it->gold);
    for (int k = 0; k < it->n_options; k++) free(it->options[k]);
    free(it->options);
    free(it->gold_output);
}

void bench_free(struct bench *b)
{
    if (!b) return;
    for (int i = 0; i < b->n_items; i++) item_release(&b->items[i]);
    free(b->items);
    free(b->id_index);
    for (int i = 0; i < b->n_exemplars; i++) {
        free(b->exemplars[i].group);
        cJSON_Delete(b->exemplars[i].vars);
        free(b->exemplars[i].target);
    }
    free(b->exemplars);
    for (int i = 0; i < b->n_files; i++) {
        struct bench_file *f = &b->files[i];
        free(f->path);
        free(f->url);
        for (int k = 0; k < f->n_mirror_urls; k++) free(f->mirror_urls[k]);
        free(f->mirror_urls);
        free(f->sha256);
        free(f->license);
        free(f->note);
    }
    free(b->files);
    free(b->name);
    free(b->spec_path);
    cJSON_Delete(b->spec);
    free(b->loader);
    free(b->system);
    free(b->tmpl);
    free(b->primary);
    cJSON_Delete(b->gen);
    free(b->ks);
    free(b);
}

/* ---------------- loading ---------------- */

struct load {
    struct bench *b;
    const cJSON *data;   /* spec "data" */
    const cJSON *fields; /* spec data.fields */
    const char *path;    /* file being read */
    const char *group;
    const char *split;
    int failures;
    /* exemplar mode: records go to exemplars instead of items */
    bool exemplars;
    int limit_rows;
    bool json_array; /* records are elements of a JSON array (no line numbers) */
};

static const char *field_name(const struct load *L, const char *key, const char *def)
{
    const char *f = L->fields ? sget(L->fields, key) : NULL;
    return f ? f : def;
}

/* dotted path lookup: "question.stem" */
static const cJSON *getp(const cJSON *o, const char *path)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", path);
    const cJSON *cur = o;
    for (char *s = tmp, *dot; cur && s; s = dot ? dot + 1 : NULL) {
        dot = strchr(s, '.');
        if (dot) *dot = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, s);
    }
    return cur;
}

static int rec_fail(struct load *L, long line, const char *field, const char *msg)
{
    if (L->json_array)
        log_error("%s: element %ld: %s: %s", L->path, line - 1, field, msg);
    else
        log_error("%s:%ld: %s: %s", L->path, line, field, msg);
    L->failures++;
    return 0;
}

static const char *req_str(struct load *L, long line, const cJSON *rec, const char *key,
                           const char *def)
{
    const char *f = field_name(L, key, def);
    const cJSON *x = getp(rec, f);
    if (!cJSON_IsString(x)) {
        rec_fail(L, line, f, "expected a string");
        return NULL;
    }
    return x->valuestring;
}

static char *format_options(char **opts, int n)
{
    struct buf b = BUF_INIT;
    for (int i = 0; i < n; i++) buf_appendf(&b, "%s%c. %s", i ? "\n" : "", 'A' + i, opts[i]);
    return buf_detach(&b, NULL);
}

static char *mc_gold_output(int idx)
{
    return xasprintf("The answer is (%c).", 'A' + idx);
}

/* Add an item (or an exemplar) built by a loader; takes ownership of all. */
static void push(struct load *L, char *id, cJSON *record, cJSON *vars, char *gold,
                 char *gold_output, int gold_index, unsigned long gold_mask, char **options,
                 int n_options)
{
    struct bench *b = L->b;
    if (n_options > 0) {
        char *f = format_options(options, n_options);
        cJSON_AddStringToObject(vars, "options", f);
        free(f);
        char letters[80] = "";
        for (int i = 0; i < n_options; i++) {
            size_t l = strlen(letters);
            snprintf(letters + l, sizeof letters - l, "%s%c",
                     i ? (i == n_options - 1 ? " or " : ", ") : "", 'A' + i);
        }
        cJSON_AddStringToObject(vars, "letters", letters);
    }
    if (L->group && !cJSON_GetObjectItemCaseSensitive(vars, "subject")) {
        char *s = xstrdup(L->group);
        for (char *p = s; *p; p++)
            if (*p == '_') *p = ' ';
        cJSON_AddStringToObject(vars, "subject", s);
        free(s);
    }
    if (L->exemplars) {
        if (b->n_exemplars == b->exemplars_cap) {
            b->exemplars_cap = b->exemplars_cap ? 2 * b->exemplars_cap : 16;
            b->exemplars = xrealloc(b->exemplars, sizeof *b->exemplars * (size_t)b->exemplars_cap);
        }
        struct bench_exemplar *x = &b->exemplars[b->n_exemplars++];
        x->group = L->group ? xstrdup(L->group) : NULL;
        x->vars = vars;
        /* an exemplar's answer: the "Answer: X" line the MC templates ask
         * for, else the gold output */
        x->target = (b->family == BENCH_MC) ? xasprintf("Answer: %c", 'A' + gold_index)
                                            : xstrdup(gold_output ? gold_output : "");
        free(id);
        cJSON_Delete(record);
        free(gold);
        free(gold_output);
        for (int i = 0; i < n_options; i++) free(options[i]);
        free(options);
        return;
    }
    if (b->n_items == b->items_cap) {
        b->items_cap = b->items_cap ? 2 * b->items_cap : 256;
        b->items = xrealloc(b->items, sizeof *b->items * (size_t)b->items_cap);
    }
    struct bench_item *it = &b->items[b->n_items++];
    memset(it, 0, sizeof *it);
    it->id = id;
    it->record = record;
    it->vars = vars;
    it->group = L->group ? xstrdup(L->group) : NULL;
    it->gold = gold;
    it->gold_output = gold_output;
    it->gold_index = gold_index;
    it->gold_mask = gold_mask;
    it->options = options;
    it->n_options = n_options;
}

/* the item id: data.id = "split-line" | "subject-row" | "field:NAME" */
static char *make_id(struct load *L, long row, const cJSON *rec)
{
    const char *rule = sget(L->data, "id");
    if (!rule || strcmp(rule, "split-line") == 0) return xasprintf("%s-%ld", L->split, row);
    if (strcmp(rule, "subject-row") == 0)
        return xasprintf("%s-%ld", L->group ? L->group : "?", row);
    if (strncmp(rule, "field:", 6) == 0) {
        const cJSON *x = getp(rec, rule + 6);
        if (cJSON_IsString(x)) return xstrdup(x->valuestring);
        if (cJSON_IsNumber(x)) return xasprintf("%.0f", x->valuedouble);
    }
    return NULL;
}

static void shuffle_options(struct load *L, const char *id, char **opts, int n, int *gold)
{
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(L->b->spec, "seed");
    uint64_t s = cJSON_IsNumber(seed) ? (uint64_t)seed->valuedouble : 0;
    struct rng r;
    rng_seed(&r, rng_derive(s, id, 0));
    int perm[26];
    for (int i = 0; i < n; i++) perm[i] = i;
    rng_shuffle(&r, perm, (size_t)n, sizeof perm[0]);
    char *tmp[26];
    int ng = -1;
    for (int i = 0; i < n; i++) {
        tmp[i] = opts[perm[i]];
        if (perm[i] == *gold) ng = i;
    }
    memcpy(opts, tmp, sizeof tmp[0] * (size_t)n);
    *gold = ng;
}

static bool keep_task(struct load *L, const cJSON *rec)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(L->data, "task_id_range");
    if (!cJSON_IsArray(f)) return true;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "task_id");
    if (!cJSON_IsNumber(t)) return false;
    double lo = cJSON_GetArrayItem(f, 0)->valuedouble, hi = cJSON_GetArrayItem(f, 1)->valuedouble;
    return t->valuedouble >= lo && t->valuedouble <= hi;
}

/* one JSON record (jsonl line or array element); row is 0-based */
static int load_record(struct load *L, long row, long line, const cJSON *rec)
{
    struct bench *b = L->b;
    const char *ld = b->loader;
    if (!cJSON_IsObject(rec)) return rec_fail(L, line, "(record)", "expected a JSON object");
    if (!keep_task(L, rec)) return 0;
    char *id = L->exemplars ? xasprintf("x-%ld", row) : make_id(L, row, rec);
    if (!id) return rec_fail(L, line, sget(L->data, "id"), "missing item id");
    cJSON *vars = cJSON_CreateObject();
    char *gold = NULL, *gout = NULL;
    char **opts = NULL;
    int nopt = 0, gidx = -1;
    unsigned long gmask = 0;
    int before = L->failures;
    if (strcmp(ld, "gsm8k") == 0) {
        const char *q = req_str(L, line, rec, "question", "question");
        const char *a = req_str(L, line, rec, "answer", "answer");
        if (q && a) {
            cJSON_AddStringToObject(vars, "question", q);
            gold = extract_gsm8k_gold(a);
            if (!gold)
                rec_fail(L, line, field_name(L, "answer", "answer"), "no \"#### N\" gold number");
            gout = xstrdup(a);
        }
    } else if (strcmp(ld, "math") == 0) {
        const char *q = req_str(L, line, rec, "problem", "problem");
        const char *a = req_str(L, line, rec, "answer", "answer");
        const char *s = req_str(L, line, rec, "solution", "solution");
        if (q && a && s) {
            cJSON_AddStringToObject(vars, "problem", q);
            gold = xstrdup(a);
            gout = xstrdup(s);
        }
    } else if (strcmp(ld, "arc") == 0) {
        const char *q = req_str(L, line, rec, "question", "question.stem");
        const cJSON *ch = getp(rec, field_name(L, "choices", "question.choices"));
        const char *key = req_str(L, line, rec, "answer", "answerKey");
        if (!cJSON_IsArray(ch) || cJSON_GetArraySize(ch) < 2 || cJSON_GetArraySize(ch) > 26) {
            rec_fail(L, line, "question.choices", "expected an array of 2..26 choices");
        } else if (q && key) {
            nopt = cJSON_GetArraySize(ch);
            opts = xcalloc((size_t)nopt, sizeof *opts);
            int k = 0;
            for (const cJSON *c = ch->child; c; c = c->next, k++) {
                const char *t = sget(c, "text"), *l = sget(c, "label");
                opts[k] = xstrdup(t ? t : "");
                if (!t || !l)
                    rec_fail(L, line, "question.choices", "choice without text/label");
                else if (strcmp(l, key) == 0)
                    gidx = k;
            }
            if (gidx < 0) rec_fail(L, line, "answerKey", "does not name a choice label");
            cJSON_AddStringToObject(vars, "question", q);
        }
    } else if (strcmp(ld, "truthfulqa_mc1") == 0 || strcmp(ld, "truthfulqa_mc2") == 0) {
        bool mc2 = strcmp(ld, "truthfulqa_mc2") == 0;
        const char *q = req_str(L, line, rec, "question", "question");
        const char *tf = field_name(L, "targets", mc2 ? "mc2_targets" : "mc1_targets");
        const cJSON *t = getp(rec, tf);
        int n = cJSON_IsObject(t) ? cJSON_GetArraySize(t) : 0;
        if (n < 2 || n > 26) {
            rec_fail(L, line, tf, "expected an object of 2..26 answers");
        } else if (q) {
            nopt = n;
            opts = xcalloc((size_t)n, sizeof *opts);
            int k = 0, ntrue = 0;
            bool truth[26] = {false};
            for (const cJSON *c = t->child; c; c = c->next, k++) {
                opts[k] = xstrdup(c->string);
                truth[k] = cJSON_IsNumber(c) && c->valueint == 1;
                if (truth[k]) {
                    ntrue++;
                    if (gidx < 0) gidx = k;
                }
            }
            if (!mc2 && ntrue != 1) rec_fail(L, line, tf, "expected exactly one true answer");
            if (mc2 && ntrue < 1) rec_fail(L, line, tf, "expected at least one true answer");
            /* shuffle: the upstream file lists true answers first */
            const cJSON *seed = cJSON_GetObjectItemCaseSensitive(b->spec, "seed");
            struct rng r;
            rng_seed(&r, rng_derive(cJSON_IsNumber(seed) ? (uint64_t)seed->valuedouble : 0, id, 0));
            int perm[26];
            for (int i = 0; i < n; i++) perm[i] = i;
            rng_shuffle(&r, perm, (size_t)n, sizeof perm[0]);
            char *tmp[26];
            int moved = -1;
            for (int i = 0; i < n; i++) {
                tmp[i] = opts[perm[i]];
                if (truth[perm[i]]) gmask |= 1ul << i;
                if (perm[i] == gidx) moved = i;
            }
            memcpy(opts, tmp, sizeof tmp[0] * (size_t)n);
            gidx = moved;
            cJSON_AddStringToObject(vars, "question", q);
        }
    } else if (strcmp(ld, "humaneval") == 0) {
        const char *p = req_str(L, line, rec, "prompt", "prompt");
        const char *c = req_str(L, line, rec, "canonical_solution", "canonical_solution");
        const char *ep = req_str(L, line, rec, "entry_point", "entry_point");
        if (p && c && ep) {
            cJSON_AddStringToObject(vars, "prompt", p);
            cJSON_AddStringToObject(vars, "entry_point", ep);
            gout = b->completion_code ? xstrdup(c) : xasprintf("```python\n%s%s```\n", p, c);
            gold = xstrdup(ep);
        }
    } else if (strcmp(ld, "mbpp") == 0) {
        const char *t = req_str(L, line, rec, "text", "text");
        const char *c = req_str(L, line, rec, "code", "code");
        const cJSON *tl = getp(rec, field_name(L, "tests", "test_list"));
        if (!cJSON_IsArray(tl)) {
            rec_fail(L, line, field_name(L, "tests", "test_list"), "expected an array of strings");
        } else if (t && c) {
            struct buf tb = BUF_INIT;
            for (const cJSON *x = tl->child; x; x = x->next)
                if (cJSON_IsString(x)) buf_appendf(&tb, "%s%s", tb.len ? "\n" : "", x->valuestring);
            cJSON_AddStringToObject(vars, "text", t);
            cJSON_AddStringToObject(vars, "tests", tb.data);
            buf_release(&tb);
            gout = xasprintf("```python\n%s\n```\n", c);
            gold = xstrdup("");
        }
    } else if (strcmp(ld, "hellaswag") == 0) {
        const char *ctx = req_str(L, line, rec, "ctx", "ctx");
        const char *act = sget(rec, "activity_label");
        const cJSON *en = getp(rec, field_name(L, "endings", "endings"));
        const cJSON *lab = getp(rec, field_name(L, "label", "label"));
        if (!cJSON_IsArray(en) || cJSON_GetArraySize(en) < 2 || cJSON_GetArraySize(en) > 26 ||
            !cJSON_IsNumber(lab)) {
            rec_fail(L, line, "endings/label", "expected endings[] and an integer label");
        } else if (ctx) {
            nopt = cJSON_GetArraySize(en);
            opts = xcalloc((size_t)nopt, sizeof *opts);
            int k = 0;
            for (const cJSON *x = en->child; x; x = x->next, k++)
                opts[k] = xstrdup(cJSON_IsString(x) ? x->valuestring : "");
            gidx = lab->valueint;
            if (gidx < 0 || gidx >= nopt) rec_fail(L, line, "label", "out of range");
            char *q = act ? xasprintf("%s: %s", act, ctx) : xstrdup(ctx);
            cJSON_AddStringToObject(vars, "question", q);
            free(q);
        }
    } else if (strcmp(ld, "bbh") == 0) {
        const char *in = req_str(L, line, rec, "input", "input");
        const char *tg = req_str(L, line, rec, "target", "target");
        if (in && tg) {
            cJSON_AddStringToObject(vars, "input", in);
            gold = xstrdup(tg);
            gout = xasprintf("So the answer is %s.", tg);
        }
    } else if (strcmp(ld, "ifeval") == 0) {
        /* {"key", "prompt", "instruction_id_list", "kwargs"}: the checkers
         * read the record at scoring time; validate it now */
        char msg[256];
        if (ifeval_validate(rec, msg, sizeof msg)) {
            char *colon = strchr(msg, ':');
            if (colon) *colon = '\0';
            rec_fail(L, line, msg, colon ? colon + 2 : "invalid");
        } else {
            cJSON_AddStringToObject(vars, "prompt", sget(rec, "prompt"));
            struct buf g = BUF_INIT;
            const cJSON *ids = cJSON_GetObjectItemCaseSensitive(rec, "instruction_id_list");
            for (const cJSON *x = ids->child; x; x = x->next)
                buf_appendf(&g, "%s%s", g.len ? "," : "", x->valuestring);
            gold = buf_detach(&g, NULL);
        }
    } else {
        rec_fail(L, line, "loader", "this loader does not read JSON records");
    }
    if (nopt && gidx >= 0 && !gout && b->family == BENCH_MC) gout = mc_gold_output(gidx);
    if (nopt && b->family == BENCH_MC && gidx >= 0) {
        char l[2] = {(char)('A' + gidx), 0};
        gold = xstrdup(l);
    }
    if (b->family == BENCH_MC_MULTI && gmask) {
        struct buf g = BUF_INIT;
        for (int i = 0; i < nopt; i++)
            if (gmask & (1ul << i)) buf_appendf(&g, "%s%c", g.len ? ", " : "", 'A' + i);
        gold = xstrdup(g.data);
        gout = xasprintf("Answer: %s", g.data);
        buf_release(&g);
    }
    if (L->failures > before) {
        free(id);
        cJSON_Delete(vars);
        free(gold);
        free(gout);
        for (int i = 0; i < nopt; i++) free(opts[i]);
        free(opts);
        return 0;
    }
    push(L, id, cJSON_Duplicate(rec, 1), vars, gold, gout, gidx, gmask, opts, nopt);
    return 0;
}

static int jsonl_cb_load(void *ud, long lineno, cJSON *obj, const char *errmsg)
{
    struct load *L = ud;
    if (!obj) return rec_fail(L, lineno, "(line)", errmsg);
    long row = lineno - 1;
    if (L->limit_rows > 0 && row >= L->limit_rows) return 1;
    return load_record(L, row, lineno, obj);
}

/* CSV rows: MMLU (no header: question, A, B, C, D, answer) and GPQA (header) */
struct csv_ctx {
    struct load *L;
    char **header;
    int n_header;
};

static int csv_col(struct csv_ctx *c, const char *name, char **f, int nf, const char **out)
{
    for (int i = 0; i < c->n_header; i++)
        if (strcmp(c->header[i], name) == 0 && i < nf) {
            *out = f[i];
            return 0;
        }
    *out = NULL;
    return -1;
}

static int csv_cb_load(void *ud, long row, long line, char **f, int nf)
{
    struct csv_ctx *c = ud;
    struct load *L = c->L;
    struct bench *b = L->b;
    if (strcmp(b->loader, "gpqa") == 0 && c->n_header == 0) {
        c->n_header = nf;
        c->header = xcalloc((size_t)nf, sizeof *c->header);
        for (int i = 0; i < nf; i++) c->header[i] = xstrdup(f[i]);
        return 0;
    }
    if (L->limit_rows > 0 && row >= L->limit_rows) return 1;
    cJSON *rec = cJSON_CreateObject();
    cJSON *vars = cJSON_CreateObject();
    char **opts = NULL;
    int nopt = 0, gidx = -1;
    char *id = NULL;
    if (strcmp(b->loader, "mmlu") == 0) {
        if (nf != 6) {
            rec_fail(L, line, "(row)", "expected 6 columns: question, A, B, C, D, answer");
            goto bad;
        }
        static const char *const cols[] = {"question", "A", "B", "C", "D", "answer"};
        for (int i = 0; i < 6; i++) cJSON_AddStringToObject(rec, cols[i], f[i]);
        if (strlen(f[5]) != 1 || f[5][0] < 'A' || f[5][0] > 'D') {
            rec_fail(L, line, "answer", "expected a letter A-D");
            goto bad;
        }
        nopt = 4;
        opts = xcalloc(4, sizeof *opts);
        for (int i = 0; i < 4; i++) opts[i] = xstrdup(f[1 + i]);
        gidx = f[5][0] - 'A';
        cJSON_AddStringToObject(vars, "question", f[0]);
        id = L->exemplars ? xasprintf("x-%ld", row) : make_id(L, row, rec);
    } else { /* gpqa */
        const char *q, *ca, *w1, *w2, *w3, *rid;
        if (csv_col(c, "Question", f, nf, &q) || csv_col(c, "Correct Answer", f, nf, &ca) ||
            csv_col(c, "Incorrect Answer 1", f, nf, &w1) ||
            csv_col(c, "Incorrect Answer 2", f, nf, &w2) ||
            csv_col(c, "Incorrect Answer 3", f, nf, &w3)) {
            rec_fail(L, line, "(row)", "missing Question / Correct Answer / Incorrect Answer 1-3");
            goto bad;
        }
        csv_col(c, "Record ID", f, nf, &rid);
        for (int i = 0; i < nf && i < c->n_header; i++)
            cJSON_AddStringToObject(rec, c->header[i], f[i]);
        id = rid && *rid ? xstrdup(rid) : xasprintf("%s-%ld", L->split, row);
        nopt = 4;
        opts = xcalloc(4, sizeof *opts);
        opts[0] = xstrdup(ca);
        opts[1] = xstrdup(w1);
        opts[2] = xstrdup(w2);
        opts[3] = xstrdup(w3);
        gidx = 0;
        shuffle_options(L, id, opts, 4, &gidx);
        cJSON_AddStringToObject(vars, "question", q);
    }
    char l[2] = {(char)('A' + gidx), 0};
    push(L, id, rec, vars, xstrdup(l), mc_gold_output(gidx), gidx, 0, opts, nopt);
    return 0;
bad:
    cJSON_Delete(rec);
    cJSON_Delete(vars);
    return 0;
}

/* Substitute {group} in a file pattern. */
static char *subst_group(const char *pat, const char *group)
{
    const char *h = strstr(pat, "{group}");
    if (!h || !group) return xstrdup(pat);
    return xasprintf("%.*s%s%s", (int)(h - pat), pat, group, h + 7);
}

static int load_file(struct load *L, const char *data_dir, const char *rel)
{
    char *path = path_join(data_dir, rel);
    int rc = 0;
    if (!fileio_exists(path)) {
        rc = err(GRA_ENOENT, "%s: data file %s is missing (run `gra data fetch --benchmark %s`%s)",
                 L->b->name, path, L->b->name,
                 L->b->optional ? "; this benchmark's data is not staged here" : "");
        goto out;
    }
    L->path = path;
    const char *fmt = sget(L->data, "format");
    if (!fmt) fmt = "jsonl";
    if (strcmp(fmt, "jsonl") == 0) {
        rc = jsonl_foreach(path, jsonl_cb_load, L);
        if (rc == 1) rc = 0;
    } else if (strcmp(fmt, "json") == 0) {
        cJSON *j;
        rc = json_read_file(path, &j);
        if (rc) goto out;
        const char *key = sget(L->data, "array_key");
        const cJSON *arr = key ? cJSON_GetObjectItemCaseSensitive(j, key) : j;
        if (!cJSON_IsArray(arr)) {
            rc = err(GRA_EPARSE, "%s: expected a JSON array%s%s", path, key ? " under " : "",
                     key ? key : "");
        } else {
            long row = 0;
            L->json_array = true;
            for (const cJSON *r = arr->child; r; r = r->next, row++) {
                if (L->limit_rows > 0 && row >= L->limit_rows) break;
                /* a JSON array has no line numbers: report the element index */
                load_record(L, row, row + 1, r);
            }
        }
        L->json_array = false;
        cJSON_Delete(j);
    } else if (strcmp(fmt, "csv") == 0) {
        char *d;
        size_t n;
        rc = fileio_read(path, &d, &n);
        if (rc) goto out;
        struct csv_ctx c = {L, NULL, 0};
        rc = csv_parse(path, d, n, csv_cb_load, &c);
        if (rc == 1) rc = 0;
        for (int i = 0; i < c.n_header; i++) free(c.header[i]);
        free(c.header);
        free(d);
    } else {
        rc = err(GRA_ECONFIG, "%s: data.format: unknown format \"%s\"", L->b->spec_path, fmt);
    }
out:
    free(path);
    L->path = NULL;
    return rc;
}

static int load_exemplar_file(struct bench *b)
{
    const cJSON *ex = getp(b->spec, "prompt.exemplars");
    const char *file = sget(ex, "file");
    if (!file) return 0;
    char *dir = xstrdup(b->spec_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    char *path = path_join(dir, file);
    free(dir);
    cJSON *arr = NULL;
    /* JSONL: {"source", "group"?, "vars": {...}, "target"} */
    char *data;
    size_t len;
    int rc = fileio_read(path, &data, &len);
    if (rc) goto out;
    long lineno = 0;
    for (char *p = data, *nl; p && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        lineno++;
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l == 0) continue;
        cJSON *o = cJSON_ParseWithLengthOpts(p, l, NULL, 0);
        const cJSON *vars = o ? cJSON_GetObjectItemCaseSensitive(o, "vars") : NULL;
        const char *target = o ? sget(o, "target") : NULL;
        if (!cJSON_IsObject(vars) || !target || !sget(o, "source")) {
            cJSON_Delete(o);
            rc = err(GRA_EPARSE, "%s:%ld: expected {\"source\", \"vars\": {...}, \"target\"}", path,
                     lineno);
            goto out;
        }
        if (b->n_exemplars == b->exemplars_cap) {
            b->exemplars_cap = b->exemplars_cap ? 2 * b->exemplars_cap : 16;
            b->exemplars = xrealloc(b->exemplars, sizeof *b->exemplars * (size_t)b->exemplars_cap);
        }
        struct bench_exemplar *x = &b->exemplars[b->n_exemplars++];
        x->group = sdup(o, "group");
        x->vars = cJSON_Duplicate(vars, 1);
        x->target = xstrdup(target);
        cJSON_Delete(o);
    }
    free(data);
out:
    cJSON_Delete(arr);
    free(path);
    return rc;
}

/* BBH cot-prompts/TASK.txt (suzgunmirac/BIG-Bench-Hard): an optional
 * header ended by a "-----" line (the canary), the task description, then
 * exemplars "Q: ...\nA: ... So the answer is X." separated by blank lines.
 * Adds the group's exemplars (for the prompt hash) and returns the rendered
 * few-shot text "DESCRIPTION\n\nQ: q1\nA: a1\n\n..." with the first `shots`
 * exemplars (heap), or NULL after logging file: problem. */
static char *load_cot_prompt(struct bench *b, const char *path, const char *group, int *rc)
{
    char *data = NULL;
    size_t len;
    char *res = NULL;
    *rc = GRA_EPARSE;
    if (!fileio_exists(path)) {
        *rc = err(GRA_ENOENT,
                  "%s: few-shot file %s is missing (run `gra data fetch --benchmark %s`%s)",
                  b->name, path, b->name,
                  b->optional ? "; this benchmark's data is not staged here" : "");
        return NULL;
    }
    if ((*rc = fileio_read(path, &data, &len)) != 0) return NULL;
    *rc = GRA_EPARSE;
    /* CRLF -> LF */
    char *w = data;
    for (const char *r = data; *r; r++)
        if (!(r[0] == '\r' && r[1] == '\n')) *w++ = *r;
    *w = '\0';
    char *text = data;
    for (char *line = data; line && *line;) {
        char *nl = strchr(line, '\n');
        if (strncmp(line, "-----", 5) == 0 && strspn(line, "-") == (size_t)((nl ? nl : line + strlen(line)) - line)) {
            text = nl ? nl + 1 : line + strlen(line);
            break;
        }
        line = nl ? nl + 1 : NULL;
    }
    /* exemplar starts: lines beginning with "Q:" */
    char *q[64];
    int nq = 0;
    for (char *line = text; line && *line && nq < 64;) {
        if (strncmp(line, "Q:", 2) == 0) q[nq++] = line;
        char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : NULL;
    }
    if (nq < b->shots) {
        err(GRA_EPARSE, "%s: %d exemplar%s (\"Q: ... A: ...\"), the spec asks for %d shots", path,
            nq, nq == 1 ? "" : "s", b->shots);
        goto out;
    }
    struct buf o = BUF_INIT;
    const char *pe = nq ? q[0] : text + strlen(text);
    const char *pb = text;
    while (pb < pe && isspace((unsigned char)*pb)) pb++;
    while (pe > pb && isspace((unsigned char)pe[-1])) pe--;
    buf_append(&o, pb, (size_t)(pe - pb));
    for (int k = 0; k < nq && k < b->shots; k++) {
        const char *end = k + 1 < nq ? q[k + 1] : q[k] + strlen(q[k]);
        const char *a = NULL;
        for (const char *p = q[k]; p && p < end;) {
            if (p != q[k] && strncmp(p, "A:", 2) == 0) {
                a = p;
                break;
            }
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : NULL;
        }
        if (!a) {
            err(GRA_EPARSE, "%s: exemplar %d: no \"A:\" line after its \"Q:\"", path, k + 1);
            buf_release(&o);
            goto out;
        }
        const char *qb = q[k] + 2, *qe = a;
        while (qb < qe && *qb == ' ') qb++;
        while (qe > qb && isspace((unsigned char)qe[-1])) qe--;
        const char *ab = a + 2, *ae = end;
        while (ab < ae && *ab == ' ') ab++;
        while (ae > ab && isspace((unsigned char)ae[-1])) ae--;
        char *qs = xasprintf("%.*s", (int)(qe - qb), qb);
        char *as = xasprintf("%.*s", (int)(ae - ab), ab);
        bool has_marker = false;
        for (const char *p = as; *p && !has_marker; p++)
            has_marker = strncasecmp(p, "the answer is", 13) == 0;
        if (!has_marker) {
            err(GRA_EPARSE, "%s: exemplar %d: the answer lacks \"So the answer is\"", path, k + 1);
            free(qs);
            free(as);
            buf_release(&o);
            goto out;
        }
        buf_appendf(&o, "%sQ: %s\nA: %s", o.len ? "\n\n" : "", qs, as);
        if (b->n_exemplars == b->exemplars_cap) {
            b->exemplars_cap = b->exemplars_cap ? 2 * b->exemplars_cap : 16;
            b->exemplars = xrealloc(b->exemplars, sizeof *b->exemplars * (size_t)b->exemplars_cap);
        }
        struct bench_exemplar *x = &b->exemplars[b->n_exemplars++];
        x->group = group ? xstrdup(group) : NULL;
        x->vars = cJSON_CreateObject();
        cJSON_AddStringToObject(x->vars, "input", qs);
        x->target = as;
        free(qs);
    }
    res = buf_detach(&o, NULL);
    *rc = 0;
out:
    free(data);
    return res;
}

/* prompt.exemplars.cot_prompts: one file per group, rendered into every
 * item's {fewshot} variable */
static int load_cot_prompts(struct bench *b, const char *data_dir, const char *pattern)
{
    b->inline_exemplars = true;
    const char *last = NULL;
    char *fewshot = NULL;
    for (int i = 0; i < b->n_items; i++) {
        struct bench_item *it = &b->items[i];
        if (!last || !it->group || strcmp(last, it->group) != 0) {
            /* items of a group are contiguous: one file per group */
            free(fewshot);
            char *rel = subst_group(pattern, it->group);
            char *path = path_join(data_dir, rel);
            int rc = 0;
            fewshot = load_cot_prompt(b, path, it->group, &rc);
            free(rel);
            free(path);
            if (!fewshot) return rc;
            last = it->group;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(it->vars, "fewshot");
        cJSON_AddStringToObject(it->vars, "fewshot", fewshot);
    }
    free(fewshot);
    return 0;
}

static void compute_prompt_hash(struct bench *b)
{
    struct sha256_ctx *h = sha256_begin();
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(b->spec, "prompt");
    char *ps = json_print_compact(pr);
    sha256_update(h, ps, strlen(ps) + 1);
    free(ps);
    for (int i = 0; i < b->n_exemplars; i++) {
        const struct bench_exemplar *x = &b->exemplars[i];
        char *vs = json_print_compact(x->vars);
        sha256_update(h, x->group ? x->group : "", strlen(x->group ? x->group : "") + 1);
        sha256_update(h, vs, strlen(vs) + 1);
        sha256_update(h, x->target, strlen(x->target) + 1);
        free(vs);
    }
    sha256_final(h, b->prompt_hash);
}

int bench_load(struct bench *b, const char *data_dir, int limit)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(b->spec, "data");
    struct load L = {0};
    L.b = b;
    L.data = data;
    L.fields = cJSON_GetObjectItemCaseSensitive(data, "fields");
    L.split = sget(data, "split") ? sget(data, "split") : "test";
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(data, "groups");
    const char *file = sget(data, "file");
    int rc = 0;
    if (cJSON_IsArray(groups)) {
        for (const cJSON *g = groups->child; g && !rc; g = g->next) {
            if (!cJSON_IsString(g)) continue;
            if (limit > 0 && b->n_items >= limit) break;
            L.group = g->valuestring;
            char *rel = subst_group(file, L.group);
            rc = load_file(&L, data_dir, rel);
            free(rel);
        }
        L.group = NULL;
    } else if (file) {
        rc = load_file(&L, data_dir, file);
    } else {
        rc = err(GRA_ECONFIG, "%s: data.file: required", b->spec_path);
    }
    if (!rc && L.failures)
        rc = err(GRA_EPARSE, "%s: %d bad record%s in the data (see above)", b->name, L.failures,
                 L.failures == 1 ? "" : "s");
    if (rc) return rc;
    if (limit > 0 && b->n_items > limit) {
        for (int i = limit; i < b->n_items; i++) item_release(&b->items[i]);
        b->n_items = limit;
        free(b->id_index);
        b->id_index = NULL;
    }
    /* exemplars */
    if (b->shots > 0) {
        const cJSON *ex = getp(b->spec, "prompt.exemplars");
        if (sget(ex, "file")) {
            rc = load_exemplar_file(b);
        } else if (sget(ex, "cot_prompts")) {
            rc = load_cot_prompts(b, data_dir, sget(ex, "cot_prompts"));
        } else if (sget(ex, "data_file")) {
            struct load X = L;
            X.exemplars = true;
            X.limit_rows = b->shots;
            const cJSON *xfmt = cJSON_GetObjectItemCaseSensitive(ex, "format");
            cJSON *xdata = cJSON_Duplicate(data, 1);
            if (cJSON_IsString(xfmt))
                cJSON_ReplaceItemInObjectCaseSensitive(xdata, "format",
                                                       cJSON_CreateString(xfmt->valuestring));
            X.data = xdata;
            const char *xf = sget(ex, "data_file");
            if (cJSON_IsArray(groups)) {
                for (const cJSON *g = groups->child; g && !rc; g = g->next) {
                    X.group = g->valuestring;
                    char *rel = subst_group(xf, X.group);
                    rc = load_file(&X, data_dir, rel);
                    free(rel);
                }
            } else {
                rc = load_file(&X, data_dir, xf);
            }
            cJSON_Delete(xdata);
            if (!rc && X.failures) rc = err(GRA_EPARSE, "%s: bad exemplar records", b->name);
        } else {
            rc = err(GRA_ECONFIG, "%s: prompt.exemplars: needs \"file\" or \"data_file\"",
                     b->spec_path);
        }
        if (rc) return rc;
    }
    compute_prompt_hash(b);
    return 0;
}

int bench_find(struct bench *b, const char *id)
{
    if (!b->id_index) {
        size_t cap = 16;
        while (cap < (size_t)b->n_items * 2 + 2) cap *= 2;
        b->id_index = xmalloc(sizeof *b->id_index * cap);
        for (size_t k = 0; k < cap; k++) b->id_index[k] = -1;
        b->id_cap = cap;
        for (int i = 0; i < b->n_items; i++) {
            size_t k = hash64(b->items[i].id, strlen(b->items[i].id), 0) & (cap - 1);
            while (b->id_index[k] >= 0) k = (k + 1) & (cap - 1);
            b->id_index[k] = i;
        }
    }
    size_t k = hash64(id, strlen(id), 0) & (b->id_cap - 1);
    while (b->id_index[k] >= 0) {
        if (strcmp(b->items[b->id_index[k]].id, id) == 0) return b->id_index[k];
        k = (k + 1) & (b->id_cap - 1);
    }
    return -1;
}

/* ---------------- prompts ---------------- */

static char *render(const char *tmpl, const cJSON *vars, const char *where)
{
    struct buf o = BUF_INIT;
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '{' && p[1] == '{') {
            buf_putc(&o, '{');
            p++;
            continue;
        }
        if (p[0] == '}' && p[1] == '}') {
            buf_putc(&o, '}');
            p++;
            continue;
        }
        if (*p == '{') {
            const char *e = strchr(p, '}');
            if (!e || e - p > 64) {
                buf_putc(&o, *p);
                continue;
            }
            char name[80];
            snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(vars, name);
            if (!cJSON_IsString(v)) {
                log_error("%s: template names unknown variable {%s}", where, name);
                buf_release(&o);
                return NULL;
            }
            buf_puts(&o, v->valuestring);
            p = e;
            continue;
        }
        buf_putc(&o, *p);
    }
    return buf_detach(&o, NULL);
}

static bool exemplar_applies(const struct bench_exemplar *x, const struct bench_item *it)
{
    if (!x->group) return true;
    return it->group && strcmp(x->group, it->group) == 0;
}

struct cJSON *bench_messages(const struct bench *b, int i)
{
    const struct bench_item *it = &b->items[i];
    cJSON *msgs = cJSON_CreateArray();
    if (!b->chat) {
        char *t = bench_prompt_text(b, i);
        if (!t) {
            cJSON_Delete(msgs);
            return NULL;
        }
        llm_message_add(msgs, "user", t);
        free(t);
        return msgs;
    }
    if (b->system) llm_message_add(msgs, "system", b->system);
    int used = b->inline_exemplars ? b->shots : 0;
    for (int k = 0; k < b->n_exemplars && used < b->shots; k++) {
        const struct bench_exemplar *x = &b->exemplars[k];
        if (!exemplar_applies(x, it)) continue;
        char *u = render(b->tmpl, x->vars, b->spec_path);
        if (!u) {
            cJSON_Delete(msgs);
            return NULL;
        }
        llm_message_add(msgs, "user", u);
        llm_message_add(msgs, "assistant", x->target);
        free(u);
        used++;
    }
    char *u = render(b->tmpl, it->vars, b->spec_path);
    if (!u) {
        cJSON_Delete(msgs);
        return NULL;
    }
    llm_message_add(msgs, "user", u);
    free(u);
    return msgs;
}

char *bench_prompt_text(const struct bench *b, int i)
{
    const struct bench_item *it = &b->items[i];
    struct buf o = BUF_INIT;
    if (b->system) buf_appendf(&o, "%s\n\n", b->system);
    int used = b->inline_exemplars ? b->shots : 0;
    for (int k = 0; k < b->n_exemplars && used < b->shots; k++) {
        const struct bench_exemplar *x = &b->exemplars[k];
        if (!exemplar_applies(x, it)) continue;
        char *u = render(b->tmpl, x->vars, b->spec_path);
        if (!u) {
            buf_release(&o);
            return NULL;
        }
        buf_appendf(&o, "%s %s\n\n", u, x->target);
        free(u);
        used++;
    }
    char *u = render(b->tmpl, it->vars, b->spec_path);
    if (!u) {
        buf_release(&o);
        return NULL;
    }
    buf_puts(&o, u);
    free(u);
    return buf_detach(&o, NULL);
}

/* ---------------- scoring ---------------- */

void bench_score(const struct bench *b, int i, const char *output, struct verdict *v)
{
    const struct bench_item *it = &b->items[i];
    switch (b->family) {
    case BENCH_GSM8K:
        score_gsm8k(output, it->gold, v);
        break;
    case BENCH_MATH:
        score_math(output, it->gold, v);
        break;
    case BENCH_MC:
        score_mc(output, it->n_options, (const char *const *)it->options, it->gold_index, v);
        break;
    case BENCH_MC_MULTI:
        score_mc_multi(output, it->n_options, it->gold_mask, v);
        break;
    case BENCH_PHRASE:
        score_phrase(output, it->gold, v);
        break;
    case BENCH_IFEVAL: {
        struct ifeval_result r;
        if (ifeval_score(it->record, output ? output : "", &r) == 0) {
            ifeval_fill_verdict(&r, strcmp(b->primary, "strict") == 0, v);
            ifeval_result_release(&r);
            return; /* primary and partial are set */
        }
        memset(v, 0, sizeof *v);
        v->extract_failed = true;
        break;
    }
    default:
        memset(v, 0, sizeof *v);
        v->extract_failed = true;
        break;
    }
    if (strcmp(b->primary, "strict") == 0) {
        v->correct = v->strict;
        if (b->family != BENCH_MC_MULTI) v->partial = v->correct ? 1.0 : 0.0;
    }
}

char *bench_corrupt_output(const struct bench *b, int i)
{
    const struct bench_item *it = &b->items[i];
    switch (b->family) {
    case BENCH_GSM8K: {
        double g = strtod(it->gold, NULL);
        return xasprintf("Let me compute.\n#### %.10g", g + 1);
    }
    case BENCH_MATH:
        return xasprintf("So the result is $\\boxed{%s+1}$.", it->gold);
    case BENCH_MC:
        return xasprintf("The answer is (%c).",
                         'A' + (it->gold_index + 1) % (it->n_options ? it->n_options : 1));
    case BENCH_MC_MULTI: {
        unsigned long m = it->gold_mask ^ 1ul;
        if (!m) m = 2ul;
        struct buf g = BUF_INIT;
        for (int k = 0; k < it->n_options; k++)
            if (m & (1ul << k)) buf_appendf(&g, "%s%c", g.len ? ", " : "", 'A' + k);
        char *r = xasprintf("Answer: %s", g.data);
        buf_release(&g);
        return r;
    }
    case BENCH_PHRASE:
        return xasprintf("So the answer is not %s.", it->gold);
    case BENCH_IFEVAL:
        return xstrdup(""); /* an empty reply follows no instruction */
    case BENCH_CODE:
        return xstrdup("```python\nraise AssertionError('wrong')\n```\n");
    default:
        return xstrdup("");
    }
}
