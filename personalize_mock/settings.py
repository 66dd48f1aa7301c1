"""Switches users set through the environment (so they work in-process and for the server).

``PERSONALIZE_MOCK_RELAXED_DATA=1`` relaxes the real service's minimum-data rules (1000
interaction records per import job, the training minimums) so tests can use tiny data sets.

``PERSONALIZE_MOCK_SEED=N`` is the seed switch: generated ids (solution version suffixes,
tracking ids, recommendation ids) repeat from every moto reset on, and ``N`` is mixed into
every training seed. ``mock_personalize(seed=N)``, ``personalize-mock-server --seed N`` and
moto's ``POST /moto-api/seed?a=N`` set the same switch (``record_seed``); without any of them
models are still reproducible (they depend on content only), ids are random.
"""

from __future__ import annotations

import os

RELAXED_DATA_ENV = "PERSONALIZE_MOCK_RELAXED_DATA"
SEED_ENV = "PERSONALIZE_MOCK_SEED"


def relaxed_data() -> bool:
    return os.environ.get(RELAXED_DATA_ENV, "").strip().lower() in ("1", "true", "yes", "on")


_seed: list[int | None] = [None]  # set by mock_personalize(seed=), --seed, /moto-api/seed


def user_seed() -> int | None:
    """The seed switch: the last recorded seed, else ``PERSONALIZE_MOCK_SEED``, else None."""
    if _seed[0] is not None:
        return _seed[0]
    text = os.environ.get(SEED_ENV, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{SEED_ENV} must be an integer, not {text!r}.") from None


def record_seed(value: int | None) -> int | None:
    """Set the switch (None clears it, leaving the environment variable); returns the old one."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError(f"seed must be an integer, not {value!r}.")
    previous, _seed[0] = _seed[0], value
    return previous
