"""Recommenders through boto3: domain use cases trained on create, updates, stop/start, limits."""

from __future__ import annotations

import pytest

from personalize_mock.backend import personalize_backends
from tests.conftest import ACCOUNT, REGION, arn, avro, error_code, error_message

RECIPE = "arn:aws:personalize:::recipe/"
DEFAULT_EXPLORATION = {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}
METRIC_KEYS = {
    "coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10", "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5", "precision_at_10", "precision_at_25",
}
ECOMMERCE_USE_CASES = [
    "aws-ecomm-popular-items-by-views", "aws-ecomm-popular-items-by-purchases",
    "aws-ecomm-frequently-bought-together", "aws-ecomm-customers-who-viewed-x-also-viewed",
]
# Interactions with one optional column, so that training columns can be chosen.
DOMAIN_INTERACTIONS_SCHEMA = avro(
    "Interactions",
    {"name": "USER_ID", "type": "string"},
    {"name": "ITEM_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
    {"name": "EVENT_TYPE", "type": "string"},
    {"name": "DEVICE", "type": ["null", "string"], "categorical": True},
)


def backend():
    """The emulator's state (the server runs in this process too)."""
    return personalize_backends[ACCOUNT][REGION]


def wait(describe, want=("ACTIVE",), attempts=12):
    """Poll ``describe()`` (one tick of manual progression each) until its status is in ``want``."""
    for _ in range(attempts):
        found = describe()
        if found["status"] in want:
            return found
    raise AssertionError(f"status {found['status']} not in {want}")


def events_csv(users=220, per_user=10, purchase_every=2, kinds=("View", "Purchase")):
    """Users of group g interact with items of group g; every ``purchase_every``-th event of a
    user is the second kind (Purchase), the rest the first (View)."""
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,DEVICE"]
    stamp = 1_700_000_000
    for user in range(users):
        group = user % 4
        for k in range(per_user):
            stamp += 1
            kind = kinds[1] if k % purchase_every == 1 else kinds[0]
            lines.append(f"u{user},i{group * 15 + (user + k) % 15},{stamp},{kind},{'phone' if k % 3 else 'web'}")
    return "\n".join(lines) + "\n"


def domain_group(api, name="shop", domain="ECOMMERCE", body=None):
    """An ACTIVE Domain dataset group whose Interactions dataset holds ``body`` (default: 2,200
    interactions, 1,100 View and 1,100 Purchase)."""
    p = api.personalize
    bucket = f"{name}-data"
    api.s3.create_bucket(Bucket=bucket)
    api.s3.put_object(Bucket=bucket, Key="interactions.csv", Body=body or events_csv())
    group = p.create_dataset_group(name=name, domain=domain)["datasetGroupArn"]
    wait(lambda: p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    schema = p.create_schema(name=f"{name}-interactions", schema=DOMAIN_INTERACTIONS_SCHEMA, domain=domain)["schemaArn"]
    dataset = p.create_dataset(
        name=f"{name}-interactions", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    wait(lambda: p.describe_dataset(datasetArn=dataset)["dataset"])
    job = p.create_dataset_import_job(
        jobName=f"{name}-bulk", datasetArn=dataset, dataSource={"dataLocation": f"s3://{bucket}/interactions.csv"}
    )["datasetImportJobArn"]
    done = wait(lambda: p.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"])
    assert done["status"] == "ACTIVE", done.get("failureReason")
    return group


@pytest.fixture
def shop(api):
    return domain_group(api)


def create(api, group, name, use_case="aws-ecomm-recommended-for-you", **kwargs):
    return api.personalize.create_recommender(
        name=name, datasetGroupArn=group, recipeArn=RECIPE + use_case, **kwargs
    )["recommenderArn"]


def describe(api, recommender_arn):
    return api.personalize.describe_recommender(recommenderArn=recommender_arn)["recommender"]


def test_recommender_round_trip(api, shop):
    p = api.personalize
    recommender_arn = create(api, shop, "for-you")
    assert recommender_arn == arn("recommender/for-you")
    recommender = describe(api, recommender_arn)
    assert recommender["status"] == "ACTIVE", recommender.get("failureReason")
    assert recommender["name"] == "for-you" and recommender["datasetGroupArn"] == shop
    assert recommender["recipeArn"] == RECIPE + "aws-ecomm-recommended-for-you"
    assert recommender["recommenderConfig"] == {
        "itemExplorationConfig": DEFAULT_EXPLORATION, "minRecommendationRequestsPerSecond": 1,
    }
    assert set(recommender["modelMetrics"]) == METRIC_KEYS
    assert all(0.0 <= value <= 1.0 for value in recommender["modelMetrics"].values())
    assert "latestRecommenderUpdate" not in recommender and "failureReason" not in recommender

    (summary,) = p.list_recommenders(datasetGroupArn=shop)["recommenders"]
    assert summary["recommenderArn"] == recommender_arn and summary["recipeArn"] == recommender["recipeArn"]
    assert summary["recommenderConfig"] == recommender["recommenderConfig"]
    assert "modelMetrics" not in summary
    assert p.list_recommenders(datasetGroupArn=shop + "x")["recommenders"] == []
    assert len(p.list_recommenders()["recommenders"]) == 1

    # What the runtime reads.
    served = backend().recommenders.get(recommender_arn)
    assert served.recipe.name == "aws-ecomm-recommended-for-you" and served.dataset_group_arn == shop
    assert served.trained is not None and served.trained.family == "user_personalization"
    assert served.recommender_config["itemExplorationConfig"] == DEFAULT_EXPLORATION


def test_every_ecommerce_use_case_trains(api, shop):
    created = {use_case: create(api, shop, use_case.replace("aws-ecomm-", ""), use_case) for use_case in ECOMMERCE_USE_CASES}
    for use_case, recommender_arn in created.items():
        recommender = describe(api, recommender_arn)
        assert recommender["status"] == "ACTIVE", (use_case, recommender.get("failureReason"))
        assert recommender["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 1}  # no exploration
        assert recommender["modelMetrics"], use_case
    families = {backend().recommenders.get(a).trained.family for a in created.values()}
    assert families == {"popularity", "sims"}


def test_required_event_type_needs_1000_events(api, monkeypatch):
    # 1,200 interactions: 1,100 View but only 100 Purchase.
    group = domain_group(api, "sparse", body=events_csv(users=100, per_user=12, purchase_every=12))
    views = create(api, group, "views", "aws-ecomm-popular-items-by-views")
    assert describe(api, views)["status"] == "ACTIVE"
    sellers = describe(api, create(api, group, "sellers", "aws-ecomm-popular-items-by-purchases"))
    assert sellers["status"] == "CREATE FAILED"
    assert "fewer than 1000 interactions after filtering by event type: Purchase" in sellers["failureReason"]
    assert "PERSONALIZE_MOCK_RELAXED_DATA" in sellers["failureReason"]
    assert "modelMetrics" not in sellers
    assert backend().recommenders.get(sellers["recommenderArn"]).trained is None
    with pytest.raises(api.personalize.exceptions.ResourceInUseException):
        api.personalize.update_recommender(recommenderArn=sellers["recommenderArn"],
                                           recommenderConfig={"minRecommendationRequestsPerSecond": 2})

    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")
    relaxed = describe(api, create(api, group, "sellers-relaxed", "aws-ecomm-popular-items-by-purchases"))
    assert relaxed["status"] == "ACTIVE", relaxed.get("failureReason")


def test_too_little_data_fails_like_the_service(api, monkeypatch):
    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")  # lets the tiny import in
    group = domain_group(api, "tiny", body=events_csv(users=30, per_user=4))
    monkeypatch.delenv("PERSONALIZE_MOCK_RELAXED_DATA")
    failed = describe(api, create(api, group, "strict"))
    assert failed["status"] == "CREATE FAILED"
    assert "fewer than 1000 interactions" in failed["failureReason"]
    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")
    assert describe(api, create(api, group, "relaxed"))["status"] == "ACTIVE"


def test_create_recommender_errors(api, shop):
    p = api.personalize
    custom = p.create_dataset_group(name="custom")["datasetGroupArn"]
    cases = [
        ({"recipeArn": RECIPE + "aws-ecomm-nope"}, "ResourceNotFoundException", "aws-ecomm-nope"),
        ({"datasetGroupArn": arn("dataset-group/missing")}, "ResourceNotFoundException", "missing"),
        ({"datasetGroupArn": custom}, "InvalidInputException", "Domain dataset group"),
        ({"recipeArn": RECIPE + "aws-user-personalization"}, "InvalidInputException", "CreateSolution"),
        ({"recipeArn": RECIPE + "aws-vod-top-picks"}, "InvalidInputException", "VIDEO_ON_DEMAND"),
        ({"recipeArn": RECIPE + "aws-ecomm-popular-items-by-views",
          "recommenderConfig": {"itemExplorationConfig": DEFAULT_EXPLORATION}}, "InvalidInputException", "itemExplorationConfig"),
        ({"recommenderConfig": {"itemExplorationConfig": {"explorationWeight": "-0.1"}}}, "InvalidInputException", "explorationWeight"),
        ({"recommenderConfig": {"itemExplorationConfig": {"explorationItemAgeCutOff": "soon"}}},
         "InvalidInputException", "explorationItemAgeCutOff"),
        ({"recommenderConfig": {"trainingDataConfig": {"excludedDatasetColumns": {"INTERACTIONS": ["COLOUR"]}}}},
         "InvalidInputException", "COLOUR"),
        ({"recommenderConfig": {"trainingDataConfig": {"excludedDatasetColumns": {"INTERACTIONS": ["USER_ID"]}}}},
         "InvalidInputException", "USER_ID"),
        ({"recommenderConfig": {"trainingDataConfig": {"includedDatasetColumns": {"ITEMS": ["PRICE"]}}}},
         "InvalidInputException", "Items dataset"),
        ({"recommenderConfig": {"trainingDataConfig": {"excludedDatasetColumns": {"ACTIONS": ["X"]}}}},
         "InvalidInputException", "ACTIONS"),
        ({"name": "no spaces"}, "InvalidInputException", "name"),
    ]
    for overrides, code, fragment in cases:
        kwargs = {"name": "bad", "datasetGroupArn": shop, "recipeArn": RECIPE + "aws-ecomm-recommended-for-you", **overrides}
        with pytest.raises(p.exceptions.ClientError) as excinfo:
            p.create_recommender(**kwargs)
        assert error_code(excinfo) == code, overrides
        assert fragment in error_message(excinfo), (overrides, error_message(excinfo))
    assert p.list_recommenders()["recommenders"] == []

    create(api, shop, "dup", "aws-ecomm-popular-items-by-views")
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        create(api, shop, "dup", "aws-ecomm-popular-items-by-views")
    for call in (
        lambda: p.describe_recommender(recommenderArn=arn("recommender/missing")),
        lambda: p.update_recommender(recommenderArn=arn("recommender/missing"), recommenderConfig={}),
        lambda: p.stop_recommender(recommenderArn=arn("recommender/missing")),
        lambda: p.start_recommender(recommenderArn=arn("recommender/missing")),
        lambda: p.delete_recommender(recommenderArn=arn("recommender/missing")),
    ):
        with pytest.raises(p.exceptions.ResourceNotFoundException):
            call()


def test_video_on_demand_use_cases(api):
    p = api.personalize
    group = domain_group(api, "videos", "VIDEO_ON_DEMAND", body=events_csv(purchase_every=99, kinds=("Watch", "Watch")))
    with pytest.raises(p.exceptions.InvalidInputException) as excinfo:
        create(api, group, "top-picks", "aws-vod-top-picks")  # needs an Items dataset
    assert "Items" in error_message(excinfo)
    with pytest.raises(p.exceptions.InvalidInputException):
        create(api, group, "for-you", "aws-ecomm-recommended-for-you")
    for use_case in ("aws-vod-most-popular", "aws-vod-because-you-watched-x", "aws-vod-trending-now"):
        recommender = describe(api, create(api, group, use_case.replace("aws-vod-", ""), use_case))
        assert recommender["status"] == "ACTIVE", (use_case, recommender.get("failureReason"))


def test_recommender_limit_per_group(api, shop):
    p = api.personalize
    made = [create(api, shop, f"r{n}", "aws-ecomm-popular-items-by-views") for n in range(5)]
    with pytest.raises(p.exceptions.LimitExceededException):
        create(api, shop, "sixth", "aws-ecomm-popular-items-by-views")
    p.delete_recommender(recommenderArn=made[0])
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        describe(api, made[0])
    assert create(api, shop, "sixth", "aws-ecomm-popular-items-by-views") == arn("recommender/sixth")


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_group_must_be_active(api):
    p = api.personalize
    group = p.create_dataset_group(name="fresh", domain="ECOMMERCE")["datasetGroupArn"]
    with pytest.raises(p.exceptions.ResourceInUseException) as excinfo:
        create(api, group, "early", "aws-ecomm-popular-items-by-views")
    assert "ACTIVE" in error_message(excinfo)


@pytest.mark.personalize_transition(progression="manual", times=2)
def test_stop_start_and_delete_lifecycle(api, shop):
    p = api.personalize
    recommender_arn = create(api, shop, "for-you")
    creating = [describe(api, recommender_arn) for _ in range(4)]
    assert [r["status"] for r in creating] == ["CREATE PENDING", "CREATE IN_PROGRESS", "CREATE IN_PROGRESS", "ACTIVE"]
    assert all("modelMetrics" not in r for r in creating[:3]) and creating[3]["modelMetrics"]
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.start_recommender(recommenderArn=recommender_arn)  # only from INACTIVE

    assert p.stop_recommender(recommenderArn=recommender_arn)["recommenderArn"] == recommender_arn
    stopping = [describe(api, recommender_arn) for _ in range(4)]
    assert [r["status"] for r in stopping] == ["STOP PENDING", "STOP IN_PROGRESS", "STOP IN_PROGRESS", "INACTIVE"]
    assert all(r["modelMetrics"] for r in stopping)  # the model stays
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.stop_recommender(recommenderArn=recommender_arn)  # only from ACTIVE
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.update_recommender(recommenderArn=recommender_arn, recommenderConfig={"minRecommendationRequestsPerSecond": 2})

    assert p.start_recommender(recommenderArn=recommender_arn)["recommenderArn"] == recommender_arn
    starting = [describe(api, recommender_arn)["status"] for _ in range(4)]
    assert starting == ["START PENDING", "START IN_PROGRESS", "START IN_PROGRESS", "ACTIVE"]

    p.stop_recommender(recommenderArn=recommender_arn)
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_recommender(recommenderArn=recommender_arn)  # stopping
    wait(lambda: describe(api, recommender_arn), ("INACTIVE",))
    p.delete_recommender(recommenderArn=recommender_arn)  # an INACTIVE recommender can go
    deleting = describe(api, recommender_arn)
    assert deleting["status"] == "DELETE PENDING" and "modelMetrics" not in deleting
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_recommender(recommenderArn=recommender_arn)
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.start_recommender(recommenderArn=recommender_arn)
    statuses = []
    for _ in range(4):
        try:
            statuses.append(describe(api, recommender_arn)["status"])
        except p.exceptions.ResourceNotFoundException:
            statuses.append("gone")
    assert "DELETE IN_PROGRESS" in statuses and statuses[-1] == "gone"


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_update_lifecycle(api, shop):
    p = api.personalize
    recommender_arn = create(api, shop, "for-you")
    wait(lambda: describe(api, recommender_arn))
    before = backend().recommenders.get(recommender_arn).trained

    p.update_recommender(recommenderArn=recommender_arn, recommenderConfig={
        "minRecommendationRequestsPerSecond": 3,
        "trainingDataConfig": {"excludedDatasetColumns": {"INTERACTIONS": ["DEVICE"]}},
    })
    served = backend().recommenders.get(recommender_arn)
    assert served.trained is before and served.recommender_config["minRecommendationRequestsPerSecond"] == 1

    recommender = describe(api, recommender_arn)
    update = recommender["latestRecommenderUpdate"]
    assert recommender["status"] == "ACTIVE" and update["status"] == "CREATE IN_PROGRESS"
    assert recommender["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 1
    assert update["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 3
    assert update["recommenderConfig"]["itemExplorationConfig"] == DEFAULT_EXPLORATION  # kept
    with pytest.raises(p.exceptions.ResourceInUseException) as excinfo:
        p.update_recommender(recommenderArn=recommender_arn, recommenderConfig={"minRecommendationRequestsPerSecond": 4})
    assert "in progress" in error_message(excinfo)
    assert backend().recommenders.get(recommender_arn).trained is before

    recommender = describe(api, recommender_arn)
    assert recommender["latestRecommenderUpdate"]["status"] == "ACTIVE"
    assert recommender["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 3
    assert recommender["recommenderConfig"]["trainingDataConfig"] == {"excludedDatasetColumns": {"INTERACTIONS": ["DEVICE"]}}
    served = backend().recommenders.get(recommender_arn)
    assert served.trained is not before and served.trained is not None  # retrained on the new columns
    assert set(recommender["modelMetrics"]) == METRIC_KEYS

    # A change that leaves the training columns alone keeps the model.
    p.update_recommender(recommenderArn=recommender_arn,
                         recommenderConfig={"itemExplorationConfig": {"explorationWeight": "0.8"}})
    wait(lambda: describe(api, recommender_arn)["latestRecommenderUpdate"])
    served = backend().recommenders.get(recommender_arn)
    assert served.recommender_config["itemExplorationConfig"] == {"explorationWeight": "0.8", "explorationItemAgeCutOff": "30"}
    assert served.recommender_config["minRecommendationRequestsPerSecond"] == 3
    with pytest.raises(p.exceptions.InvalidInputException):
        p.update_recommender(recommenderArn=recommender_arn,
                             recommenderConfig={"itemExplorationConfig": {"explorationWeight": "7"}})


def test_delete_and_dataset_group(api, shop):
    p = api.personalize
    recommender_arn = create(api, shop, "for-you")
    assert recommender_arn in [r.arn for r in backend().group_children(shop)]
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_dataset_group(datasetGroupArn=shop)
    p.delete_recommender(recommenderArn=recommender_arn)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        describe(api, recommender_arn)
    assert p.list_recommenders(datasetGroupArn=shop)["recommenders"] == []
    assert recommender_arn not in [r.arn for r in backend().group_children(shop)]


def test_recommender_tags(api, shop):
    p = api.personalize
    recommender_arn = create(api, shop, "for-you", "aws-ecomm-popular-items-by-views",
                             tags=[{"tagKey": "team", "tagValue": "recs"}])
    assert p.list_tags_for_resource(resourceArn=recommender_arn)["tags"] == [{"tagKey": "team", "tagValue": "recs"}]
    p.tag_resource(resourceArn=recommender_arn, tags=[{"tagKey": "stage", "tagValue": "prod"}])
    p.untag_resource(resourceArn=recommender_arn, tagKeys=["team"])
    assert p.list_tags_for_resource(resourceArn=recommender_arn)["tags"] == [{"tagKey": "stage", "tagValue": "prod"}]
    p.delete_recommender(recommenderArn=recommender_arn)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.tag_resource(resourceArn=recommender_arn, tags=[{"tagKey": "a", "tagValue": "b"}])
