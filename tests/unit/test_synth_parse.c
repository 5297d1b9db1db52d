/*
 * test_synth_parse: validation of every role's reply (synth/reply.h) as a
 * table of raw model texts: bare, fenced and prose-wrapped JSON, truncated
 * and malformed replies, out-of-range and non-integer scores, tolerated
 * spellings. Plus the values extracted from a good reply of each kind.
 */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "synth/protocol.h"
#include "synth/reply.h"

struct pcase {
    const char *schema;
    const char *text;
    int ok;             /* 1 valid, 0 invalid */
    const char *why;    /* substring of the reason when invalid (NULL: any) */
};

#define SC "\"scores\": {\"correctness\": 9, \"clarity\": 8, \"completeness\": 8, \"relevance\": 9, \"coherence\": 8, \"ethicality\": 10}"

static const struct pcase cases[] = {
    /* metadata */
    {SCHEMA_METADATA, "{\"domain\": \"math\", \"keywords\": [\"fractions\", \"recipes\", \"scaling\"], \"summary\": \"Scaling a recipe.\"}", 1, NULL},
    {SCHEMA_METADATA, "```json\n{\"domain\": \"coding\", \"keywords\": [\"a\", \"b\", \"c\"], \"summary\": \"s\"}\n```", 1, NULL},
    {SCHEMA_METADATA, "Sure! Here is the metadata:\n{\"domain\": \"Question-Answering\", \"keywords\": \"x; y; z\", \"summary\": \"s\"} Hope it helps.", 1, NULL},
    {SCHEMA_METADATA, "{\"domain\": \"roleplay\", \"keywords\": [\"a\", \"b\", \"c\"], \"summary\": \"s\"}", 1, NULL},
    {SCHEMA_METADATA, "{\"domain\": \"creative_writing\", \"keywords\": [\"a\", \"b\", \"c\"], \"summary\": \"s\"}", 1, NULL},
    {SCHEMA_METADATA, "{\"domain\": \"cooking\", \"keywords\": [\"a\", \"b\", \"c\"], \"summary\": \"s\"}", 0, "domain"},
    {SCHEMA_METADATA, "{\"domain\": \"math\", \"keywords\": [\"a\", \"b\"], \"summary\": \"s\"}", 0, "keywords"},
    {SCHEMA_METADATA, "{\"domain\": \"math\", \"keywords\": [\"a\", \"b\", \"c\", \"d\"], \"summary\": \"s\"}", 0, "keywords"},
    {SCHEMA_METADATA, "{\"domain\": \"math\", \"keywords\": [\"a\", \"\", \"c\"], \"summary\": \"s\"}", 0, "keywords"},
    {SCHEMA_METADATA, "{\"domain\": \"math\", \"keywords\": [\"a\", \"b\", \"c\"]}", 0, "summary"},
    {SCHEMA_METADATA, "{\"domain\": \"math\", \"keywords\": [\"a\", \"b\", \"c\"], \"summary\": \"   \"}", 0, "summary"},
    {SCHEMA_METADATA, "{\"domain\": \"math\", \"keywords\": [\"a\", \"b\"", 0, NULL},
    {SCHEMA_METADATA, "I cannot help with that.", 0, NULL},
    {SCHEMA_METADATA, "", 0, NULL},
    /* generator step 1 */
    {SCHEMA_KEYWORDS, "{\"keywords\": [\"compound interest\", \"loans\", \"monthly payments\"]}", 1, NULL},
    {SCHEMA_KEYWORDS, "{\"keywords\": \"a, b, c\"}", 1, NULL},
    {SCHEMA_KEYWORDS, "{\"keywords\": \"a, b\"}", 0, "keywords"},
    {SCHEMA_KEYWORDS, "{\"keywords\": [1, 2, 3]}", 0, "keywords"},
    {SCHEMA_KEYWORDS, "{\"kw\": [\"a\", \"b\", \"c\"]}", 0, "keywords"},
    /* generator step 2 and 3, refine */
    {SCHEMA_INSTRUCTION, "{\"instruction\": \"Compute 3 + 4.\"}", 1, NULL},
    {SCHEMA_INSTRUCTION, "```\n{\"instruction\": \"Write a haiku about rain.\"}\n```", 1, NULL},
    {SCHEMA_INSTRUCTION, "{\"instruction\": \"\"}", 0, "empty"},
    {SCHEMA_INSTRUCTION, "{\"instruction\": 42}", 0, "instruction"},
    {SCHEMA_INSTRUCTION, "{\"instruction\": \"Compute 3 +", 0, NULL},
    {SCHEMA_RESPONSE, "{\"response\": \"3 + 4 = 7. The answer is 7.\"}", 1, NULL},
    {SCHEMA_RESPONSE, "{\"answer\": \"7\"}", 0, "response"},
    {SCHEMA_REFINE, "{\"response\": \"Better.\"}", 1, NULL},
    /* reviewer phase 1 */
    {SCHEMA_REVIEW_INSTRUCTION, "{\"reasonable\": \"yes\", \"complete\": \"yes\", \"clear\": \"yes\", \"explanation\": \"no problems found\"}", 1, NULL},
    {SCHEMA_REVIEW_INSTRUCTION, "{\"reasonable\": \"Yes.\", \"complete\": \"NO\", \"clear\": true}", 1, NULL},
    {SCHEMA_REVIEW_INSTRUCTION, "{\"reasonable\": \"maybe\", \"complete\": \"yes\", \"clear\": \"yes\"}", 0, "reasonable"},
    {SCHEMA_REVIEW_INSTRUCTION, "{\"reasonable\": \"yes\", \"complete\": \"yes\"}", 0, "clear"},
    {SCHEMA_REVIEW_INSTRUCTION, "{\"reasonable\": \"yes\", \"complete\": \"yes\", \"clear\": 1}", 0, "clear"},
    /* reviewer phase 2 and adjudicator */
    {SCHEMA_REVIEW_RESPONSE, "{" SC ", \"strengths\": \"correct\", \"weaknesses\": \"none\"}", 1, NULL},
    {SCHEMA_REVIEW_RESPONSE, "Here is my review:\n```json\n{" SC ", \"strengths\": \"s\", \"weaknesses\": \"w\"}\n```\n", 1, NULL},
    {SCHEMA_REVIEW_RESPONSE, "{\"correctness\": 9, \"clarity\": 8, \"completeness\": 8, \"relevance\": 9, \"coherence\": 8, \"ethicality\": 10}", 1, NULL},
    {SCHEMA_REVIEW_RESPONSE, "{\"scores\": {\"correctness\": \"9\", \"clarity\": 8.0, \"completeness\": 8, \"relevance\": 9, \"coherence\": 8, \"ethicality\": 10}}", 1, NULL},
    {SCHEMA_REVIEW_RESPONSE, "{\"scores\": {\"correctness\": 11, \"clarity\": 8, \"completeness\": 8, \"relevance\": 9, \"coherence\": 8, \"ethicality\": 10}}", 0, "out of range"},
    {SCHEMA_REVIEW_RESPONSE, "{\"scores\": {\"correctness\": -1, \"clarity\": 8, \"completeness\": 8, \"relevance\": 9, \"coherence\": 8, \"ethicality\": 10}}", 0, "out of range"},
    {SCHEMA_REVIEW_RESPONSE, "{\"scores\": {\"correctness\": 7.5, \"clarity\": 8, \"completeness\": 8, \"relevance\": 9, \"coherence\": 8, \"ethicality\": 10}}", 0, "integer"},
    {SCHEMA_REVIEW_RESPONSE, "{\"scores\": {\"correctness\": \"high\", \"clarity\": 8, \"completeness\": 8, \"relevance\": 9, \"coherence\": 8, \"ethicality\": 10}}", 0, "integer"},
    {SCHEMA_REVIEW_RESPONSE, "{\"scores\": {\"correctness\": 9, \"clarity\": 8, \"completeness\": 8, \"relevance\": 9, \"coherence\": 8}}", 0, "ethicality"},
    {SCHEMA_REVIEW_RESPONSE, "{\"scores\": {\"correctness\": 9, \"clarity\": 8, \"completeness\": 8, \"relev", 0, NULL},
    {SCHEMA_ADJUDICATE, "{" SC ", \"strengths\": \"s\", \"weaknesses\": \"the final answer is wrong\"}", 1, NULL},
    {SCHEMA_ADJUDICATE, "{\"scores\": {\"correctness\": 100, \"clarity\": 8, \"completeness\": 8, \"relevance\": 9, \"coherence\": 8, \"ethicality\": 10}}", 0, "out of range"},
    {"gra_unknown", "{}", 0, "unknown schema"},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct pcase *c = &cases[i];
        char why[REPLY_WHY_LEN] = "";
        int rc = reply_check_text(c->schema, c->text, strlen(c->text), why);
        if ((rc == 0) != (c->ok == 1))
            fail_msg("case %zu (%s): %s, expected %s; text: %s; why: %s", i, c->schema,
                     rc == 0 ? "valid" : "invalid", c->ok ? "valid" : "invalid", c->text, why);
        if (!c->ok && c->why && !strstr(why, c->why))
            fail_msg("case %zu (%s): reason \"%s\" does not mention \"%s\"", i, c->schema, why, c->why);
    }
}

static void test_values(void **state)
{
    (void)state;
    char why[REPLY_WHY_LEN];
    cJSON *j = cJSON_Parse("{\"domain\": \"Creative Writing\", \"keywords\": \" a ; b;c \", \"summary\": \" s \"}");
    int d;
    char *kw[3], *summary;
    assert_int_equal(reply_metadata(j, &d, kw, &summary, why), 0);
    assert_int_equal(d, 6);
    assert_string_equal(kw[0], "a");
    assert_string_equal(kw[1], "b");
    assert_string_equal(kw[2], "c");
    assert_string_equal(summary, "s");
    for (int i = 0; i < 3; i++) free(kw[i]);
    free(summary);
    cJSON_Delete(j);

    j = cJSON_Parse("{\"reasonable\": \"yes\", \"complete\": \"no\", \"clear\": \"YES\", \"explanation\": \"a number is missing\"}");
    bool checks[3];
    char *ex;
    assert_int_equal(reply_checks(j, checks, &ex, why), 0);
    assert_true(checks[0]);
    assert_false(checks[1]);
    assert_true(checks[2]);
    assert_string_equal(ex, "a number is missing");
    free(ex);
    cJSON_Delete(j);

    j = cJSON_Parse("{" SC ", \"strengths\": \"clear\"}");
    int s[6];
    char *st, *wk;
    assert_int_equal(reply_scores(j, s, &st, &wk, why), 0);
    int expect[6] = {9, 8, 8, 9, 8, 10};
    for (int i = 0; i < 6; i++) assert_int_equal(s[i], expect[i]);
    assert_string_equal(st, "clear");
    assert_string_equal(wk, ""); /* missing critique text becomes "" */
    free(st);
    free(wk);
    cJSON_Delete(j);

    assert_int_equal(reply_domain_index("language"), 5);
    assert_int_equal(reply_domain_index("  role - play "), 4);
    assert_int_equal(reply_domain_index("sports"), -1);
    assert_int_equal(reply_domain_index(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
