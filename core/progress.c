/*
 * progress: the live stderr line (see progress.h).
 *
 * Split in two so the formatting can be tested without a terminal or a clock:
 * progress_format() turns figures into text and nothing else; the struct
 * progress side owns time (CLOCK_MONOTONIC), the throttle (10 redraws a
 * second on a terminal, one plain line every 5 s otherwise) and the smoothed
 * rate. The rate is an exponential moving average with a 5 s time constant,
 * updated at most every 0.25 s, so a burst of completions after a stall does
 * not swing the ETA wildly. At most one live line exists per process (the one
 * on screen), remembered in `shown` so that progress_clear_line() can wipe it
 * before a log message is written. Only one object prints at a time: one
 * created while another is live (llm_run's line inside a stage's wave) stays
 * silent, so two lines never fight over the terminal.
 */
#include "core/progress.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"

bool gra_quiet;

#define PROGRESS_TTY_INTERVAL 0.1   /* s between terminal redraws */
#define PROGRESS_PLAIN_INTERVAL 5.0 /* s between plain lines */
#define PROGRESS_RATE_TAU 5.0       /* s, time constant of the smoothed rate */
#define PROGRESS_RATE_MIN_DT 0.25   /* s, shortest interval that updates the rate */

struct progress {
    char *label;
    long total;
    bool quiet, tty;
    bool counted; /* counted in `live`: this is the line being shown */
    double t0, last_draw;
    double rate_t;  /* time of the last rate sample */
    long rate_done; /* done at that time */
    double rate;    /* smoothed items/s, < 0 until the first sample */
    long done, inflight, retries, failures;
};

/* The logger calls progress_clear_line() from any thread (serve-sim runs
 * in-process on libmicrohttpd's threads), so what is on screen is guarded. */
static pthread_mutex_t screen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct progress *shown; /* the live terminal line on screen, if any */
static atomic_bool redraw_now; /* the line was wiped for a log message */
static int live;               /* progress objects that print (0 or 1) */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_format_duration(char *out, size_t n, double s)
{
    if (!isfinite(s) || s < 0 || s > 1e9) {
        snprintf(out, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(out, n, "%02ld:%02ld", t / 60, t % 60);
}

/* snprintf that never runs past the end and tracks the length. */
static void put(char *out, size_t n, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *out, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= n) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out + *len, n - *len, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    *len += (size_t)k < n - *len ? (size_t)k : n - *len - 1;
}

int progress_format(char *out, size_t n, const struct progress_figures *f)
{
    size_t len = 0;
    if (!n) return 0;
    out[0] = '\0';
    put(out, n, &len, "%s", f->label ? f->label : "");
    bool known_total = f->total > 0;
    if (f->done >= 0) {
        if (known_total) {
            double pct = 100.0 * (double)f->done / (double)f->total;
            put(out, n, &len, "  %ld/%ld (%.1f%%)", f->done, f->total, pct);
        } else {
            put(out, n, &len, "  %ld", f->done);
        }
    }
    if (f->rate >= 0 && isfinite(f->rate)) {
        if (f->rate < 10)
            put(out, n, &len, "  %.2f/s", f->rate);
        else if (f->rate < 100)
            put(out, n, &len, "  %.1f/s", f->rate);
        else
            put(out, n, &len, "  %.0f/s", f->rate);
    } else if (!f->final) {
        put(out, n, &len, "  -/s");
    }
    char d[32];
    if (f->final) {
        progress_format_duration(d, sizeof d, f->elapsed_s);
        put(out, n, &len, "  in %s", d);
    } else if (known_total && f->done >= 0) {
        long left = f->total - f->done;
        if (left <= 0)
            progress_format_duration(d, sizeof d, 0);
        else if (f->rate > 0)
            progress_format_duration(d, sizeof d, (double)left / f->rate);
        else
            progress_format_duration(d, sizeof d, -1);
        put(out, n, &len, "  ETA %s", d);
    }
    if (f->inflight >= 0) put(out, n, &len, "  in-flight %ld", f->inflight);
    if (f->retries >= 0) put(out, n, &len, "  retries %ld", f->retries);
    if (f->failures >= 0) put(out, n, &len, "  failed %ld", f->failures);
    return (int)len;
}

static void figures(const struct progress *p, struct progress_figures *f, bool final, double t)
{
    f->label = p->label;
    f->done = p->done;
    f->total = p->total;
    f->inflight = final ? -1 : p->inflight;
    f->retries = p->retries;
    f->failures = p->failures;
    f->final = final;
    f->elapsed_s = t - p->t0;
    if (final)
        f->rate = f->elapsed_s > 0 && p->done >= 0 ? (double)p->done / f->elapsed_s : -1;
    else
        f->rate = p->rate;
}

static int term_cols(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) return ws.ws_col;
    return 0;
}

static void draw(struct progress *p, bool final, double t)
{
    char line[512];
    struct progress_figures f;
    figures(p, &f, final, t);
    int len = progress_format(line, sizeof line, &f);
    pthread_mutex_lock(&screen_lock);
    if (p->tty) {
        int cols = term_cols();
        /* one column short of the width, so the line never wraps */
        if (cols && len >= cols) len = cols - 1;
        fprintf(stderr, "\r%.*s\033[K%s", len, line, final ? "\n" : "");
        shown = final ? NULL : p;
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
    p->last_draw = t;
    pthread_mutex_unlock(&screen_lock);
}

struct progress *progress_new(const char *label, long total, bool quiet)
{
    struct progress *p = xcalloc(1, sizeof *p);
    p->label = xstrdup(label ? label : "");
    p->total = total > 0 ? total : 0;
    p->quiet = quiet || gra_quiet;
    /* nested (a client's line inside a stage's): the outer line is the one shown */
    if (!p->quiet && live > 0) p->quiet = true;
    if (!p->quiet) {
        live++;
        p->counted = true;
    }
    p->tty = isatty(STDERR_FILENO) == 1;
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0) p->tty = false;
    p->t0 = p->last_draw = p->rate_t = now_s();
    p->rate = -1;
    p->done = 0;
    p->inflight = p->retries = p->failures = -1;
    return p;
}

void progress_set_total(struct progress *p, long total)
{
    if (p) p->total = total > 0 ? total : 0;
}

static void sample_rate(struct progress *p, double t)
{
    double dt = t - p->rate_t;
    if (dt < PROGRESS_RATE_MIN_DT) return;
    double inst = (double)(p->done - p->rate_done) / dt;
    if (inst < 0) inst = 0;
    if (p->rate < 0) {
        p->rate = inst;
    } else {
        double a = 1.0 - exp(-dt / PROGRESS_RATE_TAU);
        p->rate += a * (inst - p->rate);
    }
    p->rate_t = t;
    p->rate_done = p->done;
}

void progress_update(struct progress *p, long done, long inflight, long retries, long failures)
{
    if (!p) return;
    if (done >= 0) p->done = done;
    p->inflight = inflight;
    p->retries = retries;
    p->failures = failures;
    if (p->quiet) return;
    double t = now_s();
    double gap = p->tty ? PROGRESS_TTY_INTERVAL : PROGRESS_PLAIN_INTERVAL;
    if (t - p->last_draw < gap && !(p->tty && atomic_exchange(&redraw_now, false))) return;
    sample_rate(p, t);
    draw(p, false, t);
}

void progress_finish(struct progress *p)
{
    if (!p) return;
    if (!p->quiet) draw(p, true, now_s());
    pthread_mutex_lock(&screen_lock);
    if (shown == p) shown = NULL;
    pthread_mutex_unlock(&screen_lock);
    if (p->counted) live--;
    free(p->label);
    free(p);
}

/* Caller holds screen_lock. */
static void clear_locked(void)
{
    if (!shown) return;
    fputs("\r\033[K", stderr);
    shown = NULL;
    atomic_store(&redraw_now, true); /* at the next update, throttle or not */
}

void progress_clear_line(void)
{
    pthread_mutex_lock(&screen_lock);
    clear_locked();
    pthread_mutex_unlock(&screen_lock);
}

void progress_write_line(const char *text)
{
    pthread_mutex_lock(&screen_lock);
    clear_locked();
    fputs(text, stderr);
    fflush(stderr);
    pthread_mutex_unlock(&screen_lock);
}
