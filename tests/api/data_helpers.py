"""Shared helpers for the data-job and events API tests: S3 objects, CSV builders, datasets,
import/export round trips, batch inference jobs, a next-best-action campaign."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tests.conftest import (  # noqa: F401  (re-exported for the data tests)
    ACTION_INTERACTIONS_SCHEMA,
    ACTIONS_SCHEMA,
    INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    USERS_SCHEMA,
    avro,
)

ROLE = "arn:aws:iam::123456789012:role/personalize-s3"
BATCH_ROLE = "arn:aws:iam::123456789012:role/personalize-batch"
RECIPE = "arn:aws:personalize:::recipe/"
BUCKET = "data-bucket"
OUT_BUCKET = "out-bucket"

SCHEMAS = {"INTERACTIONS": INTERACTIONS_SCHEMA, "ITEMS": ITEMS_SCHEMA, "USERS": USERS_SCHEMA}

# Interactions with the optional reserved columns, for the events API.
RICH_INTERACTIONS_SCHEMA = avro(
    "Interactions",
    {"name": "USER_ID", "type": "string"},
    {"name": "ITEM_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
    {"name": "EVENT_TYPE", "type": "string"},
    {"name": "EVENT_VALUE", "type": ["null", "float"]},
    {"name": "IMPRESSION", "type": ["null", "string"]},
    {"name": "RECOMMENDATION_ID", "type": ["null", "string"]},
    {"name": "EVENT_ATTRIBUTION_SOURCE", "type": ["null", "string"]},
    {"name": "DEVICE", "type": ["null", "string"], "categorical": True},
    {"name": "NUM_RATINGS", "type": ["null", "int"]},
)
RICH_ITEMS_SCHEMA = avro(
    "Items",
    {"name": "ITEM_ID", "type": "string"},
    {"name": "GENRES", "type": ["null", "string"], "categorical": True},
    {"name": "PRICE", "type": ["null", "float"]},
    {"name": "CREATION_TIMESTAMP", "type": ["null", "long"]},
    {"name": "IS_NEW", "type": ["null", "boolean"]},
    {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True},
)
RICH_USERS_SCHEMA = avro(
    "Users",
    {"name": "USER_ID", "type": "string"},
    {"name": "MEMBERSHIP", "type": "string", "categorical": True},
    {"name": "AGE", "type": ["null", "int"]},
)


# ---- S3 ----------------------------------------------------------------------------------
def make_bucket(s3: Any, name: str = BUCKET) -> str:
    s3.create_bucket(Bucket=name)
    return name


def put(s3: Any, key: str, text: str | bytes, bucket: str = BUCKET) -> str:
    """Upload ``text`` and return its s3:// URL."""
    body = text.encode() if isinstance(text, str) else text
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return f"s3://{bucket}/{key}"


def read(s3: Any, bucket: str, key: str) -> str:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def parse(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


# ---- CSV builders ------------------------------------------------------------------------
def interactions_csv(n: int, users: int = 50, items: int = 100, start: int = 0,
                     header: str = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE") -> str:
    """``n`` interaction rows: user ``u{i % users}``, item ``i{i % items}``, timestamp
    ``1700000000 + i`` (i counted from ``start``), event type click."""
    lines = [header]
    lines += [
        f"u{i % users},i{i % items},{1700000000 + i},click" for i in range(start, start + n)
    ]
    return "\n".join(lines) + "\n"


def interaction_rows(n: int, users: int = 50, items: int = 100, start: int = 0) -> list[list[str]]:
    return [[f"u{i % users}", f"i{i % items}", str(1700000000 + i), "click"] for i in range(start, start + n)]


# ---- resources ---------------------------------------------------------------------------
def wait_status(describe: Any, want: tuple[str, ...] = ("ACTIVE",), attempts: int = 10) -> dict[str, Any]:
    """Poll ``describe()`` (each call is one tick of manual progression) until its status is
    one of ``want``; return the last description."""
    for _ in range(attempts):
        found = describe()
        if found["status"] in want:
            return found
    raise AssertionError(f"status {found['status']} not in {want} after {attempts} describes")


def make_group(p: Any, name: str = "g") -> str:
    arn = p.create_dataset_group(name=name)["datasetGroupArn"]
    wait_status(lambda: p.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])
    return arn


def make_dataset(p: Any, group_arn: str, kind: str, schema: str | None = None, schema_name: str | None = None) -> str:
    """An ACTIVE dataset of ``kind`` in the group, with its own schema."""
    group_name = group_arn.rsplit("/", 1)[1]
    schema_arn = p.create_schema(
        name=schema_name or f"{group_name}-{kind.lower().replace('_', '-')}", schema=schema or SCHEMAS[kind]
    )["schemaArn"]
    arn = p.create_dataset(
        name=f"{group_name}-{kind.lower()}", schemaArn=schema_arn, datasetGroupArn=group_arn, datasetType=kind
    )["datasetArn"]
    wait_status(lambda: p.describe_dataset(datasetArn=arn)["dataset"])
    return arn


def import_job(p: Any, name: str, dataset_arn: str, location: str, mode: str | None = None,
               wait: bool = True) -> dict[str, Any]:
    """Create an import job; return its final description (ACTIVE or CREATE FAILED)."""
    kwargs = {"importMode": mode} if mode else {}
    arn = p.create_dataset_import_job(
        jobName=name, datasetArn=dataset_arn, dataSource={"dataLocation": location}, roleArn=ROLE, **kwargs
    )["datasetImportJobArn"]
    describe = lambda: p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]
    return wait_status(describe, ("ACTIVE", "CREATE FAILED")) if wait else describe()


_EXPORTS = {"n": 0}


def export(api: Any, dataset_arn: str, mode: str | None = "BULK", name: str | None = None,
           bucket: str = OUT_BUCKET) -> tuple[list[str], list[list[str]]]:
    """Run an export job into ``bucket`` (created if needed) and return (header, rows)."""
    p, s3 = api.personalize, api.s3
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        make_bucket(s3, bucket)
    _EXPORTS["n"] += 1
    name = name or f"export-{_EXPORTS['n']}"
    kwargs = {"ingestionMode": mode} if mode else {}
    arn = p.create_dataset_export_job(
        jobName=name, datasetArn=dataset_arn, roleArn=ROLE,
        jobOutput={"s3DataDestination": {"path": f"s3://{bucket}/exports/"}}, **kwargs,
    )["datasetExportJobArn"]
    job = wait_status(lambda: p.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"],
                      ("ACTIVE", "CREATE FAILED"))
    assert job["status"] == "ACTIVE", job.get("failureReason")
    return parse(read(s3, bucket, f"exports/{name}_part_00000.csv"))


# ---- batch inference (on the ``shop`` fixture's group and bucket) --------------------------
def trained_version(api: Any, shop: dict[str, Any], recipe: str) -> str:
    """An ACTIVE solution version of ``recipe`` trained on the shop's dataset group."""
    p = api.personalize
    solution = p.create_solution(name=f"b-{recipe[4:20]}", datasetGroupArn=shop["group"], recipeArn=RECIPE + recipe)["solutionArn"]
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    status = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert status["status"] == "ACTIVE", status.get("failureReason")
    return version


# Where each kind of batch job reads and writes in the shop's bucket, and its operations.
_JOBS = {
    "inference": ("batch", "input.json", "batch_inference_job", "batchInferenceJob"),
    "segment": ("segments", "items.json", "batch_segment_job", "batchSegmentJob"),
}


def run_job(api: Any, version: str, lines: list[dict[str, Any]], name: str = "batch", kind: str = "inference",
            **kwargs: Any) -> tuple[str, dict[str, Any]]:
    """A batch inference (or ``kind="segment"``: batch segment) job on ``lines`` (JSON Lines at
    s3://shop-data/batch/in/input.json, or segments/in/items.json; output under .../out/);
    return its ARN and description."""
    folder, file, operation, key = _JOBS[kind]
    source = f"s3://shop-data/{folder}/in/{file}"
    api.s3.put_object(Bucket="shop-data", Key=f"{folder}/in/{file}", Body="\n".join(json.dumps(x) for x in lines) + "\n")
    arn = getattr(api.personalize, f"create_{operation}")(
        jobName=name, solutionVersionArn=version, roleArn=BATCH_ROLE, jobInput={"s3DataSource": {"path": source}},
        jobOutput={"s3DataDestination": {"path": f"s3://shop-data/{folder}/out/"}}, **kwargs,
    )[f"{key}Arn"]
    return arn, getattr(api.personalize, f"describe_{operation}")(**{f"{key}Arn": arn})[key]


def output_lines(api: Any, kind: str = "inference") -> list[dict[str, Any]]:
    """The last ``run_job``'s output lines (of that kind), in input order."""
    folder, file, _, _ = _JOBS[kind]
    body = api.s3.get_object(Bucket="shop-data", Key=f"{folder}/out/{file}.out")["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


# ---- next best action --------------------------------------------------------------------
def nba_campaign(api: Any) -> str:
    """A next-best-action campaign; return its ARN. A new group gets Interactions (1000 rows),
    Actions (a0..a3, VALUE n, CATEGORY c{n % 2}) and an empty Action interactions dataset, then
    an ACTIVE aws-next-best-action solution version and a campaign on it (both named nba)."""
    p, s3 = api.personalize, api.s3
    make_bucket(s3)
    group = make_group(p)
    interactions = make_dataset(p, group, "INTERACTIONS")
    actions = make_dataset(p, group, "ACTIONS", ACTIONS_SCHEMA)
    make_dataset(p, group, "ACTION_INTERACTIONS", ACTION_INTERACTIONS_SCHEMA)  # empty
    assert import_job(p, "i", interactions, put(s3, "i.csv", interactions_csv(1000)))["status"] == "ACTIVE"
    text = "ACTION_ID,VALUE,CATEGORY\n" + "".join(f"a{n},{n},c{n % 2}\n" for n in range(4))
    assert import_job(p, "a", actions, put(s3, "a.csv", text))["status"] == "ACTIVE"
    solution = p.create_solution(name="nba", datasetGroupArn=group, recipeArn=RECIPE + "aws-next-best-action")
    version_arn = p.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
    version = wait_status(lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"],
                          ("ACTIVE", "CREATE FAILED"))
    assert version["status"] == "ACTIVE", version.get("failureReason")
    campaign = p.create_campaign(name="nba", solutionVersionArn=version_arn)["campaignArn"]
    wait_status(lambda: p.describe_campaign(campaignArn=campaign)["campaign"])
    return campaign
