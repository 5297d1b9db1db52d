/*
 * err: error codes, messages and the logger shared by every module.
 *
 * Codes come from one X-macro table (libuv's uv-errno.h shape) so the enum and
 * gra_strerror() can never drift apart. Functions return 0 on success and a
 * negative GRA_E* code on failure; err() logs the context where the failure
 * happens and returns the code, git's `return error(...)` idiom:
 *
 *     return err(GRA_EIO, "cannot open %s: %s", path, strerror(errno));
 *
 * A failed LLM call, a rejected sample or an unparseable answer are data, not
 * C errors: they become records with a status.
 */
#ifndef GRA_ERR_H
#define GRA_ERR_H

#include <stdarg.h>

#define GRA_ERRORS(X)                                         \
    X(EINVAL, "invalid argument")                             \
    X(EIO, "input/output error")                              \
    X(ECONFIG, "invalid configuration")                       \
    X(EPARSE, "malformed input")                              \
    X(EHTTP, "HTTP request failed")                           \
    X(ECACHE, "call cache error")                             \
    X(EMISS, "cache miss in replay mode")                     \
    X(ENOENT, "not found")                                    \
    X(ECHECKSUM, "checksum mismatch")                         \
    X(EEXTERNAL, "external command failed")                   \
    X(EINTR, "interrupted")                                   \
    X(ELIMIT, "limit exceeded")                               \
    X(ESTATE, "inconsistent state")

enum gra_err {
    GRA_OK = 0,
#define X(name, msg) GRA_##name,
    GRA_ERR_FIRST_ = -1000,
    GRA_ERRORS(X)
#undef X
};

/* Message for a GRA_E* code (static string, never NULL). */
const char *gra_strerror(int code);

/* Process exit codes (docs/exit-codes.md). */
enum gra_exit {
    GRA_EXIT_OK = 0,
    GRA_EXIT_FAILED_ITEMS = 1, /* finished, but failures over the allowed threshold */
    GRA_EXIT_USAGE = 2,
    GRA_EXIT_CONFIG = 3,
    GRA_EXIT_IO = 4,
    GRA_EXIT_EXTERNAL = 5,
    GRA_EXIT_INTERRUPTED = 130,
};

/* Map a GRA_E* code to the exit code documented for it. */
int gra_exit_code(int code);

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* The one global besides parsed CLI options: messages above it are dropped. */
extern int gra_log_level;

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)                                        \
    do {                                                     \
        if (gra_log_level >= LOG_INFO) log_msg(LOG_INFO, __VA_ARGS__); \
    } while (0)
#define log_debug(...)                                       \
    do {                                                     \
        if (gra_log_level >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); \
    } while (0)

/* Log "gra: error: <message>" and return code. */
int err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Allocation that aborts on out-of-memory (redis zmalloc): call sites stay clean. */
#include <stddef.h>
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string; free with free(). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define GRA_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
