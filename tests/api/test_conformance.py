"""Conformance: every one of the 79 operations, called through boto3 with a successful
request, answers a response that validates against botocore's output shape. Fails if any
operation of the three APIs is not exercised."""

from __future__ import annotations

import datetime
import json

import botocore.session
from botocore import xform_name
from moto.moto_api import state_manager

from tests.api.test_recommenders import domain_group
from tests.api.test_runtime import RECIPE
from tests.conftest import ACTION_INTERACTIONS_SCHEMA, ACTIONS_SCHEMA
from tests.shape_validator import assert_valid_response

ROLE = "arn:aws:iam::123456789012:role/conformance"
SERVICES = {"personalize": "personalize", "personalize-events": "events", "personalize-runtime": "runtime"}
_session = botocore.session.get_session()
ALL_OPERATIONS = {(s, op) for s in SERVICES for op in _session.get_service_model(s).operation_names}


def test_every_operation_answers_a_valid_response(api, shop, monkeypatch):
    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")
    called: set[tuple[str, str]] = set()

    def call(service: str, operation: str, **params):
        client = getattr(api, SERVICES[service])
        response = getattr(client, xform_name(operation))(**params)
        assert_valid_response(service, operation, response)
        called.add((service, operation))
        return response

    p = lambda op, **kw: call("personalize", op, **kw)  # noqa: E731
    group, tracking = shop["group"], shop["tracking"]

    # ---- data model -----------------------------------------------------------------------
    spare = p("CreateDatasetGroup", name="spare")["datasetGroupArn"]
    p("DescribeDatasetGroup", datasetGroupArn=group)
    p("ListDatasetGroups")
    actions_schema = p("CreateSchema", name="actions", schema=ACTIONS_SCHEMA)["schemaArn"]
    taken_schema = p("CreateSchema", name="taken", schema=ACTION_INTERACTIONS_SCHEMA)["schemaArn"]
    p("DescribeSchema", schemaArn=actions_schema)
    p("ListSchemas")
    actions = p("CreateDataset", name="actions", schemaArn=actions_schema, datasetGroupArn=group,
                datasetType="Actions")["datasetArn"]
    taken = p("CreateDataset", name="taken", schemaArn=taken_schema, datasetGroupArn=group,
              datasetType="Action_Interactions")["datasetArn"]
    p("DescribeDataset", datasetArn=actions)
    p("ListDatasets", datasetGroupArn=group)
    p("UpdateDataset", datasetArn=actions, schemaArn=actions_schema)
    interactions, items, users = (shop["datasets"][k] for k in ("Interactions", "Items", "Users"))
    tracker = p("ListEventTrackers", datasetGroupArn=group)["eventTrackers"][0]["eventTrackerArn"]
    p("DescribeEventTracker", eventTrackerArn=tracker)

    # ---- events ---------------------------------------------------------------------------
    e = lambda op, **kw: call("personalize-events", op, **kw)  # noqa: E731
    e("PutEvents", trackingId=tracking, userId="u1", sessionId="s1",
      eventList=[{"eventType": "view", "itemId": "i17", "sentAt": datetime.datetime(2026, 1, 1)}])
    e("PutItems", datasetArn=items, items=[{"itemId": "i999", "properties": json.dumps(
        {"genres": "g9", "price": 2.5, "creationTimestamp": 1_700_000_000})}])
    e("PutUsers", datasetArn=users, users=[{"userId": "u999", "properties": json.dumps({"tier": "gold"})}])
    e("PutActions", datasetArn=actions, actions=[
        {"actionId": f"a{n}", "properties": json.dumps({"category": f"c{n}", "value": n})} for n in range(3)])
    action_tracking = p("DescribeDataset", datasetArn=taken)["dataset"]["trackingId"]
    for batch in range(12):
        e("PutActionInteractions", trackingId=action_tracking, actionInteractions=[
            {"actionId": f"a{(batch + n) % 3}", "userId": f"u{(batch * 10 + n) % 60}", "sessionId": "s",
             "timestamp": datetime.datetime(2026, 1, 1) + datetime.timedelta(hours=batch * 10 + n),
             "eventType": "TAKEN" if (batch + n) % 3 == 0 else "NOT_TAKEN"} for n in range(10)])

    # ---- data jobs ------------------------------------------------------------------------
    api.s3.put_object(Bucket="shop-data", Key="delete/users.csv", Body="USER_ID\nu199\n")
    job = p("CreateDatasetImportJob", jobName="again", datasetArn=items, importMode="INCREMENTAL",
            dataSource={"dataLocation": "s3://shop-data/items.csv"}, roleArn=ROLE)["datasetImportJobArn"]
    p("DescribeDatasetImportJob", datasetImportJobArn=job)
    p("ListDatasetImportJobs", datasetArn=items)
    export = p("CreateDatasetExportJob", jobName="export", datasetArn=interactions, roleArn=ROLE, ingestionMode="ALL",
               jobOutput={"s3DataDestination": {"path": "s3://shop-data/exports/"}})["datasetExportJobArn"]
    p("DescribeDatasetExportJob", datasetExportJobArn=export)
    p("ListDatasetExportJobs", datasetArn=interactions)
    deletion = p("CreateDataDeletionJob", jobName="forget", datasetGroupArn=group, roleArn=ROLE,
                 dataSource={"dataLocation": "s3://shop-data/delete/"})["dataDeletionJobArn"]
    p("DescribeDataDeletionJob", dataDeletionJobArn=deletion)
    p("ListDataDeletionJobs", datasetGroupArn=group)

    # ---- catalogue and training -------------------------------------------------------------
    recipe = p("ListRecipes")["recipes"][0]["recipeArn"]
    described = p("DescribeRecipe", recipeArn=RECIPE + "aws-sims")["recipe"]
    p("DescribeAlgorithm", algorithmArn=described["algorithmArn"])
    p("DescribeFeatureTransformation", featureTransformationArn=described["featureTransformationArn"])
    assert recipe
    versions = {}
    for name, recipe_name in (("up", "aws-user-personalization"), ("rank", "aws-personalized-ranking"),
                              ("affinity", "aws-item-affinity"), ("nba", "aws-next-best-action")):
        solution = p("CreateSolution", name=name, datasetGroupArn=group, recipeArn=RECIPE + recipe_name)["solutionArn"]
        versions[name] = p("CreateSolutionVersion", solutionArn=solution)["solutionVersionArn"]
        assert p("DescribeSolutionVersion", solutionVersionArn=versions[name])["solutionVersion"]["status"] == "ACTIVE"
    up_solution = versions["up"].rsplit("/", 1)[0]
    p("DescribeSolution", solutionArn=up_solution)
    p("ListSolutions", datasetGroupArn=group)
    p("ListSolutionVersions", solutionArn=up_solution)
    p("GetSolutionMetrics", solutionVersionArn=versions["up"])
    p("UpdateSolution", solutionArn=up_solution, performAutoTraining=False)
    state_manager.set_transition("personalize::solution-version", {"progression": "manual", "times": 5})
    try:
        training = p("CreateSolutionVersion", solutionArn=up_solution)["solutionVersionArn"]
        p("StopSolutionVersionCreation", solutionVersionArn=training)
    finally:
        state_manager.set_transition("personalize::solution-version", {"progression": "immediate"})

    # ---- serving ----------------------------------------------------------------------------
    flt = p("CreateFilter", name="no-g1", datasetGroupArn=group,
            filterExpression='EXCLUDE ItemID WHERE Items.GENRES IN ("g1")')["filterArn"]
    p("DescribeFilter", filterArn=flt)
    p("ListFilters", datasetGroupArn=group)
    campaigns = {name: p("CreateCampaign", name=name, solutionVersionArn=versions[name])["campaignArn"]
                 for name in ("up", "rank", "nba")}
    p("DescribeCampaign", campaignArn=campaigns["up"])
    p("ListCampaigns", solutionArn=up_solution)
    p("UpdateCampaign", campaignArn=campaigns["up"], minProvisionedTPS=2)
    r = lambda op, **kw: call("personalize-runtime", op, **kw)  # noqa: E731
    r("GetRecommendations", campaignArn=campaigns["up"], userId="u1", numResults=5, filterArn=flt)
    r("GetPersonalizedRanking", campaignArn=campaigns["rank"], userId="u1", inputList=["i1", "i20", "unknown"])
    r("GetActionRecommendations", campaignArn=campaigns["nba"], userId="u3", numResults=2)

    domain = domain_group(api, name="domain")
    p("CreateEventTracker", name="domain-tracker", datasetGroupArn=domain)
    recommender = p("CreateRecommender", name="views", datasetGroupArn=domain,
                    recipeArn=RECIPE + "aws-ecomm-popular-items-by-views")["recommenderArn"]
    p("DescribeRecommender", recommenderArn=recommender)
    p("ListRecommenders", datasetGroupArn=domain)
    p("UpdateRecommender", recommenderArn=recommender, recommenderConfig={"minRecommendationRequestsPerSecond": 2})
    p("StopRecommender", recommenderArn=recommender)
    p("StartRecommender", recommenderArn=recommender)

    # ---- batch jobs and metric attributions ----------------------------------------------------
    api.s3.put_object(Bucket="shop-data", Key="batch/users.json", Body='{"userId": "u1"}\n')
    api.s3.put_object(Bucket="shop-data", Key="segments/items.json", Body='{"itemId": "i1"}\n')
    batch = p("CreateBatchInferenceJob", jobName="batch", solutionVersionArn=versions["up"], roleArn=ROLE,
              jobInput={"s3DataSource": {"path": "s3://shop-data/batch/users.json"}},
              jobOutput={"s3DataDestination": {"path": "s3://shop-data/batch-out/"}})["batchInferenceJobArn"]
    p("DescribeBatchInferenceJob", batchInferenceJobArn=batch)
    p("ListBatchInferenceJobs", solutionVersionArn=versions["up"])
    segments = p("CreateBatchSegmentJob", jobName="segments", solutionVersionArn=versions["affinity"], roleArn=ROLE,
                 jobInput={"s3DataSource": {"path": "s3://shop-data/segments/items.json"}},
                 jobOutput={"s3DataDestination": {"path": "s3://shop-data/segments-out/"}})["batchSegmentJobArn"]
    p("DescribeBatchSegmentJob", batchSegmentJobArn=segments)
    p("ListBatchSegmentJobs", solutionVersionArn=versions["affinity"])
    attribution = p("CreateMetricAttribution", name="metrics", datasetGroupArn=group,
                    metrics=[{"eventType": "view", "metricName": "VIEWS", "expression": "SAMPLECOUNT()"}],
                    metricsOutputConfig={"roleArn": ROLE})["metricAttributionArn"]
    p("DescribeMetricAttribution", metricAttributionArn=attribution)
    p("ListMetricAttributions", datasetGroupArn=group)
    p("ListMetricAttributionMetrics", metricAttributionArn=attribution)
    p("UpdateMetricAttribution", metricAttributionArn=attribution,
      addMetrics=[{"eventType": "buy", "metricName": "BUYS", "expression": "SAMPLECOUNT()"}])

    # ---- tags -----------------------------------------------------------------------------------
    p("TagResource", resourceArn=campaigns["up"], tags=[{"tagKey": "team", "tagValue": "search"}])
    p("ListTagsForResource", resourceArn=campaigns["up"])
    p("UntagResource", resourceArn=campaigns["up"], tagKeys=["team"])

    # ---- deletes ---------------------------------------------------------------------------------
    p("DeleteMetricAttribution", metricAttributionArn=attribution)
    p("DeleteRecommender", recommenderArn=recommender)
    p("DeleteCampaign", campaignArn=campaigns["rank"])
    p("DeleteFilter", filterArn=flt)
    p("DeleteSolution", solutionArn=versions["affinity"].rsplit("/", 1)[0])
    p("DeleteEventTracker", eventTrackerArn=tracker)
    unused = p("CreateSchema", name="unused", schema=ACTIONS_SCHEMA)["schemaArn"]
    p("DeleteSchema", schemaArn=unused)
    spare_schema = p("CreateSchema", name="spare-actions", schema=ACTIONS_SCHEMA)["schemaArn"]
    spare_actions = p("CreateDataset", name="spare-actions", schemaArn=spare_schema, datasetGroupArn=spare,
                      datasetType="Actions")["datasetArn"]
    p("DeleteDataset", datasetArn=spare_actions)
    p("ListDatasets", datasetGroupArn=spare)  # the deleted dataset is gone once read
    p("DeleteDatasetGroup", datasetGroupArn=spare)

    missing = sorted(f"{s}:{op}" for s, op in ALL_OPERATIONS - called)
    assert not missing, f"operations never exercised: {missing}"
    assert len(called) == 79
