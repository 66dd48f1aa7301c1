"""Switches users set through the environment (so they work in-process and for the server).

``PERSONALIZE_MOCK_RELAXED_DATA=1`` relaxes the real service's minimum-data rules (1000
interaction records per import job, the training minimums) so tests can use tiny data sets.
"""

from __future__ import annotations

import os

RELAXED_DATA_ENV = "PERSONALIZE_MOCK_RELAXED_DATA"


def relaxed_data() -> bool:
    return os.environ.get(RELAXED_DATA_ENV, "").strip().lower() in ("1", "true", "yes", "on")
