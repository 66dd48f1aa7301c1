"""CreateDatasetImportJob / DescribeDatasetImportJob / ListDatasetImportJobs through boto3,
reading CSV from moto's S3; content checked with export jobs."""

import pytest
from botocore.exceptions import ClientError

from tests.api.data_helpers import (
    BUCKET,
    RICH_USERS_SCHEMA,
    ROLE,
    export,
    import_job,
    interaction_rows,
    interactions_csv,
    make_bucket,
    make_dataset,
    make_group,
    put,
    wait_status,
)
from tests.conftest import arn, error_code, error_message

INTERACTIONS_HEADER = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"]
USERS_HEADER = ["USER_ID", "MEMBERSHIP", "AGE"]


@pytest.fixture
def world(api):
    """A bucket and a group with Interactions and (rich) Users datasets."""
    make_bucket(api.s3)
    group = make_group(api.personalize)
    api.interactions = make_dataset(api.personalize, group, "INTERACTIONS")
    api.users = make_dataset(api.personalize, group, "USERS", RICH_USERS_SCHEMA)
    api.group = group
    return api


@pytest.fixture
def relaxed(monkeypatch):
    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")


def users_csv(*rows, header="USER_ID,MEMBERSHIP,AGE"):
    return "\n".join([header, *rows]) + "\n"


# ---- success ---------------------------------------------------------------------------------


def test_import_single_file_round_trips_through_export(world):
    p = world.personalize
    location = put(world.s3, "interactions/all.csv", interactions_csv(1000))
    job = import_job(p, "import-1", world.interactions, location)
    assert job["status"] == "ACTIVE"
    assert "failureReason" not in job
    header, rows = export(world, world.interactions, "BULK")
    assert header == INTERACTIONS_HEADER
    assert rows == interaction_rows(1000)


def test_import_prefix_reads_every_file_in_key_order(world):
    p = world.personalize
    # 600 + 400 rows: the 1000-record minimum is for the job, not for each file.
    put(world.s3, "batch/part-2.csv", interactions_csv(400, start=600))
    put(world.s3, "batch/part-1.csv", interactions_csv(600))
    put(world.s3, "batch/empty.csv", b"")  # an empty object is skipped
    put(world.s3, "other/ignored.csv", "not,csv,at,all\n")
    job = import_job(p, "from-prefix", world.interactions, f"s3://{BUCKET}/batch/")
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert export(world, world.interactions, "BULK")[1] == interaction_rows(1000)


def test_import_prefix_with_a_folder_marker(world):
    p = world.personalize
    put(world.s3, "batch/", b"")  # what the S3 console's "Create folder" leaves
    put(world.s3, "batch/part-1.csv", interactions_csv(1000))
    job = import_job(p, "marker", world.interactions, f"s3://{BUCKET}/batch/")
    assert job["status"] == "ACTIVE", job.get("failureReason")


def test_prefix_without_slash_matches_sibling_prefixes(world):
    p = world.personalize
    put(world.s3, "folder/a.csv", interactions_csv(500))
    put(world.s3, "folder_test/b.csv", interactions_csv(500, start=500))
    job = import_job(p, "siblings", world.interactions, f"s3://{BUCKET}/folder")
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert len(export(world, world.interactions, "BULK")[1]) == 1000


def test_an_exact_key_is_read_alone(world):
    p = world.personalize
    location = put(world.s3, "users.csv", users_csv("u1,gold,1"))
    put(world.s3, "users.csv.old", "garbage\n")  # shares the key as a prefix
    job = import_job(p, "exact", world.users, location)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert export(world, world.users, "BULK")[1] == [["u1", "gold", "1"]]


def test_full_replaces_incremental_appends_interactions(world):
    p = world.personalize
    assert import_job(p, "full-1", world.interactions, put(world.s3, "a.csv", interactions_csv(1000)))["status"] == "ACTIVE"
    job = import_job(p, "inc-1", world.interactions, put(world.s3, "b.csv", interactions_csv(1000, start=1000)),
                     mode="INCREMENTAL")
    assert job["status"] == "ACTIVE" and job["importMode"] == "INCREMENTAL"
    # Interactions have no record id: INCREMENTAL keeps every row, even repeated ones.
    assert export(world, world.interactions, "BULK")[1] == interaction_rows(2000)
    assert import_job(p, "inc-2", world.interactions, f"s3://{BUCKET}/a.csv", mode="INCREMENTAL")["status"] == "ACTIVE"
    assert len(export(world, world.interactions, "BULK")[1]) == 2000  # identical rows are exported once
    assert import_job(p, "full-2", world.interactions, put(world.s3, "c.csv", interactions_csv(1000, start=5000)),
                      mode="FULL")["status"] == "ACTIVE"
    assert export(world, world.interactions, "BULK")[1] == interaction_rows(1000, start=5000)


def test_incremental_upserts_users_by_id_and_full_replaces(world):
    p = world.personalize
    import_job(p, "users-full", world.users, put(world.s3, "u1.csv", users_csv("u1,gold,30", "u2,silver,", "u3,bronze,50")))
    import_job(p, "users-inc", world.users, put(world.s3, "u2.csv", users_csv("u3,gold,51", "u4,basic,20")),
               mode="INCREMENTAL")
    header, rows = export(world, world.users, "BULK")
    assert header == USERS_HEADER
    assert rows == [["u1", "gold", "30"], ["u2", "silver", ""], ["u3", "gold", "51"], ["u4", "basic", "20"]]
    # Within one file the last record of an id wins.
    import_job(p, "users-full-2", world.users, put(world.s3, "u3.csv", users_csv("u9,a,1", "u8,b,2", "u9,c,3")))
    assert export(world, world.users, "BULK")[1] == [["u8", "b", "2"], ["u9", "c", "3"]]


def test_header_case_does_not_matter_nullable_columns_may_be_absent(world):
    # Column order does matter (*Dataset schemas*; tests/api/test_fidelity_data.py): this test
    # imported "membership,user_id" before issue 14, point 6.
    p = world.personalize
    job = import_job(p, "lower", world.users, put(world.s3, "u.csv", "user_id,membership\nu1,gold\n"))
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert export(world, world.users, "BULK")[1] == [["u1", "gold", ""]]


def test_incremental_before_any_full_import_is_refused(world):
    p = world.personalize
    location = put(world.s3, "u.csv", users_csv("u1,gold,1"))
    with pytest.raises(ClientError) as excinfo:
        p.create_dataset_import_job(jobName="inc-first", datasetArn=world.users, roleArn=ROLE,
                                    dataSource={"dataLocation": location}, importMode="INCREMENTAL")
    assert error_code(excinfo) == "InvalidInputException"
    assert "FULL" in error_message(excinfo)
    assert p.list_dataset_import_jobs(datasetArn=world.users)["datasetImportJobs"] == []
    # A FULL import that failed does not count either.
    assert import_job(p, "bad-full", world.users, put(world.s3, "bad.csv", "USER_ID\nu1\n"))["status"] == "CREATE FAILED"
    with pytest.raises(ClientError) as excinfo:
        p.create_dataset_import_job(jobName="inc-second", datasetArn=world.users, roleArn=ROLE,
                                    dataSource={"dataLocation": location}, importMode="INCREMENTAL")
    assert error_code(excinfo) == "InvalidInputException"


def test_fewer_than_1000_interactions_fail_unless_relaxed(world, monkeypatch):
    p = world.personalize
    location = put(world.s3, "small.csv", interactions_csv(999))
    job = import_job(p, "small", world.interactions, location)
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"].startswith(f"Input data at {location} has 999 records;")
    assert "at least 1000" in job["failureReason"]
    # Other dataset types have no minimum.
    assert import_job(p, "one-user", world.users, put(world.s3, "u.csv", users_csv("u1,gold,1")))["status"] == "ACTIVE"

    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")
    job = import_job(p, "small-relaxed", world.interactions, location)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert len(export(world, world.interactions, "BULK")[1]) == 999


def test_incremental_interactions_also_need_1000_records(world):
    p = world.personalize
    import_job(p, "full", world.interactions, put(world.s3, "a.csv", interactions_csv(1000)))
    job = import_job(p, "inc", world.interactions, put(world.s3, "b.csv", interactions_csv(10, start=2000)),
                     mode="INCREMENTAL")
    assert job["status"] == "CREATE FAILED"
    assert "has 10 records" in job["failureReason"]
    assert export(world, world.interactions, "BULK")[1] == interaction_rows(1000)


# ---- failures: the job exists, CREATE FAILED, data unchanged -------------------------------


BAD_USERS = [
    ("USER_ID,AGE\nu1,3\n", "Input CSV is missing the following columns: ['MEMBERSHIP']"),
    ("USER_ID,MEMBERSHIP,COLOR\nu1,gold,red\n", "Input CSV has columns that are not in the dataset's schema: ['COLOR']"),
    ("USER_ID,MEMBERSHIP,AGE\nu1,gold,1\nu2,gold,old\n", "row 2 (line 3 of the file), column AGE: 'old' is not a valid int."),
    ("USER_ID,MEMBERSHIP,AGE\nu1,gold,1\nu2,gold,2\nu3,gold,3000000000\n",
     "row 3 (line 4 of the file), column AGE: '3000000000' is out of range for int."),
    ("USER_ID,MEMBERSHIP\nu1,gold\nu2,\n", "row 2 (line 3 of the file), column MEMBERSHIP: a value is required (the field is not nullable)."),
    ("USER_ID,MEMBERSHIP\n,gold\n", "row 1 (line 2 of the file), column USER_ID: a value is required (the field is not nullable)."),
    (f"USER_ID,MEMBERSHIP\nu1,gold\n{'u' * 257},gold\n", "row 2 (line 3 of the file), column USER_ID: the id is longer than 256 characters."),
    (f"USER_ID,MEMBERSHIP\nu1,{'m' * 1001}\n", "row 1 (line 2 of the file), column MEMBERSHIP: a categorical value is longer than 1000 characters."),
    ("", "the file is empty; it must start with a header row."),
]


def test_bad_data_fails_the_job_and_keeps_earlier_data(world):
    p = world.personalize
    import_job(p, "good", world.users, put(world.s3, "good.csv", users_csv("u0,gold,7", "u1,silver,8")))
    before = export(world, world.users, "BULK")
    assert before[1] == [["u0", "gold", "7"], ["u1", "silver", "8"]]
    for n, (text, reason) in enumerate(BAD_USERS):
        location = put(world.s3, f"bad/users-{n}.csv", text)
        job = import_job(p, f"bad-{n}", world.users, location)
        assert (job["status"], job["failureReason"]) == ("CREATE FAILED", f"{location}: {reason}")
    assert export(world, world.users, "BULK") == before
    listed = p.list_dataset_import_jobs(datasetArn=world.users)["datasetImportJobs"]
    assert [j["status"] for j in listed] == ["CREATE FAILED"] * len(BAD_USERS) + ["ACTIVE"]
    assert listed[0]["failureReason"] == f"s3://{BUCKET}/bad/users-{len(BAD_USERS) - 1}.csv: {BAD_USERS[-1][1]}"
    assert "failureReason" not in listed[-1]


def test_one_bad_file_under_a_prefix_fails_the_whole_job(world):
    p = world.personalize
    import_job(p, "good", world.users, put(world.s3, "good.csv", users_csv("u0,gold,7")))
    put(world.s3, "many/1.csv", users_csv("u1,gold,1"))
    bad = put(world.s3, "many/2.csv", users_csv("u2,gold,x"))
    job = import_job(p, "prefix", world.users, f"s3://{BUCKET}/many/", mode="INCREMENTAL")
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == f"{bad}: row 1 (line 2 of the file), column AGE: 'x' is not a valid int."
    assert export(world, world.users, "BULK")[1] == [["u0", "gold", "7"]]


def test_bad_interactions_fail_with_file_row_and_column(world):
    p = world.personalize
    text = interactions_csv(1000).replace("u7,i7,1700000007,click", "u7,i7,yesterday,click")
    location = put(world.s3, "bad-interactions.csv", text)
    job = import_job(p, "bad", world.interactions, location)
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == f"{location}: row 8 (line 9 of the file), column TIMESTAMP: 'yesterday' is not a valid long."
    assert export(world, world.interactions, "BULK")[1] == []


MISSING = [
    ("s3://no-such-bucket/x.csv", "Invalid Data location: bucket no-such-bucket of s3://no-such-bucket/x.csv does not exist."),
    (f"s3://{BUCKET}/missing.csv", f"Invalid Data location: no object found at s3://{BUCKET}/missing.csv."),
    (f"s3://{BUCKET}/nothing/", f"Invalid Data location: no object found at s3://{BUCKET}/nothing/."),
]


def test_missing_bucket_or_key_fails_the_job(world):
    for n, (location, reason) in enumerate(MISSING):
        job = import_job(world.personalize, f"missing-{n}", world.users, location)
        assert (job["status"], job["failureReason"]) == ("CREATE FAILED", reason)
        assert job["dataSource"] == {"dataLocation": location}


def test_bucket_in_another_region_fails_the_job(world):
    world.s3.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    world.s3.put_object(Bucket="eu-bucket", Key="u.csv", Body=users_csv("u1,gold,1").encode())
    job = import_job(world.personalize, "far", world.users, "s3://eu-bucket/u.csv")
    assert job["status"] == "CREATE FAILED"
    assert "eu-west-1" in job["failureReason"] and "us-east-1" in job["failureReason"]


# ---- describe / list -------------------------------------------------------------------------


def test_describe_fields(world):
    p = world.personalize
    location = put(world.s3, "u.csv", users_csv("u1,gold,1"))
    created = p.create_dataset_import_job(
        jobName="described", datasetArn=world.users, dataSource={"dataLocation": location}, roleArn=ROLE,
        importMode="FULL", publishAttributionMetricsToS3=False, tags=[{"tagKey": "team", "tagValue": "data"}],
    )
    job_arn = created["datasetImportJobArn"]
    assert job_arn == arn("dataset-import-job/described")
    job = p.describe_dataset_import_job(datasetImportJobArn=job_arn)["datasetImportJob"]
    assert job["jobName"] == "described"
    assert job["datasetImportJobArn"] == job_arn
    assert job["datasetArn"] == world.users
    assert job["dataSource"] == {"dataLocation": location}
    assert job["roleArn"] == ROLE
    assert job["importMode"] == "FULL"
    assert job["publishAttributionMetricsToS3"] is False
    assert job["status"] == "ACTIVE"
    assert job["creationDateTime"] <= job["lastUpdatedDateTime"]
    assert "failureReason" not in job
    assert p.list_tags_for_resource(resourceArn=job_arn)["tags"] == [{"tagKey": "team", "tagValue": "data"}]


def test_import_mode_defaults_to_full_and_role_is_optional(world):
    p = world.personalize
    job_arn = p.create_dataset_import_job(
        jobName="defaults", datasetArn=world.users, dataSource={"dataLocation": put(world.s3, "u.csv", users_csv("u1,a,1"))}
    )["datasetImportJobArn"]
    job = p.describe_dataset_import_job(datasetImportJobArn=job_arn)["datasetImportJob"]
    assert job["importMode"] == "FULL" and job["status"] == "ACTIVE"
    assert "roleArn" not in job


def test_list_filtered_by_dataset_newest_first_with_summaries(world):
    p = world.personalize
    users_location = put(world.s3, "u.csv", users_csv("u1,gold,1"))
    import_job(p, "u-1", world.users, users_location)
    import_job(p, "i-1", world.interactions, put(world.s3, "i.csv", interactions_csv(1000)))
    import_job(p, "u-2", world.users, users_location, mode="INCREMENTAL")
    by_users = p.list_dataset_import_jobs(datasetArn=world.users)["datasetImportJobs"]
    assert [j["jobName"] for j in by_users] == ["u-2", "u-1"]
    assert set(by_users[0]) == {"datasetImportJobArn", "jobName", "status", "creationDateTime",
                                "lastUpdatedDateTime", "importMode"}
    assert [j["importMode"] for j in by_users] == ["INCREMENTAL", "FULL"]
    assert [j["jobName"] for j in p.list_dataset_import_jobs(datasetArn=world.interactions)["datasetImportJobs"]] == ["i-1"]
    assert [j["jobName"] for j in p.list_dataset_import_jobs()["datasetImportJobs"]] == ["u-2", "i-1", "u-1"]
    page = p.list_dataset_import_jobs(maxResults=2)
    assert len(page["datasetImportJobs"]) == 2 and "nextToken" in page
    rest = p.list_dataset_import_jobs(maxResults=2, nextToken=page["nextToken"])
    assert [j["jobName"] for j in rest["datasetImportJobs"]] == ["u-1"]


# ---- errors at create ------------------------------------------------------------------------


def test_duplicate_job_name(world):
    p = world.personalize
    location = put(world.s3, "u.csv", users_csv("u1,gold,1"))
    import_job(p, "same", world.users, f"s3://{BUCKET}/missing.csv")  # a failed job keeps its name too
    with pytest.raises(ClientError) as excinfo:
        p.create_dataset_import_job(jobName="same", datasetArn=world.users, dataSource={"dataLocation": location},
                                    roleArn=ROLE)
    assert error_code(excinfo) == "ResourceAlreadyExistsException"
    assert export(world, world.users, "BULK")[1] == []  # the refused job imported nothing


def test_unknown_dataset(world):
    with pytest.raises(ClientError) as excinfo:
        world.personalize.create_dataset_import_job(
            jobName="nowhere", datasetArn=arn("dataset/nope/USERS"), roleArn=ROLE,
            dataSource={"dataLocation": put(world.s3, "u.csv", users_csv("u1,gold,1"))},
        )
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_unknown_job(world):
    with pytest.raises(ClientError) as excinfo:
        world.personalize.describe_dataset_import_job(datasetImportJobArn=arn("dataset-import-job/nope"))
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_invalid_input(world):
    for kwargs in ({"importMode": "PARTIAL"}, {"jobName": "bad name!"}, {"jobName": "x" * 64},
                   {"dataSource": {"dataLocation": "ftp://bucket/x.csv"}}):
        request = {"jobName": "j", "datasetArn": world.users, "roleArn": ROLE,
                   "dataSource": {"dataLocation": f"s3://{BUCKET}/u.csv"}, **kwargs}
        with pytest.raises(ClientError) as excinfo:
            world.personalize.create_dataset_import_job(**request)
        assert error_code(excinfo) == "InvalidInputException", kwargs
    assert world.personalize.list_dataset_import_jobs()["datasetImportJobs"] == []


# ---- lifecycle and limits (manual progression) -----------------------------------------------


@pytest.mark.personalize_transition(progression="manual", times=3)
def test_dataset_not_active_is_in_use(api):
    p = api.personalize
    make_bucket(api.s3)
    group = make_group(p)
    schema = p.create_schema(name="users", schema=RICH_USERS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(name="users", schemaArn=schema, datasetGroupArn=group, datasetType="Users")["datasetArn"]
    location = put(api.s3, "u.csv", users_csv("u1,gold,1"))
    with pytest.raises(ClientError) as excinfo:
        p.create_dataset_import_job(jobName="early", datasetArn=dataset, dataSource={"dataLocation": location}, roleArn=ROLE)
    assert error_code(excinfo) == "ResourceInUseException"
    wait_status(lambda: p.describe_dataset(datasetArn=dataset)["dataset"])
    assert import_job(p, "later", dataset, location)["status"] == "ACTIVE"


@pytest.mark.personalize_transition(progression="manual", times=3)
def test_status_progression(api):
    p = api.personalize
    make_bucket(api.s3)
    group = make_group(p)
    dataset = make_dataset(p, group, "USERS", RICH_USERS_SCHEMA)
    location = put(api.s3, "u.csv", users_csv("u1,gold,1"))
    good, bad = (
        p.create_dataset_import_job(jobName=name, datasetArn=dataset, dataSource={"dataLocation": where},
                                    roleArn=ROLE)["datasetImportJobArn"]
        for name, where in (("good", location), ("bad", f"s3://{BUCKET}/missing.csv"))
    )
    for job, final in ((good, "ACTIVE"), (bad, "CREATE FAILED")):
        # Each describe is one tick; three ticks move a job one state on.
        seen = [p.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]["status"]
                for _ in range(7)]
        assert seen == ["CREATE PENDING"] * 2 + ["CREATE IN_PROGRESS"] * 3 + [final] * 2
    # The data are in place as soon as the job is created; the status is what users observe.
    assert export(api, dataset, "BULK")[1] == [["u1", "gold", "1"]]


@pytest.mark.personalize_transition(progression="manual", times=3)
def test_at_most_five_running_import_jobs(api):
    p = api.personalize
    make_bucket(api.s3)
    group = make_group(p)
    dataset = make_dataset(p, group, "USERS", RICH_USERS_SCHEMA)
    location = put(api.s3, "u.csv", users_csv("u1,gold,1"))
    jobs = [import_job(p, f"job-{n}", dataset, location, wait=False)["datasetImportJobArn"] for n in range(5)]
    with pytest.raises(ClientError) as excinfo:
        p.create_dataset_import_job(jobName="job-5", datasetArn=dataset, dataSource={"dataLocation": location}, roleArn=ROLE)
    assert error_code(excinfo) == "LimitExceededException"
    assert error_message(excinfo) == "More than 5 resources with PENDING or IN_PROGRESS status."
    # Failed jobs count while they run too.
    wait_status(lambda: p.describe_dataset_import_job(datasetImportJobArn=jobs[0])["datasetImportJob"])
    assert import_job(p, "job-5", dataset, f"s3://{BUCKET}/missing.csv", wait=False)["status"] == "CREATE PENDING"
    with pytest.raises(ClientError) as excinfo:
        p.create_dataset_import_job(jobName="job-6", datasetArn=dataset, dataSource={"dataLocation": location}, roleArn=ROLE)
    assert error_code(excinfo) == "LimitExceededException"
    assert "job-6" not in {j["jobName"] for j in p.list_dataset_import_jobs()["datasetImportJobs"]}
