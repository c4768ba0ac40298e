"""Reference accuracy (and RMSE) of scikit-learn for lakebench's ML CLI tests.

Run with Debian's python3 and python3-sklearn (1.2.1):
    /usr/bin/python3 sklearn_reference.py penguins.csv Species classification > penguins_sklearn.json
    /usr/bin/python3 sklearn_reference.py movies.csv "IMDB Rating" regression > movies_sklearn.json

The data, from the vega-datasets npm package (3.2.1), as lakebench loaded
and exported it (`lakebench ingest data/penguins.json --table bronze.penguins`,
then `lakebench query 'select * exclude (_source_file, _ingested_at, _batch_id)
from bronze.penguins' --format csv`): penguins.csv is penguins.json (344 rows);
movies.csv is the first 1,000 rows of movies.json's label and seven features
(IMDB Rating; Production Budget, Running Time min, Rotten Tomatoes Rating,
MPAA Rating, Source, Major Genre, Creative Type). Rows without a label are
left out, as lakebench does.

lakebench's split rows are not exported, so this is the seed-free average:
the mean over 200 seeded stratified train/test splits of the same size
(test 25%) of the preparation lakebench applies (mean imputation with a
missing indicator and standardisation for numbers, most-frequent imputation
and one-hot for text) and LogisticRegression(C=1.0) / LinearRegression.
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

path, label, task = sys.argv[1], sys.argv[2], sys.argv[3]
features = sys.argv[4].split(",") if len(sys.argv) > 4 else None
df = pd.read_csv(path, keep_default_na=False, na_values=[""])
df = df[df[label].notna()]
X = df[features] if features else df.drop(columns=[label])
y = df[label]
num = [c for c in X.columns if X[c].dtype.kind in "if"]
cat = [c for c in X.columns if c not in num]
prep = ColumnTransformer([
    ("num", Pipeline([("imp", SimpleImputer(strategy="mean")), ("std", StandardScaler())]), num),
    ("missing", MissingIndicator(features="missing-only", error_on_new=False), num),
    ("cat", Pipeline([("imp", SimpleImputer(strategy="most_frequent")),
                      ("onehot", OneHotEncoder(handle_unknown="ignore"))]), cat),
])
scores = []
for seed in range(200):
    strat = y if task == "classification" else None
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=strat)
    est = LogisticRegression(C=1.0, max_iter=1000) if task == "classification" else LinearRegression()
    model = Pipeline([("prep", prep), ("est", est)]).fit(Xtr, ytr)
    pred = model.predict(Xte)
    if task == "classification":
        scores.append(accuracy_score(yte, pred))
    else:
        scores.append(mean_squared_error(yte, pred) ** 0.5)
metric = "accuracy" if task == "classification" else "rmse"
json.dump({"data": path, "label": label, "task": task, "features": list(X.columns), "splits": len(scores),
           "test_size": 0.25, metric + "_mean": float(np.mean(scores)), metric + "_std": float(np.std(scores)),
           metric + "_min": float(np.min(scores)), metric + "_max": float(np.max(scores))},
          sys.stdout, indent=2)
print()
