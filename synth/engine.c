/*
 * engine: how a dataset is made (docs/synth.md tells the same story for a
 * reader; this comment is the map of the code).
 *
 * A dataset is a sequence of STEPS, each finished by a CHECKPOINT:
 *   step 0      seed preparation: one metadata call per seed record
 *               (domain, three keywords, summary) by a randomly drawn model;
 *               then the seeds are embedded and entered in the dedup index.
 *   step 1..    WAVES of samples. A wave is a contiguous range of global sample
 *               indices of one round. Its size is planned from the state:
 *               n = ceil(need * overshoot / acceptance so far), capped so a
 *               round never attempts more than max_attempts_factor * target.
 *               Every sample runs the per-sample state machine below; when
 *               all are done the wave is FINALIZED: the accepted candidates
 *               are walked greedily by descending mu (the spec's order),
 *               each kept iff the dedup index (seeds + everything kept so far)
 *               has no near-duplicate, until the round's target is filled;
 *               kept records get metadata enrichment. A round ends when its
 *               target is met or its attempts cap is spent; its kept records
 *               then join the pool the next round draws examples from.
 *
 * The per-sample state machine (GRA; llm callbacks advance it, nothing waits
 * for a batch; at most max_active samples are alive, new ones start as old
 * ones finish, curl's 10-at-a-time):
 *   keywords -> instruction -> response -> [N_R phase-1 reviews in parallel]
 *   -> any "no": reject | [N_R phase-2 reviews in parallel] -> committee
 *   -> reject | accept | adjudicate -> keep iff adjudicator >= tau.
 * gra_refine starts with one refine call; large_generate_only stops after the
 * response. EVERY random choice of a sample (roles, domain, pool examples,
 * per-call seeds) is drawn when it is created, from rng_derive(config seed,
 * "sample", index), so results do not depend on completion order.
 *
 * Two drivers run the same steps: round_run() (the normal path) keeps a
 * whole round in one event loop, finalizing a wave in callbacks and starting
 * the next wave as soon as the previous one has passed dedup (its enrichment
 * overlaps the new samples; the seeds' embeddings overlap the first wave;
 * samples of the next wave may start in idle slots); wave_step() runs one
 * step at a time and is what shards and --merge use. Calls go through a
 * per-model queue that serves the oldest sample first (see "The call
 * queue"): timing only, never content. Both write the same checkpoints (the e2e test
 * compares a sharded run with a normal one byte for byte).
 *
 * Durability (why kill -9 + rerun == an uninterrupted run, byte for byte):
 *   - a finished sample is appended whole to a JOURNAL (state/NAME/
 *     round-R.journal.jsonl or step-K.*.jsonl, flushed); a torn last line is
 *     cut on restart (jsonl_repair_tail) and that sample re-run;
 *   - the outcome of a sample is a pure function of (pool at step start,
 *     index, config, replies), and replies come back from the call cache;
 *   - finalizing uses the journal entries (as parsed back from their
 *     lines) sorted by index, so a fresh and a resumed run feed identical
 *     bytes into dedup and enrichment;
 *   - enrichment outcomes are journaled too (enrich-K.jsonl) and applied from
 *     the line as read back, so a resumed run never re-asks one, even with no
 *     call cache;
 *   - a finalized step is written atomically as state/NAME/step-K.json (+ the
 *     embeddings of what entered the dedup index, step-K.emb); on restart the
 *     checkpoints are replayed through the same apply function, which also
 *     collects the kept records' vectors for NAME.embeddings.jsonl;
 *   - the final files are written atomically once the dataset is complete.
 *   The state directory is tied to the dataset's config by a hash; a changed
 *   config refuses to resume (delete state/NAME to start over).
 * Shards (--shard i/N) run only the samples with index % N == i of the
 * current step and journal them to step-K.shard-i-of-N.jsonl; --merge finishes
 * the step from all journals. Since finalizing reads journals sorted by index,
 * sharded + merged equals one run.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/llm.h"
#include "core/progress.h"
#include "core/rng.h"
#include "synth/dedup.h"
#include "synth/protocol.h"
#include "synth/reply.h"
#include "synth/synth_int.h"

#define MAXR COMMITTEE_MAX_REVIEWERS
#define MAX_EXAMPLES 50

static const char *const domain_names[SYNTH_N_DOMAINS] = SYNTH_DOMAINS;
static const char *const dim_names[SYNTH_N_DIMS] = SYNTH_DIMS;

/* ------------------------------------------------------------------------
 * State of one dataset
 */
struct pool_entry {
    int domain;
    const char *keywords[3]; /* borrowed from the record JSON that owns them */
    const char *summary;
    const char *instruction;
};

struct pool {
    struct pool_entry *v;
    int n, cap;
    int *dom[SYNTH_N_DOMAINS];
    int ndom[SYNTH_N_DOMAINS];
};

struct ds {
    struct synth_ctx *ctx;
    const struct dataset_cfg *dc;
    char *state_dir;
    char cfg_hash[65];
    struct seed_record *seeds;
    int n_seeds, n_seeds_bad;
    cJSON *seed_meta;  /* step 0 result: array, one object per seed */
    cJSON *pool_owner; /* array of records whose strings the pool borrows */
    struct pool pool;
    cJSON *kept;       /* final records, in order */
    cJSON *rejected;
    cJSON *embed_calls; /* usage of embedding requests */
    struct dedup *dd;
    int emb_dim;
    long step;          /* next step to run */
    long next_index;    /* next global sample index */
    int round;          /* current round (1-based); rounds+1 = done */
    long round_kept, round_attempts;
    long attempts_all, kept_all;
    long total_target;  /* from match_count, else rounds * per_round */
    bool seeds_done, done;
    bool simulated;
    double weights[64]; /* reliability weights per model index */
    bool weighted;
    cJSON *rounds_info; /* per round: target, attempted, kept */
    cJSON *prompt_hashes;
    /* embedding dedup: the instruction vector of every record in kept, in the
     * same order (kept_emb_n x emb_dim), for NAME.embeddings.jsonl; false
     * kept_emb_ok when a checkpoint did not record which vector is whose */
    float *kept_emb;
    long kept_emb_n, kept_emb_cap;
    bool kept_emb_ok;
    struct sched *sched; /* the dataset's call queue (below) */
    struct seed_defer *seed_defer; /* seed vectors still being made (round_run) */
    long cand_seen, pass_seen; /* this process: candidates into dedup, and kept
                                  (a timing heuristic only, never output) */
};

/* ------------------------------------------------------------------------
 * Small helpers
 */
static const char *role_of_kind(int kind);

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

static cJSON *strs3(char *const kw[3])
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < 3; i++) cJSON_AddItemToArray(a, cJSON_CreateString(kw[i] ? kw[i] : ""));
    return a;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static void jset(cJSON *o, const char *k, cJSON *v)
{
    if (cJSON_GetObjectItemCaseSensitive(o, k))
        cJSON_ReplaceItemInObjectCaseSensitive(o, k, v);
    else
        cJSON_AddItemToObject(o, k, v);
}

static void pool_add(struct pool *p, const cJSON *rec)
{
    const char *dom = jstr(rec, "domain");
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(rec, "keywords");
    int d = -1;
    for (int i = 0; i < SYNTH_N_DOMAINS && dom; i++)
        if (strcmp(dom, domain_names[i]) == 0) d = i;
    if (d < 0 || !cJSON_IsArray(kw) || cJSON_GetArraySize(kw) != 3) return;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 256;
        p->v = xrealloc(p->v, (size_t)p->cap * sizeof *p->v);
    }
    struct pool_entry *e = &p->v[p->n];
    e->domain = d;
    for (int i = 0; i < 3; i++) e->keywords[i] = cJSON_GetArrayItem(kw, i)->valuestring;
    e->summary = jstr(rec, "summary");
    e->instruction = jstr(rec, "instruction");
    p->dom[d] = xrealloc(p->dom[d], (size_t)(p->ndom[d] + 1) * sizeof(int));
    p->dom[d][p->ndom[d]++] = p->n;
    p->n++;
}

static void pool_free(struct pool *p)
{
    free(p->v);
    for (int d = 0; d < SYNTH_N_DOMAINS; d++) free(p->dom[d]);
    memset(p, 0, sizeof *p);
}

static bool is_reviewed(const struct dataset_cfg *dc)
{
    return dc->rule.aggregation != AGG_NONE && dc->method != METHOD_SEED &&
           dc->method != METHOD_LARGE_GEN_ONLY;
}

/* ------------------------------------------------------------------------
 * Samples and their calls
 */
enum kind {
    K_KEYWORDS = 0, K_INSTRUCTION, K_RESPONSE, K_REFINE, K_REV1, K_REV2, K_ADJ, K_META, K_N
};
static const int kind_prompt[K_N] = {
    PROMPT_KEYWORDS, PROMPT_INSTRUCTION, PROMPT_RESPONSE, PROMPT_REFINE,
    PROMPT_REVIEW_INSTRUCTION, PROMPT_REVIEW_RESPONSE, PROMPT_ADJUDICATE, PROMPT_METADATA};
static const char *const kind_step[K_N] = {"keywords", "instruction", "response", "refine",
                                           "review_instruction", "review_response",
                                           "adjudicate", "metadata"};

static const char *role_of_kind(int kind)
{
    switch (kind) {
    case K_REV1:
    case K_REV2: return "reviewer";
    case K_ADJ: return "adjudicator";
    case K_META: return "metadata";
    default: return "generator";
    }
}

static int role_slot(int kind)
{
    switch (kind) {
    case K_REV1:
    case K_REV2: return ROLE_REVIEWER;
    case K_ADJ: return ROLE_ADJUDICATOR;
    case K_META: return ROLE_METADATA;
    default: return ROLE_GENERATOR;
    }
}

struct review {
    bool done;
    bool checks[3];
    char *explanation;
    int scores[6];
    double score;
    char *strengths, *weaknesses;
};

enum phase { PH_START = 0, PH_GEN_KW, PH_GEN_INS, PH_GEN_RESP, PH_REV1, PH_REV2, PH_ADJ, PH_META };

struct wave; /* a running step */

struct sample {
    struct wave *w;
    long idx;         /* global sample index (seed step: seed index) */
    long prio;        /* call priority: lower first (the sample index; enrichment:
                         the enriched record's sample index) */
    int round;
    uint64_t seed;
    int phase;
    int gen, adj, meta, rev[MAXR], n_rev;
    int domain;
    int seed_ref;     /* gra_refine: the seed record refined */
    int ex[MAX_EXAMPLES], n_ex;
    int exi[MAX_EXAMPLES], n_exi;
    char *gkw[3];
    char *instruction, *response;
    struct review r1[MAXR], r2[MAXR], ra;
    /* metadata result */
    int m_domain;
    char *m_kw[3], *m_summary;
    cJSON *target;    /* enrichment: the record being enriched (borrowed) */
    int pending;
    char *fail_stage, *fail_reason;
    cJSON *calls;
    struct committee_result cr;
    bool has_cr;
    double weights[MAXR];
    bool weighted;
    const char *decision;
};

struct call {
    struct sample *s;
    int kind, slot, model, attempt;
    uint64_t seed;
    cJSON *messages;
    long prio, seq;   /* queue order: (prio, seq) ascending */
    bool dispatched;  /* handed to the client (holds one of the model's slots) */
};

/* ------------------------------------------------------------------------
 * The call queue. The client serves each model FIFO up to its in-flight cap;
 * the engine keeps its own queue in front of it so that, when a model's slots
 * are all busy, the call of the OLDEST sample goes next (lowest sample index;
 * enrichment carries its record's index, so it goes before the samples of
 * the next wave). This only changes when a call is sent, never what is sent
 * (every request is fixed by its sample's seed), so no output byte depends on
 * it. What it buys: samples finish in index order instead of all at once, so
 * the samples started ahead of their wave (speculation, round_run) only use
 * slots the current wave leaves idle and never delay it, and a wave's tail
 * is not stuck behind new samples' first calls.
 */
struct sched_heap {
    struct call **v;
    long n, cap;
};

struct sched {
    int n_models;
    long *cap;        /* per model: max_inflight x endpoints */
    long *inflight;   /* per model: dispatched and not yet done */
    struct sched_heap *q;
    long seq;
    bool pumping;
};

static bool call_before(const struct call *a, const struct call *b)
{
    return a->prio != b->prio ? a->prio < b->prio : a->seq < b->seq;
}

static void heap_push(struct sched_heap *h, struct call *c)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->v = xrealloc(h->v, (size_t)h->cap * sizeof *h->v);
    }
    long i = h->n++;
    while (i > 0) {
        long p = (i - 1) / 2;
        if (!call_before(c, h->v[p])) break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = c;
}

static struct call *heap_pop(struct sched_heap *h)
{
    if (h->n == 0) return NULL;
    struct call *top = h->v[0], *last = h->v[--h->n];
    long i = 0;
    for (;;) {
        long l = 2 * i + 1, r = l + 1, m = i;
        const struct call *best = last;
        if (l < h->n && call_before(h->v[l], best)) m = l, best = h->v[l];
        if (r < h->n && call_before(h->v[r], best)) m = r;
        if (m == i) break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (h->n > 0) h->v[i] = last;
    return top;
}

struct wave {
    struct ds *ds;
    long step;
    int round;
    long first, n;      /* sample (or seed) index range */
    int mode;           /* 0 seed prep, 1 samples, 2 enrichment */
    char *have;         /* n flags: journaled already (or not this shard's) */
    long next;          /* next offset to start */
    long active, max_active, finished, total_own;
    struct jsonl_writer jw;
    bool jw_open;
    int io_error;
    struct progress *prog;
    cJSON **enrich;     /* mode 2: records to enrich */
    long preset;        /* mode 2: outcomes applied from the enrichment journal */
    struct round_run *rr; /* set when run by round_run() (speculative, chained) */
};

static void rr_sample_done(struct round_run *rr, long off, cJSON *entry);
static bool rr_over(const struct round_run *rr);
static void rr_enriched(struct round_run *rr);
static long rr_limit(const struct round_run *rr);

static void sample_free(struct sample *s)
{
    for (int i = 0; i < 3; i++) {
        free(s->gkw[i]);
        free(s->m_kw[i]);
    }
    free(s->instruction);
    free(s->response);
    free(s->m_summary);
    for (int i = 0; i < MAXR; i++) {
        free(s->r1[i].explanation);
        free(s->r2[i].strengths);
        free(s->r2[i].weaknesses);
    }
    free(s->ra.strengths);
    free(s->ra.weaknesses);
    free(s->fail_stage);
    free(s->fail_reason);
    cJSON_Delete(s->calls);
    free(s);
}

static void sample_fail(struct sample *s, const char *stage, const char *reason)
{
    if (s->fail_stage) return;
    s->fail_stage = xstrdup(stage);
    s->fail_reason = xstrdup(reason);
}

/* -- material blocks (synth/protocol.h) -- */
static char *render_examples(const struct sample *s, bool with_keywords)
{
    const struct pool *p = &s->w->ds->pool;
    struct buf b = BUF_INIT;
    for (int i = 0; i < s->n_ex; i++) {
        const struct pool_entry *e = &p->v[s->ex[i]];
        struct buf t = BUF_INIT;
        if (with_keywords)
            buf_appendf(&t, "\nkeywords: %s; %s; %s\n", e->keywords[0], e->keywords[1],
                        e->keywords[2]);
        else
            buf_puts(&t, "\n");
        buf_appendf(&t, "summary: %s\n", e->summary ? e->summary : "");
        prompts_block(&b, "example", t.data);
        buf_release(&t);
    }
    return buf_detach(&b, NULL);
}

static char *render_example_instructions(const struct sample *s)
{
    const struct pool *p = &s->w->ds->pool;
    struct buf b = BUF_INIT;
    for (int i = 0; i < s->n_exi; i++)
        prompts_block(&b, "example_instruction", p->v[s->exi[i]].instruction);
    return buf_detach(&b, NULL);
}

static char *block(const char *tag, const char *text)
{
    struct buf b = BUF_INIT;
    prompts_block(&b, tag, text);
    if (b.len && b.data[b.len - 1] == '\n') b.data[--b.len] = 0;
    return buf_detach(&b, NULL);
}

static char *render_reviews(const struct sample *s)
{
    struct buf b = BUF_INIT;
    for (int i = 0; i < s->n_rev; i++) {
        const struct review *r = &s->r2[i];
        struct buf t = BUF_INIT;
        buf_appendf(&t, "\nreviewer: %d\nscores:", i + 1);
        for (int d = 0; d < SYNTH_N_DIMS; d++) buf_appendf(&t, " %s=%d", dim_names[d], r->scores[d]);
        buf_appendf(&t, "\nstrengths: %s\nweaknesses: %s\n", r->strengths ? r->strengths : "",
                    r->weaknesses ? r->weaknesses : "");
        prompts_block(&b, "review", t.data);
        buf_release(&t);
    }
    return buf_detach(&b, NULL);
}

static cJSON *build_messages(struct sample *s, int kind)
{
    const struct ds *ds = s->w->ds;
    const struct prompt *p = &ds->ctx->prompts.p[kind_prompt[kind]];
    const char *names[10];
    char *vals[10];
    int n = 0;
#define VAR(nm, v) (names[n] = (nm), vals[n++] = (v))
    int dom = s->domain >= 0 ? s->domain : 0;
    VAR("domain_name", xstrdup(domain_names[dom]));
    VAR("domain", block("domain", domain_names[dom]));
    switch (kind) {
    case K_KEYWORDS:
        VAR("examples", render_examples(s, true));
        break;
    case K_INSTRUCTION: {
        char kw[1024];
        snprintf(kw, sizeof kw, "%s; %s; %s", s->gkw[0], s->gkw[1], s->gkw[2]);
        VAR("keywords", block("keywords", kw));
        VAR("examples", render_examples(s, false));
        VAR("example_instructions", render_example_instructions(s));
        break;
    }
    case K_RESPONSE:
    case K_REV1:
        VAR("instruction", block("instruction", s->instruction));
        break;
    case K_REFINE:
    case K_REV2:
        VAR("instruction", block("instruction", s->instruction));
        VAR("response", block("response", s->response));
        break;
    case K_ADJ:
        VAR("instruction", block("instruction", s->instruction));
        VAR("response", block("response", s->response));
        VAR("reviews", render_reviews(s));
        VAR("n_reviewers", xasprintf("%d", s->n_rev));
        break;
    case K_META:
        VAR("instruction", block("instruction", s->instruction));
        VAR("response", block("response", s->response));
        break;
    }
#undef VAR
    cJSON *msgs = NULL;
    int rc = prompts_render(p, names, (const char *const *)vals, n, &msgs);
    for (int i = 0; i < n; i++) free(vals[i]);
    if (rc) return NULL;
    return msgs;
}

static void on_call_done(void *ud, const struct llm_result *r);
static void sample_advance(struct sample *s);
static bool sample_abandoned(const struct sample *s);

static struct sched *sched_new(const struct ds *ds)
{
    const struct dataset_cfg *dc = ds->dc;
    struct sched *q = xcalloc(1, sizeof *q);
    q->n_models = dc->n_models;
    q->cap = xcalloc((size_t)dc->n_models, sizeof *q->cap);
    q->inflight = xcalloc((size_t)dc->n_models, sizeof *q->inflight);
    q->q = xcalloc((size_t)dc->n_models, sizeof *q->q);
    for (int i = 0; i < dc->n_models; i++) {
        const struct model_cfg *m = config_model(ds->ctx->cfg, dc->models[i]);
        long cap = m ? (long)m->max_inflight * (m->n_endpoints > 0 ? m->n_endpoints : 1) : 0;
        q->cap[i] = cap > 0 ? cap : 1;
    }
    return q;
}

static void sched_free(struct sched *q)
{
    if (!q) return;
    for (int i = 0; i < q->n_models; i++) free(q->q[i].v); /* empty: drained */
    free(q->q);
    free(q->cap);
    free(q->inflight);
    free(q);
}

/* Hand c to the client. On failure (an unknown model: the config is
 * validated, so this is defensive) the call is undone and false returned;
 * the caller decides how the sample goes on. */
static bool call_dispatch(struct call *c)
{
    struct sample *s = c->s;
    struct ds *ds = s->w->ds;
    const struct dataset_cfg *dc = ds->dc;
    const struct prompt *p = &ds->ctx->prompts.p[kind_prompt[c->kind]];
    struct llm_request req = {
        .model = dc->models[c->model],
        .tag = role_of_kind(c->kind),
        .messages = c->messages,
        .params = dc->role_params[role_slot(c->kind)],
        .schema_name = p->schema_name,
        .schema = p->schema,
        .allow_length = false,
        .seed = c->seed,
        .done = on_call_done,
        .ud = c,
    };
    c->dispatched = true;
    ds->sched->inflight[c->model]++;
    if (llm_submit(ds->ctx->client, &req) != 0) {
        ds->sched->inflight[c->model]--;
        s->pending--;
        sample_fail(s, kind_step[c->kind], "llm_failure:unknown_model");
        cJSON_Delete(c->messages);
        free(c);
        return false;
    }
    return true;
}

/* A queued call that will not be sent (its sample was abandoned, or the run
 * is stopping): delivered as cancelled, like the client does. */
static void call_cancel(struct call *c)
{
    struct llm_result r;
    memset(&r, 0, sizeof r);
    r.status = LLM_FAIL_CANCELLED;
    r.error = "cancelled";
    on_call_done(c, &r);
}

static bool call_dead(const struct call *c)
{
    const struct ds *ds = c->s->w->ds;
    return (ds->ctx->stop_flag && *ds->ctx->stop_flag) || sample_abandoned(c->s);
}

/* Send queued calls while their models have free slots, best first. Runs at
 * the end of every callback (never inside a sample's own step, so a failed
 * dispatch can advance its sample safely); drain: cancel everything queued. */
static void sched_pump(struct ds *ds, bool drain)
{
    struct sched *q = ds->sched;
    if (!q || q->pumping) return;
    q->pumping = true;
    for (int m = 0; m < q->n_models; m++) {
        struct sched_heap *h = &q->q[m];
        while (h->n > 0 && (drain || q->inflight[m] < q->cap[m])) {
            struct call *c = heap_pop(h);
            struct sample *s = c->s;
            if (drain || call_dead(c)) {
                call_cancel(c);
            } else if (!call_dispatch(c) && s->pending == 0) {
                sample_advance(s);
            }
        }
    }
    q->pumping = false;
}

static void call_submit(struct sample *s, int kind, int slot, int model, int attempt,
                        cJSON *messages)
{
    struct ds *ds = s->w->ds;
    struct sched *q = ds->sched;
    struct call *c = xcalloc(1, sizeof *c);
    c->s = s;
    c->kind = kind;
    c->slot = slot;
    c->model = model;
    c->attempt = attempt;
    c->messages = messages;
    c->seed = rng_derive(s->seed, kind_step[kind], (uint64_t)slot);
    if (attempt > 0) c->seed = rng_derive(c->seed, "retry", (uint64_t)attempt);
    c->prio = s->prio;
    c->seq = q->seq++;
    s->pending++;
    /* a free slot and nobody waiting: straight to the client; else queue, and
     * the pump at the end of the current callback picks the best call */
    if (q->q[model].n == 0 && q->inflight[model] < q->cap[model]) call_dispatch(c);
    else heap_push(&q->q[model], c);
}

static void submit_kind(struct sample *s, int kind, int slot, int model)
{
    cJSON *m = build_messages(s, kind);
    if (!m) {
        sample_fail(s, kind_step[kind], "prompt_render_failed");
        return;
    }
    call_submit(s, kind, slot, model, 0, m);
}

static const char *stage_of_kind(int kind)
{
    switch (kind) {
    case K_REV1: return "review_instruction";
    case K_REV2: return "review_response";
    case K_ADJ: return "adjudicate";
    case K_META: return "metadata";
    default: return "generate";
    }
}

/* Apply a validated reply to the sample; 0 or GRA_EPARSE with why. */
static int apply_reply(struct sample *s, int kind, int slot, const cJSON *j,
                       char why[REPLY_WHY_LEN])
{
    switch (kind) {
    case K_KEYWORDS: return reply_keywords(j, s->gkw, why);
    case K_INSTRUCTION: return reply_text(j, "instruction", &s->instruction, why);
    case K_RESPONSE:
    case K_REFINE: {
        char *t = NULL;
        int rc = reply_text(j, "response", &t, why);
        if (rc) return rc;
        free(s->response);
        s->response = t;
        return 0;
    }
    case K_REV1: {
        struct review *r = &s->r1[slot];
        int rc = reply_checks(j, r->checks, &r->explanation, why);
        r->done = rc == 0;
        return rc;
    }
    case K_REV2:
    case K_ADJ: {
        struct review *r = kind == K_ADJ ? &s->ra : &s->r2[slot];
        int rc = reply_scores(j, r->scores, &r->strengths, &r->weaknesses, why);
        if (rc == 0) {
            r->score = committee_rubric_mean(r->scores);
            r->done = true;
        }
        return rc;
    }
    case K_META:
        return reply_metadata(j, &s->m_domain, s->m_kw, &s->m_summary, why);
    }
    return GRA_EINVAL;
}

static int call_key(const cJSON *c)
{
    const char *step = jstr(c, "step");
    int k = K_N;
    for (int i = 0; i < K_N && step; i++)
        if (strcmp(step, kind_step[i]) == 0) k = i;
    return k * 100 + (int)jnum(c, "reviewer", 0);
}

static void log_call(struct sample *s, const struct call *c, const struct llm_result *r,
                     const char *status)
{
    if (!s->calls) s->calls = cJSON_CreateArray();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", role_of_kind(c->kind));
    cJSON_AddStringToObject(o, "step", kind_step[c->kind]);
    if (c->kind == K_REV1 || c->kind == K_REV2) cJSON_AddNumberToObject(o, "reviewer", c->slot + 1);
    cJSON_AddStringToObject(o, "model", s->w->ds->dc->models[c->model]);
    cJSON_AddStringToObject(o, "hash", r->request_hash);
    cJSON_AddNumberToObject(o, "prompt_tokens", (double)r->prompt_tokens);
    cJSON_AddNumberToObject(o, "completion_tokens", (double)r->completion_tokens);
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddItemToArray(s->calls, o);
}

/* Put a call log in pipeline order (step, then reviewer), whatever order the
 * parallel calls completed in. Stable (insertion sort), so the retries of one
 * call, which are sequential, keep their order. */
static void sort_calls(cJSON *calls)
{
    int n = cJSON_GetArraySize(calls);
    if (n < 2) return;
    cJSON **v = xmalloc((size_t)n * sizeof *v);
    for (int i = 0; i < n; i++) v[i] = cJSON_DetachItemFromArray(calls, 0);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && call_key(v[j - 1]) > call_key(v[j]); j--) {
            cJSON *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(calls, v[i]);
    free(v);
}

static void on_call_done(void *ud, const struct llm_result *r)
{
    struct call *c = ud;
    struct sample *s = c->s;
    struct ds *ds = s->w->ds;
    const struct dataset_cfg *dc = ds->dc;
    if (c->dispatched) ds->sched->inflight[c->model]--;
    char why[REPLY_WHY_LEN] = "";
    bool parse_failed = false;
    if (r->status == LLM_OK) {
        cJSON *own = NULL;
        const cJSON *j = r->json;
        if (!j) j = own = llm_parse_json_reply(r->content, r->content_len);
        if (!j) {
            snprintf(why, sizeof why, "no JSON object in the reply");
            parse_failed = true;
        } else if (apply_reply(s, c->kind, c->slot, j, why) != 0) {
            parse_failed = true;
        }
        cJSON_Delete(own);
        log_call(s, c, r, parse_failed ? "parse" : "ok");
    } else {
        parse_failed = r->status == LLM_FAIL_PARSE;
        if (parse_failed) snprintf(why, sizeof why, "%s", r->error ? r->error : "unparseable");
        log_call(s, c, r, llm_status_name(r->status));
    }
    if (parse_failed && c->attempt < dc->parse_retries && r->status != LLM_FAIL_CANCELLED) {
        /* the bad-output budget: ask again with a new seed */
        cJSON *m = c->messages;
        c->messages = NULL;
        call_submit(s, c->kind, c->slot, c->model, c->attempt + 1, m);
    } else if (parse_failed) {
        char reason[REPLY_WHY_LEN + 32];
        snprintf(reason, sizeof reason, "parse_failure:%s", why);
        sample_fail(s, stage_of_kind(c->kind), reason);
    } else if (r->status != LLM_OK) {
        char reason[64];
        snprintf(reason, sizeof reason, "llm_failure:%s", llm_status_name(r->status));
        sample_fail(s, stage_of_kind(c->kind), reason);
    }
    cJSON_Delete(c->messages);
    free(c);
    if (--s->pending == 0) sample_advance(s);
    sched_pump(ds, false);
}

/* ------------------------------------------------------------------------
 * Records
 */
static cJSON *usage_of(const cJSON *calls)
{
    cJSON *u = cJSON_CreateObject();
    const cJSON *c;
    cJSON_ArrayForEach(c, calls) {
        const char *role = jstr(c, "role");
        cJSON *ro = cJSON_GetObjectItemCaseSensitive(u, role);
        if (!ro) {
            ro = cJSON_AddObjectToObject(u, role);
            cJSON_AddNumberToObject(ro, "prompt_tokens", 0);
            cJSON_AddNumberToObject(ro, "completion_tokens", 0);
            cJSON_AddNumberToObject(ro, "calls", 0);
        }
        const char *k[3] = {"prompt_tokens", "completion_tokens", "calls"};
        double add[3] = {jnum(c, "prompt_tokens", 0), jnum(c, "completion_tokens", 0), 1};
        for (int i = 0; i < 3; i++) {
            cJSON *v = cJSON_GetObjectItemCaseSensitive(ro, k[i]);
            cJSON_SetNumberValue(v, v->valuedouble + add[i]);
        }
    }
    return u;
}

static cJSON *review_json(const struct sample *s, int i)
{
    const struct dataset_cfg *dc = s->w->ds->dc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", dc->models[s->rev[i]]);
    if (s->r1[i].done) {
        cJSON *ch = cJSON_AddObjectToObject(o, "checks");
        cJSON_AddBoolToObject(ch, "reasonable", s->r1[i].checks[0]);
        cJSON_AddBoolToObject(ch, "complete", s->r1[i].checks[1]);
        cJSON_AddBoolToObject(ch, "clear", s->r1[i].checks[2]);
        cJSON_AddStringToObject(o, "explanation", s->r1[i].explanation ? s->r1[i].explanation : "");
    } else {
        cJSON_AddNullToObject(o, "checks");
    }
    if (s->r2[i].done) {
        cJSON *sc = cJSON_AddObjectToObject(o, "scores");
        for (int d = 0; d < SYNTH_N_DIMS; d++) cJSON_AddNumberToObject(sc, dim_names[d], s->r2[i].scores[d]);
        cJSON_AddNumberToObject(o, "score", s->r2[i].score);
        cJSON *cr = cJSON_AddObjectToObject(o, "critique");
        cJSON_AddStringToObject(cr, "strengths", s->r2[i].strengths);
        cJSON_AddStringToObject(cr, "weaknesses", s->r2[i].weaknesses);
    } else {
        cJSON_AddNullToObject(o, "scores");
        cJSON_AddNullToObject(o, "score");
        cJSON_AddNullToObject(o, "critique");
    }
    if (s->weighted) cJSON_AddNumberToObject(o, "weight", s->weights[i]);
    return o;
}

/* The one record shape, for accepted candidates and rejected samples alike
 * (rejected ones carry stage and reason right after the id fields). */
static cJSON *sample_record(struct sample *s, const char *stage, const char *reason)
{
    struct ds *ds = s->w->ds;
    const struct dataset_cfg *dc = ds->dc;
    cJSON *o = cJSON_CreateObject();
    char id[300];
    snprintf(id, sizeof id, "%s-r%d-%ld", dc->name, s->round, s->idx);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "dataset", dc->name);
    cJSON_AddStringToObject(o, "method", synth_method_names[dc->method]);
    cJSON_AddNumberToObject(o, "round", s->round);
    cJSON_AddNumberToObject(o, "sample", (double)s->idx);
    if (stage) {
        cJSON_AddStringToObject(o, "stage", stage);
        cJSON_AddStringToObject(o, "reason", reason);
    }
    cJSON_AddStringToObject(o, "domain", domain_names[s->domain]);
    cJSON_AddNullToObject(o, "keywords");
    cJSON_AddNullToObject(o, "summary");
    cJSON_AddStringToObject(o, "target_domain", domain_names[s->domain]);
    if (s->instruction) cJSON_AddStringToObject(o, "instruction", s->instruction);
    else cJSON_AddNullToObject(o, "instruction");
    if (s->response) cJSON_AddStringToObject(o, "response", s->response);
    else cJSON_AddNullToObject(o, "response");
    cJSON_AddStringToObject(o, "generator", dc->models[s->gen]);
    if (s->gkw[0]) cJSON_AddItemToObject(o, "generator_keywords", strs3(s->gkw));
    else cJSON_AddNullToObject(o, "generator_keywords");
    if (dc->method == METHOD_REFINE) {
        const struct seed_record *sr = &ds->seeds[s->seed_ref];
        cJSON_AddStringToObject(o, "seed_source", sr->source);
        cJSON_AddStringToObject(o, "original_response", sr->response);
    }
    cJSON *revs = cJSON_AddArrayToObject(o, "reviews");
    for (int i = 0; i < s->n_rev && is_reviewed(dc); i++)
        if (s->r1[i].done || s->r2[i].done) cJSON_AddItemToArray(revs, review_json(s, i));
    if (s->has_cr) {
        cJSON_AddNumberToObject(o, "mu", s->cr.mu);
        cJSON_AddNumberToObject(o, "sigma", s->cr.sigma);
    } else {
        cJSON_AddNullToObject(o, "mu");
        cJSON_AddNullToObject(o, "sigma");
    }
    if (s->decision) cJSON_AddStringToObject(o, "decision", s->decision);
    else cJSON_AddNullToObject(o, "decision");
    if (s->ra.done) {
        cJSON *a = cJSON_AddObjectToObject(o, "adjudicator");
        cJSON_AddStringToObject(a, "model", dc->models[s->adj]);
        cJSON *sc = cJSON_AddObjectToObject(a, "scores");
        for (int d = 0; d < SYNTH_N_DIMS; d++) cJSON_AddNumberToObject(sc, dim_names[d], s->ra.scores[d]);
        cJSON_AddNumberToObject(a, "score", s->ra.score);
        cJSON *cr = cJSON_AddObjectToObject(a, "critique");
        cJSON_AddStringToObject(cr, "strengths", s->ra.strengths);
        cJSON_AddStringToObject(cr, "weaknesses", s->ra.weaknesses);
    } else {
        cJSON_AddNullToObject(o, "adjudicator");
    }
    cJSON_AddStringToObject(o, "metadata_writer", dc->models[s->meta]);
    cJSON_AddItemToObject(o, "prompt_hashes", cJSON_Duplicate(ds->prompt_hashes, 1));
    cJSON *calls = s->calls ? s->calls : cJSON_CreateArray();
    s->calls = NULL;
    sort_calls(calls);
    cJSON_AddItemToObject(o, "usage", usage_of(calls));
    cJSON_AddItemToObject(o, "calls", calls);
    cJSON_AddBoolToObject(o, "simulated", ds->simulated);
    return o;
}

/* A candidate that did not make it past dedup/target/metadata. */
static cJSON *to_rejected(const cJSON *cand, const char *stage, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    int k = 0;
    for (const cJSON *it = cand->child; it; it = it->next, k++) {
        if (strcmp(it->string, "stage") == 0 || strcmp(it->string, "reason") == 0) continue;
        cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
        if (strcmp(it->string, "sample") == 0) {
            cJSON_AddStringToObject(o, "stage", stage);
            cJSON_AddStringToObject(o, "reason", reason);
        }
    }
    return o;
}

/* ------------------------------------------------------------------------
 * The per-sample state machine
 */
static void wave_sample_done(struct sample *s);

static void start_reviews(struct sample *s, int kind)
{
    for (int i = 0; i < s->n_rev; i++) submit_kind(s, kind, i, s->rev[i]);
}

/* A speculative sample still running when its round is over is abandoned at
 * its next step: nothing else of the round waits for it, and it is not used. */
static bool sample_abandoned(const struct sample *s)
{
    return s->w->mode == 1 && s->w->rr && rr_over(s->w->rr);
}

static void sample_advance(struct sample *s)
{
    const struct dataset_cfg *dc = s->w->ds->dc;
    if (s->fail_stage || sample_abandoned(s) ||
        (s->w->ds->ctx->stop_flag && *s->w->ds->ctx->stop_flag)) {
        wave_sample_done(s);
        return;
    }
    switch (s->phase) {
    case PH_META:
        wave_sample_done(s);
        return;
    case PH_START:
        if (dc->method == METHOD_REFINE) {
            s->phase = PH_GEN_RESP;
            submit_kind(s, K_REFINE, 0, s->gen);
        } else {
            s->phase = PH_GEN_KW;
            submit_kind(s, K_KEYWORDS, 0, s->gen);
        }
        break;
    case PH_GEN_KW:
        s->phase = PH_GEN_INS;
        submit_kind(s, K_INSTRUCTION, 0, s->gen);
        break;
    case PH_GEN_INS:
        s->phase = PH_GEN_RESP;
        submit_kind(s, K_RESPONSE, 0, s->gen);
        break;
    case PH_GEN_RESP:
        if (!is_reviewed(dc)) {
            s->decision = "unreviewed";
            wave_sample_done(s);
            return;
        }
        if (dc->instruction_checks) {
            s->phase = PH_REV1;
            start_reviews(s, K_REV1);
        } else {
            s->phase = PH_REV2;
            start_reviews(s, K_REV2);
        }
        break;
    case PH_REV1: {
        /* any "no" from any reviewer rejects at once (paper) */
        static const char *const chk[3] = {"reasonable", "complete", "clear"};
        for (int i = 0; i < s->n_rev; i++)
            for (int k = 0; k < 3; k++)
                if (!s->r1[i].checks[k]) {
                    char reason[64];
                    snprintf(reason, sizeof reason, "phase1_no:%s", chk[k]);
                    sample_fail(s, "review_instruction", reason);
                }
        if (s->fail_stage) {
            wave_sample_done(s);
            return;
        }
        s->phase = PH_REV2;
        start_reviews(s, K_REV2);
        break;
    }
    case PH_REV2: {
        double scores[MAXR];
        for (int i = 0; i < s->n_rev; i++) scores[i] = s->r2[i].score;
        committee_decide(&dc->rule, scores, s->weighted ? s->weights : NULL, s->n_rev, &s->cr);
        s->has_cr = true;
        if (s->cr.verdict == VERDICT_ACCEPT) {
            s->decision = "accepted";
            wave_sample_done(s);
            return;
        }
        if (s->cr.verdict == VERDICT_REJECT) {
            sample_fail(s, "committee",
                        dc->rule.aggregation == AGG_MAJORITY ? "majority_reject" : "mu_below_tau");
            wave_sample_done(s);
            return;
        }
        s->phase = PH_ADJ;
        submit_kind(s, K_ADJ, 0, s->adj);
        break;
    }
    case PH_ADJ:
        if (committee_adjudicator_keeps(&dc->rule, s->ra.score)) {
            s->decision = "adjudicated_kept";
        } else {
            sample_fail(s, "adjudicate", "adjudicator_below_tau");
        }
        wave_sample_done(s);
        return;
    }
    /* a submit failure may have failed the sample with nothing pending */
    if (s->pending == 0) wave_sample_done(s);
}

/* ------------------------------------------------------------------------
 * Sample creation: every random choice, from the sample's own stream
 */
static int pick_domain(struct ds *ds, struct rng *r)
{
    const struct dataset_cfg *dc = ds->dc;
    if (!dc->domain_from_seeds) return (int)rng_below(r, SYNTH_N_DOMAINS);
    long total = 0;
    for (int d = 0; d < SYNTH_N_DOMAINS; d++) total += ds->pool.ndom[d];
    if (total == 0) return (int)rng_below(r, SYNTH_N_DOMAINS);
    long x = (long)rng_below(r, (uint64_t)total);
    for (int d = 0; d < SYNTH_N_DOMAINS; d++) {
        if (x < ds->pool.ndom[d]) return d;
        x -= ds->pool.ndom[d];
    }
    return SYNTH_N_DOMAINS - 1;
}

/* k distinct pool indices of domain d (all domains when d has none). */
static int pick_pool(struct ds *ds, struct rng *r, int d, int k, int *out)
{
    const struct pool *p = &ds->pool;
    int n = p->ndom[d];
    const int *from = p->dom[d];
    int *all = NULL;
    if (n == 0) {
        n = p->n;
        all = xmalloc((size_t)(n ? n : 1) * sizeof *all);
        for (int i = 0; i < n; i++) all[i] = i;
        from = all;
    }
    if (k > n) k = n;
    /* partial Fisher-Yates on a copy */
    int *tmp = xmalloc((size_t)(n ? n : 1) * sizeof *tmp);
    memcpy(tmp, from, (size_t)n * sizeof *tmp);
    for (int i = 0; i < k; i++) {
        int j = i + (int)rng_below(r, (uint64_t)(n - i));
        int t = tmp[i];
        tmp[i] = tmp[j];
        tmp[j] = t;
        out[i] = tmp[i];
    }
    free(tmp);
    free(all);
    return k;
}

static void assign_roles(struct ds *ds, struct sample *s, struct rng *r)
{
    const struct dataset_cfg *dc = ds->dc;
    int M = dc->n_models, R = dc->n_reviewers;
    s->n_rev = R;
    switch (dc->policy) {
    case POLICY_SINGLE:
        s->gen = s->adj = s->meta = 0;
        for (int i = 0; i < R; i++) s->rev[i] = 0;
        return;
    case POLICY_FIXED:
        s->gen = dc->fixed_generator;
        for (int i = 0; i < R; i++) s->rev[i] = dc->fixed_reviewers[i];
        s->meta = dc->fixed_metadata >= 0 ? dc->fixed_metadata : s->gen;
        s->adj = dc->fixed_adjudicator;
        if (s->adj < 0) {
            s->adj = s->rev[0];
            for (int m = 0; m < M; m++) {
                bool used = m == s->gen;
                for (int i = 0; i < R; i++) used |= s->rev[i] == m;
                if (!used) {
                    s->adj = m;
                    break;
                }
            }
        }
        return;
    case POLICY_ROUND_ROBIN:
        s->gen = (int)(s->idx % M);
        for (int i = 0; i < R; i++) s->rev[i] = (s->gen + 1 + i) % M;
        s->adj = (s->gen + 1 + R) % M;
        s->meta = (s->gen + 2 + R) % M;
        return;
    default: { /* random (paper) and reliability */
        s->gen = (int)rng_below(r, (uint64_t)M);
        int rest[64], nr = 0;
        for (int m = 0; m < M; m++)
            if (m != s->gen) rest[nr++] = m;
        rng_shuffle(r, rest, (size_t)nr, sizeof rest[0]);
        for (int i = 0; i < R; i++) s->rev[i] = rest[i % (nr ? nr : 1)];
        if (nr > R) s->adj = rest[R + (int)rng_below(r, (uint64_t)(nr - R))];
        else s->adj = s->rev[rng_below(r, (uint64_t)R)]; /* no model left: one of the reviewers */
        s->meta = (int)rng_below(r, (uint64_t)M);
        return;
    }
    }
}

static struct sample *sample_new(struct wave *w, long idx)
{
    struct ds *ds = w->ds;
    const struct dataset_cfg *dc = ds->dc;
    struct sample *s = xcalloc(1, sizeof *s);
    s->w = w;
    s->idx = idx;
    s->round = w->round;
    s->seed = rng_derive(ds->ctx->cfg->seed, "sample", (uint64_t)idx);
    s->prio = idx;
    s->seed_ref = -1;
    struct rng r;
    rng_seed(&r, s->seed);
    assign_roles(ds, s, &r);
    if (dc->method == METHOD_REFINE) {
        /* the idx-th seed that has metadata */
        int k = -1;
        long seen = 0;
        for (int i = 0; i < cJSON_GetArraySize(ds->seed_meta); i++) {
            if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ds->seed_meta, i), "ok")))
                continue;
            if (seen++ == idx) {
                k = i;
                break;
            }
        }
        const cJSON *m = cJSON_GetArrayItem(ds->seed_meta, k);
        s->seed_ref = k;
        s->domain = reply_domain_index(jstr(m, "domain"));
        if (s->domain < 0) s->domain = 0;
        s->instruction = xstrdup(ds->seeds[k].instruction);
        s->response = xstrdup(ds->seeds[k].response);
    } else {
        s->domain = pick_domain(ds, &r);
        int k = dc->examples_min + (int)rng_below(&r, (uint64_t)(dc->examples_max - dc->examples_min + 1));
        if (k > MAX_EXAMPLES) k = MAX_EXAMPLES;
        s->n_ex = pick_pool(ds, &r, s->domain, k, s->ex);
        int m = dc->example_instructions > MAX_EXAMPLES ? MAX_EXAMPLES : dc->example_instructions;
        s->n_exi = pick_pool(ds, &r, s->domain, m, s->exi);
    }
    if (ds->weighted) {
        s->weighted = true;
        for (int i = 0; i < s->n_rev; i++) s->weights[i] = ds->weights[s->rev[i]];
    }
    return s;
}

/* ------------------------------------------------------------------------
 * Running a step: the window of live samples, the journal
 */
static char *step_path(const struct ds *ds, long step, const char *suffix)
{
    return xasprintf("%s/step-%04ld%s", ds->state_dir, step, suffix);
}

static void wave_start_more(struct wave *w);

static void journal_put(struct wave *w, cJSON *entry)
{
    if (!w->io_error && jsonl_writer_put(&w->jw, entry) != 0) w->io_error = GRA_EIO;
    cJSON_Delete(entry);
}

/* Fill a kept record with its enrichment outcome (a journal entry of
 * enrich-K.jsonl): domain, keywords, summary, or "_enrich_failed" (the
 * record then moves to the rejected file); its calls join the record's. */
static void enrich_apply(cJSON *rec, const cJSON *e)
{
    if (!e) { /* cannot happen: the line was printed by cJSON a moment ago */
        jset(rec, "_enrich_failed", cJSON_CreateString("parse_failure:enrichment journal line"));
        return;
    }
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "ok"))) {
        const char *why = jstr(e, "reason");
        jset(rec, "_enrich_failed", cJSON_CreateString(why ? why : "unknown"));
    } else {
        jset(rec, "domain", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "domain"), 1));
        jset(rec, "keywords", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "keywords"), 1));
        jset(rec, "summary", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "summary"), 1));
    }
    cJSON *calls = cJSON_GetObjectItemCaseSensitive(rec, "calls");
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(e, "calls"))
        cJSON_AddItemToArray(calls, cJSON_Duplicate(c, 1));
    jset(rec, "usage", usage_of(calls));
}

static void wave_sample_done(struct sample *s)
{
    struct wave *w = s->w;
    const struct dataset_cfg *dc = w->ds->dc;
    bool cancelled = (w->ds->ctx->stop_flag && *w->ds->ctx->stop_flag) || sample_abandoned(s);
    if (cancelled || (s->fail_reason && strstr(s->fail_reason, "cancelled"))) {
        /* an interrupted (or abandoned) sample is not an outcome: it is re-run
         * next time if it is ever needed */
    } else if (w->mode == 0) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "seed", (double)s->idx);
        cJSON_AddBoolToObject(e, "ok", s->fail_stage == NULL);
        if (!s->fail_stage) {
            cJSON_AddStringToObject(e, "domain", domain_names[s->m_domain]);
            cJSON_AddItemToObject(e, "keywords", strs3(s->m_kw));
            cJSON_AddStringToObject(e, "summary", s->m_summary);
        } else {
            cJSON_AddStringToObject(e, "reason", s->fail_reason);
        }
        cJSON_AddStringToObject(e, "metadata_writer", dc->models[s->meta]);
        cJSON_AddItemToObject(e, "calls", s->calls ? s->calls : cJSON_CreateArray());
        s->calls = NULL;
        journal_put(w, e);
    } else if (w->mode == 1) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "sample", (double)s->idx);
        cJSON_AddNumberToObject(e, "round", s->round);
        cJSON_AddStringToObject(e, "outcome", s->fail_stage ? "rejected" : "candidate");
        cJSON_AddItemToObject(e, "record", sample_record(s, s->fail_stage, s->fail_reason));
        if (w->rr) rr_sample_done(w->rr, s->idx - w->first, e);
        else journal_put(w, e);
    } else {
        /* enrichment: journal the outcome (enrich-K.jsonl), then fill the
         * record in place from the line as read back, exactly as a resumed
         * run fills it from the journal without asking the model again */
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "sample", jnum(s->target, "sample", -1));
        cJSON_AddBoolToObject(e, "ok", s->fail_stage == NULL);
        if (!s->fail_stage) {
            cJSON_AddStringToObject(e, "domain", domain_names[s->m_domain]);
            cJSON_AddItemToObject(e, "keywords", strs3(s->m_kw));
            cJSON_AddStringToObject(e, "summary", s->m_summary);
        } else {
            cJSON_AddStringToObject(e, "reason", s->fail_reason);
        }
        cJSON_AddItemToObject(e, "calls", s->calls ? s->calls : cJSON_CreateArray());
        s->calls = NULL;
        char *line = json_print_compact(e);
        cJSON_Delete(e);
        if (w->jw_open && !w->io_error && jsonl_writer_put_raw(&w->jw, line, strlen(line)) != 0)
            w->io_error = GRA_EIO;
        cJSON *back = cJSON_Parse(line);
        enrich_apply(s->target, back);
        cJSON_Delete(back);
        free(line);
    }
    w->active--;
    w->finished++;
    if (w->prog) {
        struct llm_counters lc;
        llm_counters(w->ds->ctx->client, &lc);
        progress_update(w->prog, w->finished, lc.inflight, lc.retries, lc.failures);
    }
    sample_free(s);
    wave_start_more(w);
    if (w->mode == 2 && w->rr && w->finished + w->preset == w->n) rr_enriched(w->rr);
}

static void wave_start_one(struct wave *w, long off)
{
    struct ds *ds = w->ds;
    long idx = w->first + off;
    w->active++;
    if (w->mode == 1) {
        struct sample *s = sample_new(w, idx);
        sample_advance(s);
        return;
    }
    struct sample *s = xcalloc(1, sizeof *s);
    s->w = w;
    s->idx = idx;
    s->phase = PH_META;
    s->seed_ref = -1;
    s->prio = idx;
    if (w->mode == 0) {
        /* seed preparation: writer drawn from the seed's own stream, shared by
         * every dataset with the same models (so their calls are cache hits) */
        s->seed = rng_derive(ds->ctx->cfg->seed, "seed-meta", (uint64_t)idx);
        struct rng r;
        rng_seed(&r, s->seed);
        s->meta = ds->dc->policy == POLICY_SINGLE ? 0 : (int)rng_below(&r, (uint64_t)ds->dc->n_models);
        if (ds->dc->policy == POLICY_FIXED && ds->dc->fixed_metadata >= 0) s->meta = ds->dc->fixed_metadata;
        s->instruction = xstrdup(ds->seeds[idx].instruction);
        s->response = xstrdup(ds->seeds[idx].response);
    } else {
        cJSON *rec = w->enrich[off];
        s->target = rec;
        long sidx = (long)jnum(rec, "sample", 0);
        s->prio = sidx;
        s->seed = rng_derive(ds->ctx->cfg->seed, "sample", (uint64_t)sidx);
        const char *writer = jstr(rec, "metadata_writer");
        for (int m = 0; m < ds->dc->n_models; m++)
            if (writer && strcmp(writer, ds->dc->models[m]) == 0) s->meta = m;
        s->instruction = xstrdup(jstr(rec, "instruction"));
        s->response = xstrdup(jstr(rec, "response"));
        s->domain = reply_domain_index(jstr(rec, "target_domain"));
    }
    s->domain = s->domain < 0 ? 0 : s->domain;
    submit_kind(s, K_META, 0, s->meta);
    if (s->pending == 0) wave_sample_done(s);
}

static void wave_start_more(struct wave *w)
{
    long lim = w->rr && w->mode == 1 ? rr_limit(w->rr) : w->n;
    while (w->active < w->max_active && w->next < lim) {
        if (w->ds->ctx->stop_flag && *w->ds->ctx->stop_flag) return;
        long off = w->next++;
        if (w->have && w->have[off]) continue;
        wave_start_one(w, off);
    }
}

static long default_max_active(const struct ds *ds)
{
    const struct dataset_cfg *dc = ds->dc;
    if (dc->max_active > 0) return dc->max_active;
    long slots = 0;
    for (int i = 0; i < dc->n_models; i++) {
        const struct model_cfg *m = config_model(ds->ctx->cfg, dc->models[i]);
        if (m) slots += (long)m->max_inflight * (m->n_endpoints > 0 ? m->n_endpoints : 1);
    }
    slots *= 2;
    return slots < 8 ? 8 : slots;
}

/* Run the calls of offsets not yet done. 0, GRA_EINTR or GRA_EIO. */
static int wave_run(struct wave *w, const char *label)
{
    w->max_active = default_max_active(w->ds);
    long todo = 0;
    for (long i = 0; i < w->n; i++) todo += !(w->have && w->have[i]);
    if (todo == 0) return 0;
    w->prog = progress_new(label, todo, w->ds->ctx->opts->quiet);
    wave_start_more(w);
    int rc = llm_run(w->ds->ctx->client);
    sched_pump(w->ds, true); /* after a stop: what was still queued here */
    progress_finish(w->prog);
    w->prog = NULL;
    if (w->io_error) return w->io_error;
    if (rc == GRA_EINTR || (w->ds->ctx->stop_flag && *w->ds->ctx->stop_flag)) return GRA_EINTR;
    return rc;
}

/* ------------------------------------------------------------------------
 * Journals: what exists for a step, from every journal file of the step
 */
struct jload {
    cJSON **entries; /* n slots */
    long first, n;
    const char *key;
    const char *file;
    int round;       /* entries of other rounds are ignored; -1 = no check (seeds) */
};

static int jload_cb(void *ud, long lineno, cJSON *obj, const char *errmsg)
{
    struct jload *L = ud;
    if (!obj) {
        log_warn("%s:%ld: ignoring unreadable journal line: %s", L->file, lineno, errmsg ? errmsg : "");
        return 0;
    }
    long idx = (long)jnum(obj, L->key, -1);
    if (idx < L->first || idx >= L->first + L->n) return 0;
    if (L->round >= 0 && (int)jnum(obj, "round", -1) != L->round) return 0;
    if (L->entries[idx - L->first]) return 0; /* first one wins; they are identical */
    L->entries[idx - L->first] = cJSON_Duplicate(obj, 1);
    return 0;
}

/* Journals of a step are step-K.*.jsonl (waves run one at a time, shards)
 * and round-R.*.jsonl (a round run with speculation); both are read, and
 * entries outside the range or of another round are ignored. */
static int load_journals_in(const char *dir, long step, struct jload *L)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    char prefix[64], prefix2[64];
    snprintf(prefix, sizeof prefix, "step-%04ld.", step);
    snprintf(prefix2, sizeof prefix2, "round-%d.", L->round);
    char **names = NULL;
    int nn = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 &&
            (L->round < 0 || strncmp(de->d_name, prefix2, strlen(prefix2)) != 0))
            continue;
        if (l < 6 || strcmp(de->d_name + l - 6, ".jsonl") != 0) continue;
        names = xrealloc(names, (size_t)(nn + 1) * sizeof *names);
        names[nn++] = xstrdup(de->d_name);
    }
    closedir(d);
    /* sorted, so the result does not depend on readdir order */
    for (int i = 1; i < nn; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    int rc = 0;
    for (int i = 0; i < nn; i++) {
        char *p = path_join(dir, names[i]);
        if (jsonl_repair_tail(p) < 0) rc = GRA_EIO;
        L->file = p;
        if (!rc) rc = jsonl_foreach(p, jload_cb, L);
        free(p);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int load_journals(struct ds *ds, long step, struct jload *L)
{
    int rc = load_journals_in(ds->state_dir, step, L);
    const struct synth_opts *o = ds->ctx->opts;
    for (int i = 0; !rc && i < o->n_extra_shard_dirs; i++) {
        char *d = xasprintf("%s/state/%s", o->extra_shard_dirs[i], ds->dc->name);
        rc = load_journals_in(d, step, L);
        free(d);
    }
    return rc;
}

static bool own_index(const struct ds *ds, long idx)
{
    const struct synth_opts *o = ds->ctx->opts;
    return o->shard_n <= 1 || o->merge || idx % o->shard_n == o->shard_i;
}

/* Prepare w->have from the journals, open this process's journal. */
static int wave_prepare(struct wave *w, cJSON **entries)
{
    struct ds *ds = w->ds;
    const struct synth_opts *o = ds->ctx->opts;
    w->have = xcalloc((size_t)(w->n ? w->n : 1), 1);
    for (long i = 0; i < w->n; i++)
        w->have[i] = entries[i] != NULL || !own_index(ds, w->first + i) || o->merge;
    char *jp = o->shard_n > 1
                   ? xasprintf("%s/step-%04ld.shard-%d-of-%d.jsonl", ds->state_dir, w->step,
                               o->shard_i, o->shard_n)
                   : step_path(ds, w->step, ".journal.jsonl");
    int rc = 0;
    if (!o->merge) {
        rc = jsonl_writer_open(&w->jw, jp, false);
        w->jw_open = rc == 0;
    }
    free(jp);
    return rc;
}

static void wave_release(struct wave *w)
{
    if (w->jw_open) jsonl_writer_close(&w->jw);
    w->jw_open = false;
    free(w->have);
    w->have = NULL;
}

/* ------------------------------------------------------------------------
 * Embeddings (batches in a fixed order, so requests and cache keys repeat)
 */
struct embed_set;

struct embed_job {
    struct embed_set *set;
    float *dst;
    int n;
    int status;
    char err[200];
    cJSON *calls; /* this batch's call log entry */
};

/* Batches of one embedding pass, in a fixed order (so requests and cache keys
 * repeat); done() runs once every batch is back (from inside llm_run). */
struct embed_set {
    struct ds *ds;
    struct embed_job *jobs;
    long nb, n, pending;
    int dim;
    int submit_rc;
    void (*done)(void *ud);
    void *ud;
};

static void on_embed_done(void *ud, const struct llm_result *r)
{
    struct embed_job *j = ud;
    struct embed_set *set = j->set;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", "embedding");
    cJSON_AddStringToObject(o, "step", "embedding");
    cJSON_AddStringToObject(o, "model", set->ds->dc->embedding_model);
    cJSON_AddStringToObject(o, "hash", r->request_hash);
    cJSON_AddNumberToObject(o, "prompt_tokens", (double)r->prompt_tokens);
    cJSON_AddNumberToObject(o, "completion_tokens", 0);
    cJSON_AddStringToObject(o, "status", llm_status_name(r->status));
    j->calls = o; /* appended in batch order once all batches are back */
    if (r->status != LLM_OK || r->n_embeddings != j->n || r->dim <= 0 ||
        (set->dim && r->dim != set->dim)) {
        j->status = r->status == LLM_FAIL_CANCELLED ? GRA_EINTR : GRA_EHTTP;
        snprintf(j->err, sizeof j->err, "%s (%d vectors of dim %d for %d inputs)",
                 r->error ? r->error : llm_status_name(r->status), r->n_embeddings, r->dim, j->n);
    } else {
        set->dim = r->dim;
        j->status = 0;
        j->dst = xmalloc((size_t)r->n_embeddings * (size_t)r->dim * sizeof(float));
        memcpy(j->dst, r->embeddings, (size_t)r->n_embeddings * (size_t)r->dim * sizeof(float));
    }
    if (--set->pending == 0 && set->done) set->done(set->ud);
}

/* Submit the batches of n texts (the texts must outlive the requests' copies:
 * llm_submit copies them). */
static void embed_submit(struct ds *ds, struct embed_set *set, const char *const *texts, long n)
{
    int B = ds->dc->embed_batch;
    set->ds = ds;
    set->n = n;
    set->nb = (n + B - 1) / B;
    set->jobs = xcalloc((size_t)(set->nb ? set->nb : 1), sizeof *set->jobs);
    set->dim = ds->emb_dim;
    set->pending = set->nb;
    for (long b = 0; b < set->nb; b++) {
        long lo = b * B, hi = lo + B < n ? lo + B : n;
        set->jobs[b].set = set;
        set->jobs[b].n = (int)(hi - lo);
        set->jobs[b].status = GRA_EHTTP;
        struct llm_request req = {
            .model = ds->dc->embedding_model,
            .tag = "embedding",
            .inputs = texts + lo,
            .n_inputs = (int)(hi - lo),
            .seed = 0,
            .done = on_embed_done,
            .ud = &set->jobs[b],
        };
        if (llm_submit(ds->ctx->client, &req) != 0) {
            set->submit_rc = err(GRA_ECONFIG, "embedding model %s unknown to the client",
                                 ds->dc->embedding_model);
            set->pending -= set->nb - b;
            break;
        }
    }
}

/* After every batch is back: the call log into *calls (batch order) and the
 * vectors (n x dim, free()). 0 or GRA_E*. Frees the set's jobs. */
static int embed_collect(struct embed_set *set, cJSON *calls, float **out)
{
    struct ds *ds = set->ds;
    int rc = set->submit_rc;
    *out = NULL;
    for (long b = 0; b < set->nb; b++)
        if (set->jobs[b].calls) cJSON_AddItemToArray(calls, set->jobs[b].calls);
    for (long b = 0; !rc && b < set->nb; b++)
        if (set->jobs[b].status)
            rc = set->jobs[b].status == GRA_EINTR
                     ? GRA_EINTR
                     : err(GRA_EHTTP, "dataset %s: embedding request failed: %s", ds->dc->name,
                           set->jobs[b].err);
    if (!rc && set->n) {
        int B = ds->dc->embed_batch, dim = set->dim;
        ds->emb_dim = dim;
        float *all = xmalloc((size_t)set->n * (size_t)dim * sizeof(float));
        for (long b = 0; b < set->nb; b++)
            memcpy(all + (size_t)b * B * dim, set->jobs[b].dst,
                   (size_t)set->jobs[b].n * dim * sizeof(float));
        *out = all;
    }
    for (long b = 0; b < set->nb; b++) free(set->jobs[b].dst);
    free(set->jobs);
    set->jobs = NULL;
    return rc;
}

/* Embed n texts now (drives the client). */
static int embed_texts(struct ds *ds, const char *const *texts, long n, float **out)
{
    *out = NULL;
    if (n == 0) return 0;
    struct embed_set set = {0};
    embed_submit(ds, &set, texts, n);
    int rrc = llm_run(ds->ctx->client);
    int rc = embed_collect(&set, ds->embed_calls, out);
    if (!rc && rrc) {
        free(*out);
        *out = NULL;
        rc = rrc;
    }
    return rc;
}

static int dedup_ensure(struct ds *ds)
{
    if (ds->dd || !ds->dc->dedup) return 0;
    if (ds->dc->embedding_model) {
        if (ds->emb_dim <= 0) return 0; /* created once the first vectors arrive */
        ds->dd = dedup_new_embedding(ds->emb_dim, ds->dc->dedup_threshold);
    } else {
        ds->dd = dedup_new_minhash(ds->dc->minhash_perm, ds->dc->minhash_shingle,
                                   ds->dc->minhash_threshold,
                                   rng_derive(ds->ctx->cfg->seed, "minhash", 0));
    }
    if (!ds->dd) return err(GRA_EINVAL, "dataset %s: cannot create the dedup index", ds->dc->name);
    return 0;
}

static int emb_write(const char *path, int dim, long n, const float *v)
{
    size_t bytes = 8 + (size_t)n * (size_t)dim * sizeof(float);
    char *b = xmalloc(bytes);
    int32_t h[2] = {dim, (int32_t)n};
    memcpy(b, h, 8);
    if (n) memcpy(b + 8, v, bytes - 8);
    int rc = fileio_write_atomic(path, b, bytes);
    free(b);
    return rc;
}

static int emb_read(const char *path, int *dim, long *n, float **v)
{
    char *b = NULL;
    size_t len = 0;
    int rc = fileio_read(path, &b, &len);
    if (rc) return rc;
    int32_t h[2] = {0, 0};
    if (len >= 8) memcpy(h, b, 8);
    if (len < 8 || h[0] < 0 || h[1] < 0 || len != 8 + (size_t)h[0] * (size_t)h[1] * sizeof(float)) {
        free(b);
        return err(GRA_ESTATE, "%s: truncated or corrupt embeddings file", path);
    }
    *dim = h[0];
    *n = h[1];
    *v = xmalloc((size_t)h[0] * (size_t)h[1] * sizeof(float) + 1);
    memcpy(*v, b + 8, len - 8);
    free(b);
    return 0;
}

/* Enter texts (with their vectors, NULL for minhash) into the dedup index. */
static int dedup_enter(struct ds *ds, const char *const *texts, long n, const float *emb)
{
    int rc = dedup_ensure(ds);
    if (rc || !ds->dd) return rc;
    for (long i = 0; i < n; i++)
        dedup_add(ds->dd, texts[i], emb ? emb + (size_t)i * ds->emb_dim : NULL);
    return 0;
}

/* ------------------------------------------------------------------------
 * Step 0: seed preparation
 */
static bool seeds_indexed(const struct ds *ds)
{
    return ds->dc->dedup && ds->dc->method != METHOD_SEED && ds->dc->method != METHOD_REFINE;
}

/* The seeds that have metadata: their instructions (borrowed), in seed order. */
static const char **seed_texts(const struct ds *ds, long *nt)
{
    int n = cJSON_GetArraySize(ds->seed_meta);
    const char **texts = xcalloc((size_t)n + 1, sizeof *texts);
    *nt = 0;
    for (int i = 0; i < n; i++)
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ds->seed_meta, i), "ok")))
            texts[(*nt)++] = ds->seeds[i].instruction;
    return texts;
}

/* The seed checkpoint's metadata part: ds->seed_meta, the embedding calls and
 * the pool. Takes "seeds" out of cp. */
static void apply_seed_meta(struct ds *ds, cJSON *cp)
{
    ds->seed_meta = cJSON_DetachItemFromObjectCaseSensitive(cp, "seeds");
    cJSON *ec = cJSON_GetObjectItemCaseSensitive(cp, "embedding_calls");
    const cJSON *c;
    cJSON_ArrayForEach(c, ec) cJSON_AddItemToArray(ds->embed_calls, cJSON_Duplicate(c, 1));
    /* the pool: seeds with metadata, as records */
    int n = cJSON_GetArraySize(ds->seed_meta);
    for (int i = 0; i < n; i++) {
        cJSON *m = cJSON_GetArrayItem(ds->seed_meta, i);
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ok"))) continue;
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "domain", jstr(m, "domain"));
        cJSON_AddItemToObject(rec, "keywords", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "keywords"), 1));
        cJSON_AddStringToObject(rec, "summary", jstr(m, "summary"));
        cJSON_AddStringToObject(rec, "instruction", ds->seeds[i].instruction);
        cJSON_AddItemToArray(ds->pool_owner, rec);
        pool_add(&ds->pool, rec);
    }
    ds->seeds_done = true;
}

/* The seed checkpoint's index part: the seeds (with their vectors from
 * emb_path under embedding dedup) into the dedup index. */
static int apply_seed_index(struct ds *ds, const char *emb_path)
{
    if (!seeds_indexed(ds)) return 0;
    long nt;
    const char **texts = seed_texts(ds, &nt);
    float *emb = NULL;
    int rc = 0;
    if (ds->dc->embedding_model) {
        int dim;
        long ne;
        rc = emb_read(emb_path, &dim, &ne, &emb);
        if (!rc && ne != nt) rc = err(GRA_ESTATE, "%s: %ld vectors for %ld seeds", emb_path, ne, nt);
        if (!rc && ds->emb_dim && dim != ds->emb_dim && nt > 0)
            rc = err(GRA_ESTATE, "%s: dimension %d, expected %d", emb_path, dim, ds->emb_dim);
        if (!rc && nt > 0) ds->emb_dim = dim;
    }
    if (!rc) rc = dedup_enter(ds, texts, nt, emb);
    free(emb);
    free(texts);
    return rc;
}

static int apply_seed_checkpoint(struct ds *ds, cJSON *cp, const char *emb_path)
{
    apply_seed_meta(ds, cp);
    return apply_seed_index(ds, emb_path);
}

/* ------------------------------------------------------------------------
 * Deferred seed embedding (the normal, unsharded path): the first wave's
 * samples need only the seeds' metadata (the pool), not their vectors, so
 * the seeds are embedded while the first wave generates. Until then the
 * seed checkpoint (step-0000.json + .emb) is not written; a run killed
 * meanwhile redoes the seed finalization from the seed journal (the vectors
 * are asked again: one embedding pass) and reuses every journaled sample.
 * The first dedup waits for the seeds (fin_dedup must see them first, as in
 * the synchronous order), so nothing in the output depends on the overlap.
 */
struct seed_defer {
    cJSON *cp;           /* the seed checkpoint, embedding_calls still empty */
    const char **texts;  /* borrowed from ds->seeds */
    long nt;
    struct embed_set es;
    bool submitted, done;
    int rc;
    void (*then)(void *ud); /* who waits for the seeds (a wave's dedup) */
    void *then_ud;
};

static int seeds_commit(struct ds *ds, cJSON *cp, const float *emb, long nt);

/* Write the seed checkpoint: the vectors (embedding dedup), then
 * step-0000.json, each atomically. */
static int seeds_commit(struct ds *ds, cJSON *cp, const float *emb, long nt)
{
    char *cp_path = step_path(ds, 0, ".json"), *emb_path = step_path(ds, 0, ".emb");
    int rc = 0;
    if (seeds_indexed(ds) && ds->dc->embedding_model) rc = emb_write(emb_path, ds->emb_dim, emb ? nt : 0, emb);
    if (!rc) {
        char *txt = json_print_compact(cp);
        rc = fileio_write_atomic(cp_path, txt, strlen(txt));
        free(txt);
    }
    free(cp_path);
    free(emb_path);
    return rc;
}

static void seeds_embedded(void *ud)
{
    struct ds *ds = ud;
    struct seed_defer *sd = ds->seed_defer;
    float *emb = NULL;
    sd->rc = embed_collect(&sd->es, cJSON_GetObjectItemCaseSensitive(sd->cp, "embedding_calls"), &emb);
    if (!sd->rc) sd->rc = seeds_commit(ds, sd->cp, emb, sd->nt);
    free(emb);
    if (!sd->rc) {
        /* what apply_seed_checkpoint adds beyond the pool (already built) */
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(sd->cp, "embedding_calls"))
            cJSON_AddItemToArray(ds->embed_calls, cJSON_Duplicate(c, 1));
        char *emb_path = step_path(ds, 0, ".emb");
        sd->rc = apply_seed_index(ds, emb_path);
        free(emb_path);
    }
    sd->done = true;
    log_debug("synth %s: %.3f seeds embedded (overlapped)", ds->dc->name, now_s());
    if (sd->then) {
        void (*then)(void *) = sd->then;
        sd->then = NULL;
        then(sd->then_ud);
    }
}

static void seeds_defer_submit(struct ds *ds)
{
    struct seed_defer *sd = ds->seed_defer;
    if (!sd || sd->submitted) return;
    sd->submitted = true;
    sd->es.done = seeds_embedded;
    sd->es.ud = ds;
    embed_submit(ds, &sd->es, sd->texts, sd->nt);
    if (sd->es.pending == 0) seeds_embedded(ds);
}

static void seeds_defer_free(struct ds *ds)
{
    struct seed_defer *sd = ds->seed_defer;
    if (!sd) return;
    if (sd->es.jobs) { /* never collected (an interrupted run) */
        for (long b = 0; b < sd->es.nb; b++) {
            free(sd->es.jobs[b].dst);
            cJSON_Delete(sd->es.jobs[b].calls);
        }
        free(sd->es.jobs);
    }
    cJSON_Delete(sd->cp);
    free(sd->texts);
    free(sd);
    ds->seed_defer = NULL;
}

/* Finish a deferred seed embedding now (drives the client): before a step
 * that runs outside round_run, or at the end. 0 or GRA_E*. */
static int seeds_defer_finish(struct ds *ds)
{
    struct seed_defer *sd = ds->seed_defer;
    if (!sd) return 0;
    int rc = 0;
    if (!sd->done) {
        seeds_defer_submit(ds);
        rc = llm_run(ds->ctx->client);
        if (!rc && !sd->done) rc = err(GRA_ESTATE, "dataset %s: seed embeddings did not complete", ds->dc->name);
    }
    if (!rc) rc = sd->rc;
    seeds_defer_free(ds);
    return rc;
}

static int seeds_step(struct ds *ds)
{
    char *cp_path = step_path(ds, 0, ".json");
    char *emb_path = step_path(ds, 0, ".emb");
    int rc = 0;
    cJSON *cp = NULL;
    if (fileio_exists(cp_path)) {
        rc = json_read_file(cp_path, &cp);
        if (!rc) rc = apply_seed_checkpoint(ds, cp, emb_path);
        goto out;
    }
    log_debug("synth %s: %.3f seed preparation (%d seeds)", ds->dc->name, now_s(), ds->n_seeds);
    struct wave w = {.ds = ds, .step = 0, .round = 0, .first = 0, .n = ds->n_seeds, .mode = 0};
    cJSON **entries = xcalloc((size_t)ds->n_seeds + 1, sizeof *entries);
    struct jload L = {entries, 0, ds->n_seeds, "seed", NULL, -1};
    rc = load_journals(ds, 0, &L);
    if (!rc) rc = wave_prepare(&w, entries);
    if (!rc) {
        char label[200];
        snprintf(label, sizeof label, "synth %s: seed metadata", ds->dc->name);
        rc = wave_run(&w, label);
    }
    wave_release(&w);
    if (!rc) {
        for (long i = 0; i < ds->n_seeds; i++) cJSON_Delete(entries[i]);
        memset(entries, 0, (size_t)ds->n_seeds * sizeof *entries);
        rc = load_journals(ds, 0, &L);
    }
    long missing = 0;
    for (long i = 0; !rc && i < ds->n_seeds; i++) missing += entries[i] == NULL;
    if (!rc && missing) {
        rc = DS_WAITING;
        if (!ds->ctx->opts->merge)
            log_info("dataset %s: seed preparation of this shard done; %ld seeds wait for other shards",
                     ds->dc->name, missing);
        else
            log_warn("dataset %s: cannot merge seed preparation: %ld seeds have no journal entry yet",
                     ds->dc->name, missing);
    }
    if (!rc && ds->ctx->opts->shard_n > 1 && !ds->ctx->opts->merge) rc = DS_WAITING;
    if (!rc) {
        /* finalize: embed the seeds that have metadata, checkpoint */
        log_debug("synth %s: %.3f seed metadata done", ds->dc->name, now_s());
        cp = cJSON_CreateObject();
        cJSON_AddNumberToObject(cp, "step", 0);
        cJSON *arr = cJSON_AddArrayToObject(cp, "seeds");
        const char **texts = xcalloc((size_t)ds->n_seeds + 1, sizeof *texts);
        long nt = 0;
        for (long i = 0; i < ds->n_seeds; i++) {
            cJSON_DeleteItemFromObjectCaseSensitive(entries[i], "seed");
            cJSON_AddStringToObject(entries[i], "source", ds->seeds[i].source);
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(entries[i], "ok")))
                texts[nt++] = ds->seeds[i].instruction;
            cJSON_AddItemToArray(arr, entries[i]);
            entries[i] = NULL;
        }
        cJSON_AddArrayToObject(cp, "embedding_calls");
        bool embed = seeds_indexed(ds) && ds->dc->embedding_model && nt > 0;
        bool sync = ds->ctx->opts->shard_n > 1 || ds->ctx->opts->merge;
        if (embed && !sync) {
            /* round_run embeds them while the first wave generates */
            struct seed_defer *sd = xcalloc(1, sizeof *sd);
            sd->cp = cp;
            sd->texts = texts;
            sd->nt = nt;
            ds->seed_defer = sd;
            cJSON *copy = cJSON_Duplicate(cp, 1);
            apply_seed_meta(ds, copy);
            cJSON_Delete(copy);
            cp = NULL;
            texts = NULL;
        } else {
            float *emb = NULL;
            if (embed) {
                cJSON *saved = ds->embed_calls;
                ds->embed_calls = cJSON_GetObjectItemCaseSensitive(cp, "embedding_calls");
                rc = embed_texts(ds, texts, nt, &emb);
                ds->embed_calls = saved;
            }
            if (!rc) rc = seeds_commit(ds, cp, emb, nt);
            free(emb);
            if (!rc) {
                cJSON *back = NULL;
                rc = json_read_file(cp_path, &back);
                if (!rc) rc = apply_seed_checkpoint(ds, back, emb_path);
                cJSON_Delete(back);
            }
        }
        free(texts);
    }
    for (long i = 0; i < ds->n_seeds; i++) cJSON_Delete(entries[i]);
    free(entries);
out:
    cJSON_Delete(cp);
    free(cp_path);
    free(emb_path);
    return rc;
}

/* ------------------------------------------------------------------------
 * Waves: planning, finalizing, checkpoints
 */
static long round_target(const struct ds *ds, int round)
{
    const struct dataset_cfg *dc = ds->dc;
    if (dc->match_count || dc->method == METHOD_SEED) {
        long T = ds->total_target, R = dc->rounds;
        return T / R + (round <= T % R ? 1 : 0);
    }
    if (dc->method == METHOD_REFINE && dc->per_round == 0) {
        long ok = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, ds->seed_meta) ok += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ok"));
        return ok;
    }
    return dc->per_round;
}

static long refine_available(const struct ds *ds)
{
    long ok = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, ds->seed_meta) ok += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ok"));
    return ok - ds->next_index;
}

static void round_close(struct ds *ds)
{
    long target = round_target(ds, ds->round);
    cJSON *ri = cJSON_CreateObject();
    cJSON_AddNumberToObject(ri, "round", ds->round);
    cJSON_AddNumberToObject(ri, "target", (double)target);
    cJSON_AddNumberToObject(ri, "attempted", (double)ds->round_attempts);
    long kept = 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, ds->kept) kept += (int)jnum(k, "round", 0) == ds->round;
    cJSON_AddNumberToObject(ri, "kept", (double)kept);
    cJSON_AddItemToArray(ds->rounds_info, ri);
    if (kept < target)
        log_warn("dataset %s: round %d ends short: %ld of %ld records after %ld attempts "
                 "(max_attempts_factor %.2f)", ds->dc->name, ds->round, kept, target,
                 ds->round_attempts, ds->dc->max_attempts_factor);
    /* the round's kept records join the pool */
    const cJSON *rec;
    cJSON_ArrayForEach(rec, ds->kept)
        if ((int)jnum(rec, "round", 0) == ds->round) pool_add(&ds->pool, rec);
    ds->round++;
    ds->round_kept = ds->round_attempts = 0;
}

/* The size of the next wave in *n_out, or false when the dataset is complete. */
/* The next wave of the current round: true and its size, or false when the
 * round is over (target met or attempts spent). Changes nothing. */
static bool plan_peek(const struct ds *ds, long *n_out)
{
    const struct dataset_cfg *dc = ds->dc;
    if (ds->round > dc->rounds) return false;
    long target = round_target(ds, ds->round);
    long need = target - ds->round_kept;
    long cap = (long)ceil(dc->max_attempts_factor * (double)target) - ds->round_attempts;
    if (dc->method == METHOD_REFINE) {
        long avail = refine_available(ds);
        if (avail < cap) cap = avail;
    }
    if (need <= 0 || cap <= 0) return false;
    double acc = (ds->attempts_all > 0 && ds->kept_all > 0)
                     ? (double)ds->kept_all / (double)ds->attempts_all
                     : is_reviewed(dc) ? dc->expected_acceptance : 1.0;
    long n = (long)ceil((double)need * dc->overshoot / acc);
    if (n < 1) n = 1;
    if (n > cap) n = cap;
    *n_out = n;
    return true;
}

/* The size of the next wave, closing finished rounds on the way; false when
 * the dataset is complete. */
static bool plan_wave(struct ds *ds, long *n_out)
{
    while (ds->round <= ds->dc->rounds) {
        if (plan_peek(ds, n_out)) return true;
        round_close(ds);
    }
    return false;
}

static void compute_reliability(struct ds *ds)
{
    const struct dataset_cfg *dc = ds->dc;
    ds->weighted = false;
    if (dc->policy != POLICY_RELIABILITY) return;
    int M = dc->n_models;
    long cap = 0;
    cJSON *lists[2] = {ds->kept, ds->rejected};
    for (int l = 0; l < 2; l++) cap += cJSON_GetArraySize(lists[l]);
    int *votes = xmalloc((size_t)(cap ? cap : 1) * (size_t)M * sizeof(int));
    long ni = 0;
    for (int l = 0; l < 2; l++) {
        const cJSON *rec;
        cJSON_ArrayForEach(rec, lists[l]) {
            const cJSON *revs = cJSON_GetObjectItemCaseSensitive(rec, "reviews");
            int *row = votes + (size_t)ni * M, k = 0;
            for (int m = 0; m < M; m++) row[m] = -1;
            const cJSON *rv;
            cJSON_ArrayForEach(rv, revs) {
                const cJSON *sc = cJSON_GetObjectItemCaseSensitive(rv, "score");
                const char *model = jstr(rv, "model");
                if (!cJSON_IsNumber(sc) || !model) continue;
                for (int m = 0; m < M; m++)
                    if (strcmp(model, dc->models[m]) == 0) {
                        row[m] = sc->valuedouble >= dc->rule.tau - COMMITTEE_EPS;
                        k++;
                    }
            }
            if (k >= 2) ni++;
        }
    }
    if (ni >= dc->reliability_min_items) {
        committee_reliability(votes, (int)ni, M, ds->weights, NULL, NULL);
        ds->weighted = true;
    } else {
        for (int m = 0; m < M; m++) ds->weights[m] = 1.0;
    }
    free(votes);
}

static int cmp_mu_desc(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    double mx = jnum(x, "mu", -1), my = jnum(y, "mu", -1);
    if (mx != my) return mx > my ? -1 : 1;
    double ix = jnum(x, "sample", 0), iy = jnum(y, "sample", 0);
    return ix < iy ? -1 : ix > iy;
}

static int cmp_sample(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    double ix = jnum(x, "sample", 0), iy = jnum(y, "sample", 0);
    return ix < iy ? -1 : ix > iy;
}

/* Apply a finalized wave (fresh or from its checkpoint): the same code path. */
/* mode APPLY_ALL: a checkpoint read on restart. APPLY_NO_INDEX: a wave just
 * finalized here (its records are already in the dedup index). APPLY_RECORDS:
 * the counters and the step were also advanced when the wave passed dedup
 * (round_run overlaps enrichment with the next wave); only records are added. */
enum { APPLY_ALL = 0, APPLY_NO_INDEX, APPLY_RECORDS };

struct samp_pos {
    double sample;
    long pos;
};

static int cmp_samp_pos(const void *a, const void *b)
{
    const struct samp_pos *x = a, *y = b;
    return x->sample < y->sample ? -1 : x->sample > y->sample;
}

/* Append the vectors of a wave's kept records (in their order) to
 * ds->kept_emb. emb holds the nt vectors of the wave's dedup_texts, whose
 * sample indices are the checkpoint's dedup_samples (a kept record always
 * entered the index; one that failed enrichment is not in kept). */
static void kept_emb_add(struct ds *ds, const cJSON *cp, const cJSON *kept, const float *emb, long nt)
{
    if (!ds->kept_emb_ok) return;
    const cJSON *ds_arr = cJSON_GetObjectItemCaseSensitive(cp, "dedup_samples");
    long nk = cJSON_GetArraySize(kept);
    if (nk == 0) return;
    if (!emb || !cJSON_IsArray(ds_arr) || cJSON_GetArraySize(ds_arr) != nt) {
        log_warn("dataset %s: step %ld: the checkpoint does not say which embedding is whose "
                 "(made by an older gra?): %s.embeddings.jsonl will not be written",
                 ds->dc->name, (long)jnum(cp, "step", -1), ds->dc->name);
        ds->kept_emb_ok = false;
        return;
    }
    struct samp_pos *sp = xmalloc((size_t)(nt ? nt : 1) * sizeof *sp);
    long i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, ds_arr) {
        sp[i].sample = cJSON_IsNumber(c) ? c->valuedouble : -1;
        sp[i].pos = i;
        i++;
    }
    qsort(sp, (size_t)nt, sizeof *sp, cmp_samp_pos);
    if (ds->kept_emb_n + nk > ds->kept_emb_cap) {
        ds->kept_emb_cap = 2 * (ds->kept_emb_n + nk);
        ds->kept_emb = xrealloc(ds->kept_emb, (size_t)ds->kept_emb_cap * (size_t)ds->emb_dim * sizeof(float));
    }
    cJSON_ArrayForEach(c, kept) {
        struct samp_pos key = {jnum(c, "sample", -2), 0};
        const struct samp_pos *hit = bsearch(&key, sp, (size_t)nt, sizeof *sp, cmp_samp_pos);
        if (!hit) {
            log_warn("dataset %s: record %s has no dedup embedding: %s.embeddings.jsonl will not be written",
                     ds->dc->name, jstr(c, "id"), ds->dc->name);
            ds->kept_emb_ok = false;
            break;
        }
        memcpy(ds->kept_emb + (size_t)ds->kept_emb_n * ds->emb_dim, emb + (size_t)hit->pos * ds->emb_dim,
               (size_t)ds->emb_dim * sizeof(float));
        ds->kept_emb_n++;
    }
    free(sp);
}

static int apply_wave(struct ds *ds, cJSON *cp, const char *emb_path, int mode)
{
    long n = (long)jnum(cp, "n", 0);
    long passed = (long)jnum(cp, "passed", 0);
    cJSON *kept = cJSON_GetObjectItemCaseSensitive(cp, "kept");
    cJSON *rej = cJSON_GetObjectItemCaseSensitive(cp, "rejected");
    cJSON *dtexts = cJSON_GetObjectItemCaseSensitive(cp, "dedup_texts");
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cp, "embedding_calls"))
        cJSON_AddItemToArray(ds->embed_calls, cJSON_Duplicate(c, 1));
    int rc = 0;
    long nt = cJSON_GetArraySize(dtexts);
    bool emb_dedup = ds->dc->dedup && ds->dc->embedding_model;
    float *emb = NULL;
    /* the vectors are read back from the file in every mode: the kept
     * records' embeddings (NAME.embeddings.jsonl) come from the same bytes
     * whether this wave ran here or in an earlier process */
    if (nt > 0 && emb_dedup) {
        int dim;
        long ne;
        rc = emb_read(emb_path, &dim, &ne, &emb);
        if (!rc && ne != nt) rc = err(GRA_ESTATE, "%s: %ld vectors for %ld texts", emb_path, ne, nt);
        if (!rc && ds->emb_dim && dim != ds->emb_dim)
            rc = err(GRA_ESTATE, "%s: dimension %d, expected %d", emb_path, dim, ds->emb_dim);
        if (!rc) ds->emb_dim = dim;
    }
    if (!rc && emb_dedup) kept_emb_add(ds, cp, kept, emb, nt);
    /* the records move from the checkpoint tree (the caller deletes it) */
    while (kept && kept->child) cJSON_AddItemToArray(ds->kept, cJSON_DetachItemViaPointer(kept, kept->child));
    while (rej && rej->child) cJSON_AddItemToArray(ds->rejected, cJSON_DetachItemViaPointer(rej, rej->child));
    if (!rc && nt > 0 && ds->dc->dedup && mode == APPLY_ALL) {
        const char **texts = xcalloc((size_t)nt, sizeof *texts);
        long i = 0;
        cJSON_ArrayForEach(c, dtexts) texts[i++] = c->valuestring;
        rc = dedup_enter(ds, texts, nt, emb);
        free(texts);
    }
    free(emb);
    if (rc || mode == APPLY_RECORDS) return rc;
    ds->next_index += n;
    ds->round_attempts += n;
    ds->attempts_all += n;
    /* records that passed dedup count towards the round, even if their
     * enrichment fails later: the plan must not wait for enrichment */
    ds->round_kept += passed;
    ds->kept_all += passed;
    ds->step++;
    return rc;
}

/* Finalizing a wave, in three parts so that it can run synchronously (shards,
 * merge) or chained in callbacks while other samples run (round_run):
 *   fin_prepare   candidates in the greedy order, the texts to embed
 *   fin_dedup     the greedy walk (given the vectors), the records to enrich
 *   fin_complete  enriched records into the checkpoint object */
struct fin {
    long step, first, n;
    cJSON *cp, *kept, *rej, *dtexts, *dsamples, *ecalls;
    cJSON **cand;
    long nc;
    const char **texts;
    float *emb, *demb;
    long nd;
    cJSON **keep;
    long nkeep;
    struct embed_set es;
};

/* entries: n journal entries (records are detached from them). */
static void fin_prepare(struct ds *ds, struct fin *f, long step, long first, long n,
                        cJSON **entries)
{
    const struct dataset_cfg *dc = ds->dc;
    memset(f, 0, sizeof *f);
    f->step = step;
    f->first = first;
    f->n = n;
    f->cp = cJSON_CreateObject();
    cJSON_AddNumberToObject(f->cp, "step", (double)step);
    cJSON_AddNumberToObject(f->cp, "round", ds->round);
    cJSON_AddNumberToObject(f->cp, "first", (double)first);
    cJSON_AddNumberToObject(f->cp, "n", (double)n);
    f->kept = cJSON_AddArrayToObject(f->cp, "kept");
    f->rej = cJSON_AddArrayToObject(f->cp, "rejected");
    f->dtexts = cJSON_AddArrayToObject(f->cp, "dedup_texts");
    f->dsamples = cJSON_AddArrayToObject(f->cp, "dedup_samples");
    f->ecalls = cJSON_AddArrayToObject(f->cp, "embedding_calls");
    f->cand = xcalloc((size_t)n + 1, sizeof *f->cand);
    for (long i = 0; i < n; i++) {
        cJSON *rec = cJSON_DetachItemFromObjectCaseSensitive(entries[i], "record");
        if (strcmp(jstr(entries[i], "outcome"), "candidate") == 0) f->cand[f->nc++] = rec;
        else cJSON_AddItemToArray(f->rej, rec);
    }
    /* greedy by descending mu (unreviewed: sample order) */
    qsort(f->cand, (size_t)f->nc, sizeof *f->cand, is_reviewed(dc) ? cmp_mu_desc : cmp_sample);
    f->texts = xcalloc((size_t)f->nc + 1, sizeof *f->texts);
    for (long i = 0; i < f->nc; i++) f->texts[i] = jstr(f->cand[i], "instruction");
}

static bool fin_needs_embeddings(const struct ds *ds, const struct fin *f)
{
    return ds->dc->dedup && ds->dc->embedding_model && f->nc > 0;
}

static int fin_dedup(struct ds *ds, struct fin *f)
{
    long need = round_target(ds, ds->round) - ds->round_kept;
    int rc = dedup_ensure(ds);
    if (rc) return rc;
    if (f->emb) f->demb = xmalloc((size_t)f->nc * (size_t)ds->emb_dim * sizeof(float) + 1);
    f->keep = xcalloc((size_t)f->nc + 1, sizeof *f->keep);
    for (long i = 0; i < f->nc; i++) {
        if (f->nkeep >= need) {
            cJSON_AddItemToArray(f->rej, to_rejected(f->cand[i], "round", "round_target_reached"));
            continue;
        }
        const float *e = f->emb ? f->emb + (size_t)i * ds->emb_dim : NULL;
        bool ok = !ds->dd || dedup_check_add(ds->dd, f->texts[i], e);
        if (!ok) {
            cJSON_AddItemToArray(f->rej, to_rejected(f->cand[i], "dedup", "near_duplicate"));
            continue;
        }
        if (ds->dd) {
            cJSON_AddItemToArray(f->dtexts, cJSON_CreateString(f->texts[i]));
            cJSON_AddItemToArray(f->dsamples, cJSON_CreateNumber(jnum(f->cand[i], "sample", -1)));
            if (f->demb)
                memcpy(f->demb + (size_t)f->nd * ds->emb_dim, e, (size_t)ds->emb_dim * sizeof(float));
            f->nd++;
        }
        f->keep[f->nkeep++] = f->cand[i];
    }
    ds->cand_seen += f->nc;
    ds->pass_seen += f->nkeep;
    /* enrichment runs in sample order */
    qsort(f->keep, (size_t)f->nkeep, sizeof *f->keep, cmp_sample);
    cJSON_AddNumberToObject(f->cp, "passed", (double)f->nkeep);
    return 0;
}

static int fin_complete(struct ds *ds, struct fin *f, const char *emb_path)
{
    int rc = 0;
    for (long i = 0; i < f->nkeep; i++) {
        const char *why = jstr(f->keep[i], "_enrich_failed");
        if (why) {
            char *reason = xstrdup(why);
            cJSON_DeleteItemFromObjectCaseSensitive(f->keep[i], "_enrich_failed");
            cJSON_AddItemToArray(f->rej, to_rejected(f->keep[i], "metadata", reason));
            free(reason);
        } else {
            cJSON_AddItemToArray(f->kept, cJSON_Duplicate(f->keep[i], 1));
        }
    }
    if (ds->dc->dedup && ds->dc->embedding_model) rc = emb_write(emb_path, ds->emb_dim, f->nd, f->demb);
    /* rejected records in sample order */
    long nr = cJSON_GetArraySize(f->rej);
    cJSON **rv = xcalloc((size_t)nr + 1, sizeof *rv);
    for (long i = 0; i < nr; i++) rv[i] = cJSON_DetachItemFromArray(f->rej, 0);
    qsort(rv, (size_t)nr, sizeof *rv, cmp_sample);
    for (long i = 0; i < nr; i++) cJSON_AddItemToArray(f->rej, rv[i]);
    free(rv);
    return rc;
}

static void fin_release(struct fin *f)
{
    for (long i = 0; i < f->nc; i++) cJSON_Delete(f->cand[i]);
    free(f->cand);
    free(f->keep);
    free(f->texts);
    free(f->emb);
    free(f->demb);
    cJSON_Delete(f->cp);
    memset(f, 0, sizeof *f);
}

/* Write the checkpoint atomically, then apply it from the bytes written,
 * exactly as a resumed run would. */
static int fin_commit(struct ds *ds, struct fin *f, const char *cp_path, const char *emb_path,
                      int mode)
{
    char *txt = json_print_compact(f->cp);
    size_t len = strlen(txt);
    int rc = fileio_write_atomic(cp_path, txt, len);
    /* parsed from the very bytes just written (as a resumed run reads them) */
    cJSON *cp = NULL;
    if (!rc) {
        cp = cJSON_ParseWithLengthOpts(txt, len, NULL, 0);
        if (!cp) rc = err(GRA_EPARSE, "%s: cannot parse the checkpoint just written", cp_path);
    }
    free(txt);
    if (!rc) rc = apply_wave(ds, cp, emb_path, mode);
    cJSON_Delete(cp);
    return rc;
}

/* ------------------------------------------------------------------------
 * Enrichment of a finalized wave's kept records (f->keep) runs as a mode-2
 * wave. Its outcomes are journaled in state/NAME/enrich-K.jsonl (K = the
 * wave's step), so that a run killed during enrichment does not ask the
 * metadata writers again on restart: with no call cache (or a cache that was
 * lost) a real model could answer differently, and the resumed run would not
 * equal an uninterrupted one. Entries found there are applied at once
 * (w->preset); only the others are run.
 */
struct eload {
    cJSON **entries; /* n slots, by sample - first */
    long first, n;
    const char *file;
};

static bool strs3_ok(const cJSON *a)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3) return false;
    const cJSON *x;
    cJSON_ArrayForEach(x, a) if (!cJSON_IsString(x)) return false;
    return true;
}

static int eload_cb(void *ud, long lineno, cJSON *obj, const char *errmsg)
{
    struct eload *L = ud;
    if (!obj) {
        log_warn("%s:%ld: ignoring unreadable journal line: %s", L->file, lineno, errmsg ? errmsg : "");
        return 0;
    }
    double sn = jnum(obj, "sample", -1);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(obj, "ok");
    bool valid = sn >= (double)L->first && sn < (double)(L->first + L->n) && sn == floor(sn) &&
                 cJSON_IsBool(ok) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(obj, "calls"));
    if (valid && cJSON_IsTrue(ok))
        valid = jstr(obj, "domain") && jstr(obj, "summary") &&
                strs3_ok(cJSON_GetObjectItemCaseSensitive(obj, "keywords"));
    else if (valid)
        valid = jstr(obj, "reason") != NULL;
    if (!valid) {
        log_warn("%s:%ld: ignoring an enrichment journal line that is not a complete entry "
                 "(sample, ok, domain/keywords/summary or reason, calls)", L->file, lineno);
        return 0;
    }
    long off = (long)sn - L->first;
    if (!L->entries[off]) L->entries[off] = cJSON_Duplicate(obj, 1);
    return 0;
}

/* Prepare mw (mode 2 over f->keep): apply journaled outcomes, open the
 * journal for the rest. 0 or GRA_EIO; release mw with wave_release(). */
static int enrich_open(struct ds *ds, const struct fin *f, struct wave *mw)
{
    char *p = xasprintf("%s/enrich-%04ld.jsonl", ds->state_dir, f->step);
    mw->have = xcalloc((size_t)mw->n + 1, 1);
    mw->preset = 0;
    long kept_lines = jsonl_repair_tail(p);
    int rc = kept_lines < 0 ? (int)kept_lines : 0;
    if (!rc && kept_lines > 0) {
        cJSON **entries = xcalloc((size_t)f->n + 1, sizeof *entries);
        struct eload L = {entries, f->first, f->n, p};
        rc = jsonl_foreach(p, eload_cb, &L);
        for (long i = 0; !rc && i < mw->n; i++) {
            long off = (long)jnum(mw->enrich[i], "sample", -1) - f->first;
            if (off < 0 || off >= f->n || !entries[off]) continue;
            enrich_apply(mw->enrich[i], entries[off]);
            mw->have[i] = 1;
            mw->preset++;
        }
        for (long i = 0; i < f->n; i++) cJSON_Delete(entries[i]);
        free(entries);
    }
    if (!rc) {
        rc = jsonl_writer_open(&mw->jw, p, false);
        mw->jw_open = rc == 0;
    }
    free(p);
    return rc;
}

/* The synchronous form (shards, merge). */
static int finalize_wave(struct ds *ds, long step, long first, long n, cJSON **entries,
                         const char *cp_path, const char *emb_path)
{
    struct fin f;
    fin_prepare(ds, &f, step, first, n, entries);
    int rc = 0;
    if (fin_needs_embeddings(ds, &f)) {
        cJSON *saved = ds->embed_calls;
        ds->embed_calls = f.ecalls;
        rc = embed_texts(ds, f.texts, f.nc, &f.emb);
        ds->embed_calls = saved;
    }
    if (!rc) rc = fin_dedup(ds, &f);
    if (!rc && f.nkeep) {
        struct wave w = {.ds = ds, .step = step, .round = ds->round, .first = 0, .n = f.nkeep,
                         .mode = 2, .enrich = f.keep};
        char label[200];
        snprintf(label, sizeof label, "synth %s: round %d metadata", ds->dc->name, ds->round);
        rc = enrich_open(ds, &f, &w);
        if (!rc) rc = wave_run(&w, label);
        wave_release(&w);
    }
    if (!rc) rc = fin_complete(ds, &f, emb_path);
    if (!rc) rc = fin_commit(ds, &f, cp_path, emb_path, APPLY_NO_INDEX);
    fin_release(&f);
    return rc;
}

/* One wave: resume from checkpoint, or run/merge it. 0 (applied), DS_WAITING, GRA_E*. */
static int wave_step(struct ds *ds, long n)
{
    long step = ds->step, first = ds->next_index;
    char *cp_path = step_path(ds, step, ".json");
    char *emb_path = step_path(ds, step, ".emb");
    cJSON *cp = NULL;
    int rc = 0;
    if (fileio_exists(cp_path)) {
        rc = json_read_file(cp_path, &cp);
        if (!rc && ((long)jnum(cp, "first", -1) != first || (long)jnum(cp, "n", -1) != n ||
                    (int)jnum(cp, "round", -1) != ds->round))
            rc = err(GRA_ESTATE, "%s: checkpoint does not match the plan (round %d, samples %ld+%ld)",
                     cp_path, ds->round, first, n);
        if (!rc) rc = apply_wave(ds, cp, emb_path, APPLY_ALL);
        goto out;
    }
    compute_reliability(ds);
    cJSON **entries = xcalloc((size_t)n + 1, sizeof *entries);
    struct jload L = {entries, first, n, "sample", NULL, ds->round};
    rc = load_journals(ds, step, &L);
    struct wave w = {.ds = ds, .step = step, .round = ds->round, .first = first, .n = n, .mode = 1};
    if (!rc) rc = wave_prepare(&w, entries);
    if (!rc) {
        char label[200];
        snprintf(label, sizeof label, "synth %s: round %d samples %ld-%ld", ds->dc->name,
                 ds->round, first, first + n - 1);
        rc = wave_run(&w, label);
    }
    wave_release(&w);
    if (!rc) {
        for (long i = 0; i < n; i++) cJSON_Delete(entries[i]);
        memset(entries, 0, (size_t)n * sizeof *entries);
        rc = load_journals(ds, step, &L);
    }
    long missing = 0;
    for (long i = 0; !rc && i < n; i++) missing += entries[i] == NULL;
    if (!rc && missing) {
        rc = DS_WAITING;
        if (ds->ctx->opts->merge)
            log_warn("dataset %s: step %ld: %ld samples have no journal entry yet (shards still running?)",
                     ds->dc->name, step, missing);
    }
    if (!rc && ds->ctx->opts->shard_n > 1 && !ds->ctx->opts->merge) rc = DS_WAITING;
    if (!rc) rc = finalize_wave(ds, step, first, n, entries, cp_path, emb_path);
    for (long i = 0; i < n; i++) cJSON_Delete(entries[i]);
    free(entries);
out:
    cJSON_Delete(cp);
    free(cp_path);
    free(emb_path);
    return rc;
}

/* ------------------------------------------------------------------------
 * round_run: the waves of one round in ONE event loop (the normal, unsharded
 * path). The wave barrier (dedup needs the whole wave, greedy by mu) costs
 * idle servers if nothing else runs meanwhile, so:
 *   - when every sample of the current wave has been started, samples of the
 *     NEXT indices start speculatively (at most one window, max_active). Their
 *     outcome does not depend on which wave they end up in (the pool is fixed
 *     within a round and every choice comes from the sample index), so they
 *     are journaled like any other (round-R.journal.jsonl) and simply reused
 *     when the next wave is planned; past the round's end they are unused.
 *   - finalizing is chained in callbacks: the wave's last sample submits the
 *     embeddings, their callback runs the greedy dedup and submits the
 *     enrichment calls, the last enrichment writes the checkpoint and plans
 *     the next wave, all while speculative samples keep the servers busy.
 * Policy "reliability" does not speculate: its weights must be estimated after
 * the previous wave, exactly as the shard path does.
 */
struct round_run {
    struct ds *ds;
    struct wave w;      /* mode 1 over the round's attempt range [first, first + cap) */
    cJSON **entries;    /* per offset: the journal entry, once the sample is done */
    long wfirst, wend;  /* the current wave, as offsets */
    long filled;        /* entries present in [wfirst, wend) */
    long wcand;         /* ... of which candidates (passed the committee) */
    long w0;            /* wfirst when this process started (progress) */
    long spec;          /* speculation allowance */
    bool spec_auto;     /* "speculate" not set: only when another wave is likely */
    bool finalizing, over;
    bool enriching;     /* a finalized wave's enrichment is running */
    bool pre;           /* ... and its counters were applied at dedup time */
    bool end_pending;   /* ... and the round ends after its commit */
    int rc;
    struct fin f;
    struct wave mw;     /* enrichment */
    char *cp_path, *emb_path;
};

static bool rr_over(const struct round_run *rr) { return rr->over || rr->rc; }

static bool rr_is_candidate(const cJSON *entry)
{
    const char *o = entry ? jstr(entry, "outcome") : NULL;
    return o && strcmp(o, "candidate") == 0;
}

/* Is another wave likely after the current one? Speculating costs nothing
 * while the current wave has idle slots, but samples still in flight when
 * the round ends hold slots the final enrichment waits for. So speculate
 * only while the current wave's expected yield (its candidates so far, plus
 * the unfinished samples at the wave's rate so far, times the share of
 * candidates that passed dedup in earlier waves) falls short of what the
 * round still needs (+5 %). A guess about timing only: the wave plan does
 * not depend on it, so neither does any output. */
static bool rr_next_wave_likely(const struct round_run *rr)
{
    const struct ds *ds = rr->ds;
    long size = rr->wend - rr->wfirst;
    if (rr->filled == 0) return false;
    double rate = (double)rr->wcand / (double)rr->filled;
    double pass = ds->cand_seen > 0 ? (double)ds->pass_seen / (double)ds->cand_seen : 1.0;
    double expected = ((double)rr->wcand + (double)(size - rr->filled) * rate) * pass;
    double need = (double)(round_target(ds, ds->round) - ds->round_kept);
    /* (round_kept already counts the previous wave: round_run advances the
     * counters when a wave passes dedup) */
    return expected < need * 1.05;
}

static long rr_limit(const struct round_run *rr)
{
    if (rr->over || rr->rc) return 0;
    long lim = rr->wend + (!rr->spec_auto || rr_next_wave_likely(rr) ? rr->spec : 0);
    return lim < rr->w.n ? lim : rr->w.n;
}

static void rr_fail(struct round_run *rr, int rc)
{
    if (!rr->rc) rr->rc = rc;
    rr->over = true;
}

static void rr_begin_finalize(struct round_run *rr);

static void rr_check(struct round_run *rr)
{
    if (!rr->finalizing && !rr->enriching && !rr->over && !rr->rc &&
        rr->filled == rr->wend - rr->wfirst)
        rr_begin_finalize(rr);
}

static void rr_sample_done(struct round_run *rr, long off, cJSON *entry)
{
    struct wave *w = &rr->w;
    /* the entry as read back from its journal line: a fresh and a resumed run
     * feed identical bytes into dedup */
    char *line = json_print_compact(entry);
    cJSON_Delete(entry);
    if (!w->io_error && jsonl_writer_put_raw(&w->jw, line, strlen(line)) != 0) w->io_error = GRA_EIO;
    if (w->io_error) rr_fail(rr, w->io_error);
    if (off >= 0 && off < w->n && !rr->entries[off]) {
        rr->entries[off] = cJSON_Parse(line);
        if (off >= rr->wfirst && off < rr->wend) {
            rr->filled++;
            rr->wcand += rr_is_candidate(rr->entries[off]);
        }
    }
    free(line);
    rr_check(rr);
}

static void rr_finish(struct round_run *rr);

/* Move the sample window to the next wave of the round (n samples). */
static void rr_window(struct round_run *rr, long n)
{
    struct ds *ds = rr->ds;
    log_debug("synth %s: %.3f next wave: samples %ld-%ld", ds->dc->name, now_s(), ds->next_index,
              ds->next_index + n - 1);
    rr->wfirst = ds->next_index - rr->w.first;
    rr->wend = rr->wfirst + n;
    rr->filled = rr->wcand = 0;
    for (long i = rr->wfirst; i < rr->wend; i++) {
        rr->filled += rr->entries[i] != NULL;
        rr->wcand += rr_is_candidate(rr->entries[i]);
    }
    if (rr->w.prog) progress_set_total(rr->w.prog, rr->wend - rr->w0);
    wave_start_more(&rr->w);
}

static void rr_seeds_ready(void *ud);

static void rr_dedup_and_enrich(struct round_run *rr)
{
    struct ds *ds = rr->ds;
    if (ds->seed_defer) {
        /* the seeds enter the dedup index first (deferred embedding) */
        if (!ds->seed_defer->done) {
            log_debug("synth %s: %.3f dedup waits for the seed embeddings", ds->dc->name, now_s());
            ds->seed_defer->then = rr_seeds_ready;
            ds->seed_defer->then_ud = rr;
            return;
        }
        int src = ds->seed_defer->rc;
        seeds_defer_free(ds);
        if (src) {
            rr_fail(rr, src);
            return;
        }
    }
    if (rr->f.emb && rr->f.es.dim && rr->f.es.dim != ds->emb_dim) {
        rr_fail(rr, err(GRA_EHTTP, "dataset %s: embedding model returned dimension %d, the seeds had %d",
                        ds->dc->name, rr->f.es.dim, ds->emb_dim));
        return;
    }
    int rc = fin_dedup(ds, &rr->f);
    if (rc) {
        rr_fail(rr, rc);
        return;
    }
    free(rr->cp_path);
    free(rr->emb_path);
    rr->cp_path = step_path(ds, ds->step, ".json");
    rr->emb_path = step_path(ds, ds->step, ".emb");
    rr->enriching = true;
    rr->finalizing = false;
    rr->pre = ds->dc->policy != POLICY_RELIABILITY;
    rr->end_pending = false;
    if (rr->pre) {
        /* what the plan needs is known now: start the next wave while the
         * kept records are being enriched (apply_wave APPLY_RECORDS later) */
        long n = rr->f.n;
        ds->next_index += n;
        ds->round_attempts += n;
        ds->attempts_all += n;
        ds->round_kept += rr->f.nkeep;
        ds->kept_all += rr->f.nkeep;
        ds->step++;
        long nn;
        if (plan_peek(ds, &nn)) rr_window(rr, nn);
        else rr->end_pending = true;
    }
    if (rr->f.nkeep == 0) {
        rr_finish(rr);
        return;
    }
    memset(&rr->mw, 0, sizeof rr->mw);
    rr->mw.ds = ds;
    rr->mw.step = ds->step;
    rr->mw.round = ds->round;
    rr->mw.n = rr->f.nkeep;
    rr->mw.mode = 2;
    rr->mw.enrich = rr->f.keep;
    rr->mw.rr = rr;
    rr->mw.max_active = rr->w.max_active;
    rc = enrich_open(ds, &rr->f, &rr->mw);
    if (rc) {
        wave_release(&rr->mw);
        rr_fail(rr, rc);
        return;
    }
    if (rr->mw.preset == rr->mw.n) { /* every outcome was journaled */
        rr_enriched(rr);
        return;
    }
    wave_start_more(&rr->mw);
}

static void rr_seeds_ready(void *ud)
{
    rr_dedup_and_enrich(ud);
}

static void rr_embedded(void *ud)
{
    struct round_run *rr = ud;
    log_debug("synth: %.3f wave embedded", now_s());
    int rc = embed_collect(&rr->f.es, rr->f.ecalls, &rr->f.emb);
    if (rc) {
        rr_fail(rr, rc);
        return;
    }
    rr_dedup_and_enrich(rr);
}

static void rr_begin_finalize(struct round_run *rr)
{
    struct ds *ds = rr->ds;
    log_debug("synth %s: %.3f wave %ld-%ld complete, finalizing", ds->dc->name, now_s(),
              rr->w.first + rr->wfirst, rr->w.first + rr->wend - 1);
    rr->finalizing = true;
    long n = rr->wend - rr->wfirst;
    fin_prepare(ds, &rr->f, ds->step, rr->w.first + rr->wfirst, n, rr->entries + rr->wfirst);
    for (long i = rr->wfirst; i < rr->wend; i++) {
        cJSON_Delete(rr->entries[i]);
        rr->entries[i] = NULL;
    }
    if (fin_needs_embeddings(ds, &rr->f)) {
        rr->f.es.done = rr_embedded;
        rr->f.es.ud = rr;
        embed_submit(ds, &rr->f.es, rr->f.texts, rr->f.nc);
        if (rr->f.es.pending == 0) rr_embedded(rr);
        return;
    }
    rr_dedup_and_enrich(rr);
}

static void rr_enriched(struct round_run *rr)
{
    log_debug("synth: %.3f wave enriched", now_s());
    int io = rr->mw.io_error;
    wave_release(&rr->mw);
    if (io) {
        rr_fail(rr, io);
        return;
    }
    if (rr->ds->ctx->stop_flag && *rr->ds->ctx->stop_flag) {
        rr_fail(rr, GRA_EINTR);
        return;
    }
    rr_finish(rr);
}

/* The wave is enriched: checkpoint, apply, plan the next one (unless that
 * happened at dedup time already). */
static void rr_finish(struct round_run *rr)
{
    struct ds *ds = rr->ds;
    double t = now_s();
    int rc = fin_complete(ds, &rr->f, rr->emb_path);
    if (!rc)
        rc = fin_commit(ds, &rr->f, rr->cp_path, rr->emb_path,
                        rr->pre ? APPLY_RECORDS : APPLY_NO_INDEX);
    fin_release(&rr->f);
    log_debug("synth %s: %.3f checkpoint written and applied in %.3f s", ds->dc->name, now_s(), now_s() - t);
    rr->enriching = false;
    if (rc) {
        rr_fail(rr, rc);
        return;
    }
    long n = 0;
    if (rr->pre) {
        if (rr->end_pending) {
            plan_wave(ds, &n); /* closes the round: its records join the pool */
            rr->over = true;
            return;
        }
        rr_check(rr);
        return;
    }
    int round = ds->round;
    if (!plan_wave(ds, &n) || ds->round != round) {
        rr->over = true; /* the round is over: speculative samples left are unused */
        return;
    }
    compute_reliability(ds);
    rr_window(rr, n);
    rr_check(rr);
}

/* Run the rest of the current round from a wave of n samples at next_index. */
static int round_run(struct ds *ds, long n)
{
    log_debug("synth %s: %.3f round %d from sample %ld (%ld)", ds->dc->name, now_s(), ds->round,
              ds->next_index, n);
    const struct dataset_cfg *dc = ds->dc;
    struct round_run *rr = xcalloc(1, sizeof *rr);
    long target = round_target(ds, ds->round);
    long cap = (long)ceil(dc->max_attempts_factor * (double)target);
    if (dc->method == METHOD_REFINE) {
        long avail = refine_available(ds) + ds->round_attempts;
        if (avail < cap) cap = avail;
    }
    long rfirst = ds->next_index - ds->round_attempts;
    rr->ds = ds;
    rr->w.ds = ds;
    rr->w.round = ds->round;
    rr->w.first = rfirst;
    rr->w.n = cap;
    rr->w.mode = 1;
    rr->w.rr = rr;
    rr->w.max_active = default_max_active(ds);
    /* auto: one window of samples (max_active); they only take slots the
     * current wave leaves idle (the call queue serves older samples first) */
    rr->spec = dc->policy == POLICY_RELIABILITY ? 0
               : dc->speculate >= 0                ? dc->speculate
                                                   : rr->w.max_active;
    rr->spec_auto = dc->speculate < 0;
    rr->wfirst = rr->w0 = ds->round_attempts;
    rr->wend = rr->wfirst + n;
    rr->entries = xcalloc((size_t)cap + 1, sizeof *rr->entries);
    rr->w.have = xcalloc((size_t)cap + 1, 1);
    compute_reliability(ds);
    /* what earlier (interrupted) runs journaled for this round */
    struct jload L = {rr->entries + rr->wfirst, ds->next_index, cap - rr->wfirst, "sample", NULL, ds->round};
    int rc = load_journals(ds, ds->step, &L);
    char *jp = xasprintf("%s/round-%d.journal.jsonl", ds->state_dir, ds->round);
    if (!rc) rc = jsonl_writer_open(&rr->w.jw, jp, false);
    rr->w.jw_open = rc == 0;
    free(jp);
    if (!rc) {
        for (long i = 0; i < cap; i++) rr->w.have[i] = rr->entries[i] != NULL;
        rr->w.next = rr->wfirst;
        for (long i = rr->wfirst; i < rr->wend; i++) {
            rr->filled += rr->entries[i] != NULL;
            rr->wcand += rr_is_candidate(rr->entries[i]);
        }
        char label[200];
        snprintf(label, sizeof label, "synth %s: round %d samples", dc->name, ds->round);
        rr->w.prog = progress_new(label, rr->wend - rr->wfirst, ds->ctx->opts->quiet);
        rr->w.finished = 0;
        rr_check(rr);
        wave_start_more(&rr->w);
        seeds_defer_submit(ds); /* the seeds' vectors, while the wave generates */
        int lrc = llm_run(ds->ctx->client);
        sched_pump(ds, true); /* after a stop: what was still queued here */
        progress_finish(rr->w.prog);
        rr->w.prog = NULL;
        rc = rr->rc;
        if (!rc && (lrc == GRA_EINTR || (ds->ctx->stop_flag && *ds->ctx->stop_flag))) rc = GRA_EINTR;
        if (!rc && lrc) rc = lrc;
        if (!rc && !rr->over)
            rc = err(GRA_ESTATE, "dataset %s: round %d stopped with wave %ld-%ld incomplete",
                     dc->name, ds->round, rfirst + rr->wfirst, rfirst + rr->wend - 1);
    }
    if (rr->finalizing || rr->enriching) fin_release(&rr->f);
    wave_release(&rr->mw);
    if (rr->w.jw_open) jsonl_writer_close(&rr->w.jw);
    for (long i = 0; i < cap; i++) cJSON_Delete(rr->entries[i]);
    free(rr->entries);
    free(rr->w.have);
    free(rr->cp_path);
    free(rr->emb_path);
    free(rr);
    return rc;
}

/* ------------------------------------------------------------------------
 * Output: the dataset files and their statistics
 */
static void usage_add(cJSON *tbl, const char *key, const cJSON *call, double params_b)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(tbl, key);
    if (!o) {
        o = cJSON_AddObjectToObject(tbl, key);
        const char *f[] = {"calls", "prompt_tokens", "completion_tokens", "flops", "truncations",
                           "parse_failures", "failures"};
        for (size_t i = 0; i < GRA_ARRAY_LEN(f); i++) cJSON_AddNumberToObject(o, f[i], 0);
    }
    const char *st = jstr(call, "status");
    double pt = jnum(call, "prompt_tokens", 0), ct = jnum(call, "completion_tokens", 0);
    struct {
        const char *k;
        double v;
    } add[] = {{"calls", 1},
               {"prompt_tokens", pt},
               {"completion_tokens", ct},
               {"flops", 2.0 * params_b * 1e9 * (pt + ct)},
               {"truncations", st && strcmp(st, "length") == 0},
               {"parse_failures", st && strcmp(st, "parse") == 0},
               {"failures", st && strcmp(st, "ok") != 0}};
    for (size_t i = 0; i < GRA_ARRAY_LEN(add); i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(o, add[i].k);
        cJSON_SetNumberValue(v, v->valuedouble + add[i].v);
    }
}

static void usage_calls(const struct ds *ds, cJSON *u, const cJSON *calls)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, calls) {
        const char *role = jstr(c, "role"), *model = jstr(c, "model");
        const struct model_cfg *m = config_model(ds->ctx->cfg, model);
        double pb = m ? m->params_b : 0;
        usage_add(cJSON_GetObjectItemCaseSensitive(u, "by_role"), role, c, pb);
        usage_add(cJSON_GetObjectItemCaseSensitive(u, "by_model"), model, c, pb);
        cJSON *brm = cJSON_GetObjectItemCaseSensitive(u, "by_role_model");
        cJSON *r = cJSON_GetObjectItemCaseSensitive(brm, role);
        if (!r) r = cJSON_AddObjectToObject(brm, role);
        usage_add(r, model, c, pb);
        usage_add(u, "total", c, pb);
    }
}

static void count(cJSON *counts, const char *k, double by)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(counts, k);
    if (!v) cJSON_AddNumberToObject(counts, k, by);
    else cJSON_SetNumberValue(v, v->valuedouble + by);
}

static cJSON *build_stats(struct ds *ds, double wall)
{
    const struct dataset_cfg *dc = ds->dc;
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "dataset", dc->name);
    cJSON_AddStringToObject(st, "method", synth_method_names[dc->method]);
    cJSON_AddBoolToObject(st, "simulated", ds->simulated);
    if (ds->simulated) cJSON_AddStringToObject(st, "label", "SIMULATED");
    cJSON *c = cJSON_AddObjectToObject(st, "config");
    cJSON *ms = cJSON_AddArrayToObject(c, "models");
    for (int i = 0; i < dc->n_models; i++) cJSON_AddItemToArray(ms, cJSON_CreateString(dc->models[i]));
    cJSON_AddNumberToObject(c, "reviewers", dc->n_reviewers);
    cJSON_AddStringToObject(c, "policy", synth_policy_names[dc->policy]);
    cJSON_AddStringToObject(c, "aggregation", committee_aggregation_names[dc->rule.aggregation]);
    cJSON_AddNumberToObject(c, "tau", dc->rule.tau);
    cJSON_AddNumberToObject(c, "delta", dc->rule.delta);
    cJSON_AddStringToObject(c, "sigma", dc->rule.sample_sigma ? "sample" : "population");
    cJSON_AddBoolToObject(c, "instruction_checks", dc->instruction_checks);
    cJSON_AddNumberToObject(c, "rounds", dc->rounds);
    cJSON_AddNumberToObject(c, "target", (double)(dc->match_count || dc->method == METHOD_SEED
                                                      ? ds->total_target
                                                      : (long)dc->rounds * round_target(ds, 1)));
    if (dc->match_count) cJSON_AddStringToObject(c, "match_count", dc->match_count);
    cJSON_AddStringToObject(st, "dedup_method",
                            !dc->dedup || dc->method == METHOD_SEED ? "off"
                            : dc->embedding_model                  ? "embedding"
                                                                   : "minhash");
    if (dc->dedup && dc->embedding_model) cJSON_AddStringToObject(st, "embedding_model", dc->embedding_model);
    cJSON_AddNumberToObject(st, "dedup_threshold",
                            dc->embedding_model ? dc->dedup_threshold : dc->minhash_threshold);

    cJSON *counts = cJSON_AddObjectToObject(st, "counts");
    long seeds_ok = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, ds->seed_meta) seeds_ok += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ok"));
    count(counts, "seeds", ds->n_seeds);
    count(counts, "seeds_bad_records", ds->n_seeds_bad);
    count(counts, "seeds_metadata_failed", (double)(ds->n_seeds - seeds_ok));
    const char *keys[] = {"generated", "failed", "phase1_rejected", "mu_rejected", "majority_rejected",
                          "adjudicated", "adjudicator_rejected", "accepted", "dedup_dropped",
                          "round_target_dropped", "metadata_failed", "kept"};
    for (size_t i = 0; i < GRA_ARRAY_LEN(keys); i++) count(counts, keys[i], 0);
    cJSON *reasons = cJSON_AddObjectToObject(st, "rejected_by_reason");
    const cJSON *rec;
    bool seeded = dc->method == METHOD_SEED;
    cJSON_ArrayForEach(rec, ds->rejected) {
        const char *stage = jstr(rec, "stage"), *reason = jstr(rec, "reason");
        char key[200];
        snprintf(key, sizeof key, "%s:%.150s", stage ? stage : "?", reason ? reason : "?");
        char *colon = strchr(key, ':');
        if (colon && (colon = strchr(colon + 1, ':'))) {
            /* llm_failure:http / parse_failure:<detail>: group by the first part */
            char *c2 = strchr(colon + 1, ':');
            if (strncmp(colon + 1, "parse_failure", 13) == 0 || c2) *strchr(colon + 1, ':') = 0;
        }
        count(reasons, key, 1);
        if (seeded) continue;
        count(counts, "generated", 1);
        if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(rec, "adjudicator")) &&
            cJSON_GetObjectItemCaseSensitive(rec, "adjudicator"))
            count(counts, "adjudicated", 1);
        if (!stage) continue;
        if (strcmp(stage, "review_instruction") == 0 && reason && strncmp(reason, "phase1_no", 9) == 0)
            count(counts, "phase1_rejected", 1);
        else if (strcmp(stage, "committee") == 0)
            count(counts, strcmp(reason, "majority_reject") == 0 ? "majority_rejected" : "mu_rejected", 1);
        else if (strcmp(stage, "adjudicate") == 0 && strcmp(reason, "adjudicator_below_tau") == 0)
            count(counts, "adjudicator_rejected", 1);
        else if (strcmp(stage, "dedup") == 0) count(counts, "dedup_dropped", 1), count(counts, "accepted", 1);
        else if (strcmp(stage, "round") == 0) count(counts, "round_target_dropped", 1), count(counts, "accepted", 1);
        else if (strcmp(stage, "metadata") == 0) count(counts, "metadata_failed", 1), count(counts, "accepted", 1);
        else count(counts, "failed", 1);
    }
    cJSON_ArrayForEach(rec, ds->kept) {
        if (!seeded) {
            count(counts, "generated", 1);
            count(counts, "accepted", 1);
            if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(rec, "adjudicator")))
                count(counts, "adjudicated", 1);
        }
        count(counts, "kept", 1);
    }
    if (ds->rounds_info) cJSON_AddItemToObject(st, "rounds", cJSON_Duplicate(ds->rounds_info, 1));

    cJSON *u = cJSON_AddObjectToObject(st, "usage");
    cJSON_AddObjectToObject(u, "by_role");
    cJSON_AddObjectToObject(u, "by_model");
    cJSON_AddObjectToObject(u, "by_role_model");
    cJSON_ArrayForEach(m, ds->seed_meta) usage_calls(ds, u, cJSON_GetObjectItemCaseSensitive(m, "calls"));
    if (!seeded) {
        cJSON_ArrayForEach(rec, ds->kept) usage_calls(ds, u, cJSON_GetObjectItemCaseSensitive(rec, "calls"));
        cJSON_ArrayForEach(rec, ds->rejected) usage_calls(ds, u, cJSON_GetObjectItemCaseSensitive(rec, "calls"));
    }
    usage_calls(ds, u, ds->embed_calls);
    cJSON *tot = cJSON_GetObjectItemCaseSensitive(u, "total");
    long kept = cJSON_GetArraySize(ds->kept);
    if (tot && kept) {
        cJSON *pk = cJSON_AddObjectToObject(st, "per_kept_record");
        for (const cJSON *f = tot->child; f; f = f->next)
            if (strcmp(f->string, "calls") == 0 || strcmp(f->string, "prompt_tokens") == 0 ||
                strcmp(f->string, "completion_tokens") == 0 || strcmp(f->string, "flops") == 0)
                cJSON_AddNumberToObject(pk, f->string, f->valuedouble / (double)kept);
    }
    if (dc->policy == POLICY_RELIABILITY) {
        compute_reliability(ds);
        cJSON *rw = cJSON_AddObjectToObject(st, "reliability_weights");
        for (int i = 0; i < dc->n_models; i++)
            cJSON_AddNumberToObject(rw, dc->models[i], ds->weighted ? ds->weights[i] : 1.0);
    }
    cJSON_AddItemToObject(st, "prompt_hashes", cJSON_Duplicate(ds->prompt_hashes, 1));
    /* runtime: this process only; NOT deterministic, excluded from equality */
    cJSON *rt = cJSON_AddObjectToObject(st, "runtime");
    cJSON_AddNumberToObject(rt, "wall_time_s", wall);
    cJSON *ls = llm_stats_json(ds->ctx->client);
    if (ls) cJSON_AddItemToObject(rt, "client", ls);
    return st;
}

static int write_jsonl_atomic(const char *path, const cJSON *arr)
{
    struct buf b = BUF_INIT;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, arr) {
        char *line = json_print_compact(rec);
        buf_puts(&b, line);
        buf_putc(&b, '\n');
        free(line);
    }
    int rc = fileio_write_atomic(path, b.data, b.len);
    buf_release(&b);
    return rc;
}

/* The seed baseline: seeds with metadata, as records. */
static void seed_records(struct ds *ds)
{
    const struct dataset_cfg *dc = ds->dc;
    long taken = 0, limit = dc->match_count ? ds->total_target : -1;
    for (int i = 0; i < cJSON_GetArraySize(ds->seed_meta); i++) {
        const cJSON *m = cJSON_GetArrayItem(ds->seed_meta, i);
        bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ok"));
        cJSON *o = cJSON_CreateObject();
        char id[300];
        snprintf(id, sizeof id, "%s-r0-%d", dc->name, i);
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "dataset", dc->name);
        cJSON_AddStringToObject(o, "method", "seed");
        cJSON_AddNumberToObject(o, "round", 0);
        cJSON_AddNumberToObject(o, "sample", i);
        bool over = ok && limit >= 0 && taken >= limit;
        if (!ok || over) {
            cJSON_AddStringToObject(o, "stage", over ? "round" : "metadata");
            cJSON_AddStringToObject(o, "reason", over ? "round_target_reached" : jstr(m, "reason"));
        }
        if (ok) {
            cJSON_AddStringToObject(o, "domain", jstr(m, "domain"));
            cJSON_AddItemToObject(o, "keywords", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "keywords"), 1));
            cJSON_AddStringToObject(o, "summary", jstr(m, "summary"));
        } else {
            cJSON_AddNullToObject(o, "domain");
            cJSON_AddNullToObject(o, "keywords");
            cJSON_AddNullToObject(o, "summary");
        }
        cJSON_AddStringToObject(o, "instruction", ds->seeds[i].instruction);
        cJSON_AddStringToObject(o, "response", ds->seeds[i].response);
        cJSON_AddStringToObject(o, "seed_source", ds->seeds[i].source);
        cJSON_AddNullToObject(o, "generator");
        cJSON_AddArrayToObject(o, "reviews");
        cJSON_AddNullToObject(o, "mu");
        cJSON_AddNullToObject(o, "sigma");
        cJSON_AddStringToObject(o, "decision", "unreviewed");
        cJSON_AddNullToObject(o, "adjudicator");
        cJSON_AddStringToObject(o, "metadata_writer", jstr(m, "metadata_writer"));
        cJSON *ph = cJSON_AddObjectToObject(o, "prompt_hashes");
        cJSON_AddItemToObject(ph, "metadata", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ds->prompt_hashes, "metadata"), 1));
        const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "calls");
        cJSON_AddItemToObject(o, "usage", usage_of(calls));
        cJSON_AddItemToObject(o, "calls", cJSON_Duplicate(calls, 1));
        cJSON_AddBoolToObject(o, "simulated", ds->simulated);
        if (ok && !over) {
            cJSON_AddItemToArray(ds->kept, o);
            taken++;
        } else {
            cJSON_AddItemToArray(ds->rejected, o);
        }
    }
    cJSON *ri = cJSON_CreateObject();
    cJSON_AddNumberToObject(ri, "round", 0);
    cJSON_AddNumberToObject(ri, "kept", (double)taken);
    cJSON_AddItemToArray(ds->rounds_info, ri);
}

/* NAME.embeddings.jsonl: {"id", "embedding": [dim numbers]} per kept record,
 * in the order of NAME.jsonl; %.6g (the C locale), so the bytes are a pure
 * function of the vectors. A non-finite component (a broken embedding
 * server) is written as 0 so the line stays JSON. */
static int write_embeddings(const struct ds *ds, const char *path)
{
    struct buf b = BUF_INIT;
    long i = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, ds->kept) {
        buf_puts(&b, "{\"id\":");
        const char *id = jstr(rec, "id");
        buf_put_json_string(&b, id ? id : "", id ? strlen(id) : 0);
        buf_puts(&b, ",\"embedding\":[");
        const float *v = ds->kept_emb + (size_t)i * ds->emb_dim;
        for (int d = 0; d < ds->emb_dim; d++) {
            if (d) buf_putc(&b, ',');
            if (isfinite(v[d])) buf_appendf(&b, "%.6g", (double)v[d]);
            else buf_putc(&b, '0');
        }
        buf_puts(&b, "]}\n");
        i++;
    }
    int rc = fileio_write_atomic(path, b.data ? b.data : "", b.len);
    buf_release(&b);
    return rc;
}

static int write_outputs(struct ds *ds, double t0)
{
    char *dir = path_join(ds->ctx->opts->out_dir, "datasets");
    char *pj = xasprintf("%s/%s.jsonl", dir, ds->dc->name);
    char *pr = xasprintf("%s/%s.rejected.jsonl", dir, ds->dc->name);
    char *ps = xasprintf("%s/%s.stats.json", dir, ds->dc->name);
    char *pe = xasprintf("%s/%s.embeddings.jsonl", dir, ds->dc->name);
    int rc = fileio_mkdirs(dir);
    if (!rc) rc = write_jsonl_atomic(pr, ds->rejected);
    bool emb = ds->dc->dedup && ds->dc->embedding_model && ds->dc->method != METHOD_SEED;
    if (!rc && emb && ds->kept_emb_ok && ds->kept_emb_n == cJSON_GetArraySize(ds->kept))
        rc = write_embeddings(ds, pe);
    else if (!rc && unlink(pe) != 0 && errno != ENOENT) /* stale, from another config */
        rc = err(GRA_EIO, "%s: cannot remove: %s", pe, strerror(errno));
    if (!rc) {
        cJSON *st = build_stats(ds, now_s() - t0);
        char *txt = cJSON_Print(st);
        struct buf b = BUF_INIT;
        buf_puts(&b, txt);
        buf_putc(&b, '\n');
        rc = fileio_write_atomic(ps, b.data, b.len);
        buf_release(&b);
        free(txt);
        cJSON_Delete(st);
    }
    /* the records file last: its presence means the dataset is complete */
    if (!rc) rc = write_jsonl_atomic(pj, ds->kept);
    if (!rc)
        log_info("dataset %s: %d records -> %s (%d rejected)", ds->dc->name,
                 cJSON_GetArraySize(ds->kept), pj, cJSON_GetArraySize(ds->rejected));
    free(dir);
    free(pj);
    free(pr);
    free(ps);
    free(pe);
    return rc;
}

/* ------------------------------------------------------------------------
 * The dataset driver
 */
static int check_state_config(struct ds *ds)
{
    char *p = path_join(ds->state_dir, "config.sha256");
    int rc = 0;
    if (fileio_exists(p)) {
        char *old = NULL;
        size_t len = 0;
        rc = fileio_read(p, &old, &len);
        if (!rc && (len < 64 || memcmp(old, ds->cfg_hash, 64) != 0))
            rc = err(GRA_ESTATE, "%s: this state was made by a different configuration of dataset "
                     "%s (or different prompts); use a fresh --out, or delete %s to start the "
                     "dataset over", p, ds->dc->name, ds->state_dir);
        free(old);
    } else {
        char line[66];
        snprintf(line, sizeof line, "%s\n", ds->cfg_hash);
        rc = fileio_write_atomic(p, line, 65);
    }
    free(p);
    return rc;
}

static long read_match_count(struct synth_ctx *ctx, const char *name, int *rc)
{
    char *p = xasprintf("%s/datasets/%s.stats.json", ctx->opts->out_dir, name);
    char *j = xasprintf("%s/datasets/%s.jsonl", ctx->opts->out_dir, name);
    long n = -1;
    *rc = 0;
    if (fileio_exists(p) && fileio_exists(j)) {
        cJSON *st = NULL;
        *rc = json_read_file(p, &st);
        if (!*rc) n = (long)jnum(cJSON_GetObjectItemCaseSensitive(st, "counts"), "kept", -1);
        cJSON_Delete(st);
    }
    free(p);
    free(j);
    return n;
}

static void ds_release(struct ds *ds)
{
    seeds_free(ds->seeds, ds->n_seeds);
    cJSON_Delete(ds->seed_meta);
    cJSON_Delete(ds->pool_owner);
    pool_free(&ds->pool);
    cJSON_Delete(ds->kept);
    cJSON_Delete(ds->rejected);
    cJSON_Delete(ds->embed_calls);
    cJSON_Delete(ds->rounds_info);
    cJSON_Delete(ds->prompt_hashes);
    dedup_free(ds->dd);
    free(ds->kept_emb);
    seeds_defer_free(ds);
    sched_free(ds->sched);
    free(ds->state_dir);
}

int synth_dataset_run(struct synth_ctx *ctx, const struct dataset_cfg *dc)
{
    double t0 = now_s();
    log_debug("synth %s: %.3f dataset start", dc->name, t0);
    struct ds ds = {.ctx = ctx, .dc = dc, .round = 1, .step = 1, .kept_emb_ok = true};
    ds.kept = cJSON_CreateArray();
    ds.rejected = cJSON_CreateArray();
    ds.embed_calls = cJSON_CreateArray();
    ds.pool_owner = cJSON_CreateArray();
    ds.rounds_info = cJSON_CreateArray();
    ds.prompt_hashes = cJSON_CreateObject();
    ds.state_dir = xasprintf("%s/state/%s", ctx->opts->out_dir, dc->name);
    ds.sched = sched_new(&ds);
    for (int i = 0; i < dc->n_models; i++) {
        const struct model_cfg *m = config_model(ctx->cfg, dc->models[i]);
        ds.simulated |= m && m->sim;
    }
    const struct model_cfg *em = dc->embedding_model ? config_model(ctx->cfg, dc->embedding_model) : NULL;
    ds.simulated |= em && em->sim;
    for (int k = 0; k < PROMPT_N; k++)
        cJSON_AddStringToObject(ds.prompt_hashes, ctx->prompts.p[k].name, ctx->prompts.p[k].hash);

    int rc = 0;
    /* config identity of the state */
    char *cj = synth_cfg_dataset_json(ctx->cfg, dc);
    char *ph = cJSON_PrintUnformatted(ds.prompt_hashes);
    struct sha256_ctx *h = sha256_begin();
    sha256_update(h, cj, strlen(cj));
    sha256_update(h, ph, strlen(ph));
    sha256_final(h, ds.cfg_hash);
    free(cj);
    free(ph);

    /* the total for match_count datasets: the referenced dataset's final count */
    if (dc->match_count) {
        ds.total_target = read_match_count(ctx, dc->match_count, &rc);
        if (rc) goto out;
        if (ds.total_target < 0) {
            log_info("dataset %s waits for dataset %s (match_count)", dc->name, dc->match_count);
            rc = DS_WAITING;
            goto out;
        }
    }
    rc = fileio_mkdirs(ds.state_dir);
    if (!rc) rc = check_state_config(&ds);
    if (rc) goto out;
    rc = seeds_load(dc->seed_files, dc->n_seed_files, dc->seeds_fail_on_bad,
                    rng_derive(ctx->cfg->seed, "seeds", 0), &ds.seeds, &ds.n_seeds, &ds.n_seeds_bad);
    if (rc) goto out;
    if (ds.n_seeds == 0) {
        rc = err(GRA_EPARSE, "dataset %s: no usable seed records", dc->name);
        goto out;
    }
    if (dc->method == METHOD_SEED && !dc->match_count) ds.total_target = ds.n_seeds;
    rc = seeds_step(&ds);
    if (rc) goto out;
    if (ds.pool.n == 0 && dc->method != METHOD_SEED) {
        rc = err(GRA_EPARSE, "dataset %s: no seed record got metadata; cannot build the pool", dc->name);
        goto out;
    }
    if (dc->method == METHOD_SEED) {
        seed_records(&ds);
    } else {
        long n;
        bool sync = ctx->opts->shard_n > 1 || ctx->opts->merge;
        while (plan_wave(&ds, &n)) {
            char *cp = step_path(&ds, ds.step, ".json");
            bool restore = fileio_exists(cp);
            free(cp);
            if (restore || sync) rc = seeds_defer_finish(&ds);
            if (!rc) rc = restore || sync ? wave_step(&ds, n) : round_run(&ds, n);
            if (rc) goto out;
        }
        rc = seeds_defer_finish(&ds); /* no wave needed them */
        if (rc) goto out;
    }
    /* shards leave the final files to --merge (no two writers of one file) */
    log_debug("synth %s: %.3f writing outputs", dc->name, now_s());
    if (!(ctx->opts->shard_n > 1 && !ctx->opts->merge)) rc = write_outputs(&ds, t0);
    log_debug("synth %s: %.3f outputs written", dc->name, now_s());
out:
    ds_release(&ds);
    return rc;
}
