"""Known answers for the response-shape validator the conformance suite uses."""

from __future__ import annotations

import datetime

import botocore.session

from tests.shape_validator import shape_errors

MODEL = botocore.session.get_session().get_service_model("personalize")


def output(operation):
    return MODEL.operation_model(operation).output_shape


def test_a_conforming_response_has_no_errors():
    now = datetime.datetime(2026, 1, 1)
    body = {"datasetGroup": {"name": "g", "datasetGroupArn": "arn:aws:personalize:us-east-1:1:dataset-group/g",
                             "status": "ACTIVE", "creationDateTime": now, "lastUpdatedDateTime": now}}
    assert shape_errors(output("DescribeDatasetGroup"), body) == []


def test_unknown_members_types_enums_and_sizes_are_reported():
    body = {"datasetGroup": {"name": 5, "extra": 1, "domain": "GAMES", "creationDateTime": "yesterday"}}
    errors = shape_errors(output("DescribeDatasetGroup"), body)
    assert "datasetGroup: member extra is not in the model" in errors
    assert "datasetGroup.name: expected a string, got int" in errors
    assert any("'GAMES' is not one of" in e for e in errors)
    assert any("creationDateTime: expected a timestamp" in e for e in errors)
    too_many = {"Filters": [{"name": "f"}] * 101}
    assert any("above the maximum 100" in e for e in shape_errors(output("ListFilters"), too_many))


def test_required_members():
    errors = shape_errors(output("CreateDatasetGroup"), {"domain": "ECOMMERCE"})
    assert errors == [] or all("required" in e for e in errors)
    assert shape_errors(MODEL.shape_for("Tag"), {"tagKey": "k"}) == ["<root>: required member tagValue is missing"]
