/*
 * perf_extract: answer extraction + scoring throughput on gold outputs
 * (GSM8K rationales, MATH solutions, MMLU "The answer is (X)." replies and
 * the same replies corrupted), single thread. Prints one line per family:
 * outputs scored per second and microseconds per output. A benchmark, not
 * a test. Data: $GRA_TEST_DATA, else the source tree's ../shared/data.
 *
 *     build/perf/perf_extract [seconds-per-family (default 1)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fileio.h"
#include "eval/bench.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int run(const char *name, const char *data, double secs)
{
    struct bench *b;
    if (bench_open(bench_dir_default(), name, &b) != 0) return 1;
    if (bench_load(b, data, 0) != 0) {
        bench_free(b);
        return 1;
    }
    char **bad = malloc(sizeof *bad * (size_t)b->n_items);
    for (int i = 0; i < b->n_items; i++) bad[i] = bench_corrupt_output(b, i);
    long n = 0, right = 0;
    double t0 = now(), t;
    do {
        for (int i = 0; i < b->n_items; i++) {
            struct verdict v;
            bench_score(b, i, (n & 1) ? bad[i] : b->items[i].gold_output, &v);
            right += v.correct;
            score_verdict_release(&v);
        }
        n++;
        t = now() - t0;
    } while (t < secs);
    long outputs = n * b->n_items;
    printf("%-10s %7d items  %9.0f outputs/s  %7.2f us/output  (%ld outputs, %ld right)\n", name,
           b->n_items, outputs / t, t / outputs * 1e6, outputs, right);
    for (int i = 0; i < b->n_items; i++) free(bad[i]);
    free(bad);
    bench_free(b);
    return 0;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    if (secs <= 0) secs = 1.0;
    const char *d = getenv("GRA_TEST_DATA");
    char *data = d && *d ? strdup(d) : path_join(GRA_SOURCE_DIR, "../shared/data");
    if (!fileio_exists(data)) {
        fprintf(stderr, "perf_extract: data directory %s not found (set GRA_TEST_DATA)\n", data);
        free(data);
        return 1;
    }
    printf("extraction + scoring, single thread, gold and corrupted outputs alternating\n");
    int rc = 0;
    static const char *const names[] = {"gsm8k", "math", "mmlu", "truthfulqa_mc1"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) rc |= run(names[i], data, secs);
    free(data);
    return rc;
}
