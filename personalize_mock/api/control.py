"""The ``personalize`` control plane (JSON 1.1, ``POST /`` with ``X-Amz-Target``)."""

from .base import OperationResponse


class ControlResponse(OperationResponse):
    SERVICE = "personalize"
