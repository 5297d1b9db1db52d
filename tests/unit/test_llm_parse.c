/* test_llm_parse: llm_parse_json_reply, the tolerant reader of structured
 * replies: bare objects, ```json fences, objects embedded in prose, braces
 * and quotes inside strings, truncated and malformed text. */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/llm.h"

static cJSON *P(const char *s)
{
    return llm_parse_json_reply(s, strlen(s));
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_bare(void **state)
{
    (void)state;
    cJSON *j = P("{\"score\": 7, \"why\": \"fine\"}");
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "score")->valueint, 7);
    cJSON_Delete(j);
    j = P("   \n{\"a\":1}\n  ");
    assert_non_null(j);
    cJSON_Delete(j);
}

static void test_fenced(void **state)
{
    (void)state;
    cJSON *j = P("Here is my review:\n```json\n{\"score\": 9, \"note\": \"ok\"}\n```\nThanks!");
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "score")->valueint, 9);
    cJSON_Delete(j);
    /* bare fence without a language tag */
    j = P("```\n{\"x\": \"y\"}\n```");
    assert_non_null(j);
    assert_string_equal(str(j, "x"), "y");
    cJSON_Delete(j);
    /* the fence wins over a decoy object in the prose before it */
    j = P("Format: {\"score\": N}\n```json\n{\"score\": 3}\n```");
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "score")->valueint, 3);
    cJSON_Delete(j);
    /* an unclosed fence still yields its complete object */
    j = P("```json\n{\"k\": [1,2,3]}\n");
    assert_non_null(j);
    cJSON_Delete(j);
}

static void test_prose(void **state)
{
    (void)state;
    cJSON *j =
        P("Sure! The answer is {\"instruction\": \"Sum 2+2\", \"response\": \"4\"} as requested.");
    assert_non_null(j);
    assert_string_equal(str(j, "response"), "4");
    cJSON_Delete(j);
    /* a non-JSON brace group before the real object is skipped */
    j = P("Use {placeholders} like {x}; result: {\"ok\": true}");
    assert_non_null(j);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    cJSON_Delete(j);
}

static void test_braces_in_strings(void **state)
{
    (void)state;
    cJSON *j = P("result: {\"code\": \"int f() { return 1; }\", \"q\": \"a \\\"}\\\" b\", \"n\": "
                 "{\"d\": 2}} end");
    assert_non_null(j);
    assert_string_equal(str(j, "code"), "int f() { return 1; }");
    assert_string_equal(str(j, "q"), "a \"}\" b");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "n"), "d")->valueint, 2);
    cJSON_Delete(j);
}

static void test_truncated_and_malformed(void **state)
{
    (void)state;
    assert_null(P(""));
    assert_null(P("no json here"));
    assert_null(P("{\"score\": 7, \"why\": \"cut in the mid"));
    assert_null(P("```json\n{\"score\": 7,\n"));
    assert_null(P("{'single': 'quotes'}"));
    assert_null(P("{\"a\": 1,}"));
    assert_null(P("[1, 2, 3]")); /* arrays are not objects */
    assert_null(llm_parse_json_reply(NULL, 0));
    /* the length bound is honoured: the object lies beyond len */
    const char *s = "abc {\"a\":1}";
    assert_null(llm_parse_json_reply(s, 4));
    /* many unmatched braces do not blow up */
    char big[20000];
    memset(big, '{', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_null(P(big));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bare),
        cmocka_unit_test(test_fenced),
        cmocka_unit_test(test_prose),
        cmocka_unit_test(test_braces_in_strings),
        cmocka_unit_test(test_truncated_and_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
