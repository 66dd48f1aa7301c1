"""Known answers for the model-driven input validation (no moto)."""

from __future__ import annotations

import botocore.session
import pytest

from personalize_mock.exceptions import InvalidInputException
from personalize_mock.validation import validate_input

MODEL = botocore.session.get_session().get_service_model("personalize")


def shape(operation: str):
    return MODEL.operation_model(operation).input_shape


def message(operation: str, params: dict) -> str:
    with pytest.raises(InvalidInputException) as excinfo:
        validate_input(shape(operation), params)
    return excinfo.value.message


def test_valid_input_passes():
    validate_input(shape("CreateDatasetGroup"), {"name": "shop", "domain": "ECOMMERCE"})
    validate_input(shape("ListSchemas"), {"maxResults": 100})
    validate_input(None, {"anything": 1})


def test_pattern_is_matched_in_full():
    assert message("CreateDatasetGroup", {"name": "bad name"}) == (
        "1 validation error detected: Value 'bad name' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*"
    )


def test_enum_max_length_and_max_value_are_all_reported():
    text = message(
        "CreateDatasetGroup", {"name": "n" * 64, "domain": "GAMES"}
    )
    assert text.startswith("2 validation errors detected: ")
    assert "at 'name' failed to satisfy constraint: Member must have length less than or equal to 63" in text
    assert "at 'domain' failed to satisfy constraint: Member must satisfy enum value set: [ECOMMERCE, VIDEO_ON_DEMAND]" in text
    assert "Member must have value less than or equal to 100" in message("ListSolutions", {"maxResults": 101})


def test_nested_lists_and_unicode_classes():
    tags = [{"tagKey": "ok", "tagValue": "vålue 1"}, {"tagKey": "bad{", "tagValue": "x"}]
    text = message("TagResource", {"resourceArn": "arn:aws:personalize:us-east-1:1:schema/s", "tags": tags})
    assert "Value 'bad{' at 'tags.2.member.tagKey'" in text
    assert "tags.1" not in text  # \\p{L} accepts non-ASCII letters


def test_long_values_are_shortened_in_the_message():
    text = message("CreateSchema", {"name": "s", "schema": "x" * 20001})
    assert "x" * 200 + "..." in text and "x" * 201 not in text


def test_operations_declaring_only_invalid_next_token_answer_it():
    # ListSchemas and ListDatasetGroups declare no InvalidInputException.
    from personalize_mock.exceptions import InvalidNextTokenException

    for operation in ("ListSchemas", "ListDatasetGroups"):
        with pytest.raises(InvalidNextTokenException) as excinfo:
            validate_input(shape(operation), {"maxResults": 101})
        assert excinfo.value.message.startswith("1 validation error detected: Value '101' at 'maxResults'")
    with pytest.raises(InvalidInputException):
        validate_input(shape("ListSolutions"), {"maxResults": 101})
