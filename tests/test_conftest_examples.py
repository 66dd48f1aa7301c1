"""The conftest files in ``conftest_examples/`` work as documented: copied as they are.

Each directory is copied to a fresh temporary directory (what a user does with it) and run by
a separate ``python -m pytest``, so it sees neither this repository's pyproject.toml nor the
``tests`` package, and leaves no ``__pycache__`` or plugin droppings in the source tree. The
plugin fixtures come from the installed entry point.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parents[1] / "conftest_examples"
# Number of tests in each directory's test_example.py.
EXPECTED = {"decorator": 5, "fixtures": 5, "server": 5}
IGNORE = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".benchmarks")


def run_pytest(pytester: pytest.Pytester, target: Path, *args: str) -> pytest.RunResult:
    result = pytester.run(
        sys.executable, "-m", "pytest", str(target), "-p", "no:cacheprovider", "-q",
        "--rootdir", str(target), *args,
        timeout=120,
    )
    assert result.ret == 0, "\n".join(result.outlines + result.errlines)
    return result


def test_every_example_directory_is_checked():
    found = {p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    assert found == set(EXPECTED)
    for style in EXPECTED:
        assert (EXAMPLES / style / "conftest.py").is_file()
        assert (EXAMPLES / style / "test_example.py").is_file()


@pytest.mark.parametrize("style", sorted(EXPECTED))
def test_example_directory_passes(pytester: pytest.Pytester, style: str):
    target = pytester.path / style
    shutil.copytree(EXAMPLES / style, target, ignore=IGNORE)
    result = run_pytest(pytester, target)
    result.assert_outcomes(passed=EXPECTED[style])


def test_all_examples_together_with_importlib_mode(pytester: pytest.Pytester):
    """All three directories hold a conftest.py and a test_example.py; with no ``__init__.py``
    pytest's default import mode would refuse the duplicate basenames in one run, so
    running them together needs ``--import-mode=importlib``."""
    target = pytester.path / "conftest_examples"
    shutil.copytree(EXAMPLES, target, ignore=IGNORE)
    result = run_pytest(pytester, target, "--import-mode=importlib")
    result.assert_outcomes(passed=sum(EXPECTED.values()))
