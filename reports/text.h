/*
 * text: lexical diversity of a set of texts (distinct-n, MinHash near
 * duplicates). Pure functions; nothing returned needs freeing.
 */
#ifndef GRA_REPORTS_TEXT_H
#define GRA_REPORTS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_MH_SHINGLE 5
#define TEXT_MH_PERMS 128
#define TEXT_MH_BANDS 16
#define TEXT_MH_ROWS 8

/* distinct-1/2/3 over lowercase word n-grams of the whole corpus (unique /
 * total), written to out[0..2]; words_total gets the word count. */
void text_distinct(const char *const *texts, size_t n, double out[3], size_t words_total[1]);

struct text_neardup {
    double threshold;       /* estimated Jaccard at or above which two texts are near duplicates */
    size_t n_near_dup;      /* texts with at least one near duplicate */
    double rate;            /* n_near_dup / n */
    size_t candidate_pairs; /* pairs sharing an LSH band */
    size_t capped_buckets;  /* buckets larger than 2000 (only the first 2000 compared) */
};

/* Near-duplicate rate of texts by MinHash over character 5-grams of the
 * normalised text (lowercase, whitespace collapsed). */
void text_minhash_neardup(const char *const *texts, size_t n, double threshold,
                          struct text_neardup *out);

#endif
