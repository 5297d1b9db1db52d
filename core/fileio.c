/* fileio: see fileio.h. */
#include "core/fileio.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/err.h"

/* Inflate a gzip stream held in memory (concatenated members allowed). */
static int inflate_gz(const char *path, const unsigned char *in, size_t n, char **data,
                      size_t *len)
{
    struct buf b = BUF_INIT;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return err(GRA_EIO, "%s: zlib init failed", path);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    unsigned char blk[65536];
    int zrc = Z_OK;
    for (;;) {
        z.next_out = blk;
        z.avail_out = sizeof blk;
        zrc = inflate(&z, Z_NO_FLUSH);
        buf_append(&b, blk, sizeof blk - z.avail_out);
        if (zrc == Z_STREAM_END) {
            if (z.avail_in == 0) break;
            inflateReset(&z); /* another gzip member follows */
            continue;
        }
        if (zrc != Z_OK) break;
        if (z.avail_in == 0 && z.avail_out != 0) {
            zrc = Z_DATA_ERROR; /* input ended inside a member */
            break;
        }
    }
    inflateEnd(&z);
    if (zrc != Z_STREAM_END) {
        buf_release(&b);
        return err(GRA_EIO, "%s: corrupt or truncated gzip stream", path);
    }
    *data = buf_detach(&b, len);
    return 0;
}

int fileio_read_raw(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err(errno == ENOENT ? GRA_ENOENT : GRA_EIO, "cannot open %s: %s", path,
                   strerror(errno));
    struct buf b = BUF_INIT;
    char blk[65536];
    size_t n;
    while ((n = fread(blk, 1, sizeof blk, f)) > 0) buf_append(&b, blk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        buf_release(&b);
        return err(GRA_EIO, "cannot read %s", path);
    }
    *data = buf_detach(&b, len);
    return 0;
}

int fileio_read(const char *path, char **data, size_t *len)
{
    /* read everything first (works for pipes and /dev/fd paths), then inflate
     * if the bytes are gzip */
    char *raw;
    size_t n;
    int rc = fileio_read_raw(path, &raw, &n);
    if (rc) return rc == GRA_ENOENT ? GRA_EIO : rc;
    const unsigned char *u = (const unsigned char *)raw;
    if (n >= 2 && u[0] == 0x1f && u[1] == 0x8b) {
        rc = inflate_gz(path, u, n, data, len);
        free(raw);
        return rc;
    }
    *data = raw;
    *len = n;
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char *tmp = xstrdup(path);
    int fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY);
    free(tmp);
    if (fd < 0) return 0;
    fsync(fd);
    close(fd);
    return 0;
}

int fileio_write_atomic(const char *path, const void *data, size_t len)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        rc = err(GRA_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            rc = err(GRA_EIO, "cannot write %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            goto out;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        rc = err(GRA_EIO, "cannot flush %s: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = err(GRA_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    fsync_dir_of(path);
out:
    free(tmp);
    return rc;
}

int fileio_mkdirs(const char *path)
{
    if (!*path) return err(GRA_EIO, "cannot create a directory with an empty name");
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0) {
                struct stat st;
                int e = errno;
                /* EEXIST is fine only for a directory: a file in the way is an error */
                if (e == EEXIST && stat(p, &st) == 0 && !S_ISDIR(st.st_mode)) e = ENOTDIR;
                if (e != EEXIST) {
                    rc = err(GRA_EIO, "cannot create directory %s: %s", p, strerror(e));
                    break;
                }
            }
            *s = c;
            if (!c) break;
        }
    }
    free(p);
    return rc;
}

bool fileio_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *path_join(const char *dir, const char *name)
{
    if (!dir || !*dir || name[0] == '/') return xstrdup(name);
    size_t n = strlen(dir);
    return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

static void line_col(const char *s, size_t off, long *line, long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && s[i]; i++) {
        if (s[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int json_read_file(const char *path, cJSON **out)
{
    char *data;
    size_t len;
    int rc = fileio_read(path, &data, &len);
    if (rc) return rc;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (j && end) {
        /* only whitespace may follow the document: two concatenated objects are
         * not one JSON file */
        while (end < data + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
            end++;
        if (end < data + len) {
            long line, col;
            line_col(data, (size_t)(end - data), &line, &col);
            cJSON_Delete(j);
            free(data);
            return err(GRA_EPARSE, "%s:%ld:%ld: malformed JSON: unexpected text after the value",
                       path, line, col);
        }
    }
    if (!j) {
        long line, col;
        line_col(data, end ? (size_t)(end - data) : 0, &line, &col);
        free(data);
        return err(GRA_EPARSE, "%s:%ld:%ld: malformed JSON", path, line, col);
    }
    free(data);
    *out = j;
    return 0;
}

int jsonl_foreach(const char *path, jsonl_cb cb, void *ud)
{
    char *data;
    size_t len;
    int rc = fileio_read(path, &data, &len);
    if (rc) return rc;
    long lineno = 0;
    char *p = data, *end = data + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        lineno++;
        char *s = p;
        while (s < le && (*s == ' ' || *s == '\t' || *s == '\r')) s++;
        if (lineno == 1 && le - s >= 3 && (unsigned char)s[0] == 0xef &&
            (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf)
            s += 3;
        if (s < le) {
            const char *pend = NULL;
            cJSON *j = cJSON_ParseWithLengthOpts(s, (size_t)(le - s), &pend, 0);
            char msg[160] = "";
            if (!j) {
                snprintf(msg, sizeof msg, "malformed JSON at column %ld",
                         (long)((pend ? pend : s) - p) + 1);
            } else if (pend) {
                const char *q = pend;
                while (q < le && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
                if (q < le) {
                    cJSON_Delete(j);
                    j = NULL;
                    snprintf(msg, sizeof msg, "trailing characters at column %ld",
                             (long)(q - p) + 1);
                }
            }
            rc = cb(ud, lineno, j, j ? NULL : msg);
            cJSON_Delete(j);
            if (rc) break;
        }
        p = nl ? nl + 1 : end;
    }
    free(data);
    return rc;
}

long jsonl_repair_tail(const char *path)
{
    int fd = open(path, O_RDWR);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        return err(GRA_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return err(GRA_EIO, "cannot stat %s", path);
    }
    long lines = 0;
    off_t good = 0, pos = 0;
    char blk[65536];
    ssize_t n;
    while ((n = read(fd, blk, sizeof blk)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (blk[i] == '\n') {
                lines++;
                good = pos + i + 1;
            }
        pos += n;
    }
    if (n < 0) {
        /* never truncate on a failed read: we do not know where the last line ends */
        int e = errno;
        close(fd);
        return err(GRA_EIO, "cannot read %s: %s", path, strerror(e));
    }
    if (good != st.st_size) {
        log_warn("%s: cutting a torn last line (%lld bytes) left by an interrupted run", path,
                 (long long)(st.st_size - good));
        if (ftruncate(fd, good) != 0) {
            close(fd);
            return err(GRA_EIO, "cannot truncate %s: %s", path, strerror(errno));
        }
        fsync(fd);
    }
    close(fd);
    return lines;
}

int jsonl_writer_open(struct jsonl_writer *w, const char *path, bool sync)
{
    memset(w, 0, sizeof *w);
    w->f = fopen(path, "ab");
    if (!w->f) return err(GRA_EIO, "cannot open %s for append: %s", path, strerror(errno));
    w->path = xstrdup(path);
    w->sync = sync;
    return 0;
}

int jsonl_writer_put_raw(struct jsonl_writer *w, const char *line, size_t n)
{
    /* one fwrite of line+newline, so a crash can tear only the last line */
    char *tmp = xmalloc(n + 1);
    memcpy(tmp, line, n);
    tmp[n] = '\n';
    size_t wr = fwrite(tmp, 1, n + 1, w->f);
    free(tmp);
    if (wr != n + 1 || fflush(w->f) != 0)
        return err(GRA_EIO, "cannot write %s: %s", w->path, strerror(errno));
    if (w->sync && fsync(fileno(w->f)) != 0)
        return err(GRA_EIO, "cannot fsync %s: %s", w->path, strerror(errno));
    w->lines++;
    return 0;
}

int jsonl_writer_put(struct jsonl_writer *w, const cJSON *obj)
{
    char *s = json_print_compact(obj);
    int rc = jsonl_writer_put_raw(w, s, strlen(s));
    free(s);
    return rc;
}

int jsonl_writer_close(struct jsonl_writer *w)
{
    int rc = 0;
    if (w->f) {
        if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0 || fclose(w->f) != 0)
            rc = err(GRA_EIO, "cannot close %s: %s", w->path, strerror(errno));
    }
    free(w->path);
    memset(w, 0, sizeof *w);
    return rc;
}

char *json_print_compact(const cJSON *obj)
{
    char *s = cJSON_PrintUnformatted(obj);
    if (!s) {
        fprintf(stderr, "gra: fatal: out of memory printing JSON\n");
        abort();
    }
    char *r = xstrdup(s);
    cJSON_free(s);
    return r;
}
