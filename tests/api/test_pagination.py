"""maxResults / nextToken on the List operations, by hand and through boto3's paginators."""

import pytest
from botocore.config import Config

from tests.conftest import (
    INTERACTIONS_SCHEMA,
    USERS_SCHEMA,
    arn,
    boto_session,
    error_message,
)


def unvalidated(api):
    """A personalize client that skips botocore's own checks, so the server sees the input."""
    return boto_session().client(
        "personalize", endpoint_url=api.endpoint_url, config=Config(parameter_validation=False)
    )


def pages_by_hand(call, result_key, max_results, **kwargs):
    pages, token = [], None
    while True:
        page = call(maxResults=max_results, **({"nextToken": token} if token else {}), **kwargs)
        pages.append(page[result_key])
        token = page.get("nextToken")
        if not token:
            return pages
        assert len(pages) < 50, "nextToken never ran out"


def make_schemas(p, count):
    return [p.create_schema(name=f"s{i:02d}", schema=INTERACTIONS_SCHEMA)["schemaArn"] for i in range(count)]


def make_groups(p, count=5):
    return [p.create_dataset_group(name=f"g{i}")["datasetGroupArn"] for i in range(count)]


@pytest.mark.parametrize("max_results, sizes", [(1, [1] * 7), (3, [3, 3, 1]), (7, [7]), (100, [7])])
def test_list_schemas_by_hand(api, max_results, sizes):
    p = api.personalize
    created = make_schemas(p, 7)
    pages = pages_by_hand(p.list_schemas, "schemas", max_results)
    assert [len(page) for page in pages] == sizes
    # Every schema exactly once, newest first across the pages.
    assert [s["schemaArn"] for page in pages for s in page] == list(reversed(created))


def test_list_dataset_groups_by_hand(api):
    p = api.personalize
    created = make_groups(p)
    first = p.list_dataset_groups(maxResults=2)
    assert len(first["datasetGroups"]) == 2 and first["nextToken"]
    pages = pages_by_hand(p.list_dataset_groups, "datasetGroups", 2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [g["datasetGroupArn"] for page in pages for g in page] == list(reversed(created))


def test_exact_fit_has_no_next_token(api):
    p = api.personalize
    make_groups(p, 4)
    first = p.list_dataset_groups(maxResults=2)
    second = p.list_dataset_groups(maxResults=2, nextToken=first["nextToken"])
    assert len(second["datasetGroups"]) == 2
    assert "nextToken" not in second  # nothing left, so no token for an empty page


def test_page_size_may_change_between_calls(api):
    p = api.personalize
    created = make_schemas(p, 6)
    first = p.list_schemas(maxResults=2)
    rest = p.list_schemas(maxResults=10, nextToken=first["nextToken"])
    assert [s["schemaArn"] for s in first["schemas"] + rest["schemas"]] == list(reversed(created))
    assert "nextToken" not in rest


@pytest.mark.parametrize("operation, key", [("list_schemas", "schemas"), ("list_dataset_groups", "datasetGroups")])
def test_boto3_paginator(api, operation, key):
    p = api.personalize
    created = make_schemas(p, 5) if key == "schemas" else make_groups(p)
    paginator = p.get_paginator(operation)

    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page[key]) for page in pages] == [2, 2, 1]
    assert [r[f"{key[:-1]}Arn"] for page in pages for r in page[key]] == list(reversed(created))

    full = paginator.paginate(PaginationConfig={"PageSize": 2}).build_full_result()
    assert len(full[key]) == 5

    # MaxItems stops early and hands back a token to resume from.
    head = paginator.paginate(PaginationConfig={"PageSize": 2, "MaxItems": 3}).build_full_result()
    tail = paginator.paginate(PaginationConfig={"PageSize": 2, "StartingToken": head["NextToken"]}).build_full_result()
    assert [r[f"{key[:-1]}Arn"] for r in head[key] + tail[key]] == list(reversed(created))


def test_paginator_over_a_filtered_list(api):
    p = api.personalize
    g0, g1 = make_groups(p, 2)
    schemas = {
        "Interactions": p.create_schema(name="i", schema=INTERACTIONS_SCHEMA)["schemaArn"],
        "Users": p.create_schema(name="u", schema=USERS_SCHEMA)["schemaArn"],
    }
    for group in (g0, g1):
        for kind, schema in schemas.items():
            p.create_dataset(name=kind.lower(), schemaArn=schema, datasetGroupArn=group, datasetType=kind)
    pages = list(p.get_paginator("list_datasets").paginate(datasetGroupArn=g1, PaginationConfig={"PageSize": 1}))
    assert [len(page["datasets"]) for page in pages] == [1, 1]
    assert [d["datasetArn"] for page in pages for d in page["datasets"]] == [
        arn("dataset/g1/USERS"),
        arn("dataset/g1/INTERACTIONS"),
    ]


def test_max_results_above_100(api):
    # botocore does not check maximums, so the request reaches the server.
    with pytest.raises(api.personalize.exceptions.InvalidInputException) as excinfo:
        api.personalize.list_datasets(maxResults=101)
    assert "at 'maxResults'" in error_message(excinfo)
    assert "less than or equal to 100" in error_message(excinfo)


@pytest.mark.parametrize("max_results", [0, -1])
def test_max_results_below_1(api, max_results):
    p = unvalidated(api)
    make_schemas(api.personalize, 3)
    with pytest.raises(p.exceptions.InvalidInputException):
        p.list_solutions(maxResults=max_results)


@pytest.mark.parametrize("operation", ["list_schemas", "list_dataset_groups"])
@pytest.mark.parametrize("params", [{"maxResults": 101}, {"maxResults": 0}, {"nextToken": "\x80"}],
                         ids=["above-100", "zero", "non-ascii-token"])
def test_lists_that_declare_only_invalid_next_token_answer_it_for_any_bad_input(api, operation, params):
    # ListSchemas and ListDatasetGroups declare no InvalidInputException (found by fuzzing).
    p = unvalidated(api)
    with pytest.raises(p.exceptions.InvalidNextTokenException) as excinfo:
        getattr(p, operation)(**params)
    assert "1 validation error detected" in error_message(excinfo)
    assert f"at '{next(iter(params))}'" in error_message(excinfo)


@pytest.mark.parametrize(
    "token",
    ["garbage", "eyJub3QiOiAiYSB0b2tlbiJ9", "x" * 1500],
    ids=["garbage", "base64-json", "long"],
)
@pytest.mark.parametrize("operation", ["list_schemas", "list_dataset_groups", "list_datasets", "list_event_trackers"])
def test_bad_next_token(api, operation, token):
    with pytest.raises(api.personalize.exceptions.InvalidNextTokenException) as excinfo:
        getattr(api.personalize, operation)(nextToken=token)
    assert error_message(excinfo)


def test_token_of_another_operation_or_filter(api):
    p = api.personalize
    make_schemas(p, 3)
    g1, g2 = make_groups(p, 2)
    schema_token = p.list_schemas(maxResults=1)["nextToken"]
    with pytest.raises(p.exceptions.InvalidNextTokenException):
        p.list_dataset_groups(nextToken=schema_token)

    p.create_event_tracker(name="t1", datasetGroupArn=g1)
    p.create_event_tracker(name="t2", datasetGroupArn=g2)
    tracker_token = p.list_event_trackers(maxResults=1)["nextToken"]
    with pytest.raises(p.exceptions.InvalidNextTokenException):
        p.list_event_trackers(nextToken=tracker_token, datasetGroupArn=g1)


def test_next_token_too_long_is_invalid_input(api):
    with pytest.raises(api.personalize.exceptions.InvalidInputException) as excinfo:
        api.personalize.list_solutions(nextToken="x" * 1501)
    assert "at 'nextToken'" in error_message(excinfo)
