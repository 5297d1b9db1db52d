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

struct progress;

/* label: what is counted ("synth gra samples"); total 0 = unknown. Free with
 * progress_finish(). */
struct progress *progress_new(const char *label, long total, bool quiet);
void progress_set_total(struct progress *p, long total);
/* Current figures; any may be -1 for "not shown". */
void progress_update(struct progress *p, long done, long inflight, long retries, long failures);
/* Print the final line and free p (NULL is a no-op). */
void progress_finish(struct progress *p);
/* Process-wide quiet switch set by --quiet. */
extern bool gra_quiet;

#endif
