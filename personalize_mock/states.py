"""Lifecycle transition tables, one per kind of change, run by moto's ``ManagedState``.

Every resource with a status holds a ``ManagedState`` whose model name is listed in
``MODEL_NAMES``; users steer progression with ``moto.moto_api.state_manager`` (or
``POST /moto-api/state-manager/set-transition``) exactly as for moto's own services.
"""

from __future__ import annotations

from moto.moto_api import state_manager

CREATE_PENDING = "CREATE PENDING"
CREATE_IN_PROGRESS = "CREATE IN_PROGRESS"
ACTIVE = "ACTIVE"
CREATE_FAILED = "CREATE FAILED"
DELETE_PENDING = "DELETE PENDING"
DELETE_IN_PROGRESS = "DELETE IN_PROGRESS"
UPDATE_PENDING = "UPDATE PENDING"
UPDATE_IN_PROGRESS = "UPDATE IN_PROGRESS"
# Never shown to a client: a resource whose deletion reached it is dropped from its store.
GONE = "GONE"

Table = tuple[tuple[str, str], ...]

CREATE: Table = ((CREATE_PENDING, CREATE_IN_PROGRESS), (CREATE_IN_PROGRESS, ACTIVE))
CREATE_FAILING: Table = (
    (CREATE_PENDING, CREATE_IN_PROGRESS),
    (CREATE_IN_PROGRESS, CREATE_FAILED),
)
UPDATE: Table = ((UPDATE_PENDING, UPDATE_IN_PROGRESS), (UPDATE_IN_PROGRESS, ACTIVE))
DELETE: Table = ((DELETE_PENDING, DELETE_IN_PROGRESS), (DELETE_IN_PROGRESS, GONE))
# Dataset groups document no DELETE IN_PROGRESS state.
DELETE_PENDING_ONLY: Table = ((DELETE_PENDING, GONE),)

CREATE_STOPPING = "CREATE STOPPING"
CREATE_STOPPED = "CREATE STOPPED"
# StopSolutionVersionCreation: from CREATE PENDING straight to stopped, from IN_PROGRESS via STOPPING.
STOP_PENDING: Table = ((CREATE_PENDING, CREATE_STOPPED),)
STOP_RUNNING: Table = ((CREATE_STOPPING, CREATE_STOPPED),)

# Recommenders: StopRecommender / StartRecommender.
STOP_PENDING_STATUS = "STOP PENDING"
STOP_IN_PROGRESS = "STOP IN_PROGRESS"
INACTIVE = "INACTIVE"
START_PENDING = "START PENDING"
START_IN_PROGRESS = "START IN_PROGRESS"
RECOMMENDER_STOP: Table = ((STOP_PENDING_STATUS, STOP_IN_PROGRESS), (STOP_IN_PROGRESS, INACTIVE))
RECOMMENDER_START: Table = ((START_PENDING, START_IN_PROGRESS), (START_IN_PROGRESS, ACTIVE))

# Data deletion jobs use their own vocabulary.
PENDING = "PENDING"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
JOB: Table = ((PENDING, IN_PROGRESS), (IN_PROGRESS, COMPLETED))
JOB_FAILING: Table = ((PENDING, IN_PROGRESS), (IN_PROGRESS, FAILED))

PREFIX = "personalize::"

# kind -> the phases it has; each (kind, phase) is one state-manager model name.
KINDS: dict[str, tuple[str, ...]] = {
    "dataset-group": ("create", "delete"),
    "dataset": ("create", "update", "delete"),
    "event-tracker": ("create", "delete"),
    "dataset-import-job": ("create",),
    "dataset-export-job": ("create",),
    "data-deletion-job": ("create",),
    "solution": ("create", "update", "delete"),
    "filter": ("create", "delete"),
    "batch-inference-job": ("create",),
    "batch-segment-job": ("create",),
    "metric-attribution": ("create", "update", "delete"),
    "solution-version": ("create", "stop"),
    # campaign-update: latestCampaignUpdate's own CREATE lifecycle.
    "campaign": ("create", "update", "delete"),
    # recommender-update: latestRecommenderUpdate; stop / start: StopRecommender, StartRecommender.
    "recommender": ("create", "update", "delete", "stop", "start"),
}


def model_name(kind: str, phase: str = "create") -> str:
    """``personalize::dataset-group`` for creation, ``personalize::dataset-group-delete`` ..."""
    return PREFIX + kind if phase == "create" else f"{PREFIX}{kind}-{phase}"


MODEL_NAMES: tuple[str, ...] = tuple(
    model_name(kind, phase) for kind, phases in KINDS.items() for phase in phases
)

DEFAULT_TRANSITION = {"progression": "immediate"}


def register_defaults() -> None:
    for name in MODEL_NAMES:
        state_manager.register_default_transition(name, dict(DEFAULT_TRANSITION))
