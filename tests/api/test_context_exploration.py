"""Exploration with a request context: the items exploration mixes in are scored on the same
scale as the ranked list.

GetRecommendations with ``context`` ranks the catalogue with the context's term on the logits
(engine/context.py); items that exploration inserts get their score from a lookup, which must
include the same term: an item scores the same whether it is ranked or explored.
"""

from __future__ import annotations

from tests.api.test_context import ITEMS, purchases_csv, setup_group, train

EXPLORING = {"itemExplorationConfig": {"explorationWeight": "1", "explorationItemAgeCutOff": "100000"}}


def test_explored_items_score_as_when_ranked_under_the_same_context(api):
    group = setup_group(api, purchases_csv())["group"]
    _, version = train(api, group, "aws-user-personalization", "up")
    arn = api.personalize.create_campaign(name="explore", solutionVersionArn=version,
                                          campaignConfig=EXPLORING)["campaignArn"]
    context = {"DISCOUNT": "Yes"}
    for user in ("u3", "u40", "new-user"):
        # Every item listed: nothing is left for exploration, each score is the ranking's own.
        full = api.runtime.get_recommendations(campaignArn=arn, userId=user, numResults=ITEMS,
                                               context=context)["itemList"]
        assert len(full) == ITEMS
        ranked = {entry["itemId"]: entry["score"] for entry in full}
        top = [entry["itemId"] for entry in full[:10]]
        # Ten results with explorationWeight 1: half the list comes from exploration.
        short = api.runtime.get_recommendations(campaignArn=arn, userId=user, numResults=10,
                                                context=context)["itemList"]
        explored = [entry for entry in short if entry["itemId"] not in top]
        assert explored, short
        for entry in short:
            assert entry["score"] == ranked[entry["itemId"]], (user, entry)
        # Apart from the explored items, the list is best first.
        kept = [entry["score"] for entry in short if entry["itemId"] in top]
        assert kept == sorted(kept, reverse=True)
