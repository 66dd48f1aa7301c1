"""Issue 14 (points 1, 8, 9) and issue 15 (point 4, content type): custom resources in Domain
dataset groups, filter rules, and the runtime's JSON content type. Each test names its source;
every test runs in-process and against the server (the ``api`` fixture)."""

from __future__ import annotations

import pytest

from tests.api.data_helpers import run_job, trained_version
from tests.api.test_runtime import NO_EXPLORATION, RECIPE, campaign, interactions_csv, make_filter
from tests.conftest import INTERACTIONS_SCHEMA, avro, error_code, error_message

# ---- point 1: a Domain dataset group holds custom solutions and campaigns -----------------

ECOMMERCE_ITEMS = avro(
    "Items",
    {"name": "ITEM_ID", "type": "string"},
    {"name": "PRICE", "type": "float"},
    {"name": "CATEGORY_L1", "type": "string", "categorical": True},
)


@pytest.fixture
def ecommerce(api):
    p, s3 = api.personalize, api.s3
    s3.create_bucket(Bucket="domain-data")
    s3.put_object(Bucket="domain-data", Key="interactions.csv", Body=interactions_csv())
    s3.put_object(Bucket="domain-data", Key="items.csv",
                  Body="ITEM_ID,PRICE,CATEGORY_L1\n" + "".join(f"i{n},{n}.5,c{n % 3}\n" for n in range(60)))
    group = p.create_dataset_group(name="store", domain="ECOMMERCE")["datasetGroupArn"]
    for kind, schema in (("Interactions", INTERACTIONS_SCHEMA), ("Items", ECOMMERCE_ITEMS)):
        schema_arn = p.create_schema(name=f"store-{kind}", schema=schema, domain="ECOMMERCE")["schemaArn"]
        dataset = p.create_dataset(name=kind, schemaArn=schema_arn, datasetGroupArn=group, datasetType=kind)["datasetArn"]
        job = p.create_dataset_import_job(jobName=f"import-{kind}", datasetArn=dataset,
                                          dataSource={"dataLocation": f"s3://domain-data/{kind.lower()}.csv"})
        status = p.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"])["datasetImportJob"]
        assert status["status"] == "ACTIVE", status.get("failureReason")
    return group


@pytest.mark.parametrize("recipe", ["aws-similar-items", "aws-personalized-ranking", "aws-item-attribute-affinity"])
def test_domain_dataset_group_accepts_custom_solutions(api, ecommerce, recipe):
    # *Creating a Domain dataset group*: a Domain dataset group can still hold custom resources
    # such as solutions, solution versions and campaigns (the *full workflow*).
    arn = api.personalize.create_solution(name="custom", datasetGroupArn=ecommerce, recipeArn=RECIPE + recipe)["solutionArn"]
    assert api.personalize.describe_solution(solutionArn=arn)["solution"]["datasetGroupArn"] == ecommerce


def test_custom_campaign_in_a_domain_dataset_group_serves(api, ecommerce):
    # *Creating a Domain dataset group* / *full workflow*: train and deploy a custom recipe there.
    p = api.personalize
    solution = p.create_solution(name="sims", datasetGroupArn=ecommerce, recipeArn=RECIPE + "aws-sims")["solutionArn"]
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    status = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert status["status"] == "ACTIVE", status.get("failureReason")
    arn = p.create_campaign(name="sims", solutionVersionArn=version)["campaignArn"]
    items = api.runtime.get_recommendations(campaignArn=arn, itemId="i1", numResults=5)["itemList"]
    assert len(items) == 5 and "i1" not in {i["itemId"] for i in items}


# ---- point 8: no boolean fields in filter expressions ---------------------------------------


def test_filters_cannot_use_boolean_fields(api):
    # *Filter expression guidelines*: "You can't create filter expressions that filter using
    # values with a boolean type in your schema."
    p = api.personalize
    group = p.create_dataset_group(name="flags")["datasetGroupArn"]
    for kind, schema in (
        ("Items", avro("Items", {"name": "ITEM_ID", "type": "string"}, {"name": "IS_NEW", "type": "boolean"},
                       {"name": "SIZE", "type": "string"})),
        ("Users", avro("Users", {"name": "USER_ID", "type": "string"}, {"name": "VIP", "type": ["null", "boolean"]})),
    ):
        schema_arn = p.create_schema(name=f"flags-{kind}", schema=schema)["schemaArn"]
        p.create_dataset(name=kind, schemaArn=schema_arn, datasetGroupArn=group, datasetType=kind)
    for expression in ('INCLUDE ItemID WHERE Items.IS_NEW IN ("true")',
                       'EXCLUDE ItemID WHERE Items.SIZE IN ("xl") IF CurrentUser.VIP = "false"'):
        with pytest.raises(p.exceptions.InvalidInputException) as excinfo:
            p.create_filter(name="f", datasetGroupArn=group, filterExpression=expression)
        assert "boolean" in error_message(excinfo)
    p.create_filter(name="f", datasetGroupArn=group, filterExpression='INCLUDE ItemID WHERE Items.SIZE IN ("xl")')


# ---- point 9: CurrentItem only where the recipe recommends related items --------------------

CURRENT_ITEM = "INCLUDE ItemID WHERE Items.GENRES IN CurrentItem.GENRES AND Items.PRICE < CurrentItem.PRICE"


def test_current_item_filter_on_a_related_items_recipe(api, shop):
    # *Filter expression guidelines*: "You can apply a filter with the CurrentItem element only
    # if your domain use case or custom recipe generates related items recommendations, such as
    # the Similar-Items recipe". CreateFilter cannot know the recipe: the filter is created, and
    # applying it is where the recipe is checked.
    flt = make_filter(api, shop, CURRENT_ITEM)
    sims = campaign(api, shop, "aws-sims", name="sims")
    items = api.runtime.get_recommendations(campaignArn=sims, itemId="i40", numResults=10, filterArn=flt)["itemList"]
    # Cheaper than i40 (price 40.5): i0..i39, or the new items (price 1.0).
    assert items and all(i["itemId"].startswith("new") or int(i["itemId"][1:]) < 40 for i in items)


def test_current_item_filter_is_refused_where_nothing_is_related(api, shop):
    # Same page: with a recipe that does not produce related items the service refuses the
    # filter instead of answering an empty list.
    flt = make_filter(api, shop, CURRENT_ITEM)
    personal = campaign(api, shop, config=NO_EXPLORATION)
    for call, kwargs in (
        (api.runtime.get_recommendations, {"campaignArn": personal, "userId": "u1", "filterArn": flt}),
        (api.runtime.get_recommendations, {"campaignArn": personal, "userId": "u1",
                                           "promotions": [{"name": "p", "percentPromotedItems": 50, "filterArn": flt}]}),
    ):
        with pytest.raises(api.runtime.exceptions.InvalidInputException) as excinfo:
            call(**kwargs)
        assert "CurrentItem" in error_message(excinfo) and "aws-user-personalization" in error_message(excinfo)
    ranking = campaign(api, shop, "aws-personalized-ranking", name="rank")
    with pytest.raises(api.runtime.exceptions.InvalidInputException):
        api.runtime.get_personalized_ranking(campaignArn=ranking, userId="u1", inputList=["i1", "i2"], filterArn=flt)


def test_current_item_filter_is_refused_by_a_batch_job_of_another_recipe(api, shop):
    # Same page; CreateBatchInferenceJob knows both the filter and the solution version's recipe.
    flt = make_filter(api, shop, CURRENT_ITEM)
    version = trained_version(api, shop, "aws-user-personalization")
    with pytest.raises(api.personalize.exceptions.InvalidInputException) as excinfo:
        run_job(api, version, [{"userId": "u1"}], filterArn=flt)
    assert "CurrentItem" in error_message(excinfo)
    sims = trained_version(api, shop, "aws-sims")
    _, job = run_job(api, sims, [{"itemId": "i40"}], name="sims-batch", filterArn=flt)
    assert job["status"] == "ACTIVE", job.get("failureReason")


# ---- issue 15 point 4: every JSON answer carries a JSON content type ------------------------


def test_runtime_answers_carry_the_json_content_type(api, shop):
    # The personalize-runtime API is rest-json: the service answers application/json (in server
    # mode a successful GetRecommendations went out as text/html).
    arn = campaign(api, shop, config=NO_EXPLORATION)
    answers = [
        api.runtime.get_recommendations(campaignArn=arn, userId="u1"),
        api.personalize.list_schemas(),
        api.events.put_events(trackingId=shop["tracking"], sessionId="s",
                              eventList=[{"eventType": "view", "sentAt": 1_700_000_000, "itemId": "i1"}]),
    ]
    types = [a["ResponseMetadata"]["HTTPHeaders"].get("content-type") for a in answers]
    assert types[0] == "application/json"
    assert types[1] == "application/x-amz-json-1.1"  # the control plane's JSON 1.1
    assert types[2] == "application/json"
    with pytest.raises(api.runtime.exceptions.ResourceNotFoundException) as excinfo:
        api.runtime.get_recommendations(campaignArn=arn + "-gone", userId="u1")
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/json"
    assert error_code(excinfo) == "ResourceNotFoundException"

