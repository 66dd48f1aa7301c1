"""User-personalization training: our factor model vs implicit's ALS vs popularity.

    pip install implicit==0.7.3   # benchmark-only dependency (the "bench" extra)
    python bench/train_ml100k.py [--splits 5] [--skip-large]

MovieLens-100k is read at run time from the recbole==1.2.1 wheel (downloaded with
``pip download --no-deps`` into a cache directory; never committed). Every model trains on
the same binary user x item matrix of each split (Personalize's split: 10 % of users held
out, their newest 10 % of interactions are the truth) and is scored with
``personalize_mock.engine.metrics``. Quality figures are averaged over the splits; training
time is the median fit time. A second part does the same on a generated one-million-
interaction data set (6,000 users, 40,000 items).

Targets: NDCG@10 at least implicit's; training time at most 1/4 of implicit's on ML-100k
and at most 1/5 on the generated set.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit's advice; it threads itself

import numpy as np  # noqa: E402

from personalize_mock.engine.factorization import FactorModel  # noqa: E402
from personalize_mock.engine.interactions import Matrix  # noqa: E402
from personalize_mock.engine.metrics import holdout_split, ranking_metrics  # noqa: E402

CACHE = Path(os.environ.get("PERSONALIZE_MOCK_BENCH_CACHE", Path.home() / ".cache" / "personalize-mock-bench"))
WHEEL = "recbole-1.2.1-py3-none-any.whl"
KEYS = ("normalized_discounted_cumulative_gain_at_10", "precision_at_10", "mean_reciprocal_rank_at_25", "coverage")
SHORT = {"normalized_discounted_cumulative_gain_at_10": "NDCG@10", "precision_at_10": "P@10",
         "mean_reciprocal_rank_at_25": "MRR@25", "coverage": "coverage"}


def movielens() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    wheel = CACHE / WHEEL
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE),
                        "recbole==1.2.1"], check=True)
    text = zipfile.ZipFile(wheel).read("recbole/dataset_example/ml-100k/ml-100k.inter")
    raw = np.loadtxt(io.BytesIO(text), skiprows=1)
    users = np.unique(raw[:, 0], return_inverse=True)[1].astype(np.int32)
    items = np.unique(raw[:, 1], return_inverse=True)[1].astype(np.int32)
    return users, items, raw[:, 3].astype(np.int64)


def generated(n_users: int = 6000, n_items: int = 40000, n: int = 1_000_000, seed: int = 3):
    """Clustered tastes plus a global popularity skew: a structure a factor model can find."""
    rng = np.random.default_rng(seed)
    clusters = 40
    user_cluster = rng.integers(0, clusters, n_users)
    item_cluster = rng.integers(0, clusters, n_items)
    by_cluster = [np.flatnonzero(item_cluster == c) for c in range(clusters)]
    users = rng.integers(0, n_users, n).astype(np.int32)
    own = rng.random(n) < 0.7
    items = (rng.zipf(1.2, n) % n_items).astype(np.int32)  # global popularity
    for c in range(clusters):
        rows = np.flatnonzero(own & (user_cluster[users] == c))
        pool = by_cluster[c]
        items[rows] = pool[(rng.zipf(1.3, len(rows)) - 1) % len(pool)]
    stamps = 1_700_000_000 + np.sort(rng.integers(0, 10**7, n))
    return users, items, stamps


def evaluate(name, fit, recommend, users, items, stamps, splits):
    quality = {key: [] for key in KEYS}
    seconds = []
    for seed in range(splits):
        split = holdout_split(users, items, stamps, seed)
        matrix = Matrix.build(users[split.train], items[split.train])
        started = time.perf_counter()
        model = fit(matrix, seed)
        seconds.append(time.perf_counter() - started)
        recommended = {}
        for user in split.test_users:
            history = matrix.history(int(user))
            rows = recommend(model, matrix, int(user), history)
            recommended[int(user)] = matrix.items.codes[rows]
        metrics = ranking_metrics(recommended, split.truth, len(np.unique(items)))
        for key in KEYS:
            quality[key].append(metrics[key])
    row = {SHORT[k]: statistics.mean(v) for k, v in quality.items()}
    row["train s"] = statistics.median(seconds)
    print(f"  {name:22s} " + "  ".join(f"{k} {v:.4f}" for k, v in row.items()), flush=True)
    return row


def ours():
    def fit(matrix, seed):
        return FactorModel.fit(matrix, seed)

    def recommend(model, matrix, user, history):
        return model.recommend(history, 25, exclude=history)[0]

    return fit, recommend


def implicit_als():
    import implicit

    def fit(matrix, seed):
        model = implicit.als.AlternatingLeastSquares(random_state=seed)
        model.fit(matrix.csr, show_progress=False)
        return model

    def recommend(model, matrix, user, history):
        row = matrix.users.position(user)
        ids, _ = model.recommend(row, matrix.csr[row], N=25, filter_already_liked_items=True)
        return ids

    return fit, recommend


def popularity():
    def fit(matrix, seed):
        return matrix.item_counts.astype(float)

    def recommend(counts, matrix, user, history):
        scores = counts.copy()
        scores[history] = -1
        return np.argsort(-scores, kind="stable")[:25]

    return fit, recommend


def compare(title, data, splits, ratio):
    print(f"{title}: {len(data[0]):,} interactions, {splits} split(s)", flush=True)
    FactorModel.fit(Matrix.build(data[0][:1000], data[1][:1000]), 0)  # warm imports
    rows = {name: evaluate(name, *factory(), *data, splits) for name, factory in
            (("personalize_mock", ours), ("implicit ALS 0.7.3", implicit_als), ("popularity", popularity))}
    mine, theirs = rows["personalize_mock"], rows["implicit ALS 0.7.3"]
    speed = theirs["train s"] / max(mine["train s"], 1e-9)
    ok = mine["NDCG@10"] >= theirs["NDCG@10"] and speed >= ratio
    print(f"  -> NDCG@10 {mine['NDCG@10']:.4f} vs {theirs['NDCG@10']:.4f}; training {speed:.1f}x faster "
          f"(target >= {ratio}x): {'OK' if ok else 'MISSED'}", flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    ok = compare("MovieLens-100k", movielens(), args.splits, 4)
    if not args.skip_large:
        ok &= compare("generated 1M", generated(), 1, 5)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
