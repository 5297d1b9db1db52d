/*
 * test_config: config_load and the cfg_* helpers.
 *
 * Data-driven like jq's tests: every tests/data/config/bad_NAME.json must fail
 * to load, and every line of bad_NAME.err must appear in what was logged on
 * stderr (a line starting with '!' must NOT appear, e.g. a secret that must
 * never be echoed). good_*.json must load; their typed values are checked
 * below. stderr is captured by pointing fd 2 at a temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the four headers above first */
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "core/fileio.h"

static char *data_dir(void)
{
    const char *src = getenv("GRA_SOURCE_DIR");
    return xasprintf("%s/tests/data/config", src && *src ? src : GRA_SOURCE_DIR);
}

static char *tmp_dir(void)
{
    const char *t = getenv("GRA_TEST_TMP");
    char *d = xstrdup(t && *t ? t : "/tmp");
    fileio_mkdirs(d);
    return d;
}

/* ---- stderr capture ---- */
struct capture {
    int saved;
    char *path;
};

static void cap_begin(struct capture *c)
{
    char *d = tmp_dir();
    c->path = xasprintf("%s/test_config.stderr.XXXXXX", d);
    free(d);
    int fd = mkstemp(c->path);
    assert_true(fd >= 0);
    fflush(stderr);
    c->saved = dup(2);
    assert_true(c->saved >= 0);
    assert_true(dup2(fd, 2) >= 0);
    close(fd);
}

static char *cap_end(struct capture *c)
{
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(fileio_read(c->path, &text, &len), 0);
    unlink(c->path);
    free(c->path);
    return text;
}

static int load_quiet(const char *path, struct gra_config **cfg, char **log)
{
    struct capture c;
    cap_begin(&c);
    int rc = config_load(path, cfg);
    *log = cap_end(&c);
    return rc;
}

static char *write_tmp(const char *name, const char *text)
{
    char *d = tmp_dir();
    char *p = path_join(d, name);
    free(d);
    assert_int_equal(fileio_write_atomic(p, text, strlen(text)), 0);
    return p;
}

/* ---- data-driven bad cases ---- */
static int check_expectations(const char *case_name, const char *log, const char *errfile)
{
    char *exp = NULL;
    size_t len = 0;
    if (fileio_read(errfile, &exp, &len) != 0) {
        print_error("%s: no expectation file %s\n", case_name, errfile);
        return 1;
    }
    int bad = 0, lines = 0;
    for (char *line = strtok(exp, "\n"); line; line = strtok(NULL, "\n")) {
        if (!*line) continue;
        lines++;
        bool negate = line[0] == '!';
        const char *want = negate ? line + 1 : line;
        bool found = strstr(log, want) != NULL;
        if (found == negate) {
            print_error("%s: %s \"%s\"\n--- logged ---\n%s--------------\n", case_name,
                        negate ? "must not log" : "expected", want, log);
            bad++;
        }
    }
    if (!lines) {
        print_error("%s: empty expectation file\n", case_name);
        bad++;
    }
    free(exp);
    return bad;
}

static void test_bad_cases(void **state)
{
    (void)state;
    char *dir = data_dir();
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int cases = 0, failures = 0;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (strncmp(de->d_name, "bad_", 4) != 0 || n < 6 || strcmp(de->d_name + n - 5, ".json"))
            continue;
        char *path = path_join(dir, de->d_name);
        char *errfile = xasprintf("%.*s.err", (int)(strlen(path) - 5), path);
        struct gra_config *cfg = (struct gra_config *)1;
        char *log = NULL;
        int rc = load_quiet(path, &cfg, &log);
        if (rc != GRA_ECONFIG || cfg != NULL) {
            print_error("%s: expected GRA_ECONFIG and no config, got rc %d\n", de->d_name, rc);
            failures++;
        }
        failures += check_expectations(de->d_name, log, errfile);
        config_free(cfg);
        free(log);
        free(errfile);
        free(path);
        cases++;
    }
    closedir(d);
    free(dir);
    assert_true(cases >= 15); /* the data set is there and was read */
    assert_int_equal(failures, 0);
}

/* ---- good configs with typed values ---- */
static void test_good_full(void **state)
{
    (void)state;
    char *dir = data_dir();
    char *path = path_join(dir, "good_full.json");
    struct gra_config *cfg = NULL;
    char *log = NULL;
    int rc = load_quiet(path, &cfg, &log);
    if (rc) print_error("%s", log);
    assert_int_equal(rc, 0);
    assert_non_null(cfg);
    assert_string_equal(cfg->name, "full-example");
    assert_true(cfg->seed == 9007199254740991ULL);
    assert_string_equal(cfg->cache_path, "calls/cache.sqlite");
    assert_string_equal(cfg->dir, dir);
    assert_int_equal(cfg->n_sim_models_files, 2);
    char *want = path_join(dir, "fixture_sim_models.json");
    assert_string_equal(cfg->sim_models_files[0], want);
    free(want);

    assert_int_equal(cfg->client.backoff_base_ms, 250);
    assert_int_equal(cfg->client.backoff_cap_ms, 30000);
    assert_int_equal(cfg->client.max_retries, 4);
    assert_int_equal(cfg->client.connect_timeout_ms, 5000);
    assert_int_equal(cfg->client.max_body_bytes, 1048576);

    assert_int_equal(cfg->n_models, 3);
    const struct model_cfg *m = config_model(cfg, "llama-3.1-8b");
    assert_non_null(m);
    assert_int_equal(m->n_endpoints, 2);
    assert_string_equal(m->endpoints[0], "http://gpu1:8000/v1"); /* trailing slash dropped */
    assert_string_equal(m->endpoints[1], "https://gpu2.example.org:8443/v1");
    assert_false(m->sim);
    assert_string_equal(m->served_name, "meta-llama/Llama-3.1-8B-Instruct");
    assert_string_equal(m->api_key_env, "VLLM_API_KEY");
    assert_int_equal(m->max_inflight, 32);
    assert_true(m->rpm == 600 && m->tpm == 200000);
    assert_true(m->params_b == 8);
    assert_true(fabs(m->price_in - 0.05) < 1e-12 && fabs(m->price_out - 0.08) < 1e-12);
    assert_int_equal(m->timeout_ms, 120500);
    assert_int_equal(m->max_retries, 2);
    assert_false(m->structured_output);
    assert_false(m->embedding);
    assert_non_null(m->params);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(m->params, "temperature");
    assert_true(cJSON_IsNumber(t) && t->valuedouble == 0.7);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m->params, "stop")), 2);

    m = config_model(cfg, "embedder");
    assert_non_null(m);
    assert_true(m->embedding);
    assert_string_equal(m->served_name, "embedder"); /* default: the key */
    assert_null(m->api_key_env);
    assert_int_equal(m->max_inflight, 16);
    assert_int_equal(m->timeout_ms, 600000);
    assert_int_equal(m->max_retries, 4); /* inherits client.max_retries */
    assert_true(m->structured_output);
    assert_null(m->params);

    m = config_model(cfg, "sim-gen");
    assert_non_null(m);
    assert_true(m->sim);
    assert_int_equal(m->n_endpoints, 0);
    assert_null(m->endpoints);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(m->params, "stop")->valuestring, "END");

    assert_null(config_model(cfg, "nope"));
    /* stage sections stay in root for the stages */
    assert_non_null(cJSON_GetObjectItemCaseSensitive(cfg->root, "synth"));

    char *p = config_path(cfg, "seeds/x.jsonl");
    want = path_join(dir, "seeds/x.jsonl");
    assert_string_equal(p, want);
    free(p);
    free(want);
    p = config_path(cfg, "/abs/file");
    assert_string_equal(p, "/abs/file");
    free(p);

    config_free(cfg);
    free(log);
    free(path);
    free(dir);
}

static void test_defaults(void **state)
{
    (void)state;
    char *dir = data_dir();
    char *path = path_join(dir, "good_minimal.json");
    struct gra_config *cfg = NULL;
    char *log = NULL;

    unsetenv("GRA_HOME");
    assert_int_equal(load_quiet(path, &cfg, &log), 0);
    assert_string_equal(cfg->name, "good_minimal"); /* file name without .json */
    assert_true(cfg->seed == 0);
    assert_string_equal(cfg->cache_path, "cache.sqlite");
    assert_int_equal(cfg->n_models, 0);
    assert_int_equal(cfg->client.backoff_base_ms, 500);
    assert_int_equal(cfg->client.backoff_cap_ms, 60000);
    assert_int_equal(cfg->client.max_retries, 6);
    assert_int_equal(cfg->client.connect_timeout_ms, 10000);
    assert_int_equal(cfg->client.max_body_bytes, 16L << 20);
    assert_int_equal(cfg->n_sim_models_files, 2);
    assert_string_equal(cfg->sim_models_files[0], GRA_SOURCE_DIR "/configs/sim-models.json");
    assert_string_equal(cfg->sim_models_files[1], GRA_SOURCE_DIR "/configs/sim-students.json");
    config_free(cfg);
    free(log);

    setenv("GRA_HOME", "/opt/gra-home", 1);
    assert_int_equal(load_quiet(path, &cfg, &log), 0);
    assert_string_equal(cfg->sim_models_files[0], "/opt/gra-home/configs/sim-models.json");
    unsetenv("GRA_HOME");
    config_free(cfg);
    free(log);

    free(path);
    path = path_join(dir, "good_bigseed.json");
    assert_int_equal(load_quiet(path, &cfg, &log), 0);
    assert_true(cfg->seed == UINT64_MAX);
    assert_null(cfg->cache_path);
    assert_int_equal(cfg->n_sim_models_files, 1);
    config_free(cfg);
    free(log);
    free(path);
    free(dir);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct gra_config *cfg = (struct gra_config *)1;
    char *log = NULL;
    assert_int_equal(load_quiet("/nonexistent/dir/x.json", &cfg, &log), GRA_EIO);
    assert_null(cfg);
    assert_non_null(strstr(log, "/nonexistent/dir/x.json"));
    free(log);
    config_free(NULL);
}

/* ---- cfg_* helpers on a fake stage section ---- */
static const char stage_doc[] = "{\n"
                                "  \"synth\": {\n"
                                "    \"rounds\": 3,\n"
                                "    \"tau\": 7.5,\n"
                                "    \"dedup\": true,\n"
                                "    \"policy\": \"random\",\n"
                                "    \"seeds\": \"seeds/x.jsonl\",\n"
                                "    \"roles\": [\"generator\", \"reviewer\"],\n"
                                "    \"gra\": {\n"
                                "      \"reviewers\": \"five\",\n"
                                "      \"sigma\": 9,\n"
                                "      \"strict\": 1,\n"
                                "      \"policy\": \"greedy\",\n"
                                "      \"names\": [\"a\", 2],\n"
                                "      \"out\": [],\n"
                                "      \"colour\": \"red\"\n"
                                "    }\n"
                                "  }\n"
                                "}\n";

static void test_cfg_helpers(void **state)
{
    (void)state;
    char *path = write_tmp("stage_section.json", stage_doc);
    struct gra_config *cfg = NULL;
    char *log = NULL;
    assert_int_equal(load_quiet(path, &cfg, &log), 0);
    free(log);

    static const char *const synth_keys[] = {"rounds", "tau",   "dedup", "policy",
                                             "seeds",  "roles", "gra",   NULL};
    static const char *const gra_keys[] = {"reviewers", "sigma", "strict", "policy",
                                           "names",     "out",   NULL};
    static const char *const policies[] = {"random", "fixed", "round-robin", NULL};
    struct cfg_err e = {cfg->path, 0};
    const cJSON *synth, *gra, *absent;
    long l;
    double d;
    bool b;
    char *s;
    char **v;
    int n, k;

    struct capture c;
    cap_begin(&c);
    /* good values */
    assert_int_equal(cfg_object(&e, cfg->root, "synth", "", true, &synth), 0);
    assert_non_null(synth);
    assert_int_equal(cfg_keys(&e, synth, "synth", synth_keys), 0);
    assert_int_equal(cfg_int(&e, synth, "rounds", "synth", 1, 1, 100, &l), 0);
    assert_int_equal(l, 3);
    assert_int_equal(cfg_double(&e, synth, "tau", "synth", 0, 0, 10, &d), 0);
    assert_true(d == 7.5);
    assert_int_equal(cfg_bool(&e, synth, "dedup", "synth", false, &b), 0);
    assert_true(b);
    assert_int_equal(cfg_enum(&e, synth, "policy", "synth", policies, 1, &k), 0);
    assert_int_equal(k, 0);
    assert_int_equal(cfg_string(&e, synth, "seeds", "synth", NULL, &s), 0);
    assert_string_equal(s, "seeds/x.jsonl");
    free(s);
    assert_int_equal(cfg_strings(&e, synth, "roles", "synth", &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[1], "reviewer");
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
    /* absent values take defaults, without errors */
    assert_int_equal(cfg_int(&e, synth, "missing", "synth", 42, 0, 100, &l), 0);
    assert_int_equal(l, 42);
    assert_int_equal(cfg_string(&e, synth, "missing", "synth", "dflt", &s), 0);
    assert_string_equal(s, "dflt");
    free(s);
    assert_int_equal(cfg_strings(&e, synth, "missing", "synth", &v, &n), 0);
    assert_null(v);
    assert_int_equal(n, 0);
    assert_int_equal(cfg_object(&e, cfg->root, "eval", "", false, &absent), 0);
    assert_null(absent);
    /* a NULL section: everything absent */
    assert_int_equal(cfg_double(&e, absent, "x", "eval", 0.5, 0, 1, &d), 0);
    assert_true(d == 0.5);
    assert_int_equal(cfg_keys(&e, absent, "eval", gra_keys), 0);
    assert_int_equal(e.n_errors, 0);

    /* bad values: each counted, default kept */
    assert_int_equal(cfg_object(&e, synth, "gra", "synth", true, &gra), 0);
    assert_int_equal(cfg_keys(&e, gra, "synth.gra", gra_keys), GRA_ECONFIG);
    assert_int_equal(cfg_int(&e, gra, "reviewers", "synth.gra", 4, 1, 10, &l), GRA_ECONFIG);
    assert_int_equal(l, 4);
    assert_int_equal(cfg_double(&e, gra, "sigma", "synth.gra", 2, 0, 5, &d), GRA_ECONFIG);
    assert_true(d == 2);
    assert_int_equal(cfg_bool(&e, gra, "strict", "synth.gra", true, &b), GRA_ECONFIG);
    assert_true(b);
    assert_int_equal(cfg_enum(&e, gra, "policy", "synth.gra", policies, 2, &k), GRA_ECONFIG);
    assert_int_equal(k, 2);
    assert_int_equal(cfg_strings(&e, gra, "names", "synth.gra", &v, &n), GRA_ECONFIG);
    assert_null(v);
    assert_int_equal(cfg_string(&e, gra, "out", "synth.gra", NULL, &s), GRA_ECONFIG);
    assert_null(s);
    assert_int_equal(cfg_object(&e, synth, "nothere", "synth", true, &absent), GRA_ECONFIG);
    assert_int_equal(cfg_fail(&e, "synth", "rounds", "expected at most %d rounds", 2), GRA_ECONFIG);
    assert_int_equal(cfg_fail_at(&e, cJSON_GetObjectItemCaseSensitive(synth, "rounds"), "synth",
                                 "rounds", "expected %s", "fewer"),
                     GRA_ECONFIG);
    log = cap_end(&c);
    assert_int_equal(e.n_errors, 10);

    const char *want[] = {
        "stage_section.json:16: synth.gra.colour: unknown key (allowed here: reviewers, sigma, "
        "strict, policy, names, out)",
        "stage_section.json:10: synth.gra.reviewers: expected an integer from 1 to 10, got "
        "\"five\"",
        "stage_section.json:11: synth.gra.sigma: expected a number from 0 to 5, got 9",
        "stage_section.json:12: synth.gra.strict: expected true or false, got 1",
        "stage_section.json:13: synth.gra.policy: expected one of \"random\", \"fixed\", "
        "\"round-robin\", got \"greedy\"",
        "stage_section.json:14: synth.gra.names[1]: expected a string, got 2",
        "stage_section.json:15: synth.gra.out: expected a string, got an array",
        "stage_section.json:2: synth.nothere: required key missing (expected an object)",
        "stage_section.json: synth.rounds: expected at most 2 rounds",
        "stage_section.json:3: synth.rounds: expected fewer",
    };
    for (size_t i = 0; i < GRA_ARRAY_LEN(want); i++) {
        if (!strstr(log, want[i])) print_error("missing: %s\n--- log ---\n%s", want[i], log);
        assert_non_null(strstr(log, want[i]));
    }
    assert_int_equal(cfg_line(synth), 2);
    assert_int_equal(cfg_line(cfg->root), 1);
    free(log);
    config_free(cfg);
    /* after config_free the line table is gone: no stale lookups */
    unlink(path);
    free(path);
}

static void test_describe(void **state)
{
    (void)state;
    const char *doc = "[\"ten\", 3.5, 16, -0.25, true, null, [1], {\"a\":1}, \"q\\\"uote\\n\", "
                      "1e300, \"0123456789012345678901234567890123456789012345678901234\"]";
    cJSON *j = cJSON_Parse(doc);
    assert_non_null(j);
    const char *want[] = {"\"ten\"",
                          "3.5",
                          "16",
                          "-0.25",
                          "true",
                          "null",
                          "an array",
                          "an object",
                          "\"q\\\"uote\\n\"",
                          "1e+300",
                          "\"012345678901234567890123456789012345678901234567\"..."};
    char buf[128];
    int i = 0;
    for (const cJSON *c = j->child; c; c = c->next, i++)
        assert_string_equal(cfg_describe(c, buf, sizeof buf), want[i]);
    assert_int_equal(i, (int)GRA_ARRAY_LEN(want));
    assert_string_equal(cfg_describe(NULL, buf, sizeof buf), "nothing");
    cJSON_Delete(j);
}

/* Range wording and values JSON cannot hold exactly. Objects not from a
 * loaded file have no line numbers: the message has none. */
static void test_int_messages(void **state)
{
    (void)state;
    cJSON *o = cJSON_Parse("{\"big\": 1e18, \"any\": \"x\", \"neg\": -5, \"inf\": 1e400, "
                           "\"ok\": -9007199254740992, \"frac\": 0.5}");
    assert_non_null(o);
    struct cfg_err e = {"mem.json", 0};
    long l;
    double d;
    struct capture c;
    cap_begin(&c);
    assert_int_equal(cfg_int(&e, o, "big", "s", 3, LONG_MIN, LONG_MAX, &l), GRA_ECONFIG);
    assert_int_equal(l, 3);
    assert_int_equal(cfg_int(&e, o, "any", "s", 0, LONG_MIN, LONG_MAX, &l), GRA_ECONFIG);
    assert_int_equal(cfg_int(&e, o, "neg", "s", 0, LONG_MIN, 0, &l), 0);
    assert_int_equal(l, -5);
    assert_int_equal(cfg_int(&e, o, "neg", "s", 0, 0, INT_MAX, &l), GRA_ECONFIG);
    assert_int_equal(cfg_int(&e, o, "neg", "s", 0, -3, LONG_MAX, &l), GRA_ECONFIG);
    assert_int_equal(cfg_int(&e, o, "ok", "s", 0, LONG_MIN, LONG_MAX, &l), 0);
    assert_true(l == -9007199254740992L);
    assert_int_equal(cfg_double(&e, o, "inf", "s", 1, -HUGE_VAL, HUGE_VAL, &d), GRA_ECONFIG);
    assert_int_equal(cfg_double(&e, o, "frac", "s", 1, 0.5, 0.5, &d), 0);
    assert_true(d == 0.5);
    assert_int_equal(cfg_double(&e, o, "frac", "", 1, 1, HUGE_VAL, &d), GRA_ECONFIG);
    char *log = cap_end(&c);
    assert_int_equal(e.n_errors, 6);
    const char *want[] = {
        "mem.json: s.big: expected an integer, got 1000000000000000000 (beyond 2^53",
        "mem.json: s.any: expected an integer, got \"x\"",
        "mem.json: s.neg: expected a non-negative integer, got -5",
        "mem.json: s.neg: expected an integer >= -3, got -5",
        "mem.json: s.inf: expected a number",
        "mem.json: frac: expected a number >= 1, got 0.5",
    };
    for (size_t i = 0; i < GRA_ARRAY_LEN(want); i++) {
        if (!strstr(log, want[i])) print_error("missing: %s\n--- log ---\n%s", want[i], log);
        assert_non_null(strstr(log, want[i]));
    }
    free(log);
    cJSON_Delete(o);
}

/* A parse error deep in a big file still names the right line and column. */
static void test_malformed_position(void **state)
{
    (void)state;
    size_t cap = 64 * 1024;
    struct {
        char *p;
    } b = {xmalloc(cap)};
    size_t len = (size_t)snprintf(b.p, cap, "{\n  \"models\": {\n");
    for (int i = 0; i < 200; i++)
        len += (size_t)snprintf(b.p + len, cap - len, "    \"m%d\": {\"endpoint\": \"sim\"},\n", i);
    len += (size_t)snprintf(b.p + len, cap - len, "    \"bad\": {\"endpoint\" \"sim\"}\n  }\n}\n");
    char *path = write_tmp("malformed_deep.json", b.p);
    struct gra_config *cfg = NULL;
    char *log = NULL;
    assert_int_equal(load_quiet(path, &cfg, &log), GRA_ECONFIG);
    /* line 203: 2 header lines + 200 models; the colon is missing, "sim" at column 24 */
    if (!strstr(log, "malformed_deep.json:203:24: malformed JSON")) print_error("%s", log);
    assert_non_null(strstr(log, "malformed_deep.json:203:24: malformed JSON"));
    free(log);
    unlink(path);
    free(path);
    free(b.p);
}

/* Lines are found for keys whose names also occur elsewhere (values, other
 * objects): the walk follows the structure, not a text search. */
static void test_line_lookup(void **state)
{
    (void)state;
    const char *doc = "{\n"
                      "  \"name\": \"max_inflight\",\n"
                      "  \"models\": {\n"
                      "    \"a\": {\"endpoint\": \"sim\", \"max_inflight\": 2},\n"
                      "    \"b\": {\n"
                      "      \"endpoint\": \"sim\",\n"
                      "      \"note\": \"{\\\"max_inflight\\\": 1}\",\n"
                      "      \"max_inflight\": -3\n"
                      "    }\n"
                      "  }\n"
                      "}\n";
    char *path = write_tmp("line_lookup.json", doc);
    struct gra_config *cfg = NULL;
    char *log = NULL;
    assert_int_equal(load_quiet(path, &cfg, &log), GRA_ECONFIG);
    assert_non_null(strstr(log, "line_lookup.json:7: models.b.note: unknown key"));
    assert_non_null(strstr(log, "line_lookup.json:8: models.b.max_inflight: expected a positive "
                                "integer, got -3"));
    free(log);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_cases),    cmocka_unit_test(test_good_full),
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_cfg_helpers),  cmocka_unit_test(test_describe),
        cmocka_unit_test(test_int_messages), cmocka_unit_test(test_malformed_position),
        cmocka_unit_test(test_line_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
