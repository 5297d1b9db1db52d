/*
 * seeds: format adapters for seed data (contract in seeds.h). Each adapter
 * turns one parsed JSON record into (instruction, response) or says why it
 * cannot; the loader owns iteration, line numbers and the skip/fail policy.
 */
#include "synth/seeds.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/rng.h"

const char *const seed_format_names[] = {"auto", "alpaca", "self_instruct", "sharegpt",
                                         "messages", "gsm8k", "math", NULL};

/* How a file is named in sources and the sampling stream: as the config
 * wrote it (name), else its path (callers that build the struct by hand). */
static const char *seed_file_name(const struct seed_file_cfg *fc)
{
    return fc->name ? fc->name : fc->path;
}

static void record_free(struct seed_record *r)
{
    free(r->instruction);
    free(r->response);
    free(r->source);
}

struct loader {
    const struct seed_file_cfg *fc;
    bool fail_on_bad;
    struct seed_record *v;
    int n, cap;
    int n_bad;
    int rc;
};

static const char *str_field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool empty(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s)) return false;
    return true;
}

static int detect(const cJSON *o)
{
    if (cJSON_GetObjectItemCaseSensitive(o, "conversations")) return SEED_SHAREGPT;
    if (cJSON_GetObjectItemCaseSensitive(o, "messages")) return SEED_MESSAGES;
    if (cJSON_GetObjectItemCaseSensitive(o, "instances")) return SEED_SELF_INSTRUCT;
    if (cJSON_GetObjectItemCaseSensitive(o, "question")) return SEED_GSM8K;
    if (cJSON_GetObjectItemCaseSensitive(o, "problem")) return SEED_MATH;
    return SEED_ALPACA;
}

/* First user turn and the assistant turn after it. */
static const char *turns(const cJSON *arr, const char *rkey, const char *ckey,
                         const char *const *user, const char *const *asst, const char **a_out)
{
    const char *u = NULL;
    const cJSON *t;
    cJSON_ArrayForEach(t, arr) {
        const char *role = str_field(t, rkey), *content = str_field(t, ckey);
        if (!role || !content) continue;
        bool is_user = false, is_asst = false;
        for (int i = 0; user[i]; i++) is_user |= strcmp(role, user[i]) == 0;
        for (int i = 0; asst[i]; i++) is_asst |= strcmp(role, asst[i]) == 0;
        if (!u && is_user) {
            u = content;
        } else if (u && is_asst) {
            *a_out = content;
            return u;
        }
    }
    return NULL;
}

/* Fill instruction/response (heap) or return a reason (static). */
static const char *adapt(const struct seed_file_cfg *fc, const cJSON *o, char **ins, char **resp)
{
    if (!cJSON_IsObject(o)) return "not a JSON object";
    int fmt = fc->format == SEED_AUTO ? detect(o) : fc->format;
    const char *fi = fc->f_instruction, *fin = fc->f_input, *fo = fc->f_output;
    const char *i = NULL, *in = NULL, *out = NULL;
    static const char *const users[] = {"human", "user", NULL};
    static const char *const assts[] = {"gpt", "assistant", "chatgpt", "bing", "bard", NULL};
    switch (fmt) {
    case SEED_ALPACA:
        i = str_field(o, fi ? fi : "instruction");
        in = str_field(o, fin ? fin : "input");
        out = str_field(o, fo ? fo : "output");
        break;
    case SEED_SELF_INSTRUCT: {
        i = str_field(o, fi ? fi : "instruction");
        const cJSON *inst = cJSON_GetObjectItemCaseSensitive(o, "instances");
        const cJSON *first = cJSON_IsArray(inst) ? cJSON_GetArrayItem(inst, 0) : NULL;
        if (!first) return "instances: missing or empty";
        in = str_field(first, fin ? fin : "input");
        out = str_field(first, fo ? fo : "output");
        break;
    }
    case SEED_SHAREGPT: {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, fi ? fi : "conversations");
        if (!cJSON_IsArray(c)) return "conversations: missing or not an array";
        i = turns(c, "from", "value", users, assts, &out);
        if (!i) return "conversations: no human turn followed by a gpt turn";
        break;
    }
    case SEED_MESSAGES: {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, fi ? fi : "messages");
        if (!cJSON_IsArray(m)) return "messages: missing or not an array";
        i = turns(m, "role", "content", users, assts, &out);
        if (!i) return "messages: no user message followed by an assistant message";
        break;
    }
    case SEED_GSM8K:
        i = str_field(o, fi ? fi : "question");
        out = str_field(o, fo ? fo : "answer");
        break;
    case SEED_MATH:
        i = str_field(o, fi ? fi : "problem");
        out = str_field(o, fo ? fo : "solution");
        break;
    default:
        return "unknown format";
    }
    if (empty(i)) return "instruction: missing or empty";
    if (empty(out)) return "response: missing or empty";
    *ins = empty(in) ? xstrdup(i) : xasprintf("%s\n\n%s", i, in);
    *resp = xstrdup(out);
    return NULL;
}

static int take(struct loader *L, const cJSON *o, const char *where)
{
    char *ins = NULL, *resp = NULL;
    const char *why = adapt(L->fc, o, &ins, &resp);
    if (why) {
        L->n_bad++;
        if (L->fail_on_bad) return err(GRA_EPARSE, "%s: bad seed record: %s", where, why);
        log_warn("%s: skipping seed record: %s", where, why);
        return 0;
    }
    if (L->n == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 256;
        L->v = xrealloc(L->v, (size_t)L->cap * sizeof *L->v);
    }
    L->v[L->n].instruction = ins;
    L->v[L->n].response = resp;
    L->v[L->n].source = xstrdup(where);
    L->n++;
    return 0;
}

static int on_line(void *ud, long lineno, cJSON *obj, const char *errmsg)
{
    struct loader *L = ud;
    char where[1200];
    snprintf(where, sizeof where, "%s:%ld", seed_file_name(L->fc), lineno);
    if (!obj) {
        L->n_bad++;
        if (L->fail_on_bad) {
            L->rc = err(GRA_EPARSE, "%s: malformed JSON: %s", where, errmsg ? errmsg : "?");
            return 1;
        }
        log_warn("%s: skipping malformed JSON line: %s", where, errmsg ? errmsg : "?");
        return 0;
    }
    int rc = take(L, obj, where);
    if (rc) {
        L->rc = rc;
        return 1;
    }
    return 0;
}

static int load_file(struct loader *L)
{
    char *data = NULL;
    size_t len = 0;
    int rc = fileio_read(L->fc->path, &data, &len);
    if (rc) return rc;
    size_t k = 0;
    while (k < len && isspace((unsigned char)data[k])) k++;
    bool array = k < len && data[k] == '[';
    if (!array) {
        free(data);
        L->rc = 0;
        rc = jsonl_foreach(L->fc->path, on_line, L);
        return L->rc ? L->rc : rc;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (!root) {
        long line = 1;
        for (const char *p = data; end && p < end; p++) line += *p == '\n';
        free(data);
        return err(GRA_EPARSE, "%s:%ld: malformed JSON array", L->fc->path, line);
    }
    free(data);
    int idx = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, root) {
        char where[1200];
        snprintf(where, sizeof where, "%s:record %d", seed_file_name(L->fc), ++idx);
        rc = take(L, o, where);
        if (rc) break;
    }
    cJSON_Delete(root);
    return rc;
}

int seeds_load(const struct seed_file_cfg *files, int n_files, bool fail_on_bad, uint64_t seed,
               struct seed_record **out, int *n_out, int *n_bad)
{
    struct seed_record *all = NULL;
    int n_all = 0, bad = 0, rc = 0;
    for (int f = 0; f < n_files; f++) {
        struct loader L = {.fc = &files[f], .fail_on_bad = fail_on_bad};
        rc = load_file(&L);
        bad += L.n_bad;
        if (rc) {
            seeds_free(L.v, L.n);
            goto out;
        }
        long keep = L.n;
        if (files[f].limit > 0 && files[f].limit < L.n) {
            keep = files[f].limit;
            if (files[f].sample) {
                /* a seeded random subset, kept in file order */
                int *idx = xmalloc((size_t)L.n * sizeof *idx);
                for (int i = 0; i < L.n; i++) idx[i] = i;
                struct rng r;
                rng_seed(&r, rng_derive(seed, seed_file_name(&files[f]), (uint64_t)f));
                rng_shuffle(&r, idx, (size_t)L.n, sizeof *idx);
                char *pick = xcalloc((size_t)L.n, 1);
                for (long i = 0; i < keep; i++) pick[idx[i]] = 1;
                int w = 0;
                for (int i = 0; i < L.n; i++) {
                    if (pick[i]) {
                        L.v[w++] = L.v[i];
                    } else {
                        record_free(&L.v[i]);
                    }
                }
                free(pick);
                free(idx);
            } else {
                for (int i = (int)keep; i < L.n; i++) record_free(&L.v[i]);
            }
        }
        all = xrealloc(all, (size_t)(n_all + keep + 1) * sizeof *all);
        if (keep > 0) memcpy(all + n_all, L.v, (size_t)keep * sizeof *all);
        n_all += (int)keep;
        free(L.v);
    }
out:
    if (rc) {
        seeds_free(all, n_all);
        all = NULL;
        n_all = 0;
    }
    *out = all;
    *n_out = n_all;
    if (n_bad) *n_bad = bad;
    return rc;
}

void seeds_free(struct seed_record *r, int n)
{
    for (int i = 0; i < n; i++) record_free(&r[i]);
    free(r);
}
