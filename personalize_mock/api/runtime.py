"""``personalize-runtime`` (rest-json: /recommendations, /personalize-ranking,
/action-recommendations)."""

from .base import OperationResponse


class RuntimeResponse(OperationResponse):
    SERVICE = "personalize-runtime"
    RAW_JSON = True  # results are plain JSON values (see OperationResponse.RAW_JSON)
