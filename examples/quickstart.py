"""Amazon Personalize end to end, offline: data in S3, import, training, a campaign, a filter,
recommendations, ranking, and events that change the recommendations.

Run it with ``python examples/quickstart.py`` (a few seconds). Everything goes through boto3
exactly as it would against AWS; ``mock_personalize`` answers every call in this process, S3
included, so the fake credentials below never leave the machine.

The data set is generated here, deterministically: movies in five genres, and users who each
prefer one genre (with a little noise), so the recommendations visibly follow tastes — and
visibly change when a user starts clicking another genre.
"""

from __future__ import annotations

import json
import os
import random
import sys
from typing import Any

import boto3

from personalize_mock import inspect, mock_personalize

REGION = "us-east-1"
BUCKET = "quickstart-data"
ROLE = "arn:aws:iam::123456789012:role/PersonalizeS3Access"
GENRES = ("Comedy", "Drama", "Action", "Documentary", "Horror")
USERS = 300
ITEMS_PER_GENRE = 50
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z, the data set's "today"
DAY = 86_400
# The user whose recommendations we follow, and the genre they start clicking.
WATCHED_USER = "user-3"
NEW_TASTE = "Horror"

SCHEMAS = {
    "Interactions": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
    ],
    "Items": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "GENRE", "type": "string", "categorical": True},
        {"name": "CREATION_TIMESTAMP", "type": "long"},
    ],
}


# ---- data -----------------------------------------------------------------------------------


def generate(seed: int = 42) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The CSV files, each item's genre and each user's favourite genre (same for a seed)."""
    rng = random.Random(seed)
    genre_of = {f"movie-{g * ITEMS_PER_GENRE + i}": genre
                for g, genre in enumerate(GENRES) for i in range(ITEMS_PER_GENRE)}
    by_genre = {genre: [item for item, g in genre_of.items() if g == genre] for genre in GENRES}
    popularity = [1.0 / (rank + 1) ** 0.7 for rank in range(ITEMS_PER_GENRE)]  # a few hits per genre
    favourite: dict[str, str] = {}
    interactions = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    for u in range(USERS):
        user = f"user-{u}"
        # The watched user is a Comedy fan with a short history, so a few clicks show clearly.
        favourite[user] = "Comedy" if user == WATCHED_USER else GENRES[u % len(GENRES)]
        count = 8 if user == WATCHED_USER else rng.randint(8, 22)
        stamp = NOW - 60 * DAY + rng.randrange(DAY)
        for _ in range(count):
            genre = favourite[user] if rng.random() < 0.9 else rng.choice(GENRES)
            item = rng.choices(by_genre[genre], popularity)[0]
            stamp += rng.randrange(3600, 4 * DAY)
            event = "purchase" if rng.random() < 0.1 else "click"
            interactions.append(f"{user},{item},{min(stamp, NOW - 60)},{event}")
    items = ["ITEM_ID,GENRE,CREATION_TIMESTAMP"]
    items += [f"{item},{genre},{NOW - 400 * DAY}" for item, genre in genre_of.items()]
    files = {"Interactions": "\n".join(interactions) + "\n", "Items": "\n".join(items) + "\n"}
    return files, genre_of, favourite


def avro(kind: str) -> str:
    return json.dumps({"type": "record", "name": kind, "namespace": "com.amazonaws.personalize.schema",
                       "fields": SCHEMAS[kind], "version": "1.0"})


# ---- printing -------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[Any]], indent: str = "   ") -> None:
    """A small fixed-width table (numbers right-aligned)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(isinstance(r[i], (int, float)) for r in rows) for i in range(len(headers))]

    def line(values: list[str]) -> str:
        return indent + "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric)).rstrip()

    print(line(headers))
    print(indent + "  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))


def _cell(value: Any) -> str:
    if isinstance(value, float):  # scores are probabilities: small ones keep their digits
        return f"{value:.4f}" if value >= 0.001 or value == 0 else f"{value:.1e}"
    return "-" if value is None else str(value)


def step(number: int, title: str) -> None:
    print(f"\n{number}. {title}")


def short(arn: str) -> str:
    """The ARN's resource part, enough to tell resources apart on screen."""
    return arn.split(":", 5)[-1]


# ---- the walk-through -----------------------------------------------------------------------


def wait_active(describe: Any, key: str, **arn: str) -> dict[str, Any]:
    """Describe until the resource is ACTIVE (under the mock, the first read already is)."""
    resource = describe(**arn)[key]
    while resource["status"] not in ("ACTIVE", "CREATE FAILED"):
        resource = describe(**arn)[key]
    if resource["status"] != "ACTIVE":
        sys.exit(f"{key} failed: {resource.get('failureReason')}")
    return resource


def main() -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    files, genre_of, favourite = generate()
    print("personalize-mock quickstart: Amazon Personalize through boto3, answered offline")
    with mock_personalize():
        session = boto3.session.Session(region_name=REGION)
        s3 = session.client("s3")
        personalize = session.client("personalize")
        runtime = session.client("personalize-runtime")
        events = session.client("personalize-events")

        # 1. CSV files in (moto's) S3, a dataset group, schemas, datasets and import jobs.
        step(1, f"Data: CSV files in s3://{BUCKET}/ imported into a dataset group")
        s3.create_bucket(Bucket=BUCKET)
        group = personalize.create_dataset_group(name="quickstart")["datasetGroupArn"]
        rows = []
        for kind, body in files.items():
            key = f"{kind.lower()}.csv"
            s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
            schema = personalize.create_schema(name=f"quickstart-{kind.lower()}", schema=avro(kind))["schemaArn"]
            dataset = personalize.create_dataset(name=f"quickstart-{kind.lower()}", datasetGroupArn=group,
                                                 datasetType=kind, schemaArn=schema)["datasetArn"]
            job = personalize.create_dataset_import_job(
                jobName=f"quickstart-{kind.lower()}", datasetArn=dataset, roleArn=ROLE,
                dataSource={"dataLocation": f"s3://{BUCKET}/{key}"})["datasetImportJobArn"]
            status = wait_active(personalize.describe_dataset_import_job, "datasetImportJob",
                                 datasetImportJobArn=job)["status"]
            rows.append([kind, body.count("\n") - 1, f"s3://{BUCKET}/{key}", status])
        table(["dataset", "rows", "source", "import job"], rows)
        print(f"   {USERS} users, {len(genre_of)} movies in {len(GENRES)} genres; each user prefers one genre")

        # 2. Train user-personalization and read its offline metrics.
        step(2, "Training: a user-personalization solution version and its offline metrics")
        solution = personalize.create_solution(
            name="quickstart-user-personalization", datasetGroupArn=group,
            recipeArn="arn:aws:personalize:::recipe/aws-user-personalization")["solutionArn"]
        version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        trained = wait_active(personalize.describe_solution_version, "solutionVersion", solutionVersionArn=version)
        print(f"   {short(version)}: {trained['status']}")
        metrics = personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
        table(["metric", "value"], [[name, metrics[name]] for name in (
            "normalized_discounted_cumulative_gain_at_10", "precision_at_10",
            "mean_reciprocal_rank_at_25", "coverage")])

        # 3. Deploy it, with an event tracker and a filter that takes a genre as a placeholder.
        step(3, "Serving: a campaign, an event tracker and a filter with a placeholder")
        campaign = personalize.create_campaign(name="quickstart", solutionVersionArn=version,
                                               minProvisionedTPS=1)["campaignArn"]
        wait_active(personalize.describe_campaign, "campaign", campaignArn=campaign)
        tracker = personalize.create_event_tracker(name="quickstart", datasetGroupArn=group)
        expression = "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)"
        by_genre = personalize.create_filter(name="quickstart-by-genre", datasetGroupArn=group,
                                             filterExpression=expression)["filterArn"]
        wait_active(personalize.describe_filter, "filter", filterArn=by_genre)
        table(["resource", "name / value", "status"], [
            ["campaign", short(campaign), "ACTIVE"],
            ["event tracker", f"trackingId {tracker['trackingId']}", "ACTIVE"],
            ["filter", expression, "ACTIVE"],
        ])

        # 4. Recommendations for one user, with and without the filter.
        user = WATCHED_USER
        step(4, f"GetRecommendations for {user}, who mostly watched {favourite[user]}")
        before = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=10)
        documentaries = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=5,
                                                    filterArn=by_genre, filterValues={"GENRE": '"Documentary"'})
        plain, filtered = before["itemList"], documentaries["itemList"]
        table(["rank", "item", "genre", "score"],
              [[rank + 1, r["itemId"], genre_of[r["itemId"]], r.get("score")] for rank, r in enumerate(plain)])
        print("   with the filter and filterValues {\"GENRE\": \"\\\"Documentary\\\"\"}:")
        table(["rank", "item", "genre", "score"],
              [[rank + 1, r["itemId"], genre_of[r["itemId"]], r.get("score")] for rank, r in enumerate(filtered)])
        print(f"   recommendationId {before['recommendationId']}")

        # 5. Rank a given list for the user: needs a personalized-ranking campaign.
        step(5, "GetPersonalizedRanking: a personalized-ranking campaign orders a given list for the user")
        ranking_solution = personalize.create_solution(
            name="quickstart-ranking", datasetGroupArn=group,
            recipeArn="arn:aws:personalize:::recipe/aws-personalized-ranking")["solutionArn"]
        ranking_version = personalize.create_solution_version(solutionArn=ranking_solution)["solutionVersionArn"]
        wait_active(personalize.describe_solution_version, "solutionVersion", solutionVersionArn=ranking_version)
        ranking_campaign = personalize.create_campaign(name="quickstart-ranking",
                                                       solutionVersionArn=ranking_version)["campaignArn"]
        wait_active(personalize.describe_campaign, "campaign", campaignArn=ranking_campaign)
        candidates = [f"movie-{g * ITEMS_PER_GENRE + 1}" for g in range(len(GENRES))]  # one per genre
        ranked = runtime.get_personalized_ranking(campaignArn=ranking_campaign, userId=user,
                                                  inputList=candidates)["personalizedRanking"]
        print(f"   inputList {candidates}")
        table(["rank", "item", "genre", "score"],
              [[rank + 1, r["itemId"], genre_of[r["itemId"]], r.get("score")] for rank, r in enumerate(ranked)])

        # 6. The user clicks five horror films from the page they were shown, then asks again.
        step(6, f"PutEvents: {user} clicks five {NEW_TASTE} films, naming the recommendationId")
        clicks = [item for item, genre in genre_of.items() if genre == NEW_TASTE][:5]
        events.put_events(
            trackingId=tracker["trackingId"], userId=user, sessionId="session-1",
            eventList=[{"eventType": "click", "itemId": item, "sentAt": NOW + 60 * (n + 1),
                        "recommendationId": before["recommendationId"]} for n, item in enumerate(clicks)])
        recorded = inspect.recorded_events(group)
        print(f"   recorded {len(recorded)} events: {', '.join(e['itemId'] for e in recorded)}")
        print(f"   each with the impression of that recommendationId ({len(recorded[0]['impression'])} items shown)")
        after = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=10)["itemList"]
        print("   the next GetRecommendations, without retraining:")
        table(["rank", "before", "genre", "score", "after", "genre", "score"], [
            [rank + 1, a["itemId"], genre_of[a["itemId"]], a.get("score"),
             b["itemId"], genre_of[b["itemId"]], b.get("score")] for rank, (a, b) in enumerate(zip(plain, after))])
        shift = sum(genre_of[r["itemId"]] == NEW_TASTE for r in after) - sum(
            genre_of[r["itemId"]] == NEW_TASTE for r in plain)
        print(f"   {NEW_TASTE} in the top 10: {sum(genre_of[r['itemId']] == NEW_TASTE for r in plain)} before, "
              f"{sum(genre_of[r['itemId']] == NEW_TASTE for r in after)} after ({shift:+d})")
    print("\nDone. Next: docs/README.md (the reference), personalize-mock-server --demo (the sandbox).")


if __name__ == "__main__":
    main()
