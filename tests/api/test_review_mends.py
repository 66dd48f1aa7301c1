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


def test_listing_and_reading_agree_on_empty_objects(personalize_mocked):
    from personalize_mock.s3io import S3, S3Error
    from tests.conftest import ACCOUNT, REGION, make_clients

    s3 = make_clients("inprocess").s3
    s3.create_bucket(Bucket="listing")
    for key, body in [("in/", b""), ("in/a.csv", b"x\n"), ("in/empty.csv", b""), ("in/b.csv", b"yz\n"), ("lone.csv", b"")]:
        s3.put_object(Bucket="listing", Key=key, Body=body)
    store = S3(ACCOUNT, REGION)
    assert store.objects("s3://listing/in/") == [("s3://listing/in/a.csv", 2), ("s3://listing/in/b.csv", 3)]
    assert [url for url, _ in store.read("s3://listing/in/")] == [url for url, _ in store.objects("s3://listing/in/")]
    assert store.objects("s3://listing/in/a.csv") == [("s3://listing/in/a.csv", 2)]
    assert store.objects("s3://listing/lone.csv") == [("s3://listing/lone.csv", 0)] == [
        (url, len(data)) for url, data in store.read("s3://listing/lone.csv")]  # named exactly: listed, even empty
    assert store.objects("s3://listing/nothing/") == [] and store.objects("s3://missing/x") == []
    try:
        store.each("s3://listing/nothing/")
    except S3Error as error:
        assert "no object found" in str(error)
    else:
        raise AssertionError("an empty location must raise before the first object")


def action_dataset(p, group_name, schema_name):
    from tests.conftest import ACTION_INTERACTIONS_SCHEMA

    group = p.create_dataset_group(name=group_name)["datasetGroupArn"]
    schema = p.create_schema(name=schema_name, schema=ACTION_INTERACTIONS_SCHEMA)["schemaArn"]
    arn = p.create_dataset(name=f"{group_name}-ai", datasetGroupArn=group, schemaArn=schema,
                           datasetType="Action_Interactions")["datasetArn"]
    return p.describe_dataset(datasetArn=arn)["dataset"]["trackingId"]


def test_a_restored_state_with_the_seed_switch_gets_a_fresh_action_tracking_id(tmp_path, personalize_credentials):
    """The seed switch replays moto's random ids; an Action_Interactions dataset created after a
    restore must not take the tracking id a restored dataset holds (PutActionInteractions finds
    the dataset by it)."""
    import boto3

    from personalize_mock import mock_personalize, persistence

    with mock_personalize(seed=7):
        first = action_dataset(boto3.client("personalize", region_name="us-east-1"), "g", "s")
        persistence.save(tmp_path)
    with mock_personalize(seed=7):
        persistence.restore(tmp_path)
        p = boto3.client("personalize", region_name="us-east-1")
        second = action_dataset(p, "g2", "s2")
        tracker = p.create_event_tracker(name="t", datasetGroupArn=p.list_dataset_groups()["datasetGroups"][0]["datasetGroupArn"])
        held = [p.describe_dataset(datasetArn=d["datasetArn"])["dataset"].get("trackingId")
                for d in p.list_datasets()["datasets"]]
    assert second != first and tracker["trackingId"] not in (first, second)
    assert sorted(held) == sorted([first, second])
