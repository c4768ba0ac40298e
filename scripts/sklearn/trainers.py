#!/usr/bin/python3
"""Writes the trainers' parity fixtures, ml/testdata/sklearn/<name>.json.

Run with Debian's python3 (scikit-learn 1.2.1) from the repository root:

    /usr/bin/python3 scripts/sklearn/trainers.py

For breast_cancer (binary), iris and wine (multiclass) and diabetes
(regression), from scikit-learn's bundled data: X standardised with
StandardScaler (population std), y, and scikit-learn's solutions.
X is rounded to 6 decimals after standardising, and every reference is
computed from the rounded X. Classification: LogisticRegression(lbfgs) at
C=1.0 and C=0.1 (tol 1e-10, max_iter 10000), then Newton steps on the same
loss from its solution to the optimum (gradient below 1e-11): both are
recorded, with the gap between them and the gradient at the optimum. Regression: LinearRegression and Ridge(alpha=1.0).
ml/trainers_test.go reads these files, so the tests need no Python.
"""
import json
import os
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

OUT = os.path.join("ml", "testdata", "sklearn")


def logistic(X, y, C):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = LogisticRegression(C=C, solver="lbfgs", tol=1e-10, max_iter=10000)
        m.fit(X, y)
    # scipy's L-BFGS-B stops on its relative loss reduction (ftol) before the
    # gradient reaches tol, a few 1e-4 from the optimum: Newton's method on
    # the same loss, from there, finds the optimum itself.
    theta = np.hstack([m.coef_, m.intercept_[:, None]])
    for _ in range(50):
        g, H = grad_hess(X, y, theta, C)
        if np.max(np.abs(g)) < 1e-11:
            break
        theta = theta - (np.linalg.pinv(H, rcond=1e-13) @ g.ravel()).reshape(theta.shape)
    g, _ = grad_hess(X, y, theta, C)
    gap = np.max(np.abs(theta - np.hstack([m.coef_, m.intercept_[:, None]])))
    return {
        "c": C,
        "lbfgs": {"coef": m.coef_.tolist(), "intercept": m.intercept_.tolist(), "n_iter": int(np.max(m.n_iter_))},
        "coef": theta[:, :-1].tolist(),
        "intercept": theta[:, -1].tolist(),
        "grad_inf_norm": float(np.max(np.abs(g))),
        "lbfgs_gap": float(gap),
    }


def grad_hess(X, y, theta, C):
    """The gradient and Hessian of the summed log-loss plus ||W||^2/(2C) at
    theta (one row [w, b] per score), the parameters laid out row by row."""
    Xa = np.hstack([X, np.ones((X.shape[0], 1))])
    k, d = theta.shape
    Z = Xa @ theta.T
    if k == 1:
        P = 1 / (1 + np.exp(-Z))
        R = P - y[:, None]
        D = (P * (1 - P))[:, :, None]
    else:
        Z = Z - Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        R = P - np.eye(k)[y]
        D = np.einsum("ic,cd->icd", P, np.eye(k)) - np.einsum("ic,id->icd", P, P)
    g = R.T @ Xa
    H = np.einsum("icd,ia,ib->cadb", D, Xa, Xa).reshape(k * d, k * d)
    pen = np.zeros((k, d))
    pen[:, :-1] = 1 / C
    g = g + pen * theta
    H = H + np.diag(pen.ravel())
    return g, H


def standardised(X):
    """X standardised (population std), rounded to 6 decimals to keep the
    fixtures small; every reference is computed from the rounded matrix."""
    return np.round(StandardScaler().fit_transform(X), 6)


def write(name, data):
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print(path, os.path.getsize(path), "bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, load in (
        ("breast_cancer", datasets.load_breast_cancer),
        ("iris", datasets.load_iris),
        ("wine", datasets.load_wine),
    ):
        d = load()
        X = standardised(d.data)
        y = d.target.astype(int)
        write(name, {
            "task": "classification",
            "classes": int(y.max() + 1),
            "X": X.tolist(),
            "y": y.tolist(),
            "logistic": [logistic(X, y, 1.0), logistic(X, y, 0.1)],
        })

    d = datasets.load_diabetes(scaled=False)
    X = standardised(d.data)
    y = d.target.astype(float)
    ols = LinearRegression().fit(X, y)
    ridge = Ridge(alpha=1.0).fit(X, y)
    write("diabetes", {
        "task": "regression",
        "X": X.tolist(),
        "y": y.tolist(),
        "linear": {"coef": ols.coef_.tolist(), "intercept": float(ols.intercept_)},
        "ridge": {"alpha": 1.0, "coef": ridge.coef_.tolist(), "intercept": float(ridge.intercept_)},
    })


if __name__ == "__main__":
    main()
