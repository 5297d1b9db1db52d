/*
 * test_sandbox: hostile and ordinary programs in the code sandbox, each
 * ending in a recorded status with the host left as it was.
 *
 * Every test uses its own temporary root (under $GRA_TEST_TMP) for the work
 * directories, so "no leftovers" can be checked by looking for any process
 * whose current directory is under it, and for files left in it.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/fileio.h"
#include "eval/sandbox.h"

static char *troot; /* this run's temporary root */

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("GRA_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    if (fileio_mkdirs(base) != 0) return -1;
    if (sandbox_check_tmp_root(base) != 0) {
        printf("note: %s is not reachable by the sandbox uid; using /tmp\n", base);
        base = "/tmp";
    }
    troot = xasprintf("%s/sandbox-XXXXXX", base);
    if (!mkdtemp(troot)) return -1;
    chmod(troot, 0755); /* nobody must reach the work dirs */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rmdir(troot);
    free(troot);
    return 0;
}

static struct sandbox_opts opts(double timeout_s)
{
    struct sandbox_opts o;
    memset(&o, 0, sizeof o);
    o.workers = 2;
    o.timeout_s = timeout_s;
    o.tmp_root = troot;
    return o;
}

/* Processes whose cwd is under troot (a sandbox's work dir). */
static int processes_in_root(void)
{
    DIR *d = opendir("/proc");
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    size_t tl = strlen(troot);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char link[300], target[4096];
        snprintf(link, sizeof link, "/proc/%s/cwd", e->d_name);
        ssize_t r = readlink(link, target, sizeof target - 1);
        if (r <= 0) continue;
        target[r] = '\0';
        if (!strncmp(target, troot, tl)) n++;
    }
    closedir(d);
    return n;
}

/* Entries left in troot (work dirs not removed). */
static int leftovers(void)
{
    DIR *d = opendir(troot);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void assert_host_clean(const struct sandbox_job *j, int n)
{
    for (int i = 0; i < n; i++) {
        if (j[i].pgid <= 0) continue;
        errno = 0;
        assert_int_equal(kill(-(pid_t)j[i].pgid, 0), -1);
        assert_int_equal(errno, ESRCH);
    }
    assert_int_equal(processes_in_root(), 0);
    assert_int_equal(leftovers(), 0);
}

static void run(struct sandbox_job *j, int n, const struct sandbox_opts *o)
{
    assert_int_equal(sandbox_run_batch(j, n, o), 0);
    for (int i = 0; i < n; i++)
        if (j[i].status == SANDBOX_ERROR) fprintf(stderr, "sandbox error: %s\n", j[i].error);
}

static void test_pass_and_fail(void **state)
{
    (void)state;
    struct sandbox_job j[3];
    memset(j, 0, sizeof j);
    j[0].program = "import sys\nprint('hello')\nprint('warn', file=sys.stderr)\n";
    j[1].program = "def f(x):\n    return x + 1\nassert f(1) == 3, 'wrong'\n";
    j[2].program = "import sys\nsys.exit(3)\n";
    struct sandbox_opts o = opts(10);
    run(j, 3, &o);
    assert_int_equal(j[0].status, SANDBOX_PASSED);
    assert_int_equal(j[0].exit_code, 0);
    assert_string_equal(j[0].out, "hello\n");
    assert_string_equal(j[0].err, "warn\n");
    assert_true(j[0].wall_ms > 0);
    assert_true(j[0].cpu_ms > 0);
    assert_int_equal(j[1].status, SANDBOX_FAILED);
    assert_int_equal(j[1].exit_code, 1);
    assert_non_null(strstr(j[1].err, "AssertionError: wrong"));
    assert_int_equal(j[2].status, SANDBOX_FAILED);
    assert_int_equal(j[2].exit_code, 3);
    char b[100];
    printf("isolation here: %s\n", sandbox_isolation_str(j[0].isolation, b, sizeof b));
    assert_host_clean(j, 3);
    for (int i = 0; i < 3; i++) sandbox_job_release(&j[i]);
}

static void test_environment(void **state)
{
    (void)state;
    setenv("GRA_TEST_SECRET", "s3cr3t", 1);
    struct sandbox_job j;
    memset(&j, 0, sizeof j);
    j.program = "import os, sys\n"
                "print(sorted(os.environ.items()))\n"
                "print('stdin=%r' % sys.stdin.read())\n"
                "print('home_is_cwd=%s' % (os.environ['HOME'] == os.getcwd()))\n"
                "open('inside.txt', 'w').write('ok')\n"
                "print('inside=' + open('inside.txt').read())\n";
    struct sandbox_opts o = opts(10);
    run(&j, 1, &o);
    assert_int_equal(j.status, SANDBOX_PASSED);
    assert_null(strstr(j.out, "s3cr3t"));
    assert_null(strstr(j.out, "GRA_TEST_SECRET"));
    assert_non_null(strstr(j.out, "stdin=''"));
    assert_non_null(strstr(j.out, "home_is_cwd=True"));
    assert_non_null(strstr(j.out, "inside=ok"));
    unsetenv("GRA_TEST_SECRET");
    assert_host_clean(&j, 1);
    sandbox_job_release(&j);
}

static void test_infinite_loop(void **state)
{
    (void)state;
    struct sandbox_job j[2];
    memset(j, 0, sizeof j);
    j[0].program = "while True:\n    pass\n";
    /* children that leave the process group and ignore SIGTERM */
    j[1].program = "import os, signal, time\n"
                   "for i in range(4):\n"
                   "    if os.fork() == 0:\n"
                   "        os.setsid()\n"
                   "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                   "        while True: time.sleep(1)\n"
                   "while True: pass\n";
    struct sandbox_opts o = opts(1.0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    run(j, 2, &o);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double el = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(j[i].status, SANDBOX_TIMEOUT);
        assert_string_equal(j[i].limit, "wall");
        assert_true(j[i].wall_ms >= 1000);
        assert_true(j[i].wall_ms < 1000 + 1500);
    }
    assert_true(el < 4.0);
    assert_host_clean(j, 2);
    for (int i = 0; i < 2; i++) sandbox_job_release(&j[i]);
}

static void test_fork_bomb(void **state)
{
    (void)state;
    struct sandbox_job j[2];
    memset(j, 0, sizeof j);
    j[0].program = "import os\nwhile True:\n    os.fork()\n";
    /* a bomb that catches the error and keeps trying: ends at the deadline */
    j[1].program =
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n";
    struct sandbox_opts o = opts(2.0);
    o.max_procs = 32;
    run(j, 2, &o);
    printf("fork bomb: %s (%s), %.0f ms; persistent bomb: %s (%s), %.0f ms\n",
           sandbox_status_name(j[0].status), j[0].limit ? j[0].limit : "-", j[0].wall_ms,
           sandbox_status_name(j[1].status), j[1].limit ? j[1].limit : "-", j[1].wall_ms);
    assert_int_equal(j[0].status, SANDBOX_LIMIT);
    assert_string_equal(j[0].limit, "processes");
    assert_int_not_equal(j[1].status, SANDBOX_PASSED);
    assert_int_not_equal(j[1].status, SANDBOX_ERROR);
    assert_host_clean(j, 2);
    for (int i = 0; i < 2; i++) sandbox_job_release(&j[i]);
}

static void test_memory_and_file_limits(void **state)
{
    (void)state;
    struct sandbox_job j[3];
    memset(j, 0, sizeof j);
    j[0].program = "x = bytearray(1024 * 1024 * 1024)\nprint(len(x))\n";
    j[1].program = "x = []\nwhile True:\n    x.append('y' * (1 << 20))\n";
    j[2].program = "with open('big.bin', 'wb') as f:\n"
                   "    for i in range(64):\n"
                   "        f.write(b'z' * (1 << 20))\n";
    struct sandbox_opts o = opts(10);
    o.mem_bytes = 256L << 20;
    o.fsize_bytes = 4L << 20;
    run(j, 3, &o);
    assert_int_equal(j[0].status, SANDBOX_LIMIT);
    assert_string_equal(j[0].limit, "memory");
    assert_int_equal(j[1].status, SANDBOX_LIMIT);
    assert_string_equal(j[1].limit, "memory");
    assert_int_equal(j[2].status, SANDBOX_LIMIT);
    assert_string_equal(j[2].limit, "fsize");
    assert_host_clean(j, 3);
    for (int i = 0; i < 3; i++) sandbox_job_release(&j[i]);
}

static void test_network(void **state)
{
    (void)state;
    if (!(sandbox_isolation() & SANDBOX_ISO_NET)) {
        printf("SKIP: network isolation unavailable on this kernel (no network namespace); "
               "sandboxed programs can reach the network here\n");
        skip();
    }
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(ls >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(ls, 4), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    int port = ntohs(a.sin_port);
    char *prog = xasprintf("import socket\n"
                           "s = socket.create_connection(('127.0.0.1', %d), timeout=2)\n"
                           "s.sendall(b'leak')\n"
                           "print('connected')\n",
                           port);
    struct sandbox_job j;
    memset(&j, 0, sizeof j);
    j.program = prog;
    struct sandbox_opts o = opts(10);
    run(&j, 1, &o);
    assert_int_equal(j.status, SANDBOX_FAILED);
    assert_null(strstr(j.out, "connected"));
    printf("network attempt refused: %s", j.err ? j.err : "");
    struct pollfd p = {ls, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 0), 0); /* nobody knocked */
    close(ls);
    assert_host_clean(&j, 1);
    sandbox_job_release(&j);
    free(prog);
}

static void test_writes_outside(void **state)
{
    (void)state;
    const char *base = getenv("GRA_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    char *outside = xasprintf("%s/escape-%ld.txt", base, (long)getpid());
    char *victim = xasprintf("%s/victim-%ld.txt", base, (long)getpid());
    char *tmpfile = xasprintf("/tmp/gra-escape-%ld.txt", (long)getpid());
    assert_int_equal(fileio_write_atomic(victim, "original", 8), 0);
    chmod(victim, 0666); /* even a world-writable host file must stay as it was */
    char *prog = xasprintf("import os\n"
                           "bad = 0\n"
                           "for p in [%s%s%s, %s%s%s, %s%s%s]:\n"
                           "    try:\n"
                           "        with open(p, 'w') as f: f.write('pwned')\n"
                           "        bad += 1\n"
                           "    except OSError as e:\n"
                           "        print('refused', p, e)\n"
                           "raise SystemExit(bad)\n",
                           "'", outside, "'", "'", victim, "'", "'", tmpfile, "'");
    struct sandbox_job j;
    memset(&j, 0, sizeof j);
    j.program = prog;
    struct sandbox_opts o = opts(10);
    run(&j, 1, &o);
    printf("%s", j.out);
    unsigned iso = j.isolation;
    if (iso & SANDBOX_ISO_MOUNT) {
        /* read-only view: every write outside the work dir fails */
        assert_int_equal(j.status, SANDBOX_PASSED); /* exit code = writes that succeeded */
        assert_false(fileio_exists(tmpfile));
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(fileio_read(victim, &data, &len), 0);
        assert_int_equal(len, 8);
        assert_memory_equal(data, "original", 8);
        free(data);
    } else {
        printf("note: no read-only mount view on this kernel: world-writable files and /tmp "
               "are writable by the sandbox uid; only the root-owned directory is checked\n");
    }
    if ((iso & SANDBOX_ISO_MOUNT) || (iso & SANDBOX_ISO_NOBODY))
        assert_false(fileio_exists(outside)); /* a directory only root may write */
    else
        printf("SKIP: neither a read-only view nor an unprivileged uid here\n");
    unlink(victim);
    unlink(outside);
    unlink(tmpfile);
    assert_host_clean(&j, 1);
    sandbox_job_release(&j);
    free(prog);
    free(outside);
    free(victim);
    free(tmpfile);
}

static void test_huge_output(void **state)
{
    (void)state;
    struct sandbox_job j[2];
    memset(j, 0, sizeof j);
    j[0].program = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n";
    j[1].program = "import sys\nsys.stderr.write('e' * 100000)\nprint('done')\n";
    struct sandbox_opts o = opts(10);
    o.max_output = 64 * 1024;
    run(j, 2, &o);
    assert_int_equal(j[0].status, SANDBOX_LIMIT);
    assert_string_equal(j[0].limit, "output");
    assert_int_equal(j[0].out_len, 64 * 1024);
    assert_true(j[0].out_truncated);
    assert_true(j[0].wall_ms < 5000);
    assert_int_equal(j[1].status, SANDBOX_LIMIT);
    assert_int_equal(j[1].err_len, 64 * 1024);
    assert_true(j[1].err_truncated);
    assert_host_clean(j, 2);
    for (int i = 0; i < 2; i++) sandbox_job_release(&j[i]);
}

static void test_parallel_two_workers(void **state)
{
    (void)state;
    enum { N = 12 };
    struct sandbox_job j[N];
    memset(j, 0, sizeof j);
    for (int i = 0; i < N; i++)
        j[i].program = "import time\nt0 = time.monotonic()\ntime.sleep(0.3)\n"
                       "print('%.6f %.6f' % (t0, time.monotonic()))\n";
    struct sandbox_opts o = opts(10);
    o.workers = 2;
    run(j, N, &o);
    double s[N], e[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(j[i].status, SANDBOX_PASSED);
        assert_int_equal(sscanf(j[i].out, "%lf %lf", &s[i], &e[i]), 2);
    }
    /* most programs running at once, sampled at every start */
    int maxc = 0;
    for (int i = 0; i < N; i++) {
        int c = 0;
        for (int k = 0; k < N; k++)
            if (s[k] <= s[i] && e[k] > s[i]) c++;
        if (c > maxc) maxc = c;
    }
    printf("max concurrent programs with 2 workers: %d\n", maxc);
    assert_int_equal(maxc, 2);
    assert_host_clean(j, N);
    for (int i = 0; i < N; i++) sandbox_job_release(&j[i]);
}

static void test_bad_interpreter(void **state)
{
    (void)state;
    struct sandbox_job j;
    memset(&j, 0, sizeof j);
    j.program = "print(1)\n";
    struct sandbox_opts o = opts(5);
    o.python = "/nonexistent/python3";
    assert_int_equal(sandbox_run_batch(&j, 1, &o), GRA_ENOENT);
    /* an interpreter that exists but is not Python: execve works, the
     * "program" fails: recorded as a failure, not a crash */
    o.python = "/bin/false";
    assert_int_equal(sandbox_run_batch(&j, 1, &o), 0);
    assert_int_equal(j.status, SANDBOX_FAILED);
    sandbox_job_release(&j);
    assert_string_equal(sandbox_status_name(SANDBOX_TIMEOUT), "timeout");
}

/* Run in a child process (the isolation probe is once per process): the
 * fallback paths of a machine without user namespaces (rootns, root only)
 * and without any namespace (none). Exit 0 when the mode's guarantees hold. */
static int mode_check(const char *mode)
{
    if (setup(NULL) != 0) return 10;
    unsigned iso = sandbox_isolation();
    char b[100];
    printf("mode %s: isolation %s\n", mode, sandbox_isolation_str(iso, b, sizeof b));
    if (!strcmp(mode, "none") && (iso & (SANDBOX_ISO_NET | SANDBOX_ISO_MOUNT | SANDBOX_ISO_PID)))
        return 11;
    if (!strcmp(mode, "rootns") && (iso & SANDBOX_ISO_USERNS)) return 12;
    char *victim = xasprintf("%s/mode-victim.txt", troot);
    char *prog = xasprintf("import os\n"
                           "try:\n"
                           "    open('%s', 'w').write('pwned')\n"
                           "except OSError as e:\n"
                           "    print('refused', e)\n"
                           "open('inside.txt', 'w').write('ok')\n"
                           "print(os.getuid())\n",
                           victim);
    struct sandbox_job j[3];
    memset(j, 0, sizeof j);
    j[0].program = prog;
    j[1].program = "while True:\n    pass\n";
    j[2].program = "import os\nwhile True:\n    os.fork()\n";
    struct sandbox_opts o = opts(1.0);
    if (sandbox_run_batch(j, 3, &o) != 0) return 13;
    int rc = 0;
    printf("  write: %s out=%s", sandbox_status_name(j[0].status), j[0].out ? j[0].out : "");
    printf("  loop: %s; fork bomb: %s (%s)\n", sandbox_status_name(j[1].status),
           sandbox_status_name(j[2].status), j[2].limit ? j[2].limit : "-");
    if (j[0].status != SANDBOX_PASSED) rc = 14;
    if (fileio_exists(victim)) rc = 15; /* root-owned dir: nobody cannot write */
    if (geteuid() == 0 && (!j[0].out || strncmp(strstr(j[0].out, "\n") + 1, "65534", 5))) rc = 16;
    if (j[1].status != SANDBOX_TIMEOUT) rc = 17;
    if (j[2].status == SANDBOX_PASSED || j[2].status == SANDBOX_ERROR) rc = 18;
    for (int i = 0; i < 3; i++) {
        if (j[i].pgid > 0 && kill(-(pid_t)j[i].pgid, 0) == 0) rc = 19;
        sandbox_job_release(&j[i]);
    }
    if (processes_in_root() != 0 || leftovers() != 0) rc = 20;
    unlink(victim);
    free(victim);
    free(prog);
    teardown(NULL);
    return rc;
}

static void test_fallback_modes(void **state)
{
    (void)state;
    const char *modes[] = {"rootns", "none"};
    for (size_t i = 0; i < GRA_ARRAY_LEN(modes); i++) {
        if (!strcmp(modes[i], "rootns") && geteuid() != 0) {
            printf("SKIP rootns: only root can create namespaces without a user namespace\n");
            continue;
        }
        fflush(stdout);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            setenv("GRA_SANDBOX_ISOLATION", modes[i], 1);
            execl("/proc/self/exe", "test_sandbox", "--mode-check", modes[i], (char *)NULL);
            _exit(99);
        }
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) != 0)
            fprintf(stderr, "mode %s: check %d failed\n", modes[i], WEXITSTATUS(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--mode-check")) return mode_check(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_and_fail),          cmocka_unit_test(test_environment),
        cmocka_unit_test(test_infinite_loop),          cmocka_unit_test(test_fork_bomb),
        cmocka_unit_test(test_memory_and_file_limits), cmocka_unit_test(test_network),
        cmocka_unit_test(test_writes_outside),         cmocka_unit_test(test_huge_output),
        cmocka_unit_test(test_parallel_two_workers),   cmocka_unit_test(test_bad_interpreter),
        cmocka_unit_test(test_fallback_modes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
