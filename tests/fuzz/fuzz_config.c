/*
 * fuzz_config: config_load on arbitrary bytes must never crash, leak or hit
 * undefined behaviour; it either loads or reports errors. The input is
 * written to a temporary file because config_load reads a path (errors name
 * the file).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/gra-fuzz-config-%ld.json", (long)getpid());
        gra_log_level = -1; /* silence the expected error messages */
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    struct gra_config *cfg = NULL;
    if (config_load(path, &cfg) == 0) config_free(cfg);
    unlink(path);
    return 0;
}
