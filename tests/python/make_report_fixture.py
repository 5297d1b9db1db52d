#!/usr/bin/python3
"""Write the report fixture run (tests/data/report/run/): results for three
students on three benchmarks and two synthesized datasets with reviews.

Deterministic (fixed seed); re-run to regenerate after a schema change:
    /usr/bin/python3 tests/python/make_report_fixture.py tests/data/report/run
The numbers are made up (labelled "simulated": true), shaped like real runs:
per-item difficulty shared by the students, so their answers correlate the way
paired benchmark results do."""
import hashlib
import json
import os
import random
import sys

SEED = 20250411
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "report", "run")
rnd = random.Random(SEED)

BENCH = {"gsm8k": 100, "mmlu": 160, "humaneval": 30}
STUDENTS = {"seed-only": -0.10, "gra": 0.06, "large-72b": 0.04}
BASE = {"gsm8k": 0.55, "mmlu": 0.60, "humaneval": 0.45}


def write_jsonl(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


def results():
    rows = []
    diff = {b: [rnd.gauss(0, 1.2) for _ in range(n)] for b, n in BENCH.items()}
    for st, skill in STUDENTS.items():
        seeds = [1, 2] if st == "gra" else [None]
        for seed in seeds:
            for b, n in BENCH.items():
                samples = 3 if b == "humaneval" else 1
                for i in range(n):
                    if st == "large-72b" and b == "mmlu" and i >= n - 6:
                        continue  # six items the baseline never answered
                    if st == "seed-only" and b == "gsm8k" and i < 2:
                        continue
                    iid = f"{b}-{i}" if b != "mmlu" else f"abstract_algebra-{i}"
                    for s in range(samples):
                        shift = 0.0 if seed is None else (0.03 if seed == 1 else -0.03)
                        p = BASE[b] + skill + shift - 0.25 * diff[b][i]
                        p = min(0.97, max(0.03, p))
                        ok = 1 if rnd.random() < p else 0
                        ef = (not ok) and rnd.random() < 0.08
                        line = {"student": st, "benchmark": b, "id": iid, "sample": s, "train_seed": seed,
                                "output": "The answer is 42." if not ef else "I am not sure.",
                                "extracted": None if ef else ("42" if ok else "41"),
                                "correct": ok, "strict": ok if rnd.random() < 0.95 else 0, "flexible": ok,
                                "extract_failed": ef, "prompt_tokens": 120 + i % 17, "completion_tokens": 60 + i % 23,
                                "latency_ms": 300 + (i * 7) % 200, "prompt_hash": "f" * 64, "simulated": True}
                        if b == "humaneval":
                            line["outcome"] = "passed" if ok else ("no_code" if ef else "failed")
                        rows.append(line)
    write_jsonl(os.path.join(out, "eval", "results.jsonl"), rows)


MODELS = ["llama-3.1-8b", "qwen2.5-7b", "internlm3-8b", "mistral-7b", "tulu-3-8b"]
DOMAINS = ["coding", "math", "question answering", "reasoning", "role-play", "language", "creative writing"]
WORDS = ("river budget graph prime sonnet lemma python queue tariff orbit enzyme ledger proof vector story "
         "voltage syntax harbor census fraction glacier motif tensor recipe").split()


def text(n):
    return " ".join(rnd.choice(WORDS) for _ in range(n))


def review(model, quality, harsh):
    base = quality - harsh + rnd.gauss(0, 0.7)
    scores = {k: max(0, min(10, int(round(base + rnd.gauss(0, 0.6))))) for k in
              ("correctness", "clarity", "completeness", "relevance", "coherence", "ethicality")}
    return {"model": model, "checks": {"reasonable": True, "complete": True, "clear": True}, "scores": scores,
            "score": sum(scores.values()) / 6.0, "critique": {"strengths": "clear steps", "weaknesses": "none major"}}


def dataset(name, method, n, models, rounds, n_rev=3):
    kept, rejected = [], []
    counts = dict(generated=0, phase1_rejected=0, mu_rejected=0, adjudicated=0, adjudicator_rejected=0, accepted=0,
                  dedup_dropped=0, kept=0, failed=0)
    usage_tot = {}
    k = 0
    for rd in range(1, rounds + 1):
        for s in range(n):
            counts["generated"] += 1
            rid = f"{name}-r{rd}-{s}"
            gen = rnd.choice(models)
            others = [m for m in models if m != gen] or models
            revs = rnd.sample(others, min(n_rev, len(others))) if len(others) >= n_rev else [others[0]] * n_rev
            quality = rnd.gauss(8.3 if method == "gra" else 8.6, 1.0)
            instr = f"Round {rd}: explain {text(6 + s % 9)}"
            if s % 11 == 0 and s:
                instr = kept[-1]["instruction"] if kept else instr  # a near duplicate (dedup drops it)
            elif s % 13 == 0 and s and kept:
                instr = kept[-1]["instruction"] + " Be brief."  # a near duplicate dedup let through
            usage = {"generator": {"prompt_tokens": 400, "completion_tokens": 250, "calls": 3},
                     "reviewer": {"prompt_tokens": 3 * 600, "completion_tokens": 3 * 120, "calls": 6}}
            if rnd.random() < 0.08:
                counts["phase1_rejected"] += 1
                rejected.append({"id": rid, "round": rd, "stage": "review_instruction", "reason": "phase1_no",
                                 "instruction": instr, "reviews": [{"model": m, "checks": {"reasonable": True,
                                 "complete": False, "clear": True}} for m in revs], "simulated": True})
                continue
            reviews = [review(m, quality, (0.4 * (MODELS.index(m) % 3 - 1) if m in MODELS else 0.0)) for m in revs]
            if rnd.random() < 0.15:  # the case-study pattern: one strict reviewer far below the others
                reviews[0] = review(revs[0], quality - 4.0, 0.0)
                for r in reviews[1:]:
                    r.update(review(r["model"], quality + 1.0, 0.0))
            sc = [r["score"] for r in reviews]
            mu = sum(sc) / len(sc)
            sigma = (sum((x - mu) ** 2 for x in sc) / len(sc)) ** 0.5
            rec = {"id": rid, "dataset": name, "method": method, "round": rd, "domain": rnd.choice(DOMAINS),
                   "keywords": rnd.sample(WORDS, 3), "summary": text(12), "instruction": instr,
                   "response": "Step 1. " + text(20 + s % 40) + ". The answer is " + str(s) + ".",
                   "generator": gen, "reviews": reviews, "mu": mu, "sigma": sigma, "adjudicator": None,
                   "metadata_writer": rnd.choice(models), "prompt_hashes": {"generator": "a" * 64},
                   "usage": usage, "calls": ["c" * 64], "simulated": True}
            if mu < 8:
                counts["mu_rejected"] += 1
                rej = dict(rec, stage="committee", reason="mu_below_tau")
                rejected.append(rej)
                continue
            if sigma > 1.5:
                counts["adjudicated"] += 1
                adj = review(rnd.choice([m for m in models if m != gen and m not in revs] or models), quality, 0)
                rec["adjudicator"] = adj
                if adj["score"] < 8:
                    counts["adjudicator_rejected"] += 1
                    rejected.append(dict(rec, stage="adjudicate", reason="adjudicator_below_tau"))
                    continue
                rec["decision"] = "adjudicated_kept"
            else:
                rec["decision"] = "accepted"
            counts["accepted"] += 1
            if s % 11 == 0 and s and kept:
                counts["dedup_dropped"] += 1
                rejected.append(dict(rec, stage="dedup", reason="near_duplicate"))
                continue
            kept.append(rec)
            k += 1
    counts["kept"] = len(kept)
    # stats.json in the shape synth writes (synth/engine.c build_stats)
    params = {m: (72.0 if "72b" in m else 7.6) for m in models}
    by_role, by_model, by_role_model, tags, client_models = {}, {}, {}, {}, {}
    total = dict(calls=0, prompt_tokens=0, completion_tokens=0, flops=0.0, truncations=0, parse_failures=0, failures=0)
    for role, calls_per, pt, ct in (("generator", 3, 400, 250), ("reviewer", 2 * n_rev, 600 * n_rev, 120 * n_rev),
                                    ("adjudicator", 1, 900, 120), ("metadata", 1, 300, 60)):
        calls = calls_per * counts["generated"] if role != "adjudicator" else counts["adjudicated"]
        by_role[role] = dict(calls=0, prompt_tokens=0, completion_tokens=0, flops=0.0, truncations=0,
                             parse_failures=0, failures=0)
        by_role_model[role] = {}
        tags[role] = {"calls": calls, "retries": calls // 25}
        for j, m in enumerate(models):
            share = calls // len(models) + (1 if j < calls % len(models) else 0)
            p, c = pt * share // calls_per, ct * share // calls_per
            e = dict(calls=share, prompt_tokens=p, completion_tokens=c, flops=2 * params[m] * 1e9 * (p + c),
                     truncations=share // 40, parse_failures=share // 60, failures=share // 40 + share // 60)
            by_role_model[role][m] = e
            for tbl in (by_role[role], by_model.setdefault(m, dict(calls=0, prompt_tokens=0, completion_tokens=0,
                                                                     flops=0.0, truncations=0, parse_failures=0,
                                                                     failures=0)), total):
                for k, v in e.items():
                    tbl[k] += v
    for m, e in by_model.items():
        client_models[m] = {"calls": e["calls"], "retries": e["calls"] // 30, "params_b": params[m]}
    rounds_info = [{"round": r, "target": n // 2, "attempted": n,
                    "kept": sum(1 for x in kept if x["round"] == r)} for r in range(1, rounds + 1)]
    stats = {"dataset": name, "method": method, "simulated": True, "label": "SIMULATED",
             "config": {"models": models, "reviewers": n_rev, "policy": "random", "aggregation": "mean_sigma",
                        "tau": 8, "delta": 1.5, "sigma": "population", "instruction_checks": True,
                        "rounds": rounds, "target": rounds * (n // 2)},
             "dedup_method": "minhash", "dedup_threshold": 0.8, "counts": counts, "rounds": rounds_info,
             "usage": {"by_role": by_role, "by_model": by_model, "by_role_model": by_role_model, "total": total},
             "per_kept_record": {k: total[k] / max(1, len(kept)) for k in
                                 ("calls", "prompt_tokens", "completion_tokens", "flops")},
             "prompt_hashes": {"generator": "a" * 64},
             "runtime": {"wall_time_s": 12.5, "client": {"models": client_models, "tags": tags, "by_tag_model": {}}}}
    d = os.path.join(out, "datasets")
    write_jsonl(os.path.join(d, name + ".jsonl"), kept)
    write_jsonl(os.path.join(d, name + ".rejected.jsonl"), rejected)
    with open(os.path.join(d, name + ".stats.json"), "w") as f:
        json.dump(stats, f, indent=1)


results()
dataset("gra", "gra", 30, MODELS, 3)
dataset("large", "large", 30, ["qwen2.5-72b"], 3)
dataset("gra-1reviewer", "gra", 12, MODELS, 2, n_rev=1)
EXP = {"name": "report-fixture", "seed": 7,
       "report": {"margin": 2.0, "bootstrap_b": 2000, "seed": 99, "alpha": 0.05,
                  "published": {"benchmarks": {"gsm8k": "GSM8K", "mmlu": "MMLU", "humaneval": "HumanEval"},
                                "students": {"gra": {"student": "Qwen2.5-7B", "seed": "Alpaca", "data": "GRA"},
                                             "large-72b": {"student": "Qwen2.5-7B", "seed": "Alpaca",
                                                           "data": "Qwen2.5-72B-distilled"}}}}}
exp_path = os.path.join(out, "..", "exp.json")
with open(exp_path, "w") as f:
    json.dump(EXP, f, indent=1)
    f.write("\n")
with open(exp_path, "rb") as f:
    exp_sha = hashlib.sha256(f.read()).hexdigest()
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump({"config": "../exp.json", "config_sha256": exp_sha, "seed": 7, "gra_version": "0.1.0",
               "simulated": True, "students": {"gra": {"dataset": "gra"}, "large-72b": {"dataset": "large"}}}, f, indent=1)
with open(os.path.join(out, "decontam.json"), "w") as f:
    # the shape `gra decontam DATASET --out FILE` writes (eval/decontam.c)
    json.dump({"dataset": "datasets/gra.jsonl", "n": 13, "records": 41, "bad_lines": 0, "contaminated_records": 1,
               "contaminated_rate": 1 / 41,
               "benchmarks": {"gsm8k": {"items": 100, "items_too_short": 0, "ngrams": 4200, "contaminated_records": 1,
                                        "contaminated_items": 1,
                                        "records_listed": [{"line": 7, "id": "gra-r1-8", "field": "instruction",
                                                            "item": "gsm8k-3", "ngram": "a b c d e f g h i j k l m"}]},
                              "mmlu": {"items": 160, "items_too_short": 2, "ngrams": 5100, "contaminated_records": 0,
                                       "contaminated_items": 0, "records_listed": []}}}, f, indent=1)
