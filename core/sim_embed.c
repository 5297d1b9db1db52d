/*
 * sim_embed: the simulated embedding model (feature hashing, no weights).
 *
 * A text is lower-cased (ASCII) and split into words at every byte that is
 * not a letter, a digit or part of a UTF-8 sequence. Its features are the
 * word unigrams, the word bigrams and the character 3-, 4- and 5-grams of
 * " w1 w2 ... wn " (single spaces). Each feature is hashed (hash64 with a
 * seed per feature family) to a coordinate and a sign (signed feature
 * hashing, so collisions cancel on average instead of piling up), weighted
 * and summed; each coordinate is then damped to sign(x)*sqrt(|x|), so the
 * grams every English sentence shares ("the", " of ") weigh less, and the
 * vector is scaled to unit length.
 *
 * Consequences the tests check: two texts that share most words and
 * character n-grams are close in cosine (one word changed in a 20-word
 * sentence stays above 0.9), unrelated texts are near 0 (about
 * 1/sqrt(dim) of noise from collisions, plus 0.1 or so for the function
 * words two English sentences share), word order matters a little
 * (bigrams). Deterministic and platform-independent: only integer hashing,
 * then float sums in a fixed order.
 */
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/simsrv.h"

#define W_UNIGRAM 1.0f
#define W_BIGRAM 0.8f
#define W_CHARGRAM 0.3f

static void add_feature(float *v, int dim, const char *p, size_t n, uint64_t family, float w)
{
    uint64_t h = hash64(p, n, family);
    int idx = (int)((h >> 1) % (uint64_t)dim);
    v[idx] += (h & 1) ? w : -w;
}

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

void sim_embed(const char *text, int dim, float *out)
{
    if (dim <= 0) return;
    memset(out, 0, sizeof(float) * (size_t)dim);
    if (!text) text = "";
    size_t tn = strlen(text);
    /* normalised copy: " w1 w2 ... wn " */
    char small[1024];
    char *norm = tn + 3 <= sizeof small ? small : xmalloc(tn + 3);
    size_t n = 0;
    norm[n++] = ' ';
    int nwords = 0;
    for (size_t i = 0; i < tn;) {
        unsigned char c = (unsigned char)text[i];
        if (!is_word_byte(c)) {
            i++;
            continue;
        }
        if (nwords > 0) norm[n++] = ' ';
        while (i < tn && is_word_byte((unsigned char)text[i])) {
            char ch = text[i++];
            if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
            norm[n++] = ch;
        }
        nwords++;
    }
    if (nwords > 0) norm[n++] = ' ';
    norm[n] = '\0';

    if (nwords == 0) {
        /* no words: a fixed unit vector, the same for every empty text */
        out[hash64("", 0, 7) % (uint64_t)dim] = 1.0f;
        goto out;
    }
    /* word unigrams and bigrams: walk word boundaries in norm */
    size_t prev_start = 0, prev_len = 0;
    for (size_t i = 1; i < n;) {
        size_t start = i;
        while (i < n && norm[i] != ' ') i++;
        size_t len = i - start;
        add_feature(out, dim, norm + start, len, 1, W_UNIGRAM);
        if (prev_len) /* "w1 w2" is contiguous in norm */
            add_feature(out, dim, norm + prev_start, start + len - prev_start, 2, W_BIGRAM);
        prev_start = start;
        prev_len = len;
        i++; /* skip the space */
    }
    /* character n-grams over the whole normalised text, spaces included */
    for (size_t g = 3; g <= 5; g++)
        for (size_t i = 0; i + g <= n; i++) add_feature(out, dim, norm + i, g, 10 + g, W_CHARGRAM);

    /* damp coordinates that many features hit (frequent words and grams such
     * as "the" in every English sentence): sign(x) * sqrt(|x|) */
    for (int i = 0; i < dim; i++) out[i] = out[i] < 0 ? -sqrtf(-out[i]) : sqrtf(out[i]);
    double ss = 0;
    for (int i = 0; i < dim; i++) ss += (double)out[i] * out[i];
    if (ss <= 0) { /* every feature cancelled: vanishingly rare, stay a unit vector */
        out[hash64(norm, n, 7) % (uint64_t)dim] = 1.0f;
        goto out;
    }
    float inv = (float)(1.0 / sqrt(ss));
    for (int i = 0; i < dim; i++) out[i] *= inv;
out:
    if (norm != small) free(norm);
}

double sim_embed_cosine(const float *a, const float *b, int dim)
{
    double d = 0;
    for (int i = 0; i < dim; i++) d += (double)a[i] * b[i];
    return d;
}
