/*
 * cache: see cache.h. SQLite in WAL mode; prepared statements kept for the
 * life of the handle; writes batched into one transaction so a busy client
 * pays one commit per CACHE_BATCH puts instead of one per call.
 *
 * Why this is safe against kill -9: SQLite's WAL commit appends the
 * transaction's pages plus a commit frame to the -wal file; a reader (or the
 * next opener's recovery) ignores frames after the last valid commit frame,
 * whose checksum covers everything before it. A process killed mid-write
 * leaves an uncommitted tail that is discarded. synchronous=NORMAL only risks
 * the last transactions on power loss, not on process death.
 */
#include "core/cache.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/err.h"
#include "core/hash.h"

struct cache {
    sqlite3 *db;
    char *path;
    bool readonly;
    sqlite3_stmt *get, *put;
    int pending;         /* puts in the open transaction */
    int64_t batch_start; /* monotonic ms when the transaction began */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int db_fail(struct cache *c, const char *what)
{
    return err(GRA_ECACHE, "cache %s: %s: %s", c->path, what, sqlite3_errmsg(c->db));
}

static int exec(struct cache *c, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = err(GRA_ECACHE, "cache %s: %s: %s", c->path, sql, msg ? msg : "?");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

/* format 2 added latency_ms: the wall time of the call that filled the entry,
 * so results rebuilt from the cache keep the latency first measured */
#define CACHE_FORMAT 2
#define CACHE_FORMAT_STR "2"

/* One integer from a single-row query; -1 on error. */
static int query_int(struct cache *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The file's format (PRAGMA user_version) must be ours. */
static int check_format(struct cache *c)
{
    int v = query_int(c, "PRAGMA user_version");
    if (v < 0) return db_fail(c, "read format (is this a gra call cache?)");
    if (v != CACHE_FORMAT)
        return err(GRA_ECACHE, "cache %s: format %d, this gra reads format %d%s", c->path, v,
                   CACHE_FORMAT, v == 0 ? " (not a gra call cache?)" : "");
    return 0;
}

/* Create the table in a new file (under the write lock, so two processes
 * opening a new cache at once agree); leave any other file alone. */
static int init_schema(struct cache *c)
{
    int rc = exec(c, "BEGIN IMMEDIATE");
    if (rc) return rc;
    int v = query_int(c, "PRAGMA user_version");
    int tables = query_int(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table'");
    if (v == 0 && tables == 0) {
        if ((rc = exec(c, "CREATE TABLE calls ("
                          " id INTEGER PRIMARY KEY,"
                          " k64 INTEGER NOT NULL UNIQUE,"
                          " key TEXT NOT NULL,"
                          " model TEXT NOT NULL,"
                          " created INTEGER NOT NULL,"
                          " value BLOB NOT NULL,"
                          " value_sha256 TEXT NOT NULL,"
                          " latency_ms REAL NOT NULL DEFAULT 0)")) == 0)
            rc = exec(c, "PRAGMA user_version=" CACHE_FORMAT_STR);
    } else if (v == 1 && tables > 0) {
        /* a format-1 cache: add the column (entries keep latency 0, "unknown") */
        if ((rc = exec(c, "ALTER TABLE calls ADD COLUMN latency_ms REAL NOT NULL DEFAULT 0")) == 0)
            rc = exec(c, "PRAGMA user_version=" CACHE_FORMAT_STR);
    }
    if (rc) {
        exec(c, "ROLLBACK");
        return rc;
    }
    return exec(c, "COMMIT");
}

int cache_open(const char *path, bool readonly, struct cache **out)
{
    *out = NULL;
    struct stat st;
    if (readonly && stat(path, &st) != 0) return GRA_ENOENT;
    struct cache *c = xcalloc(1, sizeof *c);
    c->path = xstrdup(path);
    c->readonly = readonly;
    int rc = 0;
    int flags = readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = err(GRA_ECACHE, "cannot open cache %s: %s", path,
                 c->db ? sqlite3_errmsg(c->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(c->db, 15000);
    if (!readonly && (rc = init_schema(c)) != 0) goto out;
    /* before anything changes the file: a foreign database is left as it was */
    if ((rc = check_format(c)) != 0) goto out;
    if (!readonly) {
        if ((rc = exec(c, "PRAGMA journal_mode=WAL")) != 0) goto out;
        if ((rc = exec(c, "PRAGMA synchronous=NORMAL")) != 0) goto out;
        if (sqlite3_prepare_v2(c->db,
                               "INSERT OR REPLACE INTO calls(k64, key, model, created, value,"
                               " value_sha256, latency_ms) VALUES (?6, ?1, ?2, ?3, ?4, ?5, ?7)",
                               -1, &c->put, NULL) != SQLITE_OK) {
            rc = db_fail(c, "prepare insert");
            goto out;
        }
    }
    if (sqlite3_prepare_v2(c->db, "SELECT value, value_sha256, key, latency_ms FROM calls WHERE k64 = ?1", -1,
                           &c->get, NULL) != SQLITE_OK) {
        rc = db_fail(c, "prepare lookup (is this a gra call cache?)");
        goto out;
    }
out:
    if (rc) {
        cache_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

int cache_flush(struct cache *c)
{
    if (!c || !c->pending) return 0;
    c->pending = 0;
    return exec(c, "COMMIT");
}

int cache_tick(struct cache *c)
{
    if (!c || !c->pending) return 0;
    if (c->pending >= CACHE_BATCH || mono_ms() - c->batch_start >= CACHE_BATCH_MS)
        return cache_flush(c);
    return 0;
}

int cache_close(struct cache *c)
{
    if (!c) return 0;
    int rc = 0;
    if (c->db) rc = cache_flush(c);
    sqlite3_finalize(c->get);
    sqlite3_finalize(c->put);
    if (c->db && sqlite3_close(c->db) != SQLITE_OK) rc = db_fail(c, "close");
    free(c->path);
    free(c);
    return rc;
}

/* The row id of a key: its first 64 bits. A collision of two keys' first 64
 * bits (about n^2/2^65 for n entries) only means one evicts the other. */
static sqlite3_int64 key64(const char *key)
{
    uint64_t v = 0;
    for (int i = 0; i < 16 && key[i]; i++) {
        char ch = key[i];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : 0;
        v = v << 4 | (uint64_t)d;
    }
    return (sqlite3_int64)v;
}

int cache_get(struct cache *c, const char *key, char **value, size_t *len, double *latency_ms)
{
    *value = NULL;
    if (len) *len = 0;
    if (latency_ms) *latency_ms = 0;
    int rc = GRA_ENOENT;
    sqlite3_bind_int64(c->get, 1, key64(key));
    int s = sqlite3_step(c->get);
    const unsigned char *stored = s == SQLITE_ROW ? sqlite3_column_text(c->get, 2) : NULL;
    if (s == SQLITE_ROW && (!stored || strcmp((const char *)stored, key) != 0)) {
        /* another key with the same first 64 bits: a miss */
    } else if (s == SQLITE_ROW) {
        const void *v = sqlite3_column_blob(c->get, 0);
        size_t n = (size_t)sqlite3_column_bytes(c->get, 0);
        const unsigned char *h = sqlite3_column_text(c->get, 1);
        char hex[SHA256_HEX_LEN + 1];
        sha256_hex(v ? v : "", n, hex);
        if (!h || strcmp((const char *)h, hex) != 0) {
            log_warn("cache %s: entry %s is damaged (value hash mismatch); treated as a miss",
                     c->path, key);
        } else {
            char *p = xmalloc(n + 1);
            if (n) memcpy(p, v, n);
            p[n] = '\0';
            *value = p;
            if (len) *len = n;
            if (latency_ms) *latency_ms = sqlite3_column_double(c->get, 3);
            rc = 0;
        }
    } else if (s != SQLITE_DONE) {
        rc = db_fail(c, "lookup");
    }
    sqlite3_reset(c->get);
    sqlite3_clear_bindings(c->get);
    return rc;
}

int cache_put(struct cache *c, const char *key, const char *model, const void *value, size_t len,
              double latency_ms)
{
    if (c->readonly) return err(GRA_ECACHE, "cache %s: opened read-only", c->path);
    int rc;
    if (!c->pending) {
        if ((rc = exec(c, "BEGIN IMMEDIATE")) != 0) return rc;
        c->batch_start = mono_ms();
    }
    char hex[SHA256_HEX_LEN + 1];
    sha256_hex(value, len, hex);
    sqlite3_bind_text(c->put, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(c->put, 2, model ? model : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(c->put, 3, (sqlite3_int64)time(NULL));
    sqlite3_bind_blob(c->put, 4, len ? value : "", (int)len, SQLITE_STATIC);
    sqlite3_bind_text(c->put, 5, hex, -1, SQLITE_STATIC);
    sqlite3_bind_int64(c->put, 6, key64(key));
    sqlite3_bind_double(c->put, 7, latency_ms);
    int s = sqlite3_step(c->put);
    rc = s == SQLITE_DONE ? 0 : db_fail(c, "insert");
    sqlite3_reset(c->put);
    sqlite3_clear_bindings(c->put);
    c->pending++;
    if (rc) {
        c->pending = 0;
        exec(c, "ROLLBACK");
        return rc;
    }
    return cache_tick(c);
}

static void iso_time(sqlite3_int64 t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size : 0;
}

int cache_stats(struct cache *c, struct cJSON **out)
{
    *out = NULL;
    int rc = 0;
    sqlite3_stmt *st = NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", c->path);
    if (sqlite3_prepare_v2(
            c->db,
            "SELECT count(*), coalesce(sum(length(value)),0), min(created), max(created)"
            " FROM calls",
            -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(c, "stats");
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = db_fail(c, "stats");
        goto out;
    }
    char *wal = xasprintf("%s-wal", c->path);
    cJSON_AddNumberToObject(o, "entries", (double)sqlite3_column_int64(st, 0));
    cJSON_AddNumberToObject(o, "bytes", file_size(c->path) + file_size(wal));
    free(wal);
    cJSON_AddNumberToObject(o, "value_bytes", (double)sqlite3_column_int64(st, 1));
    char t[32];
    for (int i = 2; i <= 3; i++) {
        const char *name = i == 2 ? "oldest" : "newest";
        if (sqlite3_column_type(st, i) == SQLITE_NULL) {
            cJSON_AddNullToObject(o, name);
        } else {
            iso_time(sqlite3_column_int64(st, i), t);
            cJSON_AddStringToObject(o, name, t);
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(c->db, "SELECT model, count(*) FROM calls GROUP BY model ORDER BY model",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(c, "stats by model");
        goto out;
    }
    cJSON *models = cJSON_AddObjectToObject(o, "models");
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW)
        cJSON_AddNumberToObject(models, (const char *)sqlite3_column_text(st, 0),
                                (double)sqlite3_column_int64(st, 1));
    if (s != SQLITE_DONE) rc = db_fail(c, "stats by model");
out:
    sqlite3_finalize(st);
    if (rc)
        cJSON_Delete(o);
    else
        *out = o;
    return rc;
}

int cache_verify(struct cache *c, cache_bad_fn bad, void *ud, long *n_checked, long *n_bad)
{
    *n_checked = *n_bad = 0;
    int rc = 0, s;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(c, "integrity_check");
        goto out;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *msg = (const char *)sqlite3_column_text(st, 0);
        if (msg && strcmp(msg, "ok") != 0) {
            (*n_bad)++;
            if (bad) bad(ud, "", msg);
        }
    }
    if (s != SQLITE_DONE) {
        (*n_bad)++;
        if (bad) bad(ud, "", sqlite3_errmsg(c->db));
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(c->db, "SELECT key, value, value_sha256, k64 FROM calls", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = db_fail(c, "read entries");
        goto out;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        const void *v = sqlite3_column_blob(st, 1);
        size_t n = (size_t)sqlite3_column_bytes(st, 1);
        const char *h = (const char *)sqlite3_column_text(st, 2);
        char hex[SHA256_HEX_LEN + 1];
        sha256_hex(v ? v : "", n, hex);
        (*n_checked)++;
        if (!h || strcmp(h, hex) != 0) {
            (*n_bad)++;
            if (bad) bad(ud, key ? key : "?", "value does not match its sha256");
        } else if (!key || strlen(key) != SHA256_HEX_LEN ||
                   sqlite3_column_int64(st, 3) != key64(key)) {
            (*n_bad)++;
            if (bad) bad(ud, key ? key : "?", "key is not a sha256 hex digest");
        }
    }
    if (s != SQLITE_DONE) {
        (*n_bad)++;
        if (bad) bad(ud, "", sqlite3_errmsg(c->db));
    }
out:
    sqlite3_finalize(st);
    return rc;
}
