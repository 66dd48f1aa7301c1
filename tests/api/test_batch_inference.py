"""Batch inference jobs through boto3: JSON Lines in, ``.out`` JSON Lines out."""

from __future__ import annotations

import json

import pytest

from tests.api.data_helpers import BATCH_ROLE as ROLE
from tests.api.data_helpers import output_lines, run_job, trained_version
from tests.api.test_runtime import RECIPE, group_of


def test_user_personalization_batch_with_scores_and_a_bad_line(api, shop):
    version = trained_version(api, shop, "aws-user-personalization")
    arn, job = run_job(api, version, [{"userId": "u1"}, {"userId": "u2"}, {"itemId": "i1"}], numResults=5,
                       batchInferenceJobConfig={"itemExplorationConfig": {"explorationWeight": "0"}})
    assert job["status"] == "ACTIVE" and job["numResults"] == 5 and job["batchInferenceJobMode"] == "BATCH_INFERENCE"
    first, second, bad = output_lines(api)
    assert first["input"] == {"userId": "u1"} and first["error"] is None
    assert len(first["output"]["recommendedItems"]) == 5 == len(first["output"]["scores"])
    assert all(group_of(i) == 1 for i in first["output"]["recommendedItems"])
    assert all(group_of(i) == 2 for i in second["output"]["recommendedItems"])
    assert bad["output"] is None and "userId is required" in bad["error"]
    (summary,) = api.personalize.list_batch_inference_jobs(solutionVersionArn=version)["batchInferenceJobs"]
    assert summary["batchInferenceJobArn"] == arn and summary["status"] == "ACTIVE"


def test_related_items_batch_has_no_scores_and_filters_apply(api, shop):
    version = trained_version(api, shop, "aws-sims")
    flt = api.personalize.create_filter(name="only-g2", datasetGroupArn=shop["group"],
                                        filterExpression='INCLUDE ItemID WHERE Items.GENRES IN ($G)')["filterArn"]
    _, job = run_job(api, version, [{"itemId": "i3", "filterValues": {"G": '"g2"'}}], filterArn=flt, numResults=4)
    (line,) = output_lines(api)
    assert job["status"] == "ACTIVE" and "scores" not in line["output"]
    assert line["output"]["recommendedItems"] and all(group_of(i) == 2 for i in line["output"]["recommendedItems"])


def test_personalized_ranking_batch(api, shop):
    version = trained_version(api, shop, "aws-personalized-ranking")
    run_job(api, version, [{"userId": "u2", "itemList": ["i5", "zzz", "i31"]}])
    (line,) = output_lines(api)
    assert line["output"]["recommendedItems"] == ["i31", "i5", "zzz"]
    assert len(line["output"]["scores"]) == 2  # the unknown item has no score


def test_missing_input_fails_the_job(api, shop):
    version = trained_version(api, shop, "aws-popularity-count")
    arn = api.personalize.create_batch_inference_job(
        jobName="missing", solutionVersionArn=version, roleArn=ROLE,
        jobInput={"s3DataSource": {"path": "s3://shop-data/nothing-here.json"}},
        jobOutput={"s3DataDestination": {"path": "s3://shop-data/out/"}},
    )["batchInferenceJobArn"]
    job = api.personalize.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]
    assert job["status"] == "CREATE FAILED" and "nothing-here.json" in job["failureReason"]


@pytest.mark.parametrize("kwargs, error", [
    ({"jobOutput": {"s3DataDestination": {"path": "s3://shop-data/batch/in/"}}}, "InvalidInputException"),
    ({"numResults": 501}, "InvalidInputException"),
    ({"batchInferenceJobMode": "THEME_GENERATION"}, "InvalidInputException"),
    ({"solutionVersionArn": "arn:aws:personalize:us-east-1:123456789012:solution/none/00000000"}, "ResourceNotFoundException"),
])
def test_create_errors(api, shop, kwargs, error):
    version = trained_version(api, shop, "aws-user-personalization")
    request = dict(jobName="bad", solutionVersionArn=version, roleArn=ROLE,
                   jobInput={"s3DataSource": {"path": "s3://shop-data/batch/in/"}},
                   jobOutput={"s3DataDestination": {"path": "s3://shop-data/batch/out/"}})
    request.update(kwargs)
    with pytest.raises(api.personalize.exceptions.ClientError) as excinfo:
        api.personalize.create_batch_inference_job(**request)
    assert excinfo.value.response["Error"]["Code"] == error


# ---- batch segment jobs ----------------------------------------------------------------------
def run_segment_job(api, version, lines, name="segments", **kwargs):
    arn, job = run_job(api, version, lines, name, kind="segment", **kwargs)
    return arn, job, output_lines(api, kind="segment")


def user_group(user_id):
    return int(user_id[1:]) % 4


def test_item_affinity_segments(api, shop):
    version = trained_version(api, shop, "aws-item-affinity")
    arn, job, (first, bad) = run_segment_job(api, version, [{"itemId": "i31"}, {"userId": "u1"}], numResults=10)
    assert job["status"] == "ACTIVE" and job["numResults"] == 10
    assert len(first["output"]["usersList"]) == 10 and first["error"] is None
    assert sum(user_group(u) == 2 for u in first["output"]["usersList"]) >= 8  # i31 is group 2's
    assert bad["output"] is None and "itemId" in bad["error"]
    (summary,) = api.personalize.list_batch_segment_jobs(solutionVersionArn=version)["batchSegmentJobs"]
    assert summary["batchSegmentJobArn"] == arn


def test_item_attribute_affinity_segments_with_a_user_filter(api, shop):
    version = trained_version(api, shop, "aws-item-attribute-affinity")
    flt = api.personalize.create_filter(name="gold", datasetGroupArn=shop["group"],
                                        filterExpression='INCLUDE UserID WHERE Users.TIER IN ("gold")')["filterArn"]
    _, job, (line,) = run_segment_job(api, version, [{"itemAttributes": 'ITEMS.GENRES = "g3"'}], filterArn=flt, numResults=5)
    users = line["output"]["usersList"]
    assert job["status"] == "ACTIVE" and len(users) == 5
    assert all(int(u[1:]) < 100 for u in users)  # gold users are u0..u99
    assert sum(user_group(u) == 3 for u in users) >= 4


def test_segment_job_needs_a_segmentation_recipe(api, shop):
    version = trained_version(api, shop, "aws-user-personalization")
    with pytest.raises(api.personalize.exceptions.InvalidInputException):
        api.personalize.create_batch_segment_job(
            jobName="nope", solutionVersionArn=version, roleArn=ROLE,
            jobInput={"s3DataSource": {"path": "s3://shop-data/segments/in/"}},
            jobOutput={"s3DataDestination": {"path": "s3://shop-data/segments/out/"}},
        )


def test_theme_generation(api, monkeypatch):
    from tests.conftest import INTERACTIONS_SCHEMA, avro

    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")
    p = api.personalize
    items_schema = avro(
        "Items",
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TITLE", "type": "string"},
        {"name": "GENRES", "type": "string", "categorical": True},
        {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True},
    )
    api.s3.create_bucket(Bucket="theme-data")
    api.s3.put_object(Bucket="theme-data", Key="i.csv", Body="USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n" + "".join(
        f"u{u},m{(u + k) % 6 + (0 if u % 2 else 6)},{1_700_000_000 + u * 10 + k},watch\n" for u in range(40) for k in range(4)))
    api.s3.put_object(Bucket="theme-data", Key="items.csv", Body="ITEM_ID,TITLE,GENRES,DESCRIPTION\n" + "".join(
        f"m{n},Movie {n},{'comedy' if n < 6 else 'drama'},\"A film\"\n" for n in range(12)))
    group = p.create_dataset_group(name="movies")["datasetGroupArn"]
    for kind, schema, key in (("Interactions", INTERACTIONS_SCHEMA, "i.csv"), ("Items", items_schema, "items.csv")):
        schema_arn = p.create_schema(name=f"movies-{kind}", schema=schema)["schemaArn"]
        dataset = p.create_dataset(name=kind, schemaArn=schema_arn, datasetGroupArn=group, datasetType=kind)["datasetArn"]
        p.create_dataset_import_job(jobName=kind, datasetArn=dataset, dataSource={"dataLocation": f"s3://theme-data/{key}"})
    solution = p.create_solution(name="similar", datasetGroupArn=group, recipeArn=RECIPE + "aws-similar-items")["solutionArn"]
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    api.s3.put_object(Bucket="theme-data", Key="batch/in.json", Body='{"itemId": "m1"}\n')
    request = dict(jobName="themes", solutionVersionArn=version, roleArn=ROLE, numResults=3,
                   jobInput={"s3DataSource": {"path": "s3://theme-data/batch/in.json"}},
                   jobOutput={"s3DataDestination": {"path": "s3://theme-data/out/"}},
                   batchInferenceJobMode="THEME_GENERATION")
    with pytest.raises(p.exceptions.InvalidInputException):
        p.create_batch_inference_job(**request)  # no themeGenerationConfig
    arn = p.create_batch_inference_job(**request, themeGenerationConfig={"fieldsForThemeGeneration": {"itemName": "TITLE"}})["batchInferenceJobArn"]
    job = p.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]
    assert job["status"] == "ACTIVE" and job["batchInferenceJobMode"] == "THEME_GENERATION"
    line = json.loads(api.s3.get_object(Bucket="theme-data", Key="out/in.json.out")["Body"].read())
    output = line["output"]
    assert len(output["recommendedItems"]) == 3 and output["theme"].startswith("More like Movie 1")
    assert len(output["itemsThemeRelevanceScores"]) == 3
    assert all(-0.1 <= s <= 0.6 for s in output["itemsThemeRelevanceScores"])
