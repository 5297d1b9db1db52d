/* hash: see hash.h. */
#include "core/hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

struct sha256_ctx {
    EVP_MD_CTX *md;
};

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

struct sha256_ctx *sha256_begin(void)
{
    struct sha256_ctx *c = xmalloc(sizeof *c);
    c->md = EVP_MD_CTX_new();
    if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
        fprintf(stderr, "gra: fatal: OpenSSL sha256 unavailable\n");
        abort();
    }
    return c;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t n)
{
    EVP_DigestUpdate(c->md, data, n);
}

void sha256_final(struct sha256_ctx *c, char out[SHA256_HEX_LEN + 1])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(c->md, d, &n);
    to_hex(d, n, out);
    EVP_MD_CTX_free(c->md);
    free(c);
}

/* OpenSSL 3 looks an algorithm up on every EVP_sha256() use; fetch it once.
 * The fetched object is immutable and shared, so threads may use it. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    pthread_once(&sha256_once, sha256_fetch);
    EVP_Digest(data, n, d, &dn, sha256_md ? sha256_md : EVP_sha256(), NULL);
    to_hex(d, dn, out);
}

int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1])
{
    FILE *f = fopen(path, "rb");
    if (!f) return err(GRA_EIO, "cannot open %s: %s", path, strerror(errno));
    struct sha256_ctx *c = sha256_begin();
    char blk[65536];
    size_t n;
    while ((n = fread(blk, 1, sizeof blk, f)) > 0) sha256_update(c, blk, n);
    int bad = ferror(f);
    fclose(f);
    sha256_final(c, out);
    if (bad) return err(GRA_EIO, "cannot read %s", path);
    return 0;
}

uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t hash64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ mix64(seed);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}
