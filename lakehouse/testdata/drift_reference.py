#!/usr/bin/python3
"""Reference values for lakehouse's drift statistics (drift_test.go).

Run with Debian's python3-scipy: /usr/bin/python3 drift_reference.py > drift_reference.json
The Go tests read the JSON and need no Python. Each case is a pair of fixed
samples (numeric) or value counts (categorical) and what scipy (or, for PSI,
TV and L-infinity, the formula in numpy) computes on them.
"""
import json

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

PSI_FLOOR = 1e-4

rng = np.random.default_rng(20261129)

numeric = {
    "small": ([1.0, 2.0, 3.0, 4.0, 5.0], [2.5, 3.5, 4.5, 6.0, 7.0, 8.0]),
    "ties": ([1, 1, 1, 2, 2, 3, 3, 3, 3, 4], [1, 2, 2, 2, 3, 3, 4, 4, 4, 4, 5]),
    "identical": ([0.5, 1.5, 2.5, 3.5], [0.5, 1.5, 2.5, 3.5]),
    "constant_vs_shift": ([1.0] * 40, [1.0] * 33 + [1.15] * 7),
    "normal_shift": (list(np.round(rng.normal(10, 2, 300), 6)), list(np.round(rng.normal(10.8, 2, 250), 6))),
    "normal_same": (list(np.round(rng.normal(0, 1, 400), 6)), list(np.round(rng.normal(0, 1, 400), 6))),
    "disjoint": ([1.0, 2.0, 3.0], [10.0, 11.0, 12.0, 13.0]),
}

categorical = {
    "two": ({"a": 30, "b": 70}, {"a": 45, "b": 55}),
    "three": ({"x": 10, "y": 20, "z": 30}, {"x": 12, "y": 18, "z": 35}),
    "new_value": ({"web": 50, "mobile": 40, "store": 10}, {"web": 45, "mobile": 40, "store": 10, "kiosk": 5}),
    "same": ({"t": 5, "f": 5}, {"t": 50, "f": 50}),
    "shifted": ({"home": 100, "toys": 300, "books": 600}, {"home": 300, "toys": 300, "books": 400}),
}


def psi(expected, actual):
    ref = np.sort(np.asarray(expected, dtype=float))
    edges = []
    for q in range(1, 10):
        e = float(np.quantile(ref, q / 10))  # numpy's default: linear
        if not edges or e > edges[-1]:
            edges.append(e)
    edges = np.asarray(edges)

    def share(s):
        idx = np.searchsorted(edges, np.asarray(s, dtype=float), side="left")  # bins (e[i-1], e[i]]
        counts = np.bincount(idx, minlength=len(edges) + 1).astype(float)
        return np.maximum(counts / len(s), PSI_FLOOR)

    e, a = share(ref), share(actual)
    return float(np.sum((a - e) * np.log(a / e)))


out = {"numeric": [], "categorical": []}
for name, (a, b) in numeric.items():
    a, b = [float(v) for v in a], [float(v) for v in b]
    ks = stats.ks_2samp(a, b)
    n, m = len(a), len(b)
    out["numeric"].append({
        "name": name, "a": a, "b": b,
        "ks_statistic": float(ks.statistic),
        # the asymptotic two-sided p-value (Kolmogorov distribution)
        "ks_pvalue": float(stats.kstwobign.sf(ks.statistic * np.sqrt(n * m / (n + m)))),
        "ks_2samp_pvalue": float(ks.pvalue),  # scipy's default method, for information
        "wasserstein_distance": float(stats.wasserstein_distance(a, b)),
        "population_stability_index": psi(a, b),
    })
for name, (a, b) in categorical.items():
    keys = sorted(set(a) | set(b))
    ca = np.array([a.get(k, 0) for k in keys], dtype=float)
    cb = np.array([b.get(k, 0) for k in keys], dtype=float)
    chi2, p, dof, _ = stats.chi2_contingency(np.vstack([ca, cb]), correction=False)
    pa, pb = ca / ca.sum(), cb / cb.sum()
    out["categorical"].append({
        "name": name, "a": a, "b": b,
        "chi_squared_statistic": float(chi2), "chi_squared_pvalue": float(p), "dof": int(dof),
        "js_distance": float(jensenshannon(pa, pb, base=2)),
        "tv_distance": float(0.5 * np.abs(pa - pb).sum()),
        "l_infinity_distance": float(np.abs(pa - pb).max()),
    })
out["scipy"] = __import__("scipy").__version__
print(json.dumps(out, indent=1))
