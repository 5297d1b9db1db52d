/*
 * replay: a main() for fuzz targets built without libFuzzer. It feeds every
 * file of the corpus directories given on the command line to
 * LLVMFuzzerTestOneInput, so CI runs each target's corpus under the
 * sanitizers. With clang, build the targets with -fsanitize=fuzzer instead
 * (scripts/fuzz.sh) and this file is not linked.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The file's raw bytes, as libFuzzer would pass them (fileio_read would
 * inflate a gzip seed, and a corrupt one would not replay at all). */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    size_t cap = 4096, len = 0, n;
    uint8_t *data = malloc(cap);
    while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *d = realloc(data, cap *= 2);
            if (!d) free(data);
            data = d;
        }
    }
    int bad = ferror(f) || !data;
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(data);
        return 1;
    }
    /* an exact-size copy, so ASan catches a read one byte past the input */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(data);
        return 1;
    }
    memcpy(exact, data, len);
    free(data);
    /* named first, so a crash's report says which input did it (ctest shows
     * the output only on failure) */
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    long n = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: no such corpus\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i])) return 1;
            n++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char *p = path_join(argv[i], e->d_name);
            int rc = run_file(p);
            free(p);
            if (rc) {
                closedir(d);
                return 1;
            }
            n++;
        }
        if (d) closedir(d);
    }
    /* a plain closing line CI recognises */
    printf("fuzz replay: %ld passed, 0 failed\n", n);
    return 0;
}
