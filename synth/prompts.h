/*
 * prompts: the role prompt templates (synth/prompts/NAME.txt) and the reply
 * schemas paired with them (synth/prompts/NAME.schema.json).
 *
 * A template is plain text in sections, each opened by a line that is exactly
 * "[system]", "[user]" or "[assistant]"; lines before the first section are a
 * comment for the reader. {{name}} placeholders are filled at render time;
 * a placeholder the caller does not supply is an error (a template bug must
 * not reach a model). The tagged material blocks of synth/protocol.h go in
 * the last user section.
 *
 * Each prompt's hash is sha256(template bytes || schema bytes); it goes into
 * every record's prompt_hashes, so a changed prompt is visible in the data.
 *
 * Directory: config synth.prompts_dir, else $GRA_HOME/synth/prompts, else the
 * source tree's synth/prompts (GRA_SOURCE_DIR, compiled in).
 */
#ifndef GRA_SYNTH_PROMPTS_H
#define GRA_SYNTH_PROMPTS_H

struct cJSON;

enum prompt_kind {
    PROMPT_METADATA = 0,
    PROMPT_KEYWORDS,
    PROMPT_INSTRUCTION,
    PROMPT_RESPONSE,
    PROMPT_REFINE,
    PROMPT_REVIEW_INSTRUCTION,
    PROMPT_REVIEW_RESPONSE,
    PROMPT_ADJUDICATE,
    PROMPT_N
};

struct prompt {
    const char *name;        /* file stem, also the prompt_hashes key */
    const char *schema_name; /* SCHEMA_* sent as response_format name */
    char *text;              /* template bytes */
    struct cJSON *schema;    /* parsed schema */
    char hash[65];
};

struct prompt_set {
    char *dir;
    struct prompt p[PROMPT_N];
};

/* The default directory (heap string, free()). */
char *prompts_default_dir(void);
/* Load all templates and schemas from dir. 0 or GRA_E* (names the file).
 * Release with prompts_release(). */
int prompts_load(const char *dir, struct prompt_set *out);
void prompts_release(struct prompt_set *ps);

/* Render p with n (name, value) pairs into a new chat messages array (free
 * with cJSON_Delete). 0 or GRA_EINVAL naming the unknown placeholder. */
int prompts_render(const struct prompt *p, const char *const *names, const char *const *values,
                   int n, struct cJSON **messages);

/* Append "<tag>text</tag>\n" to b with the protocol's escaping ("</" inside
 * the text becomes "< /"). */
struct buf;
void prompts_block(struct buf *b, const char *tag, const char *text);

#endif
