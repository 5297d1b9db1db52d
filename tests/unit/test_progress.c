/*
 * test_progress: the progress line's formatting (pure, from figures) and the
 * plain/quiet behaviour when stderr is not a terminal (captured to a file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the four headers above first */
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/progress.h"

static void test_format_full(void **state)
{
    (void)state;
    char line[256];
    struct progress_figures f = {.label = "synth gra samples",
                                 .done = 120,
                                 .total = 1000,
                                 .rate = 3.4,
                                 .inflight = 16,
                                 .retries = 2,
                                 .failures = 0};
    progress_format(line, sizeof line, &f);
    /* 880 left at 3.4/s = 258.8 s = 04:19 */
    assert_string_equal(line, "synth gra samples  120/1000 (12.0%)  3.40/s  ETA 04:19  "
                              "in-flight 16  retries 2  failed 0");
}

static void test_format_unknown_total(void **state)
{
    (void)state;
    char line[256];
    struct progress_figures f = {.label = "eval items",
                                 .done = 5321,
                                 .total = 0,
                                 .rate = 250.4,
                                 .inflight = -1,
                                 .retries = -1,
                                 .failures = 7};
    progress_format(line, sizeof line, &f);
    assert_string_equal(line, "eval items  5321  250/s  failed 7");
    assert_null(strstr(line, "ETA"));
}

static void test_format_rates_and_eta(void **state)
{
    (void)state;
    char line[256];
    /* no rate yet: "-/s" and an unknown ETA */
    struct progress_figures f = {.label = "x",
                                 .done = 0,
                                 .total = 10,
                                 .rate = -1,
                                 .inflight = -1,
                                 .retries = -1,
                                 .failures = -1};
    progress_format(line, sizeof line, &f);
    assert_string_equal(line, "x  0/10 (0.0%)  -/s  ETA --:--");
    /* a middle rate gets one decimal; long ETAs get hours */
    f.rate = 12.25;
    f.total = 100000;
    f.done = 50000;
    progress_format(line, sizeof line, &f);
    assert_string_equal(line, "x  50000/100000 (50.0%)  12.2/s  ETA 1:08:02");
    /* finished work: ETA 00:00 */
    f.done = 100000;
    progress_format(line, sizeof line, &f);
    assert_string_equal(line, "x  100000/100000 (100.0%)  12.2/s  ETA 00:00");
    /* final line: elapsed instead of ETA */
    f.final = true;
    f.elapsed_s = 75.4;
    f.rate = 1326.3;
    progress_format(line, sizeof line, &f);
    assert_string_equal(line, "x  100000/100000 (100.0%)  1326/s  in 01:15");
}

static void test_format_truncates(void **state)
{
    (void)state;
    char small[16];
    struct progress_figures f = {.label = "a very long label indeed",
                                 .done = 1,
                                 .total = 2,
                                 .rate = 1,
                                 .inflight = 1,
                                 .retries = 1,
                                 .failures = 1};
    int n = progress_format(small, sizeof small, &f);
    assert_int_equal(n, 15);
    assert_int_equal(strlen(small), 15);
    assert_memory_equal(small, "a very long lab", 15);
}

static void test_duration(void **state)
{
    (void)state;
    char d[32];
    progress_format_duration(d, sizeof d, 0);
    assert_string_equal(d, "00:00");
    progress_format_duration(d, sizeof d, 59.6);
    assert_string_equal(d, "01:00");
    progress_format_duration(d, sizeof d, 3599);
    assert_string_equal(d, "59:59");
    progress_format_duration(d, sizeof d, 3600);
    assert_string_equal(d, "1:00:00");
    progress_format_duration(d, sizeof d, -1);
    assert_string_equal(d, "--:--");
}

/* Run fn with fd 2 pointed at a file (not a terminal) and return what it wrote. */
static char *captured(void (*fn)(void))
{
    const char *t = getenv("GRA_TEST_TMP");
    char *dir = xstrdup(t && *t ? t : "/tmp");
    fileio_mkdirs(dir);
    char *path = xasprintf("%s/test_progress.XXXXXX", dir);
    free(dir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    close(fd);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *text;
    size_t len;
    assert_int_equal(fileio_read(path, &text, &len), 0);
    unlink(path);
    free(path);
    return text;
}

static void run_plain(void)
{
    struct progress *p = progress_new("work", 1000, false);
    /* a hot loop well inside the 5 s plain-line interval: no line yet */
    for (long i = 1; i <= 1000; i++) progress_update(p, i, 4, 1, 2);
    progress_finish(p);
}

static void run_quiet_arg(void)
{
    struct progress *p = progress_new("work", 10, true);
    for (long i = 1; i <= 10; i++) progress_update(p, i, 1, 0, 0);
    progress_finish(p);
}

static void run_quiet_global(void)
{
    gra_quiet = true;
    struct progress *p = progress_new("work", 10, false);
    progress_update(p, 10, 0, 0, 0);
    progress_finish(p);
    gra_quiet = false;
}

static void run_nested(void)
{
    struct progress *outer = progress_new("outer", 2, false);
    struct progress *inner = progress_new("inner", 0, false);
    progress_update(inner, 5, 1, 0, 0);
    progress_finish(inner);
    progress_update(outer, 2, 0, 0, 0);
    progress_finish(outer);
    /* once the outer one is gone, a new one prints again */
    struct progress *next = progress_new("next", 1, false);
    progress_update(next, 1, 0, 0, 0);
    progress_finish(next);
}

static void test_plain_and_quiet(void **state)
{
    (void)state;
    char *out = captured(run_plain);
    /* exactly one line, the final one, with no terminal escapes */
    assert_non_null(strstr(out, "work  1000/1000 (100.0%)"));
    assert_non_null(strstr(out, "retries 1  failed 2"));
    assert_non_null(strstr(out, " in 00:0"));
    assert_null(strstr(out, "in-flight")); /* nothing in flight once finished */
    assert_null(strchr(out, '\r'));
    assert_null(strchr(out, '\033'));
    assert_non_null(strchr(out, '\n'));
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
    free(out);

    out = captured(run_quiet_arg);
    assert_string_equal(out, "");
    free(out);
    out = captured(run_quiet_global);
    assert_string_equal(out, "");
    free(out);

    out = captured(run_nested);
    assert_null(strstr(out, "inner"));
    assert_non_null(strstr(out, "outer  2/2 (100.0%)"));
    assert_non_null(strstr(out, "next  1/1 (100.0%)"));
    free(out);

    /* NULL is a no-op everywhere */
    progress_update(NULL, 1, 1, 1, 1);
    progress_set_total(NULL, 3);
    progress_finish(NULL);
    progress_clear_line();
}

/* On a terminal (a pseudo-terminal here): the line is rewritten in place
 * with \r and clear-to-end-of-line, at most 10 times a second, and a log
 * message wipes it first so the message starts on a clean line. */
static void test_terminal(void **state)
{
    (void)state;
    /* /dev/ptmx + TIOCSPTLCK/TIOCGPTN: posix_openpt() would need _XOPEN_SOURCE */
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY);
    int unlock = 0;
    unsigned int ptn = 0;
    if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) != 0 ||
        ioctl(master, TIOCGPTN, &ptn) != 0) {
        print_message("skip test_terminal: no pseudo-terminal available here\n");
        if (master >= 0) close(master);
        skip();
    }
    char name[64];
    snprintf(name, sizeof name, "/dev/pts/%u", ptn);
    int slave = open(name, O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    struct termios tio;
    assert_int_equal(tcgetattr(slave, &tio), 0);
    tio.c_oflag &= ~(tcflag_t)OPOST; /* bytes through unchanged */
    tcsetattr(slave, TCSANOW, &tio);
    const char *term = getenv("TERM");
    char *saved_term = term ? xstrdup(term) : NULL;
    setenv("TERM", "xterm", 1);
    fflush(stderr);
    int saved = dup(2);
    dup2(slave, 2);

    struct progress *p = progress_new("tty items", 100, false);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 1; i <= 1000; i++) progress_update(p, i / 10, 3, 0, 0); /* throttled */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double loop_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    usleep(120 * 1000);
    progress_update(p, 40, 3, 1, 0); /* due: drawn */
    log_warn("a message in between");
    progress_update(p, 41, 3, 1, 0); /* redrawn at once after the message */
    progress_finish(p);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(slave);
    if (saved_term)
        setenv("TERM", saved_term, 1);
    else
        unsetenv("TERM");
    free(saved_term);

    char out[8192];
    size_t len = 0;
    int fl = fcntl(master, F_GETFL);
    fcntl(master, F_SETFL, fl | O_NONBLOCK);
    for (;;) {
        ssize_t n = read(master, out + len, sizeof out - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
    }
    close(master);
    out[len] = '\0';

    /* the throttle: the 1000 quick updates drew at most one line per 0.1 s
     * (none at all unless the machine stalled the loop) */
    int draws = 0;
    const char *stop = strstr(out, "tty items  40/100");
    assert_non_null(stop);
    for (const char *q = out; (q = strstr(q, "\rtty items")) && q < stop; q++) draws++;
    assert_true(draws <= 1 + (int)(loop_s / 0.1));
    assert_non_null(strstr(out, "\rtty items  40/100 (40.0%)"));
    assert_non_null(strstr(out, "retries 1  failed 0\033[K"));
    /* the message starts on a wiped line, and the line comes back right after */
    assert_non_null(strstr(out, "\033[K\r\033[Kgra: warning: a message in between\n"));
    assert_non_null(strstr(out, "in between\n\rtty items  41/100 (41.0%)"));
    /* the final line ends with a newline, nothing in flight */
    assert_non_null(strstr(out, "\rtty items  41/100 (41.0%)"));
    const char *last = strstr(out, " in 00:0"); /* well under 10 s */
    assert_non_null(last);
    assert_string_equal(last + 9, "  retries 1  failed 0\033[K\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_full),
        cmocka_unit_test(test_format_unknown_total),
        cmocka_unit_test(test_format_rates_and_eta),
        cmocka_unit_test(test_format_truncates),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_terminal),
        cmocka_unit_test(test_plain_and_quiet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
