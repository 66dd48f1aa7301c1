"""One handler per operation of a Personalize API, generated from botocore's model.

Each handler validates the parsed input against the model's constraints, calls the backend
method of the same snake_case name with snake_case keyword arguments, and returns an
``ActionResult`` that moto serialises from the operation's output shape. An operation the
backend does not offer yet answers ``NotImplementedException`` naming it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar

from moto.core.responses import ActionContext, ActionResult, BaseResponse, EmptyResult
from moto.core.utils import camelcase_to_underscores

from ..backend import CHANGES
from ..exceptions import NotImplementedOperation
from ..faults import INVOCATION_HEADER, before_call
from ..service_models import SERVICES, service_model  # noqa: F401  (SERVICES re-exported)
from ..validation import validate_input

# moto's converter runs a regex pass per call; member and operation names repeat endlessly.
snake_case = lru_cache(maxsize=4096)(camelcase_to_underscores)


class LockedResult(ActionResult):
    """Serialise under the backend lock: reading a status advances its lifecycle."""

    def __init__(self, result: object, lock: Any) -> None:
        super().__init__(result)
        self._lock = lock

    def execute_result(self, context: ActionContext) -> Any:
        with self._lock:
            return super().execute_result(context)


class OperationResponse(BaseResponse):
    SERVICE: ClassVar[str]
    # The runtime API's results are plain JSON values (lists of small dicts); writing them
    # directly skips moto's model-driven serializer, most of a runtime call's cost.
    RAW_JSON: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__(service_name=self.SERVICE)
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> Any:
        from ..backend import personalize_backends

        return personalize_backends[self.current_account][self.region]

    def _invoke(self, operation: str) -> ActionResult:
        result = call_operation(self.SERVICE, operation, self.backend, self.params,
                                self.headers.get(INVOCATION_HEADER))
        if result is None:
            return EmptyResult()
        if self.RAW_JSON:
            import orjson

            # As the service sends it (rest-json); a bare string would go out as text/html.
            return 200, {"Content-Type": "application/json"}, orjson.dumps(result).decode()  # type: ignore[return-value]
        return LockedResult(result, self.backend.lock)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for operation in service_model(cls.SERVICE).operation_names:
            setattr(cls, camelcase_to_underscores(operation), _handler(operation))


def call_operation(service: str, operation: str, backend: Any, params: dict[str, Any],
                   invocation: str | None = None) -> Any:
    """Validate ``params`` against the operation's input shape and call the backend method of
    the same snake_case name under the backend lock. ``invocation`` (botocore's
    ``amz-sdk-invocation-id``, one per call whatever its retries) lets faults count calls."""
    method = getattr(backend, snake_case(operation), None)
    if method is None:
        raise NotImplementedOperation(service, operation)
    before_call(operation, invocation)  # injected latency or error, if any (personalize_mock.faults)
    validate_input(service_model(service).operation_model(operation).input_shape, params)
    kwargs = {snake_case(k): v for k, v in params.items()}
    with backend.lock:
        try:
            return method(**kwargs)
        finally:
            CHANGES.bump()


def _handler(operation: str) -> Any:
    def handle(self: OperationResponse) -> ActionResult:
        return self._invoke(operation)

    handle.__name__ = camelcase_to_underscores(operation)
    handle.__doc__ = f"Handle {operation}."
    return handle
