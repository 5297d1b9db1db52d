/*
 * text: lexical diversity measures for the data-level section: distinct-n
 * over word n-grams and a small MinHash (character 5-gram shingles, 128
 * permutations, LSH 16 bands x 8 rows) for the near-duplicate rate
 * (research/perf-stats.md B and D). Short instructions need character
 * shingles: word 5-grams of a 15-word instruction are too few to estimate a
 * Jaccard similarity (B.4). Kept inside reports so the module depends only
 * on core (synth has its own dedup for filtering; this one only measures).
 */
#include "reports/text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hash.h"

/* ---- a set of 64-bit hashes (open addressing, 0 is the empty slot) ---- */
struct u64set {
    uint64_t *v;
    size_t cap, len;
};

static void u64set_add(struct u64set *s, uint64_t x)
{
    if (x == 0) x = 1;
    if ((s->len + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 1024;
        uint64_t *nv = xcalloc(ncap, sizeof *nv);
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i]) {
                size_t j = (size_t)mix64(s->v[i]) & (ncap - 1);
                while (nv[j]) j = (j + 1) & (ncap - 1);
                nv[j] = s->v[i];
            }
        free(s->v);
        s->v = nv;
        s->cap = ncap;
    }
    size_t j = (size_t)mix64(x) & (s->cap - 1);
    while (s->v[j]) {
        if (s->v[j] == x) return;
        j = (j + 1) & (s->cap - 1);
    }
    s->v[j] = x;
    s->len++;
}

/* lowercase alphanumeric words (bytes >= 0x80 count as word bytes) */
static size_t words_of(const char *s, uint64_t **out)
{
    size_t n = 0, cap = 0;
    uint64_t *w = NULL;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        while (*p && !(isalnum(*p) || *p >= 0x80)) p++;
        if (!*p) break;
        char tok[256];
        size_t k = 0;
        while (*p && (isalnum(*p) || *p >= 0x80)) {
            if (k < sizeof tok) tok[k++] = (char)tolower(*p);
            p++;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            w = xrealloc(w, cap * sizeof *w);
        }
        w[n++] = hash64(tok, k, 0x776f7264);
    }
    *out = w;
    return n;
}

void text_distinct(const char *const *texts, size_t n, double out[3], size_t words_total[1])
{
    struct u64set sets[3] = {{0}};
    size_t total[3] = {0, 0, 0};
    size_t nw_all = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t *w;
        size_t nw = words_of(texts[i] ? texts[i] : "", &w);
        nw_all += nw;
        for (int g = 0; g < 3; g++)
            for (size_t k = 0; k + (size_t)g < nw; k++) {
                uint64_t h = (uint64_t)g + 1;
                for (int q = 0; q <= g; q++)
                    h = mix64(h * 0x9e3779b97f4a7c15ULL ^ w[k + (size_t)q]);
                u64set_add(&sets[g], h);
                total[g]++;
            }
        free(w);
    }
    for (int g = 0; g < 3; g++) {
        out[g] = total[g] ? (double)sets[g].len / (double)total[g] : 0.0;
        free(sets[g].v);
    }
    if (words_total) words_total[0] = nw_all;
}

/* normalised text: lowercase, runs of whitespace as one space, trimmed */
static char *normalise(const char *s)
{
    size_t n = strlen(s);
    char *o = xmalloc(n + 1);
    size_t k = 0;
    int sp = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isspace(*p)) {
            sp = k > 0;
            continue;
        }
        if (sp) o[k++] = ' ';
        sp = 0;
        o[k++] = (char)tolower(*p);
    }
    o[k] = 0;
    return o;
}

static void signature(const char *text, uint64_t sig[TEXT_MH_PERMS])
{
    static uint64_t salt[TEXT_MH_PERMS];
    static int have_salt;
    if (!have_salt) {
        for (int i = 0; i < TEXT_MH_PERMS; i++) salt[i] = mix64(0x6d696e68617368ULL + (uint64_t)i);
        have_salt = 1;
    }
    for (int i = 0; i < TEXT_MH_PERMS; i++) sig[i] = UINT64_MAX;
    char *t = normalise(text);
    size_t n = strlen(t);
    size_t k = n < TEXT_MH_SHINGLE ? n : TEXT_MH_SHINGLE;
    /* texts shorter than a shingle are one shingle (the empty text included) */
    for (size_t i = 0; i + k <= n; i++) {
        uint64_t h = hash64(t + i, k, 0x7368696e);
        for (int p = 0; p < TEXT_MH_PERMS; p++) {
            uint64_t v = mix64(h ^ salt[p]);
            if (v < sig[p]) sig[p] = v;
        }
        if (k == 0) break;
    }
    free(t);
}

struct band_key {
    uint64_t h;
    size_t rec;
};

static int cmp_band(const void *x, const void *y)
{
    const struct band_key *a = x, *b = y;
    if (a->h != b->h) return a->h < b->h ? -1 : 1;
    return a->rec < b->rec ? -1 : (a->rec > b->rec);
}

void text_minhash_neardup(const char *const *texts, size_t n, double threshold,
                          struct text_neardup *out)
{
    memset(out, 0, sizeof *out);
    out->threshold = threshold;
    if (n < 2) return;
    uint64_t *sig = xmalloc(n * TEXT_MH_PERMS * sizeof *sig);
    for (size_t i = 0; i < n; i++) signature(texts[i] ? texts[i] : "", sig + i * TEXT_MH_PERMS);
    unsigned char *dup = xcalloc(n, 1);
    struct band_key *keys = xmalloc(n * sizeof *keys);
    int need = (int)(threshold * TEXT_MH_PERMS + 0.999999);
    for (int b = 0; b < TEXT_MH_BANDS; b++) {
        for (size_t i = 0; i < n; i++) {
            keys[i].h = hash64(sig + i * TEXT_MH_PERMS + b * TEXT_MH_ROWS,
                               TEXT_MH_ROWS * sizeof(uint64_t), (uint64_t)b);
            keys[i].rec = i;
        }
        qsort(keys, n, sizeof *keys, cmp_band);
        for (size_t s = 0; s < n;) {
            size_t e = s + 1;
            while (e < n && keys[e].h == keys[s].h) e++;
            size_t lim = e - s > 2000 ? s + 2000 : e; /* a huge bucket: exact copies, sampled */
            if (e - s > 2000) out->capped_buckets++;
            for (size_t x = s; x < lim; x++)
                for (size_t y = x + 1; y < lim; y++) {
                    const uint64_t *p = sig + keys[x].rec * TEXT_MH_PERMS,
                                   *q = sig + keys[y].rec * TEXT_MH_PERMS;
                    int eq = 0;
                    for (int k = 0; k < TEXT_MH_PERMS; k++) eq += p[k] == q[k];
                    out->candidate_pairs++;
                    if (eq >= need) {
                        dup[keys[x].rec] = dup[keys[y].rec] = 1;
                    }
                }
            s = e;
        }
    }
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) nd += dup[i];
    out->n_near_dup = nd;
    out->rate = (double)nd / (double)n;
    free(sig);
    free(dup);
    free(keys);
}
