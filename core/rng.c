/* rng: xoshiro256** seeded through splitmix64; see rng.h. */
#include "core/rng.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

uint64_t rng_derive(uint64_t base, const char *label, uint64_t index)
{
    uint64_t h = hash64(label, strlen(label), base);
    return mix64(h ^ mix64(index + 0x632be59bd9b4e019ULL));
}

void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        r->s[i] = mix64(x);
    }
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
    if (n == 0) return 0; /* contract violation; avoid a division by zero */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = rng_next(r);
    while (x >= limit);
    return x % n;
}

double rng_normal(struct rng *r)
{
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static void swap_bytes(unsigned char *x, unsigned char *y, size_t sz)
{
    unsigned char tmp[256];
    while (sz) {
        size_t k = sz < sizeof tmp ? sz : sizeof tmp;
        memcpy(tmp, x, k);
        memcpy(x, y, k);
        memcpy(y, tmp, k);
        x += k;
        y += k;
        sz -= k;
    }
}

void rng_shuffle(struct rng *r, void *base, size_t n, size_t sz)
{
    unsigned char *a = base;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);
        if (j != i - 1) swap_bytes(a + (i - 1) * sz, a + j * sz, sz);
    }
}

void *rng_gsl_new(uint64_t seed)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    if (!g) {
        fprintf(stderr, "gra: fatal: out of memory allocating a GSL random generator\n");
        abort();
    }
    gsl_rng_set(g, (unsigned long)(mix64(seed) & 0xffffffffUL));
    return g;
}
