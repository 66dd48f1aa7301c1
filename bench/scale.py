"""Production-sized data through boto3, in-process: seconds and peak RSS per step.

    python bench/scale.py --interactions 10000000 --users 200000 --items 50000

Generates a seeded interactions CSV (every user at least once, item popularity Zipf-like,
90 days of timestamps) and uploads it to moto's S3 in parts of a million rows, then runs: import ->
CreateSolutionVersion (aws-user-personalization) -> a batch inference job over every user
(25 results each) -> CreateSolutionVersion (aws-item-affinity) -> a batch segment job (100
items). Each step is measured from its create call to the first Describe that reads its end
status; peak RSS is the process's high-water mark during the step (reset between steps
through ``/proc/self/clear_refs``). Target (issue 13): import + train + batch at 10M
interactions, 200,000 users, 50,000 items in at most 120 s together, peak RSS at most 2 GB,
and the ``.out`` has one line per user.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any, Callable

import numpy as np

TARGET_SECONDS = 120.0
TARGET_RSS_MB = 2048
RECIPE = "arn:aws:personalize:::recipe/"
ROLE = "arn:aws:iam::123456789012:role/personalize"
BUCKET = "scale-data"
ROWS_PER_PART = 1_000_000
SEGMENT_ITEMS = 100

SCHEMA = {
    "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
    ],
    "version": "1.0",
}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM (the peak RSS) to the current RSS
    except OSError:
        pass


def peak_mb() -> float:
    return _status_kb("VmHWM") / 1024


def rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


def generate(interactions: int, users: int, items: int, seed: int = 13) -> Iterator[bytes]:
    """CSV parts (header in each) of seeded interactions, made one part at a time: row r < users
    belongs to user r (everyone appears), later rows to users drawn by a skewed (log-normal)
    activity; items are drawn from a Zipf-like popularity (weight 1 / rank^0.9) over a shuffled
    catalogue; timestamps uniform over 90 days."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    activity = np.cumsum(rng.lognormal(0.0, 1.0, users))
    popularity = np.cumsum(1.0 / np.arange(1, items + 1) ** 0.9)
    catalogue = rng.permutation(items)
    kinds = pa.array(["click", "view", "purchase"])
    for number, start in enumerate(range(0, interactions, ROWS_PER_PART)):
        stop = min(start + ROWS_PER_PART, interactions)
        part = np.random.default_rng([seed, number])
        drawn = np.searchsorted(activity, part.random(stop - start) * activity[-1])
        user = np.where(np.arange(start, stop) < users, np.arange(start, stop), drawn)
        item = catalogue[np.searchsorted(popularity, part.random(stop - start) * popularity[-1])]
        stamp = 1_700_000_000 + part.integers(0, 90 * 86400, stop - start)
        kind = np.searchsorted([0.3, 0.9], part.random(stop - start))
        table = pa.table({
            "USER_ID": pc.binary_join_element_wise("user", pc.cast(pa.array(user), pa.string()), ""),
            "ITEM_ID": pc.binary_join_element_wise("item", pc.cast(pa.array(item), pa.string()), ""),
            "TIMESTAMP": pa.array(stamp),
            "EVENT_TYPE": pc.take(kinds, pa.array(kind)),
        })
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="none"))
        del table
        body = sink.getvalue().to_pybytes()
        del sink
        pa.default_memory_pool().release_unused()  # the generator's memory is not the mock's
        yield body


class Steps:
    """Wall seconds, CPU seconds (all threads: on a shared machine the steadier figure) and
    peak RSS per step."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []

    def run(self, name: str, work: Callable[[], Any]) -> Any:
        reset_peak()
        started, cpu = time.perf_counter(), time.process_time()
        result = work()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        self.rows.append((name, seconds, cpu, peak_mb()))
        print(f"{name:<34} {seconds:8.2f} s  (CPU {cpu:7.2f} s)   peak RSS {peak_mb():6.0f} MB"
              f"   RSS after {rss_mb():6.0f} MB", flush=True)
        return result

    def seconds(self, *names: str) -> tuple[float, float]:
        chosen = [row for row in self.rows if row[0] in names]
        return sum(r[1] for r in chosen), sum(r[2] for r in chosen)

    def peak(self) -> float:
        return max(row[3] for row in self.rows)


def wait(describe: Callable[[], dict[str, Any]], done: tuple[str, ...] = ("ACTIVE", "CREATE FAILED")) -> dict[str, Any]:
    while True:
        found = describe()
        if found["status"] in done:
            if found["status"] != "ACTIVE":
                raise RuntimeError(f"{found['status']}: {found.get('failureReason')}")
            return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--results", type=int, default=25)
    parser.add_argument("--stop-after", choices=("import", "train", "batch", "segments"), default="segments",
                        help="the last step to run")
    args = parser.parse_args()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")

    import boto3

    from personalize_mock import mock_personalize

    steps = Steps()
    print(f"{args.interactions:,} interactions, {args.users:,} users, {args.items:,} items; "
          f"RSS at start {rss_mb():.0f} MB", flush=True)
    with mock_personalize():
        s3 = boto3.client("s3", region_name="us-east-1")
        p = boto3.client("personalize", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)

        def upload() -> None:
            for number, body in enumerate(generate(args.interactions, args.users, args.items)):
                s3.put_object(Bucket=BUCKET, Key=f"interactions/part-{number:03d}.csv", Body=body)
            users = "".join(f'{{"userId": "user{u}"}}\n' for u in range(args.users)).encode()
            s3.put_object(Bucket=BUCKET, Key="batch/in/users.json", Body=users)
            items = "".join(f'{{"itemId": "item{i}"}}\n' for i in range(SEGMENT_ITEMS)).encode()
            s3.put_object(Bucket=BUCKET, Key="segments/in/items.json", Body=items)

        steps.run("generate + upload to S3", upload)
        group = p.create_dataset_group(name="scale")["datasetGroupArn"]
        schema = p.create_schema(name="scale", schema=json.dumps(SCHEMA))["schemaArn"]
        dataset = p.create_dataset(name="scale", schemaArn=schema, datasetGroupArn=group,
                                   datasetType="Interactions")["datasetArn"]

        def import_data() -> None:
            job = p.create_dataset_import_job(jobName="scale", datasetArn=dataset,
                                              dataSource={"dataLocation": f"s3://{BUCKET}/interactions/"})
            wait(lambda: p.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"])["datasetImportJob"])

        def train(recipe: str) -> str:
            solution = p.create_solution(name=recipe, datasetGroupArn=group, recipeArn=RECIPE + recipe)["solutionArn"]
            version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
            wait(lambda: p.describe_solution_version(solutionVersionArn=version)["solutionVersion"])
            return version

        def batch(version: str) -> int:
            arn = p.create_batch_inference_job(
                jobName="scale", solutionVersionArn=version, roleArn=ROLE, numResults=args.results,
                jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/batch/in/users.json"}},
                jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/batch/out/"}},
            )["batchInferenceJobArn"]
            wait(lambda: p.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"])
            body = s3.get_object(Bucket=BUCKET, Key="batch/out/users.json.out")["Body"]
            return sum(chunk.count(b"\n") for chunk in iter(lambda: body.read(1 << 24), b""))

        def segments(version: str) -> int:
            arn = p.create_batch_segment_job(
                jobName="scale", solutionVersionArn=version, roleArn=ROLE, numResults=args.results,
                jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/segments/in/items.json"}},
                jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/segments/out/"}},
            )["batchSegmentJobArn"]
            wait(lambda: p.describe_batch_segment_job(batchSegmentJobArn=arn)["batchSegmentJob"])
            body = s3.get_object(Bucket=BUCKET, Key="segments/out/items.json.out")["Body"].read()
            return body.count(b"\n")

        order = ("import", "train", "batch", "segments")
        wanted = order[: order.index(args.stop_after) + 1]
        lines = 0
        steps.run("import", import_data)
        if "train" in wanted:
            version = steps.run("train user-personalization", lambda: train("aws-user-personalization"))
        if "batch" in wanted:
            lines = steps.run(f"batch inference ({args.users:,} users)", lambda: batch(version))
        if "segments" in wanted:
            affinity = steps.run("train item-affinity", lambda: train("aws-item-affinity"))
            segment_lines = steps.run(f"batch segment ({SEGMENT_ITEMS} items)", lambda: segments(affinity))
            assert segment_lines == SEGMENT_ITEMS, segment_lines
    core, core_cpu = steps.seconds("import", "train user-personalization", f"batch inference ({args.users:,} users)")
    print(f"import + train + batch      {core:8.2f} s  (CPU {core_cpu:7.2f} s; target <= {TARGET_SECONDS:.0f} s "
          f"at 10M / 200k / 50k); load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"peak RSS over all steps     {steps.peak():8.0f} MB (target <= {TARGET_RSS_MB} MB)")
    print(f".out lines                  {lines:,} (users {args.users:,})")
    ok = lines == args.users and core <= TARGET_SECONDS and steps.peak() <= TARGET_RSS_MB
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
