"""Regression tests for small mends: batch line parsing, S3 listings, tracking ids."""

from __future__ import annotations

import json

from tests.api.test_batch_inference import ROLE, trained_version

BAD_LINES = '{"userId": "u1"}\nnot json\n[1, 2]\n'


def put_and_read(api, key, body):
    api.s3.put_object(Bucket="shop-data", Key=f"{key}/in/input.json", Body=body)
    return f"s3://shop-data/{key}/in/input.json", f"s3://shop-data/{key}/out/"


def out_lines(api, key):
    body = api.s3.get_object(Bucket="shop-data", Key=f"{key}/out/input.json.out")["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def test_batch_inference_refuses_lines_that_are_not_json_objects(api, shop):
    version = trained_version(api, shop, "aws-personalized-ranking")
    source, target = put_and_read(api, "rank", BAD_LINES.replace('"u1"}', '"u1", "itemList": ["i5"]}'))
    arn = api.personalize.create_batch_inference_job(
        jobName="bad-lines", solutionVersionArn=version, roleArn=ROLE,
        jobInput={"s3DataSource": {"path": source}}, jobOutput={"s3DataDestination": {"path": target}},
    )["batchInferenceJobArn"]
    assert api.personalize.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]["status"] == "ACTIVE"
    good, not_json, array = out_lines(api, "rank")
    assert good["error"] is None and good["output"]["recommendedItems"] == ["i5"]
    assert not_json == {"input": "not json", "output": None, "error": "The line is not valid JSON."}
    assert array == {"input": [1, 2], "output": None, "error": "Each line must be a JSON object."}


def test_batch_segments_refuse_lines_that_are_not_json_objects(api, shop):
    version = trained_version(api, shop, "aws-item-affinity")
    source, target = put_and_read(api, "seg", BAD_LINES.replace('"userId": "u1"', '"itemId": "i31"'))
    arn = api.personalize.create_batch_segment_job(
        jobName="bad-lines", solutionVersionArn=version, roleArn=ROLE, numResults=3,
        jobInput={"s3DataSource": {"path": source}}, jobOutput={"s3DataDestination": {"path": target}},
    )["batchSegmentJobArn"]
    assert api.personalize.describe_batch_segment_job(batchSegmentJobArn=arn)["batchSegmentJob"]["status"] == "ACTIVE"
    good, not_json, array = out_lines(api, "seg")
    assert good["error"] is None and len(good["output"]["usersList"]) == 3
    assert not_json == {"input": "not json", "output": None, "error": "The line is not valid JSON."}
    assert array == {"input": [1, 2], "output": None, "error": "Each line must be a JSON object."}
