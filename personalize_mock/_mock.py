"""``mock_personalize``: moto's ``mock_aws`` with personalize_mock registered first.

It wraps (never subclasses) ``MockAWS``, whose nesting counter is per class: so it nests
with ``mock_aws`` in either order, and data is reset exactly when moto resets its own.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from ._registration import register

T = TypeVar("T")


class MockPersonalize:
    """A decorator (function or class) and a context manager, with or without ``()``."""

    def __init__(self, config: Any = None) -> None:
        self._config = config
        self._active: list[Any] = []

    def _new_mock(self) -> Any:
        from moto import mock_aws

        register()
        return mock_aws(config=self._config)

    def __call__(self, func: T | None = None, *, config: Any = None) -> Any:
        if func is None:  # @mock_personalize() / mock_personalize(config=...)
            return MockPersonalize(config if config is not None else self._config)
        return self._new_mock()(func)

    def start(self) -> None:
        mock = self._new_mock()
        mock.start()
        self._active.append(mock)

    def stop(self) -> None:
        self._active.pop().stop()

    def __enter__(self) -> MockPersonalize:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


mock_personalize: Callable[..., Any] = MockPersonalize()
