/*
 * dedup: greedy near-duplicate filtering of records, the paper's post-processing
 * step (gra-method.md section 7).
 *
 * Two methods behind one handle:
 *   - embedding: keep an item iff its maximum cosine similarity to every item
 *     already kept is below the threshold (paper: 0.9, all-MiniLM-L6-v2 vectors).
 *     Vectors are normalised on entry and kept in a contiguous float matrix laid
 *     out in 16-row panels, scanned by a blocked kernel; a batch entry point
 *     amortises each panel load over many queries and gives exactly the same
 *     decisions as calling dedup_check_add() one item at a time.
 *   - minhash: the lexical stand-in when no embedding model is configured.
 *     Character n-grams (default 5) of the normalised text (lowercase, letters
 *     and digits only, whitespace collapsed), num_perm multiply-shift hashes,
 *     LSH banding with (b, r) chosen from the threshold (perf-stats B.1), and
 *     every LSH candidate verified with the estimated Jaccard (matching
 *     signature rows / num_perm). Keep iff no kept item has estimated Jaccard
 *     >= threshold.
 *
 * Order matters (the rule is greedy): the caller walks records in its chosen
 * order (descending reviewer mean). A handle is not thread-safe. Everything is
 * deterministic given the inputs (and the seed for MinHash); no floating point
 * contraction is used, so the decisions are identical on every x86-64 and
 * aarch64 machine.
 *
 * Ownership: dedup_new_* return a handle freed with dedup_free(); the handle
 * copies what it keeps (vectors, signatures), never the caller's pointers.
 */
#ifndef GRA_SYNTH_DEDUP_H
#define GRA_SYNTH_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dedup;

/* Cosine dedup of dim-dimensional vectors; threshold in (-1, 1], keep iff max
 * cosine < threshold. NULL on dim <= 0. Free with dedup_free(). */
struct dedup *dedup_new_embedding(int dim, double threshold);

/* MinHash dedup: num_perm hash functions (e.g. 128), shingle_chars-character
 * shingles (e.g. 5), keep iff max estimated Jaccard < threshold (e.g. 0.8).
 * Bands b and rows r (b*r <= num_perm) minimise a weighted sum of the LSH
 * S-curve's false-positive and false-negative areas around the threshold
 * (false negatives weighted 0.95, false positives 0.05: candidates are verified,
 * so a false positive only costs time). NULL on bad arguments. */
struct dedup *dedup_new_minhash(int num_perm, int shingle_chars, double threshold, uint64_t seed);

/* True, and the item is remembered, iff it is not a near-duplicate of any item
 * kept so far. emb (dim floats, any non-zero length) for the embedding method,
 * NULL for MinHash (text is used; text may be NULL for the embedding method).
 * A zero vector has cosine 0 with everything. */
bool dedup_check_add(struct dedup *d, const char *text, const float *emb);

/* Remember an item unconditionally (the seeds and earlier rounds' records). */
void dedup_add(struct dedup *d, const char *text, const float *emb);

/* The batch form of dedup_check_add over n items in order: kept[i] receives
 * what the i-th sequential call would have returned. texts: n strings (may be
 * NULL for embedding), embs: n*dim floats row-major (NULL for MinHash). Much
 * faster for the embedding method (each stored panel is read once per batch). */
void dedup_check_add_many(struct dedup *d, size_t n, const char *const *texts, const float *embs,
                          bool *kept);

/* The largest similarity (cosine or estimated Jaccard) of an item against
 * everything kept, without adding it; -1 (embedding: -2) when nothing is kept. */
double dedup_max_similarity(struct dedup *d, const char *text, const float *emb);

/* Number of items kept (added or accepted). */
size_t dedup_count(const struct dedup *d);

/* "embedding" or "minhash". */
const char *dedup_method(const struct dedup *d);

/* MinHash only: the LSH bands and rows chosen (0 for embedding). */
void dedup_lsh_params(const struct dedup *d, int *bands, int *rows);

/* Estimated Jaccard of two texts by a fresh MinHash with these parameters
 * (tests and diagnostics). */
double dedup_minhash_jaccard(const char *a, const char *b, int num_perm, int shingle_chars,
                             uint64_t seed);
/* Exact Jaccard of the two texts' shingle sets after the same normalisation. */
double dedup_exact_jaccard(const char *a, const char *b, int shingle_chars);

/* Free (NULL ok). */
void dedup_free(struct dedup *d);

#endif
