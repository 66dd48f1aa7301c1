"""Fixtures shared by the API tests beyond tests/conftest.py."""

from tests.api.test_runtime import shop  # noqa: F401  (a trained dataset group; used by batch and conformance tests)
