/*
 * sim_student: the SIMULATED student of serve-sim (eval/sim_student.h,
 * docs/sim-students.md).
 *
 * The index. Every test item of the staged benchmarks (GSM8K, MATH, MATH-500,
 * HumanEval, MBPP and its sanitized subset, MMLU, ARC-Challenge/Easy,
 * TruthfulQA MC1) is read once per data directory (lazily, under a mutex) and
 * its question normalised: lowercase letters and digits, every other run of
 * bytes one space. Each item is keyed by a 64-bit hash of the first 32
 * normalised characters of its question (the whole question when shorter).
 * The templates of benchmarks/ insert the question text verbatim, so the
 * normalised prompt contains the normalised question whatever the template
 * adds around it. Matching slides over the word starts of the normalised
 * last user message, looks each window up, verifies the whole question, and
 * keeps the match that starts LAST (few-shot exemplars come first). Items
 * with the same question (MMLU has many "Which of the following is true?")
 * are told apart by how many of their options appear after it.
 *
 * The answer. Right with probability p (sim_student_p: a logistic in the
 * base skill, a saturating gain in the clean records of related domains, a
 * penalty for the flawed share, minus the item's difficulty), decided by a
 * draw from the model seed and the item (greedy) or from the request's seed
 * (temperature > 0). Right answers are the gold in natural form;
 * wrong answers are plausible. The index and the training measures are
 * read-only after they are built, so the handler is thread-safe.
 */
#include "eval/sim_student.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/rng.h"
#include "core/simflaw.h"
#include "eval/csv.h"
#include "eval/eval.h"

#define KEYLEN 32
#define VERIFY_MAX 4000 /* compare at most this many normalised chars */

/* Constants of the probability model (docs/sim-students.md). */
#define SIM_GAIN 1.2      /* G: most logits training can add */
#define SIM_N0 400.0      /* N0: clean records for 63% of the gain */
#define SIM_FLAW_COST 3.0 /* F: logits lost at a 100% flawed share */

enum kind { K_GSM8K, K_MATH, K_MC, K_MC_MULTI, K_HUMANEVAL, K_MBPP };

struct sitem {
    const char *bench; /* static */
    char *id;
    int dom, kind;
    char *q; /* normalised question */
    size_t qlen;
    char *gold;   /* GSM8K rationale, MATH answer, code solution */
    char *prompt; /* HumanEval prompt (raw) */
    char *entry;  /* code: function the tests call */
    char **opts;  /* MC: normalised option texts */
    int nopts, gold_idx;
    unsigned long gold_mask; /* K_MC_MULTI: true options */
    char **tests;            /* MBPP: normalised test asserts (evidence, not required) */
    int ntests;
};

struct sindex {
    char *dir;
    struct sitem *v;
    int n, cap;
    uint64_t *keys;
    int *slot; /* item index + 1, 0 = empty */
    size_t mask;
    uint64_t klens; /* bit k: some key has length k (1..32) */
    struct sindex *next;
};

static pthread_mutex_t index_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sindex *indexes;

const char *sim_domain_name(int d)
{
    static const char *const names[] = {"math", "code", "knowledge", "reasoning"};
    return d >= 0 && d < SIM_DOM_N ? names[d] : "unknown";
}

/* ---- text ---- */

static void normalise(const char *s, size_t n, struct buf *out)
{
    bool space = true; /* no leading space */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c >= 0x80) {
            buf_putc(out, (char)tolower(c));
            space = false;
        } else if (!space) {
            buf_putc(out, ' ');
            space = true;
        }
    }
    if (out->len && out->data[out->len - 1] == ' ') out->data[--out->len] = '\0';
}

static char *norm_dup(const char *s, size_t *len)
{
    struct buf b = BUF_INIT;
    normalise(s, strlen(s), &b);
    return buf_detach(&b, len);
}

static char *crlf_to_lf(const char *s)
{
    char *o = xmalloc(strlen(s) + 1), *w = o;
    for (; *s; s++)
        if (!(*s == '\r' && s[1] == '\n')) *w++ = *s;
    *w = '\0';
    return o;
}

/* ---- index building ---- */

static struct sitem *add_item(struct sindex *x, const char *bench, const char *id, int dom,
                              int kind, const char *question)
{
    size_t ql;
    char *q = norm_dup(question, &ql);
    if (ql == 0) {
        free(q);
        return NULL;
    }
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 1024;
        x->v = xrealloc(x->v, (size_t)x->cap * sizeof *x->v);
    }
    struct sitem *it = &x->v[x->n++];
    memset(it, 0, sizeof *it);
    it->bench = bench;
    it->id = xstrdup(id);
    it->dom = dom;
    it->kind = kind;
    it->q = q;
    it->qlen = ql;
    return it;
}

static void index_table(struct sindex *x)
{
    size_t cap = 1024;
    while (cap < (size_t)x->n * 3) cap <<= 1;
    x->mask = cap - 1;
    x->keys = xcalloc(cap, sizeof *x->keys);
    x->slot = xcalloc(cap, sizeof *x->slot);
    for (int i = 0; i < x->n; i++) {
        size_t kl = x->v[i].qlen < KEYLEN ? x->v[i].qlen : KEYLEN;
        uint64_t h = hash64(x->v[i].q, kl, 0);
        x->klens |= 1ull << kl;
        size_t s = (size_t)h & x->mask;
        while (x->slot[s]) s = (s + 1) & x->mask;
        x->keys[s] = h;
        x->slot[s] = i + 1;
    }
}

typedef void (*line_fn)(struct sindex *x, const char *bench, long line, const cJSON *o);

/* JSONL (plain or gzip) or a JSON array file: fn for each object. */
static void load_json_records(struct sindex *x, const char *rel, const char *bench, line_fn fn)
{
    char *path = path_join(x->dir, rel);
    char *data = NULL;
    size_t len = 0;
    if (!fileio_exists(path) || fileio_read(path, &data, &len) != 0) {
        log_debug("sim student: %s not staged, its items are unknown", path);
        free(path);
        return;
    }
    const char *p = data;
    while (p < data + len && isspace((unsigned char)*p)) p++;
    if (p < data + len && *p == '[') {
        cJSON *arr = cJSON_ParseWithLengthOpts(data, len, NULL, 0);
        if (!arr) log_warn("sim student: %s: not valid JSON, skipped", path);
        long i = 0;
        const cJSON *o;
        cJSON_ArrayForEach(o, arr) fn(x, bench, i++, o);
        cJSON_Delete(arr);
    } else {
        long line = 0;
        for (const char *s = data; s < data + len; line++) {
            const char *nl = memchr(s, '\n', (size_t)(data + len - s));
            size_t l = nl ? (size_t)(nl - s) : (size_t)(data + len - s);
            if (l > 0) {
                cJSON *o = cJSON_ParseWithLengthOpts(s, l, NULL, 0);
                if (o)
                    fn(x, bench, line, o);
                else
                    log_warn("sim student: %s:%ld: not valid JSON, skipped", path, line + 1);
                cJSON_Delete(o);
            }
            s += l + 1;
        }
    }
    free(data);
    free(path);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void rec_gsm8k(struct sindex *x, const char *bench, long line, const cJSON *o)
{
    const char *q = jstr(o, "question"), *a = jstr(o, "answer");
    if (!q || !a) return;
    char id[32];
    snprintf(id, sizeof id, "test-%ld", line);
    struct sitem *it = add_item(x, bench, id, SIM_DOM_MATH, K_GSM8K, q);
    if (it) it->gold = xstrdup(a);
}

static void rec_math(struct sindex *x, const char *bench, long line, const cJSON *o)
{
    const char *q = jstr(o, "problem"), *a = jstr(o, "answer"), *id = jstr(o, "unique_id");
    char lid[32];
    snprintf(lid, sizeof lid, "test-%ld", line);
    if (!q || !a) return;
    struct sitem *it = add_item(x, bench, id ? id : lid, SIM_DOM_MATH, K_MATH, q);
    if (it) it->gold = xstrdup(a);
}

static void rec_humaneval(struct sindex *x, const char *bench, long line, const cJSON *o)
{
    (void)line;
    const char *p = jstr(o, "prompt"), *c = jstr(o, "canonical_solution");
    const char *e = jstr(o, "entry_point"), *id = jstr(o, "task_id");
    if (!p || !c || !e || !id) return;
    struct sitem *it = add_item(x, bench, id, SIM_DOM_CODE, K_HUMANEVAL, p);
    if (!it) return;
    it->gold = xstrdup(c);
    it->prompt = xstrdup(p);
    it->entry = xstrdup(e);
}

/* The def of code whose name the first test calls. */
static char *mbpp_entry_of(const char *code, const cJSON *tests)
{
    const cJSON *t0 = cJSON_IsArray(tests) ? cJSON_GetArrayItem(tests, 0) : NULL;
    if (!cJSON_IsString(t0)) return NULL;
    for (const char *p = code; (p = strstr(p, "def ")) != NULL; p += 4) {
        if (p != code && !isspace((unsigned char)p[-1])) continue;
        const char *q = p + 4, *e;
        while (*q == ' ') q++;
        for (e = q; isalnum((unsigned char)*e) || *e == '_'; e++) {
        }
        if (e == q) continue;
        size_t nl = (size_t)(e - q);
        /* NAME, optional spaces, "(" ("assert is_Diff (12345) == False") */
        const char *t = t0->valuestring;
        for (const char *s = t; (s = strstr(s, "(")) != NULL; s++) {
            const char *b = s;
            while (b > t && b[-1] == ' ') b--;
            if ((size_t)(b - t) >= nl && !strncmp(b - nl, q, nl) &&
                (b - nl == t ||
                 !(isalnum((unsigned char)b[-(long)nl - 1]) || b[-(long)nl - 1] == '_')))
                return xstrndup(q, nl);
        }
    }
    return NULL;
}

static void rec_mbpp(struct sindex *x, const char *bench, long line, const cJSON *o)
{
    (void)line;
    const char *q = jstr(o, "text");
    if (!q) q = jstr(o, "prompt"); /* sanitized */
    const char *code = jstr(o, "code");
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(o, "task_id");
    if (!q || !code || !cJSON_IsNumber(tid)) return;
    char id[32];
    snprintf(id, sizeof id, "%d", tid->valueint);
    struct sitem *it = add_item(x, bench, id, SIM_DOM_CODE, K_MBPP, q);
    if (!it) return;
    it->gold = crlf_to_lf(code);
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(o, "test_list");
    it->entry = mbpp_entry_of(it->gold, tl);
    /* MBPP and its sanitized subset share tasks whose tests differ: the tests
     * a prompt shows tell them apart */
    int nt = cJSON_GetArraySize(tl);
    it->tests = xcalloc((size_t)(nt > 0 ? nt : 1), sizeof *it->tests);
    const cJSON *t;
    cJSON_ArrayForEach(t, tl)
    {
        if (cJSON_IsString(t)) it->tests[it->ntests++] = norm_dup(t->valuestring, NULL);
    }
}

static void set_options(struct sitem *it, const char *const *texts, int n, int gold)
{
    it->opts = xcalloc((size_t)n, sizeof *it->opts);
    for (int i = 0; i < n; i++) it->opts[i] = norm_dup(texts[i], NULL);
    it->nopts = n;
    it->gold_idx = gold;
}

static void rec_arc(struct sindex *x, const char *bench, long line, const cJSON *o)
{
    (void)line;
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "question");
    const char *stem = jstr(q, "stem"), *key = jstr(o, "answerKey"), *id = jstr(o, "id");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(q, "choices");
    if (!stem || !key || !id || !cJSON_IsArray(ch)) return;
    const char *texts[8];
    int n = 0, gold = -1;
    const cJSON *c;
    cJSON_ArrayForEach(c, ch)
    {
        if (n == 8) break;
        const char *t = jstr(c, "text"), *l = jstr(c, "label");
        if (!t || !l) return;
        if (!strcmp(l, key)) gold = n;
        texts[n++] = t;
    }
    if (gold < 0) return;
    int dom = !strcmp(bench, "arc_challenge") ? SIM_DOM_REASONING : SIM_DOM_KNOWLEDGE;
    struct sitem *it = add_item(x, bench, id, dom, K_MC, stem);
    if (it) set_options(it, texts, n, gold);
}

/* TruthfulQA: one MC1 item (one true option) and one MC2 item (a set of
 * true statements) per question. */
static void rec_truthfulqa(struct sindex *x, const char *bench, long line, const cJSON *o)
{
    (void)bench;
    const char *q = jstr(o, "question");
    if (!q) return;
    char id[32];
    snprintf(id, sizeof id, "%ld", line);
    for (int multi = 0; multi < 2; multi++) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, multi ? "mc2_targets" : "mc1_targets");
        if (!cJSON_IsObject(t)) continue;
        const char *texts[32];
        int n = 0, gold = -1;
        unsigned long mask = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, t)
        {
            if (n == 32) break;
            if (cJSON_IsNumber(c) && c->valueint == 1) {
                if (gold < 0) gold = n;
                mask |= 1ul << n;
            }
            texts[n++] = c->string;
        }
        if (gold < 0) continue;
        struct sitem *it = add_item(x, multi ? "truthfulqa_mc2" : "truthfulqa_mc1", id,
                                    SIM_DOM_KNOWLEDGE, multi ? K_MC_MULTI : K_MC, q);
        if (!it) continue;
        set_options(it, texts, n, gold);
        it->gold_mask = mask;
    }
}

struct mmlu_ctx {
    struct sindex *x;
    const char *subject;
};

static int mmlu_row(void *ud, long row, long line, char **f, int nf)
{
    (void)line;
    struct mmlu_ctx *c = ud;
    if (nf < 6 || strlen(f[5]) != 1 || f[5][0] < 'A' || f[5][0] > 'D') return 0;
    char *id = xasprintf("%s-%ld", c->subject, row);
    struct sitem *it = add_item(c->x, "mmlu", id, SIM_DOM_KNOWLEDGE, K_MC, f[0]);
    free(id);
    if (it) set_options(it, (const char *const *)&f[1], 4, f[5][0] - 'A');
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_mmlu(struct sindex *x)
{
    char *dir = path_join(x->dir, "mmlu/test");
    DIR *d = opendir(dir);
    if (!d) {
        log_debug("sim student: %s not staged", dir);
        free(dir);
        return;
    }
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 9 && !strcmp(e->d_name + l - 9, "_test.csv")) {
            names = xrealloc(names, (size_t)(n + 1) * sizeof *names);
            names[n++] = xstrdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char *path = path_join(dir, names[i]);
        char *data = NULL;
        size_t len = 0;
        if (fileio_read(path, &data, &len) == 0) {
            char *subject = xstrndup(names[i], strlen(names[i]) - 9);
            struct mmlu_ctx c = {x, subject};
            if (csv_parse(path, data, len, mmlu_row, &c) != 0)
                log_warn("sim student: %s: unreadable CSV, items after the error unknown", path);
            free(subject);
            free(data);
        }
        free(path);
        free(names[i]);
    }
    free(names);
    free(dir);
}

static char *default_data_dir(void)
{
    const char *e = getenv("GRA_DATA_DIR");
    if (e && *e) return xstrdup(e);
    return xasprintf("%s/../shared/data", GRA_SOURCE_DIR);
}

static struct sindex *index_get(const char *data_dir)
{
    char *dir = data_dir && *data_dir ? xstrdup(data_dir) : default_data_dir();
    pthread_mutex_lock(&index_mu);
    struct sindex *x;
    for (x = indexes; x; x = x->next)
        if (!strcmp(x->dir, dir)) break;
    if (!x) {
        x = xcalloc(1, sizeof *x);
        x->dir = dir;
        dir = NULL;
        load_json_records(x, "gsm8k/test.jsonl", "gsm8k", rec_gsm8k);
        load_json_records(x, "math500/test.jsonl", "math500", rec_math);
        load_json_records(x, "math/math_test.jsonl", "math", rec_math);
        load_json_records(x, "humaneval/HumanEval.jsonl.gz", "humaneval", rec_humaneval);
        load_json_records(x, "mbpp/mbpp.jsonl", "mbpp", rec_mbpp);
        load_json_records(x, "mbpp/sanitized-mbpp.json", "mbpp_sanitized", rec_mbpp);
        load_json_records(x, "arc/ARC-Challenge-Test.jsonl", "arc_challenge", rec_arc);
        load_json_records(x, "arc/ARC-Easy-Test.jsonl", "arc_easy", rec_arc);
        load_json_records(x, "truthfulqa/v1/mc_task.json", "truthfulqa", rec_truthfulqa);
        load_mmlu(x);
        index_table(x);
        log_info("sim student: indexed %d benchmark items from %s (SIMULATED student)", x->n,
                 x->dir);
        x->next = indexes;
        indexes = x;
    }
    pthread_mutex_unlock(&index_mu);
    free(dir);
    return x;
}

/* ---- matching ---- */

/* First word-bounded occurrence of o at or after from; with a single-letter
 * label in front when labelled is set ("(b) text", "b. text" normalise to
 * "b text"). Offset or (size_t)-1. */
static size_t find_option(const char *p, size_t len, size_t from, const char *o, bool labelled)
{
    size_t ol = strlen(o);
    for (const char *s = p + from; ol && (s = strstr(s, o)) != NULL; s++) {
        size_t at = (size_t)(s - p);
        if (!(at + ol == len || p[at + ol] == ' ') || !(at == 0 || p[at - 1] == ' ')) continue;
        if (!labelled ||
            (at >= 2 && isalpha((unsigned char)p[at - 2]) && (at == 2 || p[at - 3] == ' ')))
            return at;
    }
    return (size_t)-1;
}

/* How many options of it occur after position pos in p; labels[i] gets the
 * letter printed in front of option i, '\0' when there is none. When two
 * options claim the same label (one text is a prefix of the other: "No one
 * invented it." and "No one invented it but ..."), the shorter one looks
 * further. */
static int options_found(const struct sitem *it, const char *p, size_t len, size_t pos,
                         char *labels)
{
    int found = 0;
    size_t at[64];
    int n = it->nopts < 64 ? it->nopts : 64;
    for (int i = 0; i < n; i++) {
        labels[i] = '\0';
        if (!it->opts[i][0]) { /* punctuation only ("//"): cannot be checked */
            found++;
            at[i] = (size_t)-1;
            continue;
        }
        found += find_option(p, len, pos, it->opts[i], false) != (size_t)-1;
        at[i] = find_option(p, len, pos, it->opts[i], true);
    }
    for (int round = 0; round < 8; round++) {
        bool moved = false;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++) {
                if (i == k || at[i] == (size_t)-1 || at[i] != at[k]) continue;
                int shorter = strlen(it->opts[i]) < strlen(it->opts[k]) ? i : k;
                at[shorter] = find_option(p, len, at[shorter] + 1, it->opts[shorter], true);
                moved = true;
            }
        if (!moved) break;
    }
    for (int i = 0; i < n; i++)
        if (at[i] != (size_t)-1) labels[i] = (char)toupper((unsigned char)p[at[i] - 2]);
    return found;
}

struct match {
    const struct sitem *it;
    size_t pos;
    bool at_end; /* the question ends the prompt */
};

struct cand {
    const struct sitem *it;
    size_t pos, end;
    int nopt;  /* options, or for MBPP tests, present after the question */
    int total; /* options or tests the item has */
};

/* Every verified occurrence of an item's question in p; then the rules:
 * an MC item needs all of its options after its question (so a generic
 * question, or one quoted inside an option, is not taken for the item); an
 * occurrence inside a longer one is dropped ("Which of the following
 * statements is correct" inside a longer question); the occurrence that
 * starts last wins (few-shot exemplars come first); at the same start, more
 * options found, then the longer question. */
static bool find_item(const struct sindex *x, const char *p, size_t len, struct match *m)
{
    memset(m, 0, sizeof *m);
    if (!x->n || !len) return false;
    struct cand *c = NULL;
    int nc = 0, capc = 0;
    char labels[64];
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && p[i - 1] != ' ') continue;
        for (size_t kl = 1; kl <= KEYLEN; kl++) {
            if (!(x->klens & (1ull << kl)) || i + kl > len) continue;
            if (kl < KEYLEN && i + kl < len && p[i + kl] != ' ') continue;
            uint64_t h = hash64(p + i, kl, 0);
            for (size_t s = (size_t)h & x->mask; x->slot[s]; s = (s + 1) & x->mask) {
                if (x->keys[s] != h) continue;
                const struct sitem *it = &x->v[x->slot[s] - 1];
                size_t cl = it->qlen < VERIFY_MAX ? it->qlen : VERIFY_MAX;
                if (i + cl > len || memcmp(p + i, it->q, cl) != 0) continue;
                if (cl == it->qlen && i + cl < len && p[i + cl] != ' ') continue;
                int nopt = it->nopts ? options_found(it, p, len, i + cl, labels) : 0;
                if (nopt < it->nopts) continue; /* MC: all options follow */
                int total = it->nopts;
                if (it->ntests) {
                    total = it->ntests;
                    for (int k = 0; k < it->ntests; k++)
                        nopt += find_option(p, len, i + cl, it->tests[k], false) != (size_t)-1;
                }
                if (nc == capc) {
                    capc = capc ? capc * 2 : 16;
                    c = xrealloc(c, (size_t)capc * sizeof *c);
                }
                c[nc++] = (struct cand){it, i, i + cl, nopt, total};
            }
        }
    }
    bool wants_multi = strstr(p, "statements") != NULL ||
                       (strstr(p, " all ") != NULL && strstr(p, " true") != NULL);
    int best = -1;
    for (int a = 0; a < nc; a++) {
        bool inside = false;
        for (int b = 0; b < nc && !inside; b++)
            inside = b != a && c[b].pos <= c[a].pos && c[b].end >= c[a].end &&
                     c[b].end - c[b].pos > c[a].end - c[a].pos;
        if (inside) continue;
        if (best < 0 || c[a].pos > c[best].pos) {
            best = a;
            continue;
        }
        if (c[a].pos < c[best].pos) continue;
        /* same start: the larger share of its options (MBPP: tests) present
         * (TruthfulQA's MC1 options are a subset of its MC2 statements; MBPP
         * and its sanitized subset differ in tests), then more present, then
         * the longer question */
        long ra = c[a].total ? (long)c[a].nopt * (c[best].total ? c[best].total : 1)
                             : (c[best].total ? c[best].total : 1);
        long rb = c[best].total ? (long)c[best].nopt * (c[a].total ? c[a].total : 1)
                                : (c[a].total ? c[a].total : 1);
        if (ra != rb) {
            if (ra > rb) best = a;
        } else if (c[a].nopt != c[best].nopt) {
            if (c[a].nopt > c[best].nopt) best = a;
        } else if (c[a].it->qlen != c[best].it->qlen) {
            if (c[a].it->qlen > c[best].it->qlen) best = a;
        } else if ((c[a].it->kind == K_MC_MULTI) != (c[best].it->kind == K_MC_MULTI)) {
            /* the same question and options as MC1 and as MC2: the prompt's
             * wording says whether one letter or a set is asked for */
            if ((c[a].it->kind == K_MC_MULTI) == wants_multi) best = a;
        }
    }
    if (best >= 0) {
        m->it = c[best].it;
        m->pos = c[best].pos;
        m->at_end = c[best].end >= len;
    }
    free(c);
    return best >= 0;
}

/* ---- the probability model ---- */

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

double sim_student_p(double base_skill, double clean_eff, double flaw_rate, double difficulty)
{
    double s = base_skill < 0.005 ? 0.005 : base_skill > 0.995 ? 0.995 : base_skill;
    double z = log(s / (1.0 - s));
    if (clean_eff > 0) z += SIM_GAIN * (1.0 - exp(-clean_eff / SIM_N0));
    if (flaw_rate > 0) z -= SIM_FLAW_COST * flaw_rate;
    return sigmoid(z - difficulty);
}

double sim_student_difficulty(const char *bench, const char *item_id)
{
    char key[256];
    snprintf(key, sizeof key, "%s/%s", bench, item_id);
    struct rng r;
    rng_seed(&r, hash64(key, strlen(key), 0xd1ff));
    return rng_normal(&r);
}

/* Related-domain weights: benchmark domain x record domain (the paper's 7). */
static const char *const rec_domains[] = {"coding",          "math",      "question answering",
                                          "reasoning",       "role-play", "language",
                                          "creative writing"};
static const double rel_w[SIM_DOM_N][7] = {
    /* coding math  qa   reas  role  lang  creative */
    {0.1, 1.0, 0.1, 0.4, 0.0, 0.0, 0.0}, /* math */
    {1.0, 0.2, 0.0, 0.2, 0.0, 0.0, 0.0}, /* code */
    {0.0, 0.0, 1.0, 0.2, 0.1, 0.3, 0.1}, /* knowledge */
    {0.2, 0.4, 0.3, 1.0, 0.0, 0.1, 0.0}, /* reasoning */
};

struct measure_ctx {
    const char *path;
    long clean[7], flawed[7];
    struct sim_training *t;
    int rc;
};

static int measure_line(void *ud, long lineno, struct cJSON *o, const char *errmsg)
{
    struct measure_ctx *c = ud;
    if (!o) {
        c->rc = err(GRA_EPARSE, "%s:%ld: %s", c->path, lineno, errmsg ? errmsg : "not JSON");
        return 1;
    }
    const char *dom = jstr(o, "domain"), *ins = jstr(o, "instruction"), *res = jstr(o, "response");
    if (!dom || !ins || !res) {
        c->rc = err(GRA_EPARSE, "%s:%ld: %s: expected a string", c->path, lineno,
                    !dom   ? "domain"
                    : !ins ? "instruction"
                           : "response");
        return 1;
    }
    c->t->records++;
    bool flawed = simflaw_detect(ins, res) != 0;
    if (flawed) c->t->flawed++;
    for (int d = 0; d < 7; d++) {
        if (strcmp(dom, rec_domains[d])) continue;
        if (flawed)
            c->flawed[d]++;
        else
            c->clean[d]++;
    }
    return 0;
}

int sim_student_measure(const char *path, struct sim_training *t)
{
    memset(t, 0, sizeof *t);
    if (!fileio_exists(path)) return err(GRA_EIO, "%s: trained_on dataset not found", path);
    struct measure_ctx c;
    memset(&c, 0, sizeof c);
    c.path = path;
    c.t = t;
    int rc = jsonl_foreach(path, measure_line, &c);
    if (c.rc) return c.rc;
    if (rc < 0) return rc;
    for (int b = 0; b < SIM_DOM_N; b++) {
        double clean = 0, flawed = 0;
        for (int d = 0; d < 7; d++) {
            clean += rel_w[b][d] * (double)c.clean[d];
            flawed += rel_w[b][d] * (double)c.flawed[d];
        }
        t->clean_eff[b] = clean;
        t->flaw_rate[b] = clean + flawed > 0 ? flawed / (clean + flawed) : 0;
    }
    return 0;
}

/* Training measures, one per resolved path, kept for the process. */
struct tcache {
    char *path;
    int rc;
    struct sim_training t;
    struct tcache *next;
};
static pthread_mutex_t train_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tcache *trains;

static int training_get(const char *path, struct sim_training *out)
{
    pthread_mutex_lock(&train_mu);
    struct tcache *c;
    for (c = trains; c; c = c->next)
        if (!strcmp(c->path, path)) break;
    if (!c) {
        c = xcalloc(1, sizeof *c);
        c->path = xstrdup(path);
        c->rc = sim_student_measure(path, &c->t);
        if (c->rc == 0)
            log_info("sim student: %s: %ld records, %ld flawed (SIMULATED training)", path,
                     c->t.records, c->t.flawed);
        c->next = trains;
        trains = c;
    }
    *out = c->t;
    int rc = c->rc;
    pthread_mutex_unlock(&train_mu);
    return rc;
}

/* "${VAR}" expanded from the environment; relative paths against
 * $GRA_RUN_DIR when set. Heap string, or NULL with msg filled. */
static char *resolve_trained_on(const char *s, char *msg, size_t msgn)
{
    struct buf b = BUF_INIT;
    for (const char *p = s; *p;) {
        if (p[0] == '$' && p[1] == '{') {
            const char *e = strchr(p + 2, '}');
            if (!e) {
                snprintf(msg, msgn, "student.trained_on: unterminated ${ in \"%s\"", s);
                buf_release(&b);
                return NULL;
            }
            char *name = xstrndup(p + 2, (size_t)(e - p - 2));
            const char *v = getenv(name);
            if (!v || !*v) {
                snprintf(msg, msgn, "student.trained_on: environment variable %s is not set", name);
                free(name);
                buf_release(&b);
                return NULL;
            }
            buf_puts(&b, v);
            free(name);
            p = e + 1;
        } else {
            buf_putc(&b, *p++);
        }
    }
    const char *run = getenv("GRA_RUN_DIR");
    if (b.data[0] != '/' && run && *run) {
        char *j = path_join(run, b.data);
        buf_release(&b);
        return j;
    }
    return buf_detach(&b, NULL);
}

struct profile {
    double base[SIM_DOM_N];
    struct sim_training train;
    bool trained;
};

/* 0, SIM_DECLINE (no student section), or 1 with msg set. */
static int profile_read(const struct sim_model *m, struct profile *pr, char *msg, size_t msgn)
{
    memset(pr, 0, sizeof *pr);
    const cJSON *st = m && m->spec ? cJSON_GetObjectItemCaseSensitive(m->spec, "student") : NULL;
    if (!cJSON_IsObject(st)) return SIM_DECLINE;
    const cJSON *k;
    cJSON_ArrayForEach(k, st)
    {
        if (strcmp(k->string, "base_skill") && strcmp(k->string, "trained_on") &&
            strcmp(k->string, "comment")) {
            snprintf(msg, msgn,
                     "model %s: student.%s: unknown key (allowed: base_skill, "
                     "trained_on, comment)",
                     m->name, k->string);
            return 1;
        }
    }
    const cJSON *bs = cJSON_GetObjectItemCaseSensitive(st, "base_skill");
    if (!cJSON_IsObject(bs)) {
        snprintf(msg, msgn,
                 "model %s: student.base_skill: expected an object with math, code, "
                 "knowledge, reasoning in [0, 1]",
                 m->name);
        return 1;
    }
    cJSON_ArrayForEach(k, bs)
    {
        int d;
        for (d = 0; d < SIM_DOM_N; d++)
            if (!strcmp(k->string, sim_domain_name(d))) break;
        if (d == SIM_DOM_N) {
            snprintf(msg, msgn,
                     "model %s: student.base_skill.%s: unknown domain (math, code, "
                     "knowledge, reasoning)",
                     m->name, k->string);
            return 1;
        }
    }
    for (int d = 0; d < SIM_DOM_N; d++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(bs, sim_domain_name(d));
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1) {
            snprintf(msg, msgn, "model %s: student.base_skill.%s: expected a number in [0, 1]",
                     m->name, sim_domain_name(d));
            return 1;
        }
        pr->base[d] = v->valuedouble;
    }
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(st, "trained_on");
    if (to && !cJSON_IsNull(to)) {
        if (!cJSON_IsString(to) || !*to->valuestring) {
            snprintf(msg, msgn, "model %s: student.trained_on: expected a path string", m->name);
            return 1;
        }
        char *path = resolve_trained_on(to->valuestring, msg, msgn);
        if (!path) return 1;
        int rc = training_get(path, &pr->train);
        if (rc) {
            const char *run = getenv("GRA_RUN_DIR");
            snprintf(msg, msgn, "model %s: student.trained_on: %s: %s%s", m->name, path,
                     rc == GRA_EIO ? "cannot read the dataset" : "malformed dataset",
                     path[0] != '/' && !(run && *run)
                         ? " (relative path and GRA_RUN_DIR unset: resolved against the "
                           "server's current directory)"
                         : "");
            free(path);
            return 1;
        }
        free(path);
        pr->trained = true;
    }
    return 0;
}

static double profile_p(const struct profile *pr, const char *bench, const char *id, int dom)
{
    double clean = pr->trained ? pr->train.clean_eff[dom] : 0;
    double flaw = pr->trained ? pr->train.flaw_rate[dom] : 0;
    return sim_student_p(pr->base[dom], clean, flaw, sim_student_difficulty(bench, id));
}

double sim_student_item_p(const struct sim_model *m, const char *bench, const char *item_id,
                          int domain)
{
    struct profile pr;
    char msg[256];
    if (domain < 0 || domain >= SIM_DOM_N) return -1;
    if (profile_read(m, &pr, msg, sizeof msg) != 0) return -1;
    return profile_p(&pr, bench, item_id, domain);
}

/* ---- replies ---- */

/* GSM8K rationale without the <<calc>> annotations. */
static void put_gsm8k_rationale(struct buf *b, const char *gold, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (gold[i] == '<' && i + 1 < n && gold[i + 1] == '<') {
            const char *e = strstr(gold + i, ">>");
            if (e && (size_t)(e - gold) < n) {
                i = (size_t)(e - gold) + 1;
                continue;
            }
        }
        buf_putc(b, gold[i]);
    }
}

/* A different number near v (integers stay integers). */
static void put_nearby_number(struct buf *b, const char *num, struct rng *r)
{
    char clean[64];
    size_t k = 0;
    for (const char *p = num; *p && k + 1 < sizeof clean; p++)
        if (*p != ',' && *p != '$' && !isspace((unsigned char)*p)) clean[k++] = *p;
    clean[k] = '\0';
    char *end;
    double v = strtod(clean, &end);
    if (end == clean) {
        buf_puts(b, "0");
        return;
    }
    bool integer = !strchr(clean, '.');
    long span = (long)(fabs(v) / 10.0);
    if (span < 1) span = 1;
    long d = 1 + (long)rng_below(r, (uint64_t)span + 2);
    double w = rng_below(r, 2) ? v + (double)d : v - (double)d;
    if (w < 0 && v >= 0) w = v + (double)d;
    if (integer)
        buf_appendf(b, "%ld", (long)llround(w));
    else
        buf_appendf(b, "%.2f", w);
}

static void reply_gsm8k(const struct sitem *it, bool right, struct rng *r, struct buf *o)
{
    const char *g = it->gold, *h = strstr(g, "####");
    size_t body = h ? (size_t)(h - g) : strlen(g);
    put_gsm8k_rationale(o, g, body);
    const char *ans = h ? h + 4 : "0";
    while (*ans == ' ') ans++;
    buf_puts(o, "#### ");
    if (right)
        buf_puts(o, ans);
    else
        put_nearby_number(o, ans, r);
}

/* A wrong MATH answer: the first digit run changed (not the last: that may
 * sit in a unit, "5\text{ cm}^2", which normalisers strip), else "+1"
 * appended. */
static void put_wrong_math(struct buf *o, const char *ans, struct rng *r)
{
    const char *last = NULL, *le = NULL;
    for (const char *p = ans; *p && !last; p++) {
        if (isdigit((unsigned char)*p)) {
            last = p;
            for (le = p; isdigit((unsigned char)*le); le++) {
            }
        }
    }
    if (!last) {
        buf_appendf(o, "%s+1", ans);
        return;
    }
    buf_append(o, ans, (size_t)(last - ans));
    long v = strtol(last, NULL, 10);
    long w = v + 1 + (long)rng_below(r, 3);
    buf_appendf(o, "%ld", w);
    buf_puts(o, le);
}

static void reply_math(const struct sitem *it, bool right, struct rng *r, struct buf *o)
{
    buf_puts(
        o,
        "Working through the problem step by step and simplifying, the final answer is $\\boxed{");
    if (right)
        buf_puts(o, it->gold);
    else
        put_wrong_math(o, it->gold, r);
    buf_puts(o, "}$.");
}

static void reply_mc(const struct sitem *it, bool right, struct rng *r, const char *p, size_t len,
                     size_t pos, struct buf *o)
{
    char labels[64];
    options_found(it, p, len, pos + it->qlen, labels);
    int pick = it->gold_idx;
    if (!right && it->nopts > 1) {
        pick = (int)rng_below(r, (uint64_t)it->nopts - 1);
        if (pick >= it->gold_idx) pick++;
    }
    char label = labels[pick] ? labels[pick] : (char)('A' + pick);
    /* both markers the MC extractors read: "answer is (X)" and "Answer: X" */
    buf_appendf(o,
                "Looking at each option in turn, the best supported one is (%c).\n"
                "The answer is (%c).\nAnswer: %c",
                label, label, label);
}

/* TruthfulQA MC2: the letters of all true statements ("Answer: A, C");
 * wrong: one statement's membership flipped. */
static void reply_mc_multi(const struct sitem *it, bool right, struct rng *r, const char *p,
                           size_t len, size_t pos, struct buf *o)
{
    char labels[64];
    options_found(it, p, len, pos + it->qlen, labels);
    unsigned long mask = it->gold_mask;
    if (!right && it->nopts > 1) {
        unsigned long flip;
        do {
            flip = 1ul << rng_below(r, (uint64_t)it->nopts);
        } while ((mask ^ flip) == 0);
        mask ^= flip;
    }
    /* in the order the prompt labels them */
    char set[64];
    int k = 0;
    for (int i = 0; i < it->nopts && i < 63; i++)
        if (mask & (1ul << i)) set[k++] = labels[i] ? labels[i] : (char)('A' + i);
    for (int a = 1; a < k; a++)
        for (int b = a; b > 0 && set[b - 1] > set[b]; b--) {
            char t = set[b];
            set[b] = set[b - 1];
            set[b - 1] = t;
        }
    buf_puts(
        o,
        "Checking each statement against what is known, the true ones are listed below.\nAnswer: ");
    for (int i = 0; i < k; i++) buf_appendf(o, "%s%c", i ? ", " : "", set[i]);
}

/* Code with an early `return None` as the first statement of the function
 * entry (a plausible wrong solution that fails its tests). */
static char *wrong_code(const char *code, const char *entry)
{
    const char *def = NULL;
    if (entry) {
        size_t el = strlen(entry);
        for (const char *p = code; (p = strstr(p, "def ")) != NULL; p += 4) {
            const char *q = p + 4;
            while (*q == ' ') q++;
            if (!strncmp(q, entry, el) && (q[el] == '(' || q[el] == ' ')) {
                def = p;
                break;
            }
        }
    }
    if (!def) /* the first function at a line start */
        for (const char *p = code; (p = strstr(p, "def ")) != NULL; p += 4)
            if (p == code || p[-1] == '\n') {
                def = p;
                break;
            }
    struct buf b = BUF_INIT;
    if (!def) { /* a completion body: prepend */
        const char *first = code;
        while (*first == '\n') first++;
        size_t ind = strspn(first, " \t");
        buf_append(&b, first, ind ? ind : 0);
        if (!ind) buf_puts(&b, "    ");
        buf_puts(&b, "return None\n");
        buf_puts(&b, code);
        return buf_detach(&b, NULL);
    }
    /* end of the signature: the first ':' outside brackets (it may span
     * lines and carry a "-> List[int]" annotation), then the end of its line */
    const char *colon = def;
    for (int depth = 0; *colon; colon++) {
        if (*colon == '(' || *colon == '[' || *colon == '{')
            depth++;
        else if (*colon == ')' || *colon == ']' || *colon == '}')
            depth--;
        else if (*colon == ':' && depth == 0)
            break;
    }
    const char *eol = strchr(colon, '\n');
    if (!eol) eol = colon + strlen(colon);
    const char *next = *eol ? eol + 1 : eol;
    while (*next == '\n') next++;
    size_t ind = strspn(next, " \t");
    buf_append(&b, code, (size_t)(eol - code));
    buf_putc(&b, '\n');
    if (ind)
        buf_append(&b, next, ind);
    else
        buf_puts(&b, "    ");
    buf_puts(&b, "return None\n");
    if (*eol) buf_puts(&b, eol + 1);
    return buf_detach(&b, NULL);
}

static void reply_code(const struct sitem *it, bool right, bool completion, struct buf *o)
{
    if (it->kind == K_HUMANEVAL && completion) {
        if (right) {
            buf_puts(o, it->gold);
        } else {
            char *w = wrong_code(it->gold, NULL);
            buf_puts(o, w);
            free(w);
        }
        return;
    }
    char *full =
        it->kind == K_HUMANEVAL ? xasprintf("%s%s", it->prompt, it->gold) : xstrdup(it->gold);
    char *code = right ? xstrdup(full) : wrong_code(full, it->entry);
    buf_puts(o, "Here is a solution:\n\n```python\n");
    buf_puts(o, code);
    if (o->len && o->data[o->len - 1] != '\n') buf_putc(o, '\n');
    buf_puts(o, "```\n");
    free(code);
    free(full);
}

/* The text of the last user message (string content or text parts). */
static void last_user_text(const cJSON *body, struct buf *out)
{
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
    const cJSON *last = NULL, *m;
    cJSON_ArrayForEach(m, msgs)
    {
        const char *role = jstr(m, "role");
        if (role && !strcmp(role, "user")) last = m;
    }
    if (!last) return;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(last, "content");
    if (cJSON_IsString(c)) {
        buf_puts(out, c->valuestring);
        return;
    }
    const cJSON *part;
    cJSON_ArrayForEach(part, c)
    {
        const char *t = jstr(part, "text");
        if (t) {
            if (out->len) buf_putc(out, '\n');
            buf_puts(out, t);
        }
    }
}

bool sim_student_lookup(const char *data_dir, const char *prompt, const char **bench,
                        const char **item_id, int *domain)
{
    struct sindex *x = index_get(data_dir);
    size_t len;
    char *p = norm_dup(prompt ? prompt : "", &len);
    struct match mt;
    bool ok = find_item(x, p, len, &mt);
    free(p);
    if (!ok) return false;
    if (bench) *bench = mt.it->bench;
    if (item_id) *item_id = mt.it->id;
    if (domain) *domain = mt.it->dom;
    return true;
}

int sim_student_reply(const struct sim_model *m, const struct cJSON *body, const char *schema_name,
                      uint64_t seed, struct sim_reply *out)
{
    (void)schema_name;
    struct profile pr;
    int rc = profile_read(m, &pr, out->error_message, sizeof out->error_message);
    if (rc) return rc; /* SIM_DECLINE or 1 */

    const char *dd = m->server ? simsrv_data_dir(m->server) : NULL;
    struct sindex *x = index_get(dd);
    struct buf text = BUF_INIT;
    last_user_text(body, &text);
    size_t len;
    char *p = norm_dup(text.data, &len);
    struct match mt;
    struct rng r;
    if (!find_item(x, p, len, &mt)) {
        rng_seed(&r, rng_derive(seed, "student-unknown", 0));
        static const char *const generic[] = {
            "I am not certain about this one. Let me think it through: the question asks for a "
            "careful answer, and I would need more information to be sure.",
            "This is a good question. Based on what I know, I cannot determine the answer with "
            "confidence.",
            "Let me consider the question step by step. I do not have enough information to give "
            "a definite answer.",
        };
        buf_puts(&out->content, generic[rng_below(&r, GRA_ARRAY_LEN(generic))]);
        goto out;
    }
    const struct sitem *it = mt.it;
    double pr_right = profile_p(&pr, it->bench, it->id, it->dom);
    /* Greedy decoding (temperature absent or 0) is deterministic per item:
     * the draw comes from the model seed and the item, so students that share
     * a seed share their draws (common random numbers: a student with a higher
     * p is right on a superset of items, and paired differences reflect p
     * alone). Sampling (temperature > 0) draws from the request's seed, which
     * differs per choice of n > 1. */
    const cJSON *temp = cJSON_GetObjectItemCaseSensitive(body, "temperature");
    char key[256];
    snprintf(key, sizeof key, "%s/%s", it->bench, it->id);
    uint64_t ih = hash64(key, strlen(key), 0);
    if (cJSON_IsNumber(temp) && temp->valuedouble > 0)
        rng_seed(&r, rng_derive(seed, "student-sample", ih));
    else
        rng_seed(&r, rng_derive(m->seed, "student-greedy", ih));
    bool right = rng_uniform(&r) < pr_right;
    switch (it->kind) {
    case K_GSM8K:
        reply_gsm8k(it, right, &r, &out->content);
        break;
    case K_MATH:
        reply_math(it, right, &r, &out->content);
        break;
    case K_MC:
        reply_mc(it, right, &r, p, len, mt.pos, &out->content);
        break;
    case K_MC_MULTI:
        reply_mc_multi(it, right, &r, p, len, mt.pos, &out->content);
        break;
    default: {
        /* completion: the message is the item's prompt and nothing else */
        bool completion = it->kind == K_HUMANEVAL && mt.pos == 0 && mt.at_end;
        reply_code(it, right, completion, &out->content);
        break;
    }
    }
out:
    free(p);
    buf_release(&text);
    return 0;
}

void eval_sim_register(void)
{
    simsrv_register_student(sim_student_reply);
}
