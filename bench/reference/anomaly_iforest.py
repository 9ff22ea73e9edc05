#!/usr/bin/env python3
"""Reference detector for the anomaly evaluation: scikit-learn's
IsolationForest, run online over NAB data files.

For every file the forest is fitted on shingles of the last WINDOW points
seen so far and refitted every RETRAIN points; each block of points is
scored by the forest fitted before it, so a score depends only on earlier
points. The first WARMUP points score 0. Scores are -score_samples, the
isolation score 2^(-E[h]/c(n)) in [0, 1].

Usage: anomaly_iforest.py NAB_DIR OUT_DIR
Writes OUT_DIR/<category>/sklearn_<file>.csv with columns
timestamp,anomaly_score, the layout of NAB result files.
"""
import csv
import json
import os
import sys

import numpy as np
from sklearn.ensemble import IsolationForest

WINDOW = 2016   # a week of five-minute samples, as the Go detectors use
RETRAIN = 1024  # points between refits (the Go forest uses 256; sklearn fits cost more)
SHINGLE = 4     # consecutive values per point, newest first
WARMUP = 150


def shingles(values):
    """Row i holds values[i], values[i-1], ..., padded at the start."""
    padded = np.concatenate([np.repeat(values[:1], SHINGLE - 1), values])
    return np.stack([padded[SHINGLE - 1 - k: len(padded) - k]
                     for k in range(SHINGLE)], axis=1)


def score_file(values, seed):
    x = shingles(values)
    scores = np.zeros(len(values))
    start = WARMUP
    while start < len(values):
        end = min(start + RETRAIN, len(values))
        lo = max(0, start - WINDOW)
        model = IsolationForest(n_estimators=100, random_state=seed)
        model.fit(x[lo:start])
        scores[start:end] = -model.score_samples(x[start:end])
        start = end
    return scores


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: anomaly_iforest.py NAB_DIR OUT_DIR")
    nab, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(nab, "labels", "combined_windows.json")) as fh:
        names = sorted(json.load(fh))
    for seed, name in enumerate(names):
        with open(os.path.join(nab, "data", name)) as fh:
            rows = list(csv.DictReader(fh))
        values = np.array([float(r["value"]) for r in rows])
        scores = score_file(values, seed)
        category, base = os.path.split(name)
        os.makedirs(os.path.join(out, category), exist_ok=True)
        with open(os.path.join(out, category, "sklearn_" + base), "w") as fh:
            w = csv.writer(fh)
            w.writerow(["timestamp", "anomaly_score"])
            for r, s in zip(rows, scores):
                w.writerow([r["timestamp"], "%.9f" % s])


if __name__ == "__main__":
    main()
