/*
 * cmd_cache: `gra cache stats PATH` and `gra cache verify PATH`, the two
 * ways to look into a call cache without a run (docs/client.md).
 *
 * stats prints entries, sizes, the oldest and newest entry and the count per
 * model (text, or JSON with --json). verify runs SQLite's integrity check and
 * re-hashes every stored value against its recorded sha256, names each bad
 * key, and exits 4 (GRA_EXIT_IO) when anything is damaged. Both open the
 * file read-only and never create it.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cache.h"
#include "core/commands.h"
#include "core/err.h"

static const char usage_text[] =
    "usage: gra cache stats [--json] PATH\n"
    "       gra cache verify PATH\n"
    "\n"
    "Inspect a call cache (the SQLite file named by \"cache\" in an experiment\n"
    "config or --cache).\n"
    "\n"
    "  stats    entries, file size, value bytes, oldest/newest entry, entries per model\n"
    "  verify   PRAGMA integrity_check, then re-hash every value against its stored\n"
    "           sha256; prints each damaged key; exit 4 if anything is damaged\n"
    "\n"
    "options:\n"
    "  --json   (stats) print the figures as one JSON object\n"
    "  -h, --help\n"
    "\n"
    "exit codes: 0 ok, 2 usage, 4 missing/unreadable/damaged cache\n";

static int cache_cmd_stats(const char *path, bool json)
{
    struct cache *c = NULL;
    int rc = cache_open(path, true, &c);
    if (rc == GRA_ENOENT) {
        err(GRA_ENOENT, "cache %s: no such file", path);
        return GRA_EXIT_IO;
    }
    if (rc) return GRA_EXIT_IO;
    cJSON *st = NULL;
    rc = cache_stats(c, &st);
    cache_close(c);
    if (rc) return GRA_EXIT_IO;
    if (json) {
        char *s = cJSON_Print(st);
        printf("%s\n", s);
        cJSON_free(s);
    } else {
        const cJSON *oldest = cJSON_GetObjectItem(st, "oldest");
        const cJSON *newest = cJSON_GetObjectItem(st, "newest");
        printf("cache:       %s\n", path);
        printf("entries:     %.0f\n", cJSON_GetObjectItem(st, "entries")->valuedouble);
        printf("file bytes:  %.0f (database + WAL)\n",
               cJSON_GetObjectItem(st, "bytes")->valuedouble);
        printf("value bytes: %.0f\n", cJSON_GetObjectItem(st, "value_bytes")->valuedouble);
        printf("oldest:      %s\n", cJSON_IsString(oldest) ? oldest->valuestring : "-");
        printf("newest:      %s\n", cJSON_IsString(newest) ? newest->valuestring : "-");
        printf("per model:\n");
        const cJSON *models = cJSON_GetObjectItem(st, "models");
        for (const cJSON *m = models ? models->child : NULL; m; m = m->next)
            printf("  %-32s %.0f\n", m->string, m->valuedouble);
    }
    cJSON_Delete(st);
    return GRA_EXIT_OK;
}

static void print_bad(void *ud, const char *key, const char *why)
{
    const char *path = ud;
    if (*key)
        printf("BAD %s: %s\n", key, why);
    else
        printf("BAD %s (database): %s\n", path, why);
}

static int cache_cmd_verify(const char *path)
{
    struct cache *c = NULL;
    int rc = cache_open(path, true, &c);
    if (rc == GRA_ENOENT) {
        err(GRA_ENOENT, "cache %s: no such file", path);
        return GRA_EXIT_IO;
    }
    if (rc) return GRA_EXIT_IO;
    long checked = 0, bad = 0;
    rc = cache_verify(c, print_bad, (void *)path, &checked, &bad);
    cache_close(c);
    if (rc) return GRA_EXIT_IO;
    if (bad) {
        printf("%s: DAMAGED: %ld entries checked, %ld problem(s)\n", path, checked, bad);
        return GRA_EXIT_IO;
    }
    printf("%s: ok, %ld entries verified\n", path, checked);
    return GRA_EXIT_OK;
}

int cmd_cache(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return GRA_EXIT_OK;
        default:
            fputs(usage_text, stderr);
            return GRA_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        fputs(usage_text, stderr);
        return GRA_EXIT_USAGE;
    }
    const char *sub = argv[optind], *path = argv[optind + 1];
    if (strcmp(sub, "stats") == 0) return cache_cmd_stats(path, json);
    if (strcmp(sub, "verify") == 0) {
        if (json) {
            fprintf(stderr, "gra cache: --json applies to stats only\n");
            return GRA_EXIT_USAGE;
        }
        return cache_cmd_verify(path);
    }
    fprintf(stderr, "gra cache: '%s' is not a cache command (stats, verify)\n", sub);
    fputs(usage_text, stderr);
    return GRA_EXIT_USAGE;
}
