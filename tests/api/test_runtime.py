"""The runtime API through boto3: scores, ranking, filters, promotions, impressions,
real-time events and exploration."""

from __future__ import annotations

import datetime
import json

import pytest
from botocore.exceptions import ClientError

from personalize_mock import inspect
from tests.conftest import INTERACTIONS_SCHEMA, avro, error_code, error_message

RECIPE = "arn:aws:personalize:::recipe/"
NOW = 1_700_000_000
GROUPS = 4
PER_GROUP = 15  # items i0..i59; user u belongs to group u % 4 and views that group's items
ITEMS_SCHEMA = avro(
    "Items",
    {"name": "ITEM_ID", "type": "string"},
    {"name": "GENRES", "type": "string", "categorical": True},
    {"name": "PRICE", "type": "float"},
    {"name": "CREATION_TIMESTAMP", "type": "long"},
)
USERS_SCHEMA = avro(
    "Users",
    {"name": "USER_ID", "type": "string"},
    {"name": "TIER", "type": "string", "categorical": True},
)


def interactions_csv() -> str:
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    stamp = NOW - 10_000
    for user in range(200):
        group = user % GROUPS
        for k in range(8):
            stamp += 1
            lines.append(f"u{user},i{group * PER_GROUP + (user + k) % PER_GROUP},{stamp},{'buy' if k == 0 else 'view'}")
    return "\n".join(lines) + "\n"


def items_csv() -> str:
    lines = ["ITEM_ID,GENRES,PRICE,CREATION_TIMESTAMP"]
    for item in range(GROUPS * PER_GROUP):
        lines.append(f"i{item},g{item // PER_GROUP}|all,{item}.5,{NOW - 400 * 86400}")
    for new in range(5):  # never interacted with, created yesterday: exploration candidates
        lines.append(f"new{new},fresh,1.0,{NOW - 86400}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def shop(api):
    """A trained dataset group: interactions, items, users, an event tracker."""
    p = api.personalize
    api.s3.create_bucket(Bucket="shop-data")
    api.s3.put_object(Bucket="shop-data", Key="interactions.csv", Body=interactions_csv())
    api.s3.put_object(Bucket="shop-data", Key="items.csv", Body=items_csv())
    api.s3.put_object(Bucket="shop-data", Key="users.csv",
                      Body="USER_ID,TIER\n" + "".join(f"u{u},{'gold' if u < 100 else 'basic'}\n" for u in range(200)))
    group = p.create_dataset_group(name="shop")["datasetGroupArn"]
    datasets = {}
    for kind, schema in (("Interactions", INTERACTIONS_SCHEMA), ("Items", ITEMS_SCHEMA), ("Users", USERS_SCHEMA)):
        schema_arn = p.create_schema(name=f"shop-{kind}", schema=schema)["schemaArn"]
        datasets[kind] = p.create_dataset(name=kind, schemaArn=schema_arn, datasetGroupArn=group, datasetType=kind)["datasetArn"]
        source = f"s3://shop-data/{kind.lower()}.csv"
        job = p.create_dataset_import_job(jobName=f"import-{kind}", datasetArn=datasets[kind], dataSource={"dataLocation": source})
        status = p.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"])["datasetImportJob"]
        assert status["status"] == "ACTIVE", status.get("failureReason")
    tracking = p.create_event_tracker(name="shop", datasetGroupArn=group)["trackingId"]
    return {"group": group, "datasets": datasets, "tracking": tracking}


def campaign(api, shop, recipe="aws-user-personalization", name="c", config=None):
    p = api.personalize
    solution = p.create_solution(name=name, datasetGroupArn=shop["group"], recipeArn=RECIPE + recipe)["solutionArn"]
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    status = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert status["status"] == "ACTIVE", status.get("failureReason")
    kwargs = {"campaignConfig": config} if config else {}
    return p.create_campaign(name=name, solutionVersionArn=version, **kwargs)["campaignArn"]


def make_filter(api, shop, expression, name="f"):
    return api.personalize.create_filter(name=name, datasetGroupArn=shop["group"], filterExpression=expression)["filterArn"]


def group_of(item_id):
    return int(item_id[1:]) // PER_GROUP if item_id.startswith("i") else None


NO_EXPLORATION = {"itemExplorationConfig": {"explorationWeight": "0", "explorationItemAgeCutOff": "30"}}


def test_user_personalization_scores_sum_to_one_over_the_catalogue(api, shop):
    arn = campaign(api, shop, config=NO_EXPLORATION)
    response = api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=500)
    items = response["itemList"]
    assert response["recommendationId"].startswith("RID-") and len(response["recommendationId"]) == 40
    assert len(items) == GROUPS * PER_GROUP + 5  # every item, the never-seen new ones included
    assert sum(i["score"] for i in items) == pytest.approx(1.0, abs=1e-4)
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    top = api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=5)["itemList"]
    assert all(group_of(i["itemId"]) == 1 for i in top)  # u1 is in group 1
    assert len(api.runtime.get_recommendations(campaignArn=arn, userId="u1")["itemList"]) == 25


def test_unknown_user_gets_popular_items(api, shop):
    arn = campaign(api, shop, config=NO_EXPLORATION)
    items = api.runtime.get_recommendations(campaignArn=arn, userId="stranger", numResults=3)["itemList"]
    assert len(items) == 3 and all("score" in i for i in items)


def test_recommendations_react_to_put_events(api, shop):
    arn = campaign(api, shop, config=NO_EXPLORATION)
    before = [i["itemId"] for i in api.runtime.get_recommendations(campaignArn=arn, userId="newcomer", numResults=5)["itemList"]]
    api.events.put_events(
        trackingId=shop["tracking"], userId="newcomer", sessionId="s1",
        eventList=[{"eventType": "view", "itemId": f"i{45 + n}", "sentAt": datetime.datetime(2026, 1, 1, 0, n)} for n in range(5)],
    )
    after = [i["itemId"] for i in api.runtime.get_recommendations(campaignArn=arn, userId="newcomer", numResults=5)["itemList"]]
    assert after != before
    assert all(group_of(i) == 3 for i in after)  # i45..i59 is group 3
    # Anonymous: the session id stands in for the user.
    api.events.put_events(trackingId=shop["tracking"], sessionId="anon-7",
                          eventList=[{"eventType": "view", "itemId": "i2", "sentAt": NOW}])
    anonymous = api.runtime.get_recommendations(campaignArn=arn, userId="anon-7", numResults=3)["itemList"]
    assert all(group_of(i["itemId"]) == 0 for i in anonymous)


def test_personalized_ranking_with_unknown_items(api, shop):
    arn = campaign(api, shop, recipe="aws-personalized-ranking", name="rank")
    response = api.runtime.get_personalized_ranking(
        campaignArn=arn, userId="u2", inputList=["i5", "zzz", "i31", "i40", "yyy"]
    )
    ranking = response["personalizedRanking"]
    assert [r["itemId"] for r in ranking][-2:] == ["zzz", "yyy"]
    assert all("score" not in r for r in ranking[-2:])
    known = ranking[:-2]
    assert {r["itemId"] for r in known[:2]} == {"i31", "i40"}  # u2 is in group 2 (i30..i44)
    assert sum(r["score"] for r in known) == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(api.runtime.exceptions.InvalidInputException):
        api.runtime.get_recommendations(campaignArn=arn, userId="u2")


@pytest.mark.parametrize("recipe, kwargs", [
    ("aws-sims", {"itemId": "i3"}),
    ("aws-similar-items", {"itemId": "i3"}),
    ("aws-popularity-count", {"userId": "u1"}),
])
def test_recipes_without_scores(api, shop, recipe, kwargs):
    arn = campaign(api, shop, recipe=recipe, name="noscore")
    items = api.runtime.get_recommendations(campaignArn=arn, numResults=5, **kwargs)["itemList"]
    assert len(items) == 5 and all(set(i) == {"itemId"} for i in items)
    if "itemId" in kwargs:
        assert "i3" not in [i["itemId"] for i in items]
        assert group_of(items[0]["itemId"]) == 0


def test_required_ids_and_limits(api, shop):
    arn = campaign(api, shop)
    runtime = api.runtime
    for kwargs, fragment in (
        ({}, "userId is required"),
        ({"userId": "u1", "numResults": 501}, "at most 500"),
        ({"userId": "u1", "metadataColumns": {"ITEMS": ["GENRES"]}}, "enableMetadataWithRecommendations"),
        ({"userId": "u1", "filterValues": {"A": "\"b\""}}, "filterArn"),
    ):
        with pytest.raises(runtime.exceptions.InvalidInputException) as excinfo:
            runtime.get_recommendations(campaignArn=arn, **kwargs)
        assert fragment in error_message(excinfo)
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.get_recommendations(campaignArn=arn + "x", userId="u1")


def test_metadata_columns(api, shop):
    arn = campaign(api, shop, config={"enableMetadataWithRecommendations": True, **NO_EXPLORATION})
    items = api.runtime.get_recommendations(
        campaignArn=arn, userId="u1", numResults=3, metadataColumns={"ITEMS": ["GENRES", "PRICE"]}
    )["itemList"]
    assert items[0]["metadata"]["genres"] == "g1|all"
    assert float(items[0]["metadata"]["price"]) == int(items[0]["itemId"][1:]) + 0.5
    with pytest.raises(api.runtime.exceptions.InvalidInputException):
        api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=51,
                                        metadataColumns={"ITEMS": ["GENRES"]})


@pytest.mark.parametrize("expression, values, check", [
    ('INCLUDE ItemID WHERE Items.GENRES IN ("g2")', None, lambda ids: all(group_of(i) == 2 for i in ids)),
    ('EXCLUDE ItemID WHERE Items.GENRES IN ($G)', {"G": '"g1"'}, lambda ids: all(group_of(i) != 1 for i in ids)),
    ("INCLUDE ItemID WHERE Items.PRICE < $MAX", {"MAX": "10"}, lambda ids: all(int(i[1:]) < 10 for i in ids if i.startswith("i"))),
    ('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("view")', None, lambda ids: not {f"i{15 + (1 + k) % 15}" for k in range(1, 8)} & set(ids)),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("g0") IF CurrentUser.TIER = "gold"', None, lambda ids: all(group_of(i) == 0 for i in ids)),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("g0") | INCLUDE ItemID WHERE Items.GENRES IN ("g3")', None,
     lambda ids: {group_of(i) for i in ids} <= {0, 3}),
])
def test_filters_at_runtime(api, shop, expression, values, check):
    arn = campaign(api, shop, config=NO_EXPLORATION)
    flt = make_filter(api, shop, expression)
    assert api.personalize.describe_filter(filterArn=flt)["filter"]["status"] == "ACTIVE"
    kwargs = {"filterValues": values} if values else {}
    ids = [i["itemId"] for i in api.runtime.get_recommendations(
        campaignArn=arn, userId="u1", numResults=10, filterArn=flt, **kwargs)["itemList"]]
    assert ids and check(ids)


def test_filter_crud_and_invalid_expressions(api, shop):
    p = api.personalize
    flt = make_filter(api, shop, 'EXCLUDE ItemID WHERE Items.GENRES IN ("g1")')
    listed = p.list_filters(datasetGroupArn=shop["group"])["Filters"]
    assert [f["filterArn"] for f in listed] == [flt]
    for expression in ("INCLUDE ItemID WHERE Items.GENRES LIKE (\"x\")", "INCLUDE ItemID", "EXCLUDE ItemID WHERE Items.NOPE IN (\"x\")"):
        with pytest.raises(p.exceptions.InvalidInputException):
            make_filter(api, shop, expression, name="bad")
    p.delete_filter(filterArn=flt)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_filter(filterArn=flt)


def test_promotions(api, shop):
    arn = campaign(api, shop, config=NO_EXPLORATION)
    promo = make_filter(api, shop, 'INCLUDE ItemID WHERE Items.GENRES IN ("g3")', name="promo")
    items = api.runtime.get_recommendations(
        campaignArn=arn, userId="u1", numResults=10,
        promotions=[{"name": "sale", "percentPromotedItems": 30, "filterArn": promo}],
    )["itemList"]
    promoted = [i for i in items if "promotionName" in i]
    assert len(promoted) == 3 and all(i["promotionName"] == "sale" and group_of(i["itemId"]) == 3 for i in promoted)
    assert len(items) == 10 and len({i["itemId"] for i in items}) == 10


def test_impressions_implicit_explicit_and_precedence(api, shop):
    arn = campaign(api, shop, config=NO_EXPLORATION)
    response = api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=4)
    rid = response["recommendationId"]
    shown = [i["itemId"] for i in response["itemList"]]
    assert inspect.recommendation(rid)["items"] == shown  # the server runs in this process too
    send = dict(trackingId=shop["tracking"], userId="u1", sessionId="s")
    api.events.put_events(**send, eventList=[{"eventType": "view", "itemId": shown[0], "sentAt": NOW, "recommendationId": rid}])
    api.events.put_events(**send, eventList=[{"eventType": "view", "itemId": "i1", "sentAt": NOW, "impression": ["i1", "i2"]}])
    api.events.put_events(**send, eventList=[{"eventType": "view", "itemId": "i3", "sentAt": NOW,
                                              "recommendationId": rid, "impression": ["i3", "i4"]}])
    events = inspect.recorded_events(shop["group"])
    assert [e["impression"] for e in events][-3:] == [shown, ["i1", "i2"], ["i3", "i4"]]


@pytest.mark.parametrize("weight", ["0", "1"])
def test_exploration_weight(api, shop, weight):
    arn = campaign(api, shop, config={"itemExplorationConfig": {"explorationWeight": weight, "explorationItemAgeCutOff": "30"}})
    ids = [i["itemId"] for i in api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=10)["itemList"]]
    fresh = [i for i in ids if i.startswith("new")]
    if weight == "0":
        assert fresh == []
    else:
        assert len(fresh) == 5  # round(1 * 10 / 2) slots; all five young items qualify
    again = [i["itemId"] for i in api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=10)["itemList"]]
    assert again == ids  # deterministic for a given request


def test_impressions_without_clicks_lower_an_item_on_the_next_version(api, shop):
    p = api.personalize
    solution = p.create_solution(name="imp", datasetGroupArn=shop["group"], recipeArn=RECIPE + "aws-user-personalization")["solutionArn"]
    # u1 (group 1: i15..i29) has viewed i17..i24; it is shown i25 and i26 and picks i26.
    api.events.put_events(trackingId=shop["tracking"], userId="u1", sessionId="s",
                          eventList=[{"eventType": "view", "itemId": "i26", "sentAt": NOW, "impression": ["i25", "i26"]}])
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    arn = p.create_campaign(name="imp", solutionVersionArn=version, campaignConfig=NO_EXPLORATION)["campaignArn"]
    ranked = [i["itemId"] for i in api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=65)["itemList"]]
    unseen_group = [i for i in ranked if group_of(i) == 1 and i not in {f"i{n}" for n in range(17, 27)}]
    assert ranked.index("i25") > max(ranked.index(i) for i in unseen_group)  # shown, not chosen: ranked lower
    other = [i["itemId"] for i in api.runtime.get_recommendations(campaignArn=arn, userId="u5", numResults=65)["itemList"]]
    assert other.index("i25") < other.index("i0")  # u5 (group 1 too) is unaffected


def test_repeated_requests_follow_every_change_that_matters(api, shop):
    """Answers to repeated requests are reused only while nothing they depend on changes."""
    p, runtime = api.personalize, api.runtime
    arn = campaign(api, shop, config=NO_EXPLORATION)
    ask = lambda **kw: runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=10, **kw)  # noqa: E731
    first, again = ask(), ask()
    assert first["itemList"] == again["itemList"]
    assert first["recommendationId"] != again["recommendationId"]
    assert inspect.recommendation(again["recommendationId"])["items"] == [i["itemId"] for i in again["itemList"]]

    # Exploration switched on by UpdateCampaign: new items appear.
    p.update_campaign(campaignArn=arn, campaignConfig={"itemExplorationConfig": {
        "explorationWeight": "1", "explorationItemAgeCutOff": "30"}})
    assert any(i["itemId"].startswith("new") for i in ask()["itemList"])
    p.update_campaign(campaignArn=arn, campaignConfig=NO_EXPLORATION)
    assert ask()["itemList"] == first["itemList"]

    # New catalogue data: an item's genre changed by PutItems changes what a filter lets through.
    flt = make_filter(api, shop, "INCLUDE ItemID WHERE Items.GENRES IN ($G)", name="by-genre")
    assert ask(filterArn=flt, filterValues={"G": '"relabelled"'})["itemList"] == []
    top = first["itemList"][0]["itemId"]
    api.events.put_items(datasetArn=shop["datasets"]["Items"], items=[{"itemId": top, "properties": json.dumps(
        {"genres": "relabelled", "price": 1.0, "creationTimestamp": 1_700_000_000})}])
    assert [i["itemId"] for i in ask(filterArn=flt, filterValues={"G": '"relabelled"'})["itemList"]] == [top]

    # A deleted filter is an error, not a remembered answer.
    p.delete_filter(filterArn=flt)
    with pytest.raises(ClientError) as excinfo:
        ask(filterArn=flt, filterValues={"G": '"brand-new"'})
    assert error_code(excinfo) in ("ResourceNotFoundException", "InvalidInputException")
