/*
 * code: extraction of code from model output, assembly of the benchmark's
 * check program, scoring through the sandbox, and pass@k (eval/code.h).
 *
 * Extraction (docs/sandbox.md has the table and the sources):
 *  - completion mode (HumanEval): the completion is cut at the first Codex
 *    stop sequence ("\nclass", "\ndef", "\n#", "\nif", "\nprint"; Chen et al.
 *    2021, the human-eval README), all of which start at column 0, i.e. after
 *    the function body the prompt opened. A completion that holds a fenced
 *    block is treated as a chat reply instead (chat models on /completions).
 *  - chat replies: the first ```python (or ```py / ```python3) block that
 *    defines the entry point, else the first fenced block of any language,
 *    else the raw text when it looks like code (a line starting with "def ",
 *    "import ", "from " or "class "). A trailing `if __name__ == "__main__":`
 *    part is cut (it may read stdin or loop).
 *  - MBPP: OpenCompass's "[BEGIN] ... [DONE]" answer format is understood
 *    (quotes around the code removed), then the chat rules apply.
 * Programs:
 *  - HumanEval: prompt + code + "\n" + test + "\ncheck(ENTRY_POINT)\n", the
 *    human-eval check program. In chat mode code is a whole function that
 *    redefines the prompt's (the prompt still supplies the imports), as
 *    OpenCompass does by passing the extracted block as the completion.
 *  - MBPP: test_imports (sanitized) + code + test_setup_code (original; it
 *    uses classes the solution defines, so it comes after) + the test_list
 *    asserts, one per line. challenge_test_list is not run.
 * The harness never executes model output itself: everything runs in the
 * sandbox (eval/sandbox.h).
 */
#include "eval/code.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/err.h"
#include "eval/sandbox.h"

const char *code_outcome_name(int outcome)
{
    switch (outcome) {
    case CODE_PASSED:
        return "passed";
    case CODE_FAILED:
        return "failed";
    case CODE_TIMEOUT:
        return "timeout";
    case CODE_LIMIT:
        return "limit";
    case CODE_NO_CODE:
        return "no_code";
    case CODE_SANDBOX_ERROR:
        return "sandbox_error";
    }
    return "unknown";
}

double code_pass_at_k(int n, int c, int k)
{
    if (n < 1 || k < 1 || k > n || c < 0 || c > n) return NAN;
    if (n - c < k) return 1.0;
    double prod = 1.0;
    for (int i = n - c + 1; i <= n; i++) prod *= 1.0 - (double)k / (double)i;
    return 1.0 - prod;
}

/* ---- text helpers ---- */

static const char *item_str(const struct cJSON *item, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A fenced block: [start, end) of its content, and its info string. */
struct fence {
    const char *start, *end;
    const char *info;
    size_t info_len;
};

/* Find the next ``` fence at a line start (leading spaces allowed) from p.
 * Returns 1 with *f filled, 0 when none. An unterminated block runs to the end. */
static int next_fence(const char *text, const char *p, struct fence *f, const char **after)
{
    for (const char *q = p; (q = strstr(q, "```")) != NULL; q += 3) {
        const char *ls = q;
        while (ls > text && (ls[-1] == ' ' || ls[-1] == '\t')) ls--;
        if (ls != text && ls[-1] != '\n') continue; /* inline ``` */
        const char *info = q + 3;
        const char *nl = strchr(info, '\n');
        if (!nl) return 0;
        f->info = info;
        f->info_len = (size_t)(nl - info);
        f->start = nl + 1;
        const char *c = f->start;
        for (;;) {
            const char *e = strstr(c, "```");
            if (!e) {
                f->end = c + strlen(c);
                *after = f->end;
                return 1;
            }
            const char *els = e;
            while (els > f->start && (els[-1] == ' ' || els[-1] == '\t')) els--;
            if (els == f->start || els[-1] == '\n') {
                f->end = els;
                *after = e + 3;
                return 1;
            }
            c = e + 3;
        }
    }
    return 0;
}

static bool info_is_python(const struct fence *f)
{
    size_t n = f->info_len;
    const char *s = f->info;
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    return (n == 6 && !strncasecmp(s, "python", 6)) || (n == 2 && !strncasecmp(s, "py", 2)) ||
           (n == 7 && !strncasecmp(s, "python3", 7));
}

/* Does code [s, e) define "def NAME(" ? */
static bool defines(const char *s, const char *e, const char *name)
{
    if (!name || !*name) return false;
    size_t nl = strlen(name);
    for (const char *p = s; p < e; p++) {
        if ((p == s || p[-1] == '\n' || p[-1] == ' ' || p[-1] == '\t') &&
            (size_t)(e - p) > nl + 4 && !strncmp(p, "def ", 4)) {
            const char *q = p + 4;
            while (q < e && *q == ' ') q++;
            if ((size_t)(e - q) > nl && !strncmp(q, name, nl) && (q[nl] == '(' || q[nl] == ' '))
                return true;
        }
    }
    return false;
}

static bool looks_like_code(const char *s)
{
    for (const char *p = s; p && *p;) {
        if (!strncmp(p, "def ", 4) || !strncmp(p, "import ", 7) || !strncmp(p, "from ", 5) ||
            !strncmp(p, "class ", 6))
            return true;
        p = strchr(p, '\n');
        if (p) p++;
    }
    return false;
}

/* Cut s at the first occurrence of any stop sequence. */
static void cut_at(char *s, const char *const *stops, size_t n)
{
    char *cut = NULL;
    for (size_t i = 0; i < n; i++) {
        char *p = strstr(s, stops[i]);
        if (p && (!cut || p < cut)) cut = p;
    }
    if (cut) *cut = '\0';
}

static void cut_main_guard(char *code)
{
    static const char *const g[] = {"\nif __name__"};
    if (!strncmp(code, "if __name__", 11)) {
        code[0] = '\0';
        return;
    }
    cut_at(code, g, 1);
}

/* The chat rules: first python block defining entry, else first block, else
 * raw text if code-like. Heap string or NULL. */
static char *extract_chat(const char *out, const char *entry)
{
    struct fence f, first = {0}, first_py = {0};
    const char *p = out, *after;
    bool have_first = false, have_py = false;
    while (next_fence(out, p, &f, &after)) {
        if (!have_first) first = f, have_first = true;
        if (info_is_python(&f) && defines(f.start, f.end, entry)) {
            first_py = f;
            have_py = true;
            break;
        }
        p = after;
    }
    char *code = NULL;
    if (have_py)
        code = xstrndup(first_py.start, (size_t)(first_py.end - first_py.start));
    else if (have_first)
        code = xstrndup(first.start, (size_t)(first.end - first.start));
    else if (looks_like_code(out))
        code = xstrdup(out);
    if (!code) return NULL;
    cut_main_guard(code);
    /* all blank? */
    for (const char *q = code; *q; q++)
        if (!isspace((unsigned char)*q)) return code;
    free(code);
    return NULL;
}

/* HumanEval completion: cut at the Codex stop sequences. */
static char *extract_completion(const char *out)
{
    static const char *const stops[] = {"\nclass", "\ndef", "\n#", "\nif", "\nprint"};
    char *code = xstrdup(out);
    cut_at(code, stops, GRA_ARRAY_LEN(stops));
    return code;
}

/* MBPP: the function the tests call: a "def NAME(" of the reference code
 * whose NAME occurs in the first test. NULL if none. */
static char *mbpp_entry(const struct cJSON *item)
{
    const char *ref = item_str(item, "code");
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(item, "test_list");
    const cJSON *t0 = cJSON_IsArray(tl) ? cJSON_GetArrayItem(tl, 0) : NULL;
    if (!ref || !cJSON_IsString(t0)) return NULL;
    for (const char *p = ref; (p = strstr(p, "def ")) != NULL; p += 4) {
        if (p != ref && !isspace((unsigned char)p[-1])) continue;
        const char *q = p + 4;
        while (*q == ' ') q++;
        const char *e = q;
        while (isalnum((unsigned char)*e) || *e == '_') e++;
        if (e == q) continue;
        char *name = xstrndup(q, (size_t)(e - q));
        size_t nl = strlen(name);
        for (const char *s = t0->valuestring; (s = strstr(s, name)) != NULL; s += nl) {
            bool lb = s == t0->valuestring || !(isalnum((unsigned char)s[-1]) || s[-1] == '_');
            const char *a = s + nl;
            while (*a == ' ') a++; /* "assert is_Diff (12345) == False" */
            if (lb && *a == '(') return name;
        }
        free(name);
    }
    return NULL;
}

/* MBPP "[BEGIN] 'code' [DONE]" (OpenCompass mbpp_postprocess). */
static char *mbpp_begin_done(const char *out)
{
    const char *b = strstr(out, "[BEGIN]");
    if (!b) return NULL;
    b += 7;
    const char *e = strstr(b, "[DONE]");
    if (!e) e = b + strlen(b);
    while (b < e && isspace((unsigned char)*b)) b++;
    while (e > b && isspace((unsigned char)e[-1])) e--;
    if (e - b >= 6 && !strncmp(b, "'''", 3) && !strncmp(e - 3, "'''", 3))
        b += 3, e -= 3;
    else if (e - b >= 2 && (*b == '\'' || *b == '"') && e[-1] == *b)
        b++, e--;
    return e > b ? xstrndup(b, (size_t)(e - b)) : NULL;
}

static void put_str_lines(struct buf *b, const cJSON *arr)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr)
    {
        if (cJSON_IsString(x)) {
            buf_puts(b, x->valuestring);
            buf_putc(b, '\n');
        }
    }
}

char *code_extract(enum code_family family, const struct cJSON *item, const char *output,
                   bool output_is_completion, char **program)
{
    if (program) *program = NULL;
    if (!item || !output) return NULL;
    char *code = NULL;
    struct buf prog = BUF_INIT;
    if (family == CODE_HUMANEVAL) {
        const char *prompt = item_str(item, "prompt"), *test = item_str(item, "test");
        const char *entry = item_str(item, "entry_point");
        if (!prompt || !test || !entry) return NULL;
        bool fenced = strstr(output, "```") != NULL;
        if (output_is_completion && !fenced)
            code = extract_completion(output);
        else
            code = extract_chat(output, entry);
        if (!code) return NULL;
        if (output_is_completion && !fenced) {
            bool blank = true;
            for (const char *q = code; *q; q++)
                if (!isspace((unsigned char)*q)) blank = false;
            if (blank) {
                free(code);
                return NULL;
            }
        }
        buf_puts(&prog, prompt);
        if (!(output_is_completion && !fenced) && prog.len && prog.data[prog.len - 1] != '\n')
            buf_putc(&prog, '\n');
        buf_puts(&prog, code);
        buf_puts(&prog, "\n");
        buf_puts(&prog, test);
        buf_appendf(&prog, "\ncheck(%s)\n", entry);
    } else {
        const cJSON *tl = cJSON_GetObjectItemCaseSensitive(item, "test_list");
        if (!cJSON_IsArray(tl)) return NULL;
        char *entry = mbpp_entry(item);
        code = mbpp_begin_done(output);
        if (!code) code = extract_chat(output, entry);
        free(entry);
        if (!code) return NULL;
        const cJSON *imps = cJSON_GetObjectItemCaseSensitive(item, "test_imports");
        if (cJSON_IsArray(imps)) put_str_lines(&prog, imps);
        buf_puts(&prog, code);
        buf_putc(&prog, '\n');
        /* after the code: the only two non-empty setups (tasks 367, 927)
         * build trees with the Node class the solution defines */
        const char *setup = item_str(item, "test_setup_code");
        if (setup && *setup) {
            buf_puts(&prog, setup);
            buf_putc(&prog, '\n');
        }
        put_str_lines(&prog, tl);
    }
    if (program)
        *program = buf_detach(&prog, NULL);
    else
        buf_release(&prog);
    return code;
}

/* Last non-empty line of s, at most 200 bytes (heap). */
static char *last_line_of(const char *s, size_t n)
{
    if (!s) return NULL;
    size_t end = n;
    while (end > 0 && isspace((unsigned char)s[end - 1])) end--;
    size_t start = end;
    while (start > 0 && s[start - 1] != '\n') start--;
    if (end == start) return NULL;
    if (end - start > 200) end = start + 200;
    return xstrndup(s + start, end - start);
}

int code_score_batch(struct code_job *jobs, int n, const struct code_opts *o)
{
    return code_score_batch_sandbox(jobs, n, o, NULL);
}

int code_score_batch_sandbox(struct code_job *jobs, int n, const struct code_opts *o,
                             const struct sandbox_opts *so_in)
{
    if (n <= 0) return 0;
    struct sandbox_opts so;
    if (so_in)
        so = *so_in;
    else
        memset(&so, 0, sizeof so);
    if (o) {
        if (o->workers > 0) so.workers = o->workers;
        if (o->timeout_s > 0) so.timeout_s = o->timeout_s;
        if (o->python) so.python = o->python;
    }
    if (so.timeout_s <= 0) so.timeout_s = 10;
    struct sandbox_job *sj = xcalloc((size_t)n, sizeof *sj);
    char **programs = xcalloc((size_t)n, sizeof *programs);
    int *map = xcalloc((size_t)n, sizeof *map);
    int m = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        jobs[i].extracted = code_extract(jobs[i].family, jobs[i].item, jobs[i].output,
                                         jobs[i].output_is_completion, &programs[i]);
        jobs[i].detail = NULL;
        jobs[i].wall_ms = 0;
        if (!jobs[i].extracted || !programs[i]) {
            jobs[i].outcome = CODE_NO_CODE;
            continue;
        }
        sj[m].program = programs[i];
        map[m++] = i;
    }
    rc = sandbox_run_batch(sj, m, &so);
    if (rc != 0) { /* nothing ran: no job keeps a verdict */
        for (int i = 0; i < n; i++) {
            free(jobs[i].extracted);
            jobs[i].extracted = NULL;
            jobs[i].outcome = CODE_SANDBOX_ERROR;
        }
        goto out;
    }
    for (int k = 0; k < m; k++) {
        struct code_job *j = &jobs[map[k]];
        struct sandbox_job *s = &sj[k];
        j->wall_ms = s->wall_ms;
        switch (s->status) {
        case SANDBOX_PASSED:
            j->outcome = CODE_PASSED;
            break;
        case SANDBOX_FAILED:
        case SANDBOX_SIGNALED:
            j->outcome = CODE_FAILED;
            if (s->status == SANDBOX_SIGNALED)
                j->detail = xasprintf("killed by signal %d", s->term_signal);
            else
                j->detail = last_line_of(s->err, s->err_len);
            break;
        case SANDBOX_TIMEOUT:
            j->outcome = CODE_TIMEOUT;
            j->detail = xasprintf("%s time limit (%.3g s)",
                                  s->limit && !strcmp(s->limit, "cpu") ? "CPU" : "wall-clock",
                                  so.timeout_s);
            break;
        case SANDBOX_LIMIT:
            j->outcome = CODE_LIMIT;
            j->detail = xasprintf("%s limit", s->limit ? s->limit : "resource");
            break;
        default:
            j->outcome = CODE_SANDBOX_ERROR;
            j->detail = xstrdup(s->error ? s->error : "sandbox error");
            break;
        }
        sandbox_job_release(s);
    }
out:
    for (int i = 0; i < n; i++) free(programs[i]);
    free(programs);
    free(map);
    free(sj);
    return rc;
}

void code_job_release(struct code_job *j)
{
    if (!j) return;
    free(j->extracted);
    free(j->detail);
    j->extracted = j->detail = NULL;
}
