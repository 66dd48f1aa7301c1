"""``personalize-mock-server --demo``: a ready example to explore.

A generated data set — users with a membership tier, movies with genres and creation
timestamps, views and purchases that follow each user's favourite genres — is uploaded to
moto's S3 and imported with real import jobs; a user-personalization solution version is
trained (with its offline metrics), deployed in a campaign, and a filter and an event tracker
are created. Everything goes through boto3 and the same API the server answers, under an
in-process mock that shares the server's state, and is deterministic.
"""

from __future__ import annotations

import json
import random
from typing import Any

NAME = "demo"
BUCKET = "personalize-demo"
REGION = "us-east-1"
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
GENRES = ("Comedy", "Drama", "Action", "Documentary", "Animation", "Thriller")
USERS = 300
ITEMS = 240
NEW_ITEMS = 12  # created in the last week, never interacted with: exploration candidates
EVENTS_PER_USER = (12, 40)
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z: the data set's "today"
DAY = 86_400

FIELDS = {
    "Interactions": [("USER_ID", "string"), ("ITEM_ID", "string"), ("TIMESTAMP", "long"), ("EVENT_TYPE", "string")],
    "Items": [("ITEM_ID", "string"), ("GENRES", "string"), ("CREATION_TIMESTAMP", "long")],
    "Users": [("USER_ID", "string"), ("MEMBERSHIP", "string")],
}
CATEGORICAL = {"GENRES", "MEMBERSHIP"}


def schema(kind: str) -> str:
    fields = [
        dict({"name": name, "type": kind_}, **({"categorical": True} if name in CATEGORICAL else {}))
        for name, kind_ in FIELDS[kind]
    ]
    return json.dumps({"type": "record", "name": kind, "namespace": "com.amazonaws.personalize.schema",
                       "fields": fields, "version": "1.0"})


def generate(seed: int = 7) -> dict[str, str]:
    """The three CSV files, deterministic for ``seed``."""
    rng = random.Random(seed)
    item_genres = {f"movie-{i}": rng.sample(GENRES, rng.choice((1, 1, 2))) for i in range(ITEMS)}
    by_genre: dict[str, list[str]] = {g: [i for i, gs in item_genres.items() if g in gs] for g in GENRES}
    # Within a genre a few titles are much more popular than the rest (a Zipf-like skew).
    weights = {g: [1.0 / (rank + 1) for rank in range(len(members))] for g, members in by_genre.items()}
    items = ["ITEM_ID,GENRES,CREATION_TIMESTAMP"]
    for index, (item, genres) in enumerate(item_genres.items()):
        items.append(f"{item},{'|'.join(genres)},{NOW - (400 - index) * DAY}")
    for n in range(NEW_ITEMS):
        items.append(f"new-movie-{n},{GENRES[n % len(GENRES)]},{NOW - (n % 7) * DAY}")
    users = ["USER_ID,MEMBERSHIP"]
    interactions = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    for u in range(USERS):
        user = f"user-{u}"
        users.append(f"{user},{rng.choice(('free', 'free', 'premium'))}")
        favourites = rng.sample(GENRES, 2)
        stamp = NOW - 90 * DAY + rng.randrange(DAY)
        for _ in range(rng.randint(*EVENTS_PER_USER)):
            genre = rng.choice(favourites) if rng.random() < 0.8 else rng.choice(GENRES)
            stamp += rng.randrange(3600, 2 * DAY)
            event = "purchase" if rng.random() < 0.15 else "view"
            item = rng.choices(by_genre[genre], weights[genre])[0]
            interactions.append(f"{user},{item},{min(stamp, NOW - 60)},{event}")
    return {kind: "\n".join(lines) + "\n" for kind, lines in
            (("Interactions", interactions), ("Items", items), ("Users", users))}


def _clients() -> dict[str, Any]:
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)
    return {name: session.client(name) for name in ("s3", "personalize", "personalize-runtime")}


def _existing(personalize: Any) -> dict[str, str] | None:
    """The demo's ARNs when it is already there (a restored ``--state-dir``)."""
    groups = [g for g in personalize.list_dataset_groups()["datasetGroups"] if g["name"] == NAME]
    if not groups:
        return None
    group = groups[0]["datasetGroupArn"]
    found = {"datasetGroupArn": group}
    for key, listing, field in (
        ("campaignArn", personalize.list_campaigns, "campaigns"),
        ("filterArn", lambda: personalize.list_filters(datasetGroupArn=group), "Filters"),
        ("eventTrackerArn", lambda: personalize.list_event_trackers(datasetGroupArn=group), "eventTrackers"),
    ):
        entries = [e for e in listing()[field] if e["name"].startswith(NAME)]
        if entries:
            found[key] = entries[0][key]
    if "campaignArn" in found:
        campaign = personalize.describe_campaign(campaignArn=found["campaignArn"])["campaign"]
        found["solutionVersionArn"] = campaign["solutionVersionArn"]
    if "eventTrackerArn" in found:
        tracker = personalize.describe_event_tracker(eventTrackerArn=found["eventTrackerArn"])["eventTracker"]
        found["trackingId"] = tracker["trackingId"]
    return found


def build_demo() -> dict[str, Any]:
    """Create the demo (or find it, when a restored state already has it); its ARNs, the
    tracking id and the solution version's metrics."""
    from moto import mock_aws

    from ._registration import register

    register()
    mock = mock_aws()
    mock.start(reset=False)  # share the server's backends; nothing is reset
    try:
        clients = _clients()
        personalize = clients["personalize"]
        found = _existing(personalize)
        if found is None:
            found = _create(clients)
        if "solutionVersionArn" in found:
            found["metrics"] = personalize.get_solution_metrics(
                solutionVersionArn=found["solutionVersionArn"])["metrics"]
        return found
    finally:
        mock.stop(remove_data=False)


def _create(clients: dict[str, Any]) -> dict[str, str]:
    s3, personalize = clients["s3"], clients["personalize"]
    s3.create_bucket(Bucket=BUCKET)
    group = personalize.create_dataset_group(name=NAME)["datasetGroupArn"]
    for kind, body in generate().items():
        key = f"{kind.lower()}.csv"
        s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
        schema_arn = personalize.create_schema(name=f"{NAME}-{kind.lower()}", schema=schema(kind))["schemaArn"]
        dataset = personalize.create_dataset(name=f"{NAME}-{kind.lower()}", schemaArn=schema_arn,
                                             datasetGroupArn=group, datasetType=kind)["datasetArn"]
        job = personalize.create_dataset_import_job(
            jobName=f"{NAME}-{kind.lower()}-import", datasetArn=dataset,
            dataSource={"dataLocation": f"s3://{BUCKET}/{key}"},
            roleArn="arn:aws:iam::123456789012:role/PersonalizeDemo",
        )["datasetImportJobArn"]
        _active(personalize.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"])
    tracker = personalize.create_event_tracker(name=f"{NAME}-tracker", datasetGroupArn=group)
    solution = personalize.create_solution(name=f"{NAME}-user-personalization", datasetGroupArn=group,
                                           recipeArn=RECIPE)["solutionArn"]
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    _active(personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"])
    campaign = personalize.create_campaign(
        name=f"{NAME}-campaign", solutionVersionArn=version, minProvisionedTPS=1,
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}},
    )["campaignArn"]
    flt = personalize.create_filter(
        name=f"{NAME}-by-genre", datasetGroupArn=group,
        filterExpression='INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)',
    )["filterArn"]
    return {"datasetGroupArn": group, "eventTrackerArn": tracker["eventTrackerArn"],
            "trackingId": tracker["trackingId"], "solutionVersionArn": version,
            "campaignArn": campaign, "filterArn": flt}


def _active(resource: dict[str, Any]) -> None:
    if resource["status"] != "ACTIVE":
        raise RuntimeError(f"demo: {resource.get('failureReason') or resource['status']}")


def describe_demo(demo: dict[str, Any], endpoint: str) -> str:
    """What the server prints: the ARNs and snippets to copy."""
    metrics = demo.get("metrics", {})
    shown = ", ".join(f"{k}={metrics[k]:.3f}" for k in ("normalized_discounted_cumulative_gain_at_10",
                                                        "precision_at_10", "coverage") if k in metrics)
    campaign, flt, tracking = demo.get("campaignArn", ""), demo.get("filterArn", ""), demo.get("trackingId", "")
    return f"""
personalize-mock demo is ready at {endpoint}  (console: {endpoint}/personalize/)
  dataset group     {demo['datasetGroupArn']}
  solution version  {demo.get('solutionVersionArn', '-')}
  metrics           {shown or '-'}
  campaign          {campaign}
  filter            {flt}   (filterValues {{"GENRES": "\\"Comedy\\""}})
  event tracker     {demo.get('eventTrackerArn', '-')}   (trackingId {tracking})

boto3:
  import boto3
  runtime = boto3.client("personalize-runtime", endpoint_url="{endpoint}", region_name="{REGION}",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
  print(runtime.get_recommendations(campaignArn="{campaign}", userId="user-1", numResults=5)["itemList"])

AWS CLI:
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url {endpoint} --region {REGION} \\
    personalize-runtime get-recommendations --campaign-arn {campaign} --user-id user-1 --num-results 5
"""
