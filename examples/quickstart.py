"""End-to-end example: a dataset group, a schema and a dataset through boto3, offline.

Run it with ``python examples/quickstart.py``. Nothing leaves this machine: the fake
credentials below never reach AWS, because ``mock_personalize`` intercepts every call.
"""

from __future__ import annotations

import json
import os

import boto3

from personalize_mock import mock_personalize

INTERACTIONS_SCHEMA = {
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


def main() -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    with mock_personalize():
        personalize = boto3.client("personalize", region_name="us-east-1")

        group_arn = personalize.create_dataset_group(name="quickstart")["datasetGroupArn"]
        schema_arn = personalize.create_schema(
            name="quickstart-interactions", schema=json.dumps(INTERACTIONS_SCHEMA)
        )["schemaArn"]
        dataset_arn = personalize.create_dataset(
            name="quickstart-interactions",
            datasetGroupArn=group_arn,
            datasetType="Interactions",
            schemaArn=schema_arn,
        )["datasetArn"]

        group = personalize.describe_dataset_group(datasetGroupArn=group_arn)["datasetGroup"]
        schema = personalize.describe_schema(schemaArn=schema_arn)["schema"]
        dataset = personalize.describe_dataset(datasetArn=dataset_arn)["dataset"]
        print(f"dataset group {group['datasetGroupArn']}: {group['status']}")
        print(f"schema        {schema['schemaArn']}")
        print(f"dataset       {dataset['datasetArn']}: {dataset['status']}")
        assert group["status"] == dataset["status"] == "ACTIVE"


if __name__ == "__main__":
    main()
