/*
 * fuzz_simflaw: the simulated world's flaw detectors and writers
 * (core/simflaw.h) on arbitrary instruction/response text. The input is
 * split at the first NUL into instruction and response (no NUL: the whole
 * input is the instruction and there is no response). Checked: no crash,
 * leak or UB; detection is deterministic and only reports flaw bits; the
 * instruction bits of simflaw_detect() are simflaw_detect_instruction()'s;
 * the task parser's slots stay in range; the writers (solution, injections)
 * are deterministic given their seed and keep the text a C string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/hash.h"
#include "core/rng.h"
#include "core/simflaw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_buf(const struct buf *b)
{
    if (b->len && strlen(b->data) != b->len) abort(); /* no NUL inside */
}

/* run a writer twice from the same seed; the outputs must agree */
static void twice_solution(const char *ins, unsigned flaws, double verb, uint64_t seed)
{
    struct buf o1 = BUF_INIT, o2 = BUF_INIT;
    struct rng r1, r2;
    rng_seed(&r1, seed);
    rng_seed(&r2, seed);
    int a = simflaw_solution(ins, flaws, verb, &r1, &o1);
    int b = simflaw_solution(ins, flaws, verb, &r2, &o2);
    if (a != b || o1.len != o2.len || (o1.len && memcmp(o1.data, o2.data, o1.len))) abort();
    if (a < 0 && o1.len) abort(); /* -1: nothing written */
    check_buf(&o1);
    if (a == 0) simflaw_detect(ins, o1.data ? o1.data : "");
    buf_release(&o1);
    buf_release(&o2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 15) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    const char *ins = s, *resp = NULL;
    if (strlen(s) < size) resp = s + strlen(s) + 1;
    uint64_t seed = hash64(data, size, 0);

    unsigned f = simflaw_detect(ins, resp);
    if (f & ~SIMFLAW_ALL) abort();
    if (simflaw_detect(ins, resp) != f) abort();
    unsigned fi = simflaw_detect_instruction(ins);
    if ((f & SIMFLAW_INSTRUCTION_MASK) != fi) abort();
    if (!resp && (f & SIMFLAW_RESPONSE_MASK)) abort();
    if (simflaw_count(f) < 0 || simflaw_count(f) > SIMFLAW_N) abort();
    if (resp) {
        unsigned c = simflaw_parse_critique(resp);
        if (c & ~SIMFLAW_ALL) abort();
    }

    struct simflaw_task t;
    enum simflaw_kind k = simflaw_task_parse(ins, &t);
    if (k != t.kind) abort();
    if (k != SIMFLAW_OTHER) {
        if (t.n_found < 0 || t.n_found > 4 || t.n_needed < 0 || t.n_needed > 4) abort();
        if (!memchr(t.fname, '\0', sizeof t.fname) || !memchr(t.name, '\0', sizeof t.name) ||
            !memchr(t.item, '\0', sizeof t.item))
            abort();
    }

    struct buf w = BUF_INIT;
    int nw = simflaw_content_words(ins, 16, &w);
    if (nw < 0 || nw > 16) abort();
    buf_release(&w);

    twice_solution(ins, 0, 0.0, seed);
    twice_solution(ins, SIMFLAW_WRONG_ANSWER | SIMFLAW_CONTRADICTION, 1.0, seed);
    twice_solution(ins, SIMFLAW_TRUNCATED, 1.5, seed);

    /* each response injection into the response (or the instruction as response) */
    const unsigned rb[] = {SIMFLAW_PADDING, SIMFLAW_OFF_TOPIC, SIMFLAW_CONTRADICTION,
                           SIMFLAW_UNSAFE, SIMFLAW_TRUNCATED};
    for (size_t i = 0; i < sizeof rb / sizeof rb[0]; i++) {
        struct buf r = BUF_INIT;
        buf_puts(&r, resp ? resp : ins);
        struct rng g;
        rng_seed(&g, seed + i);
        if (simflaw_inject_response(rb[i], ins, &r, &g) == 0) {
            check_buf(&r);
            simflaw_detect(ins, r.data ? r.data : "");
        }
        buf_release(&r);
    }
    const unsigned ib[] = {SIMFLAW_UNCLEAR, SIMFLAW_UNREASONABLE, SIMFLAW_INCOMPLETE};
    for (size_t i = 0; i < sizeof ib / sizeof ib[0]; i++) {
        struct buf r = BUF_INIT;
        buf_puts(&r, ins);
        struct rng g;
        rng_seed(&g, seed ^ (i + 1));
        if (simflaw_inject_instruction(ib[i], &r, &g) == 0) {
            check_buf(&r);
            simflaw_detect_instruction(r.data ? r.data : "");
        }
        buf_release(&r);
    }
    free(s);
    return 0;
}
