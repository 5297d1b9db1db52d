/* case_table: see case_table.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first */
#include <cmocka.h>

#include "tests/support/case_table.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/fileio.h"

struct run {
    struct case_tally t;
    case_check_fn check;
};

static int one(void *ud, long lineno, cJSON *o, const char *errmsg)
{
    struct run *r = ud;
    if (!o) {
        fprintf(stderr, "%s:%ld: %s\n", r->t.path, lineno, errmsg);
        r->t.failures++;
        return 0;
    }
    r->check(&r->t, lineno, o);
    return 0;
}

void case_table_run(const char *dir, const char *name, case_check_fn check, int min_cases)
{
    const char *src = getenv("GRA_SOURCE_DIR");
    char *rel = path_join(dir, name);
    char *path = path_join(src ? src : GRA_SOURCE_DIR, rel);
    struct run r = {{path, 0, 0}, check};
    assert_int_equal(jsonl_foreach(path, one, &r), 0);
    printf("%s: %d cases, %d failures\n", name, r.t.cases, r.t.failures);
    assert_true(r.t.cases >= min_cases);
    assert_int_equal(r.t.failures, 0);
    free(rel);
    free(path);
}
