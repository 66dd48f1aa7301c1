"""One user's whole session, run in a fresh process by ``test_two_processes``: import, train
user-personalization, personalized-ranking, SIMS and item-affinity versions, a campaign with
exploration on and a filter, events, a batch inference and a batch segment job.

Prints one JSON document: ``content`` (what must never depend on the process: metrics, item
lists, scores, rankings, ``.out`` files) and ``responses`` (every response whole, timestamps
and request metadata dropped: identical across processes only with the seed switch).

    python -m tests.reproducibility.scenario [SEED]
"""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

import boto3

from personalize_mock import mock_personalize
from tests.api.test_runtime import INTERACTIONS_SCHEMA, ITEMS_SCHEMA, RECIPE, interactions_csv, items_csv

ROLE = "arn:aws:iam::123456789012:role/personalize"
responses: list[Any] = []


def keep(response: dict[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, datetime.datetime):
            return "<time>"
        return value

    responses.append(plain(response))
    return response


def version(p: Any, group: str, recipe: str, name: str) -> str:
    solution = keep(p.create_solution(name=name, datasetGroupArn=group, recipeArn=RECIPE + recipe))["solutionArn"]
    arn = keep(p.create_solution_version(solutionArn=solution))["solutionVersionArn"]
    status = keep(p.describe_solution_version(solutionVersionArn=arn))["solutionVersion"]
    assert status["status"] == "ACTIVE", status.get("failureReason")
    return arn


def run() -> dict[str, Any]:
    p = boto3.client("personalize", region_name="us-east-1")
    events = boto3.client("personalize-events", region_name="us-east-1")
    runtime = boto3.client("personalize-runtime", region_name="us-east-1")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="interactions.csv", Body=interactions_csv())
    s3.put_object(Bucket="data", Key="items.csv", Body=items_csv())
    group = keep(p.create_dataset_group(name="shop"))["datasetGroupArn"]
    for kind, schema in (("Interactions", INTERACTIONS_SCHEMA), ("Items", ITEMS_SCHEMA)):
        schema_arn = keep(p.create_schema(name=kind, schema=schema))["schemaArn"]
        dataset = keep(p.create_dataset(name=kind, schemaArn=schema_arn, datasetGroupArn=group, datasetType=kind))["datasetArn"]
        job = keep(p.create_dataset_import_job(jobName=kind, datasetArn=dataset, roleArn=ROLE,
                                               dataSource={"dataLocation": f"s3://data/{kind.lower()}.csv"}))
        keep(p.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"]))
    tracking = keep(p.create_event_tracker(name="web", datasetGroupArn=group))["trackingId"]
    content: dict[str, Any] = {"metrics": {}}
    versions = {recipe: version(p, group, recipe, recipe[4:])
                for recipe in ("aws-user-personalization", "aws-personalized-ranking", "aws-sims", "aws-item-affinity")}
    for recipe, arn in versions.items():
        content["metrics"][recipe] = keep(p.get_solution_metrics(solutionVersionArn=arn))["metrics"]
    campaign = keep(p.create_campaign(name="up", solutionVersionArn=versions["aws-user-personalization"]))["campaignArn"]
    ranking = keep(p.create_campaign(name="rank", solutionVersionArn=versions["aws-personalized-ranking"]))["campaignArn"]
    sims = keep(p.create_campaign(name="sims", solutionVersionArn=versions["aws-sims"]))["campaignArn"]
    genre = keep(p.create_filter(name="genre", datasetGroupArn=group,
                                 filterExpression="INCLUDE ItemID WHERE Items.GENRES IN ($G)"))["filterArn"]

    def lists(label: str) -> None:
        for user in ("u1", "u2", "u77", "stranger"):
            content[f"{label}/{user}"] = keep(runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=10))["itemList"]
            content[f"{label}/{user}/filtered"] = keep(runtime.get_recommendations(
                campaignArn=campaign, userId=user, numResults=5, filterArn=genre, filterValues={"G": '"g2"'}))["itemList"]
        content[f"{label}/ranking"] = keep(runtime.get_personalized_ranking(
            campaignArn=ranking, userId="u2", inputList=["i1", "i5", "i31", "i40", "i62"]))["personalizedRanking"]
        content[f"{label}/sims"] = keep(runtime.get_recommendations(campaignArn=sims, itemId="i3", numResults=10))["itemList"]

    lists("before")
    shown = keep(runtime.get_recommendations(campaignArn=campaign, userId="u1", numResults=5))
    keep(events.put_events(trackingId=tracking, userId="u1", sessionId="s1", eventList=[
        {"eventType": "click", "itemId": f"i{40 + n}", "sentAt": 1_700_000_000 + n,
         "recommendationId": shown["recommendationId"]} for n in range(5)]))
    lists("after")
    s3.put_object(Bucket="data", Key="batch/users.json", Body="".join(json.dumps({"userId": f"u{n}"}) + "\n" for n in range(0, 200, 7)))
    job = keep(p.create_batch_inference_job(
        jobName="nightly", solutionVersionArn=versions["aws-user-personalization"], roleArn=ROLE, numResults=10,
        jobInput={"s3DataSource": {"path": "s3://data/batch/users.json"}},
        jobOutput={"s3DataDestination": {"path": "s3://data/batch/out/"}}))
    keep(p.describe_batch_inference_job(batchInferenceJobArn=job["batchInferenceJobArn"]))
    s3.put_object(Bucket="data", Key="segments/items.json", Body='{"itemId": "i3"}\n{"itemId": "i40"}\n')
    segment = keep(p.create_batch_segment_job(
        jobName="segments", solutionVersionArn=versions["aws-item-affinity"], roleArn=ROLE, numResults=20,
        jobInput={"s3DataSource": {"path": "s3://data/segments/items.json"}},
        jobOutput={"s3DataDestination": {"path": "s3://data/segments/out/"}}))
    keep(p.describe_batch_segment_job(batchSegmentJobArn=segment["batchSegmentJobArn"]))
    for prefix in ("batch/out/", "segments/out/"):
        for entry in s3.list_objects_v2(Bucket="data", Prefix=prefix).get("Contents", []):
            content[entry["Key"]] = s3.get_object(Bucket="data", Key=entry["Key"])["Body"].read().decode()
    return content


def main(argv: list[str]) -> None:
    seed = int(argv[0]) if argv else None
    with mock_personalize(seed=seed):
        content = run()
    print(json.dumps({"content": content, "responses": responses}, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
