#!/usr/bin/env python3
"""make_ablation_fixture: an ablation grid of datasets for tests/cli/report_ablation.sh.

usage: make_ablation_fixture.py FIXTURE_RUN OUT_DIR

Every cell reuses the records of FIXTURE_RUN/datasets/gra.jsonl (and its
rejected file) and gets its own stats.json whose config holds the ablation
coordinates and whose counts are chosen so that kept / generated is the same
for several cells (as synth's wave scheduling makes it) while the committee's
acceptance, accepted / (generated - failed), differs. Writes OUT_DIR/*.jsonl,
*.rejected.jsonl, *.stats.json and OUT_DIR/cells.json (name -> the expected
committee acceptance and the coordinates).
"""
import json
import os
import shutil
import sys

run, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
src = os.path.join(run, "datasets")
base = json.load(open(os.path.join(src, "gra.stats.json")))
kept = sum(1 for _ in open(os.path.join(src, "gra.jsonl")))

MODELS = ["m1", "m2", "m3", "m4", "m5"]
# name: (n_models, reviewers, policy, aggregation, generated, failed, accepted)
CELLS = {
    "g_m3_r1": (3, 1, "random", "mean_sigma", 110, 0, 80),
    "g_m3_r2": (3, 2, "random", "mean_sigma", 110, 4, 60),
    "g_m5_r1": (5, 1, "random", "mean_sigma", 110, 0, 86),
    "g_m5_r2": (5, 2, "random", "mean_sigma", 110, 2, 64),
    "g_m5_r3": (5, 3, "random", "mean_sigma", 165, 5, 70),
    "g_m5_r1_rep": (5, 1, "random", "mean_sigma", 110, 0, 86),  # a replicate of g_m5_r1
    "p_fixed": (5, 3, "fixed", "mean_sigma", 110, 0, 55),
    "p_single": (1, 3, "single", "mean_sigma", 110, 0, 50),  # differs in two coordinates
    "a_majority": (5, 3, "random", "majority", 110, 0, 66),
    "a_none": (5, 3, "random", "none", 44, 0, 44),  # no committee
    "lone_m4_r2": (4, 2, "fixed", "mean_only", 110, 0, 70),  # nothing to pair with
}
cells = {}
for name, (nm, rv, pol, agg, gen, failed, acc) in CELLS.items():
    for ext in (".jsonl", ".rejected.jsonl"):
        shutil.copy(os.path.join(src, "gra" + ext), os.path.join(out, name + ext))
    st = json.loads(json.dumps(base))
    st["dataset"] = name
    st["config"].update({"models": MODELS[:nm], "reviewers": rv, "policy": pol,
                         "aggregation": agg, "rounds": 3})
    c = st["counts"]
    c.update({"generated": gen, "failed": failed, "accepted": acc, "kept": kept})
    json.dump(st, open(os.path.join(out, name + ".stats.json"), "w"), indent=1)
    cells[name] = {"n_models": nm, "n_reviewers": rv, "role_policy": pol, "aggregation": agg,
                   "committee_acceptance": acc / (gen - failed),
                   "kept_per_generated": kept / gen}
json.dump(cells, open(os.path.join(out, "cells.json"), "w"), indent=1)
