"""Campaigns through boto3: create, describe, list, update (its own lifecycle), delete, limits."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from personalize_mock.backend import personalize_backends
from tests.api.test_solutions import interactions_csv
from tests.conftest import ACCOUNT, INTERACTIONS_SCHEMA, REGION, arn, error_code, error_message

RECIPE = "arn:aws:personalize:::recipe/"
DEFAULT_EXPLORATION = {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}
LIMIT_MESSAGE = "Cannot create a campaign. More than 5 resources in ACTIVE state. Please delete some and try again."
manual = pytest.mark.personalize_transition(progression="manual", times=1)


def backend():
    """The emulator's state (the server runs in this process too)."""
    return personalize_backends[ACCOUNT][REGION]


def wait(describe, want=("ACTIVE",), attempts=10):
    """Poll ``describe()`` (one tick of manual progression each) until its status is in ``want``."""
    for _ in range(attempts):
        found = describe()
        if found["status"] in want:
            return found
    raise AssertionError(f"status {found['status']} not in {want}")


def train(api, solution):
    p = api.personalize
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait(lambda: p.describe_solution_version(solutionVersionArn=version)["solutionVersion"])
    return version


def new_solution(api, group, name, recipe):
    p = api.personalize
    solution = p.create_solution(name=name, datasetGroupArn=group, recipeArn=RECIPE + recipe)["solutionArn"]
    wait(lambda: p.describe_solution(solutionArn=solution)["solution"])
    return solution


@pytest.fixture
def trained(api):
    """A dataset group with 1,600 imported interactions and an ACTIVE User-Personalization
    solution version (whatever the progression)."""
    p = api.personalize
    api.s3.create_bucket(Bucket="campaign-data")
    api.s3.put_object(Bucket="campaign-data", Key="interactions.csv", Body=interactions_csv())
    group = p.create_dataset_group(name="shop")["datasetGroupArn"]
    wait(lambda: p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    schema = p.create_schema(name="shop-interactions", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(
        name="interactions", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    wait(lambda: p.describe_dataset(datasetArn=dataset)["dataset"])
    job = p.create_dataset_import_job(
        jobName="bulk", datasetArn=dataset, dataSource={"dataLocation": "s3://campaign-data/interactions.csv"}
    )["datasetImportJobArn"]
    wait(lambda: p.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"])
    solution = new_solution(api, group, "sol", "aws-user-personalization")
    return SimpleNamespace(group=group, solution=solution, version=train(api, solution))


def create(api, name, version, **kwargs):
    return api.personalize.create_campaign(name=name, solutionVersionArn=version, **kwargs)["campaignArn"]


def test_campaign_round_trip(api, trained):
    p = api.personalize
    campaign_arn = create(api, "picks", trained.version)
    assert campaign_arn == arn("campaign/picks")
    campaign = p.describe_campaign(campaignArn=campaign_arn)["campaign"]
    assert campaign["name"] == "picks" and campaign["status"] == "ACTIVE"
    assert campaign["solutionVersionArn"] == trained.version
    assert campaign["minProvisionedTPS"] == 1
    # User-Personalization explores: the defaults are filled in.
    assert campaign["campaignConfig"] == {"itemExplorationConfig": DEFAULT_EXPLORATION}
    assert "latestCampaignUpdate" not in campaign and "failureReason" not in campaign
    assert campaign["creationDateTime"] <= campaign["lastUpdatedDateTime"]

    other = create(api, "tuned", trained.version, minProvisionedTPS=7, campaignConfig={
        "itemExplorationConfig": {"explorationWeight": "0.5"}, "enableMetadataWithRecommendations": True,
        "rankingInfluence": {"POPULARITY": 0.25},
    })
    described = p.describe_campaign(campaignArn=other)["campaign"]
    assert described["minProvisionedTPS"] == 7
    assert described["campaignConfig"] == {
        "itemExplorationConfig": {"explorationWeight": "0.5", "explorationItemAgeCutOff": "30"},
        "enableMetadataWithRecommendations": True, "rankingInfluence": {"POPULARITY": 0.25},
    }

    listed = p.list_campaigns()["campaigns"]
    assert [c["campaignArn"] for c in listed] == [other, campaign_arn]  # newest first
    assert set(listed[0]) == {"name", "campaignArn", "status", "creationDateTime", "lastUpdatedDateTime"}
    assert len(p.list_campaigns(solutionArn=trained.solution)["campaigns"]) == 2
    empty = new_solution(api, trained.group, "empty", "aws-sims")
    assert p.list_campaigns(solutionArn=empty)["campaigns"] == []
    # ListCampaigns declares no ResourceNotFoundException: an unknown solution lists nothing.
    assert p.list_campaigns(solutionArn=trained.solution + "-missing")["campaigns"] == []

    # What the runtime reads.
    served = backend().campaigns.get(campaign_arn)
    assert served.serving_version.arn == trained.version and served.recipe.name == "aws-user-personalization"
    assert served.serving_config["itemExplorationConfig"] == DEFAULT_EXPLORATION
    assert served.dataset_group_arn == trained.group


def test_create_campaign_errors(api, trained):
    p = api.personalize
    missing_solution = trained.solution + "-missing"
    cases = [
        ({"solutionVersionArn": trained.solution + "/00000000"}, "ResourceNotFoundException", "00000000"),
        ({"solutionVersionArn": missing_solution + "/$LATEST"}, "ResourceNotFoundException", missing_solution),
        ({"campaignConfig": {"syncWithLatestSolutionVersion": True}}, "InvalidInputException", "SolutionArn/$LATEST"),
        ({"campaignConfig": {"itemExplorationConfig": {"explorationWeight": "1.5"}}}, "InvalidInputException", "explorationWeight"),
        ({"campaignConfig": {"itemExplorationConfig": {"explorationWeight": "heavy"}}}, "InvalidInputException", "explorationWeight"),
        ({"campaignConfig": {"itemExplorationConfig": {"explorationItemAgeCutOff": "0"}}}, "InvalidInputException", "explorationItemAgeCutOff"),
        ({"campaignConfig": {"itemExplorationConfig": {"explorationBias": "1"}}}, "InvalidInputException", "explorationBias"),
        ({"campaignConfig": {"rankingInfluence": {"FRESHNESS": 1.5}}}, "InvalidInputException", "rankingInfluence"),
        ({"name": "bad name!"}, "InvalidInputException", "name"),
    ]
    for overrides, code, fragment in cases:
        kwargs = {"name": "bad", "solutionVersionArn": trained.version, **overrides}
        with pytest.raises(p.exceptions.ClientError) as excinfo:
            p.create_campaign(**kwargs)
        assert error_code(excinfo) == code, overrides
        assert fragment in error_message(excinfo), (overrides, error_message(excinfo))
    assert p.list_campaigns()["campaigns"] == []

    create(api, "dup", trained.version)
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        create(api, "dup", trained.version)
    # A solution without any version has no $LATEST.
    empty = new_solution(api, trained.group, "empty", "aws-user-personalization")
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        create(api, "none", empty + "/$LATEST")


def test_exploration_and_segmentation_recipes(api, trained):
    p = api.personalize
    sims = train(api, new_solution(api, trained.group, "sims", "aws-sims"))
    with pytest.raises(p.exceptions.InvalidInputException) as excinfo:
        create(api, "sims", sims, campaignConfig={"itemExplorationConfig": DEFAULT_EXPLORATION})
    assert "itemExplorationConfig" in error_message(excinfo)
    plain = p.describe_campaign(campaignArn=create(api, "sims", sims))["campaign"]
    assert "campaignConfig" not in plain  # nothing to default for a recipe without exploration
    meta = create(api, "sims-meta", sims, campaignConfig={"enableMetadataWithRecommendations": True})
    assert p.describe_campaign(campaignArn=meta)["campaign"]["campaignConfig"] == {"enableMetadataWithRecommendations": True}
    assert backend().campaigns.get(meta).recipe.name == "aws-sims"

    segments = train(api, new_solution(api, trained.group, "segments", "aws-item-affinity"))
    with pytest.raises(p.exceptions.InvalidInputException) as excinfo:
        create(api, "segments", segments)
    assert "USER_SEGMENTATION" in error_message(excinfo)


def test_latest_alias_and_sync(api, trained):
    p = api.personalize
    pinned = create(api, "pinned", trained.solution + "/$LATEST")
    assert p.describe_campaign(campaignArn=pinned)["campaign"]["solutionVersionArn"] == trained.version
    synced = create(api, "synced", trained.solution + "/$LATEST",
                    campaignConfig={"syncWithLatestSolutionVersion": True})
    campaign = p.describe_campaign(campaignArn=synced)["campaign"]
    assert campaign["solutionVersionArn"] == trained.version
    assert campaign["campaignConfig"]["syncWithLatestSolutionVersion"] is True

    newer = train(api, trained.solution)
    # Automatic campaign updates: the synced campaign follows, the pinned one stays.
    assert p.describe_campaign(campaignArn=synced)["campaign"]["solutionVersionArn"] == newer
    assert backend().campaigns.get(synced).serving_version.arn == newer
    assert p.describe_campaign(campaignArn=pinned)["campaign"]["solutionVersionArn"] == trained.version
    assert backend().campaigns.get(pinned).serving_version.arn == trained.version

    # UpdateCampaign turns sync on only together with $LATEST.
    with pytest.raises(p.exceptions.InvalidInputException):
        p.update_campaign(campaignArn=pinned, solutionVersionArn=trained.version,
                          campaignConfig={"syncWithLatestSolutionVersion": True})
    p.update_campaign(campaignArn=pinned, campaignConfig={"syncWithLatestSolutionVersion": True})  # still $LATEST
    assert p.describe_campaign(campaignArn=pinned)["campaign"]["solutionVersionArn"] == newer


def test_campaign_limit_per_group(api, trained):
    p = api.personalize
    campaigns = [create(api, f"c{n}", trained.version) for n in range(5)]
    with pytest.raises(p.exceptions.LimitExceededException) as excinfo:
        create(api, "sixth", trained.version)
    assert error_message(excinfo) == LIMIT_MESSAGE
    p.delete_campaign(campaignArn=campaigns[0])
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_campaign(campaignArn=campaigns[0])
    assert create(api, "sixth", trained.version) == arn("campaign/sixth")


@manual
def test_update_lifecycle(api, trained):
    p = api.personalize
    campaign_arn = create(api, "picks", trained.version)
    wait(lambda: p.describe_campaign(campaignArn=campaign_arn)["campaign"])
    assert "latestCampaignUpdate" not in p.describe_campaign(campaignArn=campaign_arn)["campaign"]
    newer = train(api, trained.solution)

    p.update_campaign(campaignArn=campaign_arn, solutionVersionArn=newer, minProvisionedTPS=5,
                      campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.9"}})
    served = backend().campaigns.get(campaign_arn)
    assert served.serving_version.arn == trained.version  # the old deployment serves meanwhile
    assert served.serving_config["itemExplorationConfig"]["explorationWeight"] == "0.3"

    campaign = p.describe_campaign(campaignArn=campaign_arn)["campaign"]
    update = campaign["latestCampaignUpdate"]
    assert campaign["status"] == "ACTIVE" and update["status"] == "CREATE IN_PROGRESS"
    assert campaign["solutionVersionArn"] == trained.version and campaign["minProvisionedTPS"] == 1
    assert update["solutionVersionArn"] == newer and update["minProvisionedTPS"] == 5
    assert update["campaignConfig"]["itemExplorationConfig"] == {"explorationWeight": "0.9", "explorationItemAgeCutOff": "30"}
    with pytest.raises(p.exceptions.ResourceInUseException) as excinfo:
        p.update_campaign(campaignArn=campaign_arn, minProvisionedTPS=2)
    assert "in progress" in error_message(excinfo)
    assert backend().campaigns.get(campaign_arn).serving_version.arn == trained.version

    campaign = p.describe_campaign(campaignArn=campaign_arn)["campaign"]
    assert campaign["latestCampaignUpdate"]["status"] == "ACTIVE"
    assert campaign["solutionVersionArn"] == newer and campaign["minProvisionedTPS"] == 5
    assert campaign["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.9"
    served = backend().campaigns.get(campaign_arn)
    assert served.serving_version.arn == newer
    assert served.serving_config["itemExplorationConfig"]["explorationWeight"] == "0.9"

    # A second update keeps what it does not change.
    p.update_campaign(campaignArn=campaign_arn, campaignConfig={"enableMetadataWithRecommendations": True})
    wait(lambda: p.describe_campaign(campaignArn=campaign_arn)["campaign"]["latestCampaignUpdate"])
    campaign = p.describe_campaign(campaignArn=campaign_arn)["campaign"]
    assert campaign["solutionVersionArn"] == newer and campaign["minProvisionedTPS"] == 5
    assert campaign["campaignConfig"]["enableMetadataWithRecommendations"] is True
    assert campaign["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.9"


def test_update_errors(api, trained):
    p = api.personalize
    campaign_arn = create(api, "picks", trained.version)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.update_campaign(campaignArn=arn("campaign/missing"), minProvisionedTPS=2)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.update_campaign(campaignArn=campaign_arn, solutionVersionArn=trained.solution + "/00000000")
    with pytest.raises(p.exceptions.InvalidInputException):
        p.update_campaign(campaignArn=campaign_arn, campaignConfig={"itemExplorationConfig": {"explorationWeight": "2"}})
    assert "latestCampaignUpdate" not in p.describe_campaign(campaignArn=campaign_arn)["campaign"]


@manual
def test_states_gate_create_update_and_delete(api, trained):
    p = api.personalize
    pending = p.create_solution_version(solutionArn=trained.solution)["solutionVersionArn"]
    with pytest.raises(p.exceptions.ResourceInUseException) as excinfo:
        create(api, "early", pending)
    assert "ACTIVE" in error_message(excinfo)
    # $LATEST names the newest ACTIVE version, not the one still training.
    latest = create(api, "latest", trained.solution + "/$LATEST")
    assert backend().campaigns.get(latest).serving_version.arn == trained.version

    campaign_arn = create(api, "picks", trained.version)
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.update_campaign(campaignArn=campaign_arn, minProvisionedTPS=2)  # still CREATE PENDING
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_campaign(campaignArn=campaign_arn)
    seen = [p.describe_campaign(campaignArn=campaign_arn)["campaign"]["status"] for _ in range(2)]
    assert seen == ["CREATE IN_PROGRESS", "ACTIVE"]

    p.delete_campaign(campaignArn=campaign_arn)
    assert p.describe_campaign(campaignArn=campaign_arn)["campaign"]["status"] == "DELETE IN_PROGRESS"
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_campaign(campaignArn=campaign_arn)
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.update_campaign(campaignArn=campaign_arn, minProvisionedTPS=2)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_campaign(campaignArn=campaign_arn)


def test_delete_solution_refused_while_a_campaign_uses_it(api, trained):
    p = api.personalize
    campaign_arn = create(api, "picks", trained.version)
    with pytest.raises(p.exceptions.ResourceInUseException) as excinfo:
        p.delete_solution(solutionArn=trained.solution)
    assert campaign_arn in error_message(excinfo)
    assert backend().solution_users(trained.solution) == [campaign_arn]
    assert campaign_arn in [r.arn for r in backend().group_children(trained.group)]
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_dataset_group(datasetGroupArn=trained.group)

    p.delete_campaign(campaignArn=campaign_arn)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.delete_campaign(campaignArn=campaign_arn)
    p.delete_solution(solutionArn=trained.solution)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_solution(solutionArn=trained.solution)


def test_campaign_tags(api, trained):
    p = api.personalize
    campaign_arn = create(api, "picks", trained.version, tags=[{"tagKey": "team", "tagValue": "recs"}])
    assert p.list_tags_for_resource(resourceArn=campaign_arn)["tags"] == [{"tagKey": "team", "tagValue": "recs"}]
    p.tag_resource(resourceArn=campaign_arn, tags=[{"tagKey": "stage", "tagValue": "prod"}])
    p.untag_resource(resourceArn=campaign_arn, tagKeys=["team"])
    assert p.list_tags_for_resource(resourceArn=campaign_arn)["tags"] == [{"tagKey": "stage", "tagValue": "prod"}]
    with pytest.raises(p.exceptions.ClientError) as excinfo:
        create(api, "over", trained.version, tags=[{"tagKey": f"k{n}", "tagValue": "v"} for n in range(51)])
    assert error_code(excinfo) == "TooManyTagsException"
    p.delete_campaign(campaignArn=campaign_arn)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.list_tags_for_resource(resourceArn=campaign_arn)


def test_list_campaigns_pages(api, trained):
    p = api.personalize
    made = [create(api, f"c{n}", trained.version) for n in range(3)]
    first = p.list_campaigns(maxResults=2)
    assert [c["campaignArn"] for c in first["campaigns"]] == made[::-1][:2]
    rest = p.list_campaigns(maxResults=2, nextToken=first["nextToken"])
    assert [c["campaignArn"] for c in rest["campaigns"]] == made[:1] and "nextToken" not in rest
    with pytest.raises(p.exceptions.InvalidNextTokenException):
        p.list_campaigns(nextToken="bogus")
