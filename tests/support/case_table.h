/*
 * case_table: table-driven test cases stored as JSONL under tests/data/
 * (jq's tests-as-data). case_table_run() feeds each case to a check function,
 * counts a malformed line as a failure named by file:line, prints
 * "NAME: N cases, M failures" and asserts at least min_cases ran and none
 * failed.
 */
#ifndef GRA_TEST_CASE_TABLE_H
#define GRA_TEST_CASE_TABLE_H

struct cJSON;

struct case_tally {
    const char *path; /* the table file, for file:line messages */
    int cases, failures;
};

/* Check one case (count it in t->cases; on a mismatch print path:lineno and
 * count it in t->failures). */
typedef void (*case_check_fn)(struct case_tally *t, long lineno, const struct cJSON *c);

/* Run check over every case of $GRA_SOURCE_DIR/DIR/NAME (cmocka asserts). */
void case_table_run(const char *dir, const char *name, case_check_fn check, int min_cases);

#endif
