from tests.conftest import INTERACTIONS_SCHEMA


def test_dataset_group_schema_dataset_round_trip(api):
    group = api.personalize.create_dataset_group(name="smoke")["datasetGroupArn"]
    schema = api.personalize.create_schema(name="smoke-int", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = api.personalize.create_dataset(
        name="smoke-int", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    described = api.personalize.describe_dataset(datasetArn=dataset)["dataset"]
    assert described["status"] == "ACTIVE"
    assert described["datasetType"] == "INTERACTIONS"
