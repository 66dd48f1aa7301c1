"""Batch output lines are written from pre-encoded parts; they must be ``json.dumps``'s text
exactly (the output format of batch inference jobs does not change)."""

from __future__ import annotations

import json

import pytest

from personalize_mock.resources.batch_answers import output_line


@pytest.mark.parametrize("given, ids, scores", [
    ({"userId": "u1"}, ["i1", "i2"], [0.5, 1e-05]),
    ({"userId": "ü \"quoted\"", "filterValues": {"G": "\"g1\""}, "n": [1, 2.5, None]}, ["é", "a\\b", "\u2028"], [1.0, 3.14e-300]),
    ({"userId": "u2"}, [], []),
    ({"itemId": "i1"}, ["x"], None),
    ({"userId": "u3"}, ["x", "y"], [float("nan"), 0.25]),
])
def test_output_line_is_json_dumps(given, ids, scores):
    output = {"recommendedItems": ids}
    if scores is not None:
        output["scores"] = scores
    expected = json.dumps({"input": given, "output": output, "error": None})
    assert output_line(given, [json.dumps(i) for i in ids], scores) == expected
