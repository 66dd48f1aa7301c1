"""Every one of the 79 operations of the three APIs answers through boto3: a success, one of
its modelled errors, or ``NotImplementedException`` naming it — never a 404, a 500 or a
traceback. Inputs are the minimal valid requests generated from botocore's model."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.model import Shape

from tests.conftest import ACCOUNT, INTERACTIONS_SCHEMA, REGION

SERVICES = {"personalize": "personalize", "personalize-events": "events", "personalize-runtime": "runtime"}
_session = botocore.session.get_session()
MODELS = {service: _session.get_service_model(service) for service in SERVICES}
OPERATIONS = [(service, op) for service, model in MODELS.items() for op in model.operation_names]

STRINGS = {
    "Name": "cover",
    "Arn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:campaign/cover",
    "S3Location": "s3://cover-bucket/input/",
    "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/cover",
    "DatasetType": "Interactions",
    "AvroSchema": INTERACTIONS_SCHEMA,
}


def minimal(shape: Shape) -> Any:
    """The smallest request ``shape`` accepts: required members only, one list element."""
    kind = shape.type_name
    if kind == "structure":
        return {name: minimal(shape.members[name]) for name in shape.required_members}
    if kind == "list":
        return [minimal(shape.member)]
    if kind == "map":
        return {minimal(shape.key): minimal(shape.value)}
    if kind == "timestamp":
        return datetime(2026, 1, 1, tzinfo=timezone.utc)
    if kind in ("integer", "long"):
        return int(shape.metadata.get("min", 1))
    if kind in ("float", "double"):
        return float(shape.metadata.get("min", 1.0))
    if kind == "boolean":
        return True
    if getattr(shape, "enum", None):
        return shape.enum[0]
    return STRINGS.get(shape.name, "cover")


def test_the_three_apis_have_79_operations():
    assert len(OPERATIONS) == 79


@pytest.mark.parametrize("service,operation", OPERATIONS, ids=[f"{s}:{o}" for s, o in OPERATIONS])
def test_operation_answers_as_modelled(api, service, operation):
    model = MODELS[service].operation_model(operation)
    client = getattr(api, SERVICES[service])
    params = minimal(model.input_shape) if model.input_shape else {}
    method = getattr(client, xform_name(operation))
    try:
        method(**params)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        allowed = {shape.name for shape in model.error_shapes} | {"NotImplementedException"}
        assert code in allowed, f"{operation}: unmodelled error {code}: {error}"
        assert status < 500, f"{operation}: HTTP {status}"
        if code == "NotImplementedException":
            assert f"{service}:{operation}" in error.response["Error"]["Message"]
