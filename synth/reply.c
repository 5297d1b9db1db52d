/*
 * reply: tolerant-but-strict validation of role replies (contract in reply.h).
 * Each validator reads only the fields its schema names and ignores extras,
 * so a model that adds "reasoning" next to its scores is not punished.
 */
#include "synth/reply.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/llm.h"
#include "synth/protocol.h"

static int fail(char why[REPLY_WHY_LEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(char why[REPLY_WHY_LEN], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, REPLY_WHY_LEN, fmt, ap);
    va_end(ap);
    return GRA_EPARSE;
}

/* Case-insensitive lookup that also accepts "Scores"/"SCORES". */
static const cJSON *field(const cJSON *j, const char *name)
{
    if (!cJSON_IsObject(j)) return NULL;
    return cJSON_GetObjectItem(j, name); /* cJSON_GetObjectItem is case-insensitive */
}

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s)) return false;
    return true;
}

static char *trimmed_copy(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    return xstrndup(s, n);
}

/* lowercase, without spaces, hyphens and underscores */
static void squash(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; s && *s && k + 1 < n; s++) {
        if (isspace((unsigned char)*s) || *s == '-' || *s == '_') continue;
        out[k++] = (char)tolower((unsigned char)*s);
    }
    out[k] = 0;
}

int reply_domain_index(const char *name)
{
    static const char *const domains[] = SYNTH_DOMAINS;
    if (!name) return -1;
    char norm[64], d[64];
    squash(name, norm, sizeof norm);
    if (strcmp(norm, "qa") == 0) return 2;
    if (strcmp(norm, "code") == 0) return 0;
    for (int i = 0; i < SYNTH_N_DOMAINS; i++) {
        squash(domains[i], d, sizeof d);
        if (strcmp(norm, d) == 0) return i;
    }
    return -1;
}

int reply_keywords(const cJSON *j, char *keywords[3], char why[REPLY_WHY_LEN])
{
    const cJSON *kw = field(j, "keywords");
    char *got[3] = {NULL, NULL, NULL};
    int n = 0;
    if (cJSON_IsArray(kw)) {
        if (cJSON_GetArraySize(kw) != 3)
            return fail(why, "keywords: expected 3, got %d", cJSON_GetArraySize(kw));
        const cJSON *it;
        cJSON_ArrayForEach(it, kw) {
            if (!cJSON_IsString(it) || blank(it->valuestring)) {
                for (int i = 0; i < n; i++) free(got[i]);
                return fail(why, "keywords: item %d is not a non-empty string", n + 1);
            }
            got[n] = trimmed_copy(it->valuestring, strlen(it->valuestring));
            n++;
        }
    } else if (cJSON_IsString(kw)) {
        const char *s = kw->valuestring;
        const char *sep = strchr(s, ';') ? ";" : ",";
        while (*s) {
            size_t len = strcspn(s, sep);
            char *t = trimmed_copy(s, len);
            if (*t && n == 3) {
                free(t);
                n++;
                break;
            }
            if (*t) got[n++] = t;
            else free(t);
            s += len;
            if (*s) s++;
        }
        if (n != 3) {
            for (int i = 0; i < 3 && i < n; i++) free(got[i]);
            return fail(why, "keywords: expected 3 in \"%.60s\"", kw->valuestring);
        }
    } else {
        return fail(why, "keywords: missing or not an array");
    }
    for (int i = 0; i < 3; i++) keywords[i] = got[i];
    return 0;
}

int reply_text(const cJSON *j, const char *name, char **out, char why[REPLY_WHY_LEN])
{
    const cJSON *t = field(j, name);
    if (!cJSON_IsString(t)) return fail(why, "%s: missing or not a string", name);
    if (blank(t->valuestring)) return fail(why, "%s: empty", name);
    *out = trimmed_copy(t->valuestring, strlen(t->valuestring));
    return 0;
}

int reply_metadata(const cJSON *j, int *domain, char *keywords[3], char **summary,
                   char why[REPLY_WHY_LEN])
{
    const cJSON *d = field(j, "domain");
    if (!cJSON_IsString(d)) return fail(why, "domain: missing or not a string");
    int di = reply_domain_index(d->valuestring);
    if (di < 0) return fail(why, "domain: unknown \"%.40s\"", d->valuestring);
    char *kw[3];
    int rc = reply_keywords(j, kw, why);
    if (rc) return rc;
    char *sum;
    rc = reply_text(j, "summary", &sum, why);
    if (rc) {
        for (int i = 0; i < 3; i++) free(kw[i]);
        return rc;
    }
    *domain = di;
    for (int i = 0; i < 3; i++) keywords[i] = kw[i];
    *summary = sum;
    return 0;
}

/* yes/no as a string or a JSON bool. */
static int yes_no(const cJSON *v, bool *out)
{
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return 0;
    }
    if (!cJSON_IsString(v)) return -1;
    char w[8];
    size_t k = 0;
    for (const char *p = v->valuestring; *p && k < sizeof w - 1; p++) {
        if (isspace((unsigned char)*p) || *p == '.' || *p == '!') continue;
        w[k++] = (char)tolower((unsigned char)*p);
    }
    w[k] = 0;
    if (strcmp(w, "yes") == 0 || strcmp(w, "true") == 0) *out = true;
    else if (strcmp(w, "no") == 0 || strcmp(w, "false") == 0) *out = false;
    else return -1;
    return 0;
}

int reply_checks(const cJSON *j, bool checks[3], char **explanation, char why[REPLY_WHY_LEN])
{
    static const char *const names[3] = {"reasonable", "complete", "clear"};
    bool got[3];
    for (int i = 0; i < 3; i++) {
        const cJSON *v = field(j, names[i]);
        if (!v) return fail(why, "%s: missing", names[i]);
        if (yes_no(v, &got[i])) return fail(why, "%s: expected \"yes\" or \"no\"", names[i]);
    }
    const cJSON *e = field(j, "explanation");
    *explanation = xstrdup(cJSON_IsString(e) ? e->valuestring : "");
    for (int i = 0; i < 3; i++) checks[i] = got[i];
    return 0;
}

static int score_value(const cJSON *v, int *out)
{
    double x;
    if (cJSON_IsNumber(v)) {
        x = v->valuedouble;
    } else if (cJSON_IsString(v)) {
        char *end;
        x = strtod(v->valuestring, &end);
        while (*end && isspace((unsigned char)*end)) end++;
        if (end == v->valuestring || *end) return -1;
    } else {
        return -1;
    }
    if (!isfinite(x) || x != floor(x)) return -1;
    if (x < 0 || x > 10) return -2;
    *out = (int)x;
    return 0;
}

int reply_scores(const cJSON *j, int scores[6], char **strengths, char **weaknesses,
                 char why[REPLY_WHY_LEN])
{
    static const char *const dims[] = SYNTH_DIMS;
    const cJSON *sc = field(j, "scores");
    if (!cJSON_IsObject(sc)) sc = j; /* tolerated: the six fields at the top level */
    int got[6];
    for (int i = 0; i < 6; i++) {
        const cJSON *v = field(sc, dims[i]);
        if (!v) return fail(why, "scores.%s: missing", dims[i]);
        int rc = score_value(v, &got[i]);
        if (rc == -2) return fail(why, "scores.%s: out of range 0-10", dims[i]);
        if (rc) return fail(why, "scores.%s: not an integer", dims[i]);
    }
    const cJSON *s = field(j, "strengths"), *w = field(j, "weaknesses");
    *strengths = xstrdup(cJSON_IsString(s) ? s->valuestring : "");
    *weaknesses = xstrdup(cJSON_IsString(w) ? w->valuestring : "");
    for (int i = 0; i < 6; i++) scores[i] = got[i];
    return 0;
}

int reply_check_text(const char *schema, const char *text, size_t len, char why[REPLY_WHY_LEN])
{
    cJSON *j = llm_parse_json_reply(text, len);
    if (!j) return fail(why, "no JSON object in the reply");
    int rc = GRA_EPARSE;
    char *a = NULL, *b = NULL, *kw[3] = {NULL, NULL, NULL};
    int d, scores[6];
    bool checks[3];
    if (strcmp(schema, SCHEMA_METADATA) == 0) {
        rc = reply_metadata(j, &d, kw, &a, why);
    } else if (strcmp(schema, SCHEMA_KEYWORDS) == 0) {
        rc = reply_keywords(j, kw, why);
    } else if (strcmp(schema, SCHEMA_INSTRUCTION) == 0) {
        rc = reply_text(j, "instruction", &a, why);
    } else if (strcmp(schema, SCHEMA_RESPONSE) == 0 || strcmp(schema, SCHEMA_REFINE) == 0) {
        rc = reply_text(j, "response", &a, why);
    } else if (strcmp(schema, SCHEMA_REVIEW_INSTRUCTION) == 0) {
        rc = reply_checks(j, checks, &a, why);
    } else if (strcmp(schema, SCHEMA_REVIEW_RESPONSE) == 0 ||
               strcmp(schema, SCHEMA_ADJUDICATE) == 0) {
        rc = reply_scores(j, scores, &a, &b, why);
    } else {
        rc = fail(why, "unknown schema %s", schema);
    }
    if (rc == 0 && (strcmp(schema, SCHEMA_METADATA) == 0 || strcmp(schema, SCHEMA_KEYWORDS) == 0))
        for (int i = 0; i < 3; i++) free(kw[i]);
    free(a);
    free(b);
    cJSON_Delete(j);
    return rc;
}
