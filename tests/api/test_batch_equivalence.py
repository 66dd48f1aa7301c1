"""A batch inference job's line equals the runtime's answer for the same request (issue 13):
for every line, the items and scores of GetRecommendations (GetPersonalizedRanking for a
ranking recipe) on a campaign of the same solution version, with the same filter, filter
values and numResults. The developer guide (*Getting batch recommendations*) describes the
batch output as the recommendations the solution version gives each input line; the
campaign and the job are two ways to ask the same model.

Scores are compared exactly: batch jobs rank users in blocks, the runtime one request at a
time, and both come out of the same arithmetic.
"""

from __future__ import annotations

import datetime

import pytest

from personalize_mock.engine import batch_blocks
from personalize_mock.resources import batch_answers
from tests.api.data_helpers import output_lines, run_job, trained_version

NO_EXPLORATION = {"itemExplorationConfig": {"explorationWeight": "0"}}
CATALOGUE_FILTER = "INCLUDE ItemID WHERE Items.GENRES IN ($G)"
HISTORY_FILTER = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("view")'
USERS = [f"u{n}" for n in range(200)] + ["newcomer", "stranger"]


def version_and_campaign(api, shop, recipe, config=None):
    """A trained solution version and a campaign on it; then events for a known and a new user,
    recorded after training (the job and the runtime both read the interactions as they are)."""
    version = trained_version(api, shop, recipe)
    kwargs = {"campaignConfig": config} if config else {}
    campaign = api.personalize.create_campaign(name=recipe.removeprefix("aws-"), solutionVersionArn=version,
                                               **kwargs)["campaignArn"]
    events = [{"eventType": "view", "itemId": f"i{45 + n}", "sentAt": datetime.datetime(2026, 1, 1, 0, n)}
              for n in range(5)]
    for user in ("u2", "newcomer"):
        api.events.put_events(trackingId=shop["tracking"], userId=user, sessionId=f"s-{user}", eventList=events)
    return version, campaign


def batch(api, version, lines, name, **kwargs):
    """The job's output lines, in input order."""
    _, job = run_job(api, version, lines, name, **kwargs)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    return output_lines(api)


def runtime_answer(api, call, request):
    """What the runtime says to ``request``: the batch output's shape, or the error message."""
    try:
        answer = call(**request)
    except api.runtime.exceptions.ClientError as error:
        return None, error.response["Error"]["Message"]
    items = answer.get("itemList", answer.get("personalizedRanking"))
    output = {"recommendedItems": [i["itemId"] for i in items]}
    if any("score" in i for i in items):
        output["scores"] = [i["score"] for i in items if "score" in i]
    return output, None


def assert_lines_match(api, lines, outputs, call, base, k=None, filter_arn=None):
    assert len(outputs) == len(lines)
    for given, line in zip(lines, outputs):
        assert line["input"] == given
        request = dict(base)
        for key, name in (("userId", "userId"), ("itemId", "itemId"), ("itemList", "inputList")):
            if key in given:
                request[name] = given[key]
        if k is not None:
            request["numResults"] = k
        if filter_arn:
            request["filterArn"] = filter_arn
            if "filterValues" in given:
                request["filterValues"] = given["filterValues"]
        output, error = runtime_answer(api, call, request)
        if error is not None:
            assert line["output"] is None and line["error"] == error, given
            continue
        assert line["error"] is None, (given, line["error"])
        got = dict(line["output"])
        if "scores" in output and not output["scores"]:
            output.pop("scores")
        if "scores" in got and not got["scores"]:
            got.pop("scores")
        assert got == output, given  # the same items, and the same scores to the last bit


def filter_for(api, shop, kind):
    if kind is None:
        return None
    expression = CATALOGUE_FILTER if kind == "catalogue" else HISTORY_FILTER
    return api.personalize.create_filter(name=f"eq-{kind}", datasetGroupArn=shop["group"],
                                         filterExpression=expression)["filterArn"]


def with_values(lines, kind):
    if kind != "catalogue":
        return lines
    return [dict(line, filterValues={"G": f'"g{n % 4}"'}) for n, line in enumerate(lines)]


# ---- user-personalization ------------------------------------------------------------------
@pytest.mark.parametrize("kind", [None, "catalogue", "history"])
def test_user_personalization_batch_equals_get_recommendations(api, shop, kind):
    version, campaign = version_and_campaign(api, shop, "aws-user-personalization", NO_EXPLORATION)
    flt = filter_for(api, shop, kind)
    lines = [{"userId": user} for user in USERS]
    lines += [{"userId": "u5", "itemId": "i20"}, {"userId": "u5", "itemId": "i21"}, {"userId": "u7"},
              {"itemId": "i1"}, {"userId": "u9", "itemId": "not-an-item"}]
    lines = with_values(lines, kind)
    kwargs = {"filterArn": flt} if flt else {}
    outputs = batch(api, version, lines, f"up-{kind}", numResults=7,
                    batchInferenceJobConfig=NO_EXPLORATION, **kwargs)
    assert_lines_match(api, lines, outputs, api.runtime.get_recommendations, {"campaignArn": campaign}, 7, flt)
    assert outputs[0]["output"]["scores"] and outputs[-2]["error"]  # scored lines, and a refused one


def test_blocks_and_sampled_tops_equal_the_runtime(api, shop, monkeypatch):
    """Small blocks and the sampled search for each row's best items (what a large catalogue
    uses) on the shop's catalogue: still the runtime's answers, with a filter that empties
    most heads (so rows are searched again over the whole catalogue)."""
    monkeypatch.setattr(batch_blocks, "EXACT_BELOW", 0)
    monkeypatch.setattr(batch_answers, "HEAD", 4)  # heads shorter than the catalogue
    monkeypatch.setattr(batch_blocks, "BLOCK_ENTRIES", 65 * 9)  # 9 users per block
    version, campaign = version_and_campaign(api, shop, "aws-user-personalization", NO_EXPLORATION)
    for kind in (None, "history"):
        flt = filter_for(api, shop, kind)
        lines = [{"userId": user} for user in USERS[::3]] + [{"userId": "u4", "itemId": "i5"}]
        kwargs = {"filterArn": flt} if flt else {}
        outputs = batch(api, version, lines, f"sampled-{kind}", numResults=3,
                        batchInferenceJobConfig=NO_EXPLORATION, **kwargs)
        assert_lines_match(api, lines, outputs, api.runtime.get_recommendations, {"campaignArn": campaign}, 3, flt)


def test_exploration_is_the_runtimes_too(api, shop):
    """Beyond the acceptance (exploration off): with exploration on, cold items take the same
    slots in the job as in the campaign (choices are seeded by the model and the request)."""
    config = {"itemExplorationConfig": {"explorationWeight": "0.9", "explorationItemAgeCutOff": "30"}}
    version, campaign = version_and_campaign(api, shop, "aws-user-personalization", config)
    lines = [{"userId": user} for user in USERS[::7]]
    outputs = batch(api, version, lines, "explore", numResults=10, batchInferenceJobConfig=config)
    assert any(item.startswith("new") for line in outputs for item in line["output"]["recommendedItems"])
    assert_lines_match(api, lines, outputs, api.runtime.get_recommendations, {"campaignArn": campaign}, 10)


# ---- SIMS, popularity, personalized ranking --------------------------------------------------
@pytest.mark.parametrize("kind", [None, "catalogue", "history"])
def test_sims_batch_equals_get_recommendations(api, shop, kind):
    version, campaign = version_and_campaign(api, shop, "aws-sims")
    flt = filter_for(api, shop, kind)
    lines = [{"itemId": f"i{n}"} for n in range(0, 60, 2)] + [{"itemId": "new0"}, {"itemId": "zzz"}]
    lines += [{"itemId": "i3", "userId": "u3"}, {"itemId": "i3", "userId": "u4"}, {"userId": "u1"}]
    lines = with_values(lines, kind)
    kwargs = {"filterArn": flt} if flt else {}
    outputs = batch(api, version, lines, f"sims-{kind}", numResults=6, **kwargs)
    assert_lines_match(api, lines, outputs, api.runtime.get_recommendations, {"campaignArn": campaign}, 6, flt)


@pytest.mark.parametrize("kind", [None, "catalogue", "history"])
def test_popularity_batch_equals_get_recommendations(api, shop, kind):
    version, campaign = version_and_campaign(api, shop, "aws-popularity-count")
    flt = filter_for(api, shop, kind)
    lines = [{"userId": user} for user in USERS[::5]] + [{"userId": "u1", "itemId": "i0"}, {"itemId": "i0"}]
    lines = with_values(lines, kind)
    kwargs = {"filterArn": flt} if flt else {}
    outputs = batch(api, version, lines, f"pop-{kind}", numResults=5, **kwargs)
    assert_lines_match(api, lines, outputs, api.runtime.get_recommendations, {"campaignArn": campaign}, 5, flt)


@pytest.mark.parametrize("kind", [None, "catalogue", "history"])
def test_personalized_ranking_batch_equals_get_personalized_ranking(api, shop, kind):
    version, campaign = version_and_campaign(api, shop, "aws-personalized-ranking")
    flt = filter_for(api, shop, kind)
    lines = [{"userId": f"u{n}", "itemList": [f"i{(n * 7 + j * 11) % 60}" for j in range(6)] + ["zzz", "new1"]}
             for n in range(0, 200, 9)]
    lines += [{"userId": "newcomer", "itemList": ["i45", "i3", "i46"]}, {"userId": "stranger", "itemList": ["i1", "i2"]}]
    lines = with_values(lines, kind)
    kwargs = {"filterArn": flt} if flt else {}
    outputs = batch(api, version, lines, f"rank-{kind}", **kwargs)
    assert_lines_match(api, lines, outputs, api.runtime.get_personalized_ranking, {"campaignArn": campaign}, None, flt)
