/*
 * reply: validate the structured replies of every role (synth/protocol.h)
 * into plain C values. The JSON has already been extracted from the model's
 * text (core/llm.h: llm_parse_json_reply tolerates fences and prose); this
 * module decides whether the object says what the schema asks for.
 *
 * Tolerated, because real 7B models do it and the meaning is unambiguous:
 * "Yes"/"YES"/true for "yes"; integral floats (8.0) and numeric strings ("8")
 * as scores; keywords as one "a; b; c" string; a domain spelled with other
 * case, hyphens or underscores ("Question-Answering", "roleplay"); scores at
 * the top level instead of under "scores". Rejected: a missing field, a score
 * outside 0-10 or not integral, fewer or more than three keywords, an empty
 * text, an unknown domain.
 *
 * Every function returns 0, or GRA_EPARSE with a short reason in why (a
 * caller-provided buffer) that becomes the rejected record's reason. Strings
 * returned are heap copies the caller frees with free(); on error nothing is
 * returned (no partial output to free).
 */
#ifndef GRA_SYNTH_REPLY_H
#define GRA_SYNTH_REPLY_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

#define REPLY_WHY_LEN 160

/* Index of a domain name in SYNTH_DOMAINS (tolerant match), or -1. */
int reply_domain_index(const char *name);

/* gra_metadata: {"domain", "keywords"[3], "summary"} */
int reply_metadata(const struct cJSON *j, int *domain, char *keywords[3], char **summary,
                   char why[REPLY_WHY_LEN]);
/* gra_keywords: {"keywords"[3]} */
int reply_keywords(const struct cJSON *j, char *keywords[3], char why[REPLY_WHY_LEN]);
/* gra_instruction / gra_response / gra_refine: one non-empty string field. */
int reply_text(const struct cJSON *j, const char *field, char **out, char why[REPLY_WHY_LEN]);
/* gra_review_instruction: checks[0..2] = reasonable, complete, clear (true = yes). */
int reply_checks(const struct cJSON *j, bool checks[3], char **explanation,
                 char why[REPLY_WHY_LEN]);
/* gra_review_response / gra_adjudicate: six integer scores 0-10 in SYNTH_DIMS
 * order, strengths and weaknesses (missing critique texts become ""). */
int reply_scores(const struct cJSON *j, int scores[6], char **strengths, char **weaknesses,
                 char why[REPLY_WHY_LEN]);

/* Convenience for tests and tools: extract the first JSON object of a raw
 * model reply (fenced, bare or in prose) and validate it against the named
 * schema (SCHEMA_*). The parsed values are discarded. 0 or GRA_EPARSE. */
int reply_check_text(const char *schema_name, const char *text, size_t len,
                     char why[REPLY_WHY_LEN]);

#endif
