"""A populated Personalize account for the fuzzer to aim at, and the real values in it.

``seed(api)`` builds (through boto3, with valid requests) a trained dataset group with every
kind of dataset, an event tracker, trained solution versions of several recipes, campaigns,
filters, a domain dataset group with a recommender, batch jobs, data jobs, a metric
attribution and tags. ``known_values(api, made)`` then lists what exists — every ARN any List
operation returns, by member name, plus IDs, names, S3 locations, schemas and expressions —
for ``strategies.for_shape(known=...)``.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from typing import Any

from botocore import xform_name
from hypothesis import strategies as st

from tests.api.test_recommenders import DOMAIN_INTERACTIONS_SCHEMA, domain_group
from tests.api.test_runtime import (
    ITEMS_SCHEMA,
    RECIPE,
    USERS_SCHEMA,
    interactions_csv,
    items_csv,
)
from tests.conftest import (
    ACCOUNT,
    ACTION_INTERACTIONS_SCHEMA,
    ACTIONS_SCHEMA,
    INTERACTIONS_SCHEMA,
    avro,
)

ROLE = f"arn:aws:iam::{ACCOUNT}:role/fuzz"
BUCKET = "shop-data"
RECIPES = ("aws-user-personalization", "aws-personalized-ranking", "aws-sims", "aws-item-affinity",
           "aws-item-attribute-affinity", "aws-next-best-action", "aws-popularity-count")
# Four campaigns: the fifth one a fuzzed request creates reaches the limit of five ACTIVE.
CAMPAIGNS = ("aws-user-personalization", "aws-personalized-ranking", "aws-sims", "aws-next-best-action")
FILTERS = {
    "no-g1": 'EXCLUDE ItemID WHERE Items.GENRES IN ("g1")',
    "genre": "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)",
    "cheap": "INCLUDE ItemID WHERE Items.PRICE < $MAX | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"buy\")",
    "gold": 'INCLUDE ItemID WHERE Items.GENRES IN ("g2") IF CurrentUser.TIER = "gold"',
    "actions": 'EXCLUDE ActionID WHERE Actions.CATEGORY IN ("c1")',
}


def _put(api: Any, key: str, body: str) -> str:
    api.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return f"s3://{BUCKET}/{key}"


def seed(api: Any) -> dict[str, Any]:
    """Create the resources (instant lifecycles and relaxed data rules assumed); return them
    by role (for ``templates``)."""
    p, e, r = api.personalize, api.events, api.runtime
    api.s3.create_bucket(Bucket=BUCKET)
    _put(api, "interactions.csv", interactions_csv())
    _put(api, "items.csv", items_csv())
    _put(api, "users.csv", "USER_ID,TIER\n" + "".join(f"u{u},{'gold' if u < 100 else 'basic'}\n" for u in range(200)))
    _put(api, "delete/users.csv", "USER_ID\nu199\n")
    _put(api, "batch/users.json", '{"userId": "u1"}\n{"userId": "u2", "filterValues": {"GENRE": "\\"g1\\""}}\n')
    _put(api, "batch/items.json", '{"itemId": "i1"}\n{"itemId": "i20"}\n')
    _put(api, "batch/ranking.json", '{"userId": "u1", "itemList": ["i1", "i2", "i30"]}\n')
    _put(api, "segments/items.json", '{"itemId": "i1"}\n')
    _put(api, "segments/attributes.json", '{"itemAttributes": "ITEMS.GENRES = \\"g1\\""}\n')
    _put(api, "broken.csv", "NOT,A,HEADER\n1,2\n")

    group = p.create_dataset_group(name="shop")["datasetGroupArn"]
    spare = p.create_dataset_group(name="spare")["datasetGroupArn"]  # empty: room for new datasets
    schemas = {"Interactions": INTERACTIONS_SCHEMA, "Items": ITEMS_SCHEMA, "Users": USERS_SCHEMA,
               "Actions": ACTIONS_SCHEMA, "Action_Interactions": ACTION_INTERACTIONS_SCHEMA}
    datasets, schema_arns = {}, {}
    for kind, schema in schemas.items():
        schema_arns[kind] = schema_arn = p.create_schema(name=f"shop-{kind.lower().replace('_', '-')}", schema=schema)["schemaArn"]
        datasets[kind] = p.create_dataset(name=kind, schemaArn=schema_arn, datasetGroupArn=group,
                                          datasetType=kind)["datasetArn"]
    for kind in ("Interactions", "Items", "Users"):
        p.create_dataset_import_job(jobName=f"import-{kind}", datasetArn=datasets[kind], roleArn=ROLE,
                                    dataSource={"dataLocation": f"s3://{BUCKET}/{kind.lower()}.csv"})
    tracking = p.create_event_tracker(name="shop", datasetGroupArn=group)["trackingId"]
    e.put_actions(datasetArn=datasets["Actions"], actions=[
        {"actionId": f"a{n}", "properties": json.dumps({"category": f"c{n}", "value": n})} for n in range(4)])
    action_tracking = p.describe_dataset(datasetArn=datasets["Action_Interactions"])["dataset"]["trackingId"]
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    for batch in range(12):
        e.put_action_interactions(trackingId=action_tracking, actionInteractions=[
            {"actionId": f"a{(batch + n) % 4}", "userId": f"u{(batch * 10 + n) % 60}", "sessionId": "s1",
             "timestamp": start + datetime.timedelta(hours=batch * 10 + n),
             "eventType": "TAKEN" if (batch + n) % 3 == 0 else "NOT_TAKEN"} for n in range(10)])

    versions = {}
    for recipe in RECIPES:
        name = recipe.removeprefix("aws-")
        solution = p.create_solution(name=name, datasetGroupArn=group, recipeArn=RECIPE + recipe)["solutionArn"]
        versions[recipe] = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    campaigns = {recipe: p.create_campaign(name=recipe.removeprefix("aws-"), solutionVersionArn=versions[recipe])
                 ["campaignArn"] for recipe in CAMPAIGNS}
    filters = {name: p.create_filter(name=name, datasetGroupArn=group, filterExpression=expression)["filterArn"]
               for name, expression in FILTERS.items()}
    rid = r.get_recommendations(campaignArn=campaigns["aws-user-personalization"], userId="u1",
                                numResults=3)["recommendationId"]

    domain = domain_group(api, name="domain")
    p.create_event_tracker(name="domain", datasetGroupArn=domain)
    for_you = p.create_recommender(name="for-you", datasetGroupArn=domain,
                                   recipeArn=RECIPE + "aws-ecomm-recommended-for-you")["recommenderArn"]
    p.create_recommender(name="views", datasetGroupArn=domain, recipeArn=RECIPE + "aws-ecomm-popular-items-by-views")

    out = {"s3DataDestination": {"path": f"s3://{BUCKET}/out/"}}
    p.create_batch_inference_job(jobName="batch", solutionVersionArn=versions["aws-user-personalization"],
                                 roleArn=ROLE, jobOutput=out,
                                 jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/batch/users.json"}})
    p.create_batch_segment_job(jobName="segments", solutionVersionArn=versions["aws-item-affinity"], roleArn=ROLE,
                               jobOutput=out, jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/segments/items.json"}})
    p.create_dataset_export_job(jobName="export", datasetArn=datasets["Interactions"], roleArn=ROLE, jobOutput=out)
    p.create_data_deletion_job(jobName="forget", datasetGroupArn=group, roleArn=ROLE,
                               dataSource={"dataLocation": f"s3://{BUCKET}/delete/"})
    attribution = p.create_metric_attribution(name="metrics", datasetGroupArn=group, metricsOutputConfig={"roleArn": ROLE},
                                metrics=[{"eventType": "view", "metricName": "VIEWS", "expression": "SAMPLECOUNT()"}]
                                )["metricAttributionArn"]
    p.tag_resource(resourceArn=campaigns["aws-user-personalization"], tags=[{"tagKey": "team", "tagValue": "search"}])
    p.tag_resource(resourceArn=group, tags=[{"tagKey": "team", "tagValue": "data"}])
    return {"group": group, "spare": spare, "domain": domain, "datasets": datasets, "schemas": schema_arns, "tracking": tracking,
            "action_tracking": action_tracking, "versions": versions, "campaigns": campaigns,
            "filters": filters, "recommender": for_you, "attribution": attribution, "rid": rid}


def _walk(value: Any, found: dict[str, set[Any]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key.endswith("Arn") or key in ("trackingId", "name", "jobName")):
                found[key].add(item)
            _walk(item, found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, found)


def known_values(api: Any, made: dict[str, Any]) -> dict[str, list[Any]]:
    """Real values by member name, gathered from every List operation, with a few near misses
    (a wrong kind of ARN, another region, a resource that never existed) mixed in."""
    p = api.personalize
    found: dict[str, set[Any]] = defaultdict(set)
    tokens: set[str] = set()
    for operation in p.meta.service_model.operation_names:
        if operation.startswith("List") and operation != "ListTagsForResource":
            method = getattr(p, xform_name(operation))
            _walk(method(), found)
            token = method(maxResults=1).get("nextToken") if operation != "ListMetricAttributionMetrics" else None
            if token:
                tokens.add(token)
    for recipe in list(found["recipeArn"])[:6]:
        _walk(p.describe_recipe(recipeArn=recipe), found)
    for tracker in found["eventTrackerArn"]:
        _walk(p.describe_event_tracker(eventTrackerArn=tracker), found)
    for dataset in found["datasetArn"]:
        _walk(p.describe_dataset(datasetArn=dataset), found)
    attributions = sorted(found["metricAttributionArn"])
    if attributions:
        _walk(p.list_metric_attribution_metrics(metricAttributionArn=attributions[0]), found)

    # Reverse order puts the trained "shop" group's resources (and the user-personalization
    # campaign) first: hypothesis draws the first entries of a list most often.
    known: dict[str, list[Any]] = {key: sorted(values, reverse=True) for key, values in found.items()}
    every_arn = sorted({arn for key, values in found.items() if key.endswith("Arn") for arn in values
                        if ":personalize:" in arn})
    for key in [k for k in known if k.endswith("Arn") and k != "roleArn"]:
        own = known[key]
        # Near misses: other kinds of resource, the same one in another region, one never made.
        others = [known[k][0] for k in ("datasetGroupArn", "solutionArn", "recipeArn") if k != key]
        known[key] = own + others + [own[0].replace(":us-east-1:", ":eu-west-1:"), own[0] + "-missing"]
    known["resourceArn"] = every_arn + ["arn:aws:personalize:us-east-1:123456789012:campaign/missing"]
    known["recipeList"] = known["recipeArn"]
    known["roleArn"] = [ROLE]
    known["kmsKeyArn"] = [f"arn:aws:kms:us-east-1:{ACCOUNT}:key/fuzz"]
    known["trackingId"] = known.get("trackingId", []) + ["not-a-tracker"]
    known["nextToken"] = sorted(tokens) + ["garbage"]
    names = known.pop("name", []) + known.pop("jobName", [])
    known["name"] = known["jobName"] = names

    users = ["u1", "u7", "u42", "u150", "u199", "stranger"]
    items = ["i1", "i17", "i30", "i59", "new0", "unknown-item"]
    known.update({
        "userId": users, "itemId": items, "inputList": items, "impression": items,
        "actionId": ["a0", "a1", "a3", "unknown-action"], "sessionId": ["s1", "s2"],
        "eventType": ["view", "buy", "TAKEN", "NOT_TAKEN", "View", "Purchase"],
        "eventValue": [1.0, 0.5], "eventValueThreshold": ["0.5", "1", 0.5, 10.0], "weight": [0.0, 0.5, 1.0],
        "datasetType": ["Interactions", "Items", "Users", "Actions", "Action_Interactions", "interactions"],
        "schema": [INTERACTIONS_SCHEMA, ITEMS_SCHEMA, USERS_SCHEMA, ACTIONS_SCHEMA, ACTION_INTERACTIONS_SCHEMA,
                   DOMAIN_INTERACTIONS_SCHEMA, "{}", "not json", "[]",
                   avro("Items", {"name": "ITEM_ID", "type": "int"}),
                   avro("Interactions", {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"})],
        "filterExpression": list(FILTERS.values()) + [
            "EXCLUDE ItemID WHERE Items.PRICE > 3", 'INCLUDE ItemID WHERE Items.GENRES IN ("g1") | garbage',
            "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($E)", "EXCLUDE UserID WHERE Users.TIER IN (\"gold\")",
            "EXCLUDE ItemID WHERE Items.NOPE IN (\"x\")", "INCLUDE"],
        "filterValues.key": ["GENRE", "MAX", "E", "UNUSED"],
        "filterValues.value": ['"g1"', '"g1","g2"', "3", "g1", '"' + '","'.join(f"g{n}" for n in range(120)) + '"'],
        "dataLocation": [f"s3://{BUCKET}/{key}" for key in ("interactions.csv", "items.csv", "users.csv", "delete/",
                                                            "broken.csv", "", "nothing-here.csv")]
        + ["s3://no-such-bucket/data.csv", "https://example.com/x.csv"],
        "path": [f"s3://{BUCKET}/{key}" for key in ("batch/users.json", "batch/items.json", "batch/ranking.json",
                                                    "segments/items.json", "segments/attributes.json", "out/",
                                                    "missing.json")] + ["s3://no-such-bucket/out/"],
        "properties": ['{"genres": "g1", "price": 2.5, "creationTimestamp": 1700000000}', '{"tier": "gold"}',
                       '{"category": "c1", "value": 3}', '{"device": "phone"}', "{}", "not json", "[1]", "null",
                       '{"genres": null}', '{"price": "cheap"}', '{"unknownField": 1}'],
        "itemAttribute": ["GENRES", "PRICE", "NOPE"], "itemName": ["GENRES", "ITEM_ID", "NOPE"],
        "context.key": ["DEVICE", "NOPE"], "context.value": ["phone", "web"],
        "metricName": ["VIEWS", "BUYS"], "removeMetrics": ["VIEWS", "NOPE"],
        "expression": ["SAMPLECOUNT()", "SUM(Items.PRICE)", "SUM(PRICE)", "AVG(x)"],
        "algorithmHyperParameters.key": ["hidden_dimension", "bptt", "recency_mask", "min_user_history_length_percentile"],
        "algorithmHyperParameters.value": ["32", "true", "0.5", "abc", "-1"],
        "featureTransformationParameters.key": ["max_user_history_length_percentile"],
        "featureTransformationParameters.value": ["0.99", "x"],
        "itemExplorationConfig.key": ["explorationWeight", "explorationItemAgeCutOff", "bogus"],
        "itemExplorationConfig.value": ["0", "0.3", "1", "30", "x", "-5"],
        "excludedDatasetColumns.key": ["Interactions", "Items", "Users"],
        "includedDatasetColumns.key": ["Interactions", "Items", "Users"],
        "excludedDatasetColumns.value": ["GENRES", "PRICE", "TIER", "EVENT_TYPE", "DEVICE"],
        "includedDatasetColumns.value": ["GENRES", "PRICE", "TIER", "EVENT_TYPE", "DEVICE"],
        "metadataColumns.key": ["Items", "Users"], "metadataColumns.value": ["GENRES", "PRICE", "NOPE"],
        "tagKey": ["team", "owner"], "tagKeys": ["team", "owner"], "tagValue": ["search", "data"],
        "schedulingExpression": ["rate(7 days)", "rate(1 day)"],
        "maxNumberOfTrainingJobs": ["4", "x"], "maxParallelTrainingJobs": ["2", "x"],
        "eventAttributionSource": ["email"],
        "recommendationId": [made["rid"], "RID-missing"],
        "": templates(made),
    })
    return known


def templates(made: dict[str, Any]) -> list[dict[str, Any]]:
    """Valid requests (the fuzzer mutates them) for the operations whose own rules a random
    request rarely satisfies; each is offered to every operation whose input shape it fits."""
    campaigns, versions, filters, datasets = made["campaigns"], made["versions"], made["filters"], made["datasets"]
    up, nba = campaigns["aws-user-personalization"], campaigns["aws-next-best-action"]
    fresh = st.from_regex(r"fz-[a-z0-9]{1,12}", fullmatch=True)  # names not taken yet
    when = datetime.datetime(2026, 2, 1, tzinfo=datetime.timezone.utc)
    out = {"s3DataDestination": {"path": f"s3://{BUCKET}/out/"}}
    return [
        # runtime
        {"campaignArn": up, "userId": "u1", "numResults": 5},
        {"campaignArn": up, "userId": "u2", "filterArn": filters["genre"], "filterValues": {"GENRE": '"g1","g2"'}},
        {"campaignArn": up, "userId": "u5", "context": {"DEVICE": "phone"}, "metadataColumns": {"ITEMS": ["GENRES"]},
         "promotions": [{"name": "promo", "percentPromotedItems": 40, "filterArn": filters["genre"],
                         "filterValues": {"GENRE": '"g3"'}}]},
        {"campaignArn": campaigns["aws-sims"], "itemId": "i1", "numResults": 10, "filterArn": filters["no-g1"]},
        {"recommenderArn": made["recommender"], "userId": "u3", "filterArn": filters["cheap"],
         "filterValues": {"MAX": "10"}},
        {"campaignArn": campaigns["aws-personalized-ranking"], "userId": "u1", "inputList": ["i1", "i2", "i30", "zz"]},
        {"campaignArn": campaigns["aws-personalized-ranking"], "userId": "u7", "inputList": ["i1", "i20"],
         "filterArn": filters["gold"], "context": {"DEVICE": "web"}},
        {"campaignArn": nba, "userId": "u3", "numResults": 2},
        {"campaignArn": nba, "userId": "u4", "filterArn": filters["actions"]},
        # events
        {"trackingId": made["tracking"], "userId": "u1", "sessionId": "s1", "eventList": [
            {"eventType": "view", "itemId": "i17", "sentAt": when},
            {"eventType": "buy", "itemId": "i18", "sentAt": when, "recommendationId": made["rid"],
             "impression": ["i18", "i19"], "eventValue": 2.5, "eventId": "e1",
             "metricAttribution": {"eventAttributionSource": "email"}}]},
        {"datasetArn": datasets["Items"], "items": [
            {"itemId": "i900", "properties": '{"genres": "g1|g2", "price": 3.5, "creationTimestamp": 1700000000}'}]},
        {"datasetArn": datasets["Users"], "users": [{"userId": "u900", "properties": '{"tier": "gold"}'}]},
        {"datasetArn": datasets["Actions"], "actions": [{"actionId": "a9", "properties": '{"category": "c9", "value": 9}'}]},
        {"trackingId": made["action_tracking"], "actionInteractions": [
            {"actionId": "a1", "userId": "u1", "sessionId": "s1", "timestamp": when, "eventType": "TAKEN"}]},
        # control plane
        {"name": fresh, "datasetGroupArn": made["group"], "recipeArn": RECIPE + "aws-user-personalization",
         "solutionConfig": {"algorithmHyperParameters": {"hidden_dimension": "64"},
                            "eventsConfig": {"eventParametersList": [{"eventType": "buy", "weight": 0.7}]}}},
        {"solutionArn": versions["aws-sims"].rsplit("/", 1)[0], "trainingMode": "FULL"},
        {"name": fresh, "solutionVersionArn": versions["aws-popularity-count"], "minProvisionedTPS": 1},
        {"campaignArn": up, "solutionVersionArn": versions["aws-user-personalization"],
         "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.2"}}},
        {"name": fresh, "datasetGroupArn": made["group"],
         "filterExpression": 'INCLUDE ItemID WHERE Items.GENRES IN ($G) AND Items.PRICE > 1'},
        {"jobName": fresh, "datasetArn": datasets["Items"], "importMode": "INCREMENTAL", "roleArn": ROLE,
         "dataSource": {"dataLocation": f"s3://{BUCKET}/items.csv"}},
        {"jobName": fresh, "solutionVersionArn": versions["aws-user-personalization"], "roleArn": ROLE,
         "numResults": 5, "filterArn": filters["genre"], "jobOutput": out,
         "jobInput": {"s3DataSource": {"path": f"s3://{BUCKET}/batch/users.json"}}},
        {"jobName": fresh, "solutionVersionArn": versions["aws-item-attribute-affinity"], "roleArn": ROLE,
         "jobOutput": out, "jobInput": {"s3DataSource": {"path": f"s3://{BUCKET}/segments/attributes.json"}}},
        {"name": fresh, "datasetGroupArn": made["domain"], "recipeArn": RECIPE + "aws-ecomm-popular-items-by-purchases",
         "recommenderConfig": {"minRecommendationRequestsPerSecond": 1}},
        {"metricAttributionArn": made["attribution"],
         "addMetrics": [{"eventType": "buy", "metricName": "BUYS", "expression": "SUM(Items.PRICE)"}]},
        {"metricAttributionArn": made["attribution"], "removeMetrics": ["BUYS"]},
        {"jobName": fresh, "datasetGroupArn": made["group"], "roleArn": ROLE,
         "dataSource": {"dataLocation": f"s3://{BUCKET}/delete/"}},
        {"name": fresh, "schemaArn": made["schemas"]["Items"], "datasetGroupArn": made["spare"], "datasetType": "Items"},
        {"jobName": fresh, "datasetArn": datasets["Users"], "roleArn": ROLE, "ingestionMode": "ALL", "jobOutput": out},
    ]
