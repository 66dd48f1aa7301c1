"""Dataset export jobs and data deletion jobs through boto3, with moto's S3."""

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.data_helpers import (
    BUCKET,
    OUT_BUCKET,
    RICH_ITEMS_SCHEMA,
    RICH_USERS_SCHEMA,
    ROLE,
    export,
    import_job,
    interaction_rows,
    interactions_csv,
    make_bucket,
    make_dataset,
    make_group,
    parse,
    put,
    read,
    wait_status,
)
from tests.conftest import arn, error_code, error_message

USERS_CSV = 'USER_ID,MEMBERSHIP,AGE\nu0,gold,30\nu1,"silver,plus",\nu2,"say \\"hi\\"",41\nu3,a|b,0\n'
USERS_ROWS = [["u0", "gold", "30"], ["u1", "silver,plus", ""], ["u2", 'say "hi"', "41"], ["u3", "a|b", "0"]]


@pytest.fixture
def world(api):
    """A bucket and a group with Interactions, Users and Items datasets."""
    p = api.personalize
    make_bucket(api.s3)
    api.group = make_group(p)
    api.interactions = make_dataset(p, api.group, "INTERACTIONS")
    api.users = make_dataset(p, api.group, "USERS", RICH_USERS_SCHEMA)
    api.items = make_dataset(p, api.group, "ITEMS", RICH_ITEMS_SCHEMA)
    return api


def create_export(p, name, dataset, path=f"s3://{OUT_BUCKET}/exports/", mode=None):
    kwargs = {"ingestionMode": mode} if mode else {}
    return p.create_dataset_export_job(
        jobName=name, datasetArn=dataset, roleArn=ROLE, jobOutput={"s3DataDestination": {"path": path}}, **kwargs
    )["datasetExportJobArn"]


def describe_export(p, job_arn):
    return p.describe_dataset_export_job(datasetExportJobArn=job_arn)["datasetExportJob"]


def create_deletion(p, name, group, location):
    return p.create_data_deletion_job(
        jobName=name, datasetGroupArn=group, dataSource={"dataLocation": location}, roleArn=ROLE
    )["dataDeletionJobArn"]


def describe_deletion(p, job_arn):
    return p.describe_data_deletion_job(dataDeletionJobArn=job_arn)["dataDeletionJob"]


def run_deletion(p, name, group, location):
    """Create a deletion job and return its final description (COMPLETED or FAILED)."""
    job_arn = create_deletion(p, name, group, location)
    return wait_status(lambda: describe_deletion(p, job_arn), ("COMPLETED", "FAILED"))


# ---- export ----------------------------------------------------------------------------------


def test_export_round_trip_interactions(world):
    text = interactions_csv(1000)
    import_job(world.personalize, "imp", world.interactions, put(world.s3, "i.csv", text))
    header, rows = export(world, world.interactions, "BULK")
    assert (header, rows) == parse(text)
    assert rows == interaction_rows(1000)


def test_export_round_trip_quoting_nulls_and_column_order(world):
    # Columns in another case: the export uses the schema's names. (The CSV's columns must
    # follow the schema's field order: *Dataset schemas*.)
    text = "user_id,membership,age\n" + "".join(f'{r[0]},"{r[1].replace(chr(34), chr(92) + chr(34))}",{r[2]}\n'
                                                for r in USERS_ROWS)
    job = import_job(world.personalize, "imp", world.users, put(world.s3, "u.csv", text))
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert export(world, world.users, "BULK") == (["USER_ID", "MEMBERSHIP", "AGE"], USERS_ROWS)
    # The exported file imports back to the same rows.
    export(world, world.users, "BULK", name="again")
    job = import_job(world.personalize, "reimport", world.users, f"s3://{OUT_BUCKET}/exports/again_part_00000.csv")
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert export(world, world.users, "BULK")[1] == USERS_ROWS


def test_export_round_trip_items_every_type(world):
    text = ("ITEM_ID,GENRES,PRICE,CREATION_TIMESTAMP,IS_NEW,DESCRIPTION\n"
            "i1,Comedy|Drama,9.5,1700000000,true,\"Multi\nline, quoted\"\n"
            "i2,,,,false,\n"
            "i3,Horror,0.25,0,,plain\n")
    import_job(world.personalize, "imp", world.items, put(world.s3, "items.csv", text))
    header, rows = export(world, world.items, "BULK")
    assert header == ["ITEM_ID", "GENRES", "PRICE", "CREATION_TIMESTAMP", "IS_NEW", "DESCRIPTION"]
    assert rows == [
        ["i1", "Comedy|Drama", "9.5", "1700000000", "true", "Multi\nline, quoted"],
        ["i2", "", "", "", "false", ""],
        ["i3", "Horror", "0.25", "0", "", "plain"],
    ]


def test_export_float_values_as_imported(world):
    text = "ITEM_ID,PRICE\ni1,0.1\ni2,19.99\n"
    import_job(world.personalize, "imp", world.items, put(world.s3, "items.csv", text))
    assert [r[2] for r in export(world, world.items, "BULK")[1]] == ["0.1", "19.99"]


def test_ingestion_modes_bulk_put_all(world):
    p, ev = world.personalize, world.events
    import_job(p, "imp", world.users, put(world.s3, "u.csv", USERS_CSV))
    ev.put_users(datasetArn=world.users, users=[{"userId": "p1", "properties": '{"membership": "new"}'}])
    assert export(world, world.users, "BULK")[1] == USERS_ROWS
    assert export(world, world.users, "PUT")[1] == [["p1", "new", ""]]
    assert export(world, world.users, "ALL")[1] == USERS_ROWS + [["p1", "new", ""]]
    # The default is PUT.
    _, rows = export(world, world.users, None, name="default-mode")
    assert rows == [["p1", "new", ""]]
    assert describe_export(p, arn("dataset-export-job/default-mode"))["ingestionMode"] == "PUT"


def test_ingestion_modes_for_interactions(world):
    p = world.personalize
    tracking_id = p.create_event_tracker(name="t", datasetGroupArn=world.group)["trackingId"]
    import_job(p, "imp", world.interactions, put(world.s3, "i.csv", interactions_csv(1000)))
    world.events.put_events(trackingId=tracking_id, sessionId="s", userId="u0",
                            eventList=[{"eventType": "click", "sentAt": 1800000000, "itemId": "i0"}])
    streamed = [["u0", "i0", "1800000000", "click"]]
    assert export(world, world.interactions, "PUT")[1] == streamed
    assert export(world, world.interactions, "BULK")[1] == interaction_rows(1000)
    assert export(world, world.interactions, "ALL")[1] == interaction_rows(1000) + streamed
    # A FULL import replaces bulk rows only (row order across origins is not specified).
    import_job(p, "imp-2", world.interactions, put(world.s3, "i2.csv", interactions_csv(1000, start=3000)))
    assert sorted(export(world, world.interactions, "ALL")[1]) == sorted(interaction_rows(1000, start=3000) + streamed)
    assert export(world, world.interactions, "PUT")[1] == streamed


def test_all_keeps_the_newest_record_of_an_id(world):
    import_job(world.personalize, "imp", world.users, put(world.s3, "u.csv", USERS_CSV))
    world.events.put_users(datasetArn=world.users, users=[{"userId": "u1", "properties": '{"membership": "put"}'}])
    rows = export(world, world.users, "ALL")[1]
    assert [r for r in rows if r[0] == "u1"] == [["u1", "put", ""]]
    assert len(rows) == 4


def test_put_of_an_imported_id_keeps_the_bulk_record(world):
    import_job(world.personalize, "imp", world.users, put(world.s3, "u.csv", USERS_CSV))
    world.events.put_users(datasetArn=world.users, users=[{"userId": "u1", "properties": '{"membership": "put"}'}])
    assert export(world, world.users, "BULK")[1] == USERS_ROWS


def test_full_import_keeps_put_records_of_the_same_id(world):
    world.events.put_users(datasetArn=world.users, users=[{"userId": "u1", "properties": '{"membership": "put"}'}])
    import_job(world.personalize, "imp", world.users, put(world.s3, "u.csv", USERS_CSV))
    assert export(world, world.users, "PUT")[1] == [["u1", "put", ""]]


def test_export_of_an_empty_dataset_is_the_header(world):
    assert export(world, world.items, "ALL") == (
        ["ITEM_ID", "GENRES", "PRICE", "CREATION_TIMESTAMP", "IS_NEW", "DESCRIPTION"], []
    )


def test_export_file_name_and_path_forms(world):
    p, s3 = world.personalize, world.s3
    make_bucket(s3, OUT_BUCKET)
    import_job(p, "imp", world.users, put(world.s3, "u.csv", USERS_CSV))
    for name, path, key in [
        ("with-slash", f"s3://{OUT_BUCKET}/a/b/", "a/b/with-slash_part_00000.csv"),
        ("no-slash", f"s3://{OUT_BUCKET}/a/c", "a/c/no-slash_part_00000.csv"),
        ("bucket-root", f"s3://{OUT_BUCKET}", "bucket-root_part_00000.csv"),
    ]:
        job_arn = create_export(p, name, world.users, path, "BULK")
        job = wait_status(lambda: describe_export(p, job_arn), ("ACTIVE", "CREATE FAILED"))  # noqa: B023
        assert job["status"] == "ACTIVE", (name, job.get("failureReason"))
        assert parse(read(s3, OUT_BUCKET, key))[1] == USERS_ROWS


def test_export_to_a_missing_bucket_fails(world):
    p = world.personalize
    job_arn = create_export(p, "nowhere", world.users, "s3://no-such-bucket/out/", "BULK")
    job = wait_status(lambda: describe_export(p, job_arn), ("ACTIVE", "CREATE FAILED"))
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == (
        "Invalid S3 output path: bucket no-such-bucket of s3://no-such-bucket/out/ does not exist."
    )
    listed = p.list_dataset_export_jobs(datasetArn=world.users)["datasetExportJobs"]
    assert [(j["jobName"], j["status"], j["failureReason"]) for j in listed] == [
        ("nowhere", "CREATE FAILED", job["failureReason"])
    ]


def test_export_describe_list_and_errors(world):
    p = world.personalize
    make_bucket(world.s3, OUT_BUCKET)
    path = f"s3://{OUT_BUCKET}/x/"
    job_arn = create_export(p, "users-export", world.users, path, "ALL")
    assert job_arn == arn("dataset-export-job/users-export")
    job = describe_export(p, job_arn)
    assert job["jobName"] == "users-export"
    assert job["datasetExportJobArn"] == job_arn
    assert job["datasetArn"] == world.users
    assert job["ingestionMode"] == "ALL"
    assert job["roleArn"] == ROLE
    assert job["jobOutput"] == {"s3DataDestination": {"path": path}}
    assert job["status"] == "ACTIVE"
    assert job["creationDateTime"] <= job["lastUpdatedDateTime"]
    assert "failureReason" not in job
    create_export(p, "items-export", world.items, path)
    listed = p.list_dataset_export_jobs()["datasetExportJobs"]
    assert [j["jobName"] for j in listed] == ["items-export", "users-export"]
    assert set(listed[0]) == {"datasetExportJobArn", "jobName", "status", "creationDateTime", "lastUpdatedDateTime"}
    assert [j["jobName"] for j in p.list_dataset_export_jobs(datasetArn=world.users)["datasetExportJobs"]] == [
        "users-export"
    ]
    # Errors.
    with pytest.raises(ClientError) as excinfo:
        create_export(p, "users-export", world.users, path)
    assert error_code(excinfo) == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as excinfo:
        create_export(p, "other", arn("dataset/nope/USERS"), path)
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        create_export(p, "bad-mode", world.users, path, "SOME")
    assert error_code(excinfo) == "InvalidInputException"
    with pytest.raises(ClientError) as excinfo:
        describe_export(p, arn("dataset-export-job/nope"))
    assert error_code(excinfo) == "ResourceNotFoundException"


@pytest.mark.personalize_transition(progression="manual", times=3)
def test_export_status_progression_and_dataset_in_use(api):
    p = api.personalize
    make_bucket(api.s3, OUT_BUCKET)
    group = make_group(p)
    schema = p.create_schema(name="users", schema=RICH_USERS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(name="users", schemaArn=schema, datasetGroupArn=group, datasetType="USERS")["datasetArn"]
    with pytest.raises(ClientError) as excinfo:
        create_export(p, "early", dataset)
    assert error_code(excinfo) == "ResourceInUseException"
    wait_status(lambda: p.describe_dataset(datasetArn=dataset)["dataset"])
    job_arn = create_export(p, "later", dataset)
    seen = [describe_export(p, job_arn)["status"] for _ in range(7)]
    assert seen == ["CREATE PENDING"] * 2 + ["CREATE IN_PROGRESS"] * 3 + ["ACTIVE"] * 2


# ---- data deletion ---------------------------------------------------------------------------


def filled(world):
    """Bulk interactions (50 users x 20 rows), users u0-u3 and one item; one streamed event of u1."""
    p = world.personalize
    import_job(p, "interactions", world.interactions, put(world.s3, "i.csv", interactions_csv(1000)))
    import_job(p, "users", world.users, put(world.s3, "u.csv", USERS_CSV))
    import_job(p, "items", world.items, put(world.s3, "items.csv", "ITEM_ID\ni1\n"))
    tracking_id = p.create_event_tracker(name="t", datasetGroupArn=world.group)["trackingId"]
    world.events.put_events(trackingId=tracking_id, sessionId="s", userId="u1",
                            eventList=[{"eventType": "click", "sentAt": 1800000000, "itemId": "i5"}])


def test_deletion_removes_exactly_the_named_users(world):
    p = world.personalize
    filled(world)
    before = {d: export(world, d, "ALL")[1] for d in (world.interactions, world.users, world.items)}
    assert len(before[world.interactions]) == 1001
    location = put(world.s3, "delete/users.csv", "USER_ID\nu1\nu3\nnobody\n")
    job_arn = create_deletion(p, "forget", world.group, location)
    assert job_arn == arn("data-deletion-job/forget")
    job = wait_status(lambda: describe_deletion(p, job_arn), ("COMPLETED", "FAILED"))
    assert job["status"] == "COMPLETED"
    # 20 bulk interactions each, u1's streamed event, and two user records.
    assert job["numDeleted"] == 20 + 20 + 1 + 2
    gone = {"u1", "u3"}
    assert export(world, world.interactions, "ALL")[1] == [r for r in before[world.interactions] if r[0] not in gone]
    assert export(world, world.users, "ALL")[1] == [r for r in before[world.users] if r[0] not in gone]
    assert export(world, world.items, "ALL")[1] == before[world.items]
    assert export(world, world.interactions, "PUT")[1] == []


def test_deletion_reads_every_file_under_a_prefix(world):
    p = world.personalize
    filled(world)
    put(world.s3, "del/a.csv", "user_id\nu0\n")
    put(world.s3, "del/sub/b.csv", "USER_ID\nu2\n")
    job = run_deletion(p, "two-files", world.group, f"s3://{BUCKET}/del/")
    assert (job["status"], job["numDeleted"]) == ("COMPLETED", 20 + 20 + 2)
    assert [r[0] for r in export(world, world.users, "ALL")[1]] == ["u1", "u3"]


def test_deletion_only_touches_its_own_group(world):
    p = world.personalize
    filled(world)
    other = make_group(p, "other")
    other_users = make_dataset(p, other, "USERS", RICH_USERS_SCHEMA, schema_name="other-users")
    import_job(p, "other-users", other_users, put(world.s3, "u.csv", USERS_CSV))
    job = run_deletion(p, "only-g", world.group, put(world.s3, "d.csv", "USER_ID\nu0\nu2\n"))
    assert job["numDeleted"] == 42
    assert export(world, other_users, "ALL")[1] == USERS_ROWS
    assert [r[0] for r in export(world, world.users, "ALL")[1]] == ["u1", "u3"]


def test_deletion_of_unknown_users_completes_with_zero(world):
    p = world.personalize
    filled(world)
    job = run_deletion(p, "none", world.group, put(world.s3, "d.csv", "USER_ID\nghost\n"))
    assert (job["status"], job["numDeleted"]) == ("COMPLETED", 0)
    assert len(export(world, world.interactions, "ALL")[1]) == 1001


@pytest.mark.parametrize(
    ("key", "text", "reason"),
    [
        (None, None, f"Invalid Data location: no object found at s3://{BUCKET}/absent.csv."),
        ("d.csv", "ITEM_ID\ni1\n", f"s3://{BUCKET}/d.csv: Input CSV has columns that are not in the dataset's schema: ['ITEM_ID']"),
        ("d.csv", "USER_ID\nu1\n\"\"\n", f"s3://{BUCKET}/d.csv: row 2 (line 3 of the file), column USER_ID: a value is required (the field is not nullable)."),
        ("d.csv", "", f"s3://{BUCKET}/d.csv: the file is empty; it must start with a header row."),
    ],
    ids=["missing-object", "no-user-id-column", "empty-user-id", "empty-file"],
)
def test_deletion_with_bad_input_fails(world, key, text, reason):
    p = world.personalize
    filled(world)
    location = put(world.s3, key, text) if key else f"s3://{BUCKET}/absent.csv"
    job = run_deletion(p, "bad", world.group, location)
    assert job["status"] == "FAILED"
    assert job["failureReason"] == reason
    assert "numDeleted" not in job
    assert len(export(world, world.users, "ALL")[1]) == 4
    assert len(export(world, world.interactions, "ALL")[1]) == 1001


def test_deletion_missing_bucket_fails(world):
    p = world.personalize
    job = run_deletion(p, "bad", world.group, "s3://no-such-bucket/d.csv")
    assert job["status"] == "FAILED"
    assert job["failureReason"] == (
        "Invalid Data location: bucket no-such-bucket of s3://no-such-bucket/d.csv does not exist."
    )


def test_deletion_describe_list_and_errors(world):
    p = world.personalize
    location = put(world.s3, "d.csv", "USER_ID\nu1\n")
    first = create_deletion(p, "first", world.group, location)
    second = create_deletion(p, "second", world.group, f"s3://{BUCKET}/absent.csv")
    job = describe_deletion(p, first)
    assert job["jobName"] == "first"
    assert job["dataDeletionJobArn"] == first
    assert job["datasetGroupArn"] == world.group
    assert job["dataSource"] == {"dataLocation": location}
    assert job["roleArn"] == ROLE
    assert job["status"] == "COMPLETED"
    assert job["numDeleted"] == 0
    assert job["creationDateTime"] <= job["lastUpdatedDateTime"]
    assert "failureReason" not in job
    other = make_group(p, "other")
    create_deletion(p, "third", other, location)
    listed = p.list_data_deletion_jobs(datasetGroupArn=world.group)["dataDeletionJobs"]
    assert [(j["jobName"], j["status"]) for j in listed] == [("second", "FAILED"), ("first", "COMPLETED")]
    assert listed[0]["dataDeletionJobArn"] == second
    assert set(listed[1]) == {"dataDeletionJobArn", "datasetGroupArn", "jobName", "status", "creationDateTime",
                              "lastUpdatedDateTime"}
    assert "failureReason" in listed[0]
    assert [j["jobName"] for j in p.list_data_deletion_jobs()["dataDeletionJobs"]] == ["third", "second", "first"]
    # Errors.
    with pytest.raises(ClientError) as excinfo:
        create_deletion(p, "first", world.group, location)
    assert error_code(excinfo) == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as excinfo:
        create_deletion(p, "lost", arn("dataset-group/nope"), location)
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        describe_deletion(p, arn("data-deletion-job/nope"))
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        p.create_data_deletion_job(jobName="no-role", datasetGroupArn=world.group,
                                   dataSource={"dataLocation": location}, roleArn="not-a-role")
    assert error_code(excinfo) == "InvalidInputException"


@pytest.mark.personalize_transition(progression="manual", times=3)
def test_deletion_statuses_and_pending_limit(api):
    p = api.personalize
    make_bucket(api.s3)
    group = make_group(p)
    users = make_dataset(p, group, "USERS", RICH_USERS_SCHEMA)
    import_job(p, "users", users, put(api.s3, "u.csv", USERS_CSV))
    location = put(api.s3, "d.csv", "USER_ID\nu0\nu1\n")
    job_arn = create_deletion(p, "forget", group, location)
    seen = [(j["status"], j.get("numDeleted")) for j in (describe_deletion(p, job_arn) for _ in range(7))]
    assert seen == [("PENDING", None)] * 2 + [("IN_PROGRESS", None)] * 3 + [("COMPLETED", 2)] * 2
    failing = create_deletion(p, "failing", group, f"s3://{BUCKET}/absent.csv")
    assert [describe_deletion(p, failing)["status"] for _ in range(6)][-1] == "FAILED"
    # At most five PENDING deletion jobs per group.
    for n in range(5):
        create_deletion(p, f"pending-{n}", group, location)
    with pytest.raises(ClientError) as excinfo:
        create_deletion(p, "pending-5", group, location)
    assert error_code(excinfo) == "LimitExceededException"
    assert "5 PENDING" in error_message(excinfo)
    # Once one of them has moved on, another is accepted.
    wait_status(lambda: describe_deletion(p, arn("data-deletion-job/pending-0")), ("IN_PROGRESS",))
    create_deletion(p, "pending-5", group, location)


@pytest.mark.personalize_transition(progression="manual", times=3)
def test_deletion_needs_an_active_group(api):
    p = api.personalize
    make_bucket(api.s3)
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    with pytest.raises(ClientError) as excinfo:
        create_deletion(p, "early", group, put(api.s3, "d.csv", "USER_ID\nu1\n"))
    assert error_code(excinfo) == "ResourceInUseException"


def test_deletion_input_json_is_not_csv(world):
    """A JSON Lines file is not a USER_ID CSV: the job fails with the header problem."""
    p = world.personalize
    location = put(world.s3, "d.json", json.dumps({"userId": "u1"}) + "\n")
    job = run_deletion(p, "json", world.group, location)
    assert job["status"] == "FAILED"
    assert job["failureReason"].startswith(f"{location}: ")
