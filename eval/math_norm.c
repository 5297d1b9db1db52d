/*
 * math_norm: MATH normaliser and equivalence (see math_norm.h).
 *
 * The normaliser is a fixed sequence of string passes over one heap string;
 * each pass is small and named after the rule it implements, in the order
 * Hendrycks' _strip_string applies them, with Minerva's extra cases (unit
 * words, \text unwrapping, thousands separators) slotted in. The evaluator is
 * a recursive-descent parser with a depth cap, so hostile input cannot blow
 * the stack (fuzzed by tests/fuzz/fuzz_extract_math.c).
 */
#include "eval/math_norm.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

#define MATH_MAX_DEPTH 64
#define MATH_MAX_ITEMS 64

/* ---------------- string helpers ---------------- */

static char *replace_all(char *s, const char *from, const char *to)
{
    size_t fl = strlen(from);
    if (!strstr(s, from)) return s;
    struct buf b = BUF_INIT;
    const char *p = s, *h;
    while ((h = strstr(p, from)) != NULL) {
        buf_append(&b, p, (size_t)(h - p));
        buf_puts(&b, to);
        p = h + fl;
    }
    buf_puts(&b, p);
    free(s);
    return buf_detach(&b, NULL);
}

/* replace a LaTeX command name only when not followed by a letter
 * ("\le" must not hit "\left") */
static char *replace_cmd(char *s, const char *cmd, const char *to)
{
    size_t cl = strlen(cmd);
    struct buf b = BUF_INIT;
    const char *p = s, *h;
    bool changed = false;
    while ((h = strstr(p, cmd)) != NULL) {
        if (isalpha((unsigned char)h[cl])) {
            buf_append(&b, p, (size_t)(h - p) + cl);
            p = h + cl;
            continue;
        }
        buf_append(&b, p, (size_t)(h - p));
        buf_puts(&b, to);
        p = h + cl;
        changed = true;
    }
    if (!changed) {
        buf_release(&b);
        return s;
    }
    buf_puts(&b, p);
    free(s);
    return buf_detach(&b, NULL);
}

/* index just past the '}' matching the '{' at s[i]; 0 if unbalanced */
static size_t match_brace(const char *s, size_t i)
{
    int depth = 0;
    for (size_t k = i; s[k]; k++) {
        if (s[k] == '\\' && (s[k + 1] == '{' || s[k + 1] == '}')) {
            k++;
            continue;
        }
        if (s[k] == '{')
            depth++;
        else if (s[k] == '}' && --depth == 0)
            return k + 1;
    }
    return 0;
}

static void trim_inplace(char *s)
{
    size_t n = strlen(s), a = 0;
    while (a < n && isspace((unsigned char)s[a])) a++;
    while (n > a && isspace((unsigned char)s[n - 1])) n--;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
}

static bool is_unit_text(const char *s, size_t n)
{
    bool letter = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalpha(c))
            letter = true;
        else if (!(c == ' ' || c == '^' || c == '.' || isdigit(c) || c == '{' || c == '}'))
            return false;
    }
    return letter;
}

/* \text{...}, \mbox{...}, \mathrm{...}, \textbf{...}: a unit word at the end of
 * an answer (after something) is dropped; "and"/"or" become a comma; any
 * other content is kept without the wrapper. */
static char *text_commands(char *s)
{
    static const char *const cmds[] = {"\\text",   "\\mbox",   "\\mathrm",
                                       "\\textbf", "\\mathbf", "\\textnormal",
                                       "\\textit", "\\mathit", "\\operatorname"};
    for (int guard = 0; guard < 64; guard++) {
        size_t best = (size_t)-1, cl = 0;
        for (size_t k = 0; k < GRA_ARRAY_LEN(cmds); k++) {
            const char *h = strstr(s, cmds[k]);
            size_t l = strlen(cmds[k]);
            while (h && h[l] != '{') h = strstr(h + 1, cmds[k]);
            if (h && (size_t)(h - s) < best) {
                best = (size_t)(h - s);
                cl = l;
            }
        }
        if (best == (size_t)-1) break;
        size_t open = best + cl;
        size_t close = match_brace(s, open);
        if (!close) break;
        const char *c = s + open + 1;
        size_t cn = close - open - 2;
        size_t a = 0;
        while (a < cn && c[a] == ' ') a++;
        size_t e = cn;
        while (e > a && c[e - 1] == ' ') e--;
        struct buf b = BUF_INIT;
        buf_append(&b, s, best);
        /* what follows the command, allowing a trailing ^2 / ^{2} (cm^2) */
        const char *rest = s + close;
        const char *r = rest;
        if (r[0] == '^' && r[1] == '{') {
            size_t m = match_brace(r, 1);
            if (m) r += m;
        } else if (r[0] == '^' && r[1]) {
            r += 2;
        }
        while (*r == ' ' || *r == '.') r++;
        bool at_end = *r == '\0';
        bool has_before = false;
        for (size_t i = 0; i < best; i++)
            if (!isspace((unsigned char)s[i])) has_before = true;
        if (e - a == 3 && strncmp(c + a, "and", 3) == 0) {
            buf_putc(&b, ',');
            buf_puts(&b, rest);
        } else if (e - a == 2 && strncmp(c + a, "or", 2) == 0) {
            buf_putc(&b, ',');
            buf_puts(&b, rest);
        } else if (at_end && has_before && is_unit_text(c + a, e - a)) {
            /* unit: drop it and its exponent */
        } else {
            buf_append(&b, c + a, e - a);
            buf_puts(&b, rest);
        }
        free(s);
        s = buf_detach(&b, NULL);
    }
    return s;
}

/* bare unit words at the end, after a number ("5 cm", "12 dollars") */
static char *unit_words(char *s)
{
    static const char *const units[] = {
        "degrees",  "degree",     "cm",      "centimeters", "centimeter", "meters",  "meter",
        "km",       "kilometers", "mm",      "inches",      "inch",       "feet",    "foot",
        "ft",       "yards",      "yard",    "miles",       "mile",       "units",   "unit",
        "square",   "sq",         "cubic",   "dollars",     "dollar",     "cents",   "cent",
        "mph",      "hours",      "hour",    "minutes",     "minute",     "seconds", "second",
        "days",     "day",        "weeks",   "years",       "pounds",     "pound",   "lbs",
        "ounces",   "gallons",    "liters",  "grams",       "kg",         "points",  "people",
        "students", "ways",       "percent", "radians"};
    for (int guard = 0; guard < 8; guard++) {
        size_t n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '.')) s[--n] = '\0';
        size_t w = n;
        while (w && isalpha((unsigned char)s[w - 1])) w--;
        if (w == n || w == 0) return s;
        bool known = false;
        for (size_t k = 0; k < GRA_ARRAY_LEN(units); k++)
            if (strlen(units[k]) == n - w && strncmp(s + w, units[k], n - w) == 0) known = true;
        if (!known) return s;
        /* must follow a space after a number-ish end, or a digit directly */
        size_t p = w;
        bool space = false;
        while (p && s[p - 1] == ' ') {
            p--;
            space = true;
        }
        if (!p) return s;
        unsigned char prev = (unsigned char)s[p - 1];
        if (!(isdigit(prev) || prev == '}' || prev == ')' || (space && isalpha(prev)))) return s;
        if (space && isalpha(prev)) {
            /* "5 square units": the word before must itself be a unit */
            size_t q = p;
            while (q && isalpha((unsigned char)s[q - 1])) q--;
            bool unit2 = false;
            for (size_t k = 0; k < GRA_ARRAY_LEN(units); k++)
                if (strlen(units[k]) == p - q && strncmp(s + q, units[k], p - q) == 0) unit2 = true;
            if (!unit2) return s;
        }
        s[p] = '\0';
    }
    return s;
}

/* \sqrt3 -> \sqrt{3}; \frac12 -> \frac{1}{2}; \frac1{2}, \frac{1}2 likewise.
 * Braced arguments are fixed recursively (depth-capped). */
static char *fix_shorthand_d(char *s, int depth);

static void put_arg(struct buf *b, const char *s, size_t open, size_t close, int depth)
{
    char *inner = xstrndup(s + open + 1, close - open - 2);
    inner = fix_shorthand_d(inner, depth + 1);
    buf_putc(b, '{');
    buf_puts(b, inner);
    buf_putc(b, '}');
    free(inner);
}

static char *fix_shorthand_d(char *s, int depth)
{
    if (depth > 16) return s;
    struct buf b = BUF_INIT;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        bool sq = strncmp(s + i, "\\sqrt", 5) == 0 && !isalpha((unsigned char)s[i + 5]);
        bool fr = strncmp(s + i, "\\frac", 5) == 0 && !isalpha((unsigned char)s[i + 5]);
        if (sq || fr) {
            buf_append(&b, s + i, 5);
            i += 5;
            if (sq && i < n && s[i] == '[') {
                const char *e = strchr(s + i, ']');
                if (!e) continue;
                buf_append(&b, s + i, (size_t)(e - (s + i)) + 1);
                i = (size_t)(e - s) + 1;
            }
            for (int arg = 0; arg < (sq ? 1 : 2) && i < n; arg++) {
                if (s[i] == '{') {
                    size_t m = match_brace(s, i);
                    if (!m) break;
                    put_arg(&b, s, i, m, depth);
                    i = m;
                } else if (s[i] == '\\' || s[i] == '}') {
                    break;
                } else {
                    buf_putc(&b, '{');
                    buf_putc(&b, s[i]);
                    buf_putc(&b, '}');
                    i++;
                }
            }
            continue;
        }
        buf_putc(&b, s[i]);
        i++;
    }
    free(s);
    return buf_detach(&b, NULL);
}

static char *fix_shorthand(char *s)
{
    return fix_shorthand_d(s, 0);
}

/* ^{x} -> ^x and _{x} -> _x for one character */
static char *fix_scripts(char *s)
{
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n; i++) {
        if ((s[i] == '^' || s[i] == '_') && i + 3 < n + 1 && s[i + 1] == '{' && s[i + 2] &&
            s[i + 2] != '\\' && s[i + 2] != '{' && s[i + 2] != '}' && s[i + 3] == '}') {
            s[o++] = s[i];
            s[o++] = s[i + 2];
            i += 3;
            continue;
        }
        s[o++] = s[i];
    }
    s[o] = '\0';
    return s;
}

static bool all_digits(const char *s, size_t n)
{
    if (!n) return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return true;
}

/* 1,234,567(.89) as the whole string -> digits */
static char *thousands(char *s)
{
    const char *p = s;
    if (*p == '-') p++;
    size_t lead = 0;
    while (isdigit((unsigned char)p[lead])) lead++;
    if (lead < 1 || lead > 3 || p[lead] != ',') return s;
    const char *q = p + lead;
    while (q[0] == ',' && all_digits(q + 1, 3) && !isdigit((unsigned char)q[4])) q += 4;
    if (*q == '.' && isdigit((unsigned char)q[1])) {
        q++;
        while (isdigit((unsigned char)*q)) q++;
    }
    if (*q) return s;
    size_t o = 0;
    for (size_t i = 0; s[i]; i++)
        if (s[i] != ',') s[o++] = s[i];
    s[o] = '\0';
    return s;
}

/* "a/b" with integers -> \frac{a}{b} (Hendrycks _fix_a_slash_b) */
static char *a_slash_b(char *s)
{
    const char *sl = strchr(s, '/');
    if (!sl || strchr(sl + 1, '/')) return s;
    const char *a = s;
    if (*a == '-') a++;
    if (!all_digits(a, (size_t)(sl - a)) || !all_digits(sl + 1, strlen(sl + 1))) return s;
    char *r = xasprintf("%s\\frac{%.*s}{%s}", a != s ? "-" : "", (int)(sl - a), a, sl + 1);
    free(s);
    return r;
}

/* a short "x=" / "k =" / "\theta=" prefix is dropped (one '=' only) */
static char *drop_lhs(char *s)
{
    char *eq = strchr(s, '=');
    if (!eq || strchr(eq + 1, '=')) return s;
    size_t l = (size_t)(eq - s);
    if (l == 0 || l > 8) return s;
    if (!(isalpha((unsigned char)s[0]) || s[0] == '\\')) return s;
    for (size_t i = 0; i < l; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '\\' || s[i] == '_' || s[i] == '{' ||
              s[i] == '}'))
            return s;
    if (l > 2 && s[0] != '\\' && !strchr(s, '_')) {
        /* plain words longer than 2 letters are not variables ("abc=") */
        return s;
    }
    memmove(s, eq + 1, strlen(eq + 1) + 1);
    return s;
}

static char *remove_spaces(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++)
        if (!isspace((unsigned char)s[i])) s[o++] = s[i];
    s[o] = '\0';
    return s;
}

/* leading/embedded ".5" -> "0.5" */
static char *leading_zero(char *s)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '.' && isdigit((unsigned char)s[i + 1]) &&
            (i == 0 || !isdigit((unsigned char)s[i - 1])))
            buf_putc(&b, '0');
        buf_putc(&b, s[i]);
    }
    free(s);
    return buf_detach(&b, NULL);
}

/* outer {...} around the whole string, and \boxed{...} */
static char *unwrap_outer(char *s)
{
    for (int guard = 0; guard < 8; guard++) {
        size_t n = strlen(s);
        if (strncmp(s, "\\boxed{", 7) == 0 && match_brace(s, 6) == n) {
            memmove(s, s + 7, n - 8);
            s[n - 8] = '\0';
            continue;
        }
        if (n >= 2 && s[0] == '{' && match_brace(s, 0) == n) {
            memmove(s, s + 1, n - 2);
            s[n - 2] = '\0';
            continue;
        }
        break;
    }
    return s;
}

/* "\\" is a matrix/array row separator (-> ';', spacing around it dropped
 * later); before a letter it is a doubled escape of a command (-> '\'). */
static char *row_separators(char *s)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\\' && s[i + 1] == '\\') {
            if (isalpha((unsigned char)s[i + 2]))
                buf_putc(&b, '\\');
            else
                buf_putc(&b, ';');
            i++;
            continue;
        }
        buf_putc(&b, s[i]);
    }
    free(s);
    return buf_detach(&b, NULL);
}

char *math_normalize(const char *in)
{
    char *s = xstrdup(in ? in : "");
    s = replace_all(s, "\n", " ");
    s = replace_all(s, "\\!", "");
    s = row_separators(s);
    s = replace_all(s, "\\,", "");
    s = replace_all(s, "\\;", "");
    s = replace_all(s, "\\:", "");
    s = replace_all(s, "\\ ", " ");
    s = replace_cmd(s, "\\qquad", " ");
    s = replace_cmd(s, "\\quad", " ");
    s = replace_all(s, "~", " ");
    s = replace_cmd(s, "\\displaystyle", "");
    s = replace_all(s, "tfrac", "frac");
    s = replace_all(s, "dfrac", "frac");
    s = replace_cmd(s, "\\left", "");
    s = replace_cmd(s, "\\right", "");
    s = replace_cmd(s, "\\bigl", "");
    s = replace_cmd(s, "\\bigr", "");
    /* degrees */
    s = replace_all(s, "^{\\circ}", "");
    s = replace_all(s, "^\\circ", "");
    s = replace_all(s, "\xc2\xb0", "");
    s = replace_cmd(s, "\\degree", "");
    s = replace_cmd(s, "\\circ", "");
    /* dollars and percent */
    s = replace_all(s, "\\$", "");
    s = replace_all(s, "$", "");
    s = replace_all(s, "\\%", "");
    s = replace_all(s, "%", "");
    s = replace_all(s, "\\(", "");
    s = replace_all(s, "\\)", "");
    s = replace_all(s, "\\[", "");
    s = replace_all(s, "\\]", "");
    trim_inplace(s);
    s = unwrap_outer(s);
    s = text_commands(s);
    trim_inplace(s);
    s = unit_words(s);
    trim_inplace(s);
    /* set braces, symbols */
    s = replace_all(s, "\\{", "{");
    s = replace_all(s, "\\}", "}");
    s = replace_all(s, "{,}", "");
    s = replace_all(s, "\xe2\x88\x9e", "\\infty");
    s = replace_all(s, "\xe2\x88\x92", "-");
    s = replace_all(s, "\xcf\x80", "\\pi");
    s = replace_cmd(s, "\\le", "\\leq");
    s = replace_cmd(s, "\\ge", "\\geq");
    s = replace_cmd(s, "\\ne", "\\neq");
    s = replace_cmd(s, "\\ldots", "...");
    s = replace_cmd(s, "\\dots", "...");
    s = replace_cmd(s, "\\cdots", "...");
    s = replace_cmd(s, "\\varnothing", "\\emptyset");
    s = replace_cmd(s, "\\dfrac", "\\frac");
    s = leading_zero(s);
    s = remove_spaces(s);
    s = drop_lhs(s);
    s = fix_shorthand(s);
    s = fix_scripts(s);
    s = unwrap_outer(s);
    size_t n = strlen(s);
    while (n && s[n - 1] == '.') s[--n] = '\0';
    if (s[0] == '+') memmove(s, s + 1, n--);
    s = thousands(s);
    if (strcmp(s, "0.5") == 0) {
        free(s);
        s = xstrdup("\\frac{1}{2}");
    }
    s = a_slash_b(s);
    /* "(C)" -> "C": MATH's multiple-choice answers */
    n = strlen(s);
    if (n == 3 && s[0] == '(' && s[2] == ')' && isupper((unsigned char)s[1])) {
        s[0] = s[1];
        s[1] = '\0';
    }
    return s;
}

/* ---------------- numeric evaluation ---------------- */

struct ev {
    const char *p;
    int depth;
    bool bad;
};

static double ev_expr(struct ev *e);

static bool ev_lit(struct ev *e, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(e->p, lit, n) == 0) {
        e->p += n;
        return true;
    }
    return false;
}

static double ev_group(struct ev *e, char open, char close)
{
    if (*e->p != open) {
        e->bad = true;
        return 0;
    }
    e->p++;
    double v = ev_expr(e);
    if (*e->p != close) {
        e->bad = true;
        return 0;
    }
    e->p++;
    return v;
}

static double ev_atom(struct ev *e)
{
    if (++e->depth > MATH_MAX_DEPTH) {
        e->bad = true;
        return 0;
    }
    double v = 0;
    const char *p = e->p;
    if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
        /* strtod alone would accept hex, inf, exponents: plain decimals only */
        v = strtod(p, NULL);
        const char *q = p;
        while (isdigit((unsigned char)*q)) q++;
        bool integer = *q != '.';
        if (*q == '.') {
            q++;
            while (isdigit((unsigned char)*q)) q++;
        }
        e->p = q;
        /* MATH writes mixed numbers as 3\frac{1}{2} (= 3.5, not 1.5) */
        if (integer && strncmp(q, "\\frac{", 6) == 0) {
            const char *n0 = q + 6, *n1 = n0;
            while (isdigit((unsigned char)*n1)) n1++;
            if (n1 > n0 && n1[0] == '}' && n1[1] == '{') {
                const char *d0 = n1 + 2, *d1 = d0;
                while (isdigit((unsigned char)*d1)) d1++;
                double den = strtod(d0, NULL);
                if (d1 > d0 && *d1 == '}' && den != 0) {
                    v += strtod(n0, NULL) / den;
                    e->p = d1 + 1;
                }
            }
        }
    } else if (*p == '(') {
        v = ev_group(e, '(', ')');
    } else if (*p == '{') {
        v = ev_group(e, '{', '}');
    } else if (ev_lit(e, "\\frac")) {
        double a = ev_group(e, '{', '}');
        double b = ev_group(e, '{', '}');
        if (b == 0)
            e->bad = true;
        else
            v = a / b;
    } else if (ev_lit(e, "\\sqrt")) {
        double idx = 2;
        if (*e->p == '[') idx = ev_group(e, '[', ']');
        double a = ev_group(e, '{', '}');
        if (a < 0 || idx == 0)
            e->bad = true;
        else
            v = idx == 2 ? sqrt(a) : pow(a, 1.0 / idx);
    } else if (ev_lit(e, "\\pi")) {
        v = M_PI;
    } else {
        e->bad = true;
    }
    e->depth--;
    return v;
}

static double ev_power(struct ev *e)
{
    double b = ev_atom(e);
    if (e->bad) return 0;
    if (*e->p == '^') {
        e->p++;
        double x;
        if (*e->p == '{') {
            x = ev_group(e, '{', '}');
        } else if (isdigit((unsigned char)*e->p)) {
            /* plain-text reading: 2^10 is 1024 (LaTeX would read 2^1 0) */
            x = 0;
            while (isdigit((unsigned char)*e->p) && x < 1e6) x = x * 10 + (*e->p++ - '0');
        } else if (*e->p == '-') {
            e->bad = true;
            return 0;
        } else {
            if (++e->depth > MATH_MAX_DEPTH) {
                e->bad = true;
                return 0;
            }
            x = ev_power(e);
            e->depth--;
        }
        if (e->bad) return 0;
        b = pow(b, x);
    }
    return b;
}

static double ev_unary(struct ev *e)
{
    int sign = 1;
    int guard = 0;
    while ((*e->p == '-' || *e->p == '+') && guard++ < MATH_MAX_DEPTH) {
        if (*e->p == '-') sign = -sign;
        e->p++;
    }
    return sign * ev_power(e);
}

static bool starts_atom(const char *p)
{
    return *p == '(' || *p == '{' || strncmp(p, "\\frac", 5) == 0 || strncmp(p, "\\sqrt", 5) == 0 ||
           strncmp(p, "\\pi", 3) == 0;
}

static double ev_term(struct ev *e)
{
    double v = ev_unary(e);
    while (!e->bad) {
        if (*e->p == '*' || ev_lit(e, "\\cdot") || ev_lit(e, "\\times")) {
            if (*e->p == '*') e->p++;
            v *= ev_unary(e);
        } else if (*e->p == '/' || ev_lit(e, "\\div")) {
            if (*e->p == '/') e->p++;
            double d = ev_unary(e);
            if (d == 0)
                e->bad = true;
            else
                v /= d;
        } else if (starts_atom(e->p)) {
            v *= ev_power(e); /* implicit product: 2\sqrt{3}, 3\pi, 2(4) */
        } else {
            break;
        }
    }
    return v;
}

static double ev_expr(struct ev *e)
{
    if (++e->depth > MATH_MAX_DEPTH) {
        e->bad = true;
        return 0;
    }
    double v = ev_term(e);
    while (!e->bad && (*e->p == '+' || *e->p == '-')) {
        char op = *e->p++;
        double t = ev_term(e);
        v = op == '+' ? v + t : v - t;
    }
    e->depth--;
    return v;
}

bool math_eval(const char *s, double *out)
{
    if (!s || !*s) return false;
    struct ev e = {s, 0, false};
    double v = ev_expr(&e);
    if (e.bad || *e.p != '\0' || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* ---------------- equivalence ---------------- */

static bool num_close(double a, double b)
{
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    if (m < 1) m = 1;
    return fabs(a - b) <= 1e-9 * m; /* tight: 99940009+1 is not 99940009 */
}

/* split at top-level commas; returns the count (0 if too many) */
static int split_top(const char *s, size_t n, const char **starts, size_t *lens, int max)
{
    int k = 0, depth = 0;
    size_t from = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? s[i] : ',';
        if (c == '(' || c == '[' || c == '{')
            depth++;
        else if ((c == ')' || c == ']' || c == '}') && depth > 0)
            depth--;
        if (c == ',' && depth == 0) {
            if (k >= max) return 0;
            starts[k] = s + from;
            lens[k] = i - from;
            k++;
            from = i + 1;
        }
    }
    return k;
}

static bool equiv_norm(const char *a, size_t an, const char *b, size_t bn, int depth, long *budget);

/* the bracket pair around the whole of s[0..n), or 0 */
static char outer_pair(const char *s, size_t n, char *close)
{
    if (n < 2) return 0;
    char o = s[0], c = s[n - 1];
    if (!((o == '(' || o == '[' || o == '{') && (c == ')' || c == ']' || c == '}'))) return 0;
    /* the opening bracket must close at the end, counting all bracket kinds
     * together (intervals mix them) */
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char x = s[i];
        if (x == '(' || x == '[' || x == '{')
            depth++;
        else if (x == ')' || x == ']' || x == '}') {
            depth--;
            if (depth == 0 && i != n - 1) return 0;
        }
    }
    if (depth != 0) return 0;
    *close = c;
    return o;
}

static bool equiv_elem(const char *a, size_t an, const char *b, size_t bn, int depth, long *budget)
{
    if (an == bn && memcmp(a, b, an) == 0) return true;
    if (depth > 8 || --*budget < 0) return false;
    char *x = xstrndup(a, an), *y = xstrndup(b, bn);
    double u, v;
    bool r = math_eval(x, &u) && math_eval(y, &v) && num_close(u, v);
    if (!r) {
        /* elements of a tuple get the same normalisation as a whole answer */
        char *nx = math_normalize(x), *ny = math_normalize(y);
        if (strcmp(nx, x) != 0 || strcmp(ny, y) != 0)
            r = equiv_norm(nx, strlen(nx), ny, strlen(ny), depth + 1, budget);
        free(nx);
        free(ny);
    }
    free(x);
    free(y);
    return r;
}

static bool equiv_norm(const char *a, size_t an, const char *b, size_t bn, int depth, long *budget)
{
    if (an == bn && memcmp(a, b, an) == 0) return true;
    if (depth > 8 || --*budget < 0) return false;
    if (equiv_elem(a, an, b, bn, depth + 1, budget)) return true;
    char ac = 0, bc = 0;
    char ao = outer_pair(a, an, &ac), bo = outer_pair(b, bn, &bc);
    const char *ai = a, *bi = b;
    size_t ain = an, bin = bn;
    if (ao) {
        ai++;
        ain -= 2;
    }
    if (bo) {
        bi++;
        bin -= 2;
    }
    const char *as[MATH_MAX_ITEMS], *bs[MATH_MAX_ITEMS];
    size_t al[MATH_MAX_ITEMS], bl[MATH_MAX_ITEMS];
    int na = split_top(ai, ain, as, al, MATH_MAX_ITEMS);
    int nb = split_top(bi, bin, bs, bl, MATH_MAX_ITEMS);
    if (na == 0 || nb == 0 || na != nb) return false;
    if (na == 1) {
        /* "(5)" vs "5": one element in the same or no brackets */
        if ((ao || bo) && ao == bo && ac == bc)
            return equiv_norm(ai, ain, bi, bin, depth + 1, budget);
        return false;
    }
    bool unordered;
    if (!ao && !bo) {
        unordered = true; /* "1, 2" lists of solutions */
    } else if (ao == '{' && bo == '{') {
        unordered = true;
    } else if (!ao || !bo) {
        /* "(1,2)" against "1,2": the unbracketed side is a list of values */
        if ((ao ? ao : bo) == '{')
            unordered = true;
        else
            return false;
    } else {
        if (ao != bo || ac != bc) return false; /* interval ends must agree */
        unordered = false;
    }
    if (!unordered) {
        for (int i = 0; i < na; i++)
            if (!equiv_norm(as[i], al[i], bs[i], bl[i], depth + 1, budget)) return false;
        return true;
    }
    bool used[MATH_MAX_ITEMS] = {false};
    for (int i = 0; i < na; i++) {
        bool found = false;
        for (int j = 0; j < nb && !found; j++) {
            if (used[j]) continue;
            if (equiv_norm(as[i], al[i], bs[j], bl[j], depth + 1, budget)) {
                used[j] = true;
                found = true;
            }
        }
        if (!found) return false;
    }
    return true;
}

bool math_equiv(const char *a, const char *b)
{
    if (!a || !b) return false;
    char *na = math_normalize(a), *nb = math_normalize(b);
    long budget = 2000; /* element comparisons: bounds hostile inputs */
    bool r = strcmp(na, nb) == 0 ||
             (*na && *nb && equiv_norm(na, strlen(na), nb, strlen(nb), 0, &budget));
    free(na);
    free(nb);
    return r;
}
