/*
 * fuzz_jsonl: jsonl_foreach() and jsonl_repair_tail() on arbitrary file bytes
 * (plain or gzip by magic): no crash, leak or UB; every line reaches the
 * callback either parsed (obj set, errmsg NULL) or with an error message
 * (obj NULL), with strictly increasing line numbers; a stopping callback's
 * value comes back; after jsonl_repair_tail() the file is empty or ends in a
 * newline and a second repair keeps the same line count.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    long last, calls, stop_at;
};

static int on_line(void *ud, long lineno, cJSON *obj, const char *errmsg)
{
    struct seen *s = ud;
    if (lineno <= s->last) abort();            /* line numbers increase */
    if (!obj == !errmsg) abort();              /* exactly one of the two */
    if (errmsg && !*errmsg) abort();           /* a message says something */
    if (obj) {
        char *t = cJSON_PrintUnformatted(obj); /* the tree is whole */
        free(t);
    }
    s->last = lineno;
    s->calls++;
    return s->calls == s->stop_at ? 7 : 0;
}

static int write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fwrite(data, 1, size, f);
    return fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/gra-fuzz-jsonl-%ld.jsonl", (long)getpid());
        gra_log_level = -1;
    }
    if (size > 1 << 18 || write_file(path, data, size)) return 0;

    struct seen all = {0, 0, -1};
    int rc = jsonl_foreach(path, on_line, &all);
    if (rc != 0 && rc != GRA_EIO) abort(); /* EIO: a gzip stream that does not inflate */
    if (rc == 0 && all.calls > 0) {
        /* stopping early returns the callback's value */
        struct seen stop = {0, 0, 1 + (long)(size % (size_t)all.calls)};
        if (jsonl_foreach(path, on_line, &stop) != 7 || stop.calls != stop.stop_at) abort();
    }

    long kept = jsonl_repair_tail(path);
    if (kept < 0) abort();
    FILE *f = fopen(path, "rb"); /* the raw bytes: repair never inflates */
    if (f) {
        long len = (fseek(f, 0, SEEK_END) == 0) ? ftell(f) : -1;
        int last = '\n';
        if (len > 0 && fseek(f, len - 1, SEEK_SET) == 0) last = fgetc(f);
        fclose(f);
        if (len < 0 || last != '\n') abort();
    }
    if (jsonl_repair_tail(path) != kept) abort(); /* idempotent */
    unlink(path);
    return 0;
}
