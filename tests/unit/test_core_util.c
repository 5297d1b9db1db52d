/*
 * test_core_util: the small core pieces every stage leans on: buf (growth,
 * size limit, JSON escaping), fileio (atomic write, gzip read, mkdirs, JSON and
 * JSONL reading with line numbers, torn-tail repair), rng (determinism pinned
 * to fixed values, rng_below bounds and uniformity, shuffles), hash (sha256
 * test vectors) and err (exit-code table).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the four headers above first */
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/rng.h"

static char *tmp_path(const char *name)
{
    const char *t = getenv("GRA_TEST_TMP");
    char *dir = xasprintf("%s/core_util.%ld", t && *t ? t : "/tmp", (long)getpid());
    assert_int_equal(fileio_mkdirs(dir), 0);
    char *p = path_join(dir, name);
    free(dir);
    return p;
}

static char *slurp(const char *path)
{
    char *d = NULL;
    size_t n = 0;
    assert_int_equal(fileio_read(path, &d, &n), 0);
    return d;
}

/* ---- buf ---- */
static void test_buf_growth(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_string_equal(b.data, "");
    assert_int_equal(b.len, 0);
    for (int i = 0; i < 10000; i++) assert_int_equal(buf_appendf(&b, "%d,", i % 10), 0);
    assert_int_equal(b.len, 20000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data, "0,1,2,3,", 8);
    /* a long formatted string takes the second vsnprintf path */
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(buf_appendf(&b, "<%s>", big), 0);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.data[1000], '>');
    size_t len;
    char *s = buf_detach(&b, &len);
    assert_int_equal(len, 1001);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    free(s);
    /* detaching an empty buffer still gives a heap string */
    s = buf_detach(&b, NULL);
    assert_string_equal(s, "");
    free(s);
    buf_release(&b);
    buf_release(&b); /* twice is fine */
}

static void test_buf_limit(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_puts(&b, "12345"), 0);
    assert_int_equal(buf_puts(&b, "67890"), 0);
    assert_int_equal(buf_putc(&b, 'x'), -1); /* would exceed: nothing appended */
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "1234567890");
    buf_reset(&b);
    assert_int_equal(buf_appendf(&b, "%s", "0123456789A"), -1);
    assert_int_equal(b.len, 0);
    char big[300];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(buf_appendf(&b, "%s", big), -1); /* the long path checks too */
    assert_int_equal(b.len, 0);
    buf_release(&b);
    assert_int_equal(b.max, 10); /* release keeps the limit */
}

static void test_buf_json_escape(void **state)
{
    (void)state;
    const char raw[] = "q\"b\\n\nr\rt\tb\bf\f\x01\x1f\x7f \xc3\xa9 end";
    size_t n = sizeof raw - 1;
    struct buf b = BUF_INIT;
    buf_put_json_string(&b, raw, n);
    assert_string_equal(b.data,
                        "\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\f\\u0001\\u001f\x7f \xc3\xa9 end\"");
    /* round trip through a JSON parser */
    cJSON *j = cJSON_Parse(b.data);
    assert_non_null(j);
    assert_true(cJSON_IsString(j));
    assert_string_equal(j->valuestring, raw);
    cJSON_Delete(j);
    /* embedded NUL is escaped, not a terminator */
    buf_reset(&b);
    buf_put_json_string(&b, "a\0b", 3);
    assert_string_equal(b.data, "\"a\\u0000b\"");
    buf_reset(&b);
    buf_put_json_string(&b, "", 0);
    assert_string_equal(b.data, "\"\"");
    buf_release(&b);
}

/* ---- fileio ---- */
static void test_atomic_write(void **state)
{
    (void)state;
    char *p = tmp_path("atomic.txt");
    assert_int_equal(fileio_write_atomic(p, "first\n", 6), 0);
    char *d = slurp(p);
    assert_string_equal(d, "first\n");
    free(d);
    assert_int_equal(fileio_write_atomic(p, "second", 6), 0);
    d = slurp(p);
    assert_string_equal(d, "second");
    free(d);
    /* no temporary file is left behind */
    char *tmp = xasprintf("%s.tmp.%ld", p, (long)getpid());
    assert_false(fileio_exists(tmp));
    free(tmp);
    /* binary with NULs, and an empty file */
    assert_int_equal(fileio_write_atomic(p, "a\0b", 3), 0);
    size_t n;
    assert_int_equal(fileio_read(p, &d, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(d, "a\0b", 3);
    free(d);
    assert_int_equal(fileio_write_atomic(p, "", 0), 0);
    assert_int_equal(fileio_read(p, &d, &n), 0);
    assert_int_equal(n, 0);
    assert_string_equal(d, "");
    free(d);
    unlink(p);
    /* into a missing directory: an error, logged */
    char *bad = tmp_path("no/such/dir/x");
    int saved_level = gra_log_level;
    gra_log_level = -1;
    assert_int_equal(fileio_write_atomic(bad, "x", 1), GRA_EIO);
    assert_int_equal(fileio_read(bad, &d, &n), GRA_EIO);
    gra_log_level = saved_level;
    free(bad);
    free(p);
}

static void test_gzip_read(void **state)
{
    (void)state;
    char *p = tmp_path("data.jsonl.gz");
    gzFile g = gzopen(p, "wb");
    assert_non_null(g);
    for (int i = 0; i < 5000; i++) gzprintf(g, "{\"i\": %d}\n", i);
    gzclose(g);
    char *d;
    size_t n;
    assert_int_equal(fileio_read(p, &d, &n), 0);
    assert_true(n > 5000 * 9);
    assert_memory_equal(d, "{\"i\": 0}\n{\"i\": 1}\n", 18);
    assert_int_equal(strlen(d), n);
    free(d);
    unlink(p);
    free(p);
}

static void test_mkdirs(void **state)
{
    (void)state;
    char *p = tmp_path("a/b/c/");
    assert_int_equal(fileio_mkdirs(p), 0);
    assert_int_equal(fileio_mkdirs(p), 0); /* exists already */
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    int saved_level = gra_log_level;
    gra_log_level = -1;
    assert_int_equal(fileio_mkdirs(""), GRA_EIO);
    /* a file in the way is an error, not success */
    char *f = tmp_path("a/file");
    assert_int_equal(fileio_write_atomic(f, "x", 1), 0);
    char *under = xasprintf("%s/sub", f);
    assert_int_equal(fileio_mkdirs(under), GRA_EIO);
    assert_int_equal(fileio_mkdirs(f), GRA_EIO);
    gra_log_level = saved_level;
    unlink(f);
    free(under);
    free(f);
    free(p);

    char *j = path_join("dir", "x");
    assert_string_equal(j, "dir/x");
    free(j);
    j = path_join("dir/", "x");
    assert_string_equal(j, "dir/x");
    free(j);
    j = path_join("dir", "/abs");
    assert_string_equal(j, "/abs");
    free(j);
    j = path_join("", "x");
    assert_string_equal(j, "x");
    free(j);
}

static void test_json_read_file(void **state)
{
    (void)state;
    char *p = tmp_path("doc.json");
    cJSON *j = NULL;
    const char *bom = "\xef\xbb\xbf{\"a\": [1, 2]}\n";
    assert_int_equal(fileio_write_atomic(p, bom, strlen(bom)), 0);
    assert_int_equal(json_read_file(p, &j), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "a")), 2);
    cJSON_Delete(j);
    int saved_level = gra_log_level;
    gra_log_level = -1;
    const char *bad = "{\n  \"a\": 1\n  \"b\": 2\n}\n";
    assert_int_equal(fileio_write_atomic(p, bad, strlen(bad)), 0);
    j = NULL;
    assert_int_equal(json_read_file(p, &j), GRA_EPARSE);
    assert_null(j);
    /* two documents in one file are not one JSON document */
    const char *two = "{\"a\": 1}\n{\"a\": 2}\n";
    assert_int_equal(fileio_write_atomic(p, two, strlen(two)), 0);
    assert_int_equal(json_read_file(p, &j), GRA_EPARSE);
    assert_null(j);
    gra_log_level = saved_level;
    unlink(p);
    free(p);
}

struct seen {
    long lines[16];
    int ok[16];
    char msg[16][160];
    int n;
    int stop_at;
};

static int collect(void *ud, long lineno, cJSON *obj, const char *errmsg)
{
    struct seen *s = ud;
    if (s->n < 16) {
        s->lines[s->n] = lineno;
        s->ok[s->n] = obj != NULL;
        snprintf(s->msg[s->n], sizeof s->msg[0], "%s", errmsg ? errmsg : "");
        if (obj) assert_null(errmsg);
        s->n++;
    }
    return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

static void test_jsonl_foreach(void **state)
{
    (void)state;
    char *p = tmp_path("lines.jsonl");
    const char *text = "\xef\xbb\xbf{\"i\": 1}\n" /* 1: BOM */
                       "\n"                       /* 2: blank, skipped */
                       "{\"i\": 3}\r\n"           /* 3: CRLF */
                       "{\"i\": 4\n"              /* 4: malformed */
                       "   \t\n"                  /* 5: blank */
                       "{\"i\": 6} trailing\n"    /* 6: trailing text */
                       "[1,2]\n"                  /* 7: any JSON value */
                       "{\"i\": 8}";              /* 8: no final newline */
    assert_int_equal(fileio_write_atomic(p, text, strlen(text)), 0);
    struct seen s = {0};
    assert_int_equal(jsonl_foreach(p, collect, &s), 0);
    assert_int_equal(s.n, 6);
    long want_lines[] = {1, 3, 4, 6, 7, 8};
    int want_ok[] = {1, 1, 0, 0, 1, 1};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(s.lines[i], want_lines[i]);
        assert_int_equal(s.ok[i], want_ok[i]);
    }
    assert_non_null(strstr(s.msg[2], "malformed JSON at column"));
    assert_string_equal(s.msg[3], "trailing characters at column 10");

    /* a non-zero return stops the walk and is returned */
    struct seen s2 = {.stop_at = 2};
    assert_int_equal(jsonl_foreach(p, collect, &s2), 7);
    assert_int_equal(s2.n, 2);

    /* an empty file has no lines */
    assert_int_equal(fileio_write_atomic(p, "", 0), 0);
    struct seen s3 = {0};
    assert_int_equal(jsonl_foreach(p, collect, &s3), 0);
    assert_int_equal(s3.n, 0);
    unlink(p);
    free(p);
}

static void test_jsonl_writer_and_repair(void **state)
{
    (void)state;
    char *p = tmp_path("out.jsonl");
    unlink(p);
    assert_int_equal(jsonl_repair_tail(p), 0); /* missing file: 0 lines */
    struct jsonl_writer w;
    assert_int_equal(jsonl_writer_open(&w, p, true), 0);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", "line\nbreak");
    cJSON_AddNumberToObject(o, "n", 1);
    assert_int_equal(jsonl_writer_put(&w, o), 0);
    assert_int_equal(jsonl_writer_put_raw(&w, "{\"n\":2}", 7), 0);
    assert_int_equal(w.lines, 2);
    assert_int_equal(jsonl_writer_close(&w), 0);
    cJSON_Delete(o);
    char *d = slurp(p);
    assert_string_equal(d, "{\"text\":\"line\\nbreak\",\"n\":1}\n{\"n\":2}\n");
    free(d);
    /* complete file: untouched */
    assert_int_equal(jsonl_repair_tail(p), 2);
    d = slurp(p);
    assert_int_equal(strlen(d), 37);
    free(d);
    /* a torn last line (a crash mid-write) is cut */
    FILE *f = fopen(p, "ab");
    fputs("{\"n\":3, \"tru", f);
    fclose(f);
    int saved_level = gra_log_level;
    gra_log_level = -1;
    assert_int_equal(jsonl_repair_tail(p), 2);
    gra_log_level = saved_level;
    d = slurp(p);
    assert_string_equal(d, "{\"text\":\"line\\nbreak\",\"n\":1}\n{\"n\":2}\n");
    free(d);
    /* appending after the repair continues cleanly */
    assert_int_equal(jsonl_writer_open(&w, p, false), 0);
    assert_int_equal(jsonl_writer_put_raw(&w, "{\"n\":3}", 7), 0);
    assert_int_equal(jsonl_writer_close(&w), 0);
    assert_int_equal(jsonl_repair_tail(p), 3);
    /* a file of only a torn line becomes empty */
    assert_int_equal(fileio_write_atomic(p, "{\"x\"", 4), 0);
    gra_log_level = -1;
    assert_int_equal(jsonl_repair_tail(p), 0);
    gra_log_level = saved_level;
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 0);
    unlink(p);
    free(p);
}

/* ---- rng ---- */
static void test_rng_determinism(void **state)
{
    (void)state;
    struct rng a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) assert_true(rng_next(&a) == rng_next(&b));
    assert_true(rng_derive(1, "sample", 0) == rng_derive(1, "sample", 0));
    assert_true(rng_derive(1, "sample", 0) != rng_derive(1, "sample", 1));
    assert_true(rng_derive(1, "sample", 0) != rng_derive(2, "sample", 0));
    assert_true(rng_derive(1, "sample", 0) != rng_derive(1, "samplf", 0));
    assert_true(rng_derive(1, "ab", 0) != rng_derive(1, "ba", 0));
    /* different seeds give different streams */
    rng_seed(&a, 1);
    rng_seed(&b, 2);
    int same = 0;
    for (int i = 0; i < 100; i++) same += rng_next(&a) == rng_next(&b);
    assert_int_equal(same, 0);
}

static void test_rng_pinned(void **state)
{
    (void)state;
    /* the xoshiro256** reference sequence from state {1, 2, 3, 4} */
    struct rng r = {{1, 2, 3, 4}};
    assert_true(rng_next(&r) == 11520ULL);
    assert_true(rng_next(&r) == 0ULL);
    assert_true(rng_next(&r) == 1509978240ULL);
    assert_true(rng_next(&r) == 1215971899390074240ULL);
    /* splitmix64 reference outputs (mix64 adds the golden gamma first) */
    assert_true(mix64(0) == 0xe220a8397b1dcdafULL);
    assert_true(mix64(1) == 0x910a2dec89025cc1ULL);
    /* gra's own derivations, pinned when written: a change here silently
     * changes every seeded run's choices, so it must be deliberate */
    rng_seed(&r, 0);
    assert_true(rng_next(&r) == 0x422ea740d0977210ULL);
    assert_true(rng_next(&r) == 0xe062b061b42e2928ULL);
    assert_true(rng_derive(0, "x", 0) == 0x4007e342e1ad9d46ULL);
    assert_true(hash64("abc", 3, 0) == 0x36d0bfc86097c13aULL);
    rng_seed(&r, 42);
    assert_int_equal(rng_below(&r, 1000), 466);
    assert_int_equal(rng_below(&r, 1000), 283);
    assert_int_equal(rng_below(&r, 1000), 639);
}

static void test_rng_below(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, rng_derive(7, "below", 0));
    uint64_t ns[] = {1, 2, 3, 7, 10, 1000, (1ULL << 63) + 1, UINT64_MAX};
    for (size_t k = 0; k < GRA_ARRAY_LEN(ns); k++)
        for (int i = 0; i < 2000; i++) assert_true(rng_below(&r, ns[k]) < ns[k]);
    /* uniform over 10 cells: chi-square with 9 df, 100000 draws; the 0.9999
     * quantile is 33.7, so a correct generator fails this about once in 10^4
     * seeds, and the seed is fixed */
    long cnt[10] = {0};
    for (int i = 0; i < 100000; i++) cnt[rng_below(&r, 10)]++;
    double chi = 0;
    for (int i = 0; i < 10; i++) chi += pow((double)cnt[i] - 10000.0, 2) / 10000.0;
    assert_true(chi < 33.7);
    for (int i = 0; i < 10; i++) assert_true(cnt[i] > 0);
    /* uniform doubles in [0, 1) */
    double lo = 1, hi = 0, sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = rng_uniform(&r);
        assert_true(u >= 0 && u < 1);
        lo = fmin(lo, u);
        hi = fmax(hi, u);
        sum += u;
    }
    assert_true(lo < 0.001 && hi > 0.999);
    assert_true(fabs(sum / 100000 - 0.5) < 0.01);
    /* normals: mean 0, sd 1 */
    double s1 = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        double z = rng_normal(&r);
        assert_true(isfinite(z));
        s1 += z;
        s2 += z * z;
    }
    assert_true(fabs(s1 / 100000) < 0.02);
    assert_true(fabs(s2 / 100000 - 1) < 0.03);
}

static void test_rng_gsl(void **state)
{
    (void)state;
    gsl_rng *a = rng_gsl_new(11), *b = rng_gsl_new(11), *c = rng_gsl_new(12);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        unsigned long x = gsl_rng_get(a), y = gsl_rng_get(b), z = gsl_rng_get(c);
        assert_true(x == y);
        differ += x != z;
    }
    assert_true(differ > 90);
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
}

struct big {
    int id;
    char pad[400];
};

static void test_rng_shuffle(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 99);
    int a[50];
    for (int i = 0; i < 50; i++) a[i] = i;
    rng_shuffle(&r, a, 50, sizeof a[0]);
    int moved = 0, sum = 0;
    for (int i = 0; i < 50; i++) {
        moved += a[i] != i;
        sum += a[i];
    }
    assert_int_equal(sum, 49 * 50 / 2);
    assert_true(moved > 25);
    int seen[50] = {0};
    for (int i = 0; i < 50; i++) seen[a[i]]++;
    for (int i = 0; i < 50; i++) assert_int_equal(seen[i], 1);
    /* same seed, same permutation */
    int b[50];
    for (int i = 0; i < 50; i++) b[i] = i;
    rng_seed(&r, 99);
    rng_shuffle(&r, b, 50, sizeof b[0]);
    assert_memory_equal(a, b, sizeof a);
    /* elements larger than the swap buffer are shuffled too */
    struct big *v = xcalloc(20, sizeof *v);
    for (int i = 0; i < 20; i++) {
        v[i].id = i;
        memset(v[i].pad, 'a' + i, sizeof v[i].pad);
    }
    rng_seed(&r, 5);
    rng_shuffle(&r, v, 20, sizeof *v);
    moved = 0;
    for (int i = 0; i < 20; i++) {
        moved += v[i].id != i;
        assert_int_equal(v[i].pad[0], 'a' + v[i].id);
        assert_int_equal(v[i].pad[399], 'a' + v[i].id);
    }
    assert_true(moved > 10);
    free(v);
}

/* ---- hash ---- */
static void test_sha256(void **state)
{
    (void)state;
    char h[SHA256_HEX_LEN + 1];
    sha256_hex("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    struct sha256_ctx *c = sha256_begin();
    sha256_update(c, "a", 1);
    sha256_update(c, "bc", 2);
    char h2[SHA256_HEX_LEN + 1];
    sha256_final(c, h2);
    assert_string_equal(h, h2);
    char *p = tmp_path("hash.txt");
    assert_int_equal(fileio_write_atomic(p, "abc", 3), 0);
    assert_int_equal(sha256_file_hex(p, h2), 0);
    assert_string_equal(h, h2);
    unlink(p);
    free(p);
    assert_true(hash64("abc", 3, 0) == hash64("abc", 3, 0));
    assert_true(hash64("abc", 3, 0) != hash64("abc", 3, 1));
    assert_true(hash64("abc", 3, 0) != hash64("abd", 3, 0));
}

/* ---- err ---- */
static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(gra_exit_code(0), 0);
    assert_int_equal(gra_exit_code(GRA_EINVAL), 2);
    assert_int_equal(gra_exit_code(GRA_ECONFIG), 3);
    assert_int_equal(gra_exit_code(GRA_EIO), 4);
    assert_int_equal(gra_exit_code(GRA_EPARSE), 4);
    assert_int_equal(gra_exit_code(GRA_ECHECKSUM), 4);
    assert_int_equal(gra_exit_code(GRA_EEXTERNAL), 5);
    assert_int_equal(gra_exit_code(GRA_EINTR), 130);
    assert_int_equal(gra_exit_code(GRA_EHTTP), 1);
    assert_string_equal(gra_strerror(GRA_ECONFIG), "invalid configuration");
    assert_string_equal(gra_strerror(0), "success");
    assert_string_equal(gra_strerror(12345), "unknown error");
    char *s = xasprintf("%s-%d", "x", 42);
    assert_string_equal(s, "x-42");
    free(s);
    s = xstrndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_growth),
        cmocka_unit_test(test_buf_limit),
        cmocka_unit_test(test_buf_json_escape),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_gzip_read),
        cmocka_unit_test(test_mkdirs),
        cmocka_unit_test(test_json_read_file),
        cmocka_unit_test(test_jsonl_foreach),
        cmocka_unit_test(test_jsonl_writer_and_repair),
        cmocka_unit_test(test_rng_determinism),
        cmocka_unit_test(test_rng_pinned),
        cmocka_unit_test(test_rng_below),
        cmocka_unit_test(test_rng_shuffle),
        cmocka_unit_test(test_rng_gsl),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_exit_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
