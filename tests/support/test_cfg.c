/* test_cfg: see test_cfg.h. */
#include "tests/support/test_cfg.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

struct gra_config *tcfg_new(void)
{
    struct gra_config *cfg = xcalloc(1, sizeof *cfg);
    cfg->name = xstrdup("test");
    cfg->seed = 1;
    cfg->client.backoff_base_ms = 500;
    cfg->client.backoff_cap_ms = 60000;
    cfg->client.max_retries = 6;
    cfg->client.connect_timeout_ms = 10000;
    cfg->client.max_body_bytes = 16L << 20;
    return cfg;
}

struct model_cfg *tcfg_add_model(struct gra_config *cfg, const char *name, const char *endpoint)
{
    cfg->models = xrealloc(cfg->models, (size_t)(cfg->n_models + 1) * sizeof *cfg->models);
    struct model_cfg *m = &cfg->models[cfg->n_models++];
    memset(m, 0, sizeof *m);
    m->name = xstrdup(name);
    m->served_name = xstrdup(name);
    m->max_inflight = 16;
    m->params_b = 1.0;
    m->timeout_ms = 30000;
    m->max_retries = cfg->client.max_retries; /* as config.c does */
    if (endpoint) tcfg_add_endpoint(m, endpoint);
    return m;
}

void tcfg_add_endpoint(struct model_cfg *m, const char *endpoint)
{
    m->endpoints = xrealloc(m->endpoints, (size_t)(m->n_endpoints + 1) * sizeof *m->endpoints);
    m->endpoints[m->n_endpoints++] = xstrdup(endpoint);
}

void tcfg_free(struct gra_config *cfg)
{
    if (!cfg) return;
    for (int i = 0; i < cfg->n_models; i++) {
        struct model_cfg *m = &cfg->models[i];
        free(m->name);
        free(m->served_name);
        for (int e = 0; e < m->n_endpoints; e++) free(m->endpoints[e]);
        free(m->endpoints);
        free(m->api_key_env);
        cJSON_Delete(m->params);
    }
    free(cfg->models);
    free(cfg->name);
    free(cfg->path);
    free(cfg->dir);
    free(cfg->cache_path);
    cJSON_Delete(cfg->root);
    free(cfg);
}

char *tcfg_tmp_path(const char *prefix)
{
    static int n;
    const char *dir = getenv("GRA_TEST_TMP");
    if (!dir || !*dir) dir = "/tmp";
    mkdir(dir, 0777);
    char *p = xasprintf("%s/%s-%ld-%d", dir, prefix, (long)getpid(), n++);
    char *w = xasprintf("%s-wal", p), *s = xasprintf("%s-shm", p);
    unlink(p);
    unlink(w);
    unlink(s);
    free(w);
    free(s);
    return p;
}

void tcfg_tmp_remove(char *path)
{
    if (!path) return;
    char *w = xasprintf("%s-wal", path), *s = xasprintf("%s-shm", path);
    unlink(path);
    unlink(w);
    unlink(s);
    free(w);
    free(s);
    free(path);
}
