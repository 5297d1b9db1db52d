/*
 * perf_sim: throughput of `gra serve-sim` under keep-alive load.
 *
 * Starts `gra serve-sim --port 0 --no-delay` as a separate process (or uses
 * --url), then drives it with a libcurl multi load generator: C transfers in
 * flight, each re-added as soon as it finishes, so connections are reused
 * (HTTP/1.1 keep-alive). After a warm-up it measures for S seconds and prints
 * requests per second, the server's CPU time per request (from
 * /proc/PID/stat, so the figure can be scaled to another core count) and the
 * load generator's own CPU per request. Both run on the same machine, so on
 * 2 cores the client's CPU is taken from the server's budget: the server
 * CPU per request is the number to compare across machines.
 *
 *     perf_sim [--gra PATH] [--url http://127.0.0.1:P] [--seconds S]
 *              [--concurrency C] [--threads N] [--kind chat|embed]
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct slot {
    CURL *h;
    char body[256];
    long status;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

/* utime + stime of a process in seconds (0 if unknown). */
static double proc_cpu(pid_t pid)
{
    if (pid <= 0) return 0;
    char path[64], line[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    char *p = strrchr(line, ')');
    if (!p) return 0;
    unsigned long ut = 0, st = 0;
    /* fields after ")": state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void fill(struct slot *s, const char *kind, long seq)
{
    if (strcmp(kind, "embed") == 0)
        snprintf(s->body, sizeof s->body,
                 "{\"model\":\"sim-embed\",\"input\":\"benchmark sentence number %ld for the embedder\"}", seq);
    else
        snprintf(s->body, sizeof s->body,
                 "{\"model\":\"sim-small-7b\",\"messages\":[{\"role\":\"user\",\"content\":"
                 "\"What is %ld plus %ld?\"}],\"max_tokens\":64}", seq, seq % 97);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, s->body);
}

int main(int argc, char **argv)
{
    const char *gra = getenv("GRA_BIN"), *url = NULL, *kind = "chat";
    double seconds = 5;
    int conc = 64, threads = 2;
    static const struct option lo[] = {
        {"gra", required_argument, NULL, 'g'}, {"url", required_argument, NULL, 'u'},
        {"seconds", required_argument, NULL, 's'}, {"concurrency", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'}, {"kind", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (o) {
        case 'g': gra = optarg; break;
        case 'u': url = optarg; break;
        case 's': seconds = atof(optarg); break;
        case 'c': conc = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'k': kind = optarg; break;
        default:
            fprintf(o == 'h' ? stdout : stderr,
                    "usage: perf_sim [--gra PATH] [--url http://127.0.0.1:PORT] [--seconds S]\n"
                    "                [--concurrency C] [--threads N] [--kind chat|embed]\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (conc < 1 || conc > 4096 || seconds <= 0 || threads < 1) {
        fprintf(stderr, "perf_sim: bad arguments\n");
        return 2;
    }
    char gra_default[4096];
    if (!gra) { /* build/perf/perf_sim -> build/gra */
        ssize_t n = readlink("/proc/self/exe", gra_default, sizeof gra_default - 16);
        if (n > 0) {
            gra_default[n] = '\0';
            char *slash = strrchr(gra_default, '/');
            if (slash) strcpy(slash, "/../gra");
            gra = gra_default;
        }
    }
    pid_t pid = 0;
    char base[256];
    char port_file[] = "/tmp/perf_sim_port_XXXXXX";
    if (!url) {
        int fd = mkstemp(port_file);
        if (fd < 0) {
            perror("perf_sim: mkstemp");
            return 1;
        }
        close(fd);
        unlink(port_file);
        char th[16];
        snprintf(th, sizeof th, "%d", threads);
        pid = fork();
        if (pid == 0) {
            execl(gra, gra, "-q", "serve-sim", "--port", "0", "--port-file", port_file, "--no-delay",
                  "--threads", th, (char *)NULL);
            fprintf(stderr, "perf_sim: cannot run %s: %s\n", gra, strerror(errno));
            _exit(127);
        }
        int port = 0;
        for (int i = 0; i < 500 && !port; i++) {
            FILE *f = fopen(port_file, "r");
            if (f) {
                if (fscanf(f, "%d", &port) != 1) port = 0;
                fclose(f);
            }
            if (!port) {
                int st;
                if (waitpid(pid, &st, WNOHANG) == pid) {
                    fprintf(stderr, "perf_sim: serve-sim exited early\n");
                    return 1;
                }
                usleep(10000);
            }
        }
        unlink(port_file);
        if (!port) {
            fprintf(stderr, "perf_sim: serve-sim did not write its port\n");
            kill(pid, SIGTERM);
            return 1;
        }
        snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
        url = base;
    }
    char target[512];
    snprintf(target, sizeof target, "%s/v1/%s", url, strcmp(kind, "embed") == 0 ? "embeddings" : "chat/completions");

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)conc);
    struct slot *slots = calloc((size_t)conc, sizeof *slots);
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    long seq = 0;
    for (int i = 0; i < conc; i++) {
        CURL *h = slots[i].h = curl_easy_init();
        curl_easy_setopt(h, CURLOPT_URL, target);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(h, CURLOPT_PRIVATE, &slots[i]);
        curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
        fill(&slots[i], kind, seq++);
        curl_multi_add_handle(m, h);
    }
    double warm = 0.5, t0 = mono(), t_start = 0, cpu_srv0 = 0, cpu_self0 = 0;
    long done = 0, errors = 0, measured = 0, connects = 0;
    bool measuring = false;
    for (;;) {
        int running;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *h = msg->easy_handle;
            struct slot *s;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&s);
            long status = 0, nc = 0;
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nc);
            done++;
            if (measuring) {
                measured++;
                connects += nc;
                if (msg->data.result != CURLE_OK || status != 200) errors++;
            }
            curl_multi_remove_handle(m, h);
            fill(s, kind, seq++);
            curl_multi_add_handle(m, h);
        }
        double now = mono();
        if (!measuring && now - t0 >= warm) {
            measuring = true;
            t_start = now;
            cpu_srv0 = proc_cpu(pid);
            cpu_self0 = self_cpu();
        }
        if (measuring && now - t_start >= seconds) break;
        curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    double dt = mono() - t_start;
    double cpu_srv = proc_cpu(pid) - cpu_srv0, cpu_self = self_cpu() - cpu_self0;
    for (int i = 0; i < conc; i++) {
        curl_multi_remove_handle(m, slots[i].h);
        curl_easy_cleanup(slots[i].h);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hd);
    free(slots);
    curl_global_cleanup();
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    double rps = measured / dt;
    printf("perf_sim: %s, C=%d keep-alive, server threads %d, %.1f s: %ld requests, %ld errors, "
           "%ld new connections\n", kind, conc, threads, dt, measured, errors, connects);
    printf("throughput: %.0f req/s\n", rps);
    if (pid > 0)
        printf("server CPU: %.1f us/request (%.2f cores busy; %.0f req/s per server core)\n",
               measured ? 1e6 * cpu_srv / measured : 0, cpu_srv / dt, cpu_srv > 0 ? measured / cpu_srv : 0);
    printf("client CPU: %.1f us/request (%.2f cores busy)\n", measured ? 1e6 * cpu_self / measured : 0,
           cpu_self / dt);
    return errors ? 1 : 0;
}
