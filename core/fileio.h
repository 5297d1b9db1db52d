/*
 * fileio: whole-file reads (plain or gzip), JSONL reading with line numbers,
 * and the two durable write paths every stage uses:
 *   - fileio_write_atomic(): write to PATH.tmp, fsync, rename over PATH, fsync
 *     the directory: readers see the old file or the new one, never half;
 *   - struct jsonl_writer: append whole lines, each flushed and (optionally)
 *     fsynced, so a kill -9 leaves at most one torn last line, which
 *     jsonl_repair_tail() cuts off on restart.
 */
#ifndef GRA_FILEIO_H
#define GRA_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cJSON;

/* Read a whole file; gzip is detected by magic and inflated. Returns 0 and a
 * heap buffer (NUL-terminated, free with free()) or GRA_EIO after logging. */
int fileio_read(const char *path, char **data, size_t *len);

/* Read a file's bytes as they are (no gzip inflation), e.g. to hash them.
 * 0, GRA_ENOENT when it does not exist, or GRA_EIO; logs the reason. */
int fileio_read_raw(const char *path, char **data, size_t *len);

/* Write atomically (tmp + fsync + rename + directory fsync). 0 or GRA_EIO. */
int fileio_write_atomic(const char *path, const void *data, size_t len);

/* mkdir -p. 0 or GRA_EIO. */
int fileio_mkdirs(const char *path);

bool fileio_exists(const char *path);

/* path joined: "dir/name" (heap string, free()). */
char *path_join(const char *dir, const char *name);

/* Parse a JSON file whole; on error names the file and the line/column. */
int json_read_file(const char *path, struct cJSON **out);

/* Iterate a JSONL file: cb gets each parsed non-blank line with its 1-based
 * line number and may return non-zero to stop (that value is returned).
 * A malformed line is passed as obj == NULL with errmsg set, so the caller
 * decides whether it is fatal or skipped. The tree is freed after cb returns. */
typedef int (*jsonl_cb)(void *ud, long lineno, struct cJSON *obj, const char *errmsg);
int jsonl_foreach(const char *path, jsonl_cb cb, void *ud);

/* Cut a torn (unterminated) last line left by a crash. Returns the number of
 * complete lines kept, or a negative GRA_E*. A missing file counts as 0. */
long jsonl_repair_tail(const char *path);

struct jsonl_writer {
    FILE *f;
    char *path;
    bool sync; /* fsync after each line */
    long lines;
};

/* Open for append (created if missing). 0 or GRA_EIO. */
int jsonl_writer_open(struct jsonl_writer *w, const char *path, bool sync);
/* Append obj as one compact line; flushed (and fsynced when sync). */
int jsonl_writer_put(struct jsonl_writer *w, const struct cJSON *obj);
/* Append a pre-rendered line (no newline in it). */
int jsonl_writer_put_raw(struct jsonl_writer *w, const char *line, size_t n);
int jsonl_writer_close(struct jsonl_writer *w);

/* Render obj compactly with keys in insertion order; free with free(). */
char *json_print_compact(const struct cJSON *obj);

#endif
