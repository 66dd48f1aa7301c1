"""docs/ stays true to the code: the coverage page is regenerated and compared, and every public
name of the test-facing modules, every fixture and marker, every server option and every
environment switch has an example in a code block of docs/."""

from __future__ import annotations

import argparse
import ast
import doctest
import inspect as pyinspect
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from personalize_mock import faults, inspect, persistence, pytest_plugin, server, settings, states
from tools import coverage

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
RUNNABLE = re.compile(r"^<!-- runnable[^\n]*-->\n```python\n(.*?)^```", re.M | re.S)
# What every runnable block may take for granted (the pages import the rest themselves).
PRELUDE = "import time\n\nimport boto3\nimport pytest\n\nfrom personalize_mock import mock_personalize\n\n"


def code_blocks() -> str:
    """Every fenced code block of every page of docs/, one text."""
    return "\n".join(block for page in sorted(DOCS.glob("*.md")) for block in FENCE.findall(page.read_text()))


def public_names(module: ModuleType) -> list[str]:
    """``__all__`` when the module declares it; else the functions and classes it defines and its
    UPPER_CASE constants, none starting with an underscore."""
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return sorted(declared)
    names = []
    for name, value in vars(module).items():
        if name.startswith("_") or pyinspect.ismodule(value):
            continue
        defined_here = getattr(value, "__module__", None) == module.__name__
        if (pyinspect.isfunction(value) or pyinspect.isclass(value)) and defined_here:
            names.append(name)
        elif name.isupper() and not pyinspect.isclass(value) and not callable(value):
            names.append(name)
    return sorted(names)


# ---- the coverage page ---------------------------------------------------------------------


def test_coverage_page_is_current() -> None:
    page = coverage.PAGE.read_text()
    generated = coverage.render()
    made_from, installed = coverage.recorded(page), coverage.recorded(generated)
    assert made_from is not None, "docs/coverage.md names no botocore version: run python -m tools.coverage"
    assert installed is not None
    if made_from[1] != installed[1] and installed[0] < made_from[0]:
        pytest.skip(f"botocore {'.'.join(map(str, installed[0]))} is older than the "
                    f"{'.'.join(map(str, made_from[0]))} docs/coverage.md was generated from, and its "
                    "Personalize models differ")
    assert coverage.normalise(page) == coverage.normalise(generated), (
        "docs/coverage.md is stale: run python -m tools.coverage")


def test_coverage_check_mode_reports_a_stale_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "coverage.md"
    stale.write_text("# Coverage\n")
    assert coverage.main(["--check", "-o", str(stale)]) == 1
    assert "is stale" in capsys.readouterr().err
    assert coverage.main(["-o", str(stale)]) == 0
    assert coverage.main(["--check", "-o", str(stale)]) == 0


def test_coverage_page_lists_every_operation_of_the_installed_botocore() -> None:
    generated = coverage.render()
    for _, operation, _ in coverage.operations():
        assert f"| `{operation}` |" in generated


# ---- public names, fixtures, options, switches --------------------------------------------


@pytest.mark.parametrize("module", [faults, inspect, persistence], ids=lambda m: m.__name__)
def test_every_public_name_has_an_example(module: ModuleType) -> None:
    short = module.__name__.rsplit(".", 1)[-1]
    names = public_names(module)
    assert names, module
    code = code_blocks()
    missing = [name for name in names if not re.search(rf"\b{short}\.{name}\b", code)]
    assert not missing, f"no example in docs/ uses {', '.join(f'{short}.{n}' for n in missing)}"


def fixture_names() -> list[str]:
    """Fixtures the plugin defines (functions decorated with pytest.fixture), public ones only."""
    tree = ast.parse(Path(pytest_plugin.__file__).read_text())
    names = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, ast.Attribute) and target.attr == "fixture":
                names.append(node.name)
    return names


def marker_names() -> list[str]:
    lines: list[str] = []

    class Config:
        def addinivalue_line(self, name: str, line: str) -> None:
            if name == "markers":
                lines.append(line)

    pytest_plugin.pytest_configure(Config())  # type: ignore[arg-type]
    return [re.match(r"\w+", line).group(0) for line in lines]  # type: ignore[union-attr]


def test_every_fixture_and_marker_has_an_example() -> None:
    fixtures = fixture_names()
    assert {"personalize", "personalize_events", "personalize_runtime", "s3", "personalize_server"} <= set(fixtures)
    code = code_blocks()
    # A fixture is shown when a test (or fixture) asks for it, or a conftest.py overrides it.
    missing = [name for name in fixtures
               if not re.search(rf"def \w+\([^)]*\b{name}\b|def {name}\(", code)]
    assert not missing, f"no example in docs/ uses the fixtures {', '.join(missing)}"
    markers = marker_names()
    assert markers
    missing = [name for name in markers if f"@pytest.mark.{name}(" not in code]
    assert not missing, f"no example in docs/ uses the markers {', '.join(missing)}"


def server_options() -> list[str]:
    """The long options of ``personalize-mock-server`` (read from its argparse parser)."""
    captured: dict[str, Any] = {}
    original = argparse.ArgumentParser.parse_args

    def grab(self: argparse.ArgumentParser, args: Any = None, namespace: Any = None) -> argparse.Namespace:
        captured["parser"] = self
        return argparse.Namespace()

    argparse.ArgumentParser.parse_args = grab  # type: ignore[method-assign]
    try:
        server.parse_args([])
    finally:
        argparse.ArgumentParser.parse_args = original  # type: ignore[method-assign]
    parser: argparse.ArgumentParser = captured["parser"]
    return [max(action.option_strings, key=len) for action in parser._actions
            if action.option_strings and "--help" not in action.option_strings]


def test_every_server_option_has_an_example() -> None:
    options = server_options()
    assert {"--host", "--port", "--demo", "--state-dir"} <= set(options)
    code = code_blocks()
    missing = [option for option in options
               if not re.search(rf"personalize-mock-server\b[^\n]*\s{re.escape(option)}\b", code)]
    assert not missing, f"no personalize-mock-server example in docs/ uses {', '.join(missing)}"


def test_every_environment_switch_has_an_example() -> None:
    switches = [value for name, value in vars(settings).items() if name.endswith("_ENV") and isinstance(value, str)]
    assert "PERSONALIZE_MOCK_RELAXED_DATA" in switches
    code = code_blocks()
    missing = [switch for switch in switches if switch not in code]
    assert not missing, f"no example in docs/ sets {', '.join(missing)}"


# ---- links ---------------------------------------------------------------------------------


def test_links_between_pages_resolve() -> None:
    pages = [DOCS.parent / "README.md", *sorted(DOCS.glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(DOCS.parent)} -> {target}")
    assert not broken, "broken links: " + ", ".join(broken)


# ---- examples that run -----------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md") if RUNNABLE.search(p.read_text())))
def test_runnable_examples_pass(page: str, tmp_path: Path) -> None:
    """Blocks marked ``<!-- runnable -->`` are run as one pytest file per page, in a fresh
    process (the plugin's fixtures come from its entry point, as for a user)."""
    blocks = RUNNABLE.findall((DOCS / page).read_text())
    module = tmp_path / f"test_{page.removesuffix('.md').replace('-', '_')}_examples.py"
    # Module-level examples run on import; the last test says the import succeeded.
    module.write_text(PRELUDE + "\n\n".join(blocks) + "\n\ndef test_the_page_imports():\n    pass\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PERSONALIZE_MOCK_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"\d+ passed", done.stdout), done.stdout


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md") if "\n>>> " in p.read_text()))
def test_interpreter_examples_print_what_the_page_says(page: str) -> None:
    """Every ``>>>`` block is a doctest (whitespace normalised, exception details ignored);
    faults are cleared around each block."""
    parser = doctest.DocTestParser()
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL
    runner = doctest.DocTestRunner(optionflags=flags)
    blocks = [b for b in FENCE.findall((DOCS / page).read_text()) if b.lstrip().startswith(">>>")]
    assert blocks
    for number, block in enumerate(blocks, start=1):
        faults.clear()
        try:
            test = parser.get_doctest(block, {"faults": faults, "inspect": inspect, "persistence": persistence},
                                      f"{page} block {number}", page, 0)
            runner.run(test)
        finally:
            faults.clear()
    assert runner.summarize(verbose=False).failed == 0, f"{page}: an interpreter example prints something else"


def test_click_table_is_what_the_model_does() -> None:
    """docs/recommendations.md's table of how far clicks move a top 10 is re-measured; each
    figure may be off by at most one item (the model's details move; the page's point must not)."""
    from tools import click_effect

    page = (DOCS / "recommendations.md").read_text()
    table = {int(row[0]): [float(v) for v in row[1:]] for row in
             (line.strip("|").split("|") for line in page.splitlines() if re.match(r"\| \d+ \| [\d.]+ \|", line))}
    measured = {h: [round(v, 1) for v in row.values()] for h, row in click_effect.measure().items()}
    assert table.keys() == measured.keys()
    off = {h: [abs(a - b) for a, b in zip(table[h], measured[h])] for h in table}
    assert all(d <= 1.0 for row in off.values() for d in row), (
        f"docs/recommendations.md is stale: run python -m tools.click_effect ({measured})")


def test_every_lifecycle_model_is_in_the_lifecycles_table() -> None:
    """Each state-manager model the plugin registers has its row (``personalize::kind`` with its
    ``-phase`` models written out or abbreviated as `` `-phase` ``)."""
    rows = [line for line in (DOCS / "lifecycles.md").read_text().splitlines() if line.startswith("| `personalize::")]
    missing = []
    for kind, phases in states.KINDS.items():
        base = f"`personalize::{kind}`"
        for phase in phases:
            if phase == "create":
                found = any(base in row for row in rows)
            else:
                found = any(f"`personalize::{kind}-{phase}`" in row or (base in row and f"`-{phase}`" in row)
                            for row in rows)
            if not found:
                missing.append(states.model_name(kind, phase))
    assert not missing, f"docs/lifecycles.md has no row for {', '.join(missing)}"


def test_exploration_example_is_what_the_model_does() -> None:
    """docs/recommendations.md's exploration example is re-run (python -m tools.exploration): the
    same items in the same order, scores from 0.01 up within a factor of 2 of the page's, small
    ones (the cold items') still below 0.01."""
    from tools import exploration

    page = (DOCS / "recommendations.md").read_text()
    printed = exploration.lines()
    entry = re.compile(r"([\w-]+) ([\d.e+-]+)")
    stale = f"docs/recommendations.md is stale: run python -m tools.exploration\n" + "\n".join(printed)
    for line in printed:
        weight = line.split()[0]
        shown = re.search(rf"^{re.escape(weight)} +(.*)$", page, re.M)
        assert shown, stale
        documented, measured = entry.findall(shown.group(1)), entry.findall(line[len(weight):])
        assert [i for i, _ in documented] == [i for i, _ in measured], stale
        for (_, d), (_, m) in zip(documented, measured):
            assert (0.5 <= float(m) / float(d) <= 2) if float(d) >= 0.01 else float(m) < 0.01, stale
