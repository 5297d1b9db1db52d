/*
 * sim_roles: the simulated GRA roles behind `gra serve-sim` (docs/sim-world.md).
 *
 * A Monte Carlo model of the protocol, not an LLM. Quality lives in the text:
 * the generator writes records whose flaws are observable (core/simflaw.h),
 * with per-domain flaw probabilities from the model's "generator" section; the
 * reviewers "perceive" a flaw by running the same detectors, each flaw type
 * with its own sensitivity (the chance the reviewer bothers to check and
 * succeeds), plus false alarms, leniency and score noise from the "reviewer"
 * section. A critique names what the reviewer noticed with simflaw's stable
 * phrases, so the adjudicator, reading the <review> blocks, re-checks exactly
 * those flaws with its (higher) recheck sensitivity. Nothing passes between
 * "models" except the request text.
 *
 * One request = one handler call: parse the last user message's tagged blocks
 * (synth/protocol.h), read the model's parameters (documented defaults for
 * anything absent), draw every random choice from one stream seeded by the
 * seed serve-sim derives from the body and the model, and write the reply
 * JSON, sometimes wrapped in a ```json fence or a sentence of prose as small
 * models do. No global state: thread-safe.
 */
#include "synth/sim_roles.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/rng.h"
#include "core/simflaw.h"
#include "synth/protocol.h"
#include "synth/synth.h"

static const char *const domains[SYNTH_N_DOMAINS] = SYNTH_DOMAINS;
static const char *const dims[SYNTH_N_DIMS] = SYNTH_DIMS;

enum { D_CODING, D_MATH, D_QA, D_REASONING, D_ROLEPLAY, D_LANGUAGE, D_CREATIVE };

/* ---------- parameters ---------- */

/* Defaults (docs/sim-world.md): a middling 7B model. Flaw rates by simflaw_bits
 * order: wrong_answer, padding, truncated, off_topic, contradiction, unsafe,
 * unreasonable, incomplete, unclear. */
static const double default_rates[SIMFLAW_N] = {0.20, 0.06, 0.05, 0.05, 0.05,
                                                0.02, 0.04, 0.05, 0.03};
static const double default_sens[SIMFLAW_N] = {0.55, 0.60, 0.75, 0.65, 0.55,
                                               0.85, 0.60, 0.65, 0.80};
static const double default_false_alarm = 0.02;

struct gen_params {
    double rate[SIMFLAW_N];
    double domain_error; /* metadata writer: chance of a random domain */
    double fence_rate, prose_rate;
};

struct rev_params {
    double sens[SIMFLAW_N];
    double false_alarm[SIMFLAW_N];
    double base_score;   /* a clean dimension's mean score */
    double flawed_score; /* a dimension whose flaw was noticed */
    double halo;         /* points every other dimension loses per noticed flaw */
    double leniency;     /* added to every score */
    double noise_sd;     /* per-dimension score noise */
    double recheck;      /* adjudicator: sensitivity for flaws a reviewer named */
    double fence_rate, prose_rate;
};

struct perr {
    char *why;
    size_t len;
    bool failed;
};

static void perr_set(struct perr *e, const char *model, const char *path, const char *what)
{
    if (e->failed) return;
    e->failed = true;
    snprintf(e->why, e->len, "model %s: %s: %s", model, path, what);
}

static double num_field(const cJSON *obj, const char *key, double def, double lo, double hi,
                        const char *model, const char *sec, struct perr *e)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!v) return def;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi) {
        char path[160], what[80];
        snprintf(path, sizeof path, "%s.%s", sec, key);
        snprintf(what, sizeof what, "expected a number in [%g, %g]", lo, hi);
        perr_set(e, model, path, what);
        return def;
    }
    return v->valuedouble;
}

/* A per-flaw table: an object {"default": x, "<flaw name>": y, ...} or one number. */
static void flaw_table(const cJSON *obj, const char *key, double *out, const char *model,
                       const char *sec, struct perr *e)
{
    const cJSON *t = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!t) return;
    char path[160];
    snprintf(path, sizeof path, "%s.%s", sec, key);
    if (cJSON_IsNumber(t)) {
        if (t->valuedouble < 0 || t->valuedouble > 1)
            perr_set(e, model, path, "expected a number in [0, 1]");
        else
            for (int i = 0; i < SIMFLAW_N; i++) out[i] = t->valuedouble;
        return;
    }
    if (!cJSON_IsObject(t)) {
        perr_set(e, model, path, "expected a number or an object of flaw names");
        return;
    }
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(t, "default");
    if (d) {
        if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 1)
            perr_set(e, model, path, "\"default\": expected a number in [0, 1]");
        else
            for (int i = 0; i < SIMFLAW_N; i++) out[i] = d->valuedouble;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, t)
    {
        if (strcmp(it->string, "default") == 0) continue;
        int k = -1;
        for (int i = 0; i < SIMFLAW_N; i++)
            if (strcmp(simflaw_name(simflaw_bits[i]), it->string) == 0) k = i;
        char p2[200];
        snprintf(p2, sizeof p2, "%s.%s", path, it->string);
        if (k < 0)
            perr_set(e, model, p2, "unknown flaw name (see docs/sim-world.md)");
        else if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1)
            perr_set(e, model, p2, "expected a number in [0, 1]");
        else
            out[k] = it->valuedouble;
    }
}

static void gen_params_load(const struct sim_model *m, int domain, struct gen_params *g,
                            struct perr *e)
{
    const cJSON *sec = m->spec ? cJSON_GetObjectItemCaseSensitive(m->spec, "generator") : NULL;
    memcpy(g->rate, default_rates, sizeof g->rate);
    if (sec && !cJSON_IsObject(sec)) {
        perr_set(e, m->name, "generator", "expected an object");
        sec = NULL;
    }
    const cJSON *fl = sec ? cJSON_GetObjectItemCaseSensitive(sec, "flaws") : NULL;
    if (fl && !cJSON_IsObject(fl))
        perr_set(e, m->name, "generator.flaws", "expected an object");
    else if (fl) {
        flaw_table(fl, "default", g->rate, m->name, "generator.flaws", e);
        for (int d = 0; d < SYNTH_N_DOMAINS; d++) /* validate every domain, apply ours */
        {
            double tmp[SIMFLAW_N];
            memcpy(tmp, g->rate, sizeof tmp);
            flaw_table(fl, domains[d], d == domain ? g->rate : tmp, m->name, "generator.flaws", e);
        }
        const cJSON *it;
        cJSON_ArrayForEach(it, fl)
        {
            bool ok = strcmp(it->string, "default") == 0;
            for (int d = 0; d < SYNTH_N_DOMAINS; d++)
                ok = ok || strcmp(it->string, domains[d]) == 0;
            if (!ok) {
                char p[160];
                snprintf(p, sizeof p, "generator.flaws.%s", it->string);
                perr_set(e, m->name, p, "expected \"default\" or one of the seven domains");
            }
        }
    }
    g->domain_error = num_field(sec, "domain_error", 0.05, 0, 1, m->name, "generator", e);
    g->fence_rate = num_field(sec, "fence_rate", 0.05, 0, 1, m->name, "generator", e);
    g->prose_rate = num_field(sec, "prose_rate", 0.03, 0, 1, m->name, "generator", e);
}

static void rev_params_load(const struct sim_model *m, struct rev_params *p, struct perr *e)
{
    const cJSON *sec = m->spec ? cJSON_GetObjectItemCaseSensitive(m->spec, "reviewer") : NULL;
    if (sec && !cJSON_IsObject(sec)) {
        perr_set(e, m->name, "reviewer", "expected an object");
        sec = NULL;
    }
    memcpy(p->sens, default_sens, sizeof p->sens);
    for (int i = 0; i < SIMFLAW_N; i++) p->false_alarm[i] = default_false_alarm;
    flaw_table(sec, "sensitivity", p->sens, m->name, "reviewer", e);
    flaw_table(sec, "false_alarm", p->false_alarm, m->name, "reviewer", e);
    p->base_score = num_field(sec, "base_score", 9.0, 0, 10, m->name, "reviewer", e);
    p->flawed_score = num_field(sec, "flawed_score", 2.0, 0, 10, m->name, "reviewer", e);
    p->halo = num_field(sec, "halo", 2.5, 0, 10, m->name, "reviewer", e);
    p->leniency = num_field(sec, "leniency", 0.0, -10, 10, m->name, "reviewer", e);
    p->noise_sd = num_field(sec, "noise_sd", 0.7, 0, 10, m->name, "reviewer", e);
    p->recheck = num_field(sec, "recheck_sensitivity", 0.9, 0, 1, m->name, "reviewer", e);
    p->fence_rate = num_field(sec, "fence_rate", 0.03, 0, 1, m->name, "reviewer", e);
    p->prose_rate = num_field(sec, "prose_rate", 0.02, 0, 1, m->name, "reviewer", e);
}

int sim_roles_check_model(const struct sim_model *m, char *why, size_t why_len)
{
    struct perr e = {why, why_len, false};
    struct gen_params g;
    struct rev_params r;
    gen_params_load(m, -1, &g, &e);
    rev_params_load(m, &r, &e);
    return e.failed ? -1 : 0;
}

/* ---------- request material ---------- */

/* Text of the last user message (string content or the "text" parts). */
static void last_user_text(const cJSON *body, struct buf *out)
{
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
    const cJSON *last = NULL, *it;
    cJSON_ArrayForEach(it, msgs)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(it, "role");
        if (cJSON_IsString(role) && strcmp(role->valuestring, "user") == 0) last = it;
    }
    if (!last) return;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(last, "content");
    if (cJSON_IsString(c)) {
        buf_puts(out, c->valuestring);
        return;
    }
    cJSON_ArrayForEach(it, c)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "text");
        if (cJSON_IsString(t)) buf_puts(out, t->valuestring);
    }
}

/* The n-th (0-based) <tag>...</tag> block of text as a fresh string with the
 * surrounding newlines trimmed; NULL if absent. Free with free(). */
static char *block(const char *text, const char *tag, int n)
{
    char open[40], close[40];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *p = text;
    for (int i = 0;; i++) {
        const char *a = strstr(p, open);
        if (!a) return NULL;
        a += strlen(open);
        const char *b = strstr(a, close);
        if (!b) return NULL;
        if (i == n) {
            while (a < b && (*a == '\n' || *a == '\r')) a++;
            while (b > a && (b[-1] == '\n' || b[-1] == '\r' || b[-1] == ' ')) b--;
            return xstrndup(a, (size_t)(b - a));
        }
        p = b + strlen(close);
    }
}

/* The value after "key:" on a line of a block ("keywords: a; b; c"). */
static char *block_field(const char *blk, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = blk; p && *p;) {
        while (*p == ' ' || *p == '\t') p++;
        if (strncasecmp(p, key, kl) == 0 && p[kl] == ':') {
            const char *v = p + kl + 1;
            while (*v == ' ') v++;
            const char *e = strchr(v, '\n');
            return xstrndup(v, e ? (size_t)(e - v) : strlen(v));
        }
        p = strchr(p, '\n');
        if (p) p++;
    }
    return NULL;
}

/* Split "a; b; c" (or commas) into at most max trimmed lowercase items. */
static int split_keywords(const char *s, char out[][48], int max)
{
    int n = 0;
    const char *p = s ? s : "";
    while (*p && n < max) {
        while (*p == ' ' || *p == ';' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ';' && *e != ',') e++;
        const char *b = e;
        while (b > p && isspace((unsigned char)b[-1])) b--;
        if (b > p) {
            size_t len = (size_t)(b - p) < 47 ? (size_t)(b - p) : 47;
            for (size_t i = 0; i < len; i++) out[n][i] = (char)tolower((unsigned char)p[i]);
            out[n][len] = 0;
            n++;
        }
        p = e;
    }
    return n;
}

static int domain_index(const char *name)
{
    if (!name) return -1;
    for (int d = 0; d < SYNTH_N_DOMAINS; d++)
        if (strcasecmp(name, domains[d]) == 0) return d;
    return -1;
}

/* ---------- reply writing ---------- */

static void finish(struct sim_reply *out, cJSON *obj, double fence, double prose, struct rng *r,
                   const cJSON *body)
{
    char *js = cJSON_PrintUnformatted(obj);
    double u = rng_uniform(r);
    if (u < fence) {
        buf_appendf(&out->content, "```json\n%s\n```", js);
    } else if (u < fence + prose) {
        static const char *const pre[] = {"Here is my answer:\n", "Sure! ", "Certainly.\n\n"};
        static const char *const post[] = {"", "\nLet me know if you need anything else.",
                                           "\nI hope this helps."};
        buf_appendf(&out->content, "%s%s%s", pre[rng_below(r, 3)], js, post[rng_below(r, 3)]);
    } else {
        buf_puts(&out->content, js);
    }
    free(js);
    /* honour max_tokens like a real server: cut and say "length" */
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(body, "max_completion_tokens");
    if (!cJSON_IsNumber(mt)) mt = cJSON_GetObjectItemCaseSensitive(body, "max_tokens");
    if (cJSON_IsNumber(mt) && mt->valuedouble > 0 &&
        (double)((out->content.len + 3) / 4) > mt->valuedouble) {
        size_t cut = (size_t)mt->valuedouble * 4;
        while (cut > 0 && ((unsigned char)out->content.data[cut] & 0xc0) == 0x80) cut--;
        out->content.len = cut;
        out->content.data[cut] = 0;
        out->finish_reason = "length";
    }
}

static bool chance(struct rng *r, double p)
{
    return rng_uniform(r) < p;
}

/* ---------- generator ---------- */

static const char *const instr_tmpls[SYNTH_N_DOMAINS][3] = {
    [D_QA] = {"Explain what {1} means and how it relates to {2}. Include one concrete example "
              "involving {3}.",
              "What is the connection between {1} and {2}? Answer in a short paragraph that also "
              "mentions {3}.",
              "Describe how {1} affects {2}, and give an example involving {3}."},
    [D_REASONING] =
        {"Compare {1} and {2}, and decide which one matters more when dealing with {3}. Justify "
         "your decision step by step.",
         "Suppose {1} suddenly became scarce. Reason through the likely effects on {2} and {3}.",
         "A friend claims that {1} always improves {2}. Using {3} as a test case, decide whether "
         "the claim holds."},
    [D_ROLEPLAY] = {"You are an experienced guide on {1}. A newcomer asks you how {2} fits in; "
                    "answer in character and mention {3}.",
                    "Pretend you are a shopkeeper who knows everything about {1}. A customer asks "
                    "about {2} and {3}; reply in character.",
                    "Act as a patient teacher explaining {1} to a student who is worried about "
                    "{2}. Mention {3}."},
    [D_LANGUAGE] = {"Rewrite the following sentence in a more formal register, keeping the terms "
                    "{1} and {2}: \"{S}\"",
                    "Give three synonyms for {1} and use each one in a sentence about {2} and {3}.",
                    "Correct the grammar of this sentence about {1} and {2}: \"{S}\""},
    [D_CREATIVE] =
        {"Write a short story in which {1} and {2} play a central role, ending with an image of "
         "{3}.",
         "Write a short poem about {1} that mentions {2} and {3}.",
         "Write a letter from a character who has just discovered {1}, describing {2} and {3}."},
};

static const char *const open_tmpls[SYNTH_N_DOMAINS] = {
    [D_QA] = "{U} is best understood through its link to {2}.",
    [D_REASONING] = "To answer this, it helps to look at {1} and {2} one at a time.",
    [D_ROLEPLAY] =
        "Welcome! As someone who has spent years with {1}, I am glad you asked about {2}.",
    [D_LANGUAGE] = "Here is a careful answer that keeps {1} and {2} in view.",
    [D_CREATIVE] = "The morning {1} arrived, nobody in the village expected {2} to follow.",
};
static const char *const body_tmpls[SYNTH_N_DOMAINS][5] = {
    [D_QA] =
        {"{B} shapes how {1} works in practice, so the two are rarely separate.",
         "A concrete case is {3}, which shows {1} at work in everyday situations.",
         "When {1} changes, {2} usually changes with it, which is why people study them together.",
         "Looking at {3} also helps explain why {2} matters so much.",
         "Small differences in {1} can lead to large differences in {2} over time."},
    [D_REASONING] =
        {"First, {1} sets the conditions that {2} depends on.",
         "Second, {3} is the situation where the difference between them shows most clearly.",
         "If {1} were weaker, {2} would have to carry more of the load.",
         "The evidence from {3} points in the same direction as the argument about {1}.",
         "Therefore {1} matters more here, because it drives {2}."},
    [D_ROLEPLAY] =
        {"Around here we always say that {1} rewards patience, and {2} is no exception.",
         "My advice is to start small with {2} and learn how {1} responds.",
         "Many of my customers ask about {3}, and I tell them it ties {1} and {2} together.",
         "Take your time with {3}; nobody masters {1} in a single week.",
         "If {2} ever feels confusing, come back and we will go through {1} together."},
    [D_LANGUAGE] = {"The formal version reads: {U} and {2} are closely related.",
                    "A more precise wording would connect {1} directly to {2}.",
                    "In formal writing, {3} should be introduced before it is discussed.",
                    "Using {1} consistently makes the sentence about {2} easier to read.",
                    "The revised sentence keeps {1} and {2} and removes informal phrasing."},
    [D_CREATIVE] = {"By noon, {2} had changed the way everyone spoke about {1}.",
                    "Mara kept a small notebook about {3} and wrote in it every night.",
                    "Her brother laughed at first, but even he started to notice {1} everywhere.",
                    "At the harvest festival the whole square talked about {2} and {3}.",
                    "Years later, the children still told stories about {1} by the fire."},
};
static const char *const close_tmpls[SYNTH_N_DOMAINS] = {
    [D_QA] = "In short, {1} and {2} are connected, and {3} shows why.",
    [D_REASONING] = "So, weighing {2} against {1}, the case of {3} settles the question.",
    [D_ROLEPLAY] = "Come back any time you want to talk more about {3}.",
    [D_LANGUAGE] = "These changes keep the meaning of {1} while making the text more formal.",
    [D_CREATIVE] = "When the storm passed, {3} was all that remained, bright against the grey sky.",
};

/* Common words that never make a keyword, besides simflaw's stop words and
 * every word of the templates above. */
static const char *const generic_words[] = {
    "anything", "something", "everything", "nothing", "main", "first", "second", "third", "come",
    "comes", "affects", "affect", "improves", "improve", "always", "never", "holds", "claims",
    "claim", "makes", "take", "takes", "uses", "good", "best", "better", "different", "important",
    "well", "still", "needs", "provide", "generate", "create", "find", "tell", "name", "names",
    "examples", "given", "based", "following", "list", "lists", "write", "type", "kind", "thing",
    "things", "people", "someone", "way", "ways", "part", "able", "whether", "know", "help",
    "helps", "show", "shows", "show", "into", "item", "items", "task", "tasks", "question",
    "questions", "answer", "answers", "response", "instruction", "summary", "keywords", "topic",
    "many", "several", "number", "numbers", "total", "each", "case", "test", "year", "years",
    "time", "times", "long", "little", "great", "small", "large", "high", "done", "said", "says",
    "made", "going", "think", "look", "looking",
    /* the words the instruction-flaw injectors add (core/simflaw.c) */
    "fewer", "least", "words", "passage", "table", "figures", "work", "base", "below", "only",
    "incidentally", "aside", "unrelated", "note", "honestly", "hurry", "save", "fine", "true",
    "other", "another", "matters", "noted", "really"};

static bool word_in(const char *w, const char *text)
{
    size_t n = strlen(w);
    for (const char *p = text; (p = strstr(p, w)) != NULL; p++) {
        bool start = p == text || !isalpha((unsigned char)p[-1]);
        if (start && !isalpha((unsigned char)p[n])) return true;
    }
    return false;
}

/* True for words that should never be a topic word or keyword. */
static bool template_word(const char *w)
{
    for (size_t i = 0; i < GRA_ARRAY_LEN(generic_words); i++)
        if (strcmp(generic_words[i], w) == 0) return true;
    char low[256];
    for (int d = 0; d < SYNTH_N_DOMAINS; d++) {
        const char *t[10] = {instr_tmpls[d][0], instr_tmpls[d][1], instr_tmpls[d][2],
                             open_tmpls[d],     close_tmpls[d],    body_tmpls[d][0],
                             body_tmpls[d][1],  body_tmpls[d][2],  body_tmpls[d][3],
                             body_tmpls[d][4]};
        for (int g = 0; g < 10; g++) {
            if (!t[g]) continue;
            size_t i = 0;
            for (; t[g][i] && i + 1 < sizeof low; i++)
                low[i] = (char)tolower((unsigned char)t[g][i]);
            low[i] = 0;
            if (word_in(w, low)) return true;
        }
    }
    return false;
}

/* Up to 3 topic words of a text (content words that are not template words). */
static int topic_words(const char *text, char out[3][48])
{
    struct buf w = BUF_INIT;
    int n = simflaw_content_words(text, 64, &w), k = 0;
    size_t off = 0;
    for (int i = 0; i < n && k < 3; i++) {
        const char *s = w.data + off;
        off += strlen(s) + 1;
        if (template_word(s) || strlen(s) >= 48) continue;
        snprintf(out[k++], 48, "%s", s);
    }
    buf_release(&w);
    static const char *const fill[] = {"context", "details", "practice"};
    for (int i = k; i < 3; i++) snprintf(out[i], 48, "%s", fill[i]);
    return k;
}

static void upcase_first(char *s)
{
    if (s[0]) s[0] = (char)toupper((unsigned char)s[0]);
}

/* Append template t with {1},{2},{3} = k[0..2] and {U} = k[0] capitalised. */
static void put_tmpl(struct buf *b, const char *t, char k[3][48])
{
    for (const char *p = t; *p; p++) {
        if (p[0] == '{' && p[1] && p[2] == '}') {
            if (p[1] >= '1' && p[1] <= '3') {
                buf_puts(b, k[p[1] - '1']);
            } else if (p[1] == 'U' || (p[1] >= 'A' && p[1] <= 'C')) {
                char tmp[48];
                snprintf(tmp, sizeof tmp, "%s", k[p[1] == 'U' ? 0 : p[1] - 'A']);
                upcase_first(tmp);
                buf_puts(b, tmp);
            }
            p += 2;
        } else {
            buf_putc(b, *p);
        }
    }
}

/* The first sentence of s (up to 200 chars), without digits-only noise. */
static void first_sentence(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    const char *p = s;
    while (*p && isspace((unsigned char)*p)) p++;
    while (*p && n + 1 < cap) {
        out[n++] = *p == '\n' || *p == '"' ? ' ' : *p;
        if ((*p == '.' || *p == '!' || *p == '?') && (p[1] == ' ' || p[1] == 0 || p[1] == '\n'))
            break;
        p++;
    }
    out[n] = 0;
}

static void gen_keywords(const char *text, struct rng *r, struct sim_reply *out,
                         const struct gen_params *g, const cJSON *body)
{
    char pool[64][48];
    int owner[64], n = 0;
    for (int i = 0; i < 16 && n < 60; i++) {
        char *ex = block(text, "example", i);
        if (!ex) break;
        char *kw = block_field(ex, "keywords");
        char tmp[8][48];
        int k = split_keywords(kw, tmp, 8);
        for (int j = 0; j < k && n < 64; j++) {
            bool dup = false;
            for (int q = 0; q < n; q++) dup = dup || strcmp(pool[q], tmp[j]) == 0;
            if (dup) continue;
            memcpy(pool[n], tmp[j], 48);
            owner[n++] = i;
        }
        free(kw);
        free(ex);
    }
    if (n == 0) { /* no examples: topic words of the whole prompt */
        char k3[3][48];
        topic_words(text, k3);
        for (int i = 0; i < 3; i++) {
            memcpy(pool[n], k3[i], 48);
            owner[n++] = i;
        }
    }
    /* recombine: prefer one keyword from each of three different examples */
    int chosen[3], nc = 0;
    for (int pass = 0; pass < 2 && nc < 3; pass++) {
        for (int tries = 0; tries < 4 * n && nc < 3; tries++) {
            int i = (int)rng_below(r, (uint64_t)n);
            bool ok = true;
            for (int c = 0; c < nc; c++) {
                if (chosen[c] == i) ok = false;
                if (pass == 0 && owner[chosen[c]] == owner[i]) ok = false;
            }
            if (ok) chosen[nc++] = i;
        }
    }
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "keywords");
    static const char *const fill[] = {"context", "details", "practice"};
    for (int c = 0; c < 3; c++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(c < nc ? pool[chosen[c]] : fill[c]));
    finish(out, o, g->fence_rate, g->prose_rate, r, body);
    cJSON_Delete(o);
}

/* A single lowercase word usable as a countable item ("marbles"). */
static const char *single_word(char k[3][48], bool plural)
{
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(k[i]);
        bool ok = n >= 4 && n <= 14;
        for (size_t j = 0; j < n && ok; j++) ok = islower((unsigned char)k[i][j]);
        if (ok && plural == (k[i][n - 1] == 's')) return k[i];
    }
    return NULL;
}

static void gen_instruction(const char *text, int domain, struct rng *r, struct sim_reply *out,
                            const struct gen_params *g, const cJSON *body)
{
    char *kwb = block(text, "keywords", 0);
    char k[3][48];
    int nk = split_keywords(kwb, k, 3);
    free(kwb);
    if (nk < 3) {
        char t[3][48];
        topic_words(text, t);
        for (int i = nk; i < 3; i++) memcpy(k[i], t[i - nk], 48);
    }
    unsigned fl = 0;
    if (chance(r, g->rate[6])) fl |= SIMFLAW_UNREASONABLE;
    if (chance(r, g->rate[7])) fl |= SIMFLAW_INCOMPLETE;
    bool unclear = chance(r, g->rate[8]);
    struct buf ins = BUF_INIT;
    if (domain == D_MATH) {
        simflaw_math_instruction(r, -1, NULL, single_word(k, true), single_word(k, false), fl,
                                 &ins);
    } else if (domain == D_CODING) {
        const char *stem = single_word(k, false);
        if (!stem) stem = single_word(k, true);
        simflaw_code_instruction(r, -1, stem, fl, &ins);
    } else {
        /* a sentence of seed material: from a summary shown, else an example instruction */
        char sentence[220] = "";
        int nex = 0;
        while (nex < 16) {
            char *ex = block(text, "example", nex);
            if (!ex) break;
            free(ex);
            nex++;
        }
        if (nex) {
            char *ex = block(text, "example", (int)rng_below(r, (uint64_t)nex));
            char *sum = block_field(ex, "summary");
            if (sum) first_sentence(sum, sentence, sizeof sentence);
            free(sum);
            free(ex);
        }
        if (!sentence[0]) {
            char *ei = block(text, "example_instruction", 0);
            if (ei) first_sentence(ei, sentence, sizeof sentence);
            free(ei);
        }
        if (!sentence[0])
            snprintf(sentence, sizeof sentence, "%s and %s often go together.", k[0], k[1]);
        const char *t = instr_tmpls[domain][rng_below(r, 3)];
        for (const char *p = t; *p; p++) {
            if (p[0] == '{' && p[1] == 'S' && p[2] == '}') {
                buf_puts(&ins, sentence);
                p += 2;
            } else if (p[0] == '{' && p[1] >= '1' && p[1] <= '3' && p[2] == '}') {
                buf_puts(&ins, k[p[1] - '1']);
                p += 2;
            } else {
                buf_putc(&ins, *p);
            }
        }
        if ((domain == D_QA || domain == D_REASONING) && !strstr(t, "{S}") && chance(r, 0.5))
            buf_appendf(&ins, " Background: %s", sentence);
        if (fl & SIMFLAW_UNREASONABLE) simflaw_inject_instruction(SIMFLAW_UNREASONABLE, &ins, r);
        if (fl & SIMFLAW_INCOMPLETE) simflaw_inject_instruction(SIMFLAW_INCOMPLETE, &ins, r);
    }
    if (unclear) simflaw_inject_instruction(SIMFLAW_UNCLEAR, &ins, r);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "instruction", ins.data);
    finish(out, o, g->fence_rate, g->prose_rate, r, body);
    cJSON_Delete(o);
    buf_release(&ins);
}

/* A generic response: opening, body sentences by verbosity, closing; every
 * sentence names a topic word of the instruction. */
static void generic_response(const char *instruction, int domain, double verbosity, struct rng *r,
                             struct buf *out)
{
    if (domain == D_CODING || domain == D_MATH || domain < 0) domain = D_QA;
    char k[3][48];
    topic_words(instruction, k);
    put_tmpl(out, open_tmpls[domain], k);
    int nb = (int)lround(2.0 * verbosity) + (int)rng_below(r, 2);
    if (nb < 1) nb = 1;
    if (nb > 5) nb = 5;
    /* a random subset of the body sentences, kept in their written order (so
     * ordinals and story time run forward: clean text reads coherently) */
    int order[5] = {0, 1, 2, 3, 4};
    bool use[5] = {false};
    rng_shuffle(r, order, 5, sizeof order[0]);
    for (int i = 0; i < nb; i++) use[order[i]] = true;
    for (int i = 0; i < 5; i++) {
        if (!use[i]) continue;
        buf_putc(out, ' ');
        put_tmpl(out, body_tmpls[domain][i], k);
    }
    buf_putc(out, ' ');
    put_tmpl(out, close_tmpls[domain], k);
}

/* Apply the text-level response flaws drawn for this reply (truncation last). */
static void draw_text_flaws(const char *instruction, struct buf *resp, const struct gen_params *g,
                            bool structured, struct rng *r)
{
    if (chance(r, g->rate[1])) simflaw_inject_response(SIMFLAW_PADDING, instruction, resp, r);
    if (chance(r, g->rate[3])) simflaw_inject_response(SIMFLAW_OFF_TOPIC, instruction, resp, r);
    if (chance(r, g->rate[5])) simflaw_inject_response(SIMFLAW_UNSAFE, instruction, resp, r);
    if (!structured) {
        if (chance(r, g->rate[4]))
            simflaw_inject_response(SIMFLAW_CONTRADICTION, instruction, resp, r);
        if (chance(r, g->rate[2])) simflaw_inject_response(SIMFLAW_TRUNCATED, instruction, resp, r);
    }
}

static void gen_response(const char *text, int domain, bool refine, const struct sim_model *m,
                         struct rng *r, struct sim_reply *out, const struct gen_params *g,
                         const cJSON *body)
{
    char *ins = block(text, "instruction", 0);
    if (!ins) ins = xstrdup("");
    struct buf resp = BUF_INIT;
    unsigned fl = 0;
    if (chance(r, g->rate[0])) fl |= SIMFLAW_WRONG_ANSWER;
    if (chance(r, g->rate[2])) fl |= SIMFLAW_TRUNCATED;
    if (chance(r, g->rate[4])) fl |= SIMFLAW_CONTRADICTION;
    if (simflaw_solution(ins, fl, m->verbosity, r, &resp) == 0) {
        draw_text_flaws(ins, &resp, g, true, r);
    } else {
        char *seed_resp = refine ? block(text, "response", 0) : NULL;
        if (seed_resp && seed_resp[0]) {
            /* GRA-Refine on material outside the task grammar: keep the seed
             * answer, tidy it, add a closing line; text-level flaws only */
            static const char *const lead[] = {"", "Here is an improved answer.\n\n", "Answer:\n"};
            buf_puts(&resp, lead[rng_below(r, 3)]);
            buf_puts(&resp, seed_resp);
            char k[3][48];
            topic_words(ins, k);
            if (m->verbosity >= 1.0) {
                buf_puts(&resp, "\n\n");
                put_tmpl(&resp, "In summary, this covers {1} and {2}.", k);
            }
        } else {
            generic_response(ins, domain, m->verbosity, r, &resp);
        }
        free(seed_resp);
        draw_text_flaws(ins, &resp, g, false, r);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "response", resp.data);
    finish(out, o, g->fence_rate, g->prose_rate, r, body);
    cJSON_Delete(o);
    buf_release(&resp);
    free(ins);
}

/* ---------- metadata writer ---------- */

static bool has_any(const char *lower, const char *const *cues, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(lower, cues[i])) return true;
    return false;
}

/* Domain from content cues (docs/sim-world.md), in priority order. */
static int domain_from_cues(const char *instruction, const char *response)
{
    struct simflaw_task t;
    switch (simflaw_task_parse(instruction, &t)) {
    case SIMFLAW_MATH:
        return D_MATH;
    case SIMFLAW_CODE:
        return D_CODING;
    default:
        break;
    }
    char *lo = xasprintf(" %s ", instruction);
    for (char *p = lo; *p; p++) *p = (char)tolower((unsigned char)*p);
    char *lr = xstrdup(response ? response : "");
    for (char *p = lr; *p; p++) *p = (char)tolower((unsigned char)*p);
    static const char *const role[] = {"you are a",    "you are an",     "pretend",
                                       "act as",       "role-play",      "roleplay",
                                       "in character", "imagine you are"};
    static const char *const code[] = {"python",     "function", " code",     "program", "sql",
                                       "javascript", "html",     "algorithm", "script",  " java",
                                       "c++",        "regex",    "array"};
    static const char *const code_resp[] = {"def ", "```", "#include", "return ", "console.log"};
    static const char *const math_cues[] = {
        "how many", "how much", "calculate", "compute", "solve",       "sum of",    "total",
        "percent",  "equation", "average",   "$",       "probability", "remainder", "area"};
    static const char *const creative[] = {"story",    "poem",    "haiku", "lyrics", "song",
                                           "creative", "fiction", "tale",  "slogan", "letter from"};
    static const char *const language[] = {
        "translate", "rewrite",     "paraphrase", "grammar",   "synonym",   "antonym", "formal",
        "sentence",  "punctuation", "spelling",   "summarize", "summarise", "edit the"};
    static const char *const reasoning[] = {
        "why",   "compare", "decide",   "logic",         "puzzle", "reason",  "justify",
        "infer", "deduce",  "which of", "pros and cons", "cause",  "suppose", "claim"};
    int digits = 0;
    for (const char *p = instruction; *p; p++)
        if (isdigit((unsigned char)*p) && !isdigit((unsigned char)p[1])) digits++;
    int d = D_QA;
    if (has_any(lo, role, GRA_ARRAY_LEN(role)))
        d = D_ROLEPLAY;
    else if (has_any(lo, code, GRA_ARRAY_LEN(code)) ||
             has_any(lr, code_resp, GRA_ARRAY_LEN(code_resp)))
        d = D_CODING;
    else if (digits >= 2 && has_any(lo, math_cues, GRA_ARRAY_LEN(math_cues)))
        d = D_MATH;
    else if (has_any(lo, creative, GRA_ARRAY_LEN(creative)))
        d = D_CREATIVE;
    else if (has_any(lo, language, GRA_ARRAY_LEN(language)))
        d = D_LANGUAGE;
    else if (has_any(lo, reasoning, GRA_ARRAY_LEN(reasoning)))
        d = D_REASONING;
    free(lo);
    free(lr);
    return d;
}

static void gen_metadata(const char *text, const struct sim_model *m, struct rng *r,
                         struct sim_reply *out, const struct gen_params *g, const cJSON *body)
{
    char *ins = block(text, "instruction", 0);
    char *resp = block(text, "response", 0);
    if (!ins) ins = xstrdup("");
    int d = domain_from_cues(ins, resp);
    if (chance(r, g->domain_error)) d = (int)rng_below(r, SYNTH_N_DOMAINS);
    /* salient words: twice their count in the instruction plus their count in
     * the response; ties by first appearance */
    struct buf w = BUF_INIT;
    struct buf all = BUF_INIT;
    buf_appendf(&all, "%s\n%s", ins, resp ? resp : "");
    int n = simflaw_content_words(all.data, 200, &w);
    char best[3][48] = {"", "", ""};
    int bests[3] = {-1, -1, -1};
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const char *s = w.data + off;
        off += strlen(s) + 1;
        if (template_word(s) || strlen(s) >= 48) continue;
        int sc = 0;
        for (int pass = 0; pass < 2; pass++) {
            const char *p = pass ? (resp ? resp : "") : ins;
            char word[64];
            while (*p) {
                while (*p && !isalpha((unsigned char)*p)) p++;
                size_t k = 0;
                while (isalpha((unsigned char)*p)) {
                    if (k + 1 < sizeof word) word[k++] = (char)tolower((unsigned char)*p);
                    p++;
                }
                word[k] = 0;
                if (k && strcmp(word, s) == 0) sc += pass ? 1 : 2;
            }
        }
        for (int j = 0; j < 3; j++) {
            if (sc > bests[j]) {
                for (int q = 2; q > j; q--) {
                    bests[q] = bests[q - 1];
                    memcpy(best[q], best[q - 1], 48);
                }
                bests[j] = sc;
                snprintf(best[j], 48, "%s", s);
                break;
            }
        }
    }
    /* a recognised task is described by what it exercises */
    static const char *const math_kw[SIMFLAW_MATH_TEMPLATES][2] = {{"multiplication", "change"},
                                                                   {"subtraction", "packs"},
                                                                   {"rows", "multiplication"},
                                                                   {"rates", "addition"},
                                                                   {"division", "sharing"}};
    static const char *const code_kw[SIMFLAW_CODE_TEMPLATES][2] = {{"squares", "loops"},
                                                                   {"product", "loops"},
                                                                   {"even numbers", "counting"},
                                                                   {"threshold", "filtering"},
                                                                   {"maximum", "comparison"}};
    struct simflaw_task task;
    enum simflaw_kind kind = simflaw_task_parse(ins, &task);
    if (kind == SIMFLAW_MATH) {
        snprintf(best[0], 48, "%s", task.item[0] ? task.item : "items");
        for (int j = 0; j < 2; j++) snprintf(best[j + 1], 48, "%s", math_kw[task.tmpl][j]);
    } else if (kind == SIMFLAW_CODE) {
        snprintf(best[0], 48, "python");
        for (int j = 0; j < 2; j++) snprintf(best[j + 1], 48, "%s", code_kw[task.tmpl][j]);
    }
    static const char *const fill[] = {"topic", "details", "example"};
    for (int j = 0; j < 3; j++)
        if (!best[j][0]) snprintf(best[j], 48, "%s", fill[j]);
    struct buf sum = BUF_INIT;
    buf_appendf(&sum, "This %s task is about %s, %s and %s.", domains[d], best[0], best[1],
                best[2]);
    if (m->verbosity >= 0.8) {
        if (d == D_MATH)
            buf_appendf(
                &sum,
                " It asks for a number worked out in a few arithmetic steps, linking %s to %s.",
                best[0], best[1]);
        else if (d == D_CODING)
            buf_appendf(&sum, " It asks for a short program in which %s is computed from %s.",
                        best[0], best[1]);
        else
            buf_appendf(&sum, " It relates %s to %s and uses %s as the concrete case.", best[0],
                        best[1], best[2]);
    }
    if (m->verbosity >= 1.2) buf_puts(&sum, " A good answer is specific, correct and complete.");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "domain", domains[d]);
    cJSON *arr = cJSON_AddArrayToObject(o, "keywords");
    for (int j = 0; j < 3; j++) cJSON_AddItemToArray(arr, cJSON_CreateString(best[j]));
    cJSON_AddStringToObject(o, "summary", sum.data);
    finish(out, o, g->fence_rate, g->prose_rate, r, body);
    cJSON_Delete(o);
    buf_release(&sum);
    buf_release(&w);
    buf_release(&all);
    free(ins);
    free(resp);
}

/* ---------- reviewers and adjudicator ---------- */

/* What this reviewer notices: each present flaw with its sensitivity (for
 * flaws in `named`, with max(sensitivity, recheck)); each absent flaw as a
 * false alarm with its rate. mask limits the flaws considered. */
static unsigned perceive(unsigned present, unsigned named, unsigned mask,
                         const struct rev_params *p, struct rng *r)
{
    unsigned seen = 0;
    for (int i = 0; i < SIMFLAW_N; i++) {
        unsigned b = simflaw_bits[i];
        if (!(b & mask)) continue;
        double u = rng_uniform(r); /* one draw per flaw type, always */
        if (present & b) {
            double s = (named & b) && p->recheck > p->sens[i] ? p->recheck : p->sens[i];
            if (u < s) seen |= b;
        } else if (u < p->false_alarm[i]) {
            seen |= b;
        }
    }
    return seen;
}

static void critique(struct buf *b, unsigned seen, const char *none)
{
    if (!seen) {
        buf_puts(b, none);
        return;
    }
    bool first = true;
    for (int i = 0; i < SIMFLAW_N; i++) {
        if (!(seen & simflaw_bits[i])) continue;
        buf_appendf(b, "%s%s", first ? "" : "; ", simflaw_phrase(simflaw_bits[i]));
        first = false;
    }
    buf_putc(b, '.');
    b->data[0] = (char)toupper((unsigned char)b->data[0]);
}

static void review_instruction(const char *text, struct rng *r, struct sim_reply *out,
                               const struct rev_params *p, const cJSON *body)
{
    char *ins = block(text, "instruction", 0);
    unsigned present = simflaw_detect_instruction(ins ? ins : "");
    unsigned seen = perceive(present, 0, SIMFLAW_INSTRUCTION_MASK, p, r);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "reasonable", (seen & SIMFLAW_UNREASONABLE) ? "no" : "yes");
    cJSON_AddStringToObject(o, "complete", (seen & SIMFLAW_INCOMPLETE) ? "no" : "yes");
    cJSON_AddStringToObject(o, "clear", (seen & SIMFLAW_UNCLEAR) ? "no" : "yes");
    struct buf ex = BUF_INIT;
    critique(&ex, seen, "The instruction is reasonable, complete and clear.");
    cJSON_AddStringToObject(o, "explanation", ex.data);
    finish(out, o, p->fence_rate, p->prose_rate, r, body);
    cJSON_Delete(o);
    buf_release(&ex);
    free(ins);
}

static void review_response(const char *text, bool adjudicate, struct rng *r, struct sim_reply *out,
                            const struct rev_params *p, const cJSON *body)
{
    char *ins = block(text, "instruction", 0);
    char *resp = block(text, "response", 0);
    unsigned present = simflaw_detect(ins ? ins : "", resp ? resp : "") & SIMFLAW_RESPONSE_MASK;
    unsigned named = 0;
    if (adjudicate) {
        for (int i = 0; i < 32; i++) {
            char *rv = block(text, "review", i);
            if (!rv) break;
            named |= simflaw_parse_critique(rv);
            free(rv);
        }
    }
    unsigned seen = perceive(present, named, SIMFLAW_RESPONSE_MASK, p, r);
    double sc[SYNTH_N_DIMS];
    for (int d = 0; d < SYNTH_N_DIMS; d++)
        sc[d] = p->base_score + p->leniency + p->noise_sd * rng_normal(r);
    for (int i = 0; i < 6; i++) {
        if (!(seen & simflaw_bits[i])) continue;
        for (int d = 0; d < SYNTH_N_DIMS; d++) sc[d] -= d == i ? 0 : p->halo;
        sc[i] = p->flawed_score + p->leniency + p->noise_sd * rng_normal(r);
    }
    cJSON *o = cJSON_CreateObject(), *s = cJSON_AddObjectToObject(o, "scores");
    for (int d = 0; d < SYNTH_N_DIMS; d++) {
        double v = round(sc[d]);
        v = v < 0 ? 0 : v > 10 ? 10 : v;
        cJSON_AddNumberToObject(s, dims[d], v);
    }
    struct buf st = BUF_INIT, wk = BUF_INIT;
    if (!(seen & (SIMFLAW_WRONG_ANSWER | SIMFLAW_TRUNCATED)))
        buf_puts(&st, "Addresses the instruction directly and reaches a complete answer.");
    else if (!(seen & (SIMFLAW_PADDING | SIMFLAW_CONTRADICTION)))
        buf_puts(&st, "The structure is easy to follow.");
    else
        buf_puts(&st, "Attempts the task.");
    critique(&wk, seen, "No significant weaknesses.");
    if (adjudicate && named) {
        /* say which of the reviewers' claims held up */
        unsigned rejected = named & ~seen & SIMFLAW_RESPONSE_MASK;
        if (rejected) {
            buf_puts(&wk, " Not confirmed on re-check:");
            for (int i = 0; i < 6; i++)
                if (rejected & simflaw_bits[i])
                    buf_appendf(&wk, " %s;", simflaw_name(simflaw_bits[i]));
            wk.data[wk.len - 1] = '.';
        }
    }
    cJSON_AddStringToObject(o, "strengths", st.data);
    cJSON_AddStringToObject(o, "weaknesses", wk.data);
    finish(out, o, p->fence_rate, p->prose_rate, r, body);
    cJSON_Delete(o);
    buf_release(&st);
    buf_release(&wk);
    free(ins);
    free(resp);
}

/* ---------- entry points ---------- */

int sim_roles_handle(const struct sim_model *m, const cJSON *body, const char *schema_name,
                     uint64_t seed, struct sim_reply *out)
{
    struct buf text = BUF_INIT;
    struct perr e = {out->error_message, sizeof out->error_message, false};
    struct rng r;
    int rc = 0;
    rng_seed(&r, rng_derive(seed, "sim_roles", 0));
    last_user_text(body, &text);
    char *dn = block(text.data, "domain", 0);
    int domain = domain_index(dn);
    free(dn);
    const char *s = schema_name ? schema_name : "";
    bool gen = strcmp(s, SCHEMA_KEYWORDS) == 0 || strcmp(s, SCHEMA_INSTRUCTION) == 0 ||
               strcmp(s, SCHEMA_RESPONSE) == 0 || strcmp(s, SCHEMA_REFINE) == 0 ||
               strcmp(s, SCHEMA_METADATA) == 0;
    bool rev = strcmp(s, SCHEMA_REVIEW_INSTRUCTION) == 0 ||
               strcmp(s, SCHEMA_REVIEW_RESPONSE) == 0 || strcmp(s, SCHEMA_ADJUDICATE) == 0;
    if (!gen && !rev) {
        snprintf(out->error_message, sizeof out->error_message,
                 "SIMULATED model %s: unknown role schema \"%s\"", m->name, s);
        rc = -1;
        goto out;
    }
    if (gen) {
        struct gen_params g;
        if (domain < 0 && strcmp(s, SCHEMA_METADATA) != 0) {
            /* no or unknown <domain>: judge it from the material, like a model would */
            char *ins = block(text.data, "instruction", 0);
            domain = ins ? domain_from_cues(ins, NULL) : D_QA;
            free(ins);
        }
        gen_params_load(m, domain, &g, &e);
        if (e.failed) {
            rc = -1;
            goto out;
        }
        if (strcmp(s, SCHEMA_KEYWORDS) == 0)
            gen_keywords(text.data, &r, out, &g, body);
        else if (strcmp(s, SCHEMA_INSTRUCTION) == 0)
            gen_instruction(text.data, domain, &r, out, &g, body);
        else if (strcmp(s, SCHEMA_METADATA) == 0)
            gen_metadata(text.data, m, &r, out, &g, body);
        else
            gen_response(text.data, domain, strcmp(s, SCHEMA_REFINE) == 0, m, &r, out, &g, body);
    } else {
        struct rev_params p;
        rev_params_load(m, &p, &e);
        if (e.failed) {
            rc = -1;
            goto out;
        }
        if (strcmp(s, SCHEMA_REVIEW_INSTRUCTION) == 0)
            review_instruction(text.data, &r, out, &p, body);
        else
            review_response(text.data, strcmp(s, SCHEMA_ADJUDICATE) == 0, &r, out, &p, body);
    }
out:
    buf_release(&text);
    return rc;
}

static int handle_cb(const struct sim_model *m, const cJSON *body, const char *schema_name,
                     uint64_t seed, struct sim_reply *out)
{
    return sim_roles_handle(m, body, schema_name, seed, out);
}

void synth_sim_register(void)
{
    simsrv_register_role("gra_", handle_cb);
}
