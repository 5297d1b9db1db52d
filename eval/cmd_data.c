/*
 * cmd_data: `gra data fetch` and `gra data verify` (docs/eval.md).
 *
 * The file list is the union of the "files" of the benchmark specs (shared
 * files, e.g. MMLU's test CSVs used by mmlu and mmlu_5shot, are handled
 * once). fetch copies each file from a mirror directory laid out like the data
 * directory, or downloads it from its URL (then its mirror URLs) with a plain
 * libcurl easy transfer (this is not an LLM call, so it does not go through
 * core/llm.h); the bytes are checked against the pinned sha256 in memory
 * before anything is written, and written atomically (tmp + rename), so a
 * data directory never holds a half or a wrong file under its real name.
 * Optional benchmarks (data not staged: HellaSwag, GPQA, BBH, IFEval) are
 * only touched when named with --benchmark.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "eval/bench.h"
#include "eval/eval.h"

#define DATA_MAX_BYTES (256L << 20)

struct data_file {
    const struct bench_file *f;
    const char *bench;
};

struct data_set {
    struct bench **benches;
    int n_benches;
    struct data_file *files;
    int n_files;
};

static void data_set_release(struct data_set *s)
{
    for (int i = 0; i < s->n_benches; i++) bench_free(s->benches[i]);
    free(s->benches);
    free(s->files);
}

/* Open the named benchmarks (all non-optional ones when none is named) and
 * collect their files, each path once. */
static void data_set_add(struct data_set *s, struct bench *b, bool named);

static int data_set_open(struct data_set *s, const char *bench_dir, char **names, int n_names)
{
    memset(s, 0, sizeof *s);
    char **all = NULL;
    int n_all = 0, rc = 0;
    bool named = n_names > 0;
    if (!named) {
        rc = bench_list(bench_dir, &all, &n_all);
        if (rc) return rc;
        names = all;
        n_names = n_all;
    }
    for (int i = 0; i < n_names && !rc; i++) {
        if (strcmp(names[i], BENCH_SEED_DATA_NAME) == 0) continue; /* below */
        struct bench *b;
        rc = bench_open(bench_dir, names[i], &b);
        if (rc) break;
        data_set_add(s, b, named);
    }
    /* the seed files synthesis reads: with every benchmark, or by name */
    bool want_seeds = !named;
    for (int i = 0; i < n_names && named; i++)
        want_seeds |= strcmp(names[i], BENCH_SEED_DATA_NAME) == 0;
    if (!rc && want_seeds && !named) {
        /* a benchmarks directory without a seed list (a user's own) has none */
        char *list = path_join(bench_dir, BENCH_SEED_DATA_FILE);
        want_seeds = fileio_exists(list);
        free(list);
    }
    if (!rc && want_seeds) {
        struct bench *b;
        rc = bench_open_seed_data(bench_dir, &b);
        if (!rc) data_set_add(s, b, false);
    }
    for (int i = 0; i < n_all; i++) free(all[i]);
    free(all);
    return rc;
}

/* Take b into the set (or free it when it is optional and not named) and add
 * its files, each path once. */
static void data_set_add(struct data_set *s, struct bench *b, bool named)
{
    {
        if (b->optional && !named) {
            bench_free(b);
            return;
        }
        s->benches = xrealloc(s->benches, sizeof *s->benches * (size_t)(s->n_benches + 1));
        s->benches[s->n_benches++] = b;
        for (int k = 0; k < b->n_files; k++) {
            bool dup = false;
            for (int j = 0; j < s->n_files && !dup; j++)
                dup = strcmp(s->files[j].f->path, b->files[k].path) == 0;
            if (dup) continue;
            s->files = xrealloc(s->files, sizeof *s->files * (size_t)(s->n_files + 1));
            s->files[s->n_files].f = &b->files[k];
            s->files[s->n_files].bench = b->name;
            s->n_files++;
        }
    }
}

static size_t curl_sink(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ud;
    return buf_append(b, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}

/* GET url into b; 0 or GRA_EHTTP with the reason logged as a warning */
static int download(const char *url, struct buf *b)
{
    CURL *c = curl_easy_init();
    if (!c) return err(GRA_EHTTP, "cannot initialise libcurl");
    char ebuf[CURL_ERROR_SIZE] = "";
    buf_reset(b);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "gra/" GRA_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK) {
        log_warn("%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(cc));
        return GRA_EHTTP;
    }
    if (status >= 400) {
        log_warn("%s: HTTP %ld", url, status);
        return GRA_EHTTP;
    }
    return 0;
}

/* 0 when the bytes match (or nothing is pinned); else GRA_ECHECKSUM */
static int check_sha(const struct bench_file *f, const char *from, const char *data, size_t len,
                     char got[65])
{
    sha256_hex(data, len, got);
    if (!f->sha256) return 0;
    if (strcmp(got, f->sha256) != 0) {
        log_error("%s: sha256 %s, expected %s (from %s): not written", f->path, got, f->sha256,
                  from);
        return GRA_ECHECKSUM;
    }
    return 0;
}

static int store(const char *data_dir, const struct bench_file *f, const char *data, size_t len)
{
    char *dest = path_join(data_dir, f->path);
    char *dir = xstrdup(dest);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    int rc = fileio_mkdirs(dir);
    if (!rc) rc = fileio_write_atomic(dest, data, len);
    free(dir);
    free(dest);
    return rc;
}

static int fetch_one(const struct data_file *df, const char *data_dir, const char *mirror,
                     bool force)
{
    const struct bench_file *f = df->f;
    char *dest = path_join(data_dir, f->path);
    char got[65];
    int rc = 0;
    if (!force && fileio_exists(dest) && f->sha256) {
        if (sha256_file_hex(dest, got) == 0 && strcmp(got, f->sha256) == 0) {
            log_debug("ok       %s (present)", f->path);
            goto out;
        }
    }
    if (mirror) {
        char *src = path_join(mirror, f->path);
        char *data = NULL;
        size_t len = 0;
        rc = fileio_read_raw(src, &data, &len);
        if (!rc) rc = check_sha(f, src, data, len, got);
        if (!rc) rc = store(data_dir, f, data, len);
        if (!rc) log_debug("copied   %s%s", f->path, f->sha256 ? "" : " (sha256 not pinned)");
        free(data);
        free(src);
        goto out;
    }
    if (!f->url && f->n_mirror_urls == 0) {
        rc = err(GRA_ENOENT, "%s (%s): no download URL: %s", f->path, df->bench,
                 f->note ? f->note : "");
        goto out;
    }
    struct buf b = BUF_INIT;
    buf_init(&b, DATA_MAX_BYTES);
    rc = GRA_EHTTP;
    for (int k = -1; k < f->n_mirror_urls && rc; k++) {
        const char *url = k < 0 ? f->url : f->mirror_urls[k];
        if (!url) continue;
        log_info("download %s <- %s", f->path, url);
        rc = download(url, &b);
        if (!rc) rc = check_sha(f, url, b.data, b.len, got);
    }
    if (!rc) rc = store(data_dir, f, b.data, b.len);
    if (!rc && !f->sha256)
        log_warn("%s: sha256 not pinned in the spec; downloaded bytes have %s", f->path, got);
    if (rc == GRA_EHTTP) log_error("%s (%s): every URL failed", f->path, df->bench);
    buf_release(&b);
out:
    free(dest);
    return rc;
}

static int data_usage(FILE *f)
{
    fprintf(
        f,
        "usage: gra data fetch [--mirror DIR] [--data-dir DIR] [--benchmark NAME]... [--force]\n"
        "       gra data verify [--data-dir DIR] [--benchmark NAME]...\n"
        "       gra data path\n\n"
        "fetch   copy each benchmark file from a mirror directory laid out like the data\n"
        "        directory, or download it from its upstream URL; sha256 checked before\n"
        "        the file is written (atomically)\n"
        "verify  check every file's sha256; name each bad or missing one\n"
        "path    print the data directory\n\n"
        "--data-dir DIR     data directory (default $GRA_DATA_DIR, else ~/.local/share/gra/data)\n"
        "--mirror DIR       copy from DIR instead of the network\n"
        "--benchmark NAME   only this benchmark (repeatable); optional benchmarks\n"
        "                   (hellaswag, gpqa_diamond, bbh, ifeval) only when named\n"
        "--benchmarks-dir DIR  benchmark specs (default $GRA_SOURCE_DIR/benchmarks)\n"
        "--force            fetch even files that are present and verify\n\n"
        "exit: 0 all files ok, 4 a file is missing, fails its sha256 or cannot be fetched,\n"
        "2 usage, 3 a bad benchmark spec (docs/eval.md)\n");
    return f == stdout ? 0 : GRA_EXIT_USAGE;
}

int cmd_data(int argc, char **argv)
{
    static const struct option opts[] = {
        {"mirror", required_argument, NULL, 'm'},
        {"data-dir", required_argument, NULL, 'd'},
        {"benchmark", required_argument, NULL, 'b'},
        {"benchmarks-dir", required_argument, NULL, 'B'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *mirror = NULL, *bench_dir = NULL;
    char *data_dir = NULL;
    char **names = NULL;
    int n_names = 0, c, rc = 0, exit_code = 0;
    bool force = false;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            mirror = optarg;
            break;
        case 'd':
            free(data_dir);
            data_dir = xstrdup(optarg);
            break;
        case 'b':
            names = xrealloc(names, sizeof *names * (size_t)(n_names + 1));
            names[n_names++] = optarg;
            break;
        case 'B':
            bench_dir = optarg;
            break;
        case 'f':
            force = true;
            break;
        case 'h':
            free(names);
            free(data_dir);
            return data_usage(stdout);
        default:
            free(names);
            free(data_dir);
            return data_usage(stderr);
        }
    }
    if (optind >= argc) {
        free(names);
        free(data_dir);
        return data_usage(stderr);
    }
    const char *sub = argv[optind];
    if (!data_dir) data_dir = bench_data_dir_default();
    if (!bench_dir) bench_dir = bench_dir_default();
    if (strcmp(sub, "path") == 0) {
        printf("%s\n", data_dir);
        goto out;
    }
    bool fetch = strcmp(sub, "fetch") == 0;
    if (!fetch && strcmp(sub, "verify") != 0) {
        fprintf(stderr, "gra data: unknown subcommand '%s'\n", sub);
        exit_code = data_usage(stderr);
        goto out;
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "gra data %s: unexpected argument '%s'\n", sub, argv[optind + 1]);
        exit_code = data_usage(stderr);
        goto out;
    }
    struct data_set s;
    rc = data_set_open(&s, bench_dir, names, n_names);
    if (rc) {
        data_set_release(&s);
        exit_code = gra_exit_code(rc);
        goto out;
    }
    int ok = 0, bad = 0, missing = 0, unpinned = 0;
    if (fetch) {
        if (mirror && !fileio_exists(mirror)) {
            rc = err(GRA_ENOENT, "mirror directory %s does not exist", mirror);
        } else {
            rc = fileio_mkdirs(data_dir);
            for (int i = 0; i < s.n_files && !rc; i++) {
                int r = fetch_one(&s.files[i], data_dir, mirror, force);
                if (r)
                    bad++;
                else
                    ok++;
            }
        }
        if (!rc)
            printf("fetched into %s: %d file%s ok, %d failed\n", data_dir, ok, ok == 1 ? "" : "s",
                   bad);
        if (!rc && bad) rc = GRA_ECHECKSUM;
    } else {
        for (int i = 0; i < s.n_files; i++) {
            const struct bench_file *f = s.files[i].f;
            char *p = path_join(data_dir, f->path);
            char got[65];
            if (!fileio_exists(p)) {
                printf("MISSING  %s (%s)\n", f->path, s.files[i].bench);
                missing++;
            } else if (sha256_file_hex(p, got) != 0) {
                printf("BAD      %s: unreadable\n", f->path);
                bad++;
            } else if (!f->sha256) {
                printf("UNPINNED %s: sha256 %s (no pinned hash to compare)\n", f->path, got);
                unpinned++;
            } else if (strcmp(got, f->sha256) != 0) {
                printf("BAD      %s: sha256 %s, expected %s\n", f->path, got, f->sha256);
                bad++;
            } else {
                if (gra_log_level >= LOG_INFO + 1) printf("ok       %s\n", f->path);
                ok++;
            }
            free(p);
        }
        printf("verified %s: %d ok, %d bad, %d missing%s\n", data_dir, ok, bad, missing,
               unpinned ? " (some files unpinned)" : "");
        if (bad)
            rc = GRA_ECHECKSUM;
        else if (missing)
            rc = GRA_ENOENT;
    }
    data_set_release(&s);
    exit_code = gra_exit_code(rc);
    if (rc == GRA_EHTTP) exit_code = GRA_EXIT_IO;
out:
    free(names);
    free(data_dir);
    return exit_code;
}
