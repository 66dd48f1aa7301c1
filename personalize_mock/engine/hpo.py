"""Hyperparameter optimisation: a small, deterministic search inside the requested ranges.

The service runs many training jobs over the ``hpoConfig.algorithmHyperParameterRanges`` and
keeps the best (developer guide, *Hyperparameters and HPO*). Here the search is a handful of
candidates spread over the ranges (stratified: with n candidates each numeric range is cut
into n strata and every stratum is used once, in an order drawn from the training seed), each
trained and scored on the holdout split's metrics; the best candidate wins (ties: the
earlier candidate). Nothing depends on the process: the draw comes from the seed only.

Pure Python / numpy: ranges come in as the API's structures, candidates go out as the
string-valued ``algorithmHyperParameters`` the trainers read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DEFAULT_CANDIDATES", "DEFAULT_OBJECTIVE", "Range", "candidates", "ranges_of", "search"]

DEFAULT_CANDIDATES = 4
# hpoObjective is not configurable in the service ("Amazon Personalize doesn't support
# configuring the hpoObjective at this time"); the mock maximises this unless a known metric
# is named.
DEFAULT_OBJECTIVE = "normalized_discounted_cumulative_gain_at_10"


@dataclass(frozen=True)
class Range:
    """One hyperparameter's search range: ``kind`` integer | continuous | categorical."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    values: tuple[str, ...] = ()


def ranges_of(algorithm_ranges: Mapping[str, Any] | None) -> list[Range]:
    """``HyperParameterRanges`` (API shape) as :class:`Range` objects, in request order."""
    found: list[Range] = []
    for entry in (algorithm_ranges or {}).get("integerHyperParameterRanges") or []:
        found.append(Range(entry["name"], "integer", int(entry.get("minValue", 0)), int(entry.get("maxValue", 0))))
    for entry in (algorithm_ranges or {}).get("continuousHyperParameterRanges") or []:
        found.append(Range(entry["name"], "continuous", float(entry.get("minValue", 0.0)),
                           float(entry.get("maxValue", 0.0))))
    for entry in (algorithm_ranges or {}).get("categoricalHyperParameterRanges") or []:
        found.append(Range(entry["name"], "categorical", values=tuple(str(v) for v in entry.get("values") or ())))
    return found


def candidates(ranges: Sequence[Range], n: int, seed: int) -> list[dict[str, str]]:
    """``n`` settings of the ``ranges`` (fewer when the ranges hold fewer distinct settings).

    Numeric ranges are cut into ``n`` equal strata; candidate i takes the middle of stratum
    ``perm[i]`` for a permutation drawn per range from ``seed`` (a Latin hypercube through
    the stratum centres), rounded for integers. Categorical values are dealt out in turn,
    starting from a seeded offset. Duplicates are dropped, keeping the first.
    """
    if not ranges or n < 1:
        return []
    rng = np.random.default_rng(seed)
    columns: list[list[str]] = []
    for entry in ranges:
        if entry.kind == "categorical":
            values = list(entry.values) or [""]
            start = int(rng.integers(len(values)))
            columns.append([values[(start + i) % len(values)] for i in range(n)])
            continue
        order = rng.permutation(n)
        low, high = min(entry.low, entry.high), max(entry.low, entry.high)
        points = low + (order + 0.5) / n * (high - low)
        if entry.kind == "integer":
            columns.append([str(int(np.floor(p + 0.5))) for p in points])
        else:
            columns.append([repr(float(np.round(p, 6))) for p in points])
    found: list[dict[str, str]] = []
    for i in range(n):
        setting = {entry.name: column[i] for entry, column in zip(ranges, columns)}
        if setting not in found:
            found.append(setting)
    return found


def search(train: Callable[[dict[str, str]], Any], settings: Sequence[dict[str, str]],
           score: Callable[[Any], float | None]) -> tuple[Any, dict[str, str]]:
    """Train every setting and return (the best result, its setting).

    ``train(setting)`` returns a trained result; ``score(result)`` its objective (higher is
    better; None ranks last). Ties keep the earlier setting.
    """
    best: tuple[Any, dict[str, str]] | None = None
    best_score = -np.inf
    for setting in settings:
        result = train(setting)
        value = score(result)
        value = -np.inf if value is None or not np.isfinite(value) else float(value)
        if best is None or value > best_score:
            best, best_score = (result, setting), value
    if best is None:
        raise ValueError("no hyperparameter setting to search")
    return best
