"""Do zero-cost proxies, as extra features, improve the `imagenet` estimator's design term?

On the Accel-NASBench calibration rows that have proxy values (benchmarks/results/proxies_anb_*.csv, from
`proxy_table.py score --bench accel-nasbench`), 5-fold cross-validation (seeded) of the same LightGBM
recipe as the shipped design term, on the general features alone and with the proxies added (log of
the positive ones); Kendall of the held-out folds against val_top1, mean over folds.
Usage: python benchmarks/proxy_features_anb.py [--csv benchmarks/results/proxies_anb_cifar10_56.csv]"""

from __future__ import annotations

import argparse
import csv
import json

import lightgbm as lgb
import numpy as np
from scipy import stats

from archsearch.accuracy.anb import load_anb
from archsearch.accuracy.features import feature_matrix
from archsearch.accuracy.learned import LGBM_PARAMS

PROXIES = ("depth", "fisher", "grad_norm", "jacob_cov", "rank", "snip", "synflow", "zen")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv", default="benchmarks/results/proxies_anb_cifar10_56.csv")
    p.add_argument("--folds", type=int, default=5)
    args = p.parse_args()
    with open(args.csv, newline="") as f:
        scored = {r["arch_id"]: r for r in csv.DictReader(f)}
    rows = [r for r in load_anb(split="calibration") if r.arch_id in scored]
    x = feature_matrix([r.config() for r in rows])
    y = np.array([r.val_top1 for r in rows])
    prox = np.array([[float(scored[r.arch_id][p] or "nan") for p in PROXIES] for r in rows])
    prox = np.where(prox > 0, np.log(np.abs(prox) + 1e-30), prox)  # scale-free where positive
    folds = np.random.default_rng(0).permutation(len(y)) % args.folds
    out = {}
    for name, data in (("features", x), ("features+proxies", np.hstack([x, prox])), ("proxies only", prox)):
        taus = []
        for k in range(args.folds):
            tr, te = folds != k, folds == k
            b = lgb.train({**LGBM_PARAMS, "seed": 0}, lgb.Dataset(data[tr], y[tr]), num_boost_round=400)
            taus.append(stats.kendalltau(b.predict(data[te]), y[te]).statistic)
        out[name] = {
            "kendall_mean": round(float(np.mean(taus)), 4),
            "kendall_folds": [round(t, 3) for t in taus],
        }
    print(json.dumps({"rows": len(y), "folds": args.folds, **out}, indent=1))


if __name__ == "__main__":
    main()
