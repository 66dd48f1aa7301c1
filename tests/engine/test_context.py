"""Known-answer tests of contextual effects (engine/context.py), no moto."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from personalize_mock.engine.context import MIN_SUPPORT, PRIOR, learn, offsets, rank
from personalize_mock.engine.factorization import FactorModel


def test_lift_is_smoothed_count_over_expectation():
    # Item 1: 30 rows, 24 under "Yes"; item 2: 30 rows, 6 under "Yes". Overall half are "Yes".
    items = np.array([1] * 30 + [2] * 30)
    device = np.array(["Yes"] * 24 + ["No"] * 6 + ["Yes"] * 6 + ["No"] * 24, object)
    learned = learn(items, {"DISCOUNT": device})
    effect = learned["DISCOUNT"]
    assert effect["values"] == ["No", "Yes"] and effect["codes"].tolist() == [1, 2]
    yes = effect["values"].index("Yes")
    expected = 30 * 30 / 60  # n(i) * n(Yes) / N
    assert effect["lifts"][yes][0] == pytest.approx(math.log((24 + PRIOR) / (expected + PRIOR)), rel=1e-6)
    assert effect["lifts"][yes][1] == pytest.approx(math.log((6 + PRIOR) / (expected + PRIOR)), rel=1e-6)


def test_rare_values_reserved_fields_and_empty_columns_are_skipped():
    items = np.arange(40) % 4
    rare = np.array(["a"] * (MIN_SUPPORT - 1) + [None] * (40 - MIN_SUPPORT + 1), object)
    learned = learn(items, {"RARE": rare, "EVENT_TYPE": np.array(["click"] * 40, object),
                            "EMPTY": np.array([None] * 40, object)})
    assert learned == {}
    assert learn(np.empty(0, np.int64), {}) == {}


def test_offsets_follow_the_request_and_scale_with_the_temperature():
    items = np.array([1] * 30 + [2] * 30)
    device = np.array(["Yes"] * 24 + ["No"] * 6 + ["Yes"] * 6 + ["No"] * 24, object)
    model = SimpleNamespace(extra={"context_effects": learn(items, {"DISCOUNT": device})}, temperature=2.0)
    codes = np.array([2, 1, 9])
    term = offsets(model, {"DISCOUNT": "Yes"}, codes)
    lifts = model.extra["context_effects"]["DISCOUNT"]["lifts"][1]
    assert term.tolist() == pytest.approx([2.0 * lifts[1], 2.0 * lifts[0], 0.0])  # unknown item: 0
    assert offsets(model, {"discount": "yes"}, codes).tolist() == pytest.approx(term.tolist())  # case folded
    assert offsets(model, {"DEVICE": "mobile"}, codes) is None  # not a context field
    assert offsets(model, {"DISCOUNT": "Maybe"}, codes) is None  # a value never seen
    assert offsets(model, None, codes) is None
    assert offsets(SimpleNamespace(extra={}), {"DISCOUNT": "Yes"}, codes) is None


def test_rank_adds_the_term_to_the_logits_before_the_softmax():
    class Model:
        temperature = 1.0
        extra = {"context_effects": {"F": {"values": ["v"], "codes": np.array([10, 11]),
                                           "lifts": np.array([[0.0, 2.0]], np.float32)}}}

        def logits(self, raw):
            return raw

        def raw_scores(self, history, candidates):
            return np.array([1.0, 0.0])[candidates]

        def softmax(self, raw):
            e = np.exp(raw - raw.max())
            return e / e.sum()

        rank = FactorModel.rank  # the real arithmetic on this model's raw scores

    model = Model()
    rows, codes = np.array([0, 1]), np.array([10, 11])
    assert rank(model, np.empty(0), rows, None, codes)[0].tolist() == [0, 1]
    order, scores = rank(model, np.empty(0), rows, {"F": "v"}, codes)
    assert order.tolist() == [1, 0]
    assert scores.tolist() == pytest.approx([math.exp(2) / (math.exp(2) + math.e), math.e / (math.exp(2) + math.e)])
