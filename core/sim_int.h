/*
 * sim_int: serve-sim internals shared by core/simsrv.c and core/sim_models.c
 * (SQLite's *Int.h shape). Nothing outside core/sim*.c includes this.
 */
#ifndef GRA_SIM_INT_H
#define GRA_SIM_INT_H

#include "core/simsrv.h"

/* The merged model table of one server. */
struct sim_table {
    struct sim_model *models;
    int n;
    struct cJSON *merged; /* array of merged model objects; models[i].spec and
                             the name strings point into it (owned) */
};

/* Load, validate and merge the declaration files in order (none: the
 * built-in defaults). Every problem is logged as "FILE: models[i].key: ...",
 * then GRA_ECONFIG (or GRA_EIO / GRA_EPARSE for unreadable or malformed files)
 * is returned. On success free with sim_models_free(). */
int sim_models_load(const char *const *files, int n_files, struct sim_table *t);
void sim_models_free(struct sim_table *t);
const struct sim_model *sim_models_find(const struct sim_table *t, const char *name);

/* The built-in declarations (JSON text) used when no file is given. */
extern const char sim_builtin_models[];

#endif
