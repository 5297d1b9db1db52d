/*
 * prompts: template loading, hashing and rendering (contract in prompts.h).
 */
#include "synth/prompts.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/llm.h"
#include "synth/protocol.h"

static const struct {
    const char *name, *schema;
} kinds[PROMPT_N] = {
    [PROMPT_METADATA] = {"metadata", SCHEMA_METADATA},
    [PROMPT_KEYWORDS] = {"generator_keywords", SCHEMA_KEYWORDS},
    [PROMPT_INSTRUCTION] = {"generator_instruction", SCHEMA_INSTRUCTION},
    [PROMPT_RESPONSE] = {"generator_response", SCHEMA_RESPONSE},
    [PROMPT_REFINE] = {"generator_refine", SCHEMA_REFINE},
    [PROMPT_REVIEW_INSTRUCTION] = {"reviewer_instruction", SCHEMA_REVIEW_INSTRUCTION},
    [PROMPT_REVIEW_RESPONSE] = {"reviewer_response", SCHEMA_REVIEW_RESPONSE},
    [PROMPT_ADJUDICATE] = {"adjudicator", SCHEMA_ADJUDICATE},
};

char *prompts_default_dir(void)
{
    const char *home = getenv("GRA_HOME");
    if (home && *home) return xasprintf("%s/synth/prompts", home);
    return xstrdup(GRA_SOURCE_DIR "/synth/prompts");
}

int prompts_load(const char *dir, struct prompt_set *out)
{
    memset(out, 0, sizeof *out);
    out->dir = xstrdup(dir);
    int rc = 0;
    for (int k = 0; k < PROMPT_N; k++) {
        struct prompt *p = &out->p[k];
        p->name = kinds[k].name;
        p->schema_name = kinds[k].schema;
        char *tpath = xasprintf("%s/%s.txt", dir, p->name);
        char *spath = xasprintf("%s/%s.schema.json", dir, p->name);
        char *sbytes = NULL;
        size_t tlen = 0, slen = 0;
        rc = fileio_read(tpath, &p->text, &tlen);
        if (!rc) rc = fileio_read(spath, &sbytes, &slen);
        if (!rc) {
            p->schema = cJSON_ParseWithLengthOpts(sbytes, slen, NULL, 0);
            if (!p->schema) rc = err(GRA_EPARSE, "%s: malformed JSON schema", spath);
        }
        if (!rc && !strstr(p->text, "[user]"))
            rc = err(GRA_EPARSE, "%s: no [user] section", tpath);
        if (!rc) {
            struct sha256_ctx *h = sha256_begin();
            sha256_update(h, p->text, tlen);
            sha256_update(h, sbytes, slen);
            sha256_final(h, p->hash);
        }
        free(sbytes);
        free(tpath);
        free(spath);
        if (rc) {
            prompts_release(out);
            return rc;
        }
    }
    return 0;
}

void prompts_release(struct prompt_set *ps)
{
    for (int k = 0; k < PROMPT_N; k++) {
        free(ps->p[k].text);
        cJSON_Delete(ps->p[k].schema);
    }
    free(ps->dir);
    memset(ps, 0, sizeof *ps);
}

void prompts_block(struct buf *b, const char *tag, const char *text)
{
    buf_appendf(b, "<%s>", tag);
    for (const char *s = text ? text : ""; *s; s++) {
        if (s[0] == '<' && s[1] == '/') {
            buf_puts(b, "< /");
            s++;
        } else {
            buf_putc(b, *s);
        }
    }
    buf_appendf(b, "</%s>\n", tag);
}

static int fill(const struct prompt *p, const char *s, size_t n, const char *const *names,
                const char *const *values, int nv, struct buf *out)
{
    size_t i = 0;
    while (i < n) {
        if (i + 1 < n && s[i] == '{' && s[i + 1] == '{') {
            const char *close = NULL;
            for (size_t j = i + 2; j + 1 < n; j++)
                if (s[j] == '}' && s[j + 1] == '}') {
                    close = s + j;
                    break;
                }
            if (!close) return err(GRA_EINVAL, "prompt %s: unclosed {{", p->name);
            size_t klen = (size_t)(close - (s + i + 2));
            int found = -1;
            for (int v = 0; v < nv; v++)
                if (strlen(names[v]) == klen && memcmp(names[v], s + i + 2, klen) == 0) found = v;
            if (found < 0)
                return err(GRA_EINVAL, "prompt %s: no value for {{%.*s}}", p->name, (int)klen,
                           s + i + 2);
            buf_puts(out, values[found] ? values[found] : "");
            i = (size_t)(close - s) + 2;
        } else {
            buf_putc(out, s[i++]);
        }
    }
    return 0;
}

/* Trim blank lines at both ends of a section. */
static char *trim_section(struct buf *b)
{
    size_t a = 0, e = b->len;
    while (a < e && (b->data[a] == '\n' || b->data[a] == ' ')) a++;
    while (e > a && (b->data[e - 1] == '\n' || b->data[e - 1] == ' ')) e--;
    return xstrndup(b->data + a, e - a);
}

/* One chat message of the given role from a rendered template section. */
static void add_section(cJSON *msgs, const char *role, struct buf *sec)
{
    char *t = trim_section(sec);
    llm_message_add(msgs, role, t);
    free(t);
}

int prompts_render(const struct prompt *p, const char *const *names, const char *const *values,
                   int nv, cJSON **messages)
{
    cJSON *msgs = cJSON_CreateArray();
    const char *s = p->text, *role = NULL;
    struct buf sec = BUF_INIT;
    int rc = 0;
    while (*s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        const char *next_role = NULL;
        if (len == 8 && memcmp(s, "[system]", 8) == 0) next_role = "system";
        else if (len == 6 && memcmp(s, "[user]", 6) == 0) next_role = "user";
        else if (len == 11 && memcmp(s, "[assistant]", 11) == 0) next_role = "assistant";
        if (next_role) {
            if (role) add_section(msgs, role, &sec);
            buf_reset(&sec);
            role = next_role;
        } else if (role) {
            rc = fill(p, s, len, names, values, nv, &sec);
            if (rc) goto out;
            buf_putc(&sec, '\n');
        }
        s += len + (eol ? 1 : 0);
    }
    if (role) add_section(msgs, role, &sec);
out:
    buf_release(&sec);
    if (rc) {
        cJSON_Delete(msgs);
        return rc;
    }
    *messages = msgs;
    return 0;
}
