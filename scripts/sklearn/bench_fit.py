#!/usr/bin/python3
"""Times scikit-learn's LogisticRegression(lbfgs) fit on a seeded data set.

BenchmarkFitLogistic1M (ml/bench_test.go) runs this with Debian's python3
(scikit-learn 1.2.1), then fits the same matrix with ml.FitLogistic and reports
the ratio of the two fit times measured in the same run.

    /usr/bin/python3 scripts/sklearn/bench_fit.py OUTDIR [--rows N] [--cols P]
        [--seed S] [--repeats R] [--load]

writes OUTDIR/X.f64 (rows x cols, row-major float64 little-endian) and
OUTDIR/y.f64 (rows float64 0/1), or with --load reads the files an earlier
run wrote, and prints one JSON object: the shape, the paths, each fit's
seconds, their median, the iterations and the coefficients. The fit uses
LogisticRegression's defaults (C=1.0, tol=1e-4, max_iter=100); only the fit
is timed.
"""
import argparse
import json
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression


def generate(rows, cols, seed):
    """A seeded binary classification set: correlated features on different
    scales, and labels drawn from a logistic model."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, cols))
    X[:, 1::2] += 0.5 * X[:, 0::2][:, : X[:, 1::2].shape[1]]
    X *= rng.uniform(0.5, 3.0, size=cols)
    w = rng.normal(0.0, 0.5, size=cols)
    logit = X @ w - 0.3
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.float64)
    return X, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--load", action="store_true", help="reuse OUTDIR's data")
    args = ap.parse_args()

    x_path = f"{args.outdir}/X.f64"
    y_path = f"{args.outdir}/y.f64"
    if args.load:
        X = np.fromfile(x_path, dtype="<f8").reshape(args.rows, args.cols)
        y = np.fromfile(y_path, dtype="<f8")
    else:
        X, y = generate(args.rows, args.cols, args.seed)
        X.astype("<f8").tofile(x_path)
        y.astype("<f8").tofile(y_path)

    seconds = []
    warned = False
    model = None
    for _ in range(args.repeats):
        model = LogisticRegression(solver="lbfgs")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            t0 = time.perf_counter()
            model.fit(X, y)
            seconds.append(time.perf_counter() - t0)
        warned = warned or any(issubclass(c.category, ConvergenceWarning) for c in caught)

    print(json.dumps({
        "rows": args.rows,
        "cols": args.cols,
        "seed": args.seed,
        "x_path": x_path,
        "y_path": y_path,
        "seconds": seconds,
        "median_seconds": float(np.median(seconds)),
        "n_iter": int(model.n_iter_[0]),
        "converged": not warned,
        "coef": model.coef_[0].tolist(),
        "intercept": float(model.intercept_[0]),
    }))


if __name__ == "__main__":
    main()
