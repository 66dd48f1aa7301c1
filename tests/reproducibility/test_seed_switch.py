"""The four spellings of the seed switch mean the same thing (issue 11): generated ids repeat
from every reset on, and the seed reaches training."""

from __future__ import annotations

import sys
import unittest
import urllib.request

import boto3
import pytest

from personalize_mock import mock_personalize
from personalize_mock.settings import record_seed
from tests.api.test_server import REPO_ROOT, client, fake_env, free_port, reset, running_server


def ids(p) -> tuple[str, str]:
    """A generated id (the tracking id) and a name-derived one, from a fresh state."""
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    return p.create_event_tracker(name="t", datasetGroupArn=group)["trackingId"], group


def in_process(seed: int) -> tuple[str, str]:
    with mock_personalize(seed=seed):
        return ids(boto3.client("personalize", region_name="us-east-1"))


def test_mock_personalize_seed_repeats_ids_and_restores_the_switch(personalize_credentials):
    assert in_process(5) == in_process(5)
    seeded = in_process(5)
    assert seeded != in_process(6)
    with mock_personalize():  # the switch was put back: random ids again
        assert ids(boto3.client("personalize", region_name="us-east-1"))[0] != seeded[0]


def test_as_a_decorator_of_functions_and_classes(personalize_credentials):
    @mock_personalize(seed=5)
    def decorated():
        return ids(boto3.client("personalize", region_name="us-east-1"))

    assert decorated() == decorated() == in_process(5)

    results = []

    @mock_personalize(seed=5)
    class Case(unittest.TestCase):
        def setUp(self):
            self.p = boto3.client("personalize", region_name="us-east-1")

        def test_one(self):
            results.append(ids(self.p))

    unittest.TextTestRunner(stream=open("/dev/null", "w")).run(unittest.defaultTestLoader.loadTestsFromTestCase(Case))
    assert results == [in_process(5)]


def test_environment_variable(personalize_credentials, monkeypatch):
    expected = in_process(5)
    monkeypatch.setenv("PERSONALIZE_MOCK_SEED", "5")
    with mock_personalize():
        assert ids(boto3.client("personalize", region_name="us-east-1")) == expected
    monkeypatch.setenv("PERSONALIZE_MOCK_SEED", "five")
    with pytest.raises(ValueError, match="PERSONALIZE_MOCK_SEED must be an integer"):
        in_process(None)  # type: ignore[arg-type]


def test_moto_api_seed_in_server_mode(personalize_server):
    try:
        p = client("personalize", personalize_server)
        urllib.request.urlopen(urllib.request.Request(f"{personalize_server}/moto-api/seed?a=5", method="POST")).read()
        first = ids(p)
        reset(personalize_server)  # the switch is applied again at every reset
        assert ids(p) == first
        reset(personalize_server)
        urllib.request.urlopen(urllib.request.Request(f"{personalize_server}/moto-api/seed?a=6", method="POST")).read()
        assert ids(p) != first
    finally:
        record_seed(None)  # the fixture's server runs in this process
        reset(personalize_server)


def test_server_seed_option(tmp_path, personalize_credentials):
    expected = in_process(5)
    port = free_port()
    command = [sys.executable, "-m", "personalize_mock", "--port", str(port), "--seed", "5"]
    with running_server(command, port, REPO_ROOT, tmp_path / "server.log") as url:
        p = client("personalize", url)
        served = ids(p)
        reset(url)
        assert ids(p) == served
    assert served[0] == expected[0]


def test_a_restored_state_with_the_seed_switch_gets_fresh_ids(tmp_path, personalize_credentials):
    """The switch replays moto's ids from the seed; a restored state may already hold them."""
    from personalize_mock import persistence

    with mock_personalize(seed=7):
        first = ids(boto3.client("personalize", region_name="us-east-1"))
        persistence.save(tmp_path)
    with mock_personalize(seed=7):
        persistence.restore(tmp_path)
        p = boto3.client("personalize", region_name="us-east-1")
        group = p.create_dataset_group(name="g2")["datasetGroupArn"]
        second = p.create_event_tracker(name="t2", datasetGroupArn=group)
        trackers = p.list_event_trackers()["eventTrackers"]
    assert second["trackingId"] != first[0]
    assert len({t["eventTrackerArn"] for t in trackers}) == 2
