"""Print the exploration example of docs/recommendations.md: one user's top 10 with
``explorationWeight`` 0, 0.3 and 1.

    python -m tools.exploration

The quickstart's data set (``examples/quickstart.py``) plus five movies created in the last five
days that nobody has watched yet (exploration's cold items); a user-personalization solution
version; one campaign per weight (``explorationItemAgeCutOff`` 30 days); GetRecommendations for
``user-3``. Deterministic: the data comes from fixed seeds and models depend on content only.
"""

from __future__ import annotations

from tools import trained

WEIGHTS = ("0", "0.3", "1")
NEW_ITEMS = 5
SHOWN = 7  # items per line


def lines() -> list[str]:
    from personalize_mock import mock_personalize

    quickstart = trained.quickstart()
    files, _, _ = quickstart["generate"]()
    now, day = quickstart["NOW"], quickstart["DAY"]
    files["Items"] += "".join(f"new-{n},Comedy,{now - n * day}\n" for n in range(NEW_ITEMS))
    out = []
    with mock_personalize():
        clients, _, version = trained.trained_version(quickstart, files, "exploration")
        personalize, runtime = clients["personalize"], clients["personalize-runtime"]
        for weight in WEIGHTS:
            campaign = personalize.create_campaign(
                name=f"exploration-{weight.replace('.', '')}", solutionVersionArn=version,
                campaignConfig={"itemExplorationConfig": {"explorationWeight": weight,
                                                          "explorationItemAgeCutOff": "30"}})["campaignArn"]
            items = runtime.get_recommendations(campaignArn=campaign, userId="user-3", numResults=10)["itemList"]
            shown = ", ".join(f"{i['itemId']} {i['score']:.2g}" for i in items[:SHOWN])
            out.append(f"{weight:<4} {shown}, ...")
    return out


def main() -> None:
    print("\n".join(lines()))


if __name__ == "__main__":
    main()
