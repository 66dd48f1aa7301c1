"""Known-answer tests of the HPO search (engine/hpo.py), no moto."""

from __future__ import annotations

import pytest

from personalize_mock.engine.hpo import Range, candidates, ranges_of, search


def test_ranges_of_reads_the_api_shape_in_order():
    ranges = ranges_of({
        "integerHyperParameterRanges": [{"name": "hidden_dimension", "minValue": 32, "maxValue": 64}],
        "continuousHyperParameterRanges": [{"name": "popularity_discount_factor", "minValue": 0.1, "maxValue": 0.9}],
        "categoricalHyperParameterRanges": [{"name": "recency_mask", "values": ["true", "false"]}],
    })
    assert ranges == [
        Range("hidden_dimension", "integer", 32, 64),
        Range("popularity_discount_factor", "continuous", 0.1, 0.9),
        Range("recency_mask", "categorical", values=("true", "false")),
    ]
    assert ranges_of(None) == [] and ranges_of({"integerHyperParameterRanges": []}) == []


def test_integer_candidates_use_every_stratum_centre_once():
    # [32, 64] in 4 strata of width 8: centres 36, 44, 52, 60, in a seeded order.
    found = candidates([Range("hidden_dimension", "integer", 32, 64)], 4, seed=7)
    assert sorted(int(c["hidden_dimension"]) for c in found) == [36, 44, 52, 60]
    assert found == candidates([Range("hidden_dimension", "integer", 32, 64)], 4, seed=7)  # deterministic
    orders = {tuple(c["h"] for c in candidates([Range("h", "integer", 32, 64)], 4, s))
              for s in range(20)}
    assert len(orders) > 1  # the seed chooses the order
    assert candidates([Range("h", "integer", 32, 64)], 1, seed=0) == [{"h": "48"}]


def test_candidates_combine_ranges_and_drop_duplicates():
    ranges = [Range("bptt", "integer", 2, 22), Range("recency_mask", "categorical", values=("true", "false"))]
    found = candidates(ranges, 4, seed=1)
    assert len(found) == 4
    assert sorted(int(c["bptt"]) for c in found) == [5, 10, 15, 20]  # 2 + (i + 0.5) * 5, half up
    assert {c["recency_mask"] for c in found} == {"true", "false"}
    # A one-value range collapses to one candidate.
    assert candidates([Range("h", "integer", 40, 40)], 4, seed=3) == [{"h": "40"}]
    continuous = candidates([Range("p", "continuous", 0.0, 1.0)], 2, seed=0)
    assert sorted(float(c["p"]) for c in continuous) == [0.25, 0.75]
    assert candidates([], 4, 0) == [] and candidates(ranges, 0, 0) == []


def test_search_keeps_the_best_and_the_earlier_of_ties():
    settings = [{"h": "36"}, {"h": "44"}, {"h": "52"}, {"h": "60"}]
    scores = {"36": 0.1, "44": 0.3, "52": 0.3, "60": None}
    trained = []

    def train(setting):
        trained.append(setting["h"])
        return {"model": setting["h"], "score": scores[setting["h"]]}

    result, setting = search(train, settings, lambda r: r["score"])
    assert setting == {"h": "44"} and result["model"] == "44"
    assert trained == ["36", "44", "52", "60"]  # every candidate trains once
    result, setting = search(train, [{"h": "60"}], lambda r: r["score"])
    assert setting == {"h": "60"}  # an unscored candidate still wins when it is the only one
    with pytest.raises(ValueError):
        search(train, [], lambda r: 0.0)
