/*
 * stub_server: see stub_server.h. libmicrohttpd with a thread per connection,
 * so a handler's delay only holds its own connection.
 */
#include "tests/support/stub_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

struct stub_server {
    struct MHD_Daemon *d;
    stub_fn fn;
    void *ud;
    int port;
    char url[64];
    pthread_mutex_t mu;
    long requests, active, max_active;
};

struct upload {
    struct buf body;
};

struct trunc {
    char *data;
    size_t len, cut;
};

char *stub_chat_body(const char *content, const char *finish_reason, long pt, long ct)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "{\"id\":\"stub-1\",\"object\":\"chat.completion\",\"created\":1,"
                 "\"model\":\"stub\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                 "\"assistant\",\"content\":");
    buf_put_json_string(&b, content, strlen(content));
    buf_appendf(&b,
                "},\"finish_reason\":\"%s\"}],\"usage\":{\"prompt_tokens\":%ld,"
                "\"completion_tokens\":%ld,\"total_tokens\":%ld}}",
                finish_reason ? finish_reason : "stop", pt, ct, pt + ct);
    return buf_detach(&b, NULL);
}

static char *default_body(const char *url, const char *body)
{
    if (strstr(url, "/embeddings")) {
        /* one 4-dim vector per input string: count the inputs roughly by
         * parsing; tests that need exact vectors supply a handler */
        int n = 0;
        const char *p = strstr(body, "\"input\":[");
        if (p) {
            int in_str = 0;
            for (p += 9; *p && *p != ']'; p++) {
                if (*p == '\\') {
                    p++;
                    continue;
                }
                if (*p == '"') {
                    if (!in_str) n++;
                    in_str = !in_str;
                }
            }
        }
        struct buf b = BUF_INIT;
        buf_puts(&b, "{\"object\":\"list\",\"data\":[");
        for (int i = 0; i < n; i++)
            buf_appendf(&b,
                        "%s{\"object\":\"embedding\",\"index\":%d,\"embedding\":[%d,0.5,0.25,1]}",
                        i ? "," : "", i, i);
        buf_puts(&b, "],\"model\":\"stub\",\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}");
        return buf_detach(&b, NULL);
    }
    return stub_chat_body("hello from the stub", "stop", 7, 5);
}

static ssize_t trunc_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct trunc *t = cls;
    if (pos >= t->cut) return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = t->cut - (size_t)pos;
    if (n > max) n = max;
    memcpy(out, t->data + pos, n);
    return (ssize_t)n;
}

static void trunc_free(void *cls)
{
    struct trunc *t = cls;
    free(t->data);
    free(t);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    struct stub_server *s = cls;
    struct upload *u = *con_cls;
    if (!u) {
        u = xcalloc(1, sizeof *u);
        buf_init(&u->body, 0);
        *con_cls = u;
        return MHD_YES;
    }
    if (*upload_size) {
        buf_append(&u->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&s->mu);
    s->requests++;
    if (++s->active > s->max_active) s->max_active = s->active;
    pthread_mutex_unlock(&s->mu);

    struct stub_reply r = {0};
    if (strcmp(method, "POST") != 0) {
        r.status = 404;
        r.body = xstrdup("{\"error\":{\"message\":\"not found\"}}");
    } else if (s->fn) {
        s->fn(s->ud, url, u->body.data, u->body.len, &r);
    }
    if (r.delay_ms > 0) sleep_ms(r.delay_ms);
    pthread_mutex_lock(&s->mu);
    s->active--;
    pthread_mutex_unlock(&s->mu);
    if (r.mode == STUB_DROP) {
        free(r.body);
        return MHD_NO;
    }
    if (!r.body) r.body = default_body(url, u->body.data);
    if (!r.status) r.status = 200;
    struct MHD_Response *resp;
    size_t len = strlen(r.body);
    if (r.mode == STUB_TRUNCATE) {
        struct trunc *t = xcalloc(1, sizeof *t);
        t->data = r.body;
        t->len = len;
        t->cut = len / 2;
        resp = MHD_create_response_from_callback(len, 4096, trunc_read, t, trunc_free);
    } else {
        resp = MHD_create_response_from_buffer(len, r.body, MHD_RESPMEM_MUST_FREE);
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (r.retry_after_s > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r.retry_after_s);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct upload *u = *con_cls;
    if (u) {
        buf_release(&u->body);
        free(u);
        *con_cls = NULL;
    }
}

struct stub_server *stub_start(stub_fn fn, void *ud)
{
    struct stub_server *s = xcalloc(1, sizeof *s);
    s->fn = fn;
    s->ud = ud;
    pthread_mutex_init(&s->mu, NULL);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL,
        NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096, MHD_OPTION_END);
    if (!s->d) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/v1", s->port);
    return s;
}

void stub_stop(struct stub_server *s)
{
    if (!s) return;
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int stub_port(const struct stub_server *s)
{
    return s->port;
}
const char *stub_url(const struct stub_server *s)
{
    return s->url;
}

long stub_requests(const struct stub_server *s)
{
    pthread_mutex_lock((pthread_mutex_t *)&s->mu);
    long n = s->requests;
    pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
    return n;
}

long stub_max_concurrent(const struct stub_server *s)
{
    pthread_mutex_lock((pthread_mutex_t *)&s->mu);
    long n = s->max_active;
    pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
    return n;
}
