/* test_cache_kill: kill -9 at random moments never damages the call cache.
 * A child process writes entries in a loop (batched transactions, commits of
 * varying size, values of varying length); the parent SIGKILLs it after a
 * random delay, several times, each round reopening the same file. Then:
 * PRAGMA integrity_check is ok, every value matches its stored sha256, every
 * entry is readable through cache_get and holds exactly the bytes its writer
 * derived from its index (no torn or mixed values), and entries committed
 * before a kill are still there. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/cache.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/rng.h"
#include "tests/support/test_cfg.h"

#define ROUNDS 6

/* The value for entry i: a header naming i, then bytes from i's own stream. */
static char *value_for(long i, size_t *len)
{
    struct rng r;
    rng_seed(&r, rng_derive(99, "kill.value", (uint64_t)i));
    size_t n = 64 + (size_t)rng_below(&r, 30000);
    char *v = xmalloc(n + 1);
    int h = snprintf(v, n, "entry %ld:", i);
    for (size_t k = (size_t)h; k < n; k++) v[k] = (char)('a' + rng_below(&r, 26));
    v[n] = '\0';
    *len = n;
    return v;
}

static void key_for(long i, char key[65])
{
    char s[32];
    snprintf(s, sizeof s, "kill-key-%ld", i);
    sha256_hex(s, strlen(s), key);
}

static void writer(const char *path, long start)
{
    struct cache *c = NULL;
    if (cache_open(path, false, &c) != 0) _exit(3);
    struct rng r;
    rng_seed(&r, (uint64_t)getpid());
    for (long i = start;; i++) {
        char key[65];
        size_t n;
        key_for(i, key);
        char *v = value_for(i, &n);
        if (cache_put(c, key, i % 3 ? "gen" : "rev", v, n, (double)i) != 0) _exit(4);
        free(v);
        if (rng_below(&r, 40) == 0 && cache_flush(c) != 0) _exit(5);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long count_entries(const char *path)
{
    sqlite3 *db;
    long n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM calls", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = (long)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

static void on_bad(void *ud, const char *key, const char *why)
{
    (void)ud;
    fprintf(stderr, "bad entry %s: %s\n", key, why);
}

static void test_kill_loop(void **state)
{
    (void)state;
    char *path = tcfg_tmp_path("cache-kill");
    struct rng r;
    rng_seed(&r, (uint64_t)time(NULL));
    long prev = 0;
    for (int round = 0; round < ROUNDS; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) writer(path, (long)round * 1000000L);
        long ms = 150 + (long)rng_below(&r, 400);
        sleep_ms(ms);
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL); /* died mid-loop */
        long n = count_entries(path);
        printf("round %d: killed after %ld ms, %ld entries\n", round, ms, n);
        assert_true(n >= prev); /* committed entries survive later kills */
        prev = n;
    }
    assert_true(prev > 0);

    struct cache *c = NULL;
    assert_int_equal(cache_open(path, false, &c), 0);
    long checked = 0, bad = 0;
    assert_int_equal(cache_verify(c, on_bad, NULL, &checked, &bad), 0);
    assert_int_equal(bad, 0);
    assert_int_equal(checked, prev);

    /* every entry readable, and exactly its writer's bytes */
    long seen = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (long i = (long)round * 1000000L;; i++) {
            char key[65];
            key_for(i, key);
            char *v = NULL;
            size_t n = 0;
            if (cache_get(c, key, &v, &n, NULL) != 0) break; /* the round's entries are a prefix */
            size_t en;
            char *want = value_for(i, &en);
            assert_int_equal(n, en);
            assert_memory_equal(v, want, n);
            free(want);
            free(v);
            seen++;
        }
    }
    assert_int_equal(seen, checked);
    cache_close(c);
    tcfg_tmp_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
