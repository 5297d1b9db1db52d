/*
 * ifeval: IFEval instruction checkers (see ifeval.h, docs/benchmarks.md).
 *
 * Written from the reference's documented behaviour (instructions.py,
 * instructions_util.py, evaluation_lib.py of google-research
 * instruction_following_eval); no code is shared. The reference's regular
 * expressions are re-expressed as small scanners over bytes, with UTF-8
 * decoded where a character class matters (\w word characters, letter
 * case, scripts). Where the reference calls a trained model this file
 * approximates it, and says so:
 *   - NLTK punkt sentence splitting (number_sentences): a sentence ends at a
 *     run of . ? ! (closing quotes/brackets allowed) before white space or
 *     the end, except after a common abbreviation or a one-letter initial,
 *     and an ellipsis ends one only before an upper-case word;
 *   - NLTK word_tokenize (capital_word_frequency): runs of word characters,
 *     hyphens inside a word kept (the reference counts "WELL-KNOWN" once);
 *   - langdetect: decided by the script of the letters where the target
 *     language has its own script, else IFEVAL_UNSUPPORTED (counted apart);
 *     english_capital/lowercase accept any Latin-script text as English.
 * Keywords, forbidden words and postscript markers are matched literally
 * (the reference passes them to re as patterns; IFEval's are plain words).
 */
#include "eval/ifeval.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "eval/score.h"

/* ---------------- kwargs and the instruction table ---------------- */

enum kw_type { KW_INT, KW_STR, KW_STRS, KW_REL };

struct kw {
    const char *name;
    int type;
};

struct instr {
    const char *id;
    struct kw req[3];
    int n_req;
};

static const struct instr instrs[] = {
    {"keywords:existence", {{"keywords", KW_STRS}}, 1},
    {"keywords:frequency", {{"keyword", KW_STR}, {"frequency", KW_INT}, {"relation", KW_REL}}, 3},
    {"keywords:forbidden_words", {{"forbidden_words", KW_STRS}}, 1},
    {"keywords:letter_frequency",
     {{"letter", KW_STR}, {"let_frequency", KW_INT}, {"let_relation", KW_REL}},
     3},
    {"language:response_language", {{"language", KW_STR}}, 1},
    {"length_constraints:number_sentences", {{"num_sentences", KW_INT}, {"relation", KW_REL}}, 2},
    {"length_constraints:number_paragraphs", {{"num_paragraphs", KW_INT}}, 1},
    {"length_constraints:number_words", {{"num_words", KW_INT}, {"relation", KW_REL}}, 2},
    {"length_constraints:nth_paragraph_first_word",
     {{"num_paragraphs", KW_INT}, {"nth_paragraph", KW_INT}, {"first_word", KW_STR}},
     3},
    {"detectable_content:number_placeholders", {{"num_placeholders", KW_INT}}, 1},
    {"detectable_content:postscript", {{"postscript_marker", KW_STR}}, 1},
    {"detectable_format:number_bullet_lists", {{"num_bullets", KW_INT}}, 1},
    {"detectable_format:constrained_response", {{NULL, 0}}, 0},
    {"detectable_format:number_highlighted_sections", {{"num_highlights", KW_INT}}, 1},
    {"detectable_format:multiple_sections",
     {{"section_spliter", KW_STR}, {"num_sections", KW_INT}},
     2},
    {"detectable_format:json_format", {{NULL, 0}}, 0},
    {"detectable_format:title", {{NULL, 0}}, 0},
    {"combination:two_responses", {{NULL, 0}}, 0},
    {"combination:repeat_prompt", {{"prompt_to_repeat", KW_STR}}, 1},
    {"startend:end_checker", {{"end_phrase", KW_STR}}, 1},
    {"startend:quotation", {{NULL, 0}}, 0},
    {"change_case:capital_word_frequency",
     {{"capital_frequency", KW_INT}, {"capital_relation", KW_REL}},
     2},
    {"change_case:english_capital", {{NULL, 0}}, 0},
    {"change_case:english_lowercase", {{NULL, 0}}, 0},
    {"punctuation:no_comma", {{NULL, 0}}, 0},
};
#define N_INSTRS ((int)(sizeof instrs / sizeof instrs[0]))

int ifeval_n_instructions(void)
{
    return N_INSTRS;
}

const char *ifeval_instruction_id(int k)
{
    return k >= 0 && k < N_INSTRS ? instrs[k].id : NULL;
}

static const struct instr *find_instr(const char *id)
{
    for (int k = 0; k < N_INSTRS; k++)
        if (strcmp(instrs[k].id, id) == 0) return &instrs[k];
    return NULL;
}

/* a kwarg, NULL when absent or null */
static const cJSON *kwget(const cJSON *kw, const char *name)
{
    const cJSON *x = kw ? cJSON_GetObjectItemCaseSensitive(kw, name) : NULL;
    return x && !cJSON_IsNull(x) ? x : NULL;
}

static const char *kwstr(const cJSON *kw, const char *name)
{
    const cJSON *x = kwget(kw, name);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static long kwint(const cJSON *kw, const char *name, long def)
{
    const cJSON *x = kwget(kw, name);
    return cJSON_IsNumber(x) ? (long)x->valuedouble : def;
}

/* "less than" -> true, "at least" -> false */
static bool kwless(const cJSON *kw, const char *name)
{
    const char *r = kwstr(kw, name);
    return r && strcmp(r, "less than") == 0;
}

static bool compare(long actual, long threshold, bool less)
{
    return less ? actual < threshold : actual >= threshold;
}

static int validate_one(const char *id, const cJSON *kw, int idx, char *msg, size_t msgsz)
{
    const struct instr *in = find_instr(id);
    if (!in) {
        snprintf(msg, msgsz, "instruction_id_list[%d]: unknown instruction \"%s\"", idx, id);
        return -1;
    }
    if (kw && !cJSON_IsObject(kw) && !cJSON_IsNull(kw)) {
        snprintf(msg, msgsz, "kwargs[%d]: expected an object", idx);
        return -1;
    }
    for (int r = 0; r < in->n_req; r++) {
        const struct kw *k = &in->req[r];
        const cJSON *x = kwget(kw, k->name);
        bool ok = false;
        switch (k->type) {
        case KW_INT:
            ok = cJSON_IsNumber(x) && x->valuedouble >= 0 && x->valuedouble < 1e9 &&
                 x->valuedouble == (double)(long)x->valuedouble;
            break;
        case KW_STR:
            ok = cJSON_IsString(x) && x->valuestring[0];
            break;
        case KW_REL:
            ok = cJSON_IsString(x) && (strcmp(x->valuestring, "less than") == 0 ||
                                       strcmp(x->valuestring, "at least") == 0);
            break;
        case KW_STRS:
            ok = cJSON_IsArray(x) && cJSON_GetArraySize(x) > 0;
            for (const cJSON *e = x ? x->child : NULL; e; e = e->next)
                if (!cJSON_IsString(e) || !e->valuestring[0]) ok = false;
            break;
        }
        if (!ok) {
            snprintf(msg, msgsz, "kwargs[%d].%s: %s (instruction %s)", idx, k->name,
                     k->type == KW_INT   ? "expected a non-negative integer"
                     : k->type == KW_REL ? "expected \"less than\" or \"at least\""
                     : k->type == KW_STR ? "expected a non-empty string"
                                         : "expected a non-empty array of strings",
                     id);
            return -1;
        }
    }
    if (strcmp(id, "keywords:letter_frequency") == 0 && strlen(kwstr(kw, "letter")) != 1) {
        snprintf(msg, msgsz, "kwargs[%d].letter: expected one letter", idx);
        return -1;
    }
    for (const cJSON *c = kw && cJSON_IsObject(kw) ? kw->child : NULL; c; c = c->next) {
        if (cJSON_IsNull(c)) continue;
        bool known = false;
        for (int r = 0; r < in->n_req; r++)
            if (strcmp(in->req[r].name, c->string) == 0) known = true;
        if (!known) {
            snprintf(msg, msgsz, "kwargs[%d].%s: not an argument of %s", idx, c->string, id);
            return -1;
        }
    }
    return 0;
}

int ifeval_validate(const cJSON *record, char *msg, size_t msgsz)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(record, "instruction_id_list");
    const cJSON *kws = cJSON_GetObjectItemCaseSensitive(record, "kwargs");
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(record, "prompt");
    if (!cJSON_IsString(pr)) {
        snprintf(msg, msgsz, "prompt: expected a string");
        return -1;
    }
    if (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) == 0) {
        snprintf(msg, msgsz, "instruction_id_list: expected a non-empty array");
        return -1;
    }
    if (!cJSON_IsArray(kws) || cJSON_GetArraySize(kws) != cJSON_GetArraySize(ids)) {
        snprintf(msg, msgsz, "kwargs: expected an array with one object per instruction");
        return -1;
    }
    int idx = 0;
    const cJSON *kw = kws->child;
    for (const cJSON *id = ids->child; id; id = id->next, kw = kw->next, idx++) {
        if (!cJSON_IsString(id)) {
            snprintf(msg, msgsz, "instruction_id_list[%d]: expected a string", idx);
            return -1;
        }
        if (validate_one(id->valuestring, kw, idx, msg, msgsz)) return -1;
    }
    return 0;
}

/* ---------------- characters ---------------- */

/* Decode one UTF-8 code point at s (length n > 0); *len gets its byte
 * length. An invalid byte decodes as U+FFFD (a non-word symbol), length 1. */
static uint32_t u8dec(const unsigned char *s, size_t n, size_t *len)
{
    unsigned c = s[0];
    *len = 1;
    if (c < 0x80) return c;
    int k = c >= 0xC2 && c < 0xE0 ? 1 : c >= 0xE0 && c < 0xF0 ? 2 : c >= 0xF0 && c < 0xF5 ? 3 : 0;
    if (k == 0 || (size_t)k >= n) return 0xFFFD;
    uint32_t cp = c & (0x3Fu >> k);
    for (int i = 1; i <= k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0xFFFD;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    *len = (size_t)k + 1;
    return cp;
}

/* letter case: 1 upper, -1 lower, 0 uncased (Latin, Greek, Cyrillic,
 * Armenian; other scripts have no case) */
static int cp_case(uint32_t c)
{
    if (c < 0x80) return isupper((int)c) ? 1 : islower((int)c) ? -1 : 0;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return 1;
    if (c >= 0xDF && c <= 0xFF && c != 0xF7) return -1;
    if (c == 0xB5 || c == 0xAA || c == 0xBA) return -1;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x138 || c == 0x149 || c == 0x17F) return -1;
        if (c == 0x178) return 1;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? 1 : -1;
        return (c & 1) ? -1 : 1;
    }
    if (c >= 0x180 && c <= 0x24F) return (c & 1) ? -1 : 1; /* approximate */
    if (c >= 0x250 && c <= 0x2AF) return -1;                /* IPA */
    if ((c >= 0x386 && c <= 0x38F && c != 0x387) || (c >= 0x391 && c <= 0x3AB)) return 1;
    if (c >= 0x3AC && c <= 0x3CE) return -1;
    if (c >= 0x400 && c <= 0x42F) return 1;
    if (c >= 0x430 && c <= 0x45F) return -1;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x52F)) return (c & 1) ? -1 : 1;
    if (c >= 0x531 && c <= 0x556) return 1;
    if (c >= 0x561 && c <= 0x587) return -1;
    if (c >= 0x1E00 && c <= 0x1EFF) return (c & 1) ? -1 : 1;
    if (c >= 0x1F00 && c <= 0x1FFF) return -1; /* polytonic Greek: mostly lower */
    if (c >= 0xFF21 && c <= 0xFF3A) return 1;
    if (c >= 0xFF41 && c <= 0xFF5A) return -1;
    return 0;
}

/* Python's \w on one code point: letters, digits, '_' and the marks of
 * scripts; punctuation, symbols, spaces and emoji are not. */
static bool cp_word(uint32_t c)
{
    if (c < 0x80) return isalnum((int)c) || c == '_';
    if (c <= 0xBF)
        return c == 0xAA || c == 0xB2 || c == 0xB3 || c == 0xB5 || c == 0xB9 || c == 0xBA ||
               (c >= 0xBC && c <= 0xBE);
    if (c == 0xD7 || c == 0xF7) return false;
    if (c >= 0x2000 && c <= 0x2BFF) return false; /* punctuation, symbols, arrows */
    if (c >= 0x2E00 && c <= 0x2E7F) return false;
    if (c >= 0x3000 && c <= 0x303F) return c == 0x3005 || c == 0x3006 || c == 0x3007;
    if (c >= 0xFE10 && c <= 0xFE6F) return false;
    if (c >= 0xFF00 && c <= 0xFF0F) return false;
    if (c >= 0xFF1A && c <= 0xFF20) return false;
    if (c >= 0xFF3B && c <= 0xFF40) return c == 0xFF3F;
    if (c >= 0xFF5B && c <= 0xFF65) return false;
    if (c >= 0x1F000 && c <= 0x1FAFF) return false; /* emoji */
    if (c == 0xFFFD || c == 0xFEFF) return false;
    if (c >= 0x55A && c <= 0x55F) return false;   /* Armenian punctuation */
    if (c == 0x589 || c == 0x5BE || c == 0x5C0 || c == 0x5C3 || c == 0x5C6) return false;
    if (c >= 0x600 && c <= 0x60F) return false;   /* Arabic punctuation */
    if (c == 0x61B || c == 0x61F || c == 0x66A || c == 0x66B || c == 0x66C || c == 0x6D4)
        return false;
    if (c == 0x964 || c == 0x965 || c == 0x970) return false; /* danda */
    if (c == 0xE3F || c == 0xE4F || c == 0xE5A || c == 0xE5B) return false;
    return true;
}

enum script {
    SC_NONE,
    SC_LATIN,
    SC_GREEK,
    SC_CYRILLIC,
    SC_ARMENIAN,
    SC_HEBREW,
    SC_ARABIC,
    SC_DEVANAGARI,
    SC_BENGALI,
    SC_GURMUKHI,
    SC_GUJARATI,
    SC_ORIYA,
    SC_TAMIL,
    SC_TELUGU,
    SC_KANNADA,
    SC_MALAYALAM,
    SC_SINHALA,
    SC_THAI,
    SC_LAO,
    SC_GEORGIAN,
    SC_HANGUL,
    SC_KANA,
    SC_HAN,
    SC_ETHIOPIC,
    SC_OTHER,
    SC_COUNT
};

static int cp_script(uint32_t c)
{
    if (c < 0x80) return isalpha((int)c) ? SC_LATIN : SC_NONE;
    if (!cp_word(c) || c < 0xC0) return SC_NONE;
    if (c <= 0x24F || (c >= 0x1E00 && c <= 0x1EFF)) return SC_LATIN;
    if (c >= 0x370 && c <= 0x3FF) return SC_GREEK;
    if (c >= 0x1F00 && c <= 0x1FFF) return SC_GREEK;
    if (c >= 0x400 && c <= 0x52F) return SC_CYRILLIC;
    if (c >= 0x530 && c <= 0x58F) return SC_ARMENIAN;
    if (c >= 0x590 && c <= 0x5FF) return SC_HEBREW;
    if ((c >= 0x600 && c <= 0x6FF) || (c >= 0x750 && c <= 0x77F) || (c >= 0x8A0 && c <= 0x8FF) ||
        (c >= 0xFB50 && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF))
        return SC_ARABIC;
    static const struct {
        uint32_t lo, hi;
        int sc;
    } blocks[] = {{0x900, 0x97F, SC_DEVANAGARI}, {0x980, 0x9FF, SC_BENGALI},
                  {0xA00, 0xA7F, SC_GURMUKHI},   {0xA80, 0xAFF, SC_GUJARATI},
                  {0xB00, 0xB7F, SC_ORIYA},      {0xB80, 0xBFF, SC_TAMIL},
                  {0xC00, 0xC7F, SC_TELUGU},     {0xC80, 0xCFF, SC_KANNADA},
                  {0xD00, 0xD7F, SC_MALAYALAM},  {0xD80, 0xDFF, SC_SINHALA},
                  {0xE00, 0xE7F, SC_THAI},       {0xE80, 0xEFF, SC_LAO},
                  {0x10A0, 0x10FF, SC_GEORGIAN}, {0x1100, 0x11FF, SC_HANGUL},
                  {0x1200, 0x137F, SC_ETHIOPIC}, {0x3040, 0x30FF, SC_KANA},
                  {0x3130, 0x318F, SC_HANGUL},   {0x3400, 0x4DBF, SC_HAN},
                  {0x4E00, 0x9FFF, SC_HAN},      {0xAC00, 0xD7AF, SC_HANGUL},
                  {0xF900, 0xFAFF, SC_HAN},      {0xFF66, 0xFF9F, SC_KANA}};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (c >= blocks[i].lo && c <= blocks[i].hi) return blocks[i].sc;
    return SC_OTHER;
}

/* letters per script; returns the dominant script (SC_NONE: no letters) */
static int dominant_script(const char *s, long counts[SC_COUNT])
{
    memset(counts, 0, sizeof(long) * SC_COUNT);
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n) {
        size_t l;
        uint32_t c = u8dec(p, n, &l);
        counts[cp_script(c)]++;
        p += l;
        n -= l;
    }
    int best = SC_NONE;
    for (int k = 1; k < SC_COUNT; k++)
        if (counts[k] > (best == SC_NONE ? 0 : counts[best])) best = k;
    return best;
}

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Python's str.strip() (ASCII white space): [*b, *e) */
static void strip_span(const char *s, const char **b, const char **e)
{
    const char *x = s, *y = s + strlen(s);
    while (x < y && is_space((unsigned char)*x)) x++;
    while (y > x && is_space((unsigned char)y[-1])) y--;
    *b = x;
    *e = y;
}

static bool blank(const char *b, const char *e)
{
    for (; b < e; b++)
        if (!is_space((unsigned char)*b)) return false;
    return true;
}

static char *lower_dup(const char *s)
{
    char *r = xstrdup(s);
    for (char *p = r; *p; p++) *p = (char)tolower((unsigned char)*p);
    return r;
}

/* case-insensitive (ASCII) occurrences of needle, non-overlapping */
static long count_ci(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    if (!nl) return 0;
    long n = 0;
    for (const char *p = hay; *p;) {
        if (strncasecmp(p, needle, nl) == 0) {
            n++;
            p += nl;
        } else {
            p++;
        }
    }
    return n;
}

/* \bWORD\b, case-insensitive: word boundaries by cp_word */
static bool has_word_ci(const char *hay, const char *word)
{
    size_t wl = strlen(word);
    if (!wl) return false;
    size_t hl = strlen(hay);
    for (size_t i = 0; i + wl <= hl; i++) {
        if (strncasecmp(hay + i, word, wl) != 0) continue;
        /* boundary before: previous code point not a word char (if word starts with one) */
        size_t l;
        bool wfirst = cp_word(u8dec((const unsigned char *)word, wl, &l));
        bool wlast;
        {
            size_t k = wl - 1;
            while (k > 0 && ((unsigned char)word[k] & 0xC0) == 0x80) k--;
            wlast = cp_word(u8dec((const unsigned char *)word + k, wl - k, &l));
        }
        bool before = false, after = false;
        if (i > 0) {
            size_t k = i - 1;
            while (k > 0 && ((unsigned char)hay[k] & 0xC0) == 0x80) k--;
            before = cp_word(u8dec((const unsigned char *)hay + k, hl - k, &l));
        }
        if (i + wl < hl) after = cp_word(u8dec((const unsigned char *)hay + i + wl, hl - i - wl, &l));
        /* \b holds where word-ness changes */
        if (before == wfirst) continue;
        if (after == wlast) continue;
        return true;
    }
    return false;
}

/* ---------------- counting ---------------- */

int ifeval_count_words(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    int words = 0;
    bool in = false;
    while (n) {
        size_t l;
        bool w = cp_word(u8dec(p, n, &l));
        if (w && !in) words++;
        in = w;
        p += l;
        n -= l;
    }
    return words;
}

static const char *const abbrevs[] = {
    "mr",   "mrs",  "ms",  "dr",   "prof", "st",  "jr",   "sr",   "inc",  "ltd",  "co",
    "vs",   "etc",  "e.g", "i.e",  "u.s",  "a.m", "p.m",  "no",   "fig",  "approx",
    "dept", "est",  "mt",  "capt", "lt",   "gen", "col",  "sgt",  "jan",  "feb",  "mar",
    "apr",  "jun",  "jul", "aug",  "sep",  "sept", "oct", "nov",  "dec",  "cf",   "al",
    "ph.d", "u.k",  "vol", "ed",   "rev",  "gov", "corp", "ave",  NULL};

static bool is_abbrev(const char *text, const char *dot)
{
    const char *b = dot;
    while (b > text && (isalpha((unsigned char)b[-1]) || b[-1] == '.')) b--;
    size_t n = (size_t)(dot - b);
    if (n == 0) return false;
    if (n == 1 && isalpha((unsigned char)*b)) return true; /* an initial: "J. Smith" */
    if (n > 8) return false;
    char w[16];
    for (size_t i = 0; i < n; i++) w[i] = (char)tolower((unsigned char)b[i]);
    w[n] = 0;
    for (const char *const *a = abbrevs; *a; a++)
        if (strcmp(*a, w) == 0) return true;
    return false;
}

static bool closer(unsigned char c)
{
    return c == '"' || c == '\'' || c == ')' || c == ']';
}

int ifeval_count_sentences(const char *s)
{
    int count = 0;
    bool content = false;
    const char *p = s;
    while (*p) {
        unsigned char c = (unsigned char)*p;
        if (c == '.' || c == '?' || c == '!') {
            const char *q = p;
            int dots = 0;
            bool other = false;
            while (*q == '.' || *q == '?' || *q == '!') {
                if (*q == '.') dots++;
                else other = true;
                q++;
            }
            /* closing quotes/brackets, also the UTF-8 right quotes (E2 80 99/9D) */
            for (;;) {
                if (closer((unsigned char)*q)) {
                    q++;
                } else if ((unsigned char)q[0] == 0xE2 && (unsigned char)q[1] == 0x80 &&
                           ((unsigned char)q[2] == 0x99 || (unsigned char)q[2] == 0x9D)) {
                    q += 3;
                } else {
                    break;
                }
            }
            bool end = *q == '\0' || is_space((unsigned char)*q);
            if (end && content) {
                bool boundary = true;
                if (!other && dots == 1 && is_abbrev(s, p)) boundary = false;
                if (!other && dots >= 2) { /* ellipsis: a break before an upper-case word */
                    const char *r = q;
                    while (*r && is_space((unsigned char)*r)) r++;
                    boundary = *r == '\0' || isupper((unsigned char)*r);
                }
                if (boundary) {
                    count++;
                    content = false;
                }
            }
            p = q;
            continue;
        }
        if (!is_space(c)) content = true;
        p++;
    }
    if (content) count++;
    return count;
}

/* ---------------- the checkers ---------------- */

static int check_language(const char *lang, const char *value)
{
    long counts[SC_COUNT];
    int dom = dominant_script(value, counts);
    if (dom == SC_NONE) return IFEVAL_PASS; /* langdetect raises: the reference counts it followed */
    static const struct {
        const char *code;
        int sc;
        bool unique; /* the script decides the language */
    } langs[] = {
        {"ko", SC_HANGUL, true},      {"th", SC_THAI, true},        {"el", SC_GREEK, true},
        {"he", SC_HEBREW, true},      {"bn", SC_BENGALI, true},     {"pa", SC_GURMUKHI, true},
        {"gu", SC_GUJARATI, true},    {"ta", SC_TAMIL, true},       {"te", SC_TELUGU, true},
        {"kn", SC_KANNADA, true},     {"ml", SC_MALAYALAM, true},   {"hy", SC_ARMENIAN, true},
        {"ka", SC_GEORGIAN, true},    {"si", SC_SINHALA, true},     {"lo", SC_LAO, true},
        {"or", SC_ORIYA, true},       {"ar", SC_ARABIC, false},     {"fa", SC_ARABIC, false},
        {"ur", SC_ARABIC, false},     {"ru", SC_CYRILLIC, false},   {"uk", SC_CYRILLIC, false},
        {"bg", SC_CYRILLIC, false},   {"mk", SC_CYRILLIC, false},   {"sr", SC_CYRILLIC, false},
        {"hi", SC_DEVANAGARI, false}, {"mr", SC_DEVANAGARI, false}, {"ne", SC_DEVANAGARI, false},
    };
    if (strcmp(lang, "ja") == 0)
        return (dom == SC_HAN || dom == SC_KANA) && counts[SC_KANA] > 0 ? IFEVAL_PASS
                                                                          : IFEVAL_FAIL;
    if (strncmp(lang, "zh", 2) == 0)
        return dom == SC_HAN && counts[SC_KANA] == 0 ? IFEVAL_PASS : IFEVAL_FAIL;
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
        if (strcmp(langs[i].code, lang) != 0) continue;
        if (dom != langs[i].sc) return IFEVAL_FAIL;
        return langs[i].unique ? IFEVAL_PASS : IFEVAL_UNSUPPORTED;
    }
    /* every other language code langdetect knows is written in Latin script */
    if (strlen(lang) == 2 && islower((unsigned char)lang[0]) && islower((unsigned char)lang[1]))
        return dom != SC_LATIN ? IFEVAL_FAIL : IFEVAL_UNSUPPORTED;
    return IFEVAL_UNSUPPORTED;
}

/* Python's str.isupper()/islower(): at least one cased character, and no
 * cased character of the other case */
static bool all_case(const char *s, int want)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    bool any = false;
    while (n) {
        size_t l;
        int k = cp_case(u8dec(p, n, &l));
        if (k == -want) return false;
        if (k == want) any = true;
        p += l;
        n -= l;
    }
    return any;
}

static bool latin_text(const char *s)
{
    long counts[SC_COUNT];
    int dom = dominant_script(s, counts);
    return dom == SC_NONE || dom == SC_LATIN;
}

/* word_tokenize approximation: runs of word characters joined by '-' */
static long capital_words(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    long count = 0;
    bool in = false, upper = false, lower = false;
    while (n) {
        size_t l;
        uint32_t c = u8dec(p, n, &l);
        bool w = cp_word(c);
        bool hyphen_inside = c == '-' && in && n > 1;
        if (hyphen_inside) {
            size_t l2;
            hyphen_inside = cp_word(u8dec(p + 1, n - 1, &l2));
        }
        if (w || hyphen_inside) {
            int k = cp_case(c);
            if (!in) upper = lower = false;
            in = true;
            if (k > 0) upper = true;
            if (k < 0) lower = true;
        } else {
            if (in && upper && !lower) count++;
            in = false;
        }
        p += l;
        n -= l;
    }
    if (in && upper && !lower) count++;
    return count;
}

/* \*[^\n\*]*\* and \*\*[^\n\*]*\*\* with findall's left-to-right matching */
static long highlights(const char *s)
{
    long n = 0;
    for (const char *p = s; *p;) {
        if (*p != '*') {
            p++;
            continue;
        }
        const char *q = p + 1;
        while (*q && *q != '*' && *q != '\n') q++;
        if (*q == '*') {
            if (!blank(p + 1, q)) n++;
            p = q + 1;
        } else {
            p++;
        }
    }
    for (const char *p = s; *p;) {
        if (!(p[0] == '*' && p[1] == '*')) {
            p++;
            continue;
        }
        const char *q = p + 2;
        while (*q && *q != '*' && *q != '\n') q++;
        if (q[0] == '*' && q[1] == '*') {
            if (!blank(p + 2, q)) n++;
            p = q + 2;
        } else {
            p++;
        }
    }
    return n;
}

/* ^\s*\*[^\*].*$ and ^\s*-.*$ per line */
static long bullets(const char *s)
{
    long n = 0;
    for (const char *line = s; line;) {
        const char *nl = strchr(line, '\n');
        const char *e = nl ? nl : line + strlen(line);
        const char *p = line;
        while (p < e && is_space((unsigned char)*p)) p++;
        if (p < e && *p == '-') n++;
        else if (p + 1 < e && p[0] == '*' && p[1] != '*') n++;
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

/* [.*?] non-overlapping */
static long placeholders(const char *s)
{
    long n = 0;
    for (const char *p = s; *p; p++) {
        if (*p != '[') continue;
        const char *q = p + 1;
        while (*q && *q != ']' && *q != '\n') q++;
        if (*q == ']') {
            n++;
            p = q;
        }
    }
    return n;
}

/* \s?SPLITTER\s?\d+\s? occurrences (case-sensitive) */
static long sections(const char *s, const char *splitter)
{
    size_t sl = strlen(splitter);
    long n = 0;
    for (const char *p = s; *p;) {
        if (strncmp(p, splitter, sl) != 0) {
            p++;
            continue;
        }
        const char *q = p + sl;
        if (is_space((unsigned char)*q) && isdigit((unsigned char)q[1])) q++;
        if (isdigit((unsigned char)*q)) {
            while (isdigit((unsigned char)*q)) q++;
            n++;
            p = q;
        } else {
            p++;
        }
    }
    return n;
}

/* paragraphs separated by "***" (with one optional white space each side) */
static bool paragraphs_ok(const char *s, long want)
{
    /* split points: every "***"; the \s? parts only trim the pieces */
    long total = 0, nonempty = 0;
    const char *start = s;
    bool bad = false;
    long idx = 0;
    struct {
        const char *b, *e;
    } piece;
    for (;;) {
        const char *hit = strstr(start, "***");
        piece.b = start;
        piece.e = hit ? hit : start + strlen(start);
        bool is_blank = blank(piece.b, piece.e);
        bool last = hit == NULL;
        total++;
        if (is_blank) {
            if (idx != 0 && !last) bad = true;
        } else {
            nonempty++;
        }
        idx++;
        if (!hit) break;
        start = hit + 3;
    }
    (void)total;
    if (bad) return false;
    return nonempty == want;
}

static int check_nth_paragraph(const cJSON *kw, const char *value)
{
    long want = kwint(kw, "num_paragraphs", 0), nth = kwint(kw, "nth_paragraph", 0);
    const char *fw = kwstr(kw, "first_word");
    /* split on "\n\n" (non-overlapping) */
    const char *b[1024];
    const char *e[1024];
    int np = 0;
    const char *start = value;
    for (;;) {
        const char *hit = strstr(start, "\n\n");
        if (np == 1024) return IFEVAL_FAIL;
        b[np] = start;
        e[np] = hit ? hit : start + strlen(start);
        np++;
        if (!hit) break;
        start = hit + 2;
    }
    long num = np;
    for (int i = 0; i < np; i++)
        if (blank(b[i], e[i])) num--;
    if (nth < 1 || nth > num) return IFEVAL_FAIL;
    const char *pb = b[nth - 1], *pe = e[nth - 1];
    while (pb < pe && is_space((unsigned char)*pb)) pb++;
    if (pb == pe) return IFEVAL_FAIL;
    const char *we = pb;
    while (we < pe && !is_space((unsigned char)*we)) we++;
    while (pb < we && *pb == '\'') pb++;
    while (pb < we && *pb == '"') pb++;
    char word[256];
    size_t k = 0;
    for (const char *p = pb; p < we && k + 1 < sizeof word; p++) {
        if (strchr(".,?!'\"", *p)) break;
        word[k++] = (char)tolower((unsigned char)*p);
    }
    word[k] = 0;
    char *want_w = lower_dup(fw ? fw : "");
    bool ok = num == want && strcmp(word, want_w) == 0;
    free(want_w);
    return ok ? IFEVAL_PASS : IFEVAL_FAIL;
}

static int check_postscript(const char *marker, const char *value)
{
    char *v = lower_dup(value);
    bool found = false;
    if (strcmp(marker, "P.P.S") == 0 || strcmp(marker, "P.S.") == 0) {
        bool pps = marker[2] == 'P';
        for (const char *p = v; *p && !found; p++) {
            const char *q = p;
            if (!(q[0] == 'p' && q[1] == '.')) continue;
            q += 2;
            if (is_space((unsigned char)*q)) q++;
            if (pps) {
                if (!(q[0] == 'p' && q[1] == '.')) continue;
                q += 2;
                if (is_space((unsigned char)*q)) q++;
                found = *q == 's';
            } else {
                found = q[0] == 's' && q[1] == '.';
            }
        }
    } else {
        char *m = lower_dup(marker);
        found = strstr(v, m) != NULL;
        free(m);
    }
    free(v);
    return found ? IFEVAL_PASS : IFEVAL_FAIL;
}

static int check_json(const char *value)
{
    const char *b, *e;
    strip_span(value, &b, &e);
    static const char *const pre[] = {"```json", "```Json", "```JSON", "```"};
    for (int i = 0; i < 4; i++) {
        size_t l = strlen(pre[i]);
        if ((size_t)(e - b) >= l && strncmp(b, pre[i], l) == 0) b += l;
    }
    if (e - b >= 3 && strncmp(e - 3, "```", 3) == 0) e -= 3;
    while (b < e && is_space((unsigned char)*b)) b++;
    while (e > b && is_space((unsigned char)e[-1])) e--;
    if (b == e) return IFEVAL_FAIL;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(b, (size_t)(e - b), &end, false);
    bool ok = j && end == e;
    cJSON_Delete(j);
    return ok ? IFEVAL_PASS : IFEVAL_FAIL;
}

static int check_two_responses(const char *value)
{
    const char *vb[2] = {0}, *ve[2] = {0};
    int valid = 0;
    const char *start = value;
    int idx = 0;
    for (;;) {
        const char *hit = strstr(start, "******");
        const char *pe = hit ? hit : start + strlen(start);
        if (blank(start, pe)) {
            if (idx != 0 && hit) return IFEVAL_FAIL;
        } else {
            if (valid < 2) {
                vb[valid] = start;
                ve[valid] = pe;
            }
            valid++;
        }
        idx++;
        if (!hit) break;
        start = hit + 6;
    }
    if (valid != 2) return IFEVAL_FAIL;
    for (int i = 0; i < 2; i++) {
        while (vb[i] < ve[i] && is_space((unsigned char)*vb[i])) vb[i]++;
        while (ve[i] > vb[i] && is_space((unsigned char)ve[i][-1])) ve[i]--;
    }
    bool same = ve[0] - vb[0] == ve[1] - vb[1] && memcmp(vb[0], vb[1], (size_t)(ve[0] - vb[0])) == 0;
    return same ? IFEVAL_FAIL : IFEVAL_PASS;
}

static int check_end(const char *phrase, const char *value)
{
    const char *b, *e;
    strip_span(value, &b, &e);
    while (b < e && *b == '"') b++;
    while (e > b && e[-1] == '"') e--;
    const char *pb, *pe;
    strip_span(phrase, &pb, &pe);
    size_t pl = (size_t)(pe - pb);
    if ((size_t)(e - b) < pl) return IFEVAL_FAIL;
    return strncasecmp(e - pl, pb, pl) == 0 ? IFEVAL_PASS : IFEVAL_FAIL;
}

static int check_repeat(const char *prompt, const char *value)
{
    const char *b, *e, *pb, *pe;
    strip_span(value, &b, &e);
    strip_span(prompt, &pb, &pe);
    size_t pl = (size_t)(pe - pb);
    if ((size_t)(e - b) < pl) return IFEVAL_FAIL;
    return strncasecmp(b, pb, pl) == 0 ? IFEVAL_PASS : IFEVAL_FAIL;
}

int ifeval_check(const char *id, const cJSON *kw, const char *v)
{
    const struct instr *in = find_instr(id);
    if (!in) return IFEVAL_FAIL;
#define PF(x) ((x) ? IFEVAL_PASS : IFEVAL_FAIL)
    if (strcmp(id, "keywords:existence") == 0) {
        const cJSON *ks = kwget(kw, "keywords");
        for (const cJSON *k = ks ? ks->child : NULL; k; k = k->next)
            if (!cJSON_IsString(k) || count_ci(v, k->valuestring) == 0) return IFEVAL_FAIL;
        return IFEVAL_PASS;
    }
    if (strcmp(id, "keywords:frequency") == 0) {
        const char *k = kwstr(kw, "keyword");
        const char *kb, *ke;
        strip_span(k ? k : "", &kb, &ke);
        char *kk = xasprintf("%.*s", (int)(ke - kb), kb);
        long n = count_ci(v, kk);
        free(kk);
        return PF(compare(n, kwint(kw, "frequency", 0), kwless(kw, "relation")));
    }
    if (strcmp(id, "keywords:forbidden_words") == 0) {
        const cJSON *ks = kwget(kw, "forbidden_words");
        for (const cJSON *k = ks ? ks->child : NULL; k; k = k->next)
            if (cJSON_IsString(k) && has_word_ci(v, k->valuestring)) return IFEVAL_FAIL;
        return IFEVAL_PASS;
    }
    if (strcmp(id, "keywords:letter_frequency") == 0) {
        const char *l = kwstr(kw, "letter");
        int c = tolower((unsigned char)(l ? l[0] : 0));
        long n = 0;
        for (const char *p = v; *p; p++)
            if (tolower((unsigned char)*p) == c) n++;
        return PF(compare(n, kwint(kw, "let_frequency", 0), kwless(kw, "let_relation")));
    }
    if (strcmp(id, "language:response_language") == 0)
        return check_language(kwstr(kw, "language") ? kwstr(kw, "language") : "", v);
    if (strcmp(id, "length_constraints:number_sentences") == 0)
        return PF(compare(ifeval_count_sentences(v), kwint(kw, "num_sentences", 0),
                          kwless(kw, "relation")));
    if (strcmp(id, "length_constraints:number_paragraphs") == 0)
        return PF(paragraphs_ok(v, kwint(kw, "num_paragraphs", -1)));
    if (strcmp(id, "length_constraints:number_words") == 0)
        return PF(compare(ifeval_count_words(v), kwint(kw, "num_words", 0), kwless(kw, "relation")));
    if (strcmp(id, "length_constraints:nth_paragraph_first_word") == 0)
        return check_nth_paragraph(kw, v);
    if (strcmp(id, "detectable_content:number_placeholders") == 0)
        return PF(placeholders(v) >= kwint(kw, "num_placeholders", 0));
    if (strcmp(id, "detectable_content:postscript") == 0) {
        const char *m = kwstr(kw, "postscript_marker");
        const char *mb, *me;
        strip_span(m ? m : "", &mb, &me);
        char *mm = xasprintf("%.*s", (int)(me - mb), mb);
        int r = check_postscript(mm, v);
        free(mm);
        return r;
    }
    if (strcmp(id, "detectable_format:number_bullet_lists") == 0)
        return PF(bullets(v) == kwint(kw, "num_bullets", -1));
    if (strcmp(id, "detectable_format:constrained_response") == 0)
        return PF(strstr(v, "My answer is yes.") || strstr(v, "My answer is no.") ||
                  strstr(v, "My answer is maybe."));
    if (strcmp(id, "detectable_format:number_highlighted_sections") == 0)
        return PF(highlights(v) >= kwint(kw, "num_highlights", 0));
    if (strcmp(id, "detectable_format:multiple_sections") == 0) {
        const char *sp = kwstr(kw, "section_spliter");
        const char *sb, *se;
        strip_span(sp ? sp : "", &sb, &se);
        if (sb == se) return IFEVAL_FAIL;
        char *ss = xasprintf("%.*s", (int)(se - sb), sb);
        long n = sections(v, ss);
        free(ss);
        return PF(n >= kwint(kw, "num_sections", 0));
    }
    if (strcmp(id, "detectable_format:json_format") == 0) return check_json(v);
    if (strcmp(id, "detectable_format:title") == 0) {
        for (const char *p = strstr(v, "<<"); p; p = strstr(p + 1, "<<")) {
            /* <<[^\n]+>>: the greedy match ends at the line's last ">>" */
            const char *nl = strchr(p, '\n');
            const char *e = nl ? nl : p + strlen(p);
            const char *last = NULL;
            for (const char *q = p + 2; q + 1 < e; q++)
                if (q[0] == '>' && q[1] == '>' && q > p + 2) last = q;
            if (!last) continue;
            const char *b = p;
            while (b < last && *b == '<') b++;
            const char *x = last + 2;
            while (x > b && x[-1] == '>') x--;
            if (!blank(b, x)) return IFEVAL_PASS;
            p = last + 1;
        }
        return IFEVAL_FAIL;
    }
    if (strcmp(id, "combination:two_responses") == 0) return check_two_responses(v);
    if (strcmp(id, "combination:repeat_prompt") == 0)
        return check_repeat(kwstr(kw, "prompt_to_repeat") ? kwstr(kw, "prompt_to_repeat") : "", v);
    if (strcmp(id, "startend:end_checker") == 0)
        return check_end(kwstr(kw, "end_phrase") ? kwstr(kw, "end_phrase") : "", v);
    if (strcmp(id, "startend:quotation") == 0) {
        const char *b, *e;
        strip_span(v, &b, &e);
        return PF(e - b > 1 && b[0] == '"' && e[-1] == '"');
    }
    if (strcmp(id, "change_case:capital_word_frequency") == 0)
        return PF(compare(capital_words(v), kwint(kw, "capital_frequency", 0),
                          kwless(kw, "capital_relation")));
    if (strcmp(id, "change_case:english_capital") == 0)
        return PF(all_case(v, 1) && latin_text(v));
    if (strcmp(id, "change_case:english_lowercase") == 0)
        return PF(all_case(v, -1) && latin_text(v));
    if (strcmp(id, "punctuation:no_comma") == 0) return PF(strchr(v, ',') == NULL);
#undef PF
    return IFEVAL_FAIL;
}

/* strict: a blank response follows nothing */
static int check_strict(const char *id, const cJSON *kw, const char *v)
{
    const char *b, *e;
    strip_span(v, &b, &e);
    if (b == e) return IFEVAL_FAIL;
    return ifeval_check(id, kw, v);
}

static char *strip_dup(const char *b, const char *e)
{
    while (b < e && is_space((unsigned char)*b)) b++;
    while (e > b && is_space((unsigned char)e[-1])) e--;
    return xasprintf("%.*s", (int)(e - b), b);
}

static char *no_stars(const char *s)
{
    char *r = xstrdup(s), *w = r;
    for (const char *p = s; *p; p++)
        if (*p != '*') *w++ = *p;
    *w = 0;
    return r;
}

int ifeval_check_loose(const char *id, const cJSON *kw, const char *response)
{
    /* the reference's 8 variants: the response, without its first line,
     * without its last, without both (each stripped), and each without '*' */
    const char *end = response + strlen(response);
    const char *first_nl = strchr(response, '\n');
    const char *last_nl = strrchr(response, '\n');
    char *v[8];
    v[0] = xstrdup(response);
    v[2] = first_nl ? strip_dup(first_nl + 1, end) : xstrdup("");
    v[3] = last_nl ? strip_dup(response, last_nl) : xstrdup("");
    v[4] = first_nl && last_nl && last_nl > first_nl ? strip_dup(first_nl + 1, last_nl)
                                                     : xstrdup("");
    v[1] = no_stars(v[0]);
    v[5] = no_stars(v[2]);
    v[6] = no_stars(v[3]);
    v[7] = no_stars(v[4]);
    static const int order[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int best = IFEVAL_FAIL;
    for (int i = 0; i < 8 && best != IFEVAL_PASS; i++) {
        int r = check_strict(id, kw, v[order[i]]);
        if (r == IFEVAL_PASS) best = IFEVAL_PASS;
        else if (r == IFEVAL_UNSUPPORTED) best = IFEVAL_UNSUPPORTED;
    }
    for (int i = 0; i < 8; i++) free(v[i]);
    return best;
}

static const char *outcome_name(int o)
{
    return o == IFEVAL_PASS ? "pass" : o == IFEVAL_FAIL ? "fail" : "n.a.";
}

int ifeval_score(const cJSON *record, const char *response, struct ifeval_result *r)
{
    memset(r, 0, sizeof *r);
    char msg[256];
    if (ifeval_validate(record, msg, sizeof msg)) return -1;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(record, "instruction_id_list");
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(record, "kwargs")->child;
    struct buf d = BUF_INIT;
    bool fail_s = false, fail_l = false;
    for (const cJSON *id = ids->child; id; id = id->next, kw = kw->next) {
        const cJSON *k = cJSON_IsObject(kw) ? kw : NULL;
        int s = check_strict(id->valuestring, k, response);
        int l = s == IFEVAL_PASS ? IFEVAL_PASS : ifeval_check_loose(id->valuestring, k, response);
        r->n++;
        r->strict_pass += s == IFEVAL_PASS;
        r->loose_pass += l == IFEVAL_PASS;
        r->strict_unsup += s == IFEVAL_UNSUPPORTED;
        r->loose_unsup += l == IFEVAL_UNSUPPORTED;
        fail_s |= s == IFEVAL_FAIL;
        fail_l |= l == IFEVAL_FAIL;
        buf_appendf(&d, "%s%s=%s/%s", d.len ? "; " : "", id->valuestring, outcome_name(s),
                    outcome_name(l));
    }
    r->prompt_strict = r->strict_pass == r->n;
    r->prompt_loose = r->loose_pass == r->n;
    r->undecided_strict = !fail_s && r->strict_unsup > 0;
    r->undecided_loose = !fail_l && r->loose_unsup > 0;
    r->detail = buf_detach(&d, NULL);
    return 0;
}

void ifeval_result_release(struct ifeval_result *r)
{
    if (!r) return;
    free(r->detail);
    r->detail = NULL;
}

void ifeval_fill_verdict(struct ifeval_result *r, bool primary_strict, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    v->strict = r->prompt_strict;
    v->flexible = r->prompt_loose;
    v->correct = primary_strict ? v->strict : v->flexible;
    v->partial = r->n ? (double)(primary_strict ? r->strict_pass : r->loose_pass) / r->n : 0;
    v->extracted = r->detail;
    r->detail = NULL;
    v->extract_failed = false;
    v->ifeval.n = r->n;
    v->ifeval.strict = r->strict_pass;
    v->ifeval.loose = r->loose_pass;
    v->ifeval.strict_unsup = r->strict_unsup;
    v->ifeval.loose_unsup = r->loose_unsup;
    v->ifeval.undecided_strict = r->undecided_strict;
    v->ifeval.undecided_loose = r->undecided_loose;
}

void ifeval_tally_add(struct ifeval_tally *t, const struct verdict *v)
{
    t->prompts++;
    t->prompt_strict += v->strict;
    t->prompt_loose += v->flexible;
    t->prompt_undecided_strict += v->ifeval.undecided_strict;
    t->prompt_undecided_loose += v->ifeval.undecided_loose;
    t->instr += v->ifeval.n;
    t->instr_strict += v->ifeval.strict;
    t->instr_loose += v->ifeval.loose;
    t->instr_unsup_strict += v->ifeval.strict_unsup;
    t->instr_unsup_loose += v->ifeval.loose_unsup;
}

static double ratio(long a, long b)
{
    return b > 0 ? (double)a / (double)b : 0.0;
}

void ifeval_tally_to_json(const struct ifeval_tally *t, cJSON *o)
{
    cJSON *x = cJSON_AddObjectToObject(o, "ifeval");
    cJSON_AddNumberToObject(x, "prompts", (double)t->prompts);
    cJSON_AddNumberToObject(x, "instructions", (double)t->instr);
    cJSON_AddNumberToObject(x, "prompt_level_strict_accuracy", ratio(t->prompt_strict, t->prompts));
    cJSON_AddNumberToObject(x, "prompt_level_loose_accuracy", ratio(t->prompt_loose, t->prompts));
    cJSON_AddNumberToObject(x, "inst_level_strict_accuracy", ratio(t->instr_strict, t->instr));
    cJSON_AddNumberToObject(x, "inst_level_loose_accuracy", ratio(t->instr_loose, t->instr));
    cJSON_AddNumberToObject(x, "undecided_prompts_strict", (double)t->prompt_undecided_strict);
    cJSON_AddNumberToObject(x, "undecided_prompts_loose", (double)t->prompt_undecided_loose);
    cJSON_AddNumberToObject(x, "unsupported_instructions_strict", (double)t->instr_unsup_strict);
    cJSON_AddNumberToObject(x, "unsupported_instructions_loose", (double)t->instr_unsup_loose);
    /* accuracies over the decided part only */
    cJSON_AddNumberToObject(x, "prompt_level_strict_accuracy_decided",
                            ratio(t->prompt_strict, t->prompts - t->prompt_undecided_strict));
    cJSON_AddNumberToObject(x, "inst_level_strict_accuracy_decided",
                            ratio(t->instr_strict, t->instr - t->instr_unsup_strict));
}
