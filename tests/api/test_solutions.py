"""Solutions, solution versions and GetSolutionMetrics through boto3."""

from __future__ import annotations

import pytest

from tests.conftest import INTERACTIONS_SCHEMA, ITEMS_SCHEMA, error_code, error_message

RECIPE = "arn:aws:personalize:::recipe/"
METRIC_KEYS = {
    "coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10", "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5", "precision_at_10", "precision_at_25",
}


def interactions_csv(users: int = 200, per_user: int = 8, groups: int = 4, items_per_group: int = 15) -> str:
    """Users of group g view items of group g: structure a model must find."""
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    stamp = 1_700_000_000
    for user in range(users):
        group = user % groups
        for k in range(per_user):
            item = group * items_per_group + (user + k) % items_per_group
            stamp += 1
            lines.append(f"u{user},i{item},{stamp},{'buy' if k % 4 == 0 else 'view'}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def group(api):
    """A dataset group with 1,600 imported interactions; returns (group arn, dataset arn)."""
    p = api.personalize
    api.s3.create_bucket(Bucket="training-data")
    api.s3.put_object(Bucket="training-data", Key="interactions.csv", Body=interactions_csv())
    group = p.create_dataset_group(name="shop")["datasetGroupArn"]
    schema = p.create_schema(name="shop-interactions", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(
        name="interactions", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    job = p.create_dataset_import_job(
        jobName="bulk", datasetArn=dataset, dataSource={"dataLocation": "s3://training-data/interactions.csv"}
    )["datasetImportJobArn"]
    assert p.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]["status"] == "ACTIVE"
    return group, dataset


def create(api, group_arn, name="sol", recipe="aws-user-personalization", **kwargs):
    return api.personalize.create_solution(
        name=name, datasetGroupArn=group_arn, recipeArn=RECIPE + recipe, **kwargs
    )["solutionArn"]


def test_solution_round_trip(api, group):
    p = api.personalize
    arn = create(api, group[0], eventType="view", solutionConfig={"eventValueThreshold": "0.5"})
    solution = p.describe_solution(solutionArn=arn)["solution"]
    assert solution["status"] == "ACTIVE"
    assert solution["recipeArn"] == RECIPE + "aws-user-personalization"
    assert solution["eventType"] == "view"
    assert solution["performAutoTraining"] is True and solution["performHPO"] is False
    assert "latestSolutionVersion" not in solution
    (summary,) = p.list_solutions(datasetGroupArn=group[0])["solutions"]
    assert summary["solutionArn"] == arn and summary["recipeArn"] == solution["recipeArn"]
    assert p.list_solutions(datasetGroupArn=group[0] + "x")["solutions"] == []


def test_version_trains_and_reports_metrics(api, group):
    p = api.personalize
    solution = create(api, group[0])
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    assert version.startswith(solution + "/")
    described = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "ACTIVE"
    assert described["trainingMode"] == "FULL" and described["trainingType"] == "MANUAL"
    assert described["trainingHours"] > 0
    assert described["name"] == f"sol/{version.rsplit('/', 1)[1]}"
    metrics = p.get_solution_metrics(solutionVersionArn=version)["metrics"]
    assert set(metrics) == METRIC_KEYS
    assert all(0.0 <= value <= 1.0 for value in metrics.values())
    assert metrics["precision_at_5"] > 0.05  # chance is ~0.02; the planted groups are learnt
    latest = p.describe_solution(solutionArn=solution)["solution"]["latestSolutionVersion"]
    assert latest["solutionVersionArn"] == version and latest["status"] == "ACTIVE"


def test_training_is_deterministic_per_version_arn(api, group):
    p = api.personalize
    solution = create(api, group[0])
    first = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    second = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    assert first != second
    metrics = [p.get_solution_metrics(solutionVersionArn=v)["metrics"] for v in (first, second)]
    # Same data and split rules: the metrics are of the same order (seeds differ per ARN).
    assert abs(metrics[0]["coverage"] - metrics[1]["coverage"]) < 0.5


def test_update_mode(api, group):
    p = api.personalize
    solution = create(api, group[0])
    with pytest.raises(p.exceptions.InvalidInputException) as excinfo:
        p.create_solution_version(solutionArn=solution, trainingMode="UPDATE")
    assert "FULL" in error_message(excinfo)
    p.create_solution_version(solutionArn=solution)
    update = p.create_solution_version(solutionArn=solution, trainingMode="UPDATE")["solutionVersionArn"]
    assert p.describe_solution_version(solutionVersionArn=update)["solutionVersion"]["trainingMode"] == "UPDATE"
    sims = create(api, group[0], name="sims", recipe="aws-sims")
    with pytest.raises(p.exceptions.InvalidInputException):
        p.create_solution_version(solutionArn=sims, trainingMode="UPDATE")


def test_too_little_data_fails_like_the_service(api):
    p = api.personalize
    api.s3.create_bucket(Bucket="tiny-data")
    api.s3.put_object(Bucket="tiny-data", Key="i.csv", Body=interactions_csv(users=20, per_user=3))
    group = p.create_dataset_group(name="tiny")["datasetGroupArn"]
    schema = p.create_schema(name="tiny", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(name="tiny", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")["datasetArn"]
    job = p.create_dataset_import_job(jobName="tiny", datasetArn=dataset, dataSource={"dataLocation": "s3://tiny-data/i.csv"})["datasetImportJobArn"]
    assert p.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]["status"] == "CREATE FAILED"
    solution = create(api, group)
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    described = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "CREATE FAILED"
    assert "fewer than 1000 interactions" in described["failureReason"]
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.get_solution_metrics(solutionVersionArn=version)


def test_relaxed_mode_trains_on_tiny_data(api, monkeypatch):
    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")
    p = api.personalize
    api.s3.create_bucket(Bucket="tiny-data")
    api.s3.put_object(Bucket="tiny-data", Key="i.csv", Body=interactions_csv(users=30, per_user=4))
    group = p.create_dataset_group(name="tiny")["datasetGroupArn"]
    schema = p.create_schema(name="tiny", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(name="tiny", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")["datasetArn"]
    p.create_dataset_import_job(jobName="tiny", datasetArn=dataset, dataSource={"dataLocation": "s3://tiny-data/i.csv"})
    version = p.create_solution_version(solutionArn=create(api, group))["solutionVersionArn"]
    assert p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] == "ACTIVE"
    monkeypatch.delenv("PERSONALIZE_MOCK_RELAXED_DATA")
    strict = p.create_solution_version(solutionArn=create(api, group, name="strict"))["solutionVersionArn"]
    reason = p.describe_solution_version(solutionVersionArn=strict)["solutionVersion"]["failureReason"]
    assert "fewer than 1000 interactions" in reason and "PERSONALIZE_MOCK_RELAXED_DATA" in reason


@pytest.mark.parametrize(
    "kwargs, code, fragment",
    [
        ({"recipeArn": RECIPE + "nope"}, "ResourceNotFoundException", "nope"),
        ({}, "InvalidInputException", "recipeArn"),
        ({"recipeArn": RECIPE + "aws-ecomm-recommended-for-you"}, "InvalidInputException", "CreateRecommender"),
        ({"recipeArn": RECIPE + "aws-item-attribute-affinity"}, "InvalidInputException", "Items"),
        ({"recipeArn": RECIPE + "aws-sims", "solutionConfig": {"algorithmHyperParameters": {"bogus": "1"}}},
         "InvalidInputException", "bogus"),
        ({"recipeArn": RECIPE + "aws-sims", "solutionConfig": {"algorithmHyperParameters": {"min_cointeraction_count": "99"}}},
         "InvalidInputException", "min_cointeraction_count"),
        ({"recipeArn": RECIPE + "aws-user-personalization", "solutionConfig": {"eventValueThreshold": "high"}},
         "InvalidInputException", "eventValueThreshold"),
        ({"recipeArn": RECIPE + "aws-user-personalization",
          "solutionConfig": {"autoTrainingConfig": {"schedulingExpression": "rate(45 days)"}}},
         "InvalidInputException", "rate(N days)"),
        ({"recipeArn": RECIPE + "aws-user-personalization",
          "solutionConfig": {"optimizationObjective": {"itemAttribute": "PRICE"}}},
         "InvalidInputException", "PRICE"),
        ({"recipeArn": RECIPE + "aws-user-personalization", "performIncrementalUpdate": True},
         "InvalidInputException", "aws-semantic-similarity"),
    ],
)
def test_create_solution_errors(api, group, kwargs, code, fragment):
    with pytest.raises(api.personalize.exceptions.ClientError) as excinfo:
        api.personalize.create_solution(name="bad", datasetGroupArn=group[0], **kwargs)
    assert error_code(excinfo) == code
    assert fragment in error_message(excinfo)


def test_automl_picks_from_the_recipe_list(api, group):
    p = api.personalize
    arn = p.create_solution(
        name="auto", datasetGroupArn=group[0], performAutoML=True,
        solutionConfig={"autoMLConfig": {"metricName": "precision_at_25", "recipeList": [RECIPE + "aws-user-personalization"]}},
    )["solutionArn"]
    solution = p.describe_solution(solutionArn=arn)["solution"]
    assert solution["performAutoML"] is True and solution["performHPO"] is True
    assert solution["autoMLResult"]["bestRecipeArn"] == RECIPE + "aws-user-personalization"


def test_duplicate_and_unknown(api, group):
    p = api.personalize
    create(api, group[0])
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        create(api, group[0])
    missing = group[0].replace("dataset-group/shop", "solution/missing")
    for call in (
        lambda: p.describe_solution(solutionArn=missing),
        lambda: p.create_solution_version(solutionArn=missing),
        lambda: p.list_solution_versions(solutionArn=missing),
        lambda: p.describe_solution_version(solutionVersionArn=missing + "/00000000"),
        lambda: p.get_solution_metrics(solutionVersionArn=missing + "/00000000"),
    ):
        with pytest.raises(p.exceptions.ResourceNotFoundException):
            call()


def test_update_solution(api, group):
    p = api.personalize
    arn = create(api, group[0])
    p.update_solution(
        solutionArn=arn, performAutoTraining=False,
        solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}},
    )
    solution = p.describe_solution(solutionArn=arn)["solution"]
    update = solution["latestSolutionUpdate"]
    assert update["status"] == "ACTIVE" and update["performAutoTraining"] is False
    assert update["solutionUpdateConfig"]["autoTrainingConfig"]["schedulingExpression"] == "rate(3 days)"
    assert solution["performAutoTraining"] is False
    with pytest.raises(p.exceptions.InvalidInputException):
        p.update_solution(solutionArn=arn, solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": "rate(0 days)"}})


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_stop_and_delete(api):
    p = api.personalize
    api.s3.create_bucket(Bucket="training-data")
    api.s3.put_object(Bucket="training-data", Key="i.csv", Body=interactions_csv())
    group = p.create_dataset_group(name="shop")["datasetGroupArn"]
    while p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] != "ACTIVE":
        pass
    schema = p.create_schema(name="shop", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(name="i", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")["datasetArn"]
    while p.describe_dataset(datasetArn=dataset)["dataset"]["status"] != "ACTIVE":
        pass
    p.create_dataset_import_job(jobName="bulk", datasetArn=dataset, dataSource={"dataLocation": "s3://training-data/i.csv"})
    solution = create(api, group)
    while p.describe_solution(solutionArn=solution)["solution"]["status"] != "ACTIVE":
        pass
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_solution(solutionArn=solution)  # a version is training
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_dataset_group(datasetGroupArn=group)
    p.stop_solution_version_creation(solutionVersionArn=version)
    seen = {p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] for _ in range(3)}
    assert "CREATE STOPPED" in seen
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.stop_solution_version_creation(solutionVersionArn=version)
    p.delete_solution(solutionArn=solution)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_solution_version(solutionVersionArn=version)
    statuses = []
    for _ in range(4):
        try:
            statuses.append(p.describe_solution(solutionArn=solution)["solution"]["status"])
        except p.exceptions.ResourceNotFoundException:
            statuses.append("gone")
    assert statuses[-1] == "gone" and "DELETE IN_PROGRESS" in statuses


def test_items_dataset_recipe_trains_when_present(api, group):
    p = api.personalize
    schema = p.create_schema(name="items", schema=ITEMS_SCHEMA)["schemaArn"]
    p.create_dataset(name="items", schemaArn=schema, datasetGroupArn=group[0], datasetType="Items")
    arn = create(api, group[0], name="attr", recipe="aws-item-attribute-affinity")
    assert p.describe_solution(solutionArn=arn)["solution"]["status"] == "ACTIVE"


RANKING_RECIPES = [
    "aws-user-personalization-v2", "aws-hrnn", "aws-hrnn-metadata", "aws-personalized-ranking", "aws-personalized-ranking-v2",
    "aws-popularity-count", "aws-trending-now", "aws-sims", "aws-similar-items",
]


@pytest.mark.parametrize("recipe", RANKING_RECIPES)
def test_every_interactions_recipe_trains(api, group, recipe):
    p = api.personalize
    version = p.create_solution_version(solutionArn=create(api, group[0], name="r", recipe=recipe))["solutionVersionArn"]
    described = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "ACTIVE", described.get("failureReason")
    assert set(p.get_solution_metrics(solutionVersionArn=version)["metrics"]) == METRIC_KEYS


def test_segmentation_recipes_report_segment_metrics(api, group):
    p = api.personalize
    schema = p.create_schema(name="items", schema=ITEMS_SCHEMA)["schemaArn"]
    items = p.create_dataset(name="items", schemaArn=schema, datasetGroupArn=group[0], datasetType="Items")["datasetArn"]
    api.s3.put_object(
        Bucket="training-data", Key="items.csv",
        Body="ITEM_ID,GENRES,CREATION_TIMESTAMP\n" + "".join(
            f"i{n},{'comedy' if n < 30 else 'drama'},1690000000\n" for n in range(60)),
    )
    p.create_dataset_import_job(jobName="items", datasetArn=items, dataSource={"dataLocation": "s3://training-data/items.csv"})
    for recipe in ("aws-item-affinity", "aws-item-attribute-affinity"):
        version = p.create_solution_version(solutionArn=create(api, group[0], name=recipe, recipe=recipe))["solutionVersionArn"]
        metrics = p.get_solution_metrics(solutionVersionArn=version)["metrics"]
        assert set(metrics) == {"coverage", "hits_at_1_percent", "recall_at_1_percent"}


def test_next_best_action_trains_on_action_interactions(api, group, monkeypatch):
    import datetime

    from tests.conftest import ACTION_INTERACTIONS_SCHEMA, ACTIONS_SCHEMA

    p = api.personalize
    actions = p.create_dataset(
        name="actions", datasetGroupArn=group[0], datasetType="Actions",
        schemaArn=p.create_schema(name="actions", schema=ACTIONS_SCHEMA)["schemaArn"],
    )["datasetArn"]
    taken = p.create_dataset(
        name="taken", datasetGroupArn=group[0], datasetType="Action_Interactions",
        schemaArn=p.create_schema(name="taken", schema=ACTION_INTERACTIONS_SCHEMA)["schemaArn"],
    )["datasetArn"]
    api.events.put_actions(datasetArn=actions, actions=[
        {"actionId": f"a{n}", "properties": f'{{"category": "c{n}", "value": {n}}}'} for n in range(3)
    ])
    tracking = p.describe_dataset(datasetArn=taken)["dataset"]["trackingId"]
    start = datetime.datetime(2026, 1, 1)
    for batch in range(40):
        api.events.put_action_interactions(trackingId=tracking, actionInteractions=[
            {"actionId": f"a{(batch + n) % 3}", "userId": f"u{(batch * 10 + n) % 120}", "sessionId": "s",
             "timestamp": start + datetime.timedelta(hours=batch * 10 + n),
             "eventType": "TAKEN" if (batch + n) % 3 == 0 else "NOT_TAKEN"}
            for n in range(10)
        ])
    version = p.create_solution_version(
        solutionArn=create(api, group[0], name="nba", recipe="aws-next-best-action")
    )["solutionVersionArn"]
    described = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "ACTIVE", described.get("failureReason")
    assert {"coverage", "precision", "recall", "auc"} <= set(p.get_solution_metrics(solutionVersionArn=version)["metrics"])
