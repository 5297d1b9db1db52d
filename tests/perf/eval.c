/*
 * perf_eval: how fast the code sandbox scores programs.
 *
 *   perf_eval [DATA_DIR] [--rounds N] [--workers W]
 *
 * Runs the 164 HumanEval canonical solutions (prompt + solution + test +
 * check) through code_score_batch() with workers = online cores (or W),
 * N rounds (default 3), and prints programs per second and the per-program
 * wall-clock latency distribution (p50/p90/p99/max, from the sandbox's own
 * measurement: fork to reap, work dir setup and removal included), the
 * isolation layers in force, and the rate of code extraction (chat replies
 * with a fenced block). Data: DATA_DIR, else $GRA_TEST_DATA, $GRA_DATA_DIR,
 * else the source tree's ../shared/data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/fileio.h"
#include "eval/code.h"
#include "eval/sandbox.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double q)
{
    int i = (int)(q * (n - 1) + 0.5);
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int rounds = 3, workers = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--workers") && i + 1 < argc)
            workers = atoi(argv[++i]);
        else if (argv[i][0] != '-')
            dir = argv[i];
        else {
            fprintf(stderr, "usage: perf_eval [DATA_DIR] [--rounds N] [--workers W]\n");
            return 2;
        }
    }
    if (!dir) dir = getenv("GRA_TEST_DATA");
    if (!dir || !*dir) dir = getenv("GRA_DATA_DIR");
    char *fallback = xasprintf("%s/../shared/data", GRA_SOURCE_DIR);
    if (!dir || !*dir) dir = fallback;
    char *path = path_join(dir, "humaneval/HumanEval.jsonl.gz");
    char *data = NULL;
    size_t len = 0;
    if (fileio_read(path, &data, &len) != 0) {
        fprintf(stderr, "perf_eval: %s not found (give the data directory)\n", path);
        return 1;
    }
    cJSON *items[200];
    int n = 0;
    for (char *p = data; p < data + len && n < 200;) {
        char *nl = memchr(p, '\n', (size_t)(data + len - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(data + len - p);
        if (l) items[n++] = cJSON_ParseWithLengthOpts(p, l, NULL, 0);
        p += l + 1;
    }
    free(data);
    if (rounds < 1) rounds = 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (workers <= 0) workers = (int)(cores > 0 ? cores : 1);

    char iso[128];
    printf("perf_eval: HumanEval canonical solutions, %d programs x %d rounds, %d workers "
           "(%ld cores), isolation: %s\n",
           n, rounds, workers, cores, sandbox_isolation_str(sandbox_isolation(), iso, sizeof iso));

    struct code_job *jobs = calloc((size_t)n, sizeof *jobs);
    double *lat = calloc((size_t)(n * rounds), sizeof *lat);
    int m = 0, passed = 0;
    double t_total = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            memset(&jobs[i], 0, sizeof jobs[i]);
            jobs[i].family = CODE_HUMANEVAL;
            jobs[i].item = items[i];
            jobs[i].output = cJSON_GetObjectItem(items[i], "canonical_solution")->valuestring;
            jobs[i].output_is_completion = true;
        }
        struct code_opts o = {workers, 10.0, NULL};
        double t0 = now_s();
        if (code_score_batch(jobs, n, &o) != 0) return 1;
        double dt = now_s() - t0;
        t_total += dt;
        int pr = 0;
        for (int i = 0; i < n; i++) {
            pr += jobs[i].outcome == CODE_PASSED;
            lat[m++] = jobs[i].wall_ms;
            code_job_release(&jobs[i]);
        }
        passed += pr;
        printf("  round %d: %.2f s, %.1f programs/s, %d/%d passed\n", r + 1, dt, n / dt, pr, n);
    }
    qsort(lat, (size_t)m, sizeof *lat, cmp_d);
    printf("sandboxed programs/s: %.1f (%d programs in %.2f s, %d passed)\n", m / t_total, m,
           t_total, passed);
    printf("per-program wall ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", pct(lat, m, 0.5),
           pct(lat, m, 0.9), pct(lat, m, 0.99), lat[m - 1]);

    /* extraction rate: chat replies with prose and a fenced block */
    char **chat = calloc((size_t)n, sizeof *chat);
    for (int i = 0; i < n; i++)
        chat[i] = xasprintf("Sure! Here is the implementation.\n\n```python\n%s%s```\n\n"
                            "It runs in linear time.",
                            cJSON_GetObjectItem(items[i], "prompt")->valuestring,
                            cJSON_GetObjectItem(items[i], "canonical_solution")->valuestring);
    long ext = 0;
    double t0 = now_s();
    while (now_s() - t0 < 1.0) {
        for (int i = 0; i < n; i++) {
            char *prog = NULL;
            char *c = code_extract(CODE_HUMANEVAL, items[i], chat[i], false, &prog);
            free(c);
            free(prog);
            ext++;
        }
    }
    double te = now_s() - t0;
    printf("code extractions/s (chat reply -> fenced block -> check program): %.0f\n", ext / te);
    for (int i = 0; i < n; i++) {
        free(chat[i]);
        cJSON_Delete(items[i]);
    }
    free(chat);
    free(jobs);
    free(lat);
    free(path);
    free(fallback);
    return passed == n * rounds ? 0 : 1;
}
