#!/usr/bin/python3
"""Recompute a report's accuracies and paired comparisons from the results
lines, independently of gra, and compare with its summary.json
(tests/cli/report_errors.sh).

  check_report.py RESULTS.jsonl SUMMARY.json

Item score = mean over training seeds of the mean over samples of `correct`;
accuracy = mean over items; comparisons on the items both students answered:
diff (points), discordant counts, McNemar exact (scipy binomtest) or the sign
test for fractional items, mid-p, TOST / non-inferiority p (scipy
ttest_1samp), M_min, Holm and BH across each pair's benchmarks, Wilson.
Everything exact must agree to 1e-9. Prints "N passed, M failed".
"""
import json
import math
import sys
from collections import defaultdict

import numpy as np
from scipy import stats

passed = 0
failed = 0


def check(name, got, want, tol=1e-9):
    global passed, failed
    if isinstance(want, (bool, str)) or want is None:
        ok = got == want
    else:
        ok = got is not None and abs(got - want) <= tol * max(1.0, abs(want))
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: report {got!r}, recomputed {want!r}")


def holm(p):
    m, order, run, adj = len(p), sorted(range(len(p)), key=lambda i: p[i]), 0.0, [0.0] * len(p)
    for j, i in enumerate(order):
        run = max(run, min(1.0, (m - j) * p[i]))
        adj[i] = run
    return adj


def bh(p):
    m, order, run, adj = len(p), sorted(range(len(p)), key=lambda i: p[i]), 1.0, [0.0] * len(p)
    for j in range(m - 1, -1, -1):
        i = order[j]
        run = min(run, min(1.0, m * p[i] / (j + 1)))
        adj[i] = run
    return adj


def main(results_path, summary_path):
    with open(summary_path) as f:
        s = json.load(f)
    cfg = s["config"]
    alpha, margin, power = cfg["alpha"], cfg["margin"], cfg["power"]
    obs = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))  # (st, b) -> id -> seed -> [correct]
    efail = defaultdict(lambda: [0, 0])
    order_st, order_b = [], []
    with open(results_path) as f:
        for line in f:
            if not line.strip():
                continue
            o = json.loads(line)
            st, b = o["student"], o["benchmark"]
            if st not in order_st:
                order_st.append(st)
            if b not in order_b:
                order_b.append(b)
            obs[(st, b)][o["id"]][o.get("train_seed")].append(int(o["correct"]))
            efail[(st, b)][0] += bool(o.get("extract_failed"))
            efail[(st, b)][1] += 1
    score = {}
    for key, items in obs.items():
        score[key] = {i: float(np.mean([np.mean(v) for v in seeds.values()])) for i, seeds in items.items()}

    acc = {(o["student"], o["benchmark"]): o for o in s["accuracy"]}
    check("accuracy entries", len(acc), len(score))
    z = stats.norm.ppf(1 - alpha / 2)
    for key, sc in score.items():
        o = acc[key]
        n = len(sc)
        p = float(np.mean(list(sc.values())))
        check(f"{key} n", o["n"], n)
        check(f"{key} accuracy", o["accuracy"], p)
        check(f"{key} extract_fail_rate", o["extract_fail_rate"], efail[key][0] / efail[key][1])
        den = 1 + z * z / n
        c = (p + z * z / (2 * n)) / den
        h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
        check(f"{key} wilson lo", o["wilson"][0], max(0.0, c - h))
        check(f"{key} wilson hi", o["wilson"][1], min(1.0, c + h))
        lo, hi = o["bootstrap"]
        check(f"{key} bootstrap interval holds the estimate", lo <= p <= hi, True)

    cmp = {(o["benchmark"], o["a"], o["b"]): o for o in s["comparisons"]}
    pairs = defaultdict(list)
    for ai, a in enumerate(order_st):
        for b in order_st[ai + 1:]:
            for bench in order_b:
                if (a, bench) not in score or (b, bench) not in score:
                    continue
                sa, sb = score[(a, bench)], score[(b, bench)]
                common = [i for i in sa if i in sb]
                if not common:
                    continue
                o = cmp[(bench, a, b)]
                name = f"{bench} {a}-{b}"
                d = np.array([100 * (sa[i] - sb[i]) for i in common])
                n = len(d)
                check(f"{name} n", o["n"], n)
                check(f"{name} only_a", o["only_a"], len([i for i in sa if i not in sb]))
                check(f"{name} only_b", o["only_b"], len([i for i in sb if i not in sa]))
                check(f"{name} diff", o["diff"], float(d.mean()))
                nb, nc = int((d > 0).sum()), int((d < 0).sum())
                check(f"{name} discordant a", o["discordant"]["a_only_right"], nb)
                check(f"{name} discordant b", o["discordant"]["b_only_right"], nc)
                binary = all(sa[i] in (0.0, 1.0) and sb[i] in (0.0, 1.0) for i in common)
                check(f"{name} method", o["mcnemar_method"], "exact" if binary else "sign")
                pm = 1.0 if nb + nc == 0 else stats.binomtest(nb, nb + nc, 0.5).pvalue
                check(f"{name} mcnemar_p", o["mcnemar_p"], pm)
                if nb + nc:
                    k = min(nb, nc)
                    mid = min(1.0, 2 * (stats.binom.cdf(k, nb + nc, 0.5) - 0.5 * stats.binom.pmf(k, nb + nc, 0.5)))
                    check(f"{name} mcnemar_midp", o["mcnemar_midp"], mid)
                se = float(stats.sem(d)) if d.std() > 0 else 0.0
                check(f"{name} se", o["se"], se)
                if se > 0:
                    pl = float(stats.ttest_1samp(d, -margin, alternative="greater").pvalue)
                    pu = float(stats.ttest_1samp(d, margin, alternative="less").pvalue)
                    check(f"{name} NI p", o["noninferiority"]["p"], pl)
                    check(f"{name} TOST p", o["tost"]["p"], max(pl, pu))
                    check(f"{name} equivalent", o["tost"]["equivalent"], max(pl, pu) < alpha)
                    mm = (stats.norm.ppf(1 - alpha) + stats.norm.ppf(1 - (1 - power) / 2)) * se
                    check(f"{name} M_min TOST", o["m_min"]["tost"], mm)
                lo, hi = o["ci"]
                check(f"{name} CI holds the estimate", lo <= float(d.mean()) <= hi, True)
                pairs[(a, b)].append((o, pm))
    check("comparison entries", len(cmp), sum(len(v) for v in pairs.values()))
    for (a, b), lst in pairs.items():
        ps = [p for _, p in lst]
        for (o, _), h, q in zip(lst, holm(ps), bh(ps)):
            check(f"{o['benchmark']} {a}-{b} holm", o["holm_p"], h)
            check(f"{o['benchmark']} {a}-{b} bh", o["bh_p"], q)
    print(f"check_report: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
