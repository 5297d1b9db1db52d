/*
 * stub_server: a tiny OpenAI-shaped HTTP server for client tests
 * (libmicrohttpd, one thread per connection, loopback, any free port).
 *
 * Every POST is handed to the test's handler, which fills a stub_reply: a
 * status and body, or a fault (drop the connection, truncate the body), an
 * optional Retry-After and a delay. Without a handler, chat requests get a
 * fixed small completion and embedding requests a fixed vector per input.
 * The server counts requests so tests can prove "zero network calls".
 *
 * Ownership: stub_start() returns a server freed by stub_stop(); reply bodies
 * set by handlers are heap strings the server frees.
 */
#ifndef GRA_TEST_STUB_SERVER_H
#define GRA_TEST_STUB_SERVER_H

#include <stddef.h>

enum stub_mode { STUB_REPLY = 0, STUB_DROP, STUB_TRUNCATE };

struct stub_reply {
    int status;        /* default 200 */
    char *body;        /* heap, freed by the server; NULL = default reply */
    int retry_after_s; /* > 0: send Retry-After */
    int delay_ms;
    enum stub_mode mode;
};

/* Called on a server thread (must be thread-safe); url is the path
 * ("/v1/chat/completions"); body is the request body (NUL-terminated). */
typedef void (*stub_fn)(void *ud, const char *url, const char *body, size_t len,
                        struct stub_reply *out);

struct stub_server;

/* Start on 127.0.0.1 with a free port; fn may be NULL. NULL on failure. */
struct stub_server *stub_start(stub_fn fn, void *ud);
void stub_stop(struct stub_server *s);
int stub_port(const struct stub_server *s);
/* "http://127.0.0.1:PORT/v1" (static storage inside s). */
const char *stub_url(const struct stub_server *s);
/* Requests received so far (completed handler calls, including faults). */
long stub_requests(const struct stub_server *s);
/* Largest number of requests being handled at the same moment. */
long stub_max_concurrent(const struct stub_server *s);

/* A chat completion body with this content / finish reason (heap string). */
char *stub_chat_body(const char *content, const char *finish_reason, long prompt_tokens,
                     long completion_tokens);

#endif
