"""The docs' measuring tools share this: the quickstart's data imported into a fresh dataset
group and a user-personalization solution version trained on it, under an active mock."""

from __future__ import annotations

import os
import runpy
from pathlib import Path
from typing import Any

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"


def quickstart() -> dict[str, Any]:
    """The quickstart's module namespace (its data generator, schemas and constants)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    return runpy.run_path(str(QUICKSTART))


def trained_version(names: dict[str, Any], files: dict[str, str], name: str) -> tuple[dict[str, Any], str, str]:
    """Clients, the dataset group's ARN and a trained user-personalization version's ARN for
    ``files`` (dataset type -> CSV); call it under ``mock_personalize``."""
    import boto3

    session = boto3.session.Session(region_name="us-east-1")
    clients = {n: session.client(n) for n in ("s3", "personalize", "personalize-runtime", "personalize-events")}
    s3, personalize = clients["s3"], clients["personalize"]
    s3.create_bucket(Bucket=name)
    group = personalize.create_dataset_group(name=name)["datasetGroupArn"]
    for kind, body in files.items():
        s3.put_object(Bucket=name, Key=kind, Body=body.encode())
        schema = personalize.create_schema(name=f"{name}-{kind}", schema=names["avro"](kind))["schemaArn"]
        dataset = personalize.create_dataset(name=kind, datasetGroupArn=group, datasetType=kind,
                                             schemaArn=schema)["datasetArn"]
        personalize.create_dataset_import_job(jobName=kind, datasetArn=dataset, roleArn=names["ROLE"],
                                              dataSource={"dataLocation": f"s3://{name}/{kind}"})
    solution = personalize.create_solution(name=name, datasetGroupArn=group,
                                           recipeArn="arn:aws:personalize:::recipe/aws-user-personalization")
    version = personalize.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
    return clients, group, version
