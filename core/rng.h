/*
 * rng: seeded random streams. Every random choice in gra comes from a stream
 * derived from the run seed carried in the config and a stream name, so the
 * same config gives the same choices whatever the completion order:
 *
 *     struct rng r;  rng_seed(&r, rng_derive(cfg_seed, "sample", sample_id));
 *
 * The generator is xoshiro256** (small state, embeddable, no allocation). For
 * GSL's distributions use rng_gsl_new(), one gsl_rng per stream.
 */
#ifndef GRA_RNG_H
#define GRA_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* A seed for a named sub-stream: mixes base, the label and an index. */
uint64_t rng_derive(uint64_t base, const char *label, uint64_t index);
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform double in [0, 1). */
double rng_uniform(struct rng *r);
/* Uniform integer in [0, n); n > 0. Unbiased (rejection). */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Standard normal (Box-Muller). */
double rng_normal(struct rng *r);
/* Fisher-Yates shuffle of n elements of size sz. */
void rng_shuffle(struct rng *r, void *base, size_t n, size_t sz);

/* A gsl_rng (mt19937) seeded from seed; free with gsl_rng_free(). Returned as
 * void * so that this header does not pull in GSL. */
void *rng_gsl_new(uint64_t seed);

#endif
