/*
 * decontam: `gra decontam DATASET.jsonl` - which records of a synthesized (or
 * any instruction) dataset share a word n-gram with a benchmark test item
 * (docs/eval.md "Decontamination").
 *
 * Tokens are maximal runs of letters/digits (bytes >= 0x80 count as letters,
 * so UTF-8 words stay whole), lowercased. Every n-gram of every test item
 * (its prompt variables and its gold output) goes into one open-addressing
 * hash table keyed by (64-bit n-gram hash, benchmark), holding the first item
 * that has it; then each record's instruction (+ input) and response are
 * scanned once, n-gram by n-gram, with one probe per benchmark. Memory is
 * 16 bytes per distinct benchmark n-gram; the check is linear in the dataset.
 * A 64-bit hash collision could flag a false match with probability ~1e-10 per
 * record: acceptable for a report, and each hit names the shared n-gram text
 * so a reader can check it.
 *
 * Items with fewer than n tokens cannot share an n-gram and are counted as
 * items_too_short in the summary.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "eval/bench.h"
#include "eval/eval.h"

#define DECONTAM_MAX_LISTED 1000

struct tok {
    const char *s;
    size_t n;
};

/* lowercase word tokens of text into *toks (grown); returns the count */
static size_t tokenize(const char *text, struct buf *low, struct tok **toks, size_t *cap)
{
    buf_reset(low);
    size_t n = 0;
    for (const char *p = text; *p; p++) buf_putc(low, (char)tolower((unsigned char)*p));
    const char *s = low->data;
    size_t i = 0, len = low->len;
    while (i < len) {
        while (i < len && !(isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)) i++;
        size_t st = i;
        while (i < len && (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)) i++;
        if (i > st) {
            if (n == *cap) {
                *cap = *cap ? *cap * 2 : 256;
                *toks = xrealloc(*toks, sizeof **toks * *cap);
            }
            (*toks)[n].s = s + st;
            (*toks)[n].n = i - st;
            n++;
        }
    }
    return n;
}

static uint64_t gram_hash(const struct tok *t, int n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int k = 0; k < n; k++) h = mix64(h ^ hash64(t[k].s, t[k].n, (uint64_t)k));
    return h;
}

struct gram_table {
    uint64_t *keys; /* 0 = empty */
    int32_t *item;
    size_t cap, used;
};

static uint64_t gram_key(uint64_t h, int bench)
{
    uint64_t k = mix64(h + 0x51ed27u * (uint64_t)(bench + 1));
    return k ? k : 1;
}

static void table_grow(struct gram_table *t);

static void table_put(struct gram_table *t, uint64_t key, int32_t item)
{
    if ((t->used + 1) * 10 >= t->cap * 7) table_grow(t);
    size_t m = t->cap - 1, i = key & m;
    while (t->keys[i]) {
        if (t->keys[i] == key) return; /* keep the first item */
        i = (i + 1) & m;
    }
    t->keys[i] = key;
    t->item[i] = item;
    t->used++;
}

static void table_grow(struct gram_table *t)
{
    struct gram_table n = {0};
    n.cap = t->cap ? t->cap * 2 : 1 << 16;
    n.keys = xcalloc(n.cap, sizeof *n.keys);
    n.item = xcalloc(n.cap, sizeof *n.item);
    for (size_t i = 0; i < t->cap; i++)
        if (t->keys[i]) table_put(&n, t->keys[i], t->item[i]);
    free(t->keys);
    free(t->item);
    *t = n;
}

static int32_t table_get(const struct gram_table *t, uint64_t key)
{
    if (!t->cap) return -1;
    size_t m = t->cap - 1, i = key & m;
    while (t->keys[i]) {
        if (t->keys[i] == key) return t->item[i];
        i = (i + 1) & m;
    }
    return -1;
}

/* the text of a test item: its prompt variables (not the letters/subject
 * boilerplate) and its gold output */
static void item_text(const struct bench_item *it, struct buf *out)
{
    buf_reset(out);
    for (const cJSON *v = it->vars ? it->vars->child : NULL; v; v = v->next) {
        if (!cJSON_IsString(v) || strcmp(v->string, "letters") == 0 ||
            strcmp(v->string, "subject") == 0)
            continue;
        buf_puts(out, v->valuestring);
        buf_puts(out, " \n ");
    }
    if (it->gold_output) buf_puts(out, it->gold_output);
}

static const char *rec_str(const cJSON *o, const char *a, const char *b)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, a));
    if (!s && b) s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, b));
    return s;
}

static int decontam_usage(FILE *f)
{
    fprintf(f,
            "usage: gra decontam DATASET.jsonl [--n 13] [--benchmark NAME]... [--out FILE]\n"
            "                    [--write-filtered OUT.jsonl] [--data-dir DIR]\n\n"
            "Report, per benchmark, the dataset records whose instruction (+ input) or response\n"
            "shares a word n-gram (lowercased, default 13 tokens) with a test item; the summary\n"
            "JSON goes to stdout or --out. --write-filtered writes the records that share none.\n"
            "Default benchmarks: every staged (non-optional) one. Records: JSONL objects with\n"
            "instruction/response (gra datasets) or instruction/input/output (alpaca).\n"
            "exit: 0 done (contamination is reported, not an error), 2 usage, 4 data problem\n");
    return f == stdout ? 0 : GRA_EXIT_USAGE;
}

int cmd_decontam(int argc, char **argv)
{
    static const struct option opts[] = {
        {"n", required_argument, NULL, 'n'},
        {"benchmark", required_argument, NULL, 'b'},
        {"out", required_argument, NULL, 'o'},
        {"write-filtered", required_argument, NULL, 'w'},
        {"data-dir", required_argument, NULL, 'd'},
        {"benchmarks-dir", required_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long n = 13;
    const char *out = NULL, *filtered = NULL, *bench_dir = NULL;
    char *data_dir = NULL;
    char **names = NULL;
    int n_names = 0, c;
    char *end;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            errno = 0;
            n = strtol(optarg, &end, 10);
            if (errno || *end || n < 1 || n > 1000) {
                fprintf(stderr, "gra decontam: --n: expected 1..1000, got '%s'\n", optarg);
                free(names);
                free(data_dir);
                return GRA_EXIT_USAGE;
            }
            break;
        case 'b':
            names = xrealloc(names, sizeof *names * (size_t)(n_names + 1));
            names[n_names++] = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'w':
            filtered = optarg;
            break;
        case 'd':
            free(data_dir);
            data_dir = xstrdup(optarg);
            break;
        case 'B':
            bench_dir = optarg;
            break;
        case 'h':
            free(names);
            free(data_dir);
            return decontam_usage(stdout);
        default:
            free(names);
            free(data_dir);
            return decontam_usage(stderr);
        }
    }
    if (optind + 1 != argc) {
        free(names);
        free(data_dir);
        return decontam_usage(stderr);
    }
    const char *dataset = argv[optind];
    if (!data_dir) data_dir = bench_data_dir_default();
    if (!bench_dir) bench_dir = bench_dir_default();
    int rc = 0;
    char **all = NULL;
    int n_all = 0;
    struct bench **benches = NULL;
    int nb = 0;
    struct gram_table table = {0};
    struct buf low = BUF_INIT, text = BUF_INIT, kept = BUF_INIT;
    struct tok *toks = NULL;
    size_t tcap = 0;
    char *raw = NULL;
    cJSON *sum = NULL;
    long *hits = NULL, *short_items = NULL, *grams = NULL;
    cJSON **lists = NULL;
    bool named = n_names > 0;
    if (!named) {
        rc = bench_list(bench_dir, &all, &n_all);
        if (rc) goto out;
        names = xrealloc(names, sizeof *names * (size_t)(n_all ? n_all : 1));
        for (int i = 0; i < n_all; i++) names[n_names++] = all[i];
    }
    for (int i = 0; i < n_names; i++) {
        struct bench *b;
        rc = bench_open(bench_dir, names[i], &b);
        if (rc) goto out;
        if ((b->optional && !named) || b->family == BENCH_IFEVAL) {
            bench_free(b);
            continue;
        }
        /* variants over the same test file (mmlu, mmlu_5shot) are checked once */
        const char *df = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(b->spec, "data"), "file"));
        bool same = false;
        for (int k = 0; k < nb && df && !named; k++) {
            const char *dk = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(benches[k]->spec, "data"), "file"));
            same = same || (dk && strcmp(dk, df) == 0);
        }
        if (same) {
            bench_free(b);
            continue;
        }
        rc = bench_load(b, data_dir, 0);
        if (rc) {
            bench_free(b);
            goto out;
        }
        benches = xrealloc(benches, sizeof *benches * (size_t)(nb + 1));
        benches[nb++] = b;
    }
    if (nb > 64) {
        rc = err(GRA_EINVAL, "at most 64 benchmarks at once");
        goto out;
    }
    hits = xcalloc((size_t)nb + 1, sizeof *hits);
    short_items = xcalloc((size_t)nb + 1, sizeof *short_items);
    grams = xcalloc((size_t)nb + 1, sizeof *grams);
    lists = xcalloc((size_t)nb + 1, sizeof *lists);
    for (int bi = 0; bi < nb; bi++) {
        struct bench *b = benches[bi];
        size_t before = table.used;
        lists[bi] = cJSON_CreateArray();
        for (int i = 0; i < b->n_items; i++) {
            item_text(&b->items[i], &text);
            size_t nt = tokenize(text.data, &low, &toks, &tcap);
            if (nt < (size_t)n) {
                short_items[bi]++;
                continue;
            }
            for (size_t k = 0; k + (size_t)n <= nt; k++)
                table_put(&table, gram_key(gram_hash(toks + k, (int)n), bi), i);
        }
        grams[bi] = (long)(table.used - before);
    }
    size_t len;
    rc = fileio_read(dataset, &raw, &len);
    if (rc) goto out;
    long lineno = 0, records = 0, dirty = 0, bad = 0;
    long *items_hit = xcalloc((size_t)nb + 1, sizeof *items_hit);
    unsigned char **hit_items = xcalloc((size_t)nb + 1, sizeof *hit_items);
    for (int bi = 0; bi < nb; bi++) hit_items[bi] = xcalloc((size_t)benches[bi]->n_items + 1, 1);
    for (char *p = raw, *nl; p < raw + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(raw + len - p));
        if (!nl) nl = raw + len;
        lineno++;
        size_t l = (size_t)(nl - p);
        char *q = p;
        while (q < nl && isspace((unsigned char)*q)) q++;
        if (q == nl) continue;
        cJSON *o = cJSON_ParseWithLengthOpts(p, l, NULL, 0);
        const char *ins = o ? rec_str(o, "instruction", "prompt") : NULL;
        const char *inp = o ? rec_str(o, "input", NULL) : NULL;
        const char *res = o ? rec_str(o, "response", "output") : NULL;
        if (!o || !cJSON_IsObject(o) || (!ins && !res)) {
            if (bad++ < 20)
                log_error("%s:%ld: %s", dataset, lineno,
                          o ? "expected an object with instruction/response (or alpaca "
                              "instruction/input/output)"
                            : "malformed JSON");
            cJSON_Delete(o);
            continue;
        }
        records++;
        const char *rid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
        bool any = false;
        uint64_t done_mask = 0;
        for (int field = 0; field < 2; field++) {
            buf_reset(&text);
            if (field == 0) {
                if (ins) buf_puts(&text, ins);
                if (inp) {
                    buf_puts(&text, " \n ");
                    buf_puts(&text, inp);
                }
            } else if (res) {
                buf_puts(&text, res);
            }
            if (!text.len) continue;
            size_t nt = tokenize(text.data, &low, &toks, &tcap);
            for (size_t k = 0; k + (size_t)n <= nt; k++) {
                uint64_t h = gram_hash(toks + k, (int)n);
                for (int bi = 0; bi < nb; bi++) {
                    if (done_mask & (1ull << bi)) continue;
                    int32_t it = table_get(&table, gram_key(h, bi));
                    if (it < 0) continue;
                    done_mask |= 1ull << bi;
                    any = true;
                    hits[bi]++;
                    if (!hit_items[bi][it]) {
                        hit_items[bi][it] = 1;
                        items_hit[bi]++;
                    }
                    if (cJSON_GetArraySize(lists[bi]) < DECONTAM_MAX_LISTED) {
                        cJSON *x = cJSON_CreateObject();
                        cJSON_AddNumberToObject(x, "line", (double)lineno);
                        if (rid) cJSON_AddStringToObject(x, "id", rid);
                        cJSON_AddStringToObject(x, "field",
                                                field == 0 ? "instruction" : "response");
                        cJSON_AddStringToObject(x, "item", benches[bi]->items[it].id);
                        struct buf g = BUF_INIT;
                        for (long w = 0; w < n; w++)
                            buf_appendf(&g, "%s%.*s", w ? " " : "", (int)toks[k + (size_t)w].n,
                                        toks[k + (size_t)w].s);
                        cJSON_AddStringToObject(x, "ngram", g.data);
                        buf_release(&g);
                        cJSON_AddItemToArray(lists[bi], x);
                    }
                }
            }
        }
        if (any)
            dirty++;
        else if (filtered) {
            buf_append(&kept, p, l);
            buf_putc(&kept, '\n');
        }
        cJSON_Delete(o);
    }
    sum = cJSON_CreateObject();
    cJSON_AddStringToObject(sum, "dataset", dataset);
    cJSON_AddNumberToObject(sum, "n", (double)n);
    cJSON_AddNumberToObject(sum, "records", (double)records);
    cJSON_AddNumberToObject(sum, "bad_lines", (double)bad);
    cJSON_AddNumberToObject(sum, "contaminated_records", (double)dirty);
    cJSON_AddNumberToObject(sum, "contaminated_rate",
                            records ? (double)dirty / (double)records : 0);
    cJSON *bo = cJSON_AddObjectToObject(sum, "benchmarks");
    for (int bi = 0; bi < nb; bi++) {
        cJSON *x = cJSON_AddObjectToObject(bo, benches[bi]->name);
        cJSON_AddNumberToObject(x, "items", benches[bi]->n_items);
        cJSON_AddNumberToObject(x, "items_too_short", (double)short_items[bi]);
        cJSON_AddNumberToObject(x, "ngrams", (double)grams[bi]);
        cJSON_AddNumberToObject(x, "contaminated_records", (double)hits[bi]);
        cJSON_AddNumberToObject(x, "contaminated_items", (double)items_hit[bi]);
        cJSON_AddItemToObject(x, "records_listed", lists[bi]);
        lists[bi] = NULL;
    }
    if (filtered) {
        rc = fileio_write_atomic(filtered, kept.data, kept.len);
        if (!rc) cJSON_AddStringToObject(sum, "filtered", filtered);
        if (!rc) cJSON_AddNumberToObject(sum, "kept_records", (double)(records - dirty));
    }
    for (int bi = 0; bi < nb; bi++) free(hit_items[bi]);
    free(hit_items);
    free(items_hit);
    if (!rc) {
        char *s = cJSON_Print(sum);
        if (out) {
            struct buf ob = BUF_INIT;
            buf_puts(&ob, s);
            buf_putc(&ob, '\n');
            rc = fileio_write_atomic(out, ob.data, ob.len);
            buf_release(&ob);
            fprintf(stderr,
                    "gra decontam: %ld of %ld records share a %ld-gram with a benchmark item; "
                    "summary in %s\n",
                    dirty, records, n, out);
        } else {
            printf("%s\n", s);
        }
        cJSON_free(s);
    }
    if (!rc && bad)
        rc = err(GRA_EPARSE, "%s: %ld bad line%s (see above)", dataset, bad, bad == 1 ? "" : "s");
out:
    for (int bi = 0; bi < nb; bi++) {
        if (lists) cJSON_Delete(lists[bi]);
        bench_free(benches[bi]);
    }
    free(benches);
    free(lists);
    free(hits);
    free(short_items);
    free(grams);
    for (int i = 0; i < n_all; i++) free(all[i]);
    free(all);
    free(names);
    free(data_dir);
    free(table.keys);
    free(table.item);
    buf_release(&low);
    buf_release(&text);
    buf_release(&kept);
    free(toks);
    free(raw);
    cJSON_Delete(sum);
    return gra_exit_code(rc);
}
