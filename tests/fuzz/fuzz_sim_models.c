/*
 * fuzz_sim_models: serve-sim's model declaration files (docs/sim-models.md)
 * through simsrv_check_models() on arbitrary bytes: no crash, leak or UB; the
 * result is 0 or one of the documented errors, the same on a second call.
 * An input holding a NUL is split there into two files merged in order (a
 * later file overrides or extends the models of an earlier one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/simsrv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fwrite(data, 1, size, f);
    return fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char p1[64], p2[64];
    if (!p1[0]) {
        snprintf(p1, sizeof p1, "/tmp/gra-fuzz-simmodels-%ld-a.json", (long)getpid());
        snprintf(p2, sizeof p2, "/tmp/gra-fuzz-simmodels-%ld-b.json", (long)getpid());
        gra_log_level = -1; /* silence the expected error messages */
    }
    if (size > 1 << 18) return 0;
    const uint8_t *nul = memchr(data, '\0', size);
    size_t n1 = nul ? (size_t)(nul - data) : size;
    if (write_file(p1, data, n1)) return 0;
    int nf = 1;
    if (nul) {
        if (write_file(p2, nul + 1, size - n1 - 1)) return 0;
        nf = 2;
    }
    const char *files[2] = {p1, p2};
    int rc = simsrv_check_models(files, nf);
    if (rc != 0 && rc != GRA_ECONFIG && rc != GRA_EPARSE && rc != GRA_EIO) abort();
    if (simsrv_check_models(files, nf) != rc) abort(); /* deterministic */
    unlink(p1);
    if (nul) unlink(p2);
    return 0;
}
