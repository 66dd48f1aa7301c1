"""Errors named exactly like botocore's error shapes for the three Personalize APIs.

moto serialises a ``ServiceException`` from the operation's service model, so the HTTP
status (400/404/409 on the rest-json APIs) and the ``__type`` come out as AWS sends them.
"""

from moto.core.exceptions import ServiceException


class InvalidInputException(ServiceException):
    code = "InvalidInputException"


class InvalidNextTokenException(ServiceException):
    code = "InvalidNextTokenException"
    message = "The nextToken provided is invalid."


class LimitExceededException(ServiceException):
    code = "LimitExceededException"


class ResourceAlreadyExistsException(ServiceException):
    code = "ResourceAlreadyExistsException"


class ResourceInUseException(ServiceException):
    code = "ResourceInUseException"


class ResourceNotFoundException(ServiceException):
    code = "ResourceNotFoundException"


class TooManyTagsException(ServiceException):
    code = "TooManyTagsException"


class TooManyTagKeysException(ServiceException):
    code = "TooManyTagKeysException"


class NotImplementedOperation(ServiceException):
    """An operation of the real API that this version of personalize_mock does not emulate yet."""

    code = "NotImplementedException"

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(
            f"{service}:{operation} is not implemented by personalize_mock yet."
        )


def not_found(arn: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Could not find resource {arn}.")


def modelled_error(code: str, message: str) -> ServiceException:
    """An error with any modelled ``code`` (e.g. from fault injection), defined in this module
    so that moto serialises it from the Personalize service models."""
    cls = globals().get(code)
    if not (isinstance(cls, type) and issubclass(cls, ServiceException)):
        cls = type(code, (ServiceException,), {"code": code, "__module__": __name__})
    return cls(message)
