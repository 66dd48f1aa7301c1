"""Print the exploration example of docs/recommendations.md: one user's top 10 with
``explorationWeight`` 0, 0.3 and 1.

    python -m tools.exploration

The quickstart's data set (``examples/quickstart.py``) plus five movies created in the last five
days that nobody has watched yet (exploration's cold items); a user-personalization solution
version; one campaign per weight (``explorationItemAgeCutOff`` 30 days); GetRecommendations for
``user-3``. Deterministic: the data comes from fixed seeds and models depend on content only.
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

WEIGHTS = ("0", "0.3", "1")
NEW_ITEMS = 5
SHOWN = 7  # items per line
QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"


def lines() -> list[str]:
    import boto3

    from personalize_mock import mock_personalize

    quickstart = runpy.run_path(str(QUICKSTART))
    files, _, _ = quickstart["generate"]()
    now, day = quickstart["NOW"], quickstart["DAY"]
    files["Items"] += "".join(f"new-{n},Comedy,{now - n * day}\n" for n in range(NEW_ITEMS))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    out = []
    with mock_personalize():
        session = boto3.session.Session(region_name="us-east-1")
        s3, personalize, runtime = (session.client(n) for n in ("s3", "personalize", "personalize-runtime"))
        s3.create_bucket(Bucket="exploration")
        group = personalize.create_dataset_group(name="exploration")["datasetGroupArn"]
        for kind, body in files.items():
            s3.put_object(Bucket="exploration", Key=kind, Body=body.encode())
            schema = personalize.create_schema(name=f"exploration-{kind}", schema=quickstart["avro"](kind))["schemaArn"]
            dataset = personalize.create_dataset(name=kind, datasetGroupArn=group, datasetType=kind,
                                                 schemaArn=schema)["datasetArn"]
            personalize.create_dataset_import_job(jobName=kind, datasetArn=dataset, roleArn=quickstart["ROLE"],
                                                  dataSource={"dataLocation": f"s3://exploration/{kind}"})
        solution = personalize.create_solution(name="exploration", datasetGroupArn=group,
                                               recipeArn="arn:aws:personalize:::recipe/aws-user-personalization")
        version = personalize.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
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
