#!/usr/bin/python3
"""Reference numbers for ml's feature preparation and Fit (issue 9, parity).

For each case below: a seeded train/test split (stratified for
classification), scikit-learn's preparation as a ColumnTransformer
(SimpleImputer then StandardScaler for numbers, SimpleImputer then
OneHotEncoder(handle_unknown='ignore') for text, and the missing-value
indicators SimpleImputer(add_indicator=True) would add, as a separate
MissingIndicator so they stay 0/1 like ml's "<col>__missing" columns), then
LogisticRegression (lbfgs, C) or LinearRegression. It writes
ml/testdata/sklearn/prep_<case>.json with the row indices of the split (so
the Go test fits on the same rows), the fitted preparation and the test
metrics. Run with Debian's python3-sklearn (1.2.1):

    /usr/bin/python3 scripts/sklearn/prep_parity.py

It also writes ml/testdata/wine.csv from scikit-learn's bundled copy.
"""

import json
import os

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_wine
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (accuracy_score, f1_score, log_loss,
                             mean_absolute_error, mean_squared_error, r2_score,
                             roc_auc_score)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTDATA = os.path.join(ROOT, "ml", "testdata")

PENGUIN_COLUMNS = [
    ("Species", "text"), ("Island", "text"), ("Beak Length (mm)", "numeric"),
    ("Beak Depth (mm)", "numeric"), ("Flipper Length (mm)", "numeric"),
    ("Body Mass (g)", "numeric"), ("Sex", "text"),
]


def load_penguins():
    with open(os.path.join(TESTDATA, "penguins.json")) as f:
        records = json.load(f)
    df = pd.DataFrame([[r.get(c) for c, _ in PENGUIN_COLUMNS] for r in records],
                      columns=[c for c, _ in PENGUIN_COLUMNS])
    # One row's Sex is "." (unknown): read it as missing, as the Go test does.
    df["Sex"] = df["Sex"].replace(".", np.nan)
    for c, kind in PENGUIN_COLUMNS:
        if kind == "numeric":
            df[c] = df[c].astype(float)
        else:
            # JSON null reads as None, which SimpleImputer does not count
            # as missing: make it NaN.
            df[c] = df[c].where(df[c].notna(), np.nan)
    return df


def write_wine():
    wine = load_wine(as_frame=True).frame
    wine.to_csv(os.path.join(TESTDATA, "wine.csv"), index=False)
    df = pd.read_csv(os.path.join(TESTDATA, "wine.csv"))
    return df, [(c, "numeric") for c in df.columns]


def run(case, df, columns, data, label, task, seed=42, C=1.0, na_values=None):
    rows = np.flatnonzero(df[label].notna().to_numpy())
    features = [c for c, _ in columns if c != label]
    num = [c for c, k in columns if c in features and k == "numeric"]
    cat = [c for c, k in columns if c in features and k == "text"]
    y_all = df[label].to_numpy()
    strat = y_all[rows] if task == "classification" else None
    train, test = train_test_split(rows, test_size=0.25, random_state=seed, stratify=strat)
    train, test = np.sort(train), np.sort(test)

    prep = ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="mean")),
                          ("scale", StandardScaler())]), num),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                          ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]), cat),
        ("missing", MissingIndicator(features="missing-only"), features),
    ])
    if task == "classification":
        est = LogisticRegression(C=C, max_iter=10000, tol=1e-8)
    else:
        est = LinearRegression()
    pipe = Pipeline([("prep", prep), ("model", est)])
    X = df[features]
    pipe.fit(X.iloc[train], y_all[train] if task == "regression" else y_all[train].astype(str))

    ct = pipe.named_steps["prep"]
    num_pipe, cat_pipe = ct.named_transformers_["num"], ct.named_transformers_["cat"]
    miss = ct.named_transformers_["missing"]
    out_prep = {}
    for i, c in enumerate(num):
        out_prep[c] = {
            "impute": float(num_pipe.named_steps["impute"].statistics_[i]),
            "mean": float(num_pipe.named_steps["scale"].mean_[i]),
            "std": float(num_pipe.named_steps["scale"].scale_[i]),
        }
    for i, c in enumerate(cat):
        out_prep[c] = {
            "impute_category": str(cat_pipe.named_steps["impute"].statistics_[i]),
            "categories": [str(v) for v in cat_pipe.named_steps["onehot"].categories_[i]],
        }
    for i in miss.features_:
        out_prep[features[i]]["indicator"] = True

    y_test = y_all[test]
    metrics = {}
    if task == "classification":
        y_test = y_test.astype(str)
        proba = pipe.predict_proba(X.iloc[test])
        pred = pipe.predict(X.iloc[test])
        classes = list(pipe.named_steps["model"].classes_)
        metrics["accuracy"] = accuracy_score(y_test, pred)
        metrics["log_loss"] = log_loss(y_test, proba, labels=classes)
        if len(classes) == 2:
            metrics["f1"] = f1_score(y_test, pred, pos_label=classes[1])
            metrics["roc_auc"] = roc_auc_score(y_test == classes[1], proba[:, 1])
        else:
            metrics["f1"] = f1_score(y_test, pred, average="macro")
            metrics["roc_auc"] = roc_auc_score(y_test, proba, multi_class="ovr", average="macro", labels=classes)
    else:
        pred = pipe.predict(X.iloc[test])
        metrics["rmse"] = mean_squared_error(y_test, pred, squared=False)
        metrics["mae"] = mean_absolute_error(y_test, pred)
        metrics["r2"] = r2_score(y_test, pred)

    fixture = {
        "script": "scripts/sklearn/prep_parity.py",
        "sklearn_version": sklearn.__version__,
        "data": data,
        "columns": [{"name": c, "kind": k} for c, k in columns],
        "na_values": na_values or [],
        "label": label,
        "task": task,
        "features": features,
        "c": C,
        "seed": seed,
        "train": [int(i) for i in train],
        "test": [int(i) for i in test],
        "prep": out_prep,
        "metrics": {k: float(v) for k, v in metrics.items()},
    }
    path = os.path.join(TESTDATA, "sklearn", "prep_%s.json" % case)
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=True)
        f.write("\n")
    print(case, len(train), len(test), fixture["metrics"])


def main():
    penguins = load_penguins()
    run("penguins_species", penguins, PENGUIN_COLUMNS, "penguins.json", "Species", "classification", na_values=["."])
    run("penguins_sex", penguins, PENGUIN_COLUMNS, "penguins.json", "Sex", "classification", na_values=["."])
    run("penguins_island", penguins, PENGUIN_COLUMNS, "penguins.json", "Island", "classification", na_values=["."])
    run("penguins_mass", penguins, PENGUIN_COLUMNS, "penguins.json", "Body Mass (g)", "regression", na_values=["."])
    wine, wine_columns = write_wine()
    run("wine", wine, wine_columns, "wine.csv", "target", "classification")


if __name__ == "__main__":
    main()
