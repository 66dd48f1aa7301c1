"""``mock_personalize``: moto's ``mock_aws`` with personalize_mock registered first.

It wraps (never subclasses) ``MockAWS``, whose nesting counter is per class: so it nests
with ``mock_aws`` in either order, and data is reset exactly when moto resets its own.
``seed=N`` is the seed switch for the mock's lifetime (see ``settings``): ids repeat and the
seed reaches training; the previous switch is restored when the mock stops.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, TypeVar

from ._registration import apply_seed, register
from .settings import record_seed, user_seed

T = TypeVar("T")


class MockPersonalize:
    """A decorator (function or class) and a context manager, with or without ``()``."""

    def __init__(self, config: Any = None, seed: int | None = None) -> None:
        if seed is not None:
            record_seed(record_seed(seed))  # validates now, changes nothing yet
        self._config = config
        self._seed = seed
        self._active: list[tuple[Any, int | None]] = []

    def _new_mock(self) -> Any:
        from moto import mock_aws

        register()
        user_seed()  # a malformed PERSONALIZE_MOCK_SEED fails here, not half-way into moto's start
        return mock_aws(config=self._config)

    def __call__(self, func: T | None = None, *, config: Any = None, seed: int | None = None) -> Any:
        if func is None:  # @mock_personalize() / mock_personalize(config=..., seed=...)
            return MockPersonalize(config if config is not None else self._config,
                                   seed if seed is not None else self._seed)
        if self._seed is None:
            return self._new_mock()(func)
        if inspect.isclass(func):
            return self._new_mock()(self._seeded_class(func))
        return self._new_mock()(self._seeded(func))

    def _seeded(self, func: Callable[..., Any], reseed: bool = True) -> Callable[..., Any]:
        """``func`` run with the seed switch set (inside moto's mock, which resets first);
        ``reseed``: moto's random source starts again from the seed."""
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            previous = record_seed(self._seed)
            if reseed:
                apply_seed(self._seed)
            try:
                return func(*args, **kwargs)
            finally:
                record_seed(previous)

        return run

    def _seeded_class(self, cls: type) -> type:
        """Each test method runs with the switch set. unittest classes: moto's random source
        starts again in ``setUp`` (ids then run on through the test); other classes: in each
        test method."""
        import unittest

        unit = issubclass(cls, unittest.TestCase)
        for name in [n for n in dir(cls) if n.startswith("test") or (unit and n == "setUp")]:
            method = getattr(cls, name)
            if callable(method):
                setattr(cls, name, self._seeded(method, reseed=not unit or name == "setUp"))
        return cls

    def start(self) -> None:
        previous = record_seed(self._seed) if self._seed is not None else None
        mock = self._new_mock()
        mock.start()
        if self._seed is not None:
            apply_seed(self._seed)
        self._active.append((mock, previous))

    def stop(self) -> None:
        mock, previous = self._active.pop()
        try:
            mock.stop()
        finally:
            if self._seed is not None:
                record_seed(previous)

    def __enter__(self) -> MockPersonalize:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


mock_personalize: Callable[..., Any] = MockPersonalize()
