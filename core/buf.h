/*
 * buf: a growable byte buffer (git's strbuf invariants, curl's dynbuf limit).
 * data is never NULL and always NUL-terminated; an optional max size makes a
 * runaway HTTP body fail instead of eating memory.
 *
 *     struct buf b = BUF_INIT;  buf_appendf(&b, "%d", 3);  buf_release(&b);
 */
#ifndef GRA_BUF_H
#define GRA_BUF_H

#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* 0 = unlimited */
};

extern char buf_empty_[];
#define BUF_INIT {buf_empty_, 0, 0, 0}

void buf_init(struct buf *b, size_t max);
/* Free the memory and reset to empty. */
void buf_release(struct buf *b);
/* Keep the memory, set length 0. */
void buf_reset(struct buf *b);
/* Give the caller the heap string (free with free()); b is left empty. */
char *buf_detach(struct buf *b, size_t *len);
/* Append; return 0, or -1 when the max size would be exceeded (nothing appended). */
int buf_append(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make room for n more bytes. */
void buf_grow(struct buf *b, size_t n);
/* Append s as a JSON string literal (with quotes). */
void buf_put_json_string(struct buf *b, const char *s, size_t n);

#endif
