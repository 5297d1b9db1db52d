/*
 * hash: content hashes (sha256 through OpenSSL libcrypto) and fast 64-bit
 * hashes for in-memory use (MinHash, sim seeds). sha256 is what goes into
 * files (cache keys, provenance, prompt hashes); the 64-bit hashes never do
 * unless stated.
 */
#ifndef GRA_HASH_H
#define GRA_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

/* sha256 of data as 64 lowercase hex digits + NUL into out[65]. */
void sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1]);

/* Incremental sha256; free the context by calling sha256_final. */
struct sha256_ctx;
struct sha256_ctx *sha256_begin(void);
void sha256_update(struct sha256_ctx *c, const void *data, size_t n);
void sha256_final(struct sha256_ctx *c, char out[SHA256_HEX_LEN + 1]);

/* sha256 of a file's bytes; 0 or GRA_EIO. */
int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1]);

/* 64-bit FNV-1a followed by a splitmix64 finaliser: fast, well mixed, stable. */
uint64_t hash64(const void *data, size_t n, uint64_t seed);
/* splitmix64 mixing step. */
uint64_t mix64(uint64_t x);

#endif
