/*
 * sandbox: run untrusted Python programs (model output glued to benchmark
 * tests) in forked children, many at once, and record what happened.
 *
 * Each program gets a fresh directory (mkdtemp, removed afterwards), its own
 * session and process group, rlimits (CPU, address space, file size, open
 * files, processes, no core), an explicit minimal environment, stdin from
 * /dev/null, stdout/stderr through capped pipes, and a wall-clock deadline
 * after which the whole group is SIGKILLed. Where the kernel allows it the
 * child also gets new user, network, mount, PID, IPC and UTS namespaces: no
 * network (only a down loopback), a read-only view of the host file system
 * with only its own directory writable, and it runs as "nobody" (docs/sandbox.md
 * says exactly which layer does what and what happens when one is missing).
 * A PID namespace means that when the program's first process ends, every
 * process it started ends with it, so nothing is left behind.
 *
 * The interpreter is exec'd directly (no shell): PYTHON -B -s program.py.
 *
 * Ownership: sandbox_run_batch() fills heap strings in each job; free them
 * with sandbox_job_release(). The caller owns the jobs array and programs.
 */
#ifndef GRA_EVAL_SANDBOX_H
#define GRA_EVAL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

enum sandbox_status {
    SANDBOX_PASSED = 0, /* exited with status 0 */
    SANDBOX_FAILED,     /* exited non-zero (a test failed or it raised) */
    SANDBOX_TIMEOUT,    /* wall-clock deadline or CPU limit */
    SANDBOX_LIMIT,      /* memory, file size, processes or output cap */
    SANDBOX_SIGNALED,   /* killed by a signal not explained by a limit */
    SANDBOX_ERROR,      /* the sandbox could not run the program */
};
/* "passed", "failed", "timeout", "limit", "signaled", "sandbox_error". */
const char *sandbox_status_name(int status);

/* Isolation layers actually in force (bit flags, see sandbox_isolation()). */
#define SANDBOX_ISO_USERNS 0x01 /* user namespace, runs as an unprivileged uid */
#define SANDBOX_ISO_NET 0x02    /* network namespace: no network */
#define SANDBOX_ISO_MOUNT 0x04  /* read-only view of /, only the work dir writable */
#define SANDBOX_ISO_PID 0x08    /* PID namespace: all descendants die together */
#define SANDBOX_ISO_NOBODY 0x10 /* runs as uid/gid 65534, not as the caller */

struct sandbox_opts {
    int workers;          /* children at once; 0 = number of online cores */
    double timeout_s;     /* wall clock per program; 0 = 10 s */
    long mem_bytes;       /* RLIMIT_AS; 0 = 1 GiB */
    long fsize_bytes;     /* RLIMIT_FSIZE; 0 = 16 MiB */
    int max_procs;        /* RLIMIT_NPROC inside the sandbox; 0 = 64 */
    int max_files;        /* RLIMIT_NOFILE; 0 = 256 */
    size_t max_output;    /* bytes kept per stream; more output kills the
                             program (status limit, "output"); 0 = 1 MiB */
    const char *python;   /* interpreter; NULL = /usr/bin/python3 */
    const char *tmp_root; /* where work dirs are made; NULL = /tmp */
};

struct sandbox_job {
    const char *program; /* Python source (NUL-terminated), caller owned */
    /* results, filled by sandbox_run_batch() */
    int status;        /* enum sandbox_status */
    int exit_code;     /* when it exited, else -1 */
    int term_signal;   /* signal that ended it, else 0 */
    const char *limit; /* for SANDBOX_LIMIT/TIMEOUT: "memory", "fsize",
                          "processes", "output", "cpu", "wall"; else NULL
                          (static string) */
    double wall_ms, cpu_ms;
    char *out, *err; /* captured stdout/stderr, NUL-terminated (heap) */
    size_t out_len, err_len;
    bool out_truncated, err_truncated;
    unsigned isolation; /* SANDBOX_ISO_* in force for this run */
    long pgid;          /* the process group it ran in (all gone on return) */
    char *error;        /* SANDBOX_ERROR: what failed (heap), else NULL */
};

/* Run n jobs, at most o->workers at once (o may be NULL for defaults), and
 * fill their results. Returns 0 once every job has a status (a job that could
 * not be started is SANDBOX_ERROR with ->error set), or GRA_E* when nothing can
 * run at all (interpreter missing, no temp directory); then no job is marked.
 * Not reentrant across threads for the same jobs; separate calls from
 * separate threads are safe. */
int sandbox_run_batch(struct sandbox_job *jobs, int n, const struct sandbox_opts *o);

/* 0 when dir can hold work dirs: a directory that, when running as root, the
 * unprivileged sandbox uid can reach (every ancestor searchable by others);
 * else GRA_EIO with the reason logged. */
int sandbox_check_tmp_root(const char *dir);

/* Free a job's result strings (the program is not touched) and reset them. */
void sandbox_job_release(struct sandbox_job *j);

/* The isolation layers this machine gives a sandboxed child, probed once per
 * process (forks a short-lived child). */
unsigned sandbox_isolation(void);
/* "userns,net,mount,pid,nobody" or "none" for flags (static buffer per call
 * site: writes into buf of size n and returns it). */
const char *sandbox_isolation_str(unsigned flags, char *buf, size_t n);

#endif
