/*
 * test_cfg: build a struct gra_config by hand for client tests, with the
 * client defaults of docs/config.md, without a config file.
 *
 *     struct gra_config *cfg = tcfg_new();
 *     struct model_cfg *m = tcfg_add_model(cfg, "m1", url);   // pointer valid
 *     m->max_inflight = 8;                                    // until the next add
 *     ...  tcfg_free(cfg);
 */
#ifndef GRA_TEST_CFG_H
#define GRA_TEST_CFG_H

#include "core/config.h"

struct gra_config *tcfg_new(void);
/* Add a model with one endpoint (more with tcfg_add_endpoint). */
struct model_cfg *tcfg_add_model(struct gra_config *cfg, const char *name, const char *endpoint);
void tcfg_add_endpoint(struct model_cfg *m, const char *endpoint);
void tcfg_free(struct gra_config *cfg);

/* A fresh path under $GRA_TEST_TMP (or /tmp) named prefix-PID-N (heap). The
 * file is removed first if present, with its -wal and -shm. */
char *tcfg_tmp_path(const char *prefix);
/* Remove path and its SQLite -wal / -shm companions, then free(path). */
void tcfg_tmp_remove(char *path);

#endif
