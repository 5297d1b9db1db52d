/*
 * extract: answer extraction from model text (see extract.h).
 *
 * Hand-written scanners rather than regexes: each rule is a small loop with
 * explicit bounds, so any byte string is safe (fuzzed by tests/fuzz/
 * fuzz_extract_*.c) and the behaviour at the edges (thousands separators,
 * the article "A", nested braces) is spelled out where it is decided.
 */
#include "eval/extract.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}
static bool is_alnum(unsigned char c)
{
    return isalnum(c) != 0;
}
static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* case-insensitive search for needle in [s, end) */
static const char *find_ci(const char *s, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = s; p + n <= end; p++) {
        size_t i = 0;
        while (i < n && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return p;
    }
    return NULL;
}

/* ---------------- numbers ---------------- */

bool extract_number_canon(const char *s, size_t n, char *out, size_t outsz)
{
    if (outsz < 4) return false;
    size_t i = 0, o = 0;
    bool neg = false;
    while (i < n && (is_space((unsigned char)s[i]) || s[i] == '$' || s[i] == '+')) i++;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    } else if (i + 2 < n && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x88 &&
               (unsigned char)s[i + 2] == 0x92) {
        neg = true;
        i += 3;
    }
    while (i < n && (s[i] == '$' || is_space((unsigned char)s[i]))) i++;
    /* integer part with optional thousands commas */
    char ip[256];
    size_t ni = 0;
    bool any = false;
    while (i < n) {
        if (is_digit((unsigned char)s[i])) {
            if (ni + 1 >= sizeof ip) return false;
            ip[ni++] = s[i++];
            any = true;
        } else if (s[i] == ',' && any && i + 1 < n && is_digit((unsigned char)s[i + 1])) {
            i++;
        } else {
            break;
        }
    }
    char fp[256];
    size_t nf = 0;
    if (i < n && s[i] == '.') {
        size_t j = i + 1;
        while (j < n && is_digit((unsigned char)s[j])) {
            if (nf + 1 >= sizeof fp) return false;
            fp[nf++] = s[j++];
        }
        i = j;
        any = any || nf > 0;
    }
    if (!any) return false;
    /* tolerated tail: a trailing period, '%', spaces */
    while (i < n && (s[i] == '.' || s[i] == '%' || is_space((unsigned char)s[i]))) i++;
    if (i != n) return false;
    size_t a = 0;
    while (a + 1 < ni && ip[a] == '0') a++;
    while (nf > 0 && fp[nf - 1] == '0') nf--;
    bool zero = true;
    for (size_t k = a; k < ni; k++)
        if (ip[k] != '0') zero = false;
    for (size_t k = 0; k < nf; k++)
        if (fp[k] != '0') zero = false;
    if (ni - a + nf + 3 > outsz) return false;
    if (neg && !zero) out[o++] = '-';
    if (ni == 0) {
        out[o++] = '0';
    } else {
        memcpy(out + o, ip + a, ni - a);
        o += ni - a;
    }
    if (nf) {
        out[o++] = '.';
        memcpy(out + o, fp, nf);
        o += nf;
    }
    out[o] = '\0';
    return true;
}

/* Scan one number token starting at p (a digit, or '.', '-', '$' before a
 * digit); sets *end past it. Thousands commas must be followed by exactly
 * three digits; a final '.' without digits is not part of the token. */
static bool scan_number(const char *p, const char *lim, const char **start, const char **end)
{
    const char *q = p;
    if (q < lim && *q == '-') q++;
    if (q < lim && *q == '$') q++;
    bool digits = false;
    while (q < lim && is_digit((unsigned char)*q)) {
        q++;
        digits = true;
    }
    while (digits && q + 4 <= lim && q[0] == ',' && is_digit((unsigned char)q[1]) &&
           is_digit((unsigned char)q[2]) && is_digit((unsigned char)q[3]) &&
           (q + 4 == lim || !is_digit((unsigned char)q[4])))
        q += 4;
    if (q + 1 < lim && *q == '.' && is_digit((unsigned char)q[1])) {
        q++;
        while (q < lim && is_digit((unsigned char)*q)) q++;
        digits = true;
    }
    if (!digits) return false;
    *start = p;
    *end = q;
    return true;
}

static char *canon_dup(const char *s, size_t n)
{
    char tmp[600];
    if (!extract_number_canon(s, n, tmp, sizeof tmp)) return NULL;
    return xstrdup(tmp);
}

/* the number right after position p (spaces, '$', '*', '\(' skipped) */
static char *number_after(const char *p, const char *lim)
{
    while (p < lim && (is_space((unsigned char)*p) || *p == '$' || *p == '*' || *p == ':' ||
                       *p == '\\' || *p == '(' || *p == '{'))
        p++;
    const char *a, *b;
    if (p < lim && (is_digit((unsigned char)*p) || *p == '-' || *p == '.') &&
        scan_number(p, lim, &a, &b))
        return canon_dup(a, (size_t)(b - a));
    return NULL;
}

/* a copy with the unicode minus (U+2212) folded to '-' */
static char *fold_minus(const char *text)
{
    size_t n = strlen(text);
    char *c = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)text[i] == 0xe2 && i + 2 < n && (unsigned char)text[i + 1] == 0x88 &&
            (unsigned char)text[i + 2] == 0x92) {
            c[o++] = '-';
            i += 2;
        } else {
            c[o++] = text[i];
        }
    }
    c[o] = '\0';
    return c;
}

static char *gsm8k_strict(const char *text)
{
    const char *lim = text + strlen(text);
    const char *h = strstr(text, "####");
    if (h) {
        char *r = number_after(h + 4, lim);
        if (r) return r;
    }
    char *best = NULL;
    for (const char *p = text; (p = find_ci(p, lim, "the answer is")) != NULL; p++) {
        char *r = number_after(p + 13, lim);
        if (r) {
            free(best);
            best = r;
        }
    }
    return best;
}

char *extract_gsm8k_strict(const char *text)
{
    char *t = fold_minus(text);
    char *r = gsm8k_strict(t);
    free(t);
    return r;
}

static char *gsm8k_flexible(const char *text)
{
    const char *lim = text + strlen(text);
    /* a completion that runs on into a new "Question:" is cut there, but only
     * after some answer text (a reply that starts by restating is kept) */
    const char *q = strstr(text, "Question:");
    if (q && q > text) lim = q;
    const char *best_a = NULL, *best_b = NULL;
    for (const char *p = text; p < lim;) {
        unsigned char c = (unsigned char)*p;
        bool start = is_digit(c) || c == '$' || c == '.' ||
                     (c == '-' && !(p > text && (is_alnum((unsigned char)p[-1]) || p[-1] == ')')));
        const char *a, *b;
        if (start && scan_number(p, lim, &a, &b)) {
            best_a = a;
            best_b = b;
            p = b;
            continue;
        }
        p++;
    }
    if (!best_a) return NULL;
    return canon_dup(best_a, (size_t)(best_b - best_a));
}

char *extract_gsm8k_flexible(const char *text)
{
    char *t = fold_minus(text);
    char *r = gsm8k_flexible(t);
    free(t);
    return r;
}

char *extract_gsm8k_gold(const char *answer_field)
{
    const char *h = strstr(answer_field, "####");
    if (!h) return NULL;
    h += 4;
    while (*h && is_space((unsigned char)*h)) h++;
    size_t n = strlen(h);
    while (n && is_space((unsigned char)h[n - 1])) n--;
    return canon_dup(h, n);
}

/* ---------------- MATH ---------------- */

/* brace-matched content after an opening '{' at p; NULL if unbalanced */
static char *braced(const char *p)
{
    if (*p != '{') return NULL;
    int depth = 0;
    const char *s = p + 1;
    for (const char *q = p; *q; q++) {
        if (*q == '\\' && q[1] && (q[1] == '{' || q[1] == '}')) {
            q++;
            continue;
        }
        if (*q == '{')
            depth++;
        else if (*q == '}') {
            depth--;
            if (depth == 0) return xstrndup(s, (size_t)(q - s));
        }
    }
    return NULL;
}

char *extract_boxed(const char *text)
{
    const char *last = NULL;
    size_t kw = 0;
    for (const char *p = text; (p = strchr(p, '\\')) != NULL; p++) {
        if (strncmp(p, "\\boxed", 6) == 0 && !isalpha((unsigned char)p[6])) {
            last = p;
            kw = 6;
        } else if (strncmp(p, "\\fbox", 5) == 0 && !isalpha((unsigned char)p[5])) {
            last = p;
            kw = 5;
        }
    }
    if (!last) return NULL;
    const char *p = last + kw;
    if (*p == '{') return braced(p);
    if (*p != ' ') return NULL;
    while (*p == ' ') p++;
    const char *s = p;
    while (*p && !is_space((unsigned char)*p) && *p != '$') p++;
    if (p == s) return NULL;
    return xstrndup(s, (size_t)(p - s));
}

char *extract_math_strict(const char *text)
{
    return extract_boxed(text);
}

/* strip surrounding spaces, '$', '\(' '\)' '\[' '\]', '**' and a final '.' */
static char *trim_math(const char *s, size_t n)
{
    for (;;) {
        size_t before = n;
        while (n && (is_space((unsigned char)*s) || *s == '$' || *s == '*')) {
            s++;
            n--;
        }
        while (n && (is_space((unsigned char)s[n - 1]) || s[n - 1] == '$' || s[n - 1] == '*' ||
                     s[n - 1] == '.'))
            n--;
        if (n >= 2 && s[0] == '\\' && (s[1] == '(' || s[1] == '[')) {
            s += 2;
            n -= 2;
        }
        if (n >= 2 && s[n - 2] == '\\' && (s[n - 1] == ')' || s[n - 1] == ']')) n -= 2;
        if (n == before) break;
    }
    return n ? xstrndup(s, n) : NULL;
}

char *extract_math_flexible(const char *text)
{
    char *b = extract_boxed(text);
    if (b) return b;
    const char *lim = text + strlen(text);
    const char *last = NULL;
    size_t kwlen = 0;
    static const char *const kws[] = {"final answer is", "the answer is", "final answer:"};
    for (size_t k = 0; k < GRA_ARRAY_LEN(kws); k++) {
        for (const char *p = text; (p = find_ci(p, lim, kws[k])) != NULL; p++) {
            if (!last || p > last) {
                last = p;
                kwlen = strlen(kws[k]);
            }
        }
    }
    if (!last) return NULL;
    const char *s = last + kwlen;
    while (s < lim && (*s == ':' || is_space((unsigned char)*s))) s++;
    /* to the end of the line, or ". " / " I hope" (Minerva) outside math */
    const char *e = s;
    bool in_math = false;
    while (e < lim && *e != '\n') {
        if (*e == '$') in_math = !in_math;
        if (!in_math && *e == '.' && (e + 1 == lim || is_space((unsigned char)e[1]))) break;
        if (!in_math && strncmp(e, " I hope", 7) == 0) break;
        e++;
    }
    return trim_math(s, (size_t)(e - s));
}

/* ---------------- multiple choice ---------------- */

/* skip markup between an answer marker and the letter */
static const char *skip_markup(const char *p, const char *lim)
{
    for (;;) {
        const char *q = p;
        while (q < lim &&
               (is_space((unsigned char)*q) || *q == '*' || *q == '$' || *q == '(' || *q == '[' ||
                *q == '{' || *q == ':' || *q == '_' || *q == '"' || *q == '\'' || *q == '`'))
            q++;
        if (q + 6 <= lim && strncmp(q, "\\boxed", 6) == 0)
            q += 6;
        else if (q + 5 <= lim && strncmp(q, "\\text", 5) == 0)
            q += 5;
        else if (q + 7 <= lim && strncmp(q, "\\textbf", 7) == 0)
            q += 7;
        else if (q + 7 <= lim && strncmp(q, "\\mathrm", 7) == 0)
            q += 7;
        else if (q + 2 <= lim && q[0] == '\\' && (q[1] == '(' || q[1] == '['))
            q += 2;
        else if (q + 6 <= lim && strncasecmp(q, "option", 6) == 0)
            q += 6;
        else if (q + 6 <= lim && strncasecmp(q, "choice", 6) == 0)
            q += 6;
        if (q == p) return q;
        p = q;
    }
}

static int letter_at(const char *p, const char *lim, int n_options, bool allow_lower)
{
    if (p >= lim) return -1;
    unsigned char c = (unsigned char)*p;
    int idx = -1;
    if (c >= 'A' && c < 'A' + n_options)
        idx = c - 'A';
    else if (allow_lower && c >= 'a' && c < 'a' + n_options)
        idx = c - 'a';
    if (idx < 0) return -1;
    if (p + 1 < lim && is_alnum((unsigned char)p[1])) return -1;
    return idx;
}

int extract_mc_strict(const char *text, int n_options)
{
    if (n_options <= 0 || n_options > 26) return -1;
    const char *lim = text + strlen(text);
    int best = -1;
    for (const char *p = text; (p = find_ci(p, lim, "answer")) != NULL; p++) {
        if (p > text && isalpha((unsigned char)p[-1])) continue;
        const char *q = p + 6;
        if (q < lim && (*q == 's' || *q == 'S')) q++; /* "Answers:" */
        const char *r = q;
        while (r < lim && (*r == '*' || *r == ' ')) r++;
        bool marker = false;
        if (r < lim && *r == ':') {
            marker = true;
            r++;
        } else if (r + 2 <= lim && strncasecmp(r, "is", 2) == 0 &&
                   !(r + 2 < lim && isalpha((unsigned char)r[2]))) {
            marker = true;
            r += 2;
            while (r < lim && (*r == ' ' || *r == '*')) r++;
            if (r < lim && *r == ':') r++;
            const char *t = r;
            while (t < lim && *t == ' ') t++;
            if (t + 6 <= lim && strncasecmp(t, "option", 6) == 0) r = t;
        }
        if (!marker) continue;
        const char *l = skip_markup(r, lim);
        bool paren = l > text && (l[-1] == '(' || l[-1] == '[' || l[-1] == '{');
        int idx = letter_at(l, lim, n_options, paren);
        if (idx >= 0) best = idx;
    }
    if (best >= 0) return best;
    /* a reply that is only a letter: "B", "(B)", "B.", "**B**" */
    const char *s = text, *e = lim;
    while (s < e &&
           (is_space((unsigned char)*s) || *s == '*' || *s == '(' || *s == '[' || *s == '$'))
        s++;
    while (e > s && (is_space((unsigned char)e[-1]) || e[-1] == '*' || e[-1] == ')' ||
                     e[-1] == ']' || e[-1] == '.' || e[-1] == '$'))
        e--;
    if (e - s == 1) {
        unsigned char c = (unsigned char)*s;
        if (c >= 'A' && c < 'A' + n_options) return c - 'A';
    }
    return -1;
}

/* Is the letter at p (a standalone uppercase option letter) prose? Only "A"
 * (the article) and "I" (the pronoun) are English one-letter words: bare and
 * followed by a space and a lowercase word, they are prose. */
static bool prose_letter(const char *p, const char *lim, const char *text)
{
    if (*p != 'A' && *p != 'I') return false;
    bool wrapped = p > text && (p[-1] == '(' || p[-1] == '[');
    if (wrapped) return false;
    const char *q = p + 1;
    if (q < lim && (*q == ')' || *q == ']' || *q == ':' || *q == '.')) return false;
    if (q < lim && (*q == '\'')) return true; /* "I'm", "A's" */
    while (q < lim && (*q == ' ' || *q == '\t')) q++;
    if (q < lim && (q > p + 1) &&
        (islower((unsigned char)*q) || *q == '"' || (unsigned char)*q >= 0x80))
        return true;
    return false;
}

static void lower_norm(const char *s, struct buf *b)
{
    bool sp = true;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (is_space(c)) {
            if (!sp) buf_putc(b, ' ');
            sp = true;
        } else {
            buf_putc(b, (char)tolower(c));
            sp = false;
        }
    }
    while (b->len && b->data[b->len - 1] == ' ') b->data[--b->len] = '\0';
    while (b->len && (b->data[b->len - 1] == '.')) b->data[--b->len] = '\0';
}

int extract_mc_flexible(const char *text, int n_options, const char *const *options)
{
    int s = extract_mc_strict(text, n_options);
    if (s >= 0) return s;
    if (n_options <= 0 || n_options > 26) return -1;
    size_t tlen = strlen(text);
    const char *lim = text + tlen;
    /* a letter inside a quoted option text ("J. B. Rhine ...") is not a choice */
    unsigned char *covered = NULL;
    if (options) {
        covered = xcalloc(tlen + 1, 1);
        for (int i = 0; i < n_options; i++) {
            if (!options[i] || strlen(options[i]) < 2) continue;
            size_t ol = strlen(options[i]);
            for (const char *h = text; (h = find_ci(h, lim, options[i])) != NULL; h++)
                memset(covered + (h - text), 1, ol);
        }
    }
    int letter = -1;
    for (const char *p = text; p < lim; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(c >= 'A' && c < 'A' + n_options)) continue;
        if (covered && covered[p - text]) continue;
        if (p > text && is_alnum((unsigned char)p[-1])) continue;
        if (p > text && (p[-1] == '\'' || p[-1] == '-' || p[-1] == '\\')) continue;
        if (p + 1 < lim && (is_alnum((unsigned char)p[1]) || p[1] == '\'' || p[1] == '-')) continue;
        if ((unsigned char)p[1] >= 0x80 && p + 1 < lim) continue;
        if (prose_letter(p, lim, text)) continue;
        letter = c - 'A';
        break;
    }
    free(covered);
    if (letter >= 0 || !options) return letter;
    struct buf t = BUF_INIT, o = BUF_INIT;
    lower_norm(text, &t);
    int best = -1;
    size_t best_len = 0;
    bool tie = false;
    for (int i = 0; i < n_options; i++) {
        if (!options[i]) continue;
        buf_reset(&o);
        lower_norm(options[i], &o);
        if (o.len == 0) continue;
        /* whole-word occurrence */
        const char *h = t.data;
        bool found = false;
        while ((h = strstr(h, o.data)) != NULL) {
            bool lb = h == t.data || !is_alnum((unsigned char)h[-1]);
            bool rb = !is_alnum((unsigned char)h[o.len]);
            if (lb && rb) {
                found = true;
                break;
            }
            h++;
        }
        if (!found) continue;
        if (o.len > best_len) {
            best = i;
            best_len = o.len;
            tie = false;
        } else if (o.len == best_len) {
            tie = true;
        }
    }
    /* a shorter match contained in the longest one is not a rival; any other is */
    if (best >= 0 && !tie) {
        struct buf bo = BUF_INIT;
        lower_norm(options[best], &bo);
        for (int i = 0; i < n_options && best >= 0; i++) {
            if (i == best || !options[i]) continue;
            buf_reset(&o);
            lower_norm(options[i], &o);
            if (o.len == 0 || strstr(bo.data, o.data)) continue;
            const char *h = t.data;
            while ((h = strstr(h, o.data)) != NULL) {
                bool lb = h == t.data || !is_alnum((unsigned char)h[-1]);
                bool rb = !is_alnum((unsigned char)h[o.len]);
                if (lb && rb) {
                    best = -1;
                    break;
                }
                h++;
            }
        }
        buf_release(&bo);
    }
    buf_release(&t);
    buf_release(&o);
    return tie ? -1 : best;
}

/* letters list: "A, C and D", "(A) (C)", "A C D"; stops at anything else */
static unsigned long letter_list(const char *p, const char *lim, int n_options, bool *clean)
{
    unsigned long mask = 0;
    *clean = true;
    while (p < lim) {
        while (p < lim &&
               (is_space((unsigned char)*p) || *p == ',' || *p == '(' || *p == ')' || *p == '*' ||
                *p == '$' || *p == '[' || *p == ']' || *p == ';' || *p == '&'))
            p++;
        if (p >= lim || *p == '\n') break;
        if (p + 3 <= lim && strncasecmp(p, "and", 3) == 0 &&
            (p + 3 == lim || !is_alnum((unsigned char)p[3]))) {
            p += 3;
            continue;
        }
        unsigned char c = (unsigned char)*p;
        if (c >= 'A' && c < 'A' + n_options && (p + 1 >= lim || !is_alnum((unsigned char)p[1]))) {
            mask |= 1ul << (c - 'A');
            p++;
            if (p < lim && *p == '.' && (p + 1 >= lim || is_space((unsigned char)p[1]))) p++;
            continue;
        }
        *clean = false;
        break;
    }
    return mask;
}

unsigned long extract_mc_multi_strict(const char *text, int n_options)
{
    if (n_options <= 0 || n_options > 26) return 0;
    const char *lim = text + strlen(text);
    unsigned long best = 0;
    for (const char *p = text; (p = find_ci(p, lim, "answer")) != NULL; p++) {
        if (p > text && isalpha((unsigned char)p[-1])) continue;
        const char *r = p + 6;
        if (r < lim && (*r == 's' || *r == 'S')) r++;
        while (r < lim && (*r == ' ' || *r == '*')) r++;
        if (r + 3 <= lim && strncasecmp(r, "are", 3) == 0)
            r += 3;
        else if (r + 2 <= lim && strncasecmp(r, "is", 2) == 0)
            r += 2;
        while (r < lim && (*r == ' ' || *r == '*')) r++;
        if (r < lim && *r == ':')
            r++;
        else if (r == p + 6)
            continue;
        bool clean;
        unsigned long m = letter_list(r, lim, n_options, &clean);
        if (m) best = m;
    }
    return best;
}

unsigned long extract_mc_multi_flexible(const char *text, int n_options)
{
    unsigned long m = extract_mc_multi_strict(text, n_options);
    if (m || n_options <= 0 || n_options > 26) return m;
    const char *lim = text + strlen(text);
    while (lim > text && is_space((unsigned char)lim[-1])) lim--;
    const char *ls = lim;
    while (ls > text && ls[-1] != '\n') ls--;
    bool clean;
    m = letter_list(ls, lim, n_options, &clean);
    return clean ? m : 0;
}

/* ---------------- free phrase (BBH) ---------------- */

static char *trim_phrase(const char *s, size_t n)
{
    while (n && (is_space((unsigned char)*s) || *s == '*' || *s == '"' || *s == '$')) {
        s++;
        n--;
    }
    while (n && (is_space((unsigned char)s[n - 1]) || s[n - 1] == '*' || s[n - 1] == '"' ||
                 s[n - 1] == '.' || s[n - 1] == '$'))
        n--;
    return n ? xstrndup(s, n) : NULL;
}

char *extract_phrase_strict(const char *text)
{
    const char *lim = text + strlen(text);
    const char *last = NULL;
    for (const char *p = text; (p = find_ci(p, lim, "the answer is")) != NULL; p++) last = p;
    if (!last) return NULL;
    const char *s = last + 13;
    while (s < lim && (*s == ':' || is_space((unsigned char)*s))) s++;
    const char *e = s;
    while (e < lim && *e != '\n' && !(*e == '.' && (e + 1 == lim || is_space((unsigned char)e[1]))))
        e++;
    return trim_phrase(s, (size_t)(e - s));
}

char *extract_phrase_flexible(const char *text)
{
    char *r = extract_phrase_strict(text);
    if (r) return r;
    const char *lim = text + strlen(text);
    while (lim > text && is_space((unsigned char)lim[-1])) lim--;
    const char *ls = lim;
    while (ls > text && ls[-1] != '\n') ls--;
    return trim_phrase(ls, (size_t)(lim - ls));
}
