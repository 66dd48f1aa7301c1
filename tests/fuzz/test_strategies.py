"""Known answers for the request strategies (no moto): conforming requests pass botocore's
and the emulator's validation, invalid ones break it, known values and templates are drawn."""

from __future__ import annotations

import re

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from personalize_mock.exceptions import InvalidInputException, InvalidNextTokenException
from personalize_mock.validation import validate_input
from tests.fuzz.strategies import for_shape, python_pattern, request, weighted

_session = botocore.session.get_session()
MODELS = {s: _session.get_service_model(s) for s in ("personalize", "personalize-events", "personalize-runtime")}
OPERATIONS = [(s, op) for s, model in MODELS.items() for op in model.operation_names]
FAST = settings(max_examples=10, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))


def operation(service: str, name: str):
    return MODELS[service].operation_model(name)


def test_property_classes_become_python_character_classes():
    tags = python_pattern(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")
    assert re.fullmatch(tags, "Team Ä 5_ü:/=+-@") and not re.fullmatch(tags, "bad{")
    assert python_pattern(r"\p{ASCII}{0,3}") == r"[\x00-\x7f]{0,3}"
    assert python_pattern("arn:([a-z\\d-]+):personalize:.*") == "arn:([a-z\\d-]+):personalize:.*"


def test_weighted_extremes_are_the_strategies_themselves():
    usual, other = st.just(1), st.just(2)
    assert weighted(usual, other, 0) is usual and weighted(usual, other, 1) is other


@pytest.mark.parametrize("service,name", OPERATIONS, ids=[f"{s}:{o}" for s, o in OPERATIONS])
def test_conforming_requests_pass_every_validation(service, name):
    model = operation(service, name)
    validator = ParamValidator()

    @FAST
    @given(request(model, conforming=1))
    def check(params):
        report = validator.validate(params, model.input_shape)
        assert not report.has_errors(), report.generate_report()
        validate_input(model.input_shape, params)

    check()


def test_invalid_leaves_break_the_model():
    model = operation("personalize", "CreateDatasetGroup")
    broken = for_shape(model.input_shape.members["name"], name="name", invalid=1)

    @FAST
    @given(broken)
    def check(name):
        with pytest.raises(InvalidInputException):
            validate_input(model.input_shape, {"name": name})

    check()
    too_many = for_shape(operation("personalize", "TagResource").input_shape.members["tags"], invalid=1)
    assert len(find(too_many, lambda v: len(v) > 200)) == 201  # the model's maximum is 200


def test_a_broken_next_token_of_a_list_without_invalid_input_is_answered_with_invalid_next_token():
    model = operation("personalize", "ListSchemas")
    params = find(request(model, invalid=1, conforming=0), lambda p: "maxResults" in p)
    with pytest.raises(InvalidNextTokenException):
        validate_input(model.input_shape, params)


def test_known_values_are_drawn_when_they_fit_the_type():
    shape = operation("personalize", "DescribeCampaign").input_shape
    known = {"campaignArn": ["arn:aws:personalize:us-east-1:1:campaign/real", 42]}
    assert find(for_shape(shape, known=known), lambda p: p["campaignArn"].endswith("/real"))
    # 42 is not a string: never offered to a string member.
    with pytest.raises(NoSuchExample):
        find(for_shape(shape, known=known), lambda p: p["campaignArn"] == 42,
             settings=settings(max_examples=200, database=None))


def test_known_structures_are_templates_that_mutate():
    model = operation("personalize-runtime", "GetRecommendations")
    template = {"campaignArn": "arn:aws:personalize:us-east-1:1:campaign/c", "userId": "u1"}
    strategy = request(model, known={"": [template, {"notAMember": 1}]})
    assert find(strategy, lambda p: p == template) == template
    # one member mutated, the other kept (shrinking may pick either: ask for the kept one)
    mutated = find(strategy, lambda p: set(p) == set(template) and p["userId"] != "u1"
                   and p["campaignArn"] == template["campaignArn"])
    assert mutated["userId"] != "u1"
    fresh = st.from_regex(r"fz-[a-z]{3}", fullmatch=True)
    named = find(request(operation("personalize", "CreateDatasetGroup"), known={"": [{"name": fresh}]}),
                 lambda p: set(p) == {"name"} and p["name"].startswith("fz-"))
    assert re.fullmatch(r"fz-[a-z]{3}", named["name"])
