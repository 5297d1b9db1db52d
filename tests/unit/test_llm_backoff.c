/* test_llm_backoff: the retry delay schedule (llm_backoff_ms): full jitter
 * inside [0, min(cap, base*2^(attempt-1))], growth per attempt, the cap,
 * Retry-After winning (clamped to the cap), and determinism of the jitter
 * drawn from a request's seeded stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/llm.h"
#include "core/rng.h"

static void test_bounds(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 42);
    for (int attempt = 1; attempt <= 12; attempt++) {
        long hi = 500L << (attempt - 1);
        if (hi > 60000) hi = 60000;
        for (int i = 0; i < 2000; i++) {
            long d = llm_backoff_ms(attempt, 500, 60000, 0, rng_uniform(&r));
            assert_true(d >= 0);
            assert_true(d <= hi);
        }
    }
    /* the extremes of u */
    assert_int_equal(llm_backoff_ms(3, 500, 60000, 0, 0.0), 0);
    long top = llm_backoff_ms(3, 500, 60000, 0, 0.999999);
    assert_true(top >= 1999 && top <= 2000);
    /* u outside [0,1) is clamped, never out of range */
    assert_true(llm_backoff_ms(3, 500, 60000, 0, 1.5) <= 2000);
    assert_int_equal(llm_backoff_ms(3, 500, 60000, 0, -1.0), 0);
}

static void test_growth_and_cap(void **state)
{
    (void)state;
    /* the mean of the jittered delay doubles per attempt until the cap */
    struct rng r;
    rng_seed(&r, 7);
    double prev = 0;
    for (int attempt = 1; attempt <= 6; attempt++) {
        double sum = 0;
        int n = 20000;
        for (int i = 0; i < n; i++)
            sum += (double)llm_backoff_ms(attempt, 100, 1000000, 0, rng_uniform(&r));
        double mean = sum / n;
        double expect = 100.0 * (double)(1L << (attempt - 1)) / 2.0;
        assert_true(mean > 0.9 * expect && mean < 1.1 * expect);
        if (attempt > 1) assert_true(mean > 1.6 * prev);
        prev = mean;
    }
    /* at a high attempt the cap bounds it; no overflow at absurd attempts */
    for (int attempt = 20; attempt < 200; attempt += 30) {
        long d = llm_backoff_ms(attempt, 500, 60000, 0, 0.999);
        assert_true(d > 59000 && d <= 60000);
    }
}

static void test_retry_after_wins(void **state)
{
    (void)state;
    assert_int_equal(llm_backoff_ms(1, 500, 60000, 3000, 0.1), 3000);
    assert_int_equal(llm_backoff_ms(5, 500, 60000, 1000, 0.9), 1000);
    /* clamped to the cap */
    assert_int_equal(llm_backoff_ms(1, 500, 60000, 120000, 0.5), 60000);
    /* zero Retry-After means "not given": jitter applies */
    assert_true(llm_backoff_ms(1, 500, 60000, 0, 0.5) == 250);
}

static void test_jitter_deterministic(void **state)
{
    (void)state;
    long a[8], b[8], c[8];
    struct rng r1, r2, r3;
    rng_seed(&r1, rng_derive(1234, "llm.backoff", 0));
    rng_seed(&r2, rng_derive(1234, "llm.backoff", 0));
    rng_seed(&r3, rng_derive(1235, "llm.backoff", 0));
    for (int i = 0; i < 8; i++) {
        a[i] = llm_backoff_ms(i + 1, 500, 60000, 0, rng_uniform(&r1));
        b[i] = llm_backoff_ms(i + 1, 500, 60000, 0, rng_uniform(&r2));
        c[i] = llm_backoff_ms(i + 1, 500, 60000, 0, rng_uniform(&r3));
    }
    int same = 0;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(a[i], b[i]);
        same += a[i] == c[i];
    }
    assert_true(same < 8); /* another seed gives another schedule */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_growth_and_cap),
        cmocka_unit_test(test_retry_after_wins),
        cmocka_unit_test(test_jitter_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
