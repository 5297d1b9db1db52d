/*
 * err: the error table, the logger and the aborting allocators.
 * The logger writes whole lines to stderr with one fprintf so that lines from
 * the progress display and from log calls never interleave mid-line.
 */
#include "core/err.h"
#include "core/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gra_log_level = LOG_INFO;

const char *gra_strerror(int code)
{
    switch (code) {
    case GRA_OK:
        return "success";
#define X(name, msg)    \
    case GRA_##name: \
        return msg;
        GRA_ERRORS(X)
#undef X
    default:
        return "unknown error";
    }
}

int gra_exit_code(int code)
{
    switch (code) {
    case GRA_OK:
        return GRA_EXIT_OK;
    case GRA_EINVAL:
        return GRA_EXIT_USAGE;
    case GRA_ECONFIG:
        return GRA_EXIT_CONFIG;
    case GRA_EEXTERNAL:
        return GRA_EXIT_EXTERNAL;
    case GRA_EINTR:
        return GRA_EXIT_INTERRUPTED;
    case GRA_EIO:
    case GRA_ECACHE:
    case GRA_ECHECKSUM:
    case GRA_ENOENT:
    case GRA_EPARSE:
        return GRA_EXIT_IO;
    default:
        return GRA_EXIT_FAILED_ITEMS;
    }
}

static const char *level_name[] = {"error", "warning", "info", "debug"};

void log_vmsg(int level, const char *fmt, va_list ap)
{
    if (level > gra_log_level) return;
    char line[4096], out[4200];
    vsnprintf(line, sizeof line, fmt, ap);
    if (level <= LOG_WARN)
        snprintf(out, sizeof out, "gra: %s: %s\n", level_name[level], line);
    else
        snprintf(out, sizeof out, "gra: %s\n", line);
    /* one write on a clean line, never appended to a live progress line */
    progress_write_line(out);
}

void log_msg(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

int err(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_ERROR, fmt, ap);
    va_end(ap);
    return code;
}

static void oom(size_t n)
{
    fprintf(stderr, "gra: fatal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p) oom(count * n);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) oom(0);
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}
