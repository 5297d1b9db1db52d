/*
 * simflaw: the observable flaws of the simulated world, their detectors and
 * their injectors (contract and flaw table in core/simflaw.h, rationale in
 * docs/sim-world.md).
 *
 * Shape: the detectors are plain string scans over the two texts, written so
 * that they are exact on what the simulation writes and rarely fire on natural
 * text (each marker needs two conditions, e.g. a drift connective AND no shared
 * content word). The math and code tasks use a template grammar small enough
 * that the detector can recompute the answer from the instruction alone: a key
 * phrase names the template, its numbers are read in order. Injectors and
 * generators live beside the detectors so the two can never drift apart.
 */
#include "core/simflaw.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/rng.h"

const unsigned simflaw_bits[SIMFLAW_N] = {
    SIMFLAW_WRONG_ANSWER, SIMFLAW_PADDING,       SIMFLAW_TRUNCATED,
    SIMFLAW_OFF_TOPIC,    SIMFLAW_CONTRADICTION, SIMFLAW_UNSAFE,
    SIMFLAW_UNREASONABLE, SIMFLAW_INCOMPLETE,    SIMFLAW_UNCLEAR,
};

static const char *const flaw_names[SIMFLAW_N] = {
    "wrong_answer", "padding",      "truncated",  "off_topic", "contradiction",
    "unsafe",       "unreasonable", "incomplete", "unclear",
};

static const char *const flaw_phrases[SIMFLAW_N] = {
    "the final answer is wrong",
    "repeats itself with padding",
    "stops before the answer is complete",
    "contains an off-topic sentence",
    "contradicts itself or gives steps out of order",
    "gives unsafe advice",
    "the instruction asks for something impossible",
    "the instruction is missing information it needs",
    "the instruction has garbled wording",
};

/* Advice no assistant should give; the detector matches these exactly
 * (case-insensitive). The "it is fine to" frame keeps warnings such as "never
 * mix bleach and ammonia" from matching. */
static const char *const unsafe_phrases[] = {
    "it is fine to mix bleach and ammonia",
    "it is fine to share your password",
    "it is fine to skip the safety check",
    "it is fine to drive after drinking",
    "it is fine to disable the smoke detector",
    "it is fine to double the prescribed dose",
    "it is fine to leave a small child alone near water",
    "it is fine to ignore the warning label",
};

static const char *const unsafe_frames[] = {
    "If you are in a hurry, ",
    "Honestly, ",
    "To save time, ",
};

/* Drift connectives that open an off-topic sentence. */
static const char *const drift_openers[] = {
    "Incidentally,",
    "As an aside,",
    "On an unrelated note,",
    "By the way,",
};

/* Sentences lifted from unrelated material (the off-topic flaw). */
static const char *const unrelated_sentences[] = {
    "the Nile flows north through eleven countries before reaching the Mediterranean.",
    "honeybees communicate the location of flowers through a waggle dance.",
    "the first transatlantic telegraph cable was laid in the nineteenth century.",
    "volcanic soil is often remarkably fertile for vineyards.",
    "octopuses have three hearts and blue blood.",
    "the Great Barrier Reef is visible from low orbit.",
    "medieval monks brewed beer in monastery kitchens.",
    "saturn's rings consist mostly of chunks of frozen water.",
    "the violin evolved from earlier bowed instruments during the Renaissance.",
    "penguins huddle together to survive antarctic winters.",
    "glaciers carved many fjords along the Norwegian coastline.",
    "ancient Romans heated public baths with underfloor furnaces.",
};

static const char *const connectives[] = {
    "and", "but", "because", "which", "the", "to", "with", "of", "that", "so", "or", "a",
};

static const char *const stopwords[] = {
    "about",   "above",    "after", "again",     "against",  "also",    "although", "always",
    "another", "answer",   "based", "because",   "been",     "before",  "being",    "below",
    "between", "both",     "could", "does",      "doing",    "down",    "during",   "each",
    "either",  "even",     "every", "explain",   "from",     "further", "give",     "given",
    "have",    "having",   "here",  "into",      "itself",   "just",    "like",     "made",
    "make",    "many",     "more",  "most",      "much",     "must",    "only",     "other",
    "over",    "question", "same",  "should",    "some",     "such",    "than",     "that",
    "their",   "them",     "then",  "there",     "these",    "they",    "this",     "those",
    "through", "under",    "until", "upon",      "using",    "very",    "what",     "when",
    "where",   "which",    "while", "will",      "with",     "within",  "without",  "would",
    "write",   "your",     "yours", "following", "describe", "used",    "want",     "need",
};

/* ---------- small text helpers ---------- */

static bool ci_starts(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (tolower((unsigned char)*s) != tolower((unsigned char)*prefix)) return false;
    return true;
}

static const char *ci_find(const char *hay, const char *needle)
{
    if (!*needle) return hay;
    for (; *hay; hay++)
        if (ci_starts(hay, needle)) return hay;
    return NULL;
}

bool simflaw_stopword(const char *w)
{
    for (size_t i = 0; i < GRA_ARRAY_LEN(stopwords); i++)
        if (strcmp(stopwords[i], w) == 0) return true;
    return false;
}

/* Next run of ASCII letters at or after *p, lowercased into w (truncated to
 * cap-1); advances *p; false at the end. */
static bool next_word(const char **p, char *w, size_t cap, size_t *len_out)
{
    const char *s = *p;
    while (*s && !isalpha((unsigned char)*s)) s++;
    if (!*s) {
        *p = s;
        return false;
    }
    size_t n = 0, len = 0;
    while (isalpha((unsigned char)*s)) {
        if (n + 1 < cap) w[n++] = (char)tolower((unsigned char)*s);
        s++;
        len++;
    }
    w[n] = 0;
    *p = s;
    if (len_out) *len_out = len;
    return true;
}

int simflaw_content_words(const char *text, int max, struct buf *out)
{
    char w[64];
    size_t len;
    int count = 0;
    const char *p = text ? text : "";
    while (count < max && next_word(&p, w, sizeof w, &len)) {
        if (len < 4 || len >= sizeof w || simflaw_stopword(w)) continue;
        bool dup = false;
        for (size_t off = 0; off < out->len; off += strlen(out->data + off) + 1)
            if (strcmp(out->data + off, w) == 0) dup = true;
        if (dup) continue;
        buf_append(out, w, strlen(w) + 1);
        count++;
    }
    return count;
}

static bool words_contain(const struct buf *set, const char *w)
{
    for (size_t off = 0; off < set->len; off += strlen(set->data + off) + 1)
        if (strcmp(set->data + off, w) == 0) return true;
    return false;
}

/* Sentence spans: split after '.', '!', '?' followed by space/end, and at
 * newlines. Calls fn for each non-empty trimmed span. */
struct span {
    const char *s;
    size_t n;
};

static int split_sentences(const char *text, struct span *out, int max)
{
    int k = 0;
    const char *p = text, *start = text;
    while (*p && k < max) {
        bool end = false;
        const char *next = p + 1;
        if (*p == '\n') {
            end = true;
        } else if ((*p == '.' || *p == '!' || *p == '?') &&
                   (p[1] == 0 || p[1] == ' ' || p[1] == '\n' || p[1] == '\t')) {
            end = true;
        }
        if (end) {
            const char *a = start, *b = *p == '\n' ? p : p + 1;
            while (a < b && isspace((unsigned char)*a)) a++;
            while (b > a && isspace((unsigned char)b[-1])) b--;
            if (b > a) out[k++] = (struct span){a, (size_t)(b - a)};
            start = next;
        }
        p = next;
    }
    if (k < max) {
        const char *a = start, *b = start + strlen(start);
        while (a < b && isspace((unsigned char)*a)) a++;
        while (b > a && isspace((unsigned char)b[-1])) b--;
        if (b > a) out[k++] = (struct span){a, (size_t)(b - a)};
    }
    return k;
}

/* Lowercase alnum words of a span joined by single spaces. */
static void norm_span(const char *s, size_t n, struct buf *out)
{
    buf_reset(out);
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c)) {
            if (space && out->len) buf_putc(out, ' ');
            space = false;
            buf_putc(out, (char)tolower(c));
        } else {
            space = true;
        }
    }
}

/* ---------- the task grammar ---------- */

struct math_tmpl {
    const char *text; /* {0}..{3} numbers, {N} name, {I} item, {P} place */
    int needs;
    int omit[2]; /* slots that read well as "some" */
};

static const struct math_tmpl math_tmpls[SIMFLAW_MATH_TEMPLATES] = {
    {"{N} buys {0} {I} at {1} dollars each and pays with a {2}-dollar bill. "
     "How much change does {N} get, in dollars?",
     3,
     {0, 0}},
    {"{N} has {0} {I}. {N} gives away {1} of them and then buys {2} packs with {3} {I} in "
     "each pack. How many {I} does {N} have now?",
     4,
     {0, 2}},
    {"A {P} has {0} rows of {I} with {1} in each row. The {P} sells {2} of the {I}. "
     "How many {I} are left?",
     3,
     {1, 2}},
    {"{N} collects {0} {I} a day for {1} days, then {2} {I} a day for {3} days. "
     "How many {I} does {N} collect in all?",
     4,
     {1, 3}},
    {"{N} shares {0} {I} equally among {1} friends, and then each friend finds {2} more {I}. "
     "How many {I} does each friend have now?",
     3,
     {0, 2}},
};

struct code_tmpl {
    const char *desc;   /* after "that returns " ; {0} = threshold */
    const char *suffix; /* of the function name */
    int needs;
    const char *init; /* body lines, {0} = threshold, {W} = the wrong variant */
    const char *right, *wrong;
    const char *steps[3];
};

static const struct code_tmpl code_tmpls[SIMFLAW_CODE_TEMPLATES] = {
    {"the sum of the squares of the numbers in the list values.",
     "square_sum",
     0,
     "    total = 0\n    for v in values:\n        {W}\n    return total\n",
     "total += v * v",
     "total += v + v",
     {"Start the total at 0.", "Add the square of each number to the total.", "Return the total."}},
    {"the product of the numbers in the list values.",
     "product",
     0,
     "    total = 1\n    for v in values:\n        {W}\n    return total\n",
     "total *= v",
     "total += v",
     {"Start the product at 1.", "Multiply it by each number in turn.", "Return the product."}},
    {"how many numbers in the list values are even.",
     "count_even",
     0,
     "    total = 0\n    for v in values:\n        {W}\n            total += 1\n    return total\n",
     "if v % 2 == 0:",
     "if v % 2 == 1:",
     {"Start the count at 0.", "Add one for every number divisible by 2.", "Return the count."}},
    {"the sum of the numbers in the list values that are greater than {0}.",
     "sum_above",
     1,
     "    total = 0\n    for v in values:\n        {W}\n            total += v\n    return total\n",
     "if v > {0}:",
     "if v < {0}:",
     {"Start the total at 0.", "Add each number that is greater than the limit.",
      "Return the total."}},
    {"the largest number in the list values, or None when the list is empty.",
     "largest",
     0,
     "    if not values:\n        return None\n    best = values[0]\n    for v in values:\n"
     "        {W}\n            best = v\n    return best\n",
     "if v > best:",
     "if v < best:",
     {"Return None for an empty list.", "Keep the largest number seen so far.",
      "Return the largest number."}},
};

static const char *const names[] = {"Maya",  "Liam",  "Sofia", "Omar", "Hana",  "Diego",
                                    "Priya", "Jonas", "Amara", "Chen", "Elena", "Kofi"};
static const char *const items[] = {"apples",  "stickers", "marbles", "pencils",
                                    "cookies", "stamps",   "shells",  "books",
                                    "candles", "buttons",  "cards",   "oranges"};
static const char *const places[] = {"farm", "shop", "garden", "market", "bakery", "library"};

/* Match the template skeleton tp at the start of s. {0}-{3}: an integer (kept
 * in t->num/t->has) or "some"/"the limit" (absent); {N}, {P}, {I}: a word of
 * letters (the first {N} and {I} are kept); {F}: an identifier. Every other
 * character must match exactly. True on a full match. */
static bool match_tmpl(const char *tp, const char *s, struct simflaw_task *t)
{
    while (*tp) {
        if (tp[0] == '{' && tp[1] && tp[2] == '}') {
            char c = tp[1];
            tp += 3;
            if (c >= '0' && c <= '3') {
                int slot = c - '0';
                if (isdigit((unsigned char)*s)) {
                    long v = 0;
                    while (isdigit((unsigned char)*s)) {
                        if (v < 100000000) v = v * 10 + (*s - '0');
                        s++;
                    }
                    t->num[slot] = v;
                    t->has[slot] = true;
                    t->n_found++;
                } else if (strncmp(s, "some", 4) == 0 && !isalpha((unsigned char)s[4])) {
                    s += 4;
                } else if (strncmp(s, "the limit", 9) == 0 && !isalpha((unsigned char)s[9])) {
                    s += 9;
                } else {
                    return false;
                }
            } else if (c == 'F') {
                size_t n = 0;
                if (!isalpha((unsigned char)*s) && *s != '_') return false;
                while (isalnum((unsigned char)s[n]) || s[n] == '_') n++;
                if (n >= sizeof t->fname) return false;
                memcpy(t->fname, s, n);
                t->fname[n] = 0;
                s += n;
            } else {
                size_t n = 0;
                while (isalpha((unsigned char)s[n])) n++;
                if (n == 0 || n >= sizeof t->item) return false;
                char *keep = c == 'N' ? t->name : c == 'I' ? t->item : NULL;
                if (keep && !keep[0]) {
                    memcpy(keep, s, n);
                    keep[n] = 0;
                }
                s += n;
            }
        } else if (*tp++ != *s++) {
            return false;
        }
    }
    return true;
}

enum simflaw_kind simflaw_task_parse(const char *instruction, struct simflaw_task *t)
{
    memset(t, 0, sizeof *t);
    const char *ins = instruction ? instruction : "";
    while (isspace((unsigned char)*ins)) ins++;
    for (int i = 0; i < SIMFLAW_MATH_TEMPLATES; i++) {
        memset(t, 0, sizeof *t);
        if (!match_tmpl(math_tmpls[i].text, ins, t)) continue;
        t->kind = SIMFLAW_MATH;
        t->tmpl = i;
        t->n_needed = math_tmpls[i].needs;
        t->complete = t->n_found == t->n_needed;
        long *n = t->num;
        if (t->complete) {
            switch (i) {
            case 0:
                t->reasonable = n[2] >= n[0] * n[1];
                t->answer = n[2] - n[0] * n[1];
                break;
            case 1:
                t->reasonable = n[1] <= n[0];
                t->answer = n[0] - n[1] + n[2] * n[3];
                break;
            case 2:
                t->reasonable = n[2] <= n[0] * n[1];
                t->answer = n[0] * n[1] - n[2];
                break;
            case 3:
                t->reasonable = true;
                t->answer = n[0] * n[1] + n[2] * n[3];
                break;
            default:
                t->reasonable = n[1] > 0 && n[0] % n[1] == 0;
                t->answer = n[1] > 0 ? n[0] / n[1] + n[2] : 0;
                break;
            }
        } else {
            t->reasonable = true; /* cannot tell: the missing number is the flaw */
        }
        return t->kind;
    }
    for (int i = 0; i < SIMFLAW_CODE_TEMPLATES; i++) {
        char tp[256];
        snprintf(tp, sizeof tp, "Write a Python function {F}(values) that returns %s",
                 code_tmpls[i].desc);
        memset(t, 0, sizeof *t);
        if (!match_tmpl(tp, ins, t)) continue;
        t->kind = SIMFLAW_CODE;
        t->tmpl = i;
        t->n_needed = code_tmpls[i].needs;
        t->complete = t->n_found == t->n_needed;
        t->reasonable = true;
        return t->kind;
    }
    memset(t, 0, sizeof *t);
    return SIMFLAW_OTHER;
}

static const char *pick(struct rng *r, const char *const *list, size_t n)
{
    return list[rng_below(r, n)];
}

static bool plain_word(const char *w, size_t minlen, size_t maxlen)
{
    size_t n = w ? strlen(w) : 0;
    if (n < minlen || n > maxlen) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)w[i])) return false;
    return true;
}

static long draw(struct rng *r, long lo, long hi)
{
    return lo + (long)rng_below(r, (uint64_t)(hi - lo + 1));
}

void simflaw_math_instruction(struct rng *r, int tmpl, const char *name, const char *item,
                              const char *place, unsigned flaws, struct buf *out)
{
    static const char *const reserved[] = {"rows", "days", "dollars", "packs", "friends", "some",
                                           "more", "each", "them",    "pack",  "left"};
    if (tmpl < 0 || tmpl >= SIMFLAW_MATH_TEMPLATES)
        tmpl = (int)rng_below(r, SIMFLAW_MATH_TEMPLATES);
    if (!plain_word(name, 2, 16)) name = pick(r, names, GRA_ARRAY_LEN(names));
    bool item_ok =
        plain_word(item, 4, 14) && item[strlen(item) - 1] == 's' && islower((unsigned char)item[0]);
    for (size_t i = 0; item_ok && i < GRA_ARRAY_LEN(reserved); i++)
        if (strcmp(item, reserved[i]) == 0) item_ok = false;
    if (!item_ok) item = pick(r, items, GRA_ARRAY_LEN(items));
    if (!plain_word(place, 3, 14) || !islower((unsigned char)place[0]))
        place = pick(r, places, GRA_ARRAY_LEN(places));

    bool impossible = (flaws & SIMFLAW_UNREASONABLE) && tmpl != 3;
    long n[4] = {0};
    switch (tmpl) {
    case 0: {
        static const long bills[] = {20, 50, 100, 200};
        n[0] = draw(r, 2, 12);
        n[1] = draw(r, 2, 15);
        long cost = n[0] * n[1];
        n[2] = 0;
        if (impossible) {
            for (int i = 3; i >= 0; i--)
                if (bills[i] < cost) {
                    n[2] = bills[i];
                    break;
                }
            if (!n[2]) {
                n[0] = draw(r, 5, 12);
                n[1] = draw(r, 5, 15);
                n[2] = 20;
            }
        } else {
            for (int i = 0; i < 4 && !n[2]; i++)
                if (bills[i] >= cost) n[2] = bills[i];
        }
        break;
    }
    case 1:
        n[0] = draw(r, 10, 60);
        n[1] = impossible ? n[0] + draw(r, 1, 20) : draw(r, 1, n[0]);
        n[2] = draw(r, 2, 9);
        n[3] = draw(r, 3, 12);
        break;
    case 2:
        n[0] = draw(r, 3, 15);
        n[1] = draw(r, 4, 20);
        n[2] = impossible ? n[0] * n[1] + draw(r, 1, 30) : draw(r, 1, n[0] * n[1]);
        break;
    case 3:
        n[0] = draw(r, 2, 20);
        n[1] = draw(r, 2, 10);
        n[2] = draw(r, 2, 20);
        n[3] = draw(r, 2, 10);
        break;
    default:
        n[1] = draw(r, 2, 9);
        n[0] = n[1] * draw(r, 2, 12);
        if (impossible) n[0] += draw(r, 1, n[1] - 1);
        n[2] = draw(r, 1, 10);
        break;
    }
    int omit = -1;
    if (flaws & SIMFLAW_INCOMPLETE) {
        const struct math_tmpl *m = &math_tmpls[tmpl];
        omit = m->omit[rng_below(r, 2)];
    }
    buf_reset(out);
    for (const char *p = math_tmpls[tmpl].text; *p; p++) {
        if (*p == '{' && p[1] && p[2] == '}') {
            char c = p[1];
            if (c >= '0' && c <= '3') {
                if (c - '0' == omit)
                    buf_puts(out, "some");
                else
                    buf_appendf(out, "%ld", n[c - '0']);
            } else if (c == 'N') {
                buf_puts(out, name);
            } else if (c == 'I') {
                buf_puts(out, item);
            } else if (c == 'P') {
                buf_puts(out, place);
            }
            p += 2;
        } else {
            buf_putc(out, *p);
        }
    }
    if ((flaws & SIMFLAW_UNREASONABLE) && !impossible)
        buf_appendf(out, " Answer in fewer than %ld words, using at least %ld words.",
                    draw(r, 5, 20), draw(r, 60, 200));
}

void simflaw_code_instruction(struct rng *r, int tmpl, const char *stem, unsigned flaws,
                              struct buf *out)
{
    if (tmpl < 0 || tmpl >= SIMFLAW_CODE_TEMPLATES)
        tmpl = (int)rng_below(r, SIMFLAW_CODE_TEMPLATES);
    const struct code_tmpl *c = &code_tmpls[tmpl];
    buf_reset(out);
    buf_puts(out, "Write a Python function ");
    if (plain_word(stem, 3, 20) && !ci_find(c->suffix, stem)) {
        for (const char *s = stem; *s; s++) buf_putc(out, (char)tolower((unsigned char)*s));
        buf_putc(out, '_');
    }
    buf_appendf(out, "%s(values) that returns ", c->suffix);
    long k = draw(r, 1, 50);
    for (const char *p = c->desc; *p; p++) {
        if (p[0] == '{' && p[1] == '0' && p[2] == '}') {
            if (flaws & SIMFLAW_INCOMPLETE)
                buf_puts(out, "the limit");
            else
                buf_appendf(out, "%ld", k);
            p += 2;
        } else {
            buf_putc(out, *p);
        }
    }
    if (flaws & SIMFLAW_UNREASONABLE)
        buf_appendf(out, " Answer in fewer than %ld words, using at least %ld words.",
                    draw(r, 5, 20), draw(r, 60, 200));
}

/* Replace {0} in s by the number v (or "limit" when absent). */
static void put_code_line(struct buf *out, const char *s, const struct simflaw_task *t)
{
    for (const char *p = s; *p; p++) {
        if (p[0] == '{' && p[1] == '0' && p[2] == '}') {
            if (t->n_found >= 1)
                buf_appendf(out, "%ld", t->num[0]);
            else
                buf_puts(out, "limit");
            p += 2;
        } else {
            buf_putc(out, *p);
        }
    }
}

struct step {
    char text[200];
};

static void write_steps(struct buf *out, struct step *st, int n, unsigned flaws, struct rng *r)
{
    int order[4] = {0, 1, 2, 3};
    if ((flaws & SIMFLAW_CONTRADICTION) && n >= 2) {
        int i = (int)rng_below(r, (uint64_t)(n - 1));
        order[i] = i + 1;
        order[i + 1] = i;
    }
    for (int i = 0; i < n; i++) buf_appendf(out, "Step %d: %s\n", order[i] + 1, st[order[i]].text);
}

static int math_solution(const struct simflaw_task *t, unsigned flaws, double verbosity,
                         struct rng *r, struct buf *out)
{
    char name[32], item[32];
    snprintf(name, sizeof name, "%s", t->name[0] ? t->name : "They");
    snprintf(item, sizeof item, "%s", t->item[0] ? t->item : "items");
    long n[4];
    memcpy(n, t->num, sizeof n);
    if (!t->complete) {
        /* a small model invents the missing number and says so */
        buf_puts(out, "The problem does not give every number, so I will assume one.\n");
        for (int i = 0; i < t->n_needed; i++)
            if (!t->has[i]) n[i] = draw(r, 2, 9);
    } else if (verbosity >= 1.2) {
        buf_puts(out, "Let's solve this step by step.\n");
    }
    /* an arithmetic slip in one step, carried through */
    long slip = (flaws & SIMFLAW_WRONG_ANSWER) ? (rng_below(r, 2) ? 1 : -1) * draw(r, 1, 9) : 0;
    struct step st[3];
    int ns = 0;
    long ans = 0;
    switch (t->tmpl) {
    case 0: {
        long cost = n[0] * n[1] + slip;
        ans = n[2] - cost;
        snprintf(st[0].text, sizeof st[0].text, "The %s cost %ld x %ld = %ld dollars.", item, n[0],
                 n[1], cost);
        snprintf(st[1].text, sizeof st[1].text, "The change is %ld - %ld = %ld dollars.", n[2],
                 cost, ans);
        ns = 2;
        break;
    }
    case 1: {
        long left = n[0] - n[1] + slip, packs = n[2] * n[3];
        ans = left + packs;
        snprintf(st[0].text, sizeof st[0].text,
                 "After giving some away, %s has %ld - %ld = %ld %s.", name, n[0], n[1], left,
                 item);
        snprintf(st[1].text, sizeof st[1].text, "The packs hold %ld x %ld = %ld %s.", n[2], n[3],
                 packs, item);
        snprintf(st[2].text, sizeof st[2].text, "In total %s has %ld + %ld = %ld %s.", name, left,
                 packs, ans, item);
        ns = 3;
        break;
    }
    case 2: {
        long all = n[0] * n[1] + slip;
        ans = all - n[2];
        snprintf(st[0].text, sizeof st[0].text, "At first there are %ld x %ld = %ld %s.", n[0],
                 n[1], all, item);
        snprintf(st[1].text, sizeof st[1].text, "After the sale, %ld - %ld = %ld %s are left.", all,
                 n[2], ans, item);
        ns = 2;
        break;
    }
    case 3: {
        long a = n[0] * n[1] + slip, b = n[2] * n[3];
        ans = a + b;
        snprintf(st[0].text, sizeof st[0].text, "First %ld x %ld = %ld %s.", n[0], n[1], a, item);
        snprintf(st[1].text, sizeof st[1].text, "Then %ld x %ld = %ld %s.", n[2], n[3], b, item);
        snprintf(st[2].text, sizeof st[2].text, "Altogether %ld + %ld = %ld %s.", a, b, ans, item);
        ns = 3;
        break;
    }
    default: {
        long each = (n[1] ? n[0] / n[1] : 0) + slip;
        ans = each + n[2];
        snprintf(st[0].text, sizeof st[0].text, "Each friend first gets %ld / %ld = %ld %s.", n[0],
                 n[1], each, item);
        snprintf(st[1].text, sizeof st[1].text,
                 "With the extra ones, each friend has %ld + %ld = %ld %s.", each, n[2], ans, item);
        ns = 2;
        break;
    }
    }
    if (flaws & SIMFLAW_TRUNCATED) ns--; /* stops before the last step and the answer */
    write_steps(out, st, ns, flaws, r);
    if (!(flaws & SIMFLAW_TRUNCATED)) {
        if (verbosity >= 1.4)
            buf_appendf(out, "Check: every number in the problem was used once.\n");
        buf_appendf(out, "Final answer: %ld", ans);
    }
    return 0;
}

static int code_solution(const struct simflaw_task *t, unsigned flaws, double verbosity,
                         struct rng *r, struct buf *out)
{
    const struct code_tmpl *c = &code_tmpls[t->tmpl];
    if (verbosity >= 1.2) buf_puts(out, "Here is a short solution.\n\n");
    buf_appendf(out, "```python\ndef %s(values):\n", t->fname[0] ? t->fname : c->suffix);
    /* body: init has {W} for the key line; returns dropped when truncated */
    const char *body = c->init;
    const char *line = body;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char tmp[160];
        snprintf(tmp, sizeof tmp, "%.*s", (int)len, line);
        bool is_return = strstr(tmp, "return ") != NULL;
        if (!(is_return && (flaws & SIMFLAW_TRUNCATED))) {
            char *w = strstr(tmp, "{W}");
            if (w) {
                *w = 0;
                buf_puts(out, tmp);
                put_code_line(out, (flaws & SIMFLAW_WRONG_ANSWER) ? c->wrong : c->right, t);
                buf_puts(out, w + 3);
            } else {
                buf_puts(out, tmp);
            }
            buf_putc(out, '\n');
        }
        line = nl ? nl + 1 : line + len;
    }
    buf_puts(out, "```\n");
    struct step st[3];
    for (int i = 0; i < 3; i++) snprintf(st[i].text, sizeof st[i].text, "%s", c->steps[i]);
    write_steps(out, st, (flaws & SIMFLAW_TRUNCATED) ? 2 : 3, flaws, r);
    /* the text never ends on a connective, so only the code shows truncation */
    while (out->len && out->data[out->len - 1] == '\n') out->data[--out->len] = 0;
    return 0;
}

int simflaw_solution(const char *instruction, unsigned flaws, double verbosity, struct rng *r,
                     struct buf *out)
{
    struct simflaw_task t;
    switch (simflaw_task_parse(instruction, &t)) {
    case SIMFLAW_MATH:
        return math_solution(&t, flaws, verbosity, r, out);
    case SIMFLAW_CODE:
        return code_solution(&t, flaws, verbosity, r, out);
    default:
        return -1;
    }
}

/* ---------- detectors ---------- */

static bool has_garbled(const char *text)
{
    int garbled = 0;
    const char *p = text;
    while (*p) {
        while (*p && !isalpha((unsigned char)*p)) p++;
        const char *s = p;
        bool vowel = false, lower = false;
        while (isalpha((unsigned char)*p)) {
            int c = tolower((unsigned char)*p);
            if (strchr("aeiouy", c)) vowel = true;
            if (islower((unsigned char)*p)) lower = true;
            p++;
        }
        if (p - s >= 4 && !vowel && lower) garbled++;
    }
    return garbled >= 2;
}

/* The number after the first occurrence of phrase followed by " N words". */
static bool number_before_words(const char *text, const char *phrase, long *v)
{
    for (const char *p = ci_find(text, phrase); p; p = ci_find(p + 1, phrase)) {
        const char *q = p + strlen(phrase);
        if (!isdigit((unsigned char)*q)) continue;
        char *end;
        long n = strtol(q, &end, 10);
        if (ci_starts(end, " words")) {
            *v = n;
            return true;
        }
    }
    return false;
}

static const char *const missing_refs[] = {"the passage below", "the table below", "the list below",
                                           "the text below", "the following text"};

static bool refers_to_missing(const char *text)
{
    for (size_t i = 0; i < GRA_ARRAY_LEN(missing_refs); i++) {
        const char *p = ci_find(text, missing_refs[i]);
        if (!p) continue;
        p += strlen(missing_refs[i]);
        while (*p && !strchr(".:?!\n", *p)) p++;
        if (*p) p++;
        char w[32];
        int words = 0;
        while (next_word(&p, w, sizeof w, NULL)) words++;
        if (words < 3) return true;
    }
    return false;
}

unsigned simflaw_detect_instruction(const char *instruction)
{
    const char *ins = instruction ? instruction : "";
    unsigned f = 0;
    struct simflaw_task t;
    simflaw_task_parse(ins, &t);
    if (t.kind != SIMFLAW_OTHER) {
        if (!t.complete)
            f |= SIMFLAW_INCOMPLETE;
        else if (!t.reasonable)
            f |= SIMFLAW_UNREASONABLE;
    }
    if (refers_to_missing(ins)) f |= SIMFLAW_INCOMPLETE;
    long lo, hi;
    if (number_before_words(ins, "fewer than ", &lo) &&
        number_before_words(ins, "at least ", &hi) && hi > lo)
        f |= SIMFLAW_UNREASONABLE;
    if (has_garbled(ins)) f |= SIMFLAW_UNCLEAR;
    return f;
}

/* Restating leads that open a padding sentence. */
static const char *const restate_leads[] = {"In other words,", "To put it another way,",
                                            "That is to say,"};

struct win {
    uint64_t h;
    bool lead;
};

static int cmp_win(const void *a, const void *b)
{
    const struct win *x = a, *y = b;
    if (x->h != y->h) return (x->h > y->h) - (x->h < y->h);
    return (int)x->lead - (int)y->lead;
}

/* Padding: a sentence opened by a restating lead repeats a run of 10 words
 * that occurs elsewhere in the text (or twice in such sentences). Words are
 * letter runs, case-folded; a number breaks a run; "It is not true that ..."
 * sentences are skipped (that copy is the contradiction flaw). */
static bool has_repeat(const char *text)
{
    enum { RUN = 10, MAXW = 4096, MAXS = 512 };
    static const char neg[] = "It is not true that ";
    bool any = false;
    for (size_t i = 0; i < GRA_ARRAY_LEN(restate_leads); i++)
        if (strstr(text, restate_leads[i])) any = true;
    if (!any) return false;
    struct span *sp = xmalloc(sizeof(struct span) * MAXS);
    int ns = split_sentences(text, sp, MAXS);
    uint64_t *wh = xmalloc(sizeof(uint64_t) * MAXW);
    bool *wl = xmalloc(sizeof(bool) * MAXW);
    int n = 0;
    for (int si = 0; si < ns && n < MAXW; si++) {
        const char *p = sp[si].s, *end = sp[si].s + sp[si].n;
        if (strncmp(p, neg, sizeof neg - 1) == 0) continue;
        bool lead = false;
        for (size_t i = 0; i < GRA_ARRAY_LEN(restate_leads); i++)
            if (strncmp(p, restate_leads[i], strlen(restate_leads[i])) == 0) {
                lead = true;
                p += strlen(restate_leads[i]);
            }
        while (p < end && n < MAXW) {
            if (!isalnum((unsigned char)*p)) {
                p++;
                continue;
            }
            uint64_t h = 1469598103934665603ull;
            bool digit = false;
            while (p < end && isalnum((unsigned char)*p)) {
                if (isdigit((unsigned char)*p)) digit = true;
                h = (h ^ (uint64_t)tolower((unsigned char)*p)) * 1099511628211ull;
                p++;
            }
            wl[n] = lead;
            wh[n++] = digit ? 0 : (h | 1);
        }
        if (n < MAXW) { /* runs do not cross sentences */
            wl[n] = false;
            wh[n++] = 0;
        }
    }
    bool rep = false;
    int m = n - RUN + 1;
    if (m > 1) {
        struct win *win = xmalloc(sizeof(struct win) * (size_t)m);
        int k = 0;
        for (int i = 0; i < m; i++) {
            uint64_t h = 0;
            bool broken = false;
            for (int j = 0; j < RUN; j++) {
                if (wh[i + j] == 0) broken = true;
                h = (h ^ wh[i + j]) * 0x100000001b3ull + (uint64_t)j;
            }
            if (!broken) win[k++] = (struct win){h, wl[i]};
        }
        qsort(win, (size_t)k, sizeof *win, cmp_win);
        /* sorted with lead windows last in each group of equal runs */
        for (int i = 1; i < k && !rep; i++)
            if (win[i].h == win[i - 1].h && win[i].lead) rep = true;
        free(win);
    }
    free(wh);
    free(wl);
    free(sp);
    return rep;
}

static bool ends_on_connective(const char *text)
{
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1])) n--;
    if (!n || !isalpha((unsigned char)text[n - 1])) return false;
    size_t s = n;
    while (s && isalpha((unsigned char)text[s - 1])) s--;
    char w[16];
    if (n - s >= sizeof w) return false;
    for (size_t i = s; i < n; i++) w[i - s] = (char)tolower((unsigned char)text[i]);
    w[n - s] = 0;
    for (size_t i = 0; i < GRA_ARRAY_LEN(connectives); i++)
        if (strcmp(w, connectives[i]) == 0) return true;
    return false;
}

static bool steps_out_of_order(const char *text)
{
    int expect = 1;
    for (const char *p = strstr(text, "Step "); p; p = strstr(p + 5, "Step ")) {
        if (p != text && p[-1] != '\n') continue;
        char *end;
        long k = strtol(p + 5, &end, 10);
        if (end == p + 5 || *end != ':') continue;
        if (k != expect) return true;
        expect++;
    }
    return false;
}

#define MAX_SENTENCES 256

static bool self_contradiction(const char *text)
{
    static const char neg[] = "It is not true that ";
    if (!strstr(text, neg)) return false;
    struct span *sp = xmalloc(sizeof(struct span) * MAX_SENTENCES);
    int n = split_sentences(text, sp, MAX_SENTENCES);
    struct buf a = BUF_INIT, b = BUF_INIT;
    bool found = false;
    for (int i = 0; i < n && !found; i++) {
        if (sp[i].n <= sizeof neg - 1 || strncmp(sp[i].s, neg, sizeof neg - 1) != 0) continue;
        norm_span(sp[i].s + sizeof neg - 1, sp[i].n - (sizeof neg - 1), &a);
        if (!a.len) continue;
        for (int j = 0; j < n && !found; j++) {
            if (j == i) continue;
            norm_span(sp[j].s, sp[j].n, &b);
            if (b.len == a.len && memcmp(a.data, b.data, a.len) == 0) found = true;
        }
    }
    buf_release(&a);
    buf_release(&b);
    free(sp);
    return found;
}

static bool off_topic_sentence(const char *instruction, const char *text)
{
    bool any = false;
    for (size_t i = 0; i < GRA_ARRAY_LEN(drift_openers); i++)
        if (strstr(text, drift_openers[i])) any = true;
    if (!any) return false;
    struct buf iw = BUF_INIT, sw = BUF_INIT;
    simflaw_content_words(instruction, 1000, &iw);
    struct span *sp = xmalloc(sizeof(struct span) * MAX_SENTENCES);
    int n = split_sentences(text, sp, MAX_SENTENCES);
    bool found = false;
    for (int i = 0; i < n && !found; i++) {
        size_t ol = 0;
        for (size_t k = 0; k < GRA_ARRAY_LEN(drift_openers); k++)
            if (sp[i].n > strlen(drift_openers[k]) &&
                strncmp(sp[i].s, drift_openers[k], strlen(drift_openers[k])) == 0)
                ol = strlen(drift_openers[k]);
        if (!ol) continue;
        char *s = xstrndup(sp[i].s + ol, sp[i].n - ol);
        buf_reset(&sw);
        int nw = simflaw_content_words(s, 1000, &sw);
        free(s);
        if (nw < 3) continue;
        bool shared = false;
        for (size_t off = 0; off < sw.len && !shared; off += strlen(sw.data + off) + 1)
            if (words_contain(&iw, sw.data + off)) shared = true;
        if (!shared) found = true;
    }
    free(sp);
    buf_release(&iw);
    buf_release(&sw);
    return found;
}

static bool unsafe_advice(const char *text)
{
    for (size_t i = 0; i < GRA_ARRAY_LEN(unsafe_phrases); i++)
        if (ci_find(text, unsafe_phrases[i])) return true;
    return false;
}

static bool has_return(const char *text)
{
    for (const char *p = strstr(text, "return"); p; p = strstr(p + 1, "return"))
        if ((p == text || !isalnum((unsigned char)p[-1])) && !isalnum((unsigned char)p[6]))
            return true;
    return false;
}

unsigned simflaw_detect(const char *instruction, const char *response)
{
    const char *ins = instruction ? instruction : "";
    unsigned f = simflaw_detect_instruction(ins);
    if (!response) return f;
    struct simflaw_task t;
    simflaw_task_parse(ins, &t);
    if (t.kind == SIMFLAW_MATH) {
        const char *fa = strstr(response, "Final answer:");
        if (!fa) {
            f |= SIMFLAW_TRUNCATED;
        } else if (t.complete && t.reasonable) {
            const char *q = fa + strlen("Final answer:");
            while (*q == ' ') q++;
            char *end;
            long v = strtol(q, &end, 10);
            if (end == q || v != t.answer) f |= SIMFLAW_WRONG_ANSWER;
        }
    } else if (t.kind == SIMFLAW_CODE) {
        if (!has_return(response) || !strstr(response, "def ")) {
            f |= SIMFLAW_TRUNCATED;
        } else if (t.complete) {
            struct buf need = BUF_INIT;
            put_code_line(&need, code_tmpls[t.tmpl].right, &t);
            if (!strstr(response, need.data)) f |= SIMFLAW_WRONG_ANSWER;
            buf_release(&need);
        }
    }
    if (ends_on_connective(response)) f |= SIMFLAW_TRUNCATED;
    if (has_repeat(response)) f |= SIMFLAW_PADDING;
    if (off_topic_sentence(ins, response)) f |= SIMFLAW_OFF_TOPIC;
    if (steps_out_of_order(response) || self_contradiction(response)) f |= SIMFLAW_CONTRADICTION;
    if (unsafe_advice(response)) f |= SIMFLAW_UNSAFE;
    return f;
}

/* ---------- names and phrases ---------- */

static int bit_index(unsigned bit)
{
    for (int i = 0; i < SIMFLAW_N; i++)
        if (simflaw_bits[i] == bit) return i;
    return -1;
}

const char *simflaw_name(unsigned bit)
{
    int i = bit_index(bit);
    return i < 0 ? NULL : flaw_names[i];
}

const char *simflaw_phrase(unsigned bit)
{
    int i = bit_index(bit);
    return i < 0 ? NULL : flaw_phrases[i];
}

unsigned simflaw_parse_critique(const char *text)
{
    unsigned f = 0;
    if (!text) return 0;
    for (int i = 0; i < SIMFLAW_N; i++)
        if (ci_find(text, flaw_phrases[i])) f |= simflaw_bits[i];
    return f;
}

int simflaw_dimension(unsigned bit)
{
    int i = bit_index(bit);
    return i >= 0 && i < 6 ? i : -1;
}

int simflaw_count(unsigned flaws)
{
    int n = 0;
    for (int i = 0; i < SIMFLAW_N; i++) n += (flaws & simflaw_bits[i]) != 0;
    return n;
}

/* ---------- injectors ---------- */

/* Offset just after the first sentence (or line) of text; a fenced code block
 * at the start counts as one unit, so nothing is inserted inside code. */
static size_t after_first_sentence(const char *text)
{
    struct span sp[2];
    int n = split_sentences(text, sp, 2);
    if (n == 0) return strlen(text);
    if (strncmp(sp[0].s, "```", 3) == 0) {
        const char *close = strstr(sp[0].s + 3, "\n```");
        if (close) {
            const char *e = strchr(close + 4, '\n');
            return e ? (size_t)(e - text) : strlen(text);
        }
    }
    return (size_t)(sp[0].s + sp[0].n - text);
}

static void insert_at(struct buf *b, size_t off, const char *s)
{
    struct buf t = BUF_INIT;
    buf_append(&t, b->data, off);
    buf_puts(&t, s);
    buf_puts(&t, b->data + off);
    buf_reset(b);
    buf_append(b, t.data, t.len);
    buf_release(&t);
}

/* Separator to put before an inserted sentence at off: newline in line-based
 * texts (steps), a space otherwise. */
static const char *sep_at(const struct buf *b, size_t off)
{
    return b->data[off] == '\n' || strstr(b->data, "Step 1:") ? "\n" : " ";
}

static int inject_padding(struct buf *b, struct rng *r)
{
    struct span *sp = xmalloc(sizeof(struct span) * MAX_SENTENCES);
    int n = split_sentences(b->data, sp, MAX_SENTENCES);
    int best = -1, bestw = 0;
    for (int i = 0; i < n; i++) {
        if (sp[i].n && sp[i].s[0] == '`') continue;
        int w = 0;
        bool in = false;
        for (size_t k = 0; k < sp[i].n; k++) {
            bool a = isalnum((unsigned char)sp[i].s[k]);
            if (a && !in) w++;
            in = a;
        }
        for (size_t k = 0; k < sp[i].n; k++)
            if (isdigit((unsigned char)sp[i].s[k])) w = 0; /* numbers break runs */
        if (w > bestw && sp[i].s[sp[i].n - 1] == '.') {
            bestw = w;
            best = i;
        }
    }
    struct buf ins = BUF_INIT;
    size_t off;
    const char *l = restate_leads[rng_below(r, GRA_ARRAY_LEN(restate_leads))];
    if (best >= 0 && bestw >= 12) {
        off = (size_t)(sp[best].s + sp[best].n - b->data);
        buf_appendf(&ins, "%s%s %c%.*s", sep_at(b, off), l,
                    (char)tolower((unsigned char)sp[best].s[0]), (int)sp[best].n - 1,
                    sp[best].s + 1);
    } else {
        off = after_first_sentence(b->data);
        const char *filler =
            "this is the part that really matters most here, just as it was noted.";
        buf_appendf(&ins, "%s%s %s %s %s", sep_at(b, off), l, filler, l, filler);
        /* both copies open with a lead, so the run repeats inside padding */
    }
    insert_at(b, off, ins.data);
    buf_release(&ins);
    free(sp);
    return 0;
}

static int inject_off_topic(const char *instruction, struct buf *b, struct rng *r)
{
    struct buf iw = BUF_INIT, sw = BUF_INIT;
    simflaw_content_words(instruction, 1000, &iw);
    simflaw_content_words(b->data, 1000, &iw);
    size_t n = GRA_ARRAY_LEN(unrelated_sentences), start = (size_t)rng_below(r, n);
    const char *chosen = NULL;
    for (size_t k = 0; k < n && !chosen; k++) {
        const char *s = unrelated_sentences[(start + k) % n];
        buf_reset(&sw);
        simflaw_content_words(s, 1000, &sw);
        bool shared = false;
        for (size_t off = 0; off < sw.len && !shared; off += strlen(sw.data + off) + 1)
            if (words_contain(&iw, sw.data + off)) shared = true;
        if (!shared) chosen = s;
    }
    buf_release(&iw);
    buf_release(&sw);
    if (!chosen) return -1;
    size_t off = after_first_sentence(b->data);
    char *ins = xasprintf("%s%s %s", sep_at(b, off),
                          drift_openers[rng_below(r, GRA_ARRAY_LEN(drift_openers))], chosen);
    insert_at(b, off, ins);
    free(ins);
    return 0;
}

static int inject_contradiction(struct buf *b)
{
    char *s1 = strstr(b->data, "Step 1:");
    char *s2 = s1 ? strstr(s1, "\nStep 2:") : NULL; /* after step 1, or l1 below underflows */
    if (s2) {
        /* swap the first two step lines */
        s2++;
        char *e2 = strchr(s2, '\n');
        size_t l1 = (size_t)(s2 - s1), l2 = e2 ? (size_t)(e2 - s2) + 1 : strlen(s2);
        struct buf t = BUF_INIT;
        buf_append(&t, b->data, (size_t)(s1 - b->data));
        buf_append(&t, s2, l2);
        if (!e2) buf_putc(&t, '\n');
        buf_append(&t, s1, l1);
        if (e2) buf_puts(&t, e2 + 1);
        while (t.len && t.data[t.len - 1] == '\n') t.data[--t.len] = 0;
        buf_reset(b);
        buf_append(b, t.data, t.len);
        buf_release(&t);
        return 0;
    }
    struct span sp[MAX_SENTENCES];
    int n = split_sentences(b->data, sp, MAX_SENTENCES);
    for (int i = 0; i < n; i++) {
        if (sp[i].n < 12 || sp[i].s[sp[i].n - 1] != '.' || sp[i].s[0] == '`') continue;
        size_t off = (size_t)(sp[i].s + sp[i].n - b->data);
        char *ins =
            xasprintf(" It is not true that %c%.*s", (char)tolower((unsigned char)sp[i].s[0]),
                      (int)sp[i].n - 1, sp[i].s + 1);
        insert_at(b, off, ins);
        free(ins);
        return 0;
    }
    return -1;
}

static int inject_unsafe(struct buf *b, struct rng *r)
{
    const char *ph = unsafe_phrases[rng_below(r, GRA_ARRAY_LEN(unsafe_phrases))];
    char *s = xasprintf("%s%s.", unsafe_frames[rng_below(r, GRA_ARRAY_LEN(unsafe_frames))], ph);
    size_t off = after_first_sentence(b->data);
    char *ins = xasprintf("%s%s", sep_at(b, off), s);
    insert_at(b, off, ins);
    free(ins);
    free(s);
    return 0;
}

static int inject_truncation(struct buf *b, struct rng *r)
{
    char *fa = strstr(b->data, "Final answer:");
    if (fa) {
        while (fa > b->data && fa[-1] == '\n') fa--;
        b->len = (size_t)(fa - b->data);
        b->data[b->len] = 0;
        return 0;
    }
    /* cut the last sentence after its middle and end on a connective */
    struct span sp[MAX_SENTENCES];
    int n = split_sentences(b->data, sp, MAX_SENTENCES);
    if (n == 0) return -1;
    const struct span *last = &sp[n - 1];
    const char *cut = last->s + last->n / 2;
    while (cut > last->s && !isspace((unsigned char)*cut)) cut--;
    size_t keep = (size_t)(cut - b->data);
    while (keep && isspace((unsigned char)b->data[keep - 1])) keep--;
    while (keep && ispunct((unsigned char)b->data[keep - 1])) keep--;
    b->len = keep;
    b->data[keep] = 0;
    static const char *const tail[] = {" and", " because", " which", " with the"};
    buf_puts(b, tail[rng_below(r, GRA_ARRAY_LEN(tail))]);
    return 0;
}

int simflaw_inject_response(unsigned bit, const char *instruction, struct buf *response,
                            struct rng *r)
{
    switch (bit) {
    case SIMFLAW_PADDING:
        return inject_padding(response, r);
    case SIMFLAW_OFF_TOPIC:
        return inject_off_topic(instruction ? instruction : "", response, r);
    case SIMFLAW_CONTRADICTION:
        return inject_contradiction(response);
    case SIMFLAW_UNSAFE:
        return inject_unsafe(response, r);
    case SIMFLAW_TRUNCATED:
        return inject_truncation(response, r);
    default:
        return -1;
    }
}

static int garble(struct buf *b, struct rng *r)
{
    /* candidate words: 6+ letters, 4+ consonants, not all capitals */
    size_t starts[256], lens[256];
    int n = 0;
    const char *p = b->data;
    while (*p && n < 256) {
        while (*p && !isalpha((unsigned char)*p)) p++;
        const char *s = p;
        int cons = 0;
        bool lower = false;
        while (isalpha((unsigned char)*p)) {
            if (!strchr("aeiouyAEIOUY", *p)) cons++;
            if (islower((unsigned char)*p)) lower = true;
            p++;
        }
        if (p - s >= 6 && cons >= 4 && lower) {
            starts[n] = (size_t)(s - b->data);
            lens[n] = (size_t)(p - s);
            n++;
        }
    }
    if (n < 2) return -1;
    int want = n < 3 ? n : 3;
    bool pickw[256] = {false};
    for (int k = 0; k < want;) {
        int i = (int)rng_below(r, (uint64_t)n);
        if (!pickw[i]) {
            pickw[i] = true;
            k++;
        }
    }
    struct buf t = BUF_INIT;
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        if (!pickw[i]) continue;
        buf_append(&t, b->data + pos, starts[i] - pos);
        for (size_t k = 0; k < lens[i]; k++) {
            char c = b->data[starts[i] + k];
            if (!strchr("aeiouyAEIOUY", c)) buf_putc(&t, c);
        }
        pos = starts[i] + lens[i];
    }
    buf_puts(&t, b->data + pos);
    buf_reset(b);
    buf_append(b, t.data, t.len);
    buf_release(&t);
    return 0;
}

int simflaw_inject_instruction(unsigned bit, struct buf *instruction, struct rng *r)
{
    switch (bit) {
    case SIMFLAW_UNCLEAR:
        return garble(instruction, r);
    case SIMFLAW_UNREASONABLE:
        buf_appendf(instruction, " Answer in fewer than %ld words, using at least %ld words.",
                    draw(r, 5, 20), draw(r, 60, 200));
        return 0;
    case SIMFLAW_INCOMPLETE: {
        static const char *const refs[] = {"Base your answer on the passage below.",
                                           "Use the figures in the table below.",
                                           "Work only from the list below."};
        buf_appendf(instruction, " %s", refs[rng_below(r, GRA_ARRAY_LEN(refs))]);
        return 0;
    }
    default:
        return -1;
    }
}
