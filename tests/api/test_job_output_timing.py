"""Job output appears in S3 while the job runs, after the job exists (issue 14, point 12).

The developer guide: *Creating a batch inference job* and *Creating a batch segment job* —
"When the batch ... job's status changes to Active, you can retrieve the job's output from
the designated output Amazon S3 bucket"; *Exporting a dataset* — "The dataset export job is
complete when the status is ACTIVE. You can then download the data". Clients that find a
job's files by comparing the objects' ``LastModified`` with the job's ``creationDateTime``
need the files written after the job was created, never inside the create call.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from moto.moto_api import state_manager

from tests.api.data_helpers import BATCH_ROLE as ROLE, trained_version

BATCH = "personalize::batch-inference-job"
SEGMENT = "personalize::batch-segment-job"
EXPORT = "personalize::dataset-export-job"


@contextmanager
def progression(model_name, **transition):
    """One lifecycle under another progression; everything else stays immediate."""
    state_manager.set_transition(model_name, transition)
    try:
        yield
    finally:
        state_manager.unset_transition(model_name)


def objects(api, prefix, bucket="shop-data"):
    return api.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])


def create_batch(api, version, name="timed", out="timed/out/", bucket="shop-data"):
    api.s3.put_object(Bucket="shop-data", Key="timed/in.json", Body='{"userId": "u1"}\n{"userId": "u2"}\n')
    return api.personalize.create_batch_inference_job(
        jobName=name, solutionVersionArn=version, roleArn=ROLE, numResults=5,
        jobInput={"s3DataSource": {"path": "s3://shop-data/timed/in.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{bucket}/{out}"}},
    )["batchInferenceJobArn"]


def describe_batch(api, arn):
    return api.personalize.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]


def test_batch_output_is_written_when_the_job_runs(api, shop):
    version = trained_version(api, shop, "aws-user-personalization")
    with progression(BATCH, progression="manual", times=2):
        arn = create_batch(api, version)
        assert objects(api, "timed/out/") == []  # nothing inside the create call
        job = describe_batch(api, arn)
        assert job["status"] == "CREATE PENDING" and objects(api, "timed/out/") == []
        assert describe_batch(api, arn)["status"] == "CREATE IN_PROGRESS"
        (written,) = objects(api, "timed/out/")
        assert written["Key"] == "timed/out/in.json.out"
        # What clients compare: the object is newer than the job (S3 shows whole seconds).
        assert written["LastModified"] > job["creationDateTime"]
        head = api.s3.head_object(Bucket="shop-data", Key="timed/out/in.json.out")
        assert head["LastModified"] > job["creationDateTime"]
        describe_batch(api, arn)
        assert describe_batch(api, arn)["status"] == "ACTIVE"


def test_immediate_jobs_show_their_output_after_one_describe(api, shop):
    version = trained_version(api, shop, "aws-user-personalization")
    arn = create_batch(api, version)
    job = describe_batch(api, arn)
    assert job["status"] == "ACTIVE"
    (written,) = objects(api, "timed/out/")
    assert written["LastModified"] > job["creationDateTime"]


def test_listing_runs_the_job_too(api, shop):
    version = trained_version(api, shop, "aws-user-personalization")
    with progression(BATCH, progression="manual", times=1):
        create_batch(api, version)
        assert objects(api, "timed/out/") == []
        (summary,) = api.personalize.list_batch_inference_jobs()["batchInferenceJobs"]
        assert summary["status"] == "CREATE IN_PROGRESS"
        assert len(objects(api, "timed/out/")) == 1


def test_the_output_does_not_depend_on_the_progression(api, shop):
    version = trained_version(api, shop, "aws-user-personalization")
    with progression(BATCH, progression="manual", times=3):
        slow = create_batch(api, version, name="slow", out="slow/")
        for _ in range(7):
            describe_batch(api, slow)
    fast = create_batch(api, version, name="fast", out="fast/")
    assert describe_batch(api, slow)["status"] == describe_batch(api, fast)["status"] == "ACTIVE"
    read = lambda key: api.s3.get_object(Bucket="shop-data", Key=key)["Body"].read()  # noqa: E731
    assert read("slow/in.json.out") == read("fast/in.json.out")


@pytest.mark.parametrize("manual", [False, True])
def test_an_output_bucket_gone_before_the_job_runs_fails_it(api, shop, manual):
    version = trained_version(api, shop, "aws-user-personalization")
    api.s3.create_bucket(Bucket="short-lived")
    transition = {"progression": "manual", "times": 1} if manual else {"progression": "immediate"}
    with progression(BATCH, **transition):
        arn = create_batch(api, version, bucket="short-lived")
        api.s3.delete_bucket(Bucket="short-lived")
        statuses = [describe_batch(api, arn)["status"] for _ in range(3)]
    assert statuses[-1] == "CREATE FAILED"
    assert "ACTIVE" not in statuses
    job = describe_batch(api, arn)
    assert "short-lived" in job["failureReason"] and "does not exist" in job["failureReason"]


def test_segment_output_is_written_when_the_job_runs(api, shop):
    version = trained_version(api, shop, "aws-item-affinity")
    api.s3.put_object(Bucket="shop-data", Key="seg-in/items.json", Body='{"itemId": "i3"}\n')
    with progression(SEGMENT, progression="manual", times=2):
        arn = api.personalize.create_batch_segment_job(
            jobName="timed", solutionVersionArn=version, roleArn=ROLE, numResults=3,
            jobInput={"s3DataSource": {"path": "s3://shop-data/seg-in/items.json"}},
            jobOutput={"s3DataDestination": {"path": "s3://shop-data/seg-out/"}},
        )["batchSegmentJobArn"]
        describe = lambda: api.personalize.describe_batch_segment_job(batchSegmentJobArn=arn)["batchSegmentJob"]  # noqa: E731
        job = describe()
        assert job["status"] == "CREATE PENDING" and objects(api, "seg-out/") == []
        assert describe()["status"] == "CREATE IN_PROGRESS"
        (written,) = objects(api, "seg-out/")
        assert written["LastModified"] > job["creationDateTime"]
    line = json.loads(api.s3.get_object(Bucket="shop-data", Key="seg-out/items.json.out")["Body"].read())
    assert len(line["output"]["usersList"]) == 3


def test_export_output_is_written_when_the_job_runs(api, shop):
    with progression(EXPORT, progression="manual", times=2):
        arn = api.personalize.create_dataset_export_job(
            jobName="timed", datasetArn=shop["datasets"]["Interactions"], roleArn=ROLE,
            jobOutput={"s3DataDestination": {"path": "s3://shop-data/exported/"}},
        )["datasetExportJobArn"]
        describe = lambda: api.personalize.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]  # noqa: E731
        job = describe()
        assert job["status"] == "CREATE PENDING" and objects(api, "exported/") == []
        assert describe()["status"] == "CREATE IN_PROGRESS"
        (written,) = objects(api, "exported/")
        assert written["Key"] == "exported/timed_part_00000.csv"
        assert written["LastModified"] > job["creationDateTime"]
        describe()
        assert describe()["status"] == "ACTIVE"
