/*
 * fuzz_synth_reply: synth/reply.c reads what a model wrote for every role
 * (synth/protocol.h schemas). On arbitrary bytes each validator must return 0
 * or GRA_EPARSE with a reason, never crash, leak or read out of bounds, and
 * what it accepts must mean what the schema says (checked here, abort() on a
 * violation so the fuzzer reports it):
 *   - reply_check_text() for the schema picked by the first byte (the
 *     extraction from fences/prose and the dispatch);
 *   - every validator on the tree extracted from the rest, directly, with
 *     the invariants of an accepted reply: a domain index in 0..6, three
 *     non-blank trimmed keywords, non-blank trimmed texts, scores that are
 *     integers 0-10, a NUL-terminated reason on failure;
 *   - reply_domain_index() on the bytes as a name.
 * Corpus (tests/fuzz/corpus/synth_reply/): one file per schema and shape
 * (bare, fenced, in prose, truncated, out of range, tolerated spellings); the
 * first byte of each file is its schema selector.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/llm.h"
#include "synth/protocol.h"
#include "synth/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const schemas[] = {
    SCHEMA_METADATA,        SCHEMA_KEYWORDS,        SCHEMA_INSTRUCTION, SCHEMA_RESPONSE,
    SCHEMA_REFINE,          SCHEMA_REVIEW_INSTRUCTION, SCHEMA_REVIEW_RESPONSE,
    SCHEMA_ADJUDICATE,
};
#define N_SCHEMAS (sizeof schemas / sizeof schemas[0])

static void must(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_synth_reply: invariant violated: %s\n", what);
        abort();
    }
}

/* a text the validators hand out: non-blank, trimmed */
static void check_text(const char *t, const char *what)
{
    must(t != NULL, what);
    size_t n = strlen(t);
    must(n > 0, what);
    must(!isspace((unsigned char)t[0]) && !isspace((unsigned char)t[n - 1]), what);
}

static void check_why(const char *why)
{
    must(memchr(why, 0, REPLY_WHY_LEN) != NULL, "reason is NUL-terminated");
    must(why[0] != 0, "a failure has a reason");
}

static void run_validators(const cJSON *j)
{
    char why[REPLY_WHY_LEN];
    char *kw[3], *a = NULL, *b = NULL;
    int d = -1, scores[6];
    bool checks[3];

    memset(why, 'x', sizeof why);
    if (reply_metadata(j, &d, kw, &a, why) == 0) {
        must(d >= 0 && d < SYNTH_N_DOMAINS, "metadata domain index");
        for (int i = 0; i < 3; i++) check_text(kw[i], "metadata keyword"), free(kw[i]);
        check_text(a, "metadata summary");
        free(a);
    } else {
        check_why(why);
    }
    memset(why, 'x', sizeof why);
    if (reply_keywords(j, kw, why) == 0) {
        for (int i = 0; i < 3; i++) check_text(kw[i], "keyword"), free(kw[i]);
    } else {
        check_why(why);
    }
    static const char *const fields[] = {"instruction", "response"};
    for (int f = 0; f < 2; f++) {
        a = NULL;
        memset(why, 'x', sizeof why);
        if (reply_text(j, fields[f], &a, why) == 0) {
            check_text(a, fields[f]);
            free(a);
        } else {
            check_why(why);
        }
    }
    a = NULL;
    memset(why, 'x', sizeof why);
    if (reply_checks(j, checks, &a, why) == 0) {
        must(a != NULL, "explanation is a string");
        free(a);
    } else {
        check_why(why);
    }
    a = b = NULL;
    memset(why, 'x', sizeof why);
    if (reply_scores(j, scores, &a, &b, why) == 0) {
        for (int i = 0; i < 6; i++) must(scores[i] >= 0 && scores[i] <= 10, "score in 0-10");
        must(a != NULL && b != NULL, "critique texts are strings");
        free(a);
        free(b);
    } else {
        check_why(why);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const char *schema = schemas[data[0] % N_SCHEMAS];
    size_t n = size - 1;
    /* exact-size copies so ASan sees any read past the end */
    char *text = malloc(n ? n : 1);
    char *name = malloc(n + 1);
    if (!text || !name) {
        free(text);
        free(name);
        return 0;
    }
    memcpy(text, data + 1, n);
    memcpy(name, data + 1, n);
    name[n] = 0;

    char why[REPLY_WHY_LEN];
    memset(why, 'x', sizeof why);
    int rc = reply_check_text(schema, text, n, why);
    must(rc == 0 || rc == GRA_EPARSE, "reply_check_text returns 0 or GRA_EPARSE");
    if (rc) check_why(why);

    cJSON *j = llm_parse_json_reply(text, n);
    if (j) run_validators(j);
    must((j != NULL) || rc != 0, "a reply without JSON is not accepted");
    cJSON_Delete(j);

    int d = reply_domain_index(name);
    must(d >= -1 && d < SYNTH_N_DOMAINS, "domain index range");

    free(text);
    free(name);
    return 0;
}
