/*
 * cmd_serve_sim: `gra serve-sim`, the command-line face of simsrv.
 *
 * Parses the options into struct simsrv_opts, starts the server, announces
 * the URL on stderr (and the port in --port-file, written atomically, for
 * scripts that asked for port 0), then waits in sigwait() for SIGINT or
 * SIGTERM. The signals are blocked before the server starts so that every
 * libmicrohttpd thread inherits the mask and only this thread receives them.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commands.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/simsrv.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: gra serve-sim [options]\n"
        "\n"
        "Run the offline OpenAI-compatible server whose models are SIMULATED (seeded\n"
        "simulations, not language models; docs/serve-sim.md, docs/sim-models.md).\n"
        "Routes: GET /v1/models, POST /v1/chat/completions (also \"stream\": true),\n"
        "POST /v1/embeddings. Replies are deterministic given the request body.\n"
        "\n"
        "options:\n"
        "  --host H            IPv4 address to listen on (default 127.0.0.1, loopback)\n"
        "  --port P            TCP port (default 8085; 0 = any free port)\n"
        "  --port-file F       write the port actually bound to F (atomically)\n"
        "  --models FILE       model declarations (repeatable, merged in order;\n"
        "                      default: the built-in sim-small-7b, sim-large-72b, sim-embed)\n"
        "  --data-dir D        benchmark data for simulated students (default $GRA_DATA_DIR)\n"
        "  --threads N         worker threads (default: number of cores)\n"
        "  --no-delay          ignore the models' latencies (benchmarks, tests)\n"
        "  --embed-dim D       embedding dimension when a model does not set one (default 384)\n"
        "  --check             validate the model files and exit\n"
        "\n"
        "fault injection (rates are probabilities per request, in [0,1], summing to <= 1;\n"
        "POST routes only; each arrival of an identical request draws afresh):\n"
        "  --fault-429 RATE        429 rate_limit_exceeded with Retry-After\n"
        "  --retry-after S         seconds in Retry-After (default 1; retry-after-ms too)\n"
        "  --fault-500 RATE        500 server_error\n"
        "  --fault-503 RATE        503 service_unavailable\n"
        "  --fault-drop RATE       close the connection without any reply\n"
        "  --fault-truncated RATE  status 200, body cut in the middle (connection closed)\n"
        "  --fault-malformed RATE  status 200, a body that is not JSON\n"
        "  --fault-length RATE     finish_reason \"length\", content cut in the middle\n"
        "  --extra-delay-ms MS     added to every reply (also with --no-delay)\n"
        "  --fault-seed N          seed of the fault stream (default 0)\n"
        "\n"
        "Stops cleanly on SIGINT or SIGTERM (exit 0). Exit 2 on bad usage, 3 on an invalid\n"
        "model file, 4 when a model file cannot be read or parsed or the port cannot be bound.\n");
}

static int parse_double(const char *opt, const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min && v <= max))
        return err(GRA_EINVAL, "serve-sim: %s: expected a number in [%g, %g], got \"%s\"", opt, min,
                   max, s);
    *out = v;
    return 0;
}

static int parse_long(const char *opt, const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return err(GRA_EINVAL, "serve-sim: %s: expected an integer in [%ld, %ld], got \"%s\"", opt,
                   min, max, s);
    *out = v;
    return 0;
}

enum {
    O_HOST = 1000, O_PORT, O_PORT_FILE, O_MODELS, O_DATA_DIR, O_THREADS, O_NO_DELAY, O_EMBED_DIM,
    O_CHECK, O_F429, O_RETRY_AFTER, O_F500, O_F503, O_FDROP, O_FTRUNC, O_FMALFORMED, O_FLENGTH,
    O_EXTRA_DELAY, O_FSEED,
};

int cmd_serve_sim(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"host", required_argument, NULL, O_HOST},
        {"port", required_argument, NULL, O_PORT},
        {"port-file", required_argument, NULL, O_PORT_FILE},
        {"models", required_argument, NULL, O_MODELS},
        {"data-dir", required_argument, NULL, O_DATA_DIR},
        {"threads", required_argument, NULL, O_THREADS},
        {"no-delay", no_argument, NULL, O_NO_DELAY},
        {"embed-dim", required_argument, NULL, O_EMBED_DIM},
        {"check", no_argument, NULL, O_CHECK},
        {"fault-429", required_argument, NULL, O_F429},
        {"retry-after", required_argument, NULL, O_RETRY_AFTER},
        {"fault-500", required_argument, NULL, O_F500},
        {"fault-503", required_argument, NULL, O_F503},
        {"fault-drop", required_argument, NULL, O_FDROP},
        {"fault-truncated", required_argument, NULL, O_FTRUNC},
        {"fault-malformed", required_argument, NULL, O_FMALFORMED},
        {"fault-length", required_argument, NULL, O_FLENGTH},
        {"extra-delay-ms", required_argument, NULL, O_EXTRA_DELAY},
        {"fault-seed", required_argument, NULL, O_FSEED},
        {NULL, 0, NULL, 0},
    };
    struct simsrv_opts o = {0};
    o.port = 8085;
    o.faults.retry_after_s = 1;
    o.data_dir = getenv("GRA_DATA_DIR");
    const char *port_file = NULL;
    const char **files = xcalloc((size_t)argc + 1, sizeof *files);
    int n_files = 0;
    bool check = false;
    int rc = 0, c;
    long l = 0;
    while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            free(files);
            return 0;
        case O_HOST: o.host = optarg; break;
        case O_PORT: rc = parse_long("--port", optarg, 0, 65535, &l); o.port = (int)l; break;
        case O_PORT_FILE: port_file = optarg; break;
        case O_MODELS: files[n_files++] = optarg; break;
        case O_DATA_DIR: o.data_dir = optarg; break;
        case O_THREADS: rc = parse_long("--threads", optarg, 1, 256, &l); o.threads = (int)l; break;
        case O_NO_DELAY: o.no_delay = true; break;
        case O_EMBED_DIM: rc = parse_long("--embed-dim", optarg, 1, 8192, &l); o.embed_dim = (int)l; break;
        case O_CHECK: check = true; break;
        case O_F429: rc = parse_double("--fault-429", optarg, 0, 1, &o.faults.rate_429); break;
        case O_RETRY_AFTER: rc = parse_double("--retry-after", optarg, 0, 86400, &o.faults.retry_after_s); break;
        case O_F500: rc = parse_double("--fault-500", optarg, 0, 1, &o.faults.rate_500); break;
        case O_F503: rc = parse_double("--fault-503", optarg, 0, 1, &o.faults.rate_503); break;
        case O_FDROP: rc = parse_double("--fault-drop", optarg, 0, 1, &o.faults.rate_drop); break;
        case O_FTRUNC: rc = parse_double("--fault-truncated", optarg, 0, 1, &o.faults.rate_truncated); break;
        case O_FMALFORMED: rc = parse_double("--fault-malformed", optarg, 0, 1, &o.faults.rate_malformed); break;
        case O_FLENGTH: rc = parse_double("--fault-length", optarg, 0, 1, &o.faults.rate_length); break;
        case O_EXTRA_DELAY: rc = parse_double("--extra-delay-ms", optarg, 0, 3.6e6, &o.faults.extra_delay_ms); break;
        case O_FSEED: {
            char *end;
            errno = 0;
            o.faults.seed = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-')
                rc = err(GRA_EINVAL, "serve-sim: --fault-seed: expected a non-negative integer, got \"%s\"", optarg);
            break;
        }
        default:
            usage(stderr);
            free(files);
            return GRA_EXIT_USAGE;
        }
        if (rc) {
            free(files);
            return GRA_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gra serve-sim: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        free(files);
        return GRA_EXIT_USAGE;
    }
    o.models_files = files;
    o.n_models_files = n_files;
    if (check) {
        rc = simsrv_check_models(files, n_files);
        free(files);
        if (rc) return gra_exit_code(rc);
        fprintf(stderr, "serve-sim: %d model file(s) OK\n", n_files);
        return 0;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct simsrv *srv = NULL;
    rc = simsrv_start(&o, &srv);
    free(files);
    if (rc) return rc == GRA_EINVAL ? GRA_EXIT_USAGE : gra_exit_code(rc);
    int port = simsrv_port(srv);
    const char *host = o.host && o.host[0] && strcmp(o.host, "localhost") ? o.host : "127.0.0.1";
    if (strncmp(host, "127.", 4) != 0)
        log_warn("serve-sim listens on %s, not loopback: anyone who can reach it gets SIMULATED replies", host);
    fprintf(stderr, "serve-sim (SIMULATED models) listening on http://%s:%d/v1\n", host, port);
    fflush(stderr);
    if (port_file) {
        char txt[16];
        int n = snprintf(txt, sizeof txt, "%d\n", port);
        rc = fileio_write_atomic(port_file, txt, (size_t)n);
        if (rc) {
            simsrv_stop(srv);
            return gra_exit_code(rc);
        }
    }
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    log_info("serve-sim: %s received, stopping after %ld requests", sig == SIGINT ? "SIGINT" : "SIGTERM",
             simsrv_requests(srv));
    simsrv_stop(srv);
    return 0;
}
