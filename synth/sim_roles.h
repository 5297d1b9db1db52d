/*
 * sim_roles: serve-sim's simulated GRA roles (generator, reviewers,
 * adjudicator, metadata writer), answering the gra_* schemas of
 * synth/protocol.h from the tagged material in the last user message.
 * Behaviour and parameters: docs/sim-world.md; the observable flaws and their
 * detectors: core/simflaw.h. Everything is SIMULATED and deterministic given
 * (model, request body, seed).
 */
#ifndef GRA_SYNTH_SIM_ROLES_H
#define GRA_SYNTH_SIM_ROLES_H

#include <stdint.h>

#include "core/simsrv.h"

struct cJSON;

/* The role handler registered for the "gra_" prefix (a sim_role_fn). Thread-
 * safe (no shared state). Returns 0 with out->content set, or -1 with
 * out->error_message for an unknown gra_ schema or an invalid model section
 * ("model M: reviewer.sensitivity.padding: expected a number in [0, 1]"). */
int sim_roles_handle(const struct sim_model *m, const struct cJSON *body, const char *schema_name,
                     uint64_t seed, struct sim_reply *out);

/* Check a model's "generator" and "reviewer" sections (absent is fine: the
 * documented defaults apply). 0, or -1 with a message naming the field. */
int sim_roles_check_model(const struct sim_model *m, char *why, size_t why_len);

#endif
