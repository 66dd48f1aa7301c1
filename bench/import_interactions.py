"""Import a generated interactions CSV through boto3 and report rows/s and bytes per row.

    python bench/import_interactions.py [--rows 1000000] [--users 50000] [--items 20000]

The CSV (USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE) is uploaded to moto's S3; the timed part is
CreateDatasetImportJob, which parses, checks and stores the rows. Targets: at least 500,000
rows per second, and at most 40 bytes per stored interaction.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

TARGET_ROWS_PER_SECOND = 500_000
TARGET_BYTES_PER_ROW = 40

SCHEMA = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
    ],
    "version": "1.0",
}


def generate(rows: int, users: int, items: int) -> bytes:
    rng = np.random.default_rng(7)
    user = rng.integers(0, users, rows)
    item = rng.zipf(1.3, rows) % items
    stamp = 1_700_000_000 + np.sort(rng.integers(0, 90 * 86400, rows))
    kind = np.array(["click", "purchase", "view"])[rng.integers(0, 3, rows)]
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    lines += [f"user{u},item{i},{t},{k}" for u, i, t, k in zip(user.tolist(), item.tolist(), stamp.tolist(), kind)]
    return ("\n".join(lines) + "\n").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=20_000)
    args = parser.parse_args()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")

    import boto3

    from personalize_mock import mock_personalize
    from personalize_mock.backend import personalize_backends

    data = generate(args.rows, args.users, args.items)
    with mock_personalize():
        s3 = boto3.client("s3", region_name="us-east-1")
        personalize = boto3.client("personalize", region_name="us-east-1")
        s3.create_bucket(Bucket="bench-data")
        s3.put_object(Bucket="bench-data", Key="interactions.csv", Body=data)
        group = personalize.create_dataset_group(name="bench")["datasetGroupArn"]
        schema = personalize.create_schema(name="bench", schema=json.dumps(SCHEMA))["schemaArn"]
        dataset = personalize.create_dataset(
            name="bench", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
        )["datasetArn"]
        started = time.perf_counter()
        job = personalize.create_dataset_import_job(
            jobName="bench",
            datasetArn=dataset,
            dataSource={"dataLocation": "s3://bench-data/interactions.csv"},
        )["datasetImportJobArn"]
        seconds = time.perf_counter() - started
        described = personalize.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]
        assert described["status"] == "ACTIVE", described.get("failureReason")
        table = personalize_backends["123456789012"]["us-east-1"].datasets.get(dataset).table
        stored = table.nbytes
        catalog = table.catalog
        ids = sum(len(v) for v in (catalog.users.values, catalog.items.values))
    rate = args.rows / seconds
    per_row = stored / args.rows
    print(f"rows                {args.rows:,} ({len(data) / 1e6:.1f} MB of CSV)")
    print(f"import              {seconds:.2f} s = {rate:,.0f} rows/s (target >= {TARGET_ROWS_PER_SECOND:,})")
    print(f"stored columns      {stored / 1e6:.1f} MB = {per_row:.1f} bytes/interaction (target <= {TARGET_BYTES_PER_ROW})")
    print(f"distinct ids        {ids:,} (interned once per dataset group)")
    ok = rate >= TARGET_ROWS_PER_SECOND and per_row <= TARGET_BYTES_PER_ROW
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
