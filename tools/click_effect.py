"""Measure how far PutEvents clicks move a user's top 10 (the table in docs/recommendations.md).

    python -m tools.click_effect

The quickstart's data set (``examples/quickstart.py``: 300 users, 250 movies in five genres)
plus probe users whose whole history is Comedy (10, 25, 50 and 100 events, four users each) is
imported and a user-personalization campaign trained; each probe user then clicks Horror films
one at a time, and after 1, 3, 5 and 10 clicks the Horror films in their top 10 are counted.
Prints the averages per history length. Deterministic (the data is generated from fixed seeds
and models depend on content only).
"""

from __future__ import annotations

import random
from typing import Any

from tools import trained

HISTORIES = (10, 25, 50, 100)
CLICKS = (1, 3, 5, 10)
PROBES = 4  # users per history length


def data(quickstart: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    files, genre_of, _ = quickstart["generate"]()
    rng = random.Random(1)
    comedy = [item for item, genre in genre_of.items() if genre == "Comedy"][:25]
    start = quickstart["NOW"] - 50 * quickstart["DAY"]
    extra = [f"probe-{h}-{p},{rng.choice(comedy)},{start + k * 600},click"
             for h in HISTORIES for p in range(PROBES) for k in range(h)]
    files["Interactions"] = files["Interactions"].rstrip("\n") + "\n" + "\n".join(extra) + "\n"
    return files, genre_of


def measure() -> dict[int, dict[int, float]]:
    from personalize_mock import mock_personalize

    quickstart = trained.quickstart()
    files, genre_of = data(quickstart)
    horror = [item for item, genre in genre_of.items() if genre == "Horror"]
    with mock_personalize():
        clients, group, version = trained.trained_version(quickstart, files, "click-effect")
        personalize, runtime, events = (clients[n] for n in ("personalize", "personalize-runtime", "personalize-events"))
        campaign = personalize.create_campaign(name="click-effect", solutionVersionArn=version)["campaignArn"]
        tracking = personalize.create_event_tracker(name="click-effect", datasetGroupArn=group)["trackingId"]
        found: dict[int, dict[int, list[int]]] = {h: {k: [] for k in CLICKS} for h in HISTORIES}
        for h in HISTORIES:
            for p in range(PROBES):
                user, sent = f"probe-{h}-{p}", 0
                for k in CLICKS:
                    while sent < k:
                        item = horror[(sent * 7 + p) % len(horror)]
                        events.put_events(trackingId=tracking, userId=user, sessionId=user, eventList=[
                            {"eventType": "click", "itemId": item, "sentAt": quickstart["NOW"] + 60 * (sent + 1)}])
                        sent += 1
                    top = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=10)["itemList"]
                    found[h][k].append(sum(genre_of[i["itemId"]] == "Horror" for i in top))
    return {h: {k: sum(v) / len(v) for k, v in row.items()} for h, row in found.items()}


def main() -> None:
    result = measure()
    print("| history (Comedy events) | " + " | ".join(f"{k} click{'s' if k > 1 else ''}" for k in CLICKS) + " |")
    print("|---" * (len(CLICKS) + 1) + "|")
    for h, row in result.items():
        print(f"| {h} | " + " | ".join(f"{v:.1f}" for v in row.values()) + " |")


if __name__ == "__main__":
    main()
