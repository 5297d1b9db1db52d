/*
 * seeds: load seed records from the common instruction-data formats into
 * (instruction, response) pairs with their provenance (file:line).
 *
 * Formats (field names overridable in the config, docs/config-synth.md):
 *   alpaca        {instruction, input, output}; a non-empty input is appended
 *                 to the instruction after a blank line
 *   self_instruct {instruction, instances: [{input, output}, ...]} (first instance)
 *   sharegpt      {conversations: [{from: human|user, value}, {from: gpt|assistant, value}]}
 *   messages      {messages: [{role: user, content}, {role: assistant, content}]}
 *   gsm8k         {question, answer}
 *   math          {problem, solution}
 *   auto          picked per record from the keys present
 * A file is a JSON array or JSON Lines (detected by its first non-blank byte).
 * A bad record is logged as FILE:LINE: reason (JSON arrays: FILE:record N)
 * and skipped, or ends the load when on_bad_record is "fail".
 */
#ifndef GRA_SYNTH_SEEDS_H
#define GRA_SYNTH_SEEDS_H

#include <stdbool.h>
#include <stdint.h>

enum seed_format {
    SEED_AUTO = 0, SEED_ALPACA, SEED_SELF_INSTRUCT, SEED_SHAREGPT, SEED_MESSAGES,
    SEED_GSM8K, SEED_MATH,
};
/* Format names in enum order, NULL-terminated (cfg_enum). */
extern const char *const seed_format_names[];

struct seed_file_cfg {
    char *path;          /* resolved path (what is read) */
    char *name;          /* the path as the config writes it (relative to data_dir, or
                          * absolute): in record sources and the sampling stream, so
                          * where the data is staged changes no output byte */
    int format;          /* enum seed_format */
    char *f_instruction; /* field overrides, NULL = the format's default */
    char *f_input;
    char *f_output;
    long limit;          /* 0 = all records */
    bool sample;         /* limit picks a seeded random subset instead of the first */
};

struct seed_record {
    char *instruction;
    char *response;
    char *source;        /* "path:line" */
};

/* Load every file in order. fail_on_bad: stop at the first bad record with
 * GRA_EPARSE; else skip it (counted in *n_bad). seed drives "sample". 0 or
 * GRA_E*; *out (records and array) freed with seeds_free(). */
int seeds_load(const struct seed_file_cfg *files, int n_files, bool fail_on_bad, uint64_t seed,
               struct seed_record **out, int *n_out, int *n_bad);
void seeds_free(struct seed_record *r, int n);

#endif
