"""The same calls give the same answers in every process (issue 11): a user's whole session run
twice in fresh Python processes, with different hash seeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def session(*args: str, hash_seed: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONALIZE_MOCK")}
    env.update(PYTHONHASHSEED=hash_seed, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1")
    done = subprocess.run([sys.executable, "-m", "tests.reproducibility.scenario", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def unseeded() -> tuple[dict, dict]:
    return session(hash_seed="1"), session(hash_seed="2")


def test_models_metrics_lists_scores_and_outputs_repeat(unseeded):
    first, second = unseeded
    a, b = first["content"], second["content"]
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key], key
    assert a["metrics"]["aws-user-personalization"]["normalized_discounted_cumulative_gain_at_10"] > 0
    assert any(key.endswith(".out") for key in a) and "batch/out/users.json.out" in a
    assert a["before/u1"] != a["after/u1"]  # the events moved the list


def test_without_the_seed_switch_ids_are_random(unseeded):
    first, second = unseeded
    assert first["responses"] != second["responses"]  # solution version suffixes, tracking ids, RIDs


def test_with_the_seed_switch_whole_responses_repeat():
    first, second = session("7", hash_seed="3"), session("7", hash_seed="4")
    assert first["responses"] == second["responses"]
    assert first["content"] == second["content"]
    other = session("8", hash_seed="3")
    assert other["responses"] != first["responses"]


def test_the_seed_switch_by_environment_means_the_same(monkeypatch):
    monkeypatch.setenv("PERSONALIZE_MOCK_SEED", "7")
    env_run = subprocess.run([sys.executable, "-c", "import os, sys; from tests.reproducibility.scenario import main; main([])"],
                             cwd=ROOT, env=dict(os.environ, PYTHONHASHSEED="5", AWS_ACCESS_KEY_ID="testing",
                                                AWS_SECRET_ACCESS_KEY="testing"), capture_output=True, text=True, timeout=600)
    assert env_run.returncode == 0, env_run.stderr[-3000:]
    assert json.loads(env_run.stdout)["responses"] == session("7", hash_seed="6")["responses"]
