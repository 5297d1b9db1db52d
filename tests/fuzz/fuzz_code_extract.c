/*
 * fuzz_code_extract: code_extract() (eval/code.h), the extraction of the code
 * to run from a model's output (fenced blocks, completions, MBPP's
 * [BEGIN]/[DONE], the function named by the task), on arbitrary outputs and
 * benchmark items. Nothing is run.
 *
 * Input: a JSON object {"family": "humaneval"|"mbpp", "completion": bool,
 * "item": {...}, "output": "..."} fuzzes the item too; any other bytes are the
 * output, with the family and mode taken from the first byte and a fixed
 * realistic item. Checked: no crash, leak or UB; the program is produced
 * exactly when code is; the program holds the code; deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "eval/code.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char he_item[] =
    "{\"task_id\":\"HumanEval/999\",\"prompt\":\"def add_pairs(xs: list) -> list:\\n"
    "    \\\"\\\"\\\" Sum neighbours.\\n    >>> add_pairs([1, 2, 3])\\n    [3, 5]\\n"
    "    \\\"\\\"\\\"\\n\",\"entry_point\":\"add_pairs\",\"test\":\"def check(candidate):\\n"
    "    assert candidate([1, 2, 3]) == [3, 5]\\n\"}";
static const char mbpp_item[] =
    "{\"task_id\":999,\"text\":\"Write a function to count vowels in a string.\","
    "\"test_list\":[\"assert count_vowels('banana') == 3\",\"assert count_vowels('') == 0\"],"
    "\"test_setup_code\":\"\",\"test_imports\":[\"import math\"]}";

static void run(enum code_family fam, const cJSON *item, const char *out, bool completion)
{
    char *prog = NULL, *prog2 = NULL;
    char *code = code_extract(fam, item, out, completion, &prog);
    char *code2 = code_extract(fam, item, out, completion, &prog2);
    char *code3 = code_extract(fam, item, out, completion, NULL);
    if (!code != !prog) abort();
    if (!code != !code2 || !code != !code3) abort();
    if (code) {
        if (strcmp(code, code2) || strcmp(code, code3) || strcmp(prog, prog2)) abort();
        if (!strstr(prog, code)) abort(); /* the program runs the extracted code */
    }
    free(code);
    free(code2);
    free(code3);
    free(prog);
    free(prog2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cJSON *he, *mbpp;
    if (!he) {
        he = cJSON_Parse(he_item);
        mbpp = cJSON_Parse(mbpp_item);
        if (!he || !mbpp) abort();
    }
    if (size > 1 << 16) return 0;
    cJSON *j = cJSON_ParseWithLengthOpts((const char *)data, size, NULL, 0);
    const cJSON *item = j ? cJSON_GetObjectItemCaseSensitive(j, "item") : NULL;
    const cJSON *out = j ? cJSON_GetObjectItemCaseSensitive(j, "output") : NULL;
    if (cJSON_IsObject(item) && cJSON_IsString(out)) {
        const cJSON *fam = cJSON_GetObjectItemCaseSensitive(j, "family");
        bool mb = cJSON_IsString(fam) && strcmp(fam->valuestring, "mbpp") == 0;
        bool comp = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "completion"));
        run(mb ? CODE_MBPP : CODE_HUMANEVAL, item, out->valuestring, comp);
        cJSON_Delete(j);
        return 0;
    }
    cJSON_Delete(j);
    if (size == 0) return 0;
    char *s = malloc(size);
    if (!s) return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    unsigned mode = data[0] % 3; /* 0 humaneval completion, 1 humaneval chat, 2 mbpp */
    if (mode == 2)
        run(CODE_MBPP, mbpp, s, false);
    else
        run(CODE_HUMANEVAL, he, s, mode == 0);
    free(s);
    return 0;
}
