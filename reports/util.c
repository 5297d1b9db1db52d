/*
 * util: the reports module's small shared pieces: a string -> index map,
 * the lineage list (every input file with its sha256 and whether it says
 * "simulated"), JSON number helpers (non-finite numbers become null, never
 * invalid JSON) and the notes list of the summary.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "reports/report_int.h"

static size_t slot_of(const struct strmap *m, const char *key)
{
    uint64_t h = hash64(key, strlen(key), 0x5eed);
    size_t i = (size_t)h & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0) i = (i + 1) & (m->cap - 1);
    return i;
}

long strmap_get(const struct strmap *m, const char *key)
{
    if (!m->cap) return -1;
    size_t i = slot_of(m, key);
    return m->keys[i] ? m->vals[i] : -1;
}

void strmap_put(struct strmap *m, const char *key, long val)
{
    if ((m->len + 1) * 2 > m->cap) {
        struct strmap n = {0};
        n.cap = m->cap ? m->cap * 2 : 64;
        n.keys = xcalloc(n.cap, sizeof *n.keys);
        n.vals = xcalloc(n.cap, sizeof *n.vals);
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t j = slot_of(&n, m->keys[i]);
                n.keys[j] = m->keys[i];
                n.vals[j] = m->vals[i];
                n.len++;
            }
        free(m->keys);
        free(m->vals);
        *m = n;
    }
    size_t i = slot_of(m, key);
    if (!m->keys[i]) {
        m->keys[i] = xstrdup(key);
        m->len++;
    }
    m->vals[i] = val;
}

void strmap_release(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

int lineage_add(struct lineage *l, const char *path, const char *role)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->paths[i], path) == 0) return i;
    char sha[65];
    int rc = sha256_file_hex(path, sha);
    if (rc) return err(GRA_EIO, "%s: cannot read (needed as %s input)", path, role);
    l->paths = xrealloc(l->paths, (size_t)(l->n + 1) * sizeof *l->paths);
    l->roles = xrealloc(l->roles, (size_t)(l->n + 1) * sizeof *l->roles);
    l->sha = xrealloc(l->sha, (size_t)(l->n + 1) * sizeof *l->sha);
    l->simulated = xrealloc(l->simulated, (size_t)(l->n + 1) * sizeof *l->simulated);
    l->paths[l->n] = xstrdup(path);
    l->roles[l->n] = xstrdup(role);
    memcpy(l->sha[l->n], sha, 65);
    l->simulated[l->n] = false;
    return l->n++;
}

void lineage_release(struct lineage *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->paths[i]);
        free(l->roles[i]);
    }
    free(l->paths);
    free(l->roles);
    free(l->sha);
    free(l->simulated);
    memset(l, 0, sizeof *l);
}

cJSON *jnum(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

cJSON *jpair(double lo, double hi)
{
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, jnum(lo));
    cJSON_AddItemToArray(a, jnum(hi));
    return a;
}

double jget_num(const cJSON *o, const char *key, double def)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const char *jget_str(const cJSON *o, const char *key)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void report_note(struct report_ctx *ctx, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(ctx->notes, cJSON_CreateString(buf));
    log_info("report: %s", buf);
}
