/*
 * config: load an experiment file, validate core's part (top level, "client",
 * "models"), and give stages the cfg_* helpers to validate theirs.
 *
 * Shape of the code: every check goes through a cfg_* helper, which logs a
 * message in the one shape
 *
 *     FILE[:LINE]: JSON.PATH: expected WHAT, got VALUE
 *
 * and counts it in struct cfg_err instead of stopping, so a user sees every
 * problem of a file in one go. cJSON keeps no source positions, so after a
 * successful parse we walk the source text in step with the parsed tree (the
 * text is valid JSON by then and cJSON keeps members in source order) and note
 * the line of every member's key and every array element. That table lives in
 * a small process-wide registry keyed by item pointer, so the helpers can
 * print a line for any item of a loaded config without changing their
 * signatures; config_free() drops the table.
 */
#include "core/config.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"

#ifndef GRA_SOURCE_DIR
#define GRA_SOURCE_DIR "."
#endif

#define CFG_MAX_SAFE_INT 9007199254740992.0 /* 2^53: doubles are exact up to here */

/* ---------------------------------------------------------------------------
 * Line table: item pointer -> 1-based line of its key (members) or of its
 * first character (array elements and the root).
 */
struct line_entry {
    uintptr_t item;
    int line;
};

struct line_table {
    const cJSON *root;
    struct line_entry *v;
    size_t n, cap;
    struct line_table *next;
};

static struct line_table *line_tables;

struct scanner {
    const char *s;
    size_t n, i;
    int line;
};

static void lt_add(struct line_table *t, const cJSON *item, int line)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n].item = (uintptr_t)item;
    t->v[t->n].line = line;
    t->n++;
}

static void sc_ws(struct scanner *sc)
{
    while (sc->i < sc->n) {
        char c = sc->s[sc->i];
        if (c == '\n')
            sc->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            break;
        sc->i++;
    }
}

static void sc_string(struct scanner *sc)
{
    sc->i++; /* opening quote */
    while (sc->i < sc->n && sc->s[sc->i] != '"') {
        if (sc->s[sc->i] == '\\')
            sc->i++;
        else if (sc->s[sc->i] == '\n')
            sc->line++; /* cJSON tolerates raw newlines */
        sc->i++;
    }
    sc->i++; /* closing quote */
}

/* Walk one value at sc->i whose parsed counterpart is item. Returns -1 when
 * text and tree disagree (then the table is simply incomplete). */
static int sc_value(struct scanner *sc, struct line_table *t, const cJSON *item, int depth)
{
    sc_ws(sc);
    if (sc->i >= sc->n || !item || depth > 1000) return -1;
    char c = sc->s[sc->i];
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        sc->i++;
        const cJSON *child = item->child;
        for (;;) {
            sc_ws(sc);
            if (sc->i >= sc->n) return -1;
            if (sc->s[sc->i] == close) {
                sc->i++;
                return 0;
            }
            if (sc->s[sc->i] == ',') {
                sc->i++;
                continue;
            }
            if (!child) return -1;
            if (c == '{') {
                if (sc->s[sc->i] != '"') return -1;
                int key_line = sc->line;
                sc_string(sc);
                sc_ws(sc);
                if (sc->i >= sc->n || sc->s[sc->i] != ':') return -1;
                sc->i++;
                lt_add(t, child, key_line);
            } else {
                sc_ws(sc);
                lt_add(t, child, sc->line);
            }
            if (sc_value(sc, t, child, depth + 1)) return -1;
            child = child->next;
        }
    }
    if (c == '"') {
        sc_string(sc);
        return 0;
    }
    while (sc->i < sc->n && !strchr(",]} \t\r\n", sc->s[sc->i])) sc->i++;
    return 0;
}

static int lt_cmp(const void *a, const void *b)
{
    uintptr_t x = ((const struct line_entry *)a)->item, y = ((const struct line_entry *)b)->item;
    return x < y ? -1 : x > y;
}

static void lines_register(const cJSON *root, const char *text, size_t len)
{
    struct line_table *t = xcalloc(1, sizeof *t);
    t->root = root;
    struct scanner sc = {text, len, 0, 1};
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) sc.i = 3;
    sc_ws(&sc);
    lt_add(t, root, sc.line);
    sc_value(&sc, t, root, 0);
    qsort(t->v, t->n, sizeof *t->v, lt_cmp);
    t->next = line_tables;
    line_tables = t;
}

static void lines_unregister(const cJSON *root)
{
    for (struct line_table **pp = &line_tables; *pp; pp = &(*pp)->next) {
        if ((*pp)->root == root) {
            struct line_table *t = *pp;
            *pp = t->next;
            free(t->v);
            free(t);
            return;
        }
    }
}

int cfg_line(const struct cJSON *item)
{
    if (!item) return 0;
    uintptr_t key = (uintptr_t)item;
    for (const struct line_table *t = line_tables; t; t = t->next) {
        size_t lo = 0, hi = t->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (t->v[mid].item < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < t->n && t->v[lo].item == key) return t->v[lo].line;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Messages
 */
const char *cfg_describe(const struct cJSON *v, char *out, size_t n)
{
    if (!n) return out;
    if (!v) {
        snprintf(out, n, "nothing");
    } else if (cJSON_IsString(v)) {
        struct buf b = BUF_INIT;
        size_t len = strlen(v->valuestring);
        bool cut = len > 48;
        buf_put_json_string(&b, v->valuestring, cut ? 48 : len);
        snprintf(out, n, "%s%s", b.data, cut ? "..." : "");
        buf_release(&b);
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 1e21) {
            snprintf(out, n, "%.0f", d);
        } else {
            /* shortest form that reads back the same */
            for (int prec = 15; prec <= 17; prec++) {
                snprintf(out, n, "%.*g", prec, d);
                if (strtod(out, NULL) == d) break;
            }
        }
    } else if (cJSON_IsBool(v)) {
        snprintf(out, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(out, n, "null");
    } else if (cJSON_IsArray(v)) {
        snprintf(out, n, "an array");
    } else if (cJSON_IsObject(v)) {
        snprintf(out, n, "an object");
    } else {
        snprintf(out, n, "an unknown value");
    }
    return out;
}

static void vfail(struct cfg_err *e, int line, const char *path, const char *key, const char *fmt,
                  va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char where[32] = "";
    if (line > 0) snprintf(where, sizeof where, ":%d", line);
    bool has_path = path && *path, has_key = key && *key;
    const char *file = e && e->file ? e->file : "config";
    /* array indices join without a dot: models.x.endpoints[1] */
    const char *dot = has_path && has_key && key[0] != '[' ? "." : "";
    log_error("%s%s: %s%s%s%s%s", file, where, has_path ? path : "", dot, has_key ? key : "",
              has_path || has_key ? ": " : "", msg);
    if (e) e->n_errors++;
}

int cfg_fail(struct cfg_err *e, const char *path, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, 0, path, key, fmt, ap);
    va_end(ap);
    return GRA_ECONFIG;
}

int cfg_fail_at(struct cfg_err *e, const struct cJSON *item, const char *path, const char *key,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, cfg_line(item), path, key, fmt, ap);
    va_end(ap);
    return GRA_ECONFIG;
}

/* "expected WHAT, got VALUE" at item's line. */
static int expected(struct cfg_err *e, const cJSON *item, const char *path, const char *key,
                    const char *what)
{
    char got[96];
    return cfg_fail_at(e, item, path, key, "expected %s, got %s", what,
                       cfg_describe(item, got, sizeof got));
}

/* The item under key, or obj itself when key is NULL. NULL when absent. */
static const cJSON *member(const cJSON *obj, const char *key)
{
    if (!obj) return NULL;
    if (!key) return obj;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* ---------------------------------------------------------------------------
 * Helpers for stage sections (and core's own)
 */
/* Edit distance (insert, delete, substitute, swap of neighbours) between short
 * strings; keys longer than 63 bytes are never "close". */
static int edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63) return 1000;
    int d[64][64];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[n][m];
}

/* The allowed key a typo most likely meant, or NULL. */
static const char *closest(const char *key, const char *const *allowed)
{
    const char *best = NULL;
    int bd = 1000;
    for (const char *const *a = allowed; a && *a; a++) {
        int dist = edit_distance(key, *a);
        if (dist < bd) {
            bd = dist;
            best = *a;
        }
    }
    size_t len = strlen(key);
    int limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    return bd <= limit ? best : NULL;
}

int cfg_keys(struct cfg_err *e, const struct cJSON *obj, const char *path,
             const char *const *allowed)
{
    if (!obj) return 0;
    if (!cJSON_IsObject(obj)) return expected(e, obj, path, NULL, "an object");
    int rc = 0;
    for (const cJSON *c = obj->child; c; c = c->next) {
        const char *k = c->string ? c->string : "";
        bool ok = false;
        for (const char *const *a = allowed; a && *a; a++)
            if (strcmp(*a, k) == 0) ok = true;
        bool dup = false;
        for (const cJSON *p = obj->child; p != c && !dup; p = p->next) {
            if (p->string && strcmp(p->string, k) == 0) {
                rc = cfg_fail_at(e, c, path, k, "duplicate key (first given on line %d)",
                                 cfg_line(p));
                dup = true;
            }
        }
        if (ok || dup) continue;
        struct buf b = BUF_INIT;
        const char *near = closest(k, allowed);
        if (near) buf_appendf(&b, "did you mean \"%s\"? ", near);
        buf_puts(&b, "allowed here: ");
        for (const char *const *a = allowed; a && *a; a++)
            buf_appendf(&b, "%s%s", a == allowed ? "" : ", ", *a);
        rc = cfg_fail_at(e, c, path, k, "unknown key (%s%s)", b.data,
                         allowed && *allowed ? "" : "none");
        buf_release(&b);
    }
    return rc;
}

int cfg_object(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
               bool required, const struct cJSON **out)
{
    *out = NULL;
    const cJSON *v = member(obj, key);
    if (!v) {
        if (!required) return 0;
        return cfg_fail_at(e, obj, path, key, "required key missing (expected an object)");
    }
    if (!cJSON_IsObject(v)) return expected(e, v, path, key, "an object");
    *out = v;
    return 0;
}

static void int_what(char *w, size_t n, long min, long max)
{
    /* INT_MAX and LONG_MAX read as "no upper bound" to a user */
    bool unbounded = max == INT_MAX || max == LONG_MAX;
    if (min == LONG_MIN && unbounded)
        snprintf(w, n, "an integer");
    else if (min == 1 && unbounded)
        snprintf(w, n, "a positive integer");
    else if (min == 0 && unbounded)
        snprintf(w, n, "a non-negative integer");
    else if (unbounded)
        snprintf(w, n, "an integer >= %ld", min);
    else if (min == LONG_MIN)
        snprintf(w, n, "an integer <= %ld", max);
    else
        snprintf(w, n, "an integer from %ld to %ld", min, max);
}

int cfg_int(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path, long def,
            long min, long max, long *out)
{
    *out = def;
    const cJSON *v = member(obj, key);
    if (!v) return 0;
    char what[96];
    int_what(what, sizeof what, min, max);
    if (!cJSON_IsNumber(v)) return expected(e, v, path, key, what);
    double d = v->valuedouble;
    if (isfinite(d) && d == floor(d) && fabs(d) > CFG_MAX_SAFE_INT) {
        char got[96];
        return cfg_fail_at(e, v, path, key,
                           "expected %s, got %s (beyond 2^53, where JSON numbers lose digits)",
                           what, cfg_describe(v, got, sizeof got));
    }
    if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)max)
        return expected(e, v, path, key, what);
    long x = (long)d;
    if (x < min || x > max) return expected(e, v, path, key, what);
    *out = x;
    return 0;
}

static void double_what(char *w, size_t n, double min, double max)
{
    if (min == 0 && max >= HUGE_VAL)
        snprintf(w, n, "a number >= 0");
    else if (max >= HUGE_VAL)
        snprintf(w, n, "a number >= %g", min);
    else if (min <= -HUGE_VAL)
        snprintf(w, n, "a number <= %g", max);
    else
        snprintf(w, n, "a number from %g to %g", min, max);
}

int cfg_double(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
               double def, double min, double max, double *out)
{
    *out = def;
    const cJSON *v = member(obj, key);
    if (!v) return 0;
    char what[96];
    double_what(what, sizeof what, min, max);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < min ||
        v->valuedouble > max)
        return expected(e, v, path, key, what);
    *out = v->valuedouble;
    return 0;
}

int cfg_bool(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
             bool def, bool *out)
{
    *out = def;
    const cJSON *v = member(obj, key);
    if (!v) return 0;
    if (!cJSON_IsBool(v)) return expected(e, v, path, key, "true or false");
    *out = cJSON_IsTrue(v);
    return 0;
}

int cfg_string(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
               const char *def, char **out)
{
    *out = def ? xstrdup(def) : NULL;
    const cJSON *v = member(obj, key);
    if (!v) return 0;
    if (!cJSON_IsString(v)) return expected(e, v, path, key, "a string");
    free(*out);
    *out = xstrdup(v->valuestring);
    return 0;
}

int cfg_enum(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
             const char *const *choices, int def, int *out)
{
    *out = def;
    const cJSON *v = member(obj, key);
    if (!v) return 0;
    if (cJSON_IsString(v)) {
        for (int i = 0; choices[i]; i++) {
            if (strcmp(choices[i], v->valuestring) == 0) {
                *out = i;
                return 0;
            }
        }
    }
    struct buf b = BUF_INIT;
    buf_puts(&b, "one of ");
    for (int i = 0; choices[i]; i++) {
        if (i) buf_puts(&b, ", ");
        buf_put_json_string(&b, choices[i], strlen(choices[i]));
    }
    int rc = expected(e, v, path, key, b.data);
    buf_release(&b);
    return rc;
}

static void strings_free(char **v, int n)
{
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

int cfg_strings(struct cfg_err *e, const struct cJSON *obj, const char *key, const char *path,
                char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    const cJSON *v = member(obj, key);
    if (!v) return 0;
    if (!cJSON_IsArray(v)) return expected(e, v, path, key, "an array of strings");
    int cnt = cJSON_GetArraySize(v), k = 0, rc = 0;
    char **arr = xcalloc((size_t)cnt + 1, sizeof *arr);
    char *full = xasprintf("%s%s%s", path && *path ? path : "", path && *path && key ? "." : "",
                           key ? key : "");
    for (const cJSON *c = v->child; c; c = c->next, k++) {
        if (!cJSON_IsString(c)) {
            char idx[32];
            snprintf(idx, sizeof idx, "[%d]", k);
            rc = expected(e, c, full, idx, "a string");
            continue;
        }
        arr[k] = xstrdup(c->valuestring);
    }
    free(full);
    if (rc) {
        strings_free(arr, cnt);
        return rc;
    }
    *out = arr;
    *n = cnt;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Core sections
 */
static const char *const top_keys[] = {"name",   "description", "seed",   "cache", "sim_models",
                                       "client", "models", "synth", "distill",
                                       "eval",   "report", NULL};
static const char *const client_keys[] = {"backoff_base_ms",    "backoff_cap_ms", "max_retries",
                                          "connect_timeout_ms", "max_body_bytes", NULL};
static const char *const model_keys[] = {
    "endpoint",          "endpoints", "served_name", "api_key_env",
    "max_inflight",      "rpm",       "tpm",         "params_b",
    "price_in",          "price_out", "timeout_s",   "max_retries",
    "structured_output", "kind",      "params",      NULL};
static const char *const kind_names[] = {"chat", "embedding", NULL};

static void join_path(char *out, size_t n, const char *a, const char *b)
{
    snprintf(out, n, "%s%s%s", a && *a ? a : "", a && *a && b && *b ? "." : "", b ? b : "");
}

static int check_client(struct cfg_err *e, const cJSON *root, struct client_cfg *c)
{
    const cJSON *o;
    long v;
    int bad = e->n_errors;
    c->backoff_base_ms = 500;
    c->backoff_cap_ms = 60000;
    c->max_retries = 6;
    c->connect_timeout_ms = 10000;
    c->max_body_bytes = 16L << 20;
    cfg_object(e, root, "client", "", false, &o);
    if (!o) return e->n_errors > bad ? GRA_ECONFIG : 0;
    cfg_keys(e, o, "client", client_keys);
    if (!cfg_int(e, o, "backoff_base_ms", "client", 500, 1, 3600000, &v))
        c->backoff_base_ms = (int)v;
    if (!cfg_int(e, o, "backoff_cap_ms", "client", 60000, 1, 86400000, &v))
        c->backoff_cap_ms = (int)v;
    if (!cfg_int(e, o, "max_retries", "client", 6, 0, 100, &v)) c->max_retries = (int)v;
    if (!cfg_int(e, o, "connect_timeout_ms", "client", 10000, 1, 600000, &v))
        c->connect_timeout_ms = (int)v;
    if (!cfg_int(e, o, "max_body_bytes", "client", 16L << 20, 1024, 1L << 32, &v))
        c->max_body_bytes = v;
    if (c->backoff_cap_ms < c->backoff_base_ms)
        cfg_fail_at(e, cJSON_GetObjectItemCaseSensitive(o, "backoff_cap_ms"), "client",
                    "backoff_cap_ms", "expected a value >= backoff_base_ms (%d), got %d",
                    c->backoff_base_ms, c->backoff_cap_ms);
    return e->n_errors > bad ? GRA_ECONFIG : 0;
}

/* An OpenAI-compatible base URL: http(s)://host[:port][/prefix]/v1, trailing
 * slashes dropped. Heap string or NULL after logging. */
static char *check_url(struct cfg_err *e, const cJSON *v, const char *path, const char *key)
{
    if (!cJSON_IsString(v)) {
        expected(e, v, path, key, "an http(s) URL ending in /v1");
        return NULL;
    }
    const char *s = v->valuestring;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/') n--;
    const char *rest = NULL;
    if (strncmp(s, "http://", 7) == 0)
        rest = s + 7;
    else if (strncmp(s, "https://", 8) == 0)
        rest = s + 8;
    char got[96];
    cfg_describe(v, got, sizeof got);
    if (!rest) {
        cfg_fail_at(e, v, path, key,
                    "expected an http(s) URL ending in /v1, got %s (hint: "
                    "\"http://HOST:PORT/v1\", or \"sim\" for the simulated server)",
                    got);
        return NULL;
    }
    bool host_ok = rest < s + n && *rest != '/' && *rest != ':';
    for (const char *p = s; p < s + n; p++)
        if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20) host_ok = false;
    if (!host_ok) {
        cfg_fail_at(e, v, path, key, "expected an http(s) URL with a host, got %s", got);
        return NULL;
    }
    if (n < 3 || strncmp(s + n - 3, "/v1", 3) != 0 || s + n - 3 < rest) {
        const char *v1 = NULL;
        for (const char *p = rest; p + 3 <= s + n; p++)
            if (strncmp(p, "/v1/", 4) == 0) v1 = p;
        if (v1)
            cfg_fail_at(e, v, path, key,
                        "expected an http(s) URL ending in /v1, got %s (hint: give the base "
                        "URL \"%.*s\"; gra adds /chat/completions itself)",
                        got, (int)(v1 + 3 - s), s);
        else
            cfg_fail_at(e, v, path, key,
                        "expected an http(s) URL ending in /v1, got %s (hint: \"%.*s/v1\")", got,
                        (int)n, s);
        return NULL;
    }
    return xstrndup(s, n);
}

static bool looks_like_env_name(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_')) return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
    return true;
}

static bool looks_like_secret(const char *s)
{
    static const char *const prefixes[] = {"sk-",  "sk_",  "Bearer ", "bearer ", "hf_", "gsk_",
                                           "xai-", "AIza", "pk-",     "rk-",     NULL};
    for (int i = 0; prefixes[i]; i++)
        if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0) return true;
    /* long random-looking strings with digits and letters mixed, no underscore
     * structure: env var names are words, keys are noise */
    size_t n = strlen(s), digits = 0, lower = 0;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p)) digits++;
        if (islower((unsigned char)*p)) lower++;
    }
    return n >= 24 && digits >= 4 && lower >= 4 && !strchr(s, '_');
}

/* Parameters a model may set as default request-body fields. */
static int check_params(struct cfg_err *e, const cJSON *p, const char *path)
{
    static const char *const keys[] = {"temperature",
                                       "top_p",
                                       "top_k",
                                       "min_p",
                                       "max_tokens",
                                       "presence_penalty",
                                       "frequency_penalty",
                                       "repetition_penalty",
                                       "stop",
                                       "seed",
                                       NULL};
    int bad = e->n_errors;
    double d;
    long l;
    cfg_keys(e, p, path, keys);
    cfg_double(e, p, "temperature", path, 0, 0, 2, &d);
    cfg_double(e, p, "top_p", path, 0, 0, 1, &d);
    cfg_int(e, p, "top_k", path, 0, -1, 100000, &l);
    cfg_double(e, p, "min_p", path, 0, 0, 1, &d);
    cfg_int(e, p, "max_tokens", path, 1, 1, 10000000, &l);
    cfg_double(e, p, "presence_penalty", path, 0, -2, 2, &d);
    cfg_double(e, p, "frequency_penalty", path, 0, -2, 2, &d);
    cfg_double(e, p, "repetition_penalty", path, 1, 1e-9, 10, &d);
    cfg_int(e, p, "seed", path, 0, LONG_MIN, LONG_MAX, &l);
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(p, "stop");
    if (stop && !cJSON_IsString(stop)) {
        bool ok = cJSON_IsArray(stop) && cJSON_GetArraySize(stop) <= 16;
        for (const cJSON *c = stop->child; ok && c; c = c->next)
            if (!cJSON_IsString(c)) ok = false;
        if (!ok) expected(e, stop, path, "stop", "a string or an array of up to 16 strings");
    }
    return e->n_errors > bad ? GRA_ECONFIG : 0;
}

static void model_free_fields(struct model_cfg *m)
{
    free(m->name);
    free(m->served_name);
    strings_free(m->endpoints, m->n_endpoints);
    free(m->api_key_env);
    cJSON_Delete(m->params);
    memset(m, 0, sizeof *m);
}

static int check_model(struct cfg_err *e, const cJSON *mo, const struct client_cfg *client,
                       struct model_cfg *m)
{
    int bad = e->n_errors;
    char path[512];
    join_path(path, sizeof path, "models", mo->string);
    memset(m, 0, sizeof *m);
    m->name = xstrdup(mo->string ? mo->string : "");
    if (!*m->name) cfg_fail_at(e, mo, "models", "\"\"", "expected a non-empty model name");
    if (!cJSON_IsObject(mo)) {
        expected(e, mo, "models", m->name, "an object");
        return GRA_ECONFIG;
    }
    cfg_keys(e, mo, path, model_keys);

    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(mo, "endpoint");
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(mo, "endpoints");
    if (ep && eps) {
        cfg_fail_at(e, eps, path, NULL,
                    "expected exactly one of \"endpoint\" and \"endpoints\", got both");
    } else if (!ep && !eps) {
        cfg_fail_at(e, mo, path, NULL,
                    "expected \"endpoint\" (a URL ending in /v1, or \"sim\") or \"endpoints\" "
                    "(an array of URLs), got neither");
    } else if (ep) {
        if (cJSON_IsString(ep) && strcmp(ep->valuestring, "sim") == 0) {
            m->sim = true;
        } else {
            char *u = check_url(e, ep, path, "endpoint");
            if (u) {
                m->endpoints = xcalloc(1, sizeof *m->endpoints);
                m->endpoints[0] = u;
                m->n_endpoints = 1;
            }
        }
    } else if (!cJSON_IsArray(eps) || cJSON_GetArraySize(eps) == 0) {
        expected(e, eps, path, "endpoints", "a non-empty array of http(s) URLs ending in /v1");
    } else {
        char epath[600];
        snprintf(epath, sizeof epath, "%s.endpoints", path);
        int cnt = cJSON_GetArraySize(eps), k = 0;
        m->endpoints = xcalloc((size_t)cnt, sizeof *m->endpoints);
        for (const cJSON *c = eps->child; c; c = c->next, k++) {
            char idx[32];
            snprintf(idx, sizeof idx, "[%d]", k);
            if (cJSON_IsString(c) && strcmp(c->valuestring, "sim") == 0) {
                cfg_fail_at(e, c, epath, idx,
                            "expected an http(s) URL ending in /v1, got \"sim\" (hint: write "
                            "\"endpoint\": \"sim\" for the simulated server)");
                continue;
            }
            char *u = check_url(e, c, epath, idx);
            if (u) m->endpoints[m->n_endpoints++] = u;
        }
    }

    cfg_string(e, mo, "served_name", path, m->name, &m->served_name);
    if (m->served_name && !*m->served_name)
        cfg_fail_at(e, cJSON_GetObjectItemCaseSensitive(mo, "served_name"), path, "served_name",
                    "expected a non-empty string, got \"\"");

    const cJSON *ak = cJSON_GetObjectItemCaseSensitive(mo, "api_key_env");
    if (ak) {
        if (!cJSON_IsString(ak)) {
            expected(e, ak, path, "api_key_env", "the name of an environment variable");
        } else if (looks_like_secret(ak->valuestring)) {
            /* never echo the value: it is probably a real key */
            cfg_fail_at(e, ak, path, "api_key_env",
                        "expected the NAME of an environment variable that holds the key "
                        "(e.g. \"OPENAI_API_KEY\"), got what looks like a literal secret; "
                        "never put keys in config files: export the key and name the "
                        "variable here");
        } else if (!looks_like_env_name(ak->valuestring)) {
            expected(e, ak, path, "api_key_env",
                     "the name of an environment variable ([A-Za-z_][A-Za-z0-9_]*)");
        } else {
            m->api_key_env = xstrdup(ak->valuestring);
        }
    }

    long l;
    double d;
    cfg_int(e, mo, "max_inflight", path, 16, 1, INT_MAX, &l);
    m->max_inflight = (int)l;
    cfg_double(e, mo, "rpm", path, 0, 0, HUGE_VAL, &m->rpm);
    cfg_double(e, mo, "tpm", path, 0, 0, HUGE_VAL, &m->tpm);
    cfg_double(e, mo, "params_b", path, 0, 0, 1e6, &m->params_b);
    cfg_double(e, mo, "price_in", path, 0, 0, HUGE_VAL, &m->price_in);
    cfg_double(e, mo, "price_out", path, 0, 0, HUGE_VAL, &m->price_out);
    if (!cfg_double(e, mo, "timeout_s", path, 600, 0.001, 86400, &d))
        m->timeout_ms = (int)lround(d * 1000.0);
    else
        m->timeout_ms = 600000;
    cfg_int(e, mo, "max_retries", path, client->max_retries, 0, 100, &l);
    m->max_retries = (int)l;
    cfg_bool(e, mo, "structured_output", path, true, &m->structured_output);
    int kind;
    cfg_enum(e, mo, "kind", path, kind_names, 0, &kind);
    m->embedding = kind == 1;

    const cJSON *params;
    char ppath[600];
    snprintf(ppath, sizeof ppath, "%s.params", path);
    if (!cfg_object(e, mo, "params", path, false, &params) && params) {
        if (!check_params(e, params, ppath)) m->params = cJSON_Duplicate(params, 1);
    }
    return e->n_errors > bad ? GRA_ECONFIG : 0;
}

static int check_seed(struct cfg_err *e, const cJSON *root, uint64_t *seed)
{
    *seed = 0;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "seed");
    if (!v) return 0;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (isfinite(d) && d >= 0 && d == floor(d) && d <= CFG_MAX_SAFE_INT) {
            *seed = (uint64_t)d;
            return 0;
        }
        char got[96];
        if (isfinite(d) && d > CFG_MAX_SAFE_INT && d == floor(d))
            return cfg_fail_at(e, v, "", "seed",
                               "expected a non-negative integer up to 2^53, got %s (JSON "
                               "numbers lose digits beyond 2^53: write a larger seed as a "
                               "string of digits, e.g. \"18446744073709551615\")",
                               cfg_describe(v, got, sizeof got));
        return expected(e, v, "", "seed", "a non-negative integer");
    }
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        bool digits = *s != '\0';
        for (const char *p = s; *p; p++)
            if (!isdigit((unsigned char)*p)) digits = false;
        if (digits) {
            errno = 0;
            unsigned long long x = strtoull(s, NULL, 10);
            if (errno == 0) {
                *seed = (uint64_t)x;
                return 0;
            }
        }
        return expected(e, v, "", "seed",
                        "a non-negative integer (or a string of digits up to 2^64-1)");
    }
    return expected(e, v, "", "seed", "a non-negative integer");
}

static char *default_root(void)
{
    const char *home = getenv("GRA_HOME");
    return xstrdup(home && *home ? home : GRA_SOURCE_DIR);
}

static int check_sim_models(struct cfg_err *e, const cJSON *root, struct gra_config *cfg)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "sim_models");
    int bad = e->n_errors;
    if (!v) {
        char *r = default_root();
        cfg->sim_models_files = xcalloc(2, sizeof(char *));
        cfg->sim_models_files[0] = path_join(r, "configs/sim-models.json");
        cfg->sim_models_files[1] = path_join(r, "configs/sim-students.json");
        cfg->n_sim_models_files = 2;
        free(r);
        return 0;
    }
    char **names = NULL;
    int n = 0;
    if (cJSON_IsString(v)) {
        names = xcalloc(1, sizeof *names);
        names[0] = xstrdup(v->valuestring);
        n = 1;
    } else if (cJSON_IsArray(v)) {
        if (cfg_strings(e, root, "sim_models", "", &names, &n)) return GRA_ECONFIG;
    } else {
        return expected(e, v, "", "sim_models", "a file name or an array of file names");
    }
    cfg->sim_models_files = xcalloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
        char *p = config_path(cfg, names[i]);
        const cJSON *item = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, i) : v;
        if (!*names[i])
            cfg_fail_at(e, item, "", "sim_models", "expected a file name, got \"\"");
        else if (!fileio_exists(p))
            cfg_fail_at(e, item, "", "sim_models",
                        "file %s not found (relative paths are "
                        "resolved against the config file's directory)",
                        p);
        cfg->sim_models_files[cfg->n_sim_models_files++] = p;
    }
    strings_free(names, n);
    return e->n_errors > bad ? GRA_ECONFIG : 0;
}

static char *default_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && strcmp(b + n - 5, ".json") == 0) n -= 5;
    return xstrndup(b, n);
}

static void line_col(const char *s, size_t off, long *line, long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && s[i]; i++) {
        if (s[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int parse_text(const char *path, const char *text, size_t len, cJSON **out)
{
    const char *end = NULL;
    *out = NULL;
    size_t ws = 0;
    while (ws < len && isspace((unsigned char)text[ws])) ws++;
    if (ws == len)
        return err(GRA_ECONFIG, "%s:1:1: expected a JSON object, got an empty file", path);
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    const char *what = "malformed JSON";
    if (j && end) {
        const char *q = end;
        while (q < text + len && isspace((unsigned char)*q)) q++;
        if (q < text + len) {
            cJSON_Delete(j);
            j = NULL;
            end = q;
            what = "malformed JSON: unexpected text after the top-level value";
        }
    }
    if (!j) {
        size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        /* a trailing comma ("a": 1, }) is the commonest slip: point at the comma */
        size_t f = off, b = off;
        while (f < len && isspace((unsigned char)text[f])) f++;
        while (b > 0 && isspace((unsigned char)text[b - 1])) b--;
        if (b > 0 && (text[b - 1] == '}' || text[b - 1] == ']') && b - 1 < off) {
            f = b - 1;
            b--;
            while (b > 0 && isspace((unsigned char)text[b - 1])) b--;
        }
        bool trailing_comma =
            f < len && (text[f] == '}' || text[f] == ']') && b > 0 && text[b - 1] == ',';
        if (trailing_comma) off = b - 1;
        long line, col;
        line_col(text, off, &line, &col);
        if (trailing_comma)
            return err(GRA_ECONFIG, "%s:%ld:%ld: malformed JSON: trailing comma before '%c'", path,
                       line, col, text[f]);
        char near[24];
        size_t k = 0, i = off;
        while (i < len && isspace((unsigned char)text[i])) i++;
        for (; i < len && k < sizeof near - 1 && text[i] != '\n'; i++)
            near[k++] = isprint((unsigned char)text[i]) ? text[i] : '?';
        near[k] = '\0';
        while (i < len && isspace((unsigned char)text[i])) i++;
        if (k && i < len)
            return err(GRA_ECONFIG,
                       "%s:%ld:%ld: %s near '%s' (a missing comma, colon or quote "
                       "just before here?)",
                       path, line, col, what, near);
        return err(GRA_ECONFIG,
                   "%s:%ld:%ld: %s (unexpected end of file: an unclosed '{', "
                   "'[' or string?)",
                   path, line, col, what);
    }
    *out = j;
    return 0;
}

int config_load(const char *path, struct gra_config **out)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = fileio_read(path, &text, &len);
    if (rc) return rc;
    cJSON *root;
    rc = parse_text(path, text, len, &root);
    if (rc) {
        free(text);
        return rc;
    }
    struct gra_config *cfg = xcalloc(1, sizeof *cfg);
    cfg->path = xstrdup(path);
    const char *slash = strrchr(path, '/');
    cfg->dir = slash ? (slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path)))
                     : xstrdup(".");
    cfg->root = root;
    lines_register(root, text, len);
    free(text);

    struct cfg_err e = {cfg->path, 0};
    if (!cJSON_IsObject(root)) {
        char got[96];
        cfg_fail_at(&e, root, NULL, NULL, "expected a JSON object at the top level, got %s",
                    cfg_describe(root, got, sizeof got));
        goto out;
    }
    cfg_keys(&e, root, "", top_keys);
    if (cJSON_GetObjectItemCaseSensitive(root, "distill"))
        /* reserved for the distill stage; refusing it beats ignoring it silently */
        cfg_fail_at(&e, cJSON_GetObjectItemCaseSensitive(root, "distill"), "", "distill",
                    "this version of gra has no distill stage (dataset export, trainer and "
                    "serve hooks); remove the section, train students with your trainer "
                    "and evaluate their endpoints with the \"eval\" section");
    cfg_string(&e, root, "name", "", NULL, &cfg->name);
    {
        char *description = NULL; /* free text for people; checked, not kept */
        cfg_string(&e, root, "description", "", NULL, &description);
        free(description);
    }
    if (!cfg->name) cfg->name = default_name(path);
    if (!*cfg->name || strchr(cfg->name, '/'))
        cfg_fail_at(&e, cJSON_GetObjectItemCaseSensitive(root, "name"), "", "name",
                    "expected a non-empty name without '/', got \"%s\"", cfg->name);
    check_seed(&e, root, &cfg->seed);

    const cJSON *cache = cJSON_GetObjectItemCaseSensitive(root, "cache");
    if (!cache)
        cfg->cache_path = xstrdup("cache.sqlite");
    else if (cJSON_IsString(cache) && *cache->valuestring)
        cfg->cache_path = xstrdup(cache->valuestring);
    else if (!cJSON_IsNull(cache))
        expected(&e, cache, "", "cache", "a file path or null (no cache)");

    check_sim_models(&e, root, cfg);
    check_client(&e, root, &cfg->client);

    const cJSON *models;
    cfg_object(&e, root, "models", "", false, &models);
    if (models) {
        int n = cJSON_GetArraySize(models), k = 0;
        cfg->models = xcalloc((size_t)n + 1, sizeof *cfg->models);
        for (const cJSON *m = models->child; m; m = m->next, k++) {
            bool dup = false;
            for (const cJSON *p = models->child; p != m; p = p->next)
                if (strcmp(p->string, m->string) == 0) dup = true;
            if (dup) {
                cfg_fail_at(&e, m, "models", m->string, "duplicate model name");
                continue;
            }
            check_model(&e, m, &cfg->client, &cfg->models[cfg->n_models]);
            cfg->n_models++;
        }
    }
out:
    if (e.n_errors) {
        log_error("%s: %d error%s in the configuration (see docs/config.md)", cfg->path, e.n_errors,
                  e.n_errors == 1 ? "" : "s");
        config_free(cfg);
        return GRA_ECONFIG;
    }
    *out = cfg;
    return 0;
}

void config_free(struct gra_config *cfg)
{
    if (!cfg) return;
    for (int i = 0; i < cfg->n_models; i++) model_free_fields(&cfg->models[i]);
    free(cfg->models);
    strings_free(cfg->sim_models_files, cfg->n_sim_models_files);
    lines_unregister(cfg->root);
    cJSON_Delete(cfg->root);
    free(cfg->path);
    free(cfg->dir);
    free(cfg->name);
    free(cfg->cache_path);
    free(cfg);
}

const struct model_cfg *config_model(const struct gra_config *cfg, const char *name)
{
    if (!cfg || !name) return NULL;
    for (int i = 0; i < cfg->n_models; i++)
        if (strcmp(cfg->models[i].name, name) == 0) return &cfg->models[i];
    return NULL;
}

char *config_path(const struct gra_config *cfg, const char *p)
{
    if (!p) return NULL;
    if (p[0] == '/' || !cfg || !cfg->dir || strcmp(cfg->dir, ".") == 0) return xstrdup(p);
    return path_join(cfg->dir, p);
}
