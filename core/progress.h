/*
 * progress: the live stderr line for long work.
 * On a terminal: one line rewritten in place (done/total, rate, ETA, in
 * flight, retries, failures); otherwise a plain line every few seconds; with
 * quiet, nothing. Cheap to call from a hot loop: it redraws at most 10 times
 * a second.
 */
#ifndef GRA_PROGRESS_H
#define GRA_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

struct progress;

/* label: what is counted ("synth gra samples"); total 0 = unknown. Free with
 * progress_finish(). quiet (or gra_quiet) prints nothing; so does a progress
 * created while another one is live and printing (the outer line is shown,
 * e.g. a stage's line around the client's own). */
struct progress *progress_new(const char *label, long total, bool quiet);
void progress_set_total(struct progress *p, long total);
/* Current figures; any may be -1 for "not shown". */
void progress_update(struct progress *p, long done, long inflight, long retries, long failures);
/* Print the final line and free p (NULL is a no-op). */
void progress_finish(struct progress *p);
/* Clear a live terminal line if one is on screen, so that a log message can
 * be written on a clean line; the next update redraws it. Cheap no-op when no
 * line is shown. */
void progress_clear_line(void);
/* Write text (whole lines, newline included) to stderr on a clean line: the
 * live line is wiped first and redrawn at the next update, and no progress
 * redraw can come in between. The logger writes through this. */
void progress_write_line(const char *text);

/* The figures one line shows; the pure formatting behind the live line,
 * exposed for tests. Any long may be -1 for "not shown"; total <= 0 means
 * unknown (no percentage, no ETA); rate < 0 means not yet known. */
struct progress_figures {
    const char *label;
    long done, total;
    double rate;      /* items per second, smoothed */
    double elapsed_s; /* shown instead of the ETA when final */
    long inflight, retries, failures;
    bool final;
};
/* Render into out (n bytes, always NUL-terminated):
 *   LABEL  done/total (pct%)  rate/s  ETA mm:ss  in-flight N  retries N  failed N
 * Returns the length written. */
int progress_format(char *out, size_t n, const struct progress_figures *f);
/* "mm:ss", or "h:mm:ss" from an hour on; negative or non-finite gives "--:--". */
void progress_format_duration(char *out, size_t n, double seconds);

/* Process-wide quiet switch set by --quiet. */
extern bool gra_quiet;

#endif
