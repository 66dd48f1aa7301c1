"""``personalize-events`` (rest-json: /events, /users, /items, /actions, /action-interactions)."""

from .base import OperationResponse


class EventsResponse(OperationResponse):
    SERVICE = "personalize-events"
