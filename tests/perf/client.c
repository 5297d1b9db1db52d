/*
 * perf_client: what the LLM client costs (research/perf-stats.md §A.5).
 * Prints figures, asserts nothing.
 *
 * The server is serve-sim (simsrv_start) in a forked child process, so its
 * CPU never counts against the client; its models file declares three fixed-
 * latency models: "fast" (0 ms), "d100" (100 ms) and "slow" (2 s). All of it
 * is SIMULATED: the figures measure the client, not any model.
 *
 *   1. CPU us per request (getrusage of this process around submit + llm_run)
 *      at zero delay, small bodies, concurrency 64: the client with a fresh
 *      cache file (all misses, so every reply is also written) and without;
 *      the floor: a bare curl-multi loop in this program with the same
 *      requests, no cache, no parsing, no accounting; the peer: the official
 *      `openai` npm package on Node (tests/perf/node/peer.mjs), CPU from
 *      process.cpuUsage. Median of --reps runs.
 *   2. Achieved / target concurrency with 100 ms server delay at C = 64, 256,
 *      1024 and N = 20 C: Little's law, sum of request durations / wall / C.
 *   3. Resident memory per in-flight request: (VmRSS peak with C in flight -
 *      VmRSS idle) / C with a 2 s delay, for several prompt sizes, each in a
 *      fresh forked process.
 *
 * usage: perf_client [--reps R] [--n N] [--quick] [--node-dir DIR] [--no-node] [--only 1|2|3]
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/llm.h"
#include "core/simsrv.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------- server */

static pid_t server_pid;

static int start_server(const char *models_path)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    server_pid = fork();
    if (server_pid < 0) return -1;
    if (server_pid == 0) {
        close(fds[0]);
        const char *files[] = {models_path};
        struct simsrv_opts o;
        memset(&o, 0, sizeof o);
        o.models_files = files;
        o.n_models_files = 1;
        o.host = "127.0.0.1";
        o.threads = 2;
        struct simsrv *s = NULL;
        int port = -1;
        if (simsrv_start(&o, &s) == 0) port = simsrv_port(s);
        if (write(fds[1], &port, sizeof port) != sizeof port) _exit(1);
        close(fds[1]);
        if (port < 0) _exit(1);
        for (;;) pause();
    }
    close(fds[1]);
    int port = -1;
    if (read(fds[0], &port, sizeof port) != sizeof port) port = -1;
    close(fds[0]);
    return port;
}

static void stop_server(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        server_pid = 0;
    }
}

/* --------------------------------------------------------- our client */

static struct gra_config *make_cfg(int port, const char *model, int c)
{
    struct gra_config *cfg = xcalloc(1, sizeof *cfg);
    cfg->name = xstrdup("perf");
    cfg->client.backoff_base_ms = 500;
    cfg->client.backoff_cap_ms = 60000;
    cfg->client.max_retries = 6;
    cfg->client.connect_timeout_ms = 10000;
    cfg->client.max_body_bytes = 16L << 20;
    cfg->n_models = 1;
    cfg->models = xcalloc(1, sizeof *cfg->models);
    struct model_cfg *m = &cfg->models[0];
    m->name = xstrdup(model);
    m->served_name = xstrdup(model);
    m->endpoints = xcalloc(1, sizeof *m->endpoints);
    m->endpoints[0] = xasprintf("http://127.0.0.1:%d/v1", port);
    m->n_endpoints = 1;
    m->max_inflight = c;
    m->params_b = 7;
    m->timeout_ms = 600000;
    m->max_retries = 6;
    m->structured_output = true;
    m->params = cJSON_Parse("{\"temperature\":0.7,\"max_tokens\":128}");
    return cfg;
}

static void free_cfg(struct gra_config *cfg)
{
    struct model_cfg *m = &cfg->models[0];
    free(m->name);
    free(m->served_name);
    free(m->endpoints[0]);
    free(m->endpoints);
    cJSON_Delete(m->params);
    free(cfg->models);
    free(cfg->name);
    free(cfg);
}

struct tally {
    long ok, failed;
    double lat_sum;
    long resp_bytes;
};

static void on_done(void *ud, const struct llm_result *r)
{
    struct tally *t = ud;
    if (r->status == LLM_OK) {
        t->ok++;
        t->lat_sum += r->latency_ms;
        t->resp_bytes += (long)r->content_len;
    } else {
        t->failed++;
    }
}

static char *prompt_text(long i, size_t pad)
{
    struct buf b = BUF_INIT;
    buf_appendf(&b, "question %ld: say something short.", i);
    while (b.len < pad) buf_puts(&b, " lorem ipsum dolor sit amet");
    return buf_detach(&b, NULL);
}

static void submit_range(struct llm_client *c, const char *model, long from, long n, size_t pad,
                         struct tally *t)
{
    for (long i = from; i < from + n; i++) {
        char *text = prompt_text(i, pad);
        cJSON *msgs = cJSON_CreateArray();
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "user");
        cJSON_AddStringToObject(m, "content", text);
        cJSON_AddItemToArray(msgs, m);
        struct llm_request rq = {.model = model,
                                 .tag = "perf",
                                 .messages = msgs,
                                 .seed = (uint64_t)i,
                                 .done = on_done,
                                 .ud = t};
        if (llm_submit(c, &rq) != 0) t->failed++;
        cJSON_Delete(msgs);
        free(text);
    }
}

struct run_out {
    double cpu_us, wall_ms, lat_sum;
    long ok, failed;
};

/* N requests at concurrency C through the real client; CPU covers building
 * and submitting the requests as well as llm_run. */
static void run_client(int port, const char *model, long n, int c, const char *cache, long warmup,
                       struct run_out *out)
{
    struct gra_config *cfg = make_cfg(port, model, c);
    struct llm_client_opts o = {.quiet = true, .cache_path = cache};
    struct llm_client *cl = NULL;
    memset(out, 0, sizeof *out);
    if (llm_client_new(cfg, &o, &cl) != 0) {
        fprintf(stderr, "perf_client: cannot create the client\n");
        exit(1);
    }
    struct tally t = {0};
    if (warmup) {
        submit_range(cl, model, 1000000000L, warmup, 0, &t);
        llm_run(cl);
        memset(&t, 0, sizeof t);
    }
    double c0 = cpu_us();
    submit_range(cl, model, 0, n, 0, &t);
    double w0 = now_ms(); /* wall from the start of the loop (submission is CPU above) */
    llm_run(cl);
    out->wall_ms = now_ms() - w0;
    out->cpu_us = cpu_us() - c0;
    out->ok = t.ok;
    out->failed = t.failed;
    out->lat_sum = t.lat_sum;
    llm_client_free(cl);
    free_cfg(cfg);
}

/* ------------------------------------------------------------ the floor */

struct floor_conn {
    CURL *h;
    struct buf body;
    char *req;
};

static size_t floor_write(char *p, size_t sz, size_t n, void *ud)
{
    struct floor_conn *k = ud;
    buf_append(&k->body, p, sz * n);
    return sz * n;
}

static void floor_start(CURLM *m, struct floor_conn *k, long i, const char *model)
{
    buf_reset(&k->body);
    free(k->req);
    k->req = xasprintf("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":"
                       "\"question %ld: say something short.\"}],\"temperature\":0.7,"
                       "\"max_tokens\":128,\"seed\":%ld}",
                       model, i, i);
    curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, k->req);
    curl_easy_setopt(k->h, CURLOPT_POSTFIELDSIZE, (long)strlen(k->req));
    curl_multi_add_handle(m, k->h);
}

/* A bare curl-multi loop: C reused handles, keep-alive, poll, no cache, no
 * JSON, no accounting. The least a curl-based client can spend. */
static void run_floor(int port, const char *model, long n, int c, struct run_out *out)
{
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)c + 16);
    char *url = xasprintf("http://127.0.0.1:%d/v1/chat/completions", port);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Expect:");
    struct floor_conn *ks = xcalloc((size_t)c, sizeof *ks);
    for (int i = 0; i < c; i++) {
        ks[i].h = curl_easy_init();
        buf_init(&ks[i].body, 0);
        curl_easy_setopt(ks[i].h, CURLOPT_URL, url);
        curl_easy_setopt(ks[i].h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(ks[i].h, CURLOPT_WRITEFUNCTION, floor_write);
        curl_easy_setopt(ks[i].h, CURLOPT_WRITEDATA, &ks[i]);
        curl_easy_setopt(ks[i].h, CURLOPT_PRIVATE, &ks[i]);
        curl_easy_setopt(ks[i].h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(ks[i].h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    }
    memset(out, 0, sizeof *out);
    double c0 = cpu_us(), w0 = now_ms();
    long next = 0, done = 0;
    for (int i = 0; i < c && next < n; i++) floor_start(m, &ks[i], next++, model);
    while (done < n) {
        int running;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            struct floor_conn *k;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&k);
            long code = 0;
            curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &code);
            if (msg->data.result == CURLE_OK && code == 200)
                out->ok++;
            else
                out->failed++;
            done++;
            curl_multi_remove_handle(m, k->h);
            if (next < n) floor_start(m, k, next++, model);
        }
        if (done < n) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    out->wall_ms = now_ms() - w0;
    out->cpu_us = cpu_us() - c0;
    for (int i = 0; i < c; i++) {
        curl_easy_cleanup(ks[i].h);
        buf_release(&ks[i].body);
        free(ks[i].req);
    }
    free(ks);
    curl_slist_free_all(hdr);
    free(url);
    curl_multi_cleanup(m);
}

/* ------------------------------------------------------------- the peer */

static int run_node(const char *dir, int port, long n, int c, double *us_per_req, char *who,
                    size_t who_n)
{
    char *cmd = xasprintf("cd '%s' && node peer.mjs --url http://127.0.0.1:%d/v1 --n %ld --c %d "
                          "--model fast 2>&1",
                          dir, port, n, c);
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p) return -1;
    char line[4096];
    int rc = -1;
    while (fgets(line, sizeof line, p)) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *v = cJSON_GetObjectItem(j, "cpu_us_per_req");
        if (cJSON_IsNumber(v)) {
            *us_per_req = v->valuedouble;
            const cJSON *w = cJSON_GetObjectItem(j, "peer");
            const cJSON *f = cJSON_GetObjectItem(j, "failed");
            snprintf(who, who_n, "%s", cJSON_IsString(w) ? w->valuestring : "node");
            rc = cJSON_IsNumber(f) && f->valueint == 0 ? 0 : -2;
        } else {
            fprintf(stderr, "  node: %s", line);
        }
        cJSON_Delete(j);
    }
    pclose(p);
    return rc;
}

/* ----------------------------------------------------------- memory */

struct sampler {
    volatile int stop;
    long max_kib;
};

static void *sample_rss(void *ud)
{
    struct sampler *s = ud;
    while (!s->stop) {
        long k = rss_kib();
        if (k > s->max_kib) s->max_kib = k;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* In a fresh child: C requests of ~pad-byte prompts against the 2 s model;
 * writes {idle_kib, peak_kib, req_bytes, resp_bytes} to fd. */
static void memory_child(int port, int c, size_t pad, int fd)
{
    struct gra_config *cfg = make_cfg(port, "slow", c);
    struct llm_client_opts o = {.quiet = true};
    struct llm_client *cl = NULL;
    if (llm_client_new(cfg, &o, &cl) != 0) _exit(1);
    long idle = rss_kib();
    struct tally t = {0};
    struct sampler s = {0, idle};
    pthread_t th;
    pthread_create(&th, NULL, sample_rss, &s);
    submit_range(cl, "slow", 0, c, pad, &t);
    llm_run(cl);
    s.stop = 1;
    pthread_join(th, NULL);
    long vals[4] = {idle, s.max_kib, (long)pad + 150, t.ok ? t.resp_bytes / t.ok + 450 : 0};
    if (t.ok != c) vals[1] = -1;
    if (write(fd, vals, sizeof vals) != sizeof vals) _exit(1);
    llm_client_free(cl);
    free_cfg(cfg);
    _exit(0);
}

static int measure_memory(int port, int c, size_t pad, long out[4])
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fds[0]);
        memory_child(port, c, pad, fds[1]);
    }
    close(fds[1]);
    ssize_t r = read(fds[0], out, 4 * sizeof(long));
    close(fds[0]);
    waitpid(pid, NULL, 0);
    return r == 4 * (ssize_t)sizeof(long) && out[1] > 0 ? 0 : -1;
}

/* ------------------------------------------------------------- main */

static void machine(void)
{
    char model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ') p++;
                p[strcspn(p, "\n")] = '\0';
                snprintf(model, sizeof model, "%s", p);
            }
            break;
        }
    if (f) fclose(f);
    printf("machine: %ld CPUs online, %s; libcurl %s\n", sysconf(_SC_NPROCESSORS_ONLN), model,
           curl_version_info(CURLVERSION_NOW)->version);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
    signal(SIGPIPE, SIG_IGN);
    int reps = 3;
    long n = 20000;
    bool quick = false, node = true;
    int only = 0; /* run one section (1, 2, 3); 0 = all */
    const char *node_dir = GRA_SOURCE_DIR "/tests/perf/node";
    static const struct option opts[] = {
        {"reps", required_argument, NULL, 'r'}, {"n", required_argument, NULL, 'n'},
        {"quick", no_argument, NULL, 'q'},      {"node-dir", required_argument, NULL, 'd'},
        {"no-node", no_argument, NULL, 'N'},    {"help", no_argument, NULL, 'h'},
        {"only", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'r':
            reps = atoi(optarg);
            break;
        case 'n':
            n = atol(optarg);
            break;
        case 'q':
            quick = true;
            break;
        case 'd':
            node_dir = optarg;
            break;
        case 'N':
            node = false;
            break;
        case 'o':
            only = atoi(optarg);
            break;
        default:
            printf("usage: perf_client [--reps R] [--n N] [--quick] [--node-dir DIR] [--no-node] "
                   "[--only 1|2|3]\n");
            return ch == 'h' ? 0 : 2;
        }
    }
    if (quick) {
        reps = 1;
        n = 4000;
    }
    if (reps < 1) reps = 1;
    gra_log_level = LOG_WARN;

    char models_path[] = "/tmp/perf_client_models_XXXXXX";
    int mfd = mkstemp(models_path);
    const char *models = "{\"models\": ["
                         "{\"name\": \"fast\", \"size_b\": 7, \"seed\": 1, \"latency\": {\"dist\": "
                         "\"fixed\", \"mean_ms\": 0}},"
                         "{\"name\": \"d100\", \"size_b\": 7, \"seed\": 2, \"latency\": {\"dist\": "
                         "\"fixed\", \"mean_ms\": 100}},"
                         "{\"name\": \"slow\", \"size_b\": 7, \"seed\": 3, \"latency\": {\"dist\": "
                         "\"fixed\", \"mean_ms\": 2000}}"
                         "]}";
    if (mfd < 0 || write(mfd, models, strlen(models)) != (ssize_t)strlen(models)) {
        fprintf(stderr, "perf_client: cannot write %s\n", models_path);
        return 1;
    }
    close(mfd);
    int port = start_server(models_path);
    if (port <= 0) {
        fprintf(stderr, "perf_client: serve-sim did not start\n");
        unlink(models_path);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    printf("perf_client: SIMULATED server (serve-sim, separate process, port %d)\n", port);
    machine();
    if (!only || only == 1)
        printf(
            "\n1. CPU per request: N=%ld, C=64, zero server delay, ~0.6 KB replies, median of %d\n",
            n, reps);

    double *v_cache = xcalloc((size_t)reps, sizeof(double)),
           *v_nocache = xcalloc((size_t)reps, sizeof(double)),
           *v_floor = xcalloc((size_t)reps, sizeof(double)),
           *v_node = xcalloc((size_t)reps, sizeof(double));
    double *v_ratio = xcalloc((size_t)reps, sizeof(double));
    double rate_cache = 0, rate_floor = 0;
    int n_node = 0;
    char who[128] = "node";
    for (int r = 0; r < reps && (!only || only == 1); r++) {
        struct run_out o;
        char cache[64];
        snprintf(cache, sizeof cache, "/tmp/perf_client_cache_%ld_%d", (long)getpid(), r);
        run_client(port, "fast", n, 64, cache, 500, &o);
        char *wal = xasprintf("%s-wal", cache), *shm = xasprintf("%s-shm", cache);
        unlink(cache);
        unlink(wal);
        unlink(shm);
        free(wal);
        free(shm);
        v_cache[r] = o.cpu_us / (double)n;
        rate_cache = (double)n / o.wall_ms * 1000;
        printf("  run %d: client+cache %.1f us/req (%ld ok, %ld failed, %.0f req/s)", r + 1,
               v_cache[r], o.ok, o.failed, rate_cache);
        run_client(port, "fast", n, 64, NULL, 500, &o);
        v_nocache[r] = o.cpu_us / (double)n;
        printf(", no cache %.1f", v_nocache[r]);
        run_floor(port, "fast", n, 64, &o);
        v_floor[r] = o.cpu_us / (double)n;
        rate_floor = (double)n / o.wall_ms * 1000;
        printf(", floor %.1f (%ld ok)", v_floor[r], o.ok);
        v_ratio[r] = v_cache[r] / v_floor[r];
        if (node) {
            double us = 0;
            int rc = run_node(node_dir, port, n, 64, &us, who, sizeof who);
            if (rc == 0 || rc == -2) {
                v_node[n_node++] = us;
                printf(", node %.1f%s", us, rc == -2 ? " (with failures)" : "");
            } else {
                printf(", node: not run (see %s; scripts/perf-client.sh installs it)", node_dir);
                node = false;
            }
        }
        printf("\n");
        fflush(stdout);
    }
    double m_cache = median(v_cache, reps), m_nocache = median(v_nocache, reps),
           m_floor = median(v_floor, reps), m_node = n_node ? median(v_node, n_node) : 0,
           m_ratio = median(v_ratio, reps);

    if (!only || only == 2)
        printf("\n2. Achieved / target concurrency, 100 ms server delay, N = 20 C\n");
    int cs[] = {64, 256, 1024};
    double conc[3] = {0};
    for (int i = 0; i < 3 && (!only || only == 2); i++) {
        struct run_out o;
        long nn = quick ? 5L * cs[i] : 20L * cs[i];
        run_client(port, "d100", nn, cs[i], NULL, 0, &o);
        double L = o.lat_sum / o.wall_ms;
        conc[i] = L / cs[i];
        printf("  C=%-5d N=%-6ld wall %.0f ms, mean latency %.1f ms, L=%.1f, L/C=%.3f, "
               "throughput/(C/d)=%.3f, failed %ld\n",
               cs[i], nn, o.wall_ms, o.lat_sum / (double)(o.ok ? o.ok : 1), L, conc[i],
               ((double)o.ok / o.wall_ms) / (cs[i] / 100.0), o.failed);
        fflush(stdout);
    }

    if (!only || only == 3)
        printf("\n3. Resident memory per in-flight request, C=1024, 2 s server delay\n");
    size_t pads[] = {200, 8192, 32768};
    double mem_kib[3] = {0}, payload_kib[3] = {0};
    bool mem_ok[3] = {false};
    for (int i = 0; i < 3 && (!only || only == 3); i++) {
        long v[4];
        if (measure_memory(port, 1024, pads[i], v) != 0) {
            printf("  prompt %6zu B: measurement failed\n", pads[i]);
            continue;
        }
        mem_ok[i] = true;
        mem_kib[i] = (double)(v[1] - v[0]) / 1024.0;
        payload_kib[i] = (double)(v[2] + v[3]) / 1024.0;
        printf("  prompt %6zu B: idle %ld KiB, peak %ld KiB -> %.1f KiB per request "
               "(payload ~%.1f KiB; target <= %.1f KiB)\n",
               pads[i], v[0], v[1], mem_kib[i], payload_kib[i], 64 + 1.5 * payload_kib[i]);
        fflush(stdout);
    }
    stop_server();
    unlink(models_path);

    printf("\n== summary (SIMULATED server; us of client CPU per request, median of %d) ==\n",
           reps);
    if (!only || only == 1) {
        printf("  %-22s %10s\n", "variant", "us/req");
        printf("  %-22s %10.1f   (last run %.0f req/s wall)\n", "client + cache", m_cache,
               rate_cache);
        printf("  %-22s %10.1f\n", "client, no cache", m_nocache);
        printf("  %-22s %10.1f   (last run %.0f req/s wall)\n", "floor (bare curl)", m_floor,
               rate_floor);
        if (n_node)
            printf("  %-22s %10.1f   (%s)\n", "node peer", m_node, who);
        else
            printf("  %-22s %10s\n", "node peer", "not run");
        printf("  client+cache / floor  = %.2f   (target <= 2.0)  %s  [median of per-run ratios: "
               "%.2f]\n",
               m_cache / m_floor, m_cache / m_floor <= 2.0 ? "MET" : "MISSED", m_ratio);
        if (n_node)
            printf("  client+cache / node   = %.3f  (target <= 0.10) %s\n", m_cache / m_node,
                   m_cache / m_node <= 0.10 ? "MET" : "MISSED");
    }
    for (int i = 0; i < 3 && (!only || only == 2); i++)
        printf("  concurrency C=%-5d L/C = %.3f (target >= 0.95) %s\n", cs[i], conc[i],
               conc[i] >= 0.95 ? "MET" : "MISSED");
    for (int i = 0; i < 3; i++)
        if (mem_ok[i])
            printf("  memory, %5zu B prompt: %.1f KiB/in-flight (target <= %.1f) %s\n", pads[i],
                   mem_kib[i], 64 + 1.5 * payload_kib[i],
                   mem_kib[i] <= 64 + 1.5 * payload_kib[i] ? "MET" : "MISSED");
    free(v_cache);
    free(v_nocache);
    free(v_floor);
    free(v_node);
    free(v_ratio);
    curl_global_cleanup();
    return 0;
}
