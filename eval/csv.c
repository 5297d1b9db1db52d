/* csv: see csv.h. One pass, one growing field buffer, no allocation per byte. */
#include "eval/csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

#define CSV_MAX_FIELDS 64

int csv_parse(const char *path, const char *data, size_t len, csv_row_fn cb, void *ud)
{
    size_t i = 0;
    if (len >= 3 && (unsigned char)data[0] == 0xef && (unsigned char)data[1] == 0xbb &&
        (unsigned char)data[2] == 0xbf)
        i = 3;
    struct buf fields[CSV_MAX_FIELDS];
    for (int k = 0; k < CSV_MAX_FIELDS; k++) fields[k] = (struct buf)BUF_INIT;
    char *ptrs[CSV_MAX_FIELDS];
    long line = 1, row = 0;
    int rc = 0;
    while (i < len) {
        long row_line = line;
        int nf = 0;
        bool end_row = false;
        while (!end_row) {
            if (nf >= CSV_MAX_FIELDS) {
                rc = err(GRA_EPARSE, "%s:%ld: more than %d fields", path, row_line, CSV_MAX_FIELDS);
                goto out;
            }
            struct buf *f = &fields[nf++];
            buf_reset(f);
            if (i < len && data[i] == '"') {
                i++;
                for (;;) {
                    if (i >= len) {
                        rc = err(GRA_EPARSE, "%s:%ld: unterminated quoted field", path, row_line);
                        goto out;
                    }
                    if (data[i] == '"') {
                        if (i + 1 < len && data[i + 1] == '"') {
                            buf_putc(f, '"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (data[i] == '\n') line++;
                    buf_putc(f, data[i++]);
                }
                /* tolerate junk between the closing quote and the separator */
                while (i < len && data[i] != ',' && data[i] != '\n') {
                    if (data[i] != '\r') buf_putc(f, data[i]);
                    i++;
                }
            } else {
                while (i < len && data[i] != ',' && data[i] != '\n') {
                    if (!(data[i] == '\r' && (i + 1 >= len || data[i + 1] == '\n')))
                        buf_putc(f, data[i]);
                    i++;
                }
            }
            if (i >= len) {
                end_row = true;
            } else if (data[i] == ',') {
                i++;
            } else { /* '\n' */
                i++;
                line++;
                end_row = true;
            }
        }
        for (int k = 0; k < nf; k++) ptrs[k] = fields[k].data;
        if (nf == 1 && fields[0].len == 0) continue; /* blank line */
        rc = cb(ud, row++, row_line, ptrs, nf);
        if (rc) goto out;
    }
out:
    for (int k = 0; k < CSV_MAX_FIELDS; k++) buf_release(&fields[k]);
    return rc;
}
