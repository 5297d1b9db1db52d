/*
 * csv: RFC 4180 reader for the benchmark files that come as CSV (MMLU,
 * TruthfulQA, GPQA): quoted fields with doubled quotes, newlines inside
 * quotes, CRLF, a UTF-8 BOM. Rows are handed to a callback with their
 * 1-based starting line (for error messages) and 0-based row index.
 *
 * Ownership: the row's field strings belong to the reader and are valid only
 * during the callback.
 */
#ifndef GRA_EVAL_CSV_H
#define GRA_EVAL_CSV_H

#include <stddef.h>

typedef int (*csv_row_fn)(void *ud, long row, long line, char **fields, int n_fields);

/* Parse data[0..len); cb returns non-zero to stop (returned). An unterminated
 * quote is GRA_EPARSE naming path and line. */
int csv_parse(const char *path, const char *data, size_t len, csv_row_fn cb, void *ud);

#endif
