/*
 * fuzz_llm_reply: llm_parse_json_reply reads whatever a model wrote (bare
 * JSON, fenced blocks, JSON inside prose, truncated text). On any bytes it
 * must return NULL or a tree, never crash or read out of bounds.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy so ASan sees any read past the end */
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    memcpy(text, data, size);
    cJSON *j = llm_parse_json_reply(text, size);
    cJSON_Delete(j);
    free(text);
    return 0;
}
