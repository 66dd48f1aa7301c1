"""Metric attributions through boto3, and the attribution recorded on events."""

from __future__ import annotations

import pytest

from personalize_mock import inspect
from tests.conftest import avro

ROLE = "arn:aws:iam::123456789012:role/metrics"
INTERACTIONS = avro(
    "Interactions",
    {"name": "USER_ID", "type": "string"},
    {"name": "ITEM_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
    {"name": "EVENT_TYPE", "type": "string"},
    {"name": "EVENT_VALUE", "type": ["null", "float"]},
    {"name": "EVENT_ATTRIBUTION_SOURCE", "type": ["null", "string"]},
)
CLICKS = {"eventType": "click", "metricName": "CLICKS", "expression": "SAMPLECOUNT()"}
REVENUE = {"eventType": "buy", "metricName": "REVENUE", "expression": "SUM(Interactions.EVENT_VALUE)"}
OUTPUT = {"roleArn": ROLE, "s3DataDestination": {"path": "s3://metrics-bucket/out/"}}


@pytest.fixture
def group(api):
    p = api.personalize
    group = p.create_dataset_group(name="shop")["datasetGroupArn"]
    schema = p.create_schema(name="shop", schema=INTERACTIONS)["schemaArn"]
    p.create_dataset(name="i", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")
    return group


def test_round_trip(api, group):
    p = api.personalize
    arn = p.create_metric_attribution(name="shop-metrics", datasetGroupArn=group, metrics=[CLICKS, REVENUE],
                                      metricsOutputConfig=OUTPUT)["metricAttributionArn"]
    described = p.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]
    assert described["status"] == "ACTIVE" and described["metricsOutputConfig"] == OUTPUT
    assert [m["metricName"] for m in p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"]] == ["CLICKS", "REVENUE"]
    assert [m["metricAttributionArn"] for m in p.list_metric_attributions(datasetGroupArn=group)["metricAttributions"]] == [arn]
    p.update_metric_attribution(metricAttributionArn=arn, removeMetrics=["CLICKS"],
                                addMetrics=[{"eventType": "view", "metricName": "VIEWS", "expression": "SAMPLECOUNT()"}])
    names = [m["metricName"] for m in p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"]]
    assert names == ["REVENUE", "VIEWS"]
    assert p.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]["status"] == "ACTIVE"
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        p.update_metric_attribution(metricAttributionArn=arn, addMetrics=[REVENUE])
    p.delete_metric_attribution(metricAttributionArn=arn)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_metric_attribution(metricAttributionArn=arn)


@pytest.mark.parametrize("metrics, fragment", [
    ([{"eventType": "buy", "metricName": "X", "expression": "AVG(Interactions.EVENT_VALUE)"}], "SAMPLECOUNT()"),
    ([{"eventType": "buy", "metricName": "X", "expression": "SUM(Interactions.NOPE)"}], "numeric column"),
    ([CLICKS, CLICKS], "unique"),
])
def test_invalid_metrics(api, group, metrics, fragment):
    with pytest.raises(api.personalize.exceptions.InvalidInputException) as excinfo:
        api.personalize.create_metric_attribution(name="bad", datasetGroupArn=group, metrics=metrics, metricsOutputConfig=OUTPUT)
    assert fragment in excinfo.value.response["Error"]["Message"]


def test_one_per_dataset_group_and_needs_event_type(api, group):
    p = api.personalize
    p.create_metric_attribution(name="first", datasetGroupArn=group, metrics=[CLICKS], metricsOutputConfig=OUTPUT)
    with pytest.raises(p.exceptions.LimitExceededException):
        p.create_metric_attribution(name="second", datasetGroupArn=group, metrics=[CLICKS], metricsOutputConfig=OUTPUT)
    bare = p.create_dataset_group(name="bare")["datasetGroupArn"]
    with pytest.raises(p.exceptions.InvalidInputException):
        p.create_metric_attribution(name="third", datasetGroupArn=bare, metrics=[CLICKS], metricsOutputConfig=OUTPUT)


def test_attribution_source_recorded_on_events(api, group):
    p = api.personalize
    tracking = p.create_event_tracker(name="t", datasetGroupArn=group)["trackingId"]
    api.events.put_events(trackingId=tracking, userId="u1", sessionId="s", eventList=[
        {"eventType": "click", "itemId": "i1", "sentAt": 1_700_000_000, "metricAttribution": {"eventAttributionSource": "email"}},
        {"eventType": "click", "itemId": "i2", "sentAt": 1_700_000_001},
    ])
    events = inspect.recorded_events(group)
    assert [e["itemId"] for e in events] == ["i1", "i2"]
    dataset = inspect.backend().group_dataset(group, "INTERACTIONS")
    sources = [row["EVENT_ATTRIBUTION_SOURCE"] for row in dataset.table.rows()]
    assert sources == ["email", None]
