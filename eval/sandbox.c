/*
 * sandbox: run untrusted Python programs in forked children (eval/sandbox.h).
 *
 * Process tree of one program:
 *
 *   gra (parent, scheduler)
 *    └─ monitor   setsid() (its pid is the process group killed on timeout),
 *       │         drops to nobody when root, unshare(user|net|mount|pid|ipc|uts),
 *       │         writes its own uid/gid maps, makes / read-only except the
 *       │         work dir, then forks:
 *       └─ program pid 1 of the new PID namespace: mounts its own /proc,
 *                  rlimits, stdio, no_new_privs, execve(python -B -s program.py)
 *
 * The monitor exists because a process that unshares CLONE_NEWPID stays
 * outside the new namespace: only its next child is the namespace's pid 1,
 * and when pid 1 ends the kernel kills every process left in the namespace.
 * So a fork bomb or a double-forked daemon cannot outlive the program, even if
 * it left the process group with setsid(). The monitor waits for pid 1 and
 * ends the same way (same exit code, or the same signal), so the parent sees
 * the program's status and, through wait4(), its CPU time.
 *
 * Why drop to uid 65534 *before* creating the user namespace when running as
 * root: an unprivileged creator may map only its own uid, so the namespace
 * then maps nobody to nobody, the program has no capabilities after execve
 * (its uid is not the namespace's root), and RLIMIT_NPROC, which root ignores,
 * is enforced. The kernel counts NPROC per (user namespace, uid), so each
 * sandbox has its own process budget: concurrent programs do not share it.
 * Without user namespaces, root still gets net/mount/pid namespaces (they
 * need no user namespace for root) and the program drops to nobody before
 * exec; a non-root caller without user namespaces gets rlimits only. The
 * probe in sandbox_isolation() decides once per process which of the three
 * paths works, and every job records the layers it actually had.
 *
 * Between fork() and execve() the children call only async-signal-safe
 * system calls on data prepared before fork(): the parent may have threads.
 * A CLOEXEC "setup" pipe carries the isolation flags and, on failure, the
 * failing step and errno back to the parent; its EOF means execve succeeded.
 *
 * Scheduling: up to `workers` children at once; one poll() over every
 * child's stdout/stderr pipes and pidfd (pidfd_open; without it the loop
 * wakes every 10 ms and uses waitpid(WNOHANG)), with the nearest wall-clock
 * deadline as its timeout. Only our own children are reaped (wait4 by pid),
 * so other code's children in the same process are never stolen.
 */
#define _GNU_SOURCE /* unshare(), CLONE_*, mount_setattr(), setresuid(): Linux only */
#include "eval/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"

#define NOBODY_ID 65534

enum iso_mode {
    MODE_USERNS, /* (drop to nobody if root) + user namespace + the rest */
    MODE_ROOTNS, /* root without user namespaces: net/mount/pid, then nobody */
    MODE_NONE,   /* rlimits only (and nobody when root) */
};

/* Steps reported on the setup pipe when they fail. */
enum step {
    STEP_SETSID = 1,
    STEP_DROP,
    STEP_UNSHARE,
    STEP_MAPS,
    STEP_MOUNT_WORKDIR,
    STEP_CHDIR,
    STEP_FORK,
    STEP_STDIO,
    STEP_RLIMIT,
    STEP_PRCTL,
    STEP_EXEC,
};
static const char *const step_names[] = {
    "",      "setsid", "drop privileges", "unshare",   "uid/gid maps", "writable work dir",
    "chdir", "fork",   "stdio",           "setrlimit", "prctl",        "execve",
};

struct setup_msg {
    int kind; /* 1 = isolation flags and program pid, 2 = failure */
    int step;
    int err;
    unsigned flags;
    pid_t pid; /* kind 1: the program's pid as the parent sees it */
};

/* Everything the children need, prepared before fork(). */
struct child_plan {
    enum iso_mode mode;
    bool root;
    uid_t uid;
    gid_t gid;
    char uid_map[64], gid_map[64];
    const char *dir;
    const char *python;
    char *const *argv;
    char *const *envp;
    int out_w, err_w, setup_w;
    const struct sandbox_opts *o;
    double timeout_s;
    pid_t parent;
};

const char *sandbox_status_name(int status)
{
    switch (status) {
    case SANDBOX_PASSED:
        return "passed";
    case SANDBOX_FAILED:
        return "failed";
    case SANDBOX_TIMEOUT:
        return "timeout";
    case SANDBOX_LIMIT:
        return "limit";
    case SANDBOX_SIGNALED:
        return "signaled";
    case SANDBOX_ERROR:
        return "sandbox_error";
    }
    return "unknown";
}

const char *sandbox_isolation_str(unsigned flags, char *buf, size_t n)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {SANDBOX_ISO_USERNS, "userns"}, {SANDBOX_ISO_NET, "net"},
        {SANDBOX_ISO_MOUNT, "mount"},   {SANDBOX_ISO_PID, "pid"},
        {SANDBOX_ISO_NOBODY, "nobody"},
    };
    size_t used = 0;
    if (n == 0) return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < GRA_ARRAY_LEN(names); i++) {
        if (!(flags & names[i].bit)) continue;
        int k = snprintf(buf + used, n - used, "%s%s", used ? "," : "", names[i].name);
        if (k < 0 || (size_t)k >= n - used) break;
        used += (size_t)k;
    }
    if (used == 0) snprintf(buf, n, "none");
    return buf;
}

/* ---- child side (async-signal-safe only) ---- */

static void child_fail(int setup_w, int step)
{
    struct setup_msg m = {2, step, errno, 0, 0};
    ssize_t w = write(setup_w, &m, sizeof m);
    (void)w;
    _exit(127);
}

static int write_file(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = strlen(s);
    ssize_t w = write(fd, s, n);
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)n ? 0 : -1;
}

static int drop_to(uid_t uid, gid_t gid)
{
    if (setgroups(0, NULL) != 0) return -1;
    if (setresgid(gid, gid, gid) != 0) return -1;
    if (setresuid(uid, uid, uid) != 0) return -1;
    return 0;
}

static int sys_mount_setattr(const char *path, unsigned flags, uint64_t set, uint64_t clr)
{
#ifdef SYS_mount_setattr
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = set;
    a.attr_clr = clr;
    return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, flags, &a, sizeof a);
#else
    (void)path;
    (void)flags;
    (void)set;
    (void)clr;
    errno = ENOSYS;
    return -1;
#endif
}

/* Read-only view of /, the work dir a writable bind mount. Returns flags:
 * SANDBOX_ISO_MOUNT when / is read-only. -1 when the work dir could not be made
 * writable again after / went read-only (the program could not run normally). */
static int setup_mounts(const char *dir)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return 0;
    if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) != 0) return 0;
    if (sys_mount_setattr("/", AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0) != 0) return 0;
    if (sys_mount_setattr(dir, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, MOUNT_ATTR_RDONLY) != 0)
        return -1;
    return SANDBOX_ISO_MOUNT;
}

static void set_limit(int res, rlim_t soft, rlim_t hard, int setup_w)
{
    struct rlimit rl = {soft, hard};
    if (setrlimit(res, &rl) != 0) child_fail(setup_w, STEP_RLIMIT);
}

/* pid 1 of the namespace (or plain child): becomes the program. */
static void program_exec(const struct child_plan *p, unsigned flags)
{
    /* Its own process group, apart from the monitor's: the parent kills this
     * group (and pid 1, which takes the PID namespace with it) while the
     * monitor stays to reap it, so that once the parent has reaped the
     * monitor nothing of the program is left, not even a zombie. */
    if (setpgid(0, 0) != 0) child_fail(p->setup_w, STEP_SETSID);
    if (flags & SANDBOX_ISO_PID) {
        /* Our own /proc: the program sees only its namespace. Best effort. */
        (void)mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    }
    if (p->root && p->mode != MODE_USERNS) {
        if (drop_to(NOBODY_ID, NOBODY_ID) != 0) child_fail(p->setup_w, STEP_DROP);
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(p->setup_w, STEP_PRCTL);

    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0) child_fail(p->setup_w, STEP_STDIO);
    if (dup2(null_fd, 0) < 0 || dup2(p->out_w, 1) < 0 || dup2(p->err_w, 2) < 0)
        child_fail(p->setup_w, STEP_STDIO);

    const struct sandbox_opts *o = p->o;
    rlim_t cpu = (rlim_t)p->timeout_s + 1;
    set_limit(RLIMIT_CPU, cpu, cpu + 1, p->setup_w);
    set_limit(RLIMIT_AS, (rlim_t)o->mem_bytes, (rlim_t)o->mem_bytes, p->setup_w);
    set_limit(RLIMIT_FSIZE, (rlim_t)o->fsize_bytes, (rlim_t)o->fsize_bytes, p->setup_w);
    set_limit(RLIMIT_NOFILE, (rlim_t)o->max_files, (rlim_t)o->max_files, p->setup_w);
    set_limit(RLIMIT_NPROC, (rlim_t)o->max_procs, (rlim_t)o->max_procs, p->setup_w);
    set_limit(RLIMIT_CORE, 0, 0, p->setup_w);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(p->setup_w, STEP_PRCTL);

        /* Every inherited descriptor except 0-2 closes on exec (the parent may
         * hold sockets, databases...). The setup pipe is already CLOEXEC. */
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0)
#endif
    {
        for (int fd = 3; fd < 4096; fd++)
            if (fd != p->setup_w) (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) (void)sigaction(s, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    execve(p->python, p->argv, p->envp);
    child_fail(p->setup_w, STEP_EXEC);
}

/* Kill and reap every descendant the monitor has (it is their subreaper, so
 * orphans of the program, even ones that left its process group, become its
 * children). Needed without a PID namespace; a no-op with one (pid 1's death
 * took the namespace along). /proc/thread-self/children lists live children;
 * parsing by hand keeps this async-signal-safe. */
static void reap_all(pid_t group)
{
    for (int round = 0; round < 10000; round++) {
        kill(-group, SIGKILL);
        int listed = 0;
        int fd = open("/proc/thread-self/children", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            char b[4096];
            ssize_t n = read(fd, b, sizeof b - 1);
            close(fd);
            long v = 0;
            bool in = false;
            for (ssize_t i = 0; i < (n > 0 ? n : 0) + 1; i++) {
                char c = i < n ? b[i] : ' ';
                if (c >= '0' && c <= '9') {
                    v = v * 10 + (c - '0');
                    in = true;
                } else if (in) {
                    kill((pid_t)v, SIGKILL);
                    listed++;
                    v = 0;
                    in = false;
                }
            }
        }
        int reaped = 0;
        pid_t r;
        while ((r = waitpid(-1, NULL, WNOHANG)) > 0) reaped++;
        if (r < 0 && errno == ECHILD) return;     /* no children at all */
        if (!listed && !reaped && fd < 0) return; /* cannot see them: give up */
        if (!reaped) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
}

/* Close every descriptor above 2 except the three kept (the monitor lives as
 * long as the program: it must not hold the parent's sockets or databases). */
static void close_others(int a, int b, int c)
{
    int k[3] = {a, b, c};
    for (int i = 0; i < 3; i++) /* sort */
        for (int j = i + 1; j < 3; j++)
            if (k[j] < k[i]) {
                int t = k[i];
                k[i] = k[j];
                k[j] = t;
            }
    unsigned lo = 3;
    for (int i = 0; i <= 3; i++) {
        if (lo < 3) lo = 3;
        unsigned hi = i < 3 ? (unsigned)k[i] : ~0U; /* close [lo, hi) */
        if (hi > lo) {
#ifdef SYS_close_range
            if (syscall(SYS_close_range, lo, hi - 1, 0U) == 0) {
                lo = i < 3 ? hi + 1 : lo;
                continue;
            }
#endif
            for (unsigned fd = lo; fd < hi && fd < 4096; fd++) close((int)fd);
        }
        if (i < 3) lo = hi + 1;
    }
}

/* The monitor: never returns. */
static void monitor_main(const struct child_plan *p)
{
    close_others(p->setup_w, p->out_w, p->err_w);
    if (setsid() < 0) child_fail(p->setup_w, STEP_SETSID);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(p->setup_w, STEP_PRCTL);
    if (getppid() != p->parent) _exit(127); /* parent already gone */

    unsigned flags = 0;
    if (p->mode == MODE_USERNS) {
        if (p->root) {
            if (drop_to(p->uid, p->gid) != 0) child_fail(p->setup_w, STEP_DROP);
            /* A uid change makes the process non-dumpable, which would make
             * its own /proc/self/uid_map unwritable. */
            if (prctl(PR_SET_DUMPABLE, 1) != 0) child_fail(p->setup_w, STEP_PRCTL);
            /* Parent death signal is cleared by a uid change: set it again. */
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(p->setup_w, STEP_PRCTL);
            if (getppid() != p->parent) _exit(127);
        }
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
                    CLONE_NEWUTS) != 0)
            child_fail(p->setup_w, STEP_UNSHARE);
        if (write_file("/proc/self/setgroups", "deny") != 0 ||
            write_file("/proc/self/uid_map", p->uid_map) != 0 ||
            write_file("/proc/self/gid_map", p->gid_map) != 0)
            child_fail(p->setup_w, STEP_MAPS);
        flags |= SANDBOX_ISO_USERNS | SANDBOX_ISO_NET | SANDBOX_ISO_PID;
        if (p->uid == NOBODY_ID) flags |= SANDBOX_ISO_NOBODY;
    } else if (p->mode == MODE_ROOTNS) {
        if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) != 0)
            child_fail(p->setup_w, STEP_UNSHARE);
        flags |= SANDBOX_ISO_NET | SANDBOX_ISO_PID | SANDBOX_ISO_NOBODY;
    } else if (p->root) {
        flags |= SANDBOX_ISO_NOBODY;
    }
    if (p->mode != MODE_NONE) {
        int m = setup_mounts(p->dir);
        if (m < 0) child_fail(p->setup_w, STEP_MOUNT_WORKDIR);
        flags |= (unsigned)m;
    }
    if (chdir(p->dir) != 0) child_fail(p->setup_w, STEP_CHDIR);
    struct rlimit core0 = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &core0);
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);

    pid_t pid = fork();
    if (pid < 0) child_fail(p->setup_w, STEP_FORK);
    if (pid == 0) program_exec(p, flags);

    struct setup_msg m = {1, 0, 0, flags, pid};
    ssize_t w = write(p->setup_w, &m, sizeof m);
    (void)w;
    close(p->setup_w);
    close(p->out_w);
    close(p->err_w);

    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) _exit(126);
    }
    reap_all(pid);
    if (WIFEXITED(st)) _exit(WEXITSTATUS(st));
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        (void)sigaction(sig, &sa, NULL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        prctl(PR_SET_DUMPABLE, 0);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(126);
}

/* ---- probing which isolation path works ---- */

static enum iso_mode probe_mode = MODE_NONE;
static unsigned probe_flags;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

/* Fork a child that tries mode's namespace setup; 0..31 = flags it got. */
static int probe_try(enum iso_mode mode)
{
    char dir[] = "/tmp/gra-sbx-probe-XXXXXX";
    if (!mkdtemp(dir)) return -1;
    bool root = geteuid() == 0;
    uid_t uid = root ? NOBODY_ID : geteuid();
    gid_t gid = root ? NOBODY_ID : getegid();
    char uid_map[64], gid_map[64];
    snprintf(uid_map, sizeof uid_map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    snprintf(gid_map, sizeof gid_map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    if (root && chown(dir, uid, gid) != 0) {
        rmdir(dir);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        rmdir(dir);
        return -1;
    }
    if (pid == 0) {
        unsigned flags = 0;
        if (mode == MODE_USERNS) {
            if (root && (drop_to(uid, gid) != 0 || prctl(PR_SET_DUMPABLE, 1) != 0)) _exit(100);
            if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
                        CLONE_NEWUTS) != 0)
                _exit(101);
            if (write_file("/proc/self/setgroups", "deny") != 0 ||
                write_file("/proc/self/uid_map", uid_map) != 0 ||
                write_file("/proc/self/gid_map", gid_map) != 0)
                _exit(102);
            flags = SANDBOX_ISO_USERNS | SANDBOX_ISO_NET | SANDBOX_ISO_PID;
            if (root) flags |= SANDBOX_ISO_NOBODY;
        } else if (mode == MODE_ROOTNS) {
            if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) !=
                0)
                _exit(101);
            flags = SANDBOX_ISO_NET | SANDBOX_ISO_PID | SANDBOX_ISO_NOBODY;
        }
        int m = setup_mounts(dir);
        if (m < 0) _exit(103);
        flags |= (unsigned)m;
        /* The PID namespace takes effect for the next child: check it forks. */
        pid_t c = fork();
        if (c < 0) _exit(104);
        if (c == 0) _exit(getpid() == 1 ? 0 : 1);
        int st = 0;
        if (waitpid(c, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) _exit(105);
        _exit((int)flags);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    rmdir(dir);
    if (!WIFEXITED(st) || WEXITSTATUS(st) >= 100) return -1;
    return WEXITSTATUS(st);
}

static void probe_run(void)
{
    /* GRA_SANDBOX_ISOLATION=userns|rootns|none restricts the paths tried
     * (tests of the fallbacks, and measuring what each layer costs). */
    const char *force = getenv("GRA_SANDBOX_ISOLATION");
    if (force && !strcmp(force, "none")) {
        probe_mode = MODE_NONE;
        probe_flags = geteuid() == 0 ? SANDBOX_ISO_NOBODY : 0;
        log_warn("sandbox: GRA_SANDBOX_ISOLATION=none: rlimits only, NETWORK ISOLATION OFF");
        return;
    }
    if (force && !strcmp(force, "rootns") && geteuid() == 0) {
        int f = probe_try(MODE_ROOTNS);
        if (f >= 0) {
            probe_mode = MODE_ROOTNS;
            probe_flags = (unsigned)f;
            return;
        }
    }
    int f = probe_try(MODE_USERNS);
    if (f >= 0) {
        probe_mode = MODE_USERNS;
        probe_flags = (unsigned)f;
        return;
    }
    if (geteuid() == 0) {
        f = probe_try(MODE_ROOTNS);
        if (f >= 0) {
            probe_mode = MODE_ROOTNS;
            probe_flags = (unsigned)f;
            return;
        }
    }
    probe_mode = MODE_NONE;
    probe_flags = geteuid() == 0 ? SANDBOX_ISO_NOBODY : 0;
    log_warn("sandbox: no namespaces available (user namespaces and unshare refused): "
             "programs run with rlimits only, NETWORK ISOLATION UNAVAILABLE");
}

unsigned sandbox_isolation(void)
{
    pthread_once(&probe_once, probe_run);
    return probe_flags;
}

/* ---- parent side ---- */

struct slot {
    struct sandbox_job *job;
    pid_t pid;      /* the monitor */
    pid_t prog;     /* the program (pid 1 of its namespace) = its process group */
    int prog_pidfd; /* pidfd of the program, -1 if none */
    double killed_at;
    int pidfd;
    int fd_out, fd_err;
    struct buf out, err;
    char *dir;
    double t0, deadline;
    bool exited, killed_timeout, killed_output;
    int wstatus;
    struct rusage ru;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* rm -rf that also copes with directories the program made unreadable. */
static void rm_tree_at(int dfd, const char *name, int depth)
{
    if (depth > 64) return;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES) {
        (void)fchmodat(dfd, name, 0700, 0);
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        (void)unlinkat(dfd, name, 0);
        return;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (unlinkat(fd, e->d_name, 0) != 0 && (errno == EISDIR || errno == EPERM)) {
            (void)fchmod(fd, 0700);
            rm_tree_at(fd, e->d_name, depth + 1);
        }
    }
    closedir(d);
    (void)unlinkat(dfd, name, AT_REMOVEDIR);
}

static void rm_tree(const char *path)
{
    rm_tree_at(AT_FDCWD, path, 0);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Mark j as not run: "<what>: <strerror(e)>". */
static void job_error(struct sandbox_job *j, const char *what, int e)
{
    j->status = SANDBOX_ERROR;
    j->exit_code = -1;
    free(j->error);
    j->error = xasprintf("%s: %s", what, strerror(e));
}

static int write_program(const char *dir, const char *program)
{
    char *path = xasprintf("%s/program.py", dir);
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    size_t n = strlen(program), off = 0;
    while (off < n) {
        ssize_t w = write(fd, program + off, n - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            rc = -errno;
            break;
        }
        off += (size_t)w;
    }
    if (close(fd) != 0 && rc == 0) rc = -errno;
out:
    free(path);
    return rc;
}

struct batch {
    const struct sandbox_opts *o;
    const char *python;
    const char *tmp_root;
    enum iso_mode mode;
    bool root;
    uid_t uid;
    gid_t gid;
    double timeout_s;
};

/* Start job j in slot s. On failure the job is marked SANDBOX_ERROR and s->pid
 * stays 0. */
static void slot_start(const struct batch *b, struct slot *s, struct sandbox_job *j)
{
    memset(s, 0, sizeof *s);
    s->job = j;
    s->pidfd = s->prog_pidfd = s->fd_out = s->fd_err = -1;
    buf_init(&s->out, 0);
    buf_init(&s->err, 0);
    j->exit_code = -1;
    s->t0 = now_ms();

    int out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, set_p[2] = {-1, -1};
    char *dir = xasprintf("%s/gra-sbx-XXXXXX", b->tmp_root);
    if (!mkdtemp(dir)) {
        int e0 = errno;
        char *what = xasprintf("mkdtemp in %s", b->tmp_root);
        job_error(j, what, e0);
        free(what);
        free(dir);
        return;
    }
    s->dir = dir;
    int e = write_program(dir, j->program ? j->program : "");
    if (e != 0) {
        job_error(j, "cannot write program.py in the work dir", -e);
        return;
    }
    if (b->root && chown(dir, NOBODY_ID, NOBODY_ID) != 0) {
        job_error(j, "chown of the work dir to nobody", errno);
        return;
    }
    if (pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0 ||
        pipe2(set_p, O_CLOEXEC) != 0) {
        job_error(j, "pipe", errno);
        goto fail_pipes;
    }

    char *argv[] = {(char *)b->python, "-B", "-s", "program.py", NULL};
    char *home = xasprintf("HOME=%s", dir), *tmp = xasprintf("TMPDIR=%s", dir);
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin",
                    home,
                    tmp,
                    "LANG=C.UTF-8",
                    "LC_ALL=C.UTF-8",
                    "PYTHONHASHSEED=0",
                    "PYTHONDONTWRITEBYTECODE=1",
                    "PYTHONIOENCODING=utf-8",
                    "OMP_NUM_THREADS=1",
                    NULL};
    struct child_plan p;
    memset(&p, 0, sizeof p);
    p.mode = b->mode;
    p.root = b->root;
    p.uid = b->uid;
    p.gid = b->gid;
    snprintf(p.uid_map, sizeof p.uid_map, "%u %u 1\n", (unsigned)b->uid, (unsigned)b->uid);
    snprintf(p.gid_map, sizeof p.gid_map, "%u %u 1\n", (unsigned)b->gid, (unsigned)b->gid);
    p.dir = dir;
    p.python = b->python;
    p.argv = argv;
    p.envp = envp;
    p.out_w = out_p[1];
    p.err_w = err_p[1];
    p.setup_w = set_p[1];
    p.o = b->o;
    p.timeout_s = b->timeout_s;
    p.parent = getpid();

    s->t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        free(home);
        free(tmp);
        job_error(j, "fork", errno);
        goto fail_pipes;
    }
    if (pid == 0) monitor_main(&p);
    free(home);
    free(tmp);
    s->pid = pid;
    s->deadline = s->t0 + b->timeout_s * 1e3;
    close(out_p[1]);
    close(err_p[1]);
    close(set_p[1]);

    /* Setup messages until EOF (= execve done or every child gone). */
    struct setup_msg msg, fail = {0, 0, 0, 0, 0};
    unsigned flags = 0;
    for (;;) {
        ssize_t r = read(set_p[0], &msg, sizeof msg);
        if (r < 0 && errno == EINTR) continue;
        if (r != (ssize_t)sizeof msg) break;
        if (msg.kind == 1) {
            flags = msg.flags;
            s->prog = msg.pid;
        }
        if (msg.kind == 2 && fail.kind == 0) fail = msg;
    }
    close(set_p[0]);
    j->isolation = flags;
    s->fd_out = out_p[0];
    s->fd_err = err_p[0];
    fcntl(s->fd_out, F_SETFL, O_NONBLOCK);
    fcntl(s->fd_err, F_SETFL, O_NONBLOCK);
    if (fail.kind == 2) {
        const char *step = fail.step > 0 && fail.step < (int)GRA_ARRAY_LEN(step_names)
                               ? step_names[fail.step]
                               : "?";
        char *what = xasprintf("sandbox setup failed at %s", step);
        job_error(j, what, fail.err);
        free(what);
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        return; /* still reaped by the loop */
    }
#ifdef SYS_pidfd_open
    s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (s->pidfd < 0) s->pidfd = -1;
    if (s->prog > 0) {
        s->prog_pidfd = (int)syscall(SYS_pidfd_open, s->prog, 0);
        if (s->prog_pidfd < 0) s->prog_pidfd = -1;
    }
#endif
    j->pgid = s->prog;
    return;

fail_pipes:
    for (int i = 0; i < 2; i++) {
        if (out_p[i] >= 0) close(out_p[i]);
        if (err_p[i] >= 0) close(err_p[i]);
        if (set_p[i] >= 0) close(set_p[i]);
    }
}

/* Kill the program: its process group and pid 1 of its namespace (the
 * kernel then kills the rest of the namespace); the monitor reaps it and
 * exits. The monitor itself is killed only when there is no program pid, or
 * when it has not gone 2 s after the program was killed. */
static void slot_kill(struct slot *s)
{
    if (s->pid <= 0 || s->exited) return;
    if (s->killed_at == 0) s->killed_at = now_ms();
    if (s->prog > 0) {
        bool sent = false;
#ifdef SYS_pidfd_send_signal
        if (s->prog_pidfd >= 0)
            sent = syscall(SYS_pidfd_send_signal, s->prog_pidfd, SIGKILL, NULL, 0) == 0;
#endif
        if (!sent && s->prog_pidfd < 0) kill(s->prog, SIGKILL);
        kill(-s->prog, SIGKILL);
    }
    if (s->prog <= 0 || now_ms() - s->killed_at > 2000) {
        kill(-s->pid, SIGKILL);
        kill(s->pid, SIGKILL);
    }
}

/* Read what is there; returns after EAGAIN or EOF. */
static void slot_drain(struct slot *s, int *fd, struct buf *b, bool *trunc, size_t cap)
{
    char tmp[16384];
    for (;;) {
        ssize_t r = read(*fd, tmp, sizeof tmp);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            close_fd(fd);
            return;
        }
        if (r == 0) {
            close_fd(fd);
            return;
        }
        size_t keep = (size_t)r;
        if (b->len + keep > cap) {
            keep = cap - b->len;
            *trunc = true;
            if (!s->killed_output && !s->exited) {
                s->killed_output = true;
                slot_kill(s);
            }
        }
        if (keep) buf_append(b, tmp, keep);
    }
}

static void slot_reap(struct slot *s, bool block)
{
    if (s->exited || s->pid <= 0) return;
    int st = 0;
    pid_t r;
    do {
        r = wait4(s->pid, &st, block ? 0 : WNOHANG, &s->ru);
    } while (r < 0 && errno == EINTR);
    if (r == s->pid) {
        s->exited = true;
        s->wstatus = st;
        /* Anything left in the program's group (only possible without a PID
         * namespace). */
        if (s->prog > 0 && !(s->job->isolation & SANDBOX_ISO_PID)) kill(-s->prog, SIGKILL);
    } else if (r < 0) {
        s->exited = true; /* not ours any more (someone reaped it): give up */
        s->wstatus = -1;
    }
}

/* The last non-empty line of stderr (a Python traceback's exception line). */
static const char *last_line(const struct buf *b, size_t *len)
{
    size_t end = b->len;
    while (end > 0 &&
           (b->data[end - 1] == '\n' || b->data[end - 1] == '\r' || b->data[end - 1] == ' '))
        end--;
    size_t start = end;
    while (start > 0 && b->data[start - 1] != '\n') start--;
    *len = end - start;
    return b->data + start;
}

static bool has_prefix_n(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && memcmp(s, p, k) == 0;
}

static bool contains_n(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, p, k) == 0) return true;
    return false;
}

static void slot_finish(const struct batch *b, struct slot *s)
{
    struct sandbox_job *j = s->job;
    j->wall_ms = now_ms() - s->t0;
    j->cpu_ms = (double)s->ru.ru_utime.tv_sec * 1e3 + (double)s->ru.ru_utime.tv_usec / 1e3 +
                (double)s->ru.ru_stime.tv_sec * 1e3 + (double)s->ru.ru_stime.tv_usec / 1e3;
    j->out = buf_detach(&s->out, &j->out_len);
    j->err = buf_detach(&s->err, &j->err_len);
    if (j->status == SANDBOX_ERROR) goto out; /* setup failure already recorded */

    int st = s->wstatus;
    j->limit = NULL;
    if (s->killed_output) {
        j->status = SANDBOX_LIMIT;
        j->limit = "output";
    } else if (s->killed_timeout) {
        j->status = SANDBOX_TIMEOUT;
        j->limit = "wall";
    } else if (st == -1) {
        j->status = SANDBOX_ERROR;
        j->error = xstrdup("child status lost (reaped elsewhere)");
    } else if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        j->term_signal = sig;
        if (sig == SIGXCPU || (sig == SIGKILL && j->cpu_ms >= (b->timeout_s + 1) * 1e3 - 50)) {
            j->status = SANDBOX_TIMEOUT;
            j->limit = "cpu";
        } else if (sig == SIGXFSZ) {
            j->status = SANDBOX_LIMIT;
            j->limit = "fsize";
        } else {
            j->status = SANDBOX_SIGNALED;
        }
    } else if (WIFEXITED(st)) {
        j->exit_code = WEXITSTATUS(st);
        if (j->exit_code == 0) {
            j->status = SANDBOX_PASSED;
        } else {
            size_t n;
            const char *l = j->err ? last_line(&(struct buf){j->err, j->err_len, 0, 0}, &n) : "";
            if (!j->err) n = 0;
            j->status = SANDBOX_LIMIT;
            if (has_prefix_n(l, n, "MemoryError"))
                j->limit = "memory";
            else if (contains_n(l, n, "[Errno 27]")) /* EFBIG: Python ignores SIGXFSZ */
                j->limit = "fsize";
            else if (contains_n(l, n, "[Errno 24]")) /* EMFILE */
                j->limit = "files";
            else if (contains_n(j->err ? j->err : "", j->err_len, "BlockingIOError: [Errno 11]"))
                /* fork() hit RLIMIT_NPROC; a fork bomb's tracebacks interleave
                 * and are cut when pid 1 dies, so search all of stderr. */
                j->limit = "processes";
            else
                j->status = SANDBOX_FAILED;
        }
    }
out:
    close_fd(&s->fd_out);
    close_fd(&s->fd_err);
    close_fd(&s->pidfd);
    close_fd(&s->prog_pidfd);
    if (s->dir) {
        rm_tree(s->dir);
        free(s->dir);
        s->dir = NULL;
    }
    buf_release(&s->out);
    buf_release(&s->err);
}

void sandbox_job_release(struct sandbox_job *j)
{
    if (!j) return;
    free(j->out);
    free(j->err);
    free(j->error);
    j->out = j->err = j->error = NULL;
    j->out_len = j->err_len = 0;
}

int sandbox_check_tmp_root(const char *dir)
{
    struct stat sb;
    if (!dir || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return err(GRA_EIO, "sandbox: temporary directory root %s is not a directory",
                   dir ? dir : "(null)");
    if (geteuid() != 0) return 0;
    /* the program runs as nobody: every ancestor must be searchable by others */
    char *p = realpath(dir, NULL);
    if (!p) return err(GRA_EIO, "sandbox: %s: %s", dir, strerror(errno));
    int rc = 0;
    for (char *s = p + strlen(p);;) {
        if (stat(p, &sb) != 0 || !(sb.st_mode & S_IXOTH)) {
            rc = err(GRA_EIO,
                     "sandbox: %s is not searchable by others (o+x), so the "
                     "unprivileged program cannot reach its work dir under %s",
                     p, dir);
            break;
        }
        while (s > p && *s != '/') s--;
        if (s == p) break;
        *s = '\0';
    }
    free(p);
    return rc;
}

static int online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int sandbox_run_batch(struct sandbox_job *jobs, int n, const struct sandbox_opts *o_in)
{
    struct sandbox_opts o;
    if (o_in)
        o = *o_in;
    else
        memset(&o, 0, sizeof o);
    if (o.workers <= 0) o.workers = online_cores();
    if (o.timeout_s <= 0) o.timeout_s = 10;
    if (o.mem_bytes <= 0) o.mem_bytes = 1L << 30;
    if (o.fsize_bytes <= 0) o.fsize_bytes = 16L << 20;
    if (o.max_procs <= 0) o.max_procs = 64;
    if (o.max_files <= 0) o.max_files = 256;
    if (o.max_output == 0) o.max_output = 1 << 20;
    if (n <= 0) return 0;

    struct batch b;
    memset(&b, 0, sizeof b);
    b.o = &o;
    b.python = o.python ? o.python : "/usr/bin/python3";
    b.tmp_root = o.tmp_root ? o.tmp_root : "/tmp";
    b.timeout_s = o.timeout_s;
    if (access(b.python, X_OK) != 0)
        return err(GRA_ENOENT, "sandbox: interpreter %s: %s", b.python, strerror(errno));
    int rc = sandbox_check_tmp_root(b.tmp_root);
    if (rc) return rc;
    sandbox_isolation();
    b.mode = probe_mode;
    b.root = geteuid() == 0;
    b.uid = b.root ? NOBODY_ID : geteuid();
    b.gid = b.root ? NOBODY_ID : getegid();

    for (int i = 0; i < n; i++) {
        jobs[i].status = SANDBOX_ERROR;
        jobs[i].exit_code = -1;
        jobs[i].term_signal = 0;
        jobs[i].limit = NULL;
        jobs[i].wall_ms = jobs[i].cpu_ms = 0;
        jobs[i].out = jobs[i].err = jobs[i].error = NULL;
        jobs[i].out_len = jobs[i].err_len = 0;
        jobs[i].out_truncated = jobs[i].err_truncated = false;
        jobs[i].isolation = 0;
        jobs[i].pgid = 0;
    }
    /* A program that closes its pipe early must not kill us with SIGPIPE:
     * we never write to the children, so nothing to do. */
    int workers = o.workers < n ? o.workers : n;
    struct slot *slots = xcalloc((size_t)workers, sizeof *slots);
    struct pollfd *pfd = xcalloc((size_t)workers * 3, sizeof *pfd);
    int next = 0, done = 0, running = 0;

    while (done < n) {
        /* fill free slots */
        for (int k = 0; k < workers && next < n; k++) {
            if (slots[k].job) continue;
            struct sandbox_job *j = &jobs[next++];
            j->status = 0;
            slot_start(&b, &slots[k], j);
            if (j->status == SANDBOX_ERROR && slots[k].pid <= 0) {
                slot_finish(&b, &slots[k]);
                memset(&slots[k], 0, sizeof slots[k]);
                done++;
                k--; /* try this slot again with the next job */
                continue;
            }
            running++;
        }
        if (running == 0) continue;

        int np = 0;
        double now = now_ms(), wait = 1e9;
        bool need_tick = false;
        for (int k = 0; k < workers; k++) {
            struct slot *s = &slots[k];
            if (!s->job) continue;
            if (s->fd_out >= 0) pfd[np++] = (struct pollfd){s->fd_out, POLLIN, 0};
            if (s->fd_err >= 0) pfd[np++] = (struct pollfd){s->fd_err, POLLIN, 0};
            if (!s->exited) {
                if (s->pidfd >= 0)
                    pfd[np++] = (struct pollfd){s->pidfd, POLLIN, 0};
                else
                    need_tick = true;
                double left = s->deadline - now;
                if (!s->killed_timeout && left < wait) wait = left;
            }
        }
        if (need_tick && wait > 10) wait = 10;
        if (wait < 0) wait = 0;
        if (wait > 1000) wait = 1000;
        if (poll(pfd, (nfds_t)np, (int)wait + 1) < 0 && errno != EINTR) {
            free(slots);
            free(pfd);
            return err(GRA_EIO, "sandbox: poll: %s", strerror(errno));
        }

        now = now_ms();
        for (int k = 0; k < workers; k++) {
            struct slot *s = &slots[k];
            if (!s->job) continue;
            if (s->fd_out >= 0)
                slot_drain(s, &s->fd_out, &s->out, &s->job->out_truncated, o.max_output);
            if (s->fd_err >= 0)
                slot_drain(s, &s->fd_err, &s->err, &s->job->err_truncated, o.max_output);
            slot_reap(s, false);
            if (!s->exited && !s->killed_timeout && now >= s->deadline) {
                s->killed_timeout = true;
                slot_kill(s);
            }
            if (!s->exited && s->killed_at > 0 && now - s->killed_at > 2000)
                slot_kill(s); /* the monitor did not finish: kill it too */
            /* A program that closed its pipes and kept running is still
             * waited for (until the deadline). Once it has exited, whatever
             * is left in the pipes is read and the slot closes. */
            if (s->exited) {
                if (s->fd_out >= 0)
                    slot_drain(s, &s->fd_out, &s->out, &s->job->out_truncated, o.max_output);
                if (s->fd_err >= 0)
                    slot_drain(s, &s->fd_err, &s->err, &s->job->err_truncated, o.max_output);
                bool open_fds = s->fd_out >= 0 || s->fd_err >= 0;
                /* Writers outside a PID namespace may linger (the monitor
                 * kills what it can see): wait until the deadline + 200 ms. */
                if (open_fds && now < s->deadline + 200 &&
                    (s->job->isolation & SANDBOX_ISO_PID) == 0)
                    continue;
                slot_finish(&b, s);
                memset(s, 0, sizeof *s);
                running--;
                done++;
            }
        }
    }
    free(slots);
    free(pfd);
    return 0;
}
