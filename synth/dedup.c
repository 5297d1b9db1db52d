/*
 * dedup: greedy near-duplicate filter (embedding cosine or MinHash + LSH).
 *
 * Embedding. Kept vectors (unit length) live in one contiguous float matrix cut
 * into panels of DEDUP_LANES rows stored dimension-major inside the panel
 * (element d of lane j at panel[d * LANES + j]). Scoring a query against a panel
 * is then a run of independent per-lane multiply-adds that the compiler maps to
 * SIMD registers without reassociating anything: each lane sums q[d] * row[d]
 * in increasing d, exactly like the scalar dot used for the rows a batch adds to
 * itself, so a batch and one-at-a-time calls decide identically. The greedy walk
 * is memory bound when done one query at a time (the whole matrix streams past
 * for each query); dedup_check_add_many() scores DEDUP_BATCH queries against
 * each panel while it is in cache, then resolves the batch in order.
 *
 * MinHash. Shingles are hashed once (hash64), then num_perm multiply-shift hashes
 * h_j(x) = (a_j x + b_j) >> 32 with odd a_j give a 32-bit signature. LSH puts
 * each kept item in b buckets keyed by the hash of its band's r rows; one
 * open-addressing table (64-bit key -> head of a chain) holds every band, the
 * chains run through next[item * b + band]. A candidate is verified with the
 * estimated Jaccard over all num_perm rows, each candidate once per query.
 */
#include "synth/dedup.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/rng.h"

/* Function multi-versioning (GCC on x86-64): the loader picks the AVX-512 or
 * AVX2 build of the two hot loops; elsewhere the portable build. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DEDUP_CLONES(...) __attribute__((target_clones(__VA_ARGS__)))
#else
#define DEDUP_CLONES(...)
#endif

#define DEDUP_LANES 16
#define DEDUP_BATCH 64
#define DEDUP_NONE UINT32_MAX

enum dedup_kind { DEDUP_EMBEDDING, DEDUP_MINHASH };

/* One LSH bucket: key and chain head in one cache line access. */
struct slot {
    uint64_t key;
    uint32_t head;
};

struct dedup {
    enum dedup_kind kind;
    double threshold;
    size_t n; /* items kept */

    /* embedding */
    int dim;
    float *panels;     /* n_panels_cap * dim * LANES, 64-byte aligned, zero-filled */
    size_t panels_cap; /* panels allocated */
    float *qbuf;       /* DEDUP_BATCH * dim normalised queries */
    float *qmax;       /* DEDUP_BATCH running maxima */

    /* minhash */
    int num_perm, shingle_chars, bands, rows;
    uint64_t seed;
    uint64_t *ha, *hb; /* num_perm multiply-shift coefficients */
    uint32_t *sigs;    /* n * num_perm */
    size_t sigs_cap;   /* items */
    uint32_t *sig_tmp; /* num_perm, the query's signature */
    uint64_t *bkeys;   /* bands: the band keys of sig_tmp (band_keys) */
    struct slot *tab;  /* open addressing, tab_cap slots; key 0 = empty */
    size_t tab_cap, tab_used;
    uint32_t *next;  /* n * bands chain links */
    uint32_t *stamp; /* per kept item: last query that verified it */
    uint32_t query_no;
    char *norm; /* normalisation scratch */
    size_t norm_cap;
};

/* ---------- embedding ---------- */

typedef float v8sf __attribute__((vector_size(32)));

/* Lane dots of one query against one panel. No contraction (ISO C mode), so the
 * AVX2 clone and the generic one compute bit-identical sums. */
DEDUP_CLONES("avx2", "default")
static void panel_dot1(const float *panel, const float *q, int dim, float out[DEDUP_LANES])
{
    v8sf a0 = {0}, a1 = {0};
    for (int k = 0; k < dim; k++) {
        const v8sf *p = (const v8sf *)(const void *)(panel + (size_t)k * DEDUP_LANES);
        float s = q[k];
        a0 += p[0] * s;
        a1 += p[1] * s;
    }
    memcpy(out, &a0, sizeof a0);
    memcpy(out + 8, &a1, sizeof a1);
}

/* Two queries share each panel load. */
DEDUP_CLONES("avx2", "default")
static void panel_dot2(const float *panel, const float *q0, const float *q1, int dim,
                       float o0[DEDUP_LANES], float o1[DEDUP_LANES])
{
    v8sf a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0};
    for (int k = 0; k < dim; k++) {
        const v8sf *p = (const v8sf *)(const void *)(panel + (size_t)k * DEDUP_LANES);
        float s = q0[k], t = q1[k];
        a0 += p[0] * s;
        a1 += p[1] * s;
        b0 += p[0] * t;
        b1 += p[1] * t;
    }
    memcpy(o0, &a0, sizeof a0);
    memcpy(o0 + 8, &a1, sizeof a1);
    memcpy(o1, &b0, sizeof b0);
    memcpy(o1 + 8, &b1, sizeof b1);
}

/* The same sum as a panel lane, for one stored row. */
static float row_dot(const struct dedup *d, size_t row, const float *q)
{
    const float *panel = d->panels + (row / DEDUP_LANES) * (size_t)d->dim * DEDUP_LANES;
    size_t lane = row % DEDUP_LANES;
    float s = 0.0f;
    for (int k = 0; k < d->dim; k++) s += panel[(size_t)k * DEDUP_LANES + lane] * q[k];
    return s;
}

static float *panel_at(const struct dedup *d, size_t p)
{
    return d->panels + p * (size_t)d->dim * DEDUP_LANES;
}

static void normalise(const float *in, int dim, float *out)
{
    double ss = 0;
    for (int k = 0; k < dim; k++) ss += (double)in[k] * in[k];
    if (!(ss > 0) || !isfinite(ss)) {
        memset(out, 0, sizeof(float) * (size_t)dim);
        return;
    }
    double inv = 1.0 / sqrt(ss);
    for (int k = 0; k < dim; k++) out[k] = (float)(in[k] * inv);
}

static void emb_append(struct dedup *d, const float *unit)
{
    size_t p = d->n / DEDUP_LANES, lane = d->n % DEDUP_LANES;
    size_t psz = (size_t)d->dim * DEDUP_LANES;
    if (p >= d->panels_cap) {
        size_t ncap = d->panels_cap ? d->panels_cap * 2 : 16;
        float *np = NULL;
        if (posix_memalign((void **)&np, 64, ncap * psz * sizeof(float)) != 0 || !np) abort();
        if (d->panels_cap) memcpy(np, d->panels, d->panels_cap * psz * sizeof(float));
        memset(np + d->panels_cap * psz, 0, (ncap - d->panels_cap) * psz * sizeof(float));
        free(d->panels);
        d->panels = np;
        d->panels_cap = ncap;
    }
    float *panel = panel_at(d, p);
    for (int k = 0; k < d->dim; k++) panel[(size_t)k * DEDUP_LANES + lane] = unit[k];
    d->n++;
}

/* Running maxima of nq queries (normalised, in q, row stride dim) over the
 * first nrows kept rows. */
static void emb_scan(const struct dedup *d, const float *q, size_t nq, size_t nrows, float *maxv)
{
    float o0[DEDUP_LANES], o1[DEDUP_LANES];
    size_t dim = (size_t)d->dim;
    for (size_t p = 0; p * DEDUP_LANES < nrows; p++) {
        const float *panel = panel_at(d, p);
        size_t lanes = nrows - p * DEDUP_LANES;
        if (lanes > DEDUP_LANES) lanes = DEDUP_LANES;
        size_t i = 0;
        for (; i + 1 < nq; i += 2) {
            panel_dot2(panel, q + i * dim, q + (i + 1) * dim, d->dim, o0, o1);
            for (size_t j = 0; j < lanes; j++) {
                if (o0[j] > maxv[i]) maxv[i] = o0[j];
                if (o1[j] > maxv[i + 1]) maxv[i + 1] = o1[j];
            }
        }
        if (i < nq) {
            panel_dot1(panel, q + i * dim, d->dim, o0);
            for (size_t j = 0; j < lanes; j++)
                if (o0[j] > maxv[i]) maxv[i] = o0[j];
        }
    }
}

struct dedup *dedup_new_embedding(int dim, double threshold)
{
    if (dim <= 0 || dim > (1 << 20) || !(threshold > -1.0 && threshold <= 1.0)) return NULL;
    struct dedup *d = xcalloc(1, sizeof *d);
    d->kind = DEDUP_EMBEDDING;
    d->dim = dim;
    d->threshold = threshold;
    d->qbuf = xmalloc(sizeof(float) * (size_t)dim * DEDUP_BATCH);
    d->qmax = xmalloc(sizeof(float) * DEDUP_BATCH);
    return d;
}

static void emb_check_many(struct dedup *d, size_t n, const float *embs, bool *kept)
{
    size_t dim = (size_t)d->dim;
    for (size_t start = 0; start < n; start += DEDUP_BATCH) {
        size_t nb = n - start < DEDUP_BATCH ? n - start : DEDUP_BATCH;
        for (size_t i = 0; i < nb; i++) {
            normalise(embs + (start + i) * dim, d->dim, d->qbuf + i * dim);
            d->qmax[i] = -2.0f;
        }
        size_t n0 = d->n;
        emb_scan(d, d->qbuf, nb, n0, d->qmax);
        for (size_t i = 0; i < nb; i++) {
            const float *q = d->qbuf + i * dim;
            float m = d->qmax[i];
            for (size_t r = n0; r < d->n && !(m >= d->threshold); r++) {
                float s = row_dot(d, r, q);
                if (s > m) m = s;
            }
            kept[start + i] = !(m >= d->threshold);
            if (kept[start + i]) emb_append(d, q);
        }
    }
}

/* ---------- minhash ---------- */

/* Lowercase ASCII letters and digits, bytes >= 0x80 kept (UTF-8 text), other
 * punctuation dropped, whitespace runs collapsed to one space, trimmed. */
static size_t normalise_text(const char *s, char **bufp, size_t *capp)
{
    size_t n = strlen(s);
    if (n + 1 > *capp) {
        *capp = n + 64;
        *bufp = xrealloc(*bufp, *capp);
    }
    char *o = *bufp;
    size_t len = 0;
    bool space = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (isspace(c)) {
            space = len > 0;
        } else if (c >= 0x80 || isalnum(c)) {
            if (space) o[len++] = ' ';
            space = false;
            o[len++] = (char)tolower(c);
        }
    }
    o[len] = 0;
    return len;
}

/* Calls fn(ctx, shingle_hash) for every character shingle (repeats included);
 * a text shorter than k is one shingle; an empty text has none. */
static void foreach_shingle(const char *norm, size_t len, int k, uint64_t seed,
                            void (*fn)(void *, uint64_t), void *ctx)
{
    if (len == 0) return;
    if (len <= (size_t)k) {
        fn(ctx, hash64(norm, len, seed));
        return;
    }
    for (size_t i = 0; i + (size_t)k <= len; i++) fn(ctx, hash64(norm + i, (size_t)k, seed));
}

struct sig_ctx {
    uint32_t *sig;
    const uint64_t *a, *b;
    int k;
};

/* 64-bit multiplies vectorise with AVX-512 (vpmullq); the clones compute
 * identical values. */
DEDUP_CLONES("arch=skylake-avx512", "avx2", "default")
static void sig_update(void *vctx, uint64_t x)
{
    struct sig_ctx *c = vctx;
    uint32_t *restrict sig = c->sig;
    const uint64_t *restrict a = c->a, *restrict b = c->b;
    const int k = c->k;
    for (int j = 0; j < k; j++) {
        uint32_t v = (uint32_t)((a[j] * x + b[j]) >> 32);
        sig[j] = v < sig[j] ? v : sig[j];
    }
}

static void coefficients(int num_perm, uint64_t seed, uint64_t *a, uint64_t *b)
{
    struct rng r;
    rng_seed(&r, rng_derive(seed, "minhash", (uint64_t)num_perm));
    for (int j = 0; j < num_perm; j++) {
        a[j] = rng_next(&r) | 1u;
        b[j] = rng_next(&r);
    }
}

static void signature(struct dedup *d, const char *text, uint32_t *sig)
{
    size_t len = normalise_text(text ? text : "", &d->norm, &d->norm_cap);
    for (int j = 0; j < d->num_perm; j++) sig[j] = UINT32_MAX;
    struct sig_ctx c = {sig, d->ha, d->hb, d->num_perm};
    foreach_shingle(d->norm, len, d->shingle_chars, d->seed, sig_update, &c);
}

/* P(candidate | Jaccard s) = 1 - (1 - s^r)^b, integrated with Simpson's rule. */
static double lsh_area(int b, int r, double lo, double hi, bool miss)
{
    const int steps = 200;
    double h = (hi - lo) / steps, sum = 0;
    for (int i = 0; i <= steps; i++) {
        double s = lo + i * h;
        double p = 1.0 - pow(1.0 - pow(s, r), b);
        double f = miss ? 1.0 - p : p;
        double w = (i == 0 || i == steps) ? 1 : (i % 2 ? 4 : 2);
        sum += w * f;
    }
    return sum * h / 3.0;
}

static void lsh_choose(int num_perm, double t, int *bands, int *rows)
{
    const double w_fp = 0.05, w_fn = 0.95;
    double best = INFINITY;
    *bands = 1;
    *rows = num_perm;
    for (int b = 1; b <= num_perm; b++) {
        for (int r = 1; r <= num_perm / b; r++) {
            double e = w_fp * lsh_area(b, r, 0.0, t, false) + w_fn * lsh_area(b, r, t, 1.0, true);
            if (e < best - 1e-12) {
                best = e;
                *bands = b;
                *rows = r;
            }
        }
    }
}

struct dedup *dedup_new_minhash(int num_perm, int shingle_chars, double threshold, uint64_t seed)
{
    if (num_perm < 1 || num_perm > 4096 || shingle_chars < 1 || shingle_chars > 64 ||
        !(threshold > 0.0 && threshold <= 1.0))
        return NULL;
    struct dedup *d = xcalloc(1, sizeof *d);
    d->kind = DEDUP_MINHASH;
    d->num_perm = num_perm;
    d->shingle_chars = shingle_chars;
    d->threshold = threshold;
    d->seed = seed;
    d->ha = xmalloc(sizeof(uint64_t) * (size_t)num_perm);
    d->hb = xmalloc(sizeof(uint64_t) * (size_t)num_perm);
    coefficients(num_perm, seed, d->ha, d->hb);
    d->sig_tmp = xmalloc(sizeof(uint32_t) * (size_t)num_perm);
    lsh_choose(num_perm, threshold, &d->bands, &d->rows);
    d->bkeys = xmalloc(sizeof(uint64_t) * (size_t)d->bands);
    return d;
}

static uint64_t band_key(const struct dedup *d, const uint32_t *sig, int band)
{
    uint64_t k = hash64(sig + (size_t)band * d->rows, sizeof(uint32_t) * (size_t)d->rows,
                        d->seed ^ mix64((uint64_t)band + 1));
    return k ? k : 1; /* 0 marks an empty slot */
}

/* Slot of key (existing or the empty one where it would go). */
static size_t tab_find(const struct dedup *d, uint64_t key)
{
    size_t mask = d->tab_cap - 1, i = (size_t)mix64(key) & mask;
    while (d->tab[i].key && d->tab[i].key != key) i = (i + 1) & mask;
    return i;
}

static void tab_grow(struct dedup *d)
{
    size_t ocap = d->tab_cap;
    struct slot *old = d->tab;
    d->tab_cap = ocap ? ocap * 2 : 1024;
    d->tab = xcalloc(d->tab_cap, sizeof *d->tab);
    for (size_t i = 0; i < ocap; i++)
        if (old[i].key) d->tab[tab_find(d, old[i].key)] = old[i];
    free(old);
}

/* The band keys of sig into d->bkeys, prefetching their table slots: the
 * lookups that follow are random accesses into a table of n * bands slots. */
static void band_keys(struct dedup *d, const uint32_t *sig)
{
    for (int band = 0; band < d->bands; band++) {
        uint64_t key = band_key(d, sig, band);
        d->bkeys[band] = key;
        if (d->tab_cap) __builtin_prefetch(&d->tab[(size_t)mix64(key) & (d->tab_cap - 1)]);
    }
}

/* Remember sig; d->bkeys must hold its band keys. */
static void mh_append(struct dedup *d, const uint32_t *sig)
{
    size_t k = (size_t)d->num_perm, b = (size_t)d->bands;
    if (d->n >= d->sigs_cap) {
        d->sigs_cap = d->sigs_cap ? d->sigs_cap * 2 : 1024;
        d->sigs = xrealloc(d->sigs, d->sigs_cap * k * sizeof(uint32_t));
        d->next = xrealloc(d->next, d->sigs_cap * b * sizeof(uint32_t));
        d->stamp = xrealloc(d->stamp, d->sigs_cap * sizeof(uint32_t));
    }
    size_t id = d->n;
    memcpy(d->sigs + id * k, sig, k * sizeof(uint32_t));
    d->stamp[id] = 0;
    for (int band = 0; band < d->bands; band++) {
        if ((d->tab_used + 1) * 2 > d->tab_cap) tab_grow(d);
        uint64_t key = d->bkeys[band];
        size_t slot = tab_find(d, key);
        if (!d->tab[slot].key) {
            d->tab[slot].key = key;
            d->tab[slot].head = DEDUP_NONE;
            d->tab_used++;
        }
        d->next[id * b + (size_t)band] = d->tab[slot].head;
        d->tab[slot].head = (uint32_t)id;
    }
    d->n++;
}

static double est_jaccard(const uint32_t *a, const uint32_t *b, int k)
{
    int same = 0;
    for (int j = 0; j < k; j++) same += a[j] == b[j];
    return (double)same / k;
}

/* Largest estimated Jaccard over LSH candidates; stops at the first one at or
 * above stop_at. -1 when there is no candidate. d->bkeys must hold sig's keys. */
static double mh_max(struct dedup *d, const uint32_t *sig, double stop_at)
{
    double best = -1;
    size_t k = (size_t)d->num_perm, b = (size_t)d->bands;
    if (!d->tab_cap) return best;
    if (++d->query_no == 0) { /* wrapped: reset stamps */
        memset(d->stamp, 0, d->n * sizeof(uint32_t));
        d->query_no = 1;
    }
    for (int band = 0; band < d->bands; band++) {
        size_t slot = tab_find(d, d->bkeys[band]);
        if (!d->tab[slot].key) continue;
        for (uint32_t id = d->tab[slot].head; id != DEDUP_NONE;
             id = d->next[id * b + (size_t)band]) {
            if (d->stamp[id] == d->query_no) continue;
            d->stamp[id] = d->query_no;
            double j = est_jaccard(sig, d->sigs + id * k, d->num_perm);
            if (j > best) best = j;
            if (best >= stop_at) return best;
        }
    }
    return best;
}

/* ---------- public ---------- */

bool dedup_check_add(struct dedup *d, const char *text, const float *emb)
{
    bool kept = false;
    dedup_check_add_many(d, 1, &text, emb, &kept);
    return kept;
}

void dedup_check_add_many(struct dedup *d, size_t n, const char *const *texts, const float *embs,
                          bool *kept)
{
    if (d->kind == DEDUP_EMBEDDING) {
        emb_check_many(d, n, embs, kept);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        signature(d, texts[i], d->sig_tmp);
        band_keys(d, d->sig_tmp);
        double m = mh_max(d, d->sig_tmp, d->threshold);
        kept[i] = !(m >= d->threshold);
        if (kept[i]) mh_append(d, d->sig_tmp);
    }
}

void dedup_add(struct dedup *d, const char *text, const float *emb)
{
    if (d->kind == DEDUP_EMBEDDING) {
        normalise(emb, d->dim, d->qbuf);
        emb_append(d, d->qbuf);
    } else {
        signature(d, text, d->sig_tmp);
        band_keys(d, d->sig_tmp);
        mh_append(d, d->sig_tmp);
    }
}

double dedup_max_similarity(struct dedup *d, const char *text, const float *emb)
{
    if (d->kind == DEDUP_EMBEDDING) {
        normalise(emb, d->dim, d->qbuf);
        d->qmax[0] = -2.0f;
        emb_scan(d, d->qbuf, 1, d->n, d->qmax);
        return d->qmax[0];
    }
    signature(d, text, d->sig_tmp);
    band_keys(d, d->sig_tmp);
    return mh_max(d, d->sig_tmp, INFINITY);
}

size_t dedup_count(const struct dedup *d)
{
    return d->n;
}

const char *dedup_method(const struct dedup *d)
{
    return d->kind == DEDUP_EMBEDDING ? "embedding" : "minhash";
}

void dedup_lsh_params(const struct dedup *d, int *bands, int *rows)
{
    *bands = d->kind == DEDUP_MINHASH ? d->bands : 0;
    *rows = d->kind == DEDUP_MINHASH ? d->rows : 0;
}

double dedup_minhash_jaccard(const char *a, const char *b, int num_perm, int shingle_chars,
                             uint64_t seed)
{
    struct dedup *d = dedup_new_minhash(num_perm, shingle_chars, 0.5, seed);
    if (!d) return -1;
    uint32_t *sa = xmalloc(sizeof(uint32_t) * (size_t)num_perm);
    uint32_t *sb = xmalloc(sizeof(uint32_t) * (size_t)num_perm);
    signature(d, a, sa);
    signature(d, b, sb);
    double j = est_jaccard(sa, sb, num_perm);
    free(sa);
    free(sb);
    dedup_free(d);
    return j;
}

struct hset {
    uint64_t *v;
    size_t n, cap;
};

static void hset_push(void *ctx, uint64_t x)
{
    struct hset *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = xrealloc(s->v, s->cap * sizeof(uint64_t));
    }
    s->v[s->n++] = x;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void hset_of(const char *text, int k, struct hset *s)
{
    char *buf = NULL;
    size_t cap = 0;
    size_t len = normalise_text(text ? text : "", &buf, &cap);
    foreach_shingle(buf, len, k, 0, hset_push, s);
    free(buf);
    if (!s->n) return;
    qsort(s->v, s->n, sizeof(uint64_t), cmp_u64);
    size_t u = 1;
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i] != s->v[u - 1]) s->v[u++] = s->v[i];
    s->n = u;
}

double dedup_exact_jaccard(const char *a, const char *b, int shingle_chars)
{
    struct hset sa = {0}, sb = {0};
    hset_of(a, shingle_chars, &sa);
    hset_of(b, shingle_chars, &sb);
    size_t i = 0, j = 0, inter = 0;
    while (i < sa.n && j < sb.n) {
        if (sa.v[i] == sb.v[j]) {
            inter++;
            i++;
            j++;
        } else if (sa.v[i] < sb.v[j]) {
            i++;
        } else {
            j++;
        }
    }
    size_t uni = sa.n + sb.n - inter;
    free(sa.v);
    free(sb.v);
    return uni ? (double)inter / (double)uni : 1.0; /* two empty texts are equal */
}

void dedup_free(struct dedup *d)
{
    if (!d) return;
    free(d->panels);
    free(d->qbuf);
    free(d->qmax);
    free(d->ha);
    free(d->hb);
    free(d->sigs);
    free(d->sig_tmp);
    free(d->bkeys);
    free(d->tab);
    free(d->next);
    free(d->stamp);
    free(d->norm);
    free(d);
}
