#!/usr/bin/python3
"""Recompute gra's statistics with SciPy and compare (tests/unit/test_stats_scipy.c).

Input: one JSON file holding generated cases, each with gra's inputs and outputs.
Exact methods (Wilson, McNemar exact and mid-p, TOST / non-inferiority p-values,
M_min, Holm, Benjamini-Hochberg, Krippendorff's alpha, pass@k, percentiles) must
agree to 1e-6; percentile-bootstrap intervals use different resamples and must
agree to 0.02 plus two lattice steps (1/n). Prints "N passed, M failed" and
exits 1 on any failure.
"""
import json
import math
import sys
from fractions import Fraction

import numpy as np
from scipy import stats
from scipy.special import comb

TOL = 1e-6
passed = 0
failed = 0


def check(name, got, want, tol=TOL):
    global passed, failed
    if isinstance(want, bool) or isinstance(got, bool):
        ok = bool(got) == bool(want)
    elif want is None or (isinstance(want, float) and math.isnan(want)):
        ok = got is None or (isinstance(got, float) and math.isnan(got))
    else:
        ok = abs(got - want) <= tol * max(1.0, abs(want))
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: gra {got!r}, scipy {want!r} (tol {tol})")


def wilson(x, n, alpha):
    z = stats.norm.ppf(1 - alpha / 2)
    p = x / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def holm(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adj = [0.0] * m
    run = 0.0
    for j, i in enumerate(order):
        run = max(run, min(1.0, (m - j) * p[i]))
        adj[i] = run
    return adj


def bh(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adj = [0.0] * m
    run = 1.0
    for j in range(m - 1, -1, -1):
        i = order[j]
        run = min(run, min(1.0, m * p[i] / (j + 1)))
        adj[i] = run
    return adj


def kripp_interval(unit, value):
    """Krippendorff's alpha, interval metric, straight from the definition."""
    groups = {}
    for u, v in zip(unit, value):
        groups.setdefault(u, []).append(v)
    pairable = [np.array(g) for g in groups.values() if len(g) >= 2]
    if not pairable:
        return None, 0
    n = sum(len(g) for g in pairable)
    do = sum(((g[:, None] - g[None, :]) ** 2).sum() / (len(g) - 1) for g in pairable) / n
    allv = np.concatenate(pairable)
    de = ((allv[:, None] - allv[None, :]) ** 2).sum() / (n * (n - 1))
    if de <= 0:
        return None, n
    return 1 - do / de, n


def main(path):
    with open(path) as f:
        cases = json.load(f)

    for i, c in enumerate(cases["wilson"]):
        lo, hi = wilson(c["x"], c["n"], c["alpha"])
        check(f"wilson[{i}].lo", c["lo"], lo)
        check(f"wilson[{i}].hi", c["hi"], hi)

    for i, c in enumerate(cases["mcnemar"]):
        b, cc = int(c["b"]), int(c["c"])
        if b + cc == 0:
            p, mid = 1.0, 1.0
        else:
            p = stats.binomtest(b, b + cc, 0.5, alternative="two-sided").pvalue
            k = min(b, cc)
            mid = min(1.0, 2 * (stats.binom.cdf(k, b + cc, 0.5) - 0.5 * stats.binom.pmf(k, b + cc, 0.5)))
        check(f"mcnemar[{i}].p (b={b}, c={cc})", c["p"], p)
        check(f"mcnemar[{i}].midp (b={b}, c={cc})", c["midp"], mid)

    for i, c in enumerate(cases["tost"]):
        d = np.array(c["d"])
        m, alpha = c["margin"], c["alpha"]
        check(f"tost[{i}].diff", c["diff"], float(d.mean()))
        check(f"tost[{i}].se", c["se"], float(stats.sem(d)))
        pl = stats.ttest_1samp(d, -m, alternative="greater").pvalue
        pu = stats.ttest_1samp(d, m, alternative="less").pvalue
        check(f"tost[{i}].p_lower", c["p_lower"], float(pl))
        check(f"tost[{i}].p_upper", c["p_upper"], float(pu))
        check(f"tost[{i}].p_tost", c["p_tost"], float(max(pl, pu)))
        check(f"tost[{i}].equivalent", c["equivalent"], max(pl, pu) < alpha)
        check(f"tost[{i}].noninferior", c["noninferior"], pl < alpha)
        se, power = float(stats.sem(d)), c["power"]
        check(f"tost[{i}].mmin_tost", c["mmin_tost"],
              (stats.norm.ppf(1 - alpha) + stats.norm.ppf(1 - (1 - power) / 2)) * se)
        check(f"tost[{i}].mmin_noninf", c["mmin_noninf"], (stats.norm.ppf(1 - alpha) + stats.norm.ppf(power)) * se)

    for i, c in enumerate(cases["multiplicity"]):
        for j, (g, w) in enumerate(zip(c["holm"], holm(c["p"]))):
            check(f"holm[{i}][{j}]", g, w)
        for j, (g, w) in enumerate(zip(c["bh"], bh(c["p"]))):
            check(f"bh[{i}][{j}]", g, w)

    for i, c in enumerate(cases["krippendorff"]):
        a, n = kripp_interval(c["unit"], c["value"])
        check(f"krippendorff[{i}].pairable", c["pairable"], n)
        check(f"krippendorff[{i}].alpha", c["alpha"], a)

    for i, c in enumerate(cases["pass_at_k"]):
        n, cc, k = int(c["n"]), int(c["c"]), int(c["k"])
        v = 1.0 if n - cc < k else float(1 - Fraction(comb(n - cc, k, exact=True), comb(n, k, exact=True)))
        check(f"pass_at_k[{i}] (n={n}, c={cc}, k={k})", c["v"], v)

    for i, c in enumerate(cases["percentile"]):
        a = c["alpha"]
        lo, hi = np.percentile(np.array(c["v"]), [100 * a / 2, 100 * (1 - a / 2)])
        check(f"percentile[{i}].lo", c["lo"], float(lo), 1e-9)
        check(f"percentile[{i}].hi", c["hi"], float(hi), 1e-9)

    for i, c in enumerate(cases["bootstrap"]):
        a = np.array(c["a"])
        n = len(a)
        if "b" in c:
            b = np.array(c["b"])
            res = stats.bootstrap((a, b), lambda x, y, axis=-1: np.mean(x - y, axis=axis), paired=True,
                                  vectorized=True, n_resamples=int(c["B"]), confidence_level=1 - c["alpha"],
                                  method="percentile", random_state=np.random.default_rng(12345))
        else:
            res = stats.bootstrap((a,), np.mean, n_resamples=int(c["B"]), confidence_level=1 - c["alpha"],
                                  method="percentile", random_state=np.random.default_rng(12345))
        tol = 0.02 + 2.0 / n
        check(f"bootstrap[{i}].lo (n={n})", c["lo"], float(res.confidence_interval.low), tol)
        check(f"bootstrap[{i}].hi (n={n})", c["hi"], float(res.confidence_interval.high), tol)

    print(f"check_stats: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: check_stats.py CASES.json", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
