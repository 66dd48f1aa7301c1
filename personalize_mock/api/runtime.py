"""``personalize-runtime`` (rest-json: /recommendations, /personalize-ranking,
/action-recommendations)."""

from .base import OperationResponse


class RuntimeResponse(OperationResponse):
    SERVICE = "personalize-runtime"
