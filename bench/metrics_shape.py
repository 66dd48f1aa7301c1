"""The shape of GetSolutionMetrics on MovieLens-100k, through boto3 (issue 14, point 15).

    python bench/metrics_shape.py [--seeds 3] [--recipe aws-user-personalization] [--hpo]

Every published GetSolutionMetrics output of the real service shows MRR@25 within about 30 %
of NDCG@10 and NDCG@10 3.4-6.2 times precision@10 (see docs/metrics.md). This script imports
MovieLens-100k the way those walkthroughs prepare it — each rating is a ``watch`` event and,
when the rating is above 1, also a ``click`` event — into the in-process mock, trains a
solution version per seed switch value (``mock_personalize(seed=N)``) and prints the metrics
and the two ratios. Target: 0.7 <= MRR@25 / NDCG@10 <= 1.3 and 3 <= NDCG@10 / P@10 <= 7.

MovieLens-100k is read from the recbole==1.2.1 wheel, downloaded with ``pip download --no-deps``
into ``PERSONALIZE_MOCK_BENCH_CACHE`` (default ``~/.cache/personalize-mock-bench``); the data is
never committed. ``--hpo`` trains with performHPO over hidden_dimension [32, 64] (4 candidates)
and prints the tuned value.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(_name, "testing")

import boto3  # noqa: E402
import numpy as np  # noqa: E402

from personalize_mock import mock_personalize  # noqa: E402
from movielens import ml100k_rows  # noqa: E402  (bench/movielens.py)

REGION = "us-east-1"
RECIPE = "arn:aws:personalize:::recipe/"
SCHEMA = {"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
          "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                     {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"}],
          "version": "1.0"}
NDCG, P, MRR = ("normalized_discounted_cumulative_gain_at_10", "precision_at_10", "mean_reciprocal_rank_at_25")
# Published outputs of the real service (docs/metrics.md): (NDCG@10, P@10, MRR@25).
PUBLISHED = {
    "developer guide example": (0.0513, 0.0102, 0.0379),
    "POC-in-a-box (MovieLens)": (0.2687, 0.0571, 0.269),
    "2021 getting-started notebook": (0.1238, 0.036, 0.1168),
    "third-party MovieLens walkthrough": (0.3452, 0.0554, 0.3782),
}


def ratings() -> np.ndarray:
    """MovieLens-100k as (user, item, rating, timestamp) rows."""
    return ml100k_rows()


def interactions_csv(rows: np.ndarray) -> str:
    """Each rating a ``watch`` event and, when above 1, a ``click`` event too."""
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    for user, item, rating, stamp in rows.tolist():
        lines.append(f"{user},{item},{stamp},watch")
        if rating > 1:
            lines.append(f"{user},{item},{stamp},click")
    return "\n".join(lines) + "\n"


def metrics_for(body: str, seed: int, recipe: str, hpo: bool = False) -> tuple[dict[str, float], float]:
    with mock_personalize(seed=seed):
        s3 = boto3.client("s3", region_name=REGION)
        p = boto3.client("personalize", region_name=REGION)
        s3.create_bucket(Bucket="ml100k")
        s3.put_object(Bucket="ml100k", Key="interactions.csv", Body=body)
        group = p.create_dataset_group(name="ml100k")["datasetGroupArn"]
        schema = p.create_schema(name="ml100k", schema=json.dumps(SCHEMA))["schemaArn"]
        dataset = p.create_dataset(name="interactions", schemaArn=schema, datasetGroupArn=group,
                                   datasetType="Interactions")["datasetArn"]
        job = p.create_dataset_import_job(jobName="ml100k", datasetArn=dataset,
                                          dataSource={"dataLocation": "s3://ml100k/interactions.csv"})
        status = p.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"])["datasetImportJob"]
        assert status["status"] == "ACTIVE", status.get("failureReason")
        options = {"performHPO": True, "solutionConfig": {"hpoConfig": {
            "algorithmHyperParameterRanges": {"integerHyperParameterRanges": [
                {"name": "hidden_dimension", "minValue": 32, "maxValue": 64}]},
            "hpoResourceConfig": {"maxNumberOfTrainingJobs": "4", "maxParallelTrainingJobs": "2"}}}} if hpo else {}
        solution = p.create_solution(name="s", datasetGroupArn=group, recipeArn=RECIPE + recipe,
                                     **options)["solutionArn"]
        started = time.perf_counter()
        version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        seconds = time.perf_counter() - started
        described = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
        assert described["status"] == "ACTIVE", described.get("failureReason")
        if hpo:
            print(f"  tunedHPOParams: {described['tunedHPOParams']['algorithmHyperParameters']}")
        return p.get_solution_metrics(solutionVersionArn=version)["metrics"], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seed switch values 1..N (each a separate training)")
    parser.add_argument("--recipe", default="aws-user-personalization")
    parser.add_argument("--hpo", action="store_true", help="performHPO over hidden_dimension [32, 64]")
    args = parser.parse_args()

    print("published (NDCG@10, P@10, MRR@25) -> MRR/NDCG, NDCG/P:")
    for name, (ndcg, precision, mrr) in PUBLISHED.items():
        print(f"  {name:36s} {ndcg:.4f} {precision:.4f} {mrr:.4f} -> {mrr / ndcg:.2f}, {ndcg / precision:.2f}")

    body = interactions_csv(ratings())
    print(f"\nMovieLens-100k as watch + click events ({body.count(chr(10)) - 1} rows), {args.recipe}:")
    mrr_ndcg, ndcg_p = [], []
    for seed in range(1, args.seeds + 1):
        metrics, seconds = metrics_for(body, seed, args.recipe, args.hpo)
        a, b = metrics[MRR] / metrics[NDCG], metrics[NDCG] / metrics[P]
        mrr_ndcg.append(a)
        ndcg_p.append(b)
        print(f"  seed {seed}: NDCG@10 {metrics[NDCG]:.4f}  P@10 {metrics[P]:.4f}  MRR@25 {metrics[MRR]:.4f}"
              f"  coverage {metrics['coverage']:.3f}  ->  MRR/NDCG {a:.2f}  NDCG/P {b:.2f}"
              f"  (CreateSolutionVersion {seconds:.2f} s)")
    a, b = statistics.median(mrr_ndcg), statistics.median(ndcg_p)
    ok = 0.7 <= a <= 1.3 and 3 <= b <= 7
    print(f"\nmedian MRR@25/NDCG@10 {a:.2f} (target 0.7-1.3), NDCG@10/P@10 {b:.2f} (target 3-7): "
          f"{'OK' if ok else 'OUT OF RANGE'}")


if __name__ == "__main__":
    main()
