/*
 * test_simflaw: the observable flaws of the simulated world (core/simflaw.h).
 * Every injected flaw is detected, and only that flaw; clean generated text has
 * none; the math answer is recomputed from the problem text (checked here with
 * independent formulas); critique phrases round-trip; and the detectors rarely
 * fire on natural text (the staged seed data, when present).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "core/rng.h"
#include "core/simflaw.h"

static const char *generic_instruction =
    "Explain how photosynthesis supports forest ecosystems, with an example about sunlight.";
static const char *generic_response =
    "Photosynthesis turns sunlight into chemical energy that forest plants store as sugar. "
    "That stored energy feeds the insects, birds and mammals living in forest ecosystems. "
    "A tall oak shows this well: its leaves capture sunlight all summer and its acorns "
    "feed squirrels through the winter. In short, photosynthesis keeps the whole forest alive.";

static void check_exact(const char *what, unsigned got, unsigned want, const char *ins,
                        const char *resp)
{
    if (got != want) {
        fprintf(stderr, "%s: detected 0x%x, expected 0x%x\ninstruction: %s\nresponse: %s\n", what,
                got, want, ins, resp ? resp : "(none)");
    }
    assert_int_equal(got, want);
}

static long independent_answer(int tmpl, const long *n)
{
    switch (tmpl) {
    case 0:
        return n[2] - n[0] * n[1];
    case 1:
        return n[0] - n[1] + n[2] * n[3];
    case 2:
        return n[0] * n[1] - n[2];
    case 3:
        return n[0] * n[1] + n[2] * n[3];
    default:
        return n[0] / n[1] + n[2];
    }
}

/* Numbers before the first '?', read independently of simflaw. */
static int numbers(const char *s, long *out)
{
    int k = 0;
    const char *q = strchr(s, '?');
    for (const char *p = s; *p && p < q;) {
        if (*p >= '0' && *p <= '9') {
            out[k++] = strtol(p, (char **)&p, 10);
        } else {
            p++;
        }
    }
    return k;
}

static void test_math(void **state)
{
    (void)state;
    struct buf ins = BUF_INIT, resp = BUF_INIT;
    int checked = 0;
    for (int tmpl = 0; tmpl < SIMFLAW_MATH_TEMPLATES; tmpl++) {
        for (uint64_t s = 0; s < 60; s++) {
            struct rng r;
            rng_seed(&r, rng_derive(1, "math", s * 10 + (uint64_t)tmpl));
            simflaw_math_instruction(&r, tmpl, s % 2 ? "Nadia" : NULL, s % 3 ? "walnuts" : "rows",
                                     NULL, 0, &ins);
            check_exact("clean math instruction", simflaw_detect_instruction(ins.data), 0, ins.data,
                        NULL);
            struct simflaw_task t;
            assert_int_equal(simflaw_task_parse(ins.data, &t), SIMFLAW_MATH);
            assert_int_equal(t.tmpl, tmpl);
            long n[4];
            assert_int_equal(numbers(ins.data, n), t.n_needed);
            assert_true(t.reasonable);
            assert_int_equal(t.answer, independent_answer(tmpl, n));
            assert_true(t.answer >= 0);

            buf_reset(&resp);
            assert_int_equal(simflaw_solution(ins.data, 0, 1.0 + (double)(s % 3) * 0.3, &r, &resp),
                             0);
            check_exact("clean solution", simflaw_detect(ins.data, resp.data), 0, ins.data,
                        resp.data);
            char *fa = strstr(resp.data, "Final answer: ");
            assert_non_null(fa);
            assert_int_equal(strtol(fa + 14, NULL, 10), independent_answer(tmpl, n));

            const unsigned structural[] = {SIMFLAW_WRONG_ANSWER, SIMFLAW_TRUNCATED,
                                           SIMFLAW_CONTRADICTION};
            for (int k = 0; k < 3; k++) {
                buf_reset(&resp);
                simflaw_solution(ins.data, structural[k], 1.0, &r, &resp);
                check_exact(simflaw_name(structural[k]), simflaw_detect(ins.data, resp.data),
                            structural[k], ins.data, resp.data);
            }
            /* text-level flaws on a clean solution */
            const unsigned text[] = {SIMFLAW_PADDING, SIMFLAW_OFF_TOPIC, SIMFLAW_UNSAFE,
                                     SIMFLAW_CONTRADICTION, SIMFLAW_TRUNCATED};
            for (int k = 0; k < 5; k++) {
                buf_reset(&resp);
                simflaw_solution(ins.data, 0, 1.0, &r, &resp);
                assert_int_equal(simflaw_inject_response(text[k], ins.data, &resp, &r), 0);
                check_exact(simflaw_name(text[k]), simflaw_detect(ins.data, resp.data), text[k],
                            ins.data, resp.data);
            }
            /* instruction flaws */
            const unsigned iflaw[] = {SIMFLAW_INCOMPLETE, SIMFLAW_UNREASONABLE};
            for (int k = 0; k < 2; k++) {
                simflaw_math_instruction(&r, tmpl, NULL, NULL, NULL, iflaw[k], &ins);
                check_exact(simflaw_name(iflaw[k]), simflaw_detect_instruction(ins.data), iflaw[k],
                            ins.data, NULL);
                buf_reset(&resp);
                assert_int_equal(simflaw_solution(ins.data, 0, 1.0, &r, &resp), 0);
                assert_int_equal(simflaw_detect(ins.data, resp.data) & SIMFLAW_RESPONSE_MASK, 0);
            }
            simflaw_math_instruction(&r, tmpl, NULL, NULL, NULL, 0, &ins);
            if (simflaw_inject_instruction(SIMFLAW_UNCLEAR, &ins, &r) == 0)
                check_exact("unclear", simflaw_detect_instruction(ins.data), SIMFLAW_UNCLEAR,
                            ins.data, NULL);
            checked++;
        }
    }
    printf("math: %d problems over %d templates, answers recomputed and every flaw detected\n",
           checked, SIMFLAW_MATH_TEMPLATES);
    buf_release(&ins);
    buf_release(&resp);
}

static void test_code(void **state)
{
    (void)state;
    struct buf ins = BUF_INIT, resp = BUF_INIT;
    for (int tmpl = 0; tmpl < SIMFLAW_CODE_TEMPLATES; tmpl++) {
        for (uint64_t s = 0; s < 20; s++) {
            struct rng r;
            rng_seed(&r, rng_derive(2, "code", s * 10 + (uint64_t)tmpl));
            simflaw_code_instruction(&r, tmpl, s % 2 ? "inventory" : NULL, 0, &ins);
            check_exact("clean code instruction", simflaw_detect_instruction(ins.data), 0, ins.data,
                        NULL);
            struct simflaw_task t;
            assert_int_equal(simflaw_task_parse(ins.data, &t), SIMFLAW_CODE);
            assert_int_equal(t.tmpl, tmpl);
            buf_reset(&resp);
            simflaw_solution(ins.data, 0, 1.3, &r, &resp);
            check_exact("clean code", simflaw_detect(ins.data, resp.data), 0, ins.data, resp.data);
            assert_non_null(strstr(resp.data, t.fname));
            const unsigned fl[] = {SIMFLAW_WRONG_ANSWER, SIMFLAW_TRUNCATED, SIMFLAW_CONTRADICTION};
            for (int k = 0; k < 3; k++) {
                buf_reset(&resp);
                simflaw_solution(ins.data, fl[k], 1.0, &r, &resp);
                check_exact(simflaw_name(fl[k]), simflaw_detect(ins.data, resp.data), fl[k],
                            ins.data, resp.data);
            }
            const unsigned text[] = {SIMFLAW_PADDING, SIMFLAW_OFF_TOPIC, SIMFLAW_UNSAFE};
            for (int k = 0; k < 3; k++) {
                buf_reset(&resp);
                simflaw_solution(ins.data, 0, 1.0, &r, &resp);
                char *fence = strstr(resp.data, "```python"), *end = strstr(fence + 3, "```");
                char *code = strndup(fence, (size_t)(end - fence) + 3);
                assert_int_equal(simflaw_inject_response(text[k], ins.data, &resp, &r), 0);
                check_exact(simflaw_name(text[k]), simflaw_detect(ins.data, resp.data), text[k],
                            ins.data, resp.data);
                assert_non_null(strstr(resp.data, code)); /* nothing inserted inside the code */
                free(code);
            }
            simflaw_code_instruction(&r, tmpl, NULL, SIMFLAW_UNREASONABLE, &ins);
            check_exact("code unreasonable", simflaw_detect_instruction(ins.data),
                        SIMFLAW_UNREASONABLE, ins.data, NULL);
            if (tmpl == 3) {
                simflaw_code_instruction(&r, tmpl, NULL, SIMFLAW_INCOMPLETE, &ins);
                check_exact("code incomplete", simflaw_detect_instruction(ins.data),
                            SIMFLAW_INCOMPLETE, ins.data, NULL);
            }
        }
    }
    buf_release(&ins);
    buf_release(&resp);
}

static void test_generic(void **state)
{
    (void)state;
    check_exact("clean generic", simflaw_detect(generic_instruction, generic_response), 0,
                generic_instruction, generic_response);
    struct buf ins = BUF_INIT, resp = BUF_INIT;
    const unsigned text[] = {SIMFLAW_PADDING, SIMFLAW_OFF_TOPIC, SIMFLAW_CONTRADICTION,
                             SIMFLAW_UNSAFE, SIMFLAW_TRUNCATED};
    for (uint64_t s = 0; s < 40; s++) {
        struct rng r;
        rng_seed(&r, rng_derive(3, "generic", s));
        for (int k = 0; k < 5; k++) {
            buf_reset(&resp);
            buf_puts(&resp, generic_response);
            assert_int_equal(simflaw_inject_response(text[k], generic_instruction, &resp, &r), 0);
            check_exact(simflaw_name(text[k]), simflaw_detect(generic_instruction, resp.data),
                        text[k], generic_instruction, resp.data);
        }
        /* two flaws at once are both seen */
        buf_reset(&resp);
        buf_puts(&resp, generic_response);
        simflaw_inject_response(SIMFLAW_UNSAFE, generic_instruction, &resp, &r);
        simflaw_inject_response(SIMFLAW_TRUNCATED, generic_instruction, &resp, &r);
        check_exact("unsafe+truncated", simflaw_detect(generic_instruction, resp.data),
                    SIMFLAW_UNSAFE | SIMFLAW_TRUNCATED, generic_instruction, resp.data);
        const unsigned iflaw[] = {SIMFLAW_UNCLEAR, SIMFLAW_UNREASONABLE, SIMFLAW_INCOMPLETE};
        for (int k = 0; k < 3; k++) {
            buf_reset(&ins);
            buf_puts(&ins, generic_instruction);
            assert_int_equal(simflaw_inject_instruction(iflaw[k], &ins, &r), 0);
            check_exact(simflaw_name(iflaw[k]), simflaw_detect_instruction(ins.data), iflaw[k],
                        ins.data, NULL);
        }
    }
    /* near misses: a warning is not unsafe advice; a passage that is given is fine;
     * an acronym is not garbled; a compatible length request is reasonable */
    assert_int_equal(simflaw_detect("Give cleaning tips.", "Never mix bleach and ammonia."), 0);
    assert_int_equal(simflaw_detect_instruction("Summarize the passage below.\nThe river rose "
                                                "after three days of rain and flooded the town."),
                     0);
    assert_int_equal(simflaw_detect_instruction(
                         "Explain HTTPS and TCP in fewer than 200 words, using at least 50 words."),
                     0);
    assert_int_equal(simflaw_detect_instruction(
                         "Explain HTTPS and TCP in fewer than 20 words, using at least 50 words."),
                     SIMFLAW_UNREASONABLE);
    buf_release(&ins);
    buf_release(&resp);
}

static void test_names_and_phrases(void **state)
{
    (void)state;
    unsigned all = 0;
    for (int i = 0; i < SIMFLAW_N; i++) {
        unsigned b = simflaw_bits[i];
        assert_non_null(simflaw_name(b));
        assert_int_equal(simflaw_parse_critique(simflaw_phrase(b)), b);
        char *upper = strdup(simflaw_phrase(b));
        upper[0] = (char)(upper[0] - 32);
        char text[300];
        snprintf(text, sizeof text, "Weak: %s; otherwise fine.", upper);
        assert_int_equal(simflaw_parse_critique(text), b);
        free(upper);
        all |= b;
        assert_int_equal(simflaw_dimension(b), i < 6 ? i : -1);
    }
    assert_int_equal(all, SIMFLAW_ALL);
    assert_null(simflaw_name(1u << 7));
    assert_int_equal(simflaw_parse_critique("Clear and correct."), 0);
    assert_int_equal(simflaw_count(SIMFLAW_UNSAFE | SIMFLAW_UNCLEAR), 2);
}

/* Natural text should rarely trip the detectors. */
static void test_natural_text(void **state)
{
    (void)state;
    const char *dir = getenv("GRA_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/gsm8k/train.jsonl", dir ? dir : "/work/shared/data");
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("SKIP natural-text check: %s not staged\n", path);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    int n = 0, flagged = 0;
    while (getline(&line, &cap, f) > 0 && n < 3000) {
        cJSON *j = cJSON_ParseWithLengthOpts(line, strlen(line), NULL, 0);
        const cJSON *q = cJSON_GetObjectItem(j, "question"), *a = cJSON_GetObjectItem(j, "answer");
        if (cJSON_IsString(q) && cJSON_IsString(a)) {
            n++;
            if (simflaw_detect(q->valuestring, a->valuestring)) flagged++;
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    printf("natural text: %d of %d GSM8K train pairs flagged (%.2f%%)\n", flagged, n,
           100.0 * flagged / (n ? n : 1));
    assert_true(n > 0);
    assert_true(flagged <= n / 100);

    snprintf(path, sizeof path, "%s/codealpaca/code_alpaca_2k.json",
             dir ? dir : "/work/shared/data");
    cJSON *arr = NULL;
    if (json_read_file(path, &arr) != 0) {
        printf("SKIP natural-text check on Code Alpaca: %s not staged\n", path);
        return;
    }
    n = flagged = 0;
    const cJSON *it;
    struct buf ins = BUF_INIT;
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *i = cJSON_GetObjectItem(it, "instruction"),
                    *in = cJSON_GetObjectItem(it, "input"), *o = cJSON_GetObjectItem(it, "output");
        if (!cJSON_IsString(i) || !cJSON_IsString(o)) continue;
        buf_reset(&ins);
        buf_puts(&ins, i->valuestring);
        if (cJSON_IsString(in) && in->valuestring[0]) buf_appendf(&ins, "\n%s", in->valuestring);
        n++;
        if (simflaw_detect(ins.data, o->valuestring)) flagged++;
    }
    buf_release(&ins);
    cJSON_Delete(arr);
    printf("natural text: %d of %d Code Alpaca records flagged (%.2f%%)\n", flagged, n,
           100.0 * flagged / (n ? n : 1));
    assert_true(n > 0);
    assert_true(flagged <= n / 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_math),         cmocka_unit_test(test_code),
        cmocka_unit_test(test_generic),      cmocka_unit_test(test_names_and_phrases),
        cmocka_unit_test(test_natural_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
