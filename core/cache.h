/*
 * cache: the call cache, a SQLite file mapping the sha256 of a canonical LLM
 * request (llm_request_key) to the server's response body.
 *
 * One table, calls(id, k64, key, model, created, value, value_sha256), rows
 * appended in id order and found through a unique index on k64 (the key's
 * first 64 bits; the full key is compared on every read), so inserts touch a
 * small index instead of a B-tree of large rows. PRAGMA user_version 1 marks
 * the format; any other SQLite file is refused untouched. The database
 * runs in WAL mode with synchronous=NORMAL: every write is inside a
 * transaction, so a process killed at any moment (kill -9) leaves either the
 * whole transaction or none of it, never a torn entry. Writes are batched: a
 * put joins the open transaction, which commits after CACHE_BATCH puts, after
 * CACHE_BATCH_MS, on cache_flush() and on cache_close(). An entry lost with
 * an uncommitted batch only costs a repeated call. Each value carries its
 * sha256 so `gra cache verify` (and every read) can detect damage; a damaged
 * entry reads as a miss. Several processes may share one file (busy timeout).
 *
 * Ownership: cache_open() returns a handle freed by cache_close(); values
 * returned by cache_get() are heap copies freed with free(); JSON from
 * cache_stats() is freed with cJSON_Delete().
 */
#ifndef GRA_CACHE_H
#define GRA_CACHE_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct cache;

#define CACHE_BATCH 2048
#define CACHE_BATCH_MS 200

/* Open (creating when !readonly) the cache at path. 0, GRA_ENOENT when
 * readonly and the file is missing, or GRA_ECACHE after logging. */
int cache_open(const char *path, bool readonly, struct cache **out);
/* Commit pending writes and close; returns 0 or GRA_ECACHE (the handle is
 * freed either way). NULL ok. */
int cache_close(struct cache *c);

/* Look up key (64 hex). 0 and a heap copy of the value (NUL-terminated,
 * free()) on a hit, with the latency recorded when the entry was made (0 =
 * unknown; latency_ms may be NULL); GRA_ENOENT on a miss or a damaged entry
 * (logged); GRA_ECACHE on a database error. */
int cache_get(struct cache *c, const char *key, char **value, size_t *len, double *latency_ms);

/* Insert or replace key -> value (model is the served model name, stored for
 * statistics; latency_ms the wall time of the call that produced it). Joins
 * the open write batch. 0 or GRA_ECACHE. */
int cache_put(struct cache *c, const char *key, const char *model, const void *value, size_t len,
              double latency_ms);

/* Commit the open batch now. 0 or GRA_ECACHE. */
int cache_flush(struct cache *c);
/* Commit the open batch if it is due (size or age). Cheap; call often. */
int cache_tick(struct cache *c);

/* {"path", "entries", "bytes" (file + WAL size), "value_bytes",
 *  "oldest", "newest" (ISO-8601 UTC, null when empty),
 *  "models": {name: entries}}. 0 or GRA_ECACHE. */
int cache_stats(struct cache *c, struct cJSON **out);

/* Run PRAGMA integrity_check and re-hash every value; bad(ud, key, why) is
 * called for each damaged entry (key "" for a database-level problem).
 * *n_checked / *n_bad are set. 0 when the walk completed (even with damage:
 * look at *n_bad), GRA_ECACHE when the database cannot be read at all. */
typedef void (*cache_bad_fn)(void *ud, const char *key, const char *why);
int cache_verify(struct cache *c, cache_bad_fn bad, void *ud, long *n_checked, long *n_bad);

#endif
