"""``personalize-mock-server --state-dir``: state survives a restart (clean or killed), writes
are atomic, and a state from an incompatible version is refused."""

from __future__ import annotations

import datetime
import io
import json
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from personalize_mock import persistence
from tests.api.test_runtime import NO_EXPLORATION, campaign, make_filter, shop
from tests.api.test_server import console_script, fake_env, free_port, running_server, wait_until_serving
from tests.conftest import make_clients

USERS = ("u1", "u2", "u77", "stranger")


@pytest.fixture(autouse=True)
def relaxed(monkeypatch):
    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")


def serve(tmp_path: Path, state: Path, log: str = "server.log"):
    port = free_port()
    return running_server([console_script(), "--port", str(port), "--state-dir", str(state)], port, tmp_path,
                          tmp_path / log)


def observe(api, world) -> dict:
    """What a client sees of the world: resources, statuses, metrics, recommendations, tags."""
    p, runtime = api.personalize, api.runtime
    seen = {
        "groups": [(g["name"], g["status"]) for g in p.list_dataset_groups()["datasetGroups"]],
        "datasets": sorted(d["datasetArn"] for d in p.list_datasets(datasetGroupArn=world["group"])["datasets"]),
        "imports": sorted((j["jobName"], j["status"]) for j in p.list_dataset_import_jobs()["datasetImportJobs"]),
        "campaign": p.describe_campaign(campaignArn=world["campaign"])["campaign"]["status"],
        "metrics": p.get_solution_metrics(solutionVersionArn=world["version"])["metrics"],
        "tags": p.list_tags_for_resource(resourceArn=world["campaign"])["tags"],
        "filter": p.describe_filter(filterArn=world["filter"])["filter"]["filterExpression"],
    }
    for user in USERS:
        seen[user] = runtime.get_recommendations(campaignArn=world["campaign"], userId=user, numResults=10)["itemList"]
        seen[f"{user} filtered"] = runtime.get_recommendations(
            campaignArn=world["campaign"], userId=user, numResults=10, filterArn=world["filter"])["itemList"]
    seen["ranking"] = runtime.get_personalized_ranking(campaignArn=world["ranking"], userId="u1",
                                                       inputList=["i1", "i20", "i33", "unknown"])["personalizedRanking"]
    return seen


def build(api) -> dict:
    world = dict(shop.__wrapped__(api))
    world["campaign"] = campaign(api, world, config=NO_EXPLORATION)
    world["version"] = api.personalize.describe_campaign(campaignArn=world["campaign"])["campaign"]["solutionVersionArn"]
    world["ranking"] = campaign(api, world, recipe="aws-personalized-ranking", name="rank")
    world["filter"] = make_filter(api, world, 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("buy")')
    api.personalize.tag_resource(resourceArn=world["campaign"], tags=[{"tagKey": "team", "tagValue": "search"}])
    shown = api.runtime.get_recommendations(campaignArn=world["campaign"], userId="u77", numResults=3)
    api.events.put_events(  # a new user's events, one click on a recommendation
        trackingId=world["tracking"], userId="u77", sessionId="s77",
        eventList=[{"eventType": "view", "itemId": f"i{n}", "sentAt": datetime.datetime(2026, 1, 1, 0, n),
                    "recommendationId": shown["recommendationId"]} for n in range(40, 45)],
    )
    return world


def test_a_restart_keeps_everything(tmp_path):
    state = tmp_path / "state"
    with serve(tmp_path, state, "first.log") as url:
        api = make_clients("server", url)
        world = build(api)
        before = observe(api, world)
    assert (state / "state.zip").exists()
    with serve(tmp_path, state, "second.log") as url:
        api = make_clients("server", url)
        after = observe(api, world)
        assert after == before
        # The restored campaign keeps learning: new events change u2's recommendations.
        api.events.put_events(trackingId=world["tracking"], userId="u2", sessionId="s2",
                              eventList=[{"eventType": "view", "itemId": f"i{n}",
                                          "sentAt": datetime.datetime(2026, 2, 1, 0, n)} for n in range(45, 55)])
        changed = api.runtime.get_recommendations(campaignArn=world["campaign"], userId="u2", numResults=10)["itemList"]
        assert changed != before["u2"]
    assert "restored 1 backend(s)" in (tmp_path / "second.log").read_text()


def test_a_killed_server_restarts_from_its_last_save(tmp_path):
    state = tmp_path / "state"
    port = free_port()
    log = tmp_path / "killed.log"
    with log.open("wb") as out:
        process = subprocess.Popen([console_script(), "--port", str(port), "--state-dir", str(state)],
                                   cwd=tmp_path, env=fake_env(), stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(url, process, log)
            arn = make_clients("server", url).personalize.create_dataset_group(name="survivor")["datasetGroupArn"]
            deadline = time.monotonic() + 10  # until a save holds the group (an earlier one may not)
            while not _saved(state, "survivor") and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGKILL)  # no chance to save at exit
            process.wait(timeout=10)
    assert [p.name for p in state.iterdir()] == ["state.zip"]  # no temporary file left behind
    with serve(tmp_path, state, "after-kill.log") as url:
        group = make_clients("server", url).personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
        assert group["name"] == "survivor"


def _saved(state: Path, text: str) -> bool:
    """Whether the state directory's saved document mentions ``text`` (saves are atomic)."""
    try:
        with zipfile.ZipFile(state / "state.zip") as archive:
            return text in archive.read("state.json").decode()
    except (FileNotFoundError, KeyError, zipfile.BadZipFile):
        return False


def write_state(directory: Path, document: dict) -> None:
    directory.mkdir()
    with zipfile.ZipFile(directory / "state.zip", "w") as archive:
        archive.writestr("state.json", json.dumps(document))


@pytest.mark.parametrize("content, message", [
    ({"format": persistence.FORMAT, "format_version": 999, "written_by": "9.9.9", "backends": []},
     "was written by personalize_mock 9.9.9 in state format 999"),
    ({"something": "else"}, "is not a personalize_mock state file"),
])
def test_an_incompatible_state_is_refused(tmp_path, content, message):
    state = tmp_path / "state"
    write_state(state, content)
    with pytest.raises(persistence.StateError, match=message):
        persistence.restore(state)
    result = subprocess.run([console_script(), "--port", str(free_port()), "--state-dir", str(state)],
                            env=fake_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert message in result.stderr
    assert "cannot restore --state-dir" in result.stderr


def test_a_damaged_state_is_refused(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.zip").write_bytes(b"PK\x03\x04 half a file")
    with pytest.raises(persistence.StateError, match="is damaged or not a personalize_mock state file"):
        persistence.restore(state)


@pytest.fixture
def api(personalize_mocked):
    """In-process clients: these tests save and restore this process's backends."""
    return make_clients("inprocess")


def test_a_failed_write_leaves_the_previous_state(api, monkeypatch, tmp_path):
    api.personalize.create_dataset_group(name="kept")
    path = persistence.save(tmp_path)
    saved = path.read_bytes()
    api.personalize.create_dataset_group(name="lost")

    original = zipfile.ZipFile.writestr

    def crash(self, *args, **kwargs):  # half the file is written, then the disk fills up
        original(self, *args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash)
    with pytest.raises(OSError, match="disk full"):
        persistence.save(tmp_path)
    assert path.read_bytes() == saved
    assert [p.name for p in tmp_path.iterdir()] == ["state.zip"]


def test_the_state_file_holds_json_and_plain_arrays_only(api, tmp_path):
    world = build(api)
    before = observe(api, world)
    path = persistence.save(tmp_path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names[0] == "state.json" and all(n.startswith("arrays/") and n.endswith(".npy") for n in names[1:])
        for name in names[1:]:
            np.lib.format.read_array(io.BytesIO(archive.read(name)), allow_pickle=False)
        document = json.loads(archive.read("state.json"))
    assert document["format_version"] == persistence.FORMAT_VERSION
    from personalize_mock.backend import personalize_backends

    personalize_backends.reset()
    assert api.personalize.list_dataset_groups()["datasetGroups"] == []
    assert persistence.restore(tmp_path) == 1
    assert observe(api, world) == before


def test_every_kind_of_resource_survives_a_round_trip(api, tmp_path, monkeypatch):
    """The fuzzer's world (every dataset type, seven recipe families, campaigns, filters, a
    domain group with recommenders, batch and data jobs, a metric attribution, tags) reads the
    same after save, reset and restore: every List operation, metrics, and runtime answers."""
    from botocore import xform_name

    from personalize_mock.backend import personalize_backends
    from tests.fuzz import world

    made = world.seed(api)
    p, runtime = api.personalize, api.runtime
    model = p.meta.service_model

    def view() -> dict:
        seen = {}
        for name in model.operation_names:
            shape = model.operation_model(name).input_shape
            if name.startswith("List") and not (shape and shape.required_members):
                seen[name] = getattr(p, xform_name(name))()
        seen["metrics"] = {arn: p.get_solution_metrics(solutionVersionArn=arn)["metrics"]
                           for arn in made["versions"].values()}
        seen["recommender"] = p.describe_recommender(recommenderArn=made["recommender"])["recommender"]
        campaigns = made["campaigns"]
        seen["personalized"] = runtime.get_recommendations(campaignArn=campaigns["aws-user-personalization"],
                                                           userId="u7", numResults=10)["itemList"]
        seen["sims"] = runtime.get_recommendations(campaignArn=campaigns["aws-sims"], itemId="i3")["itemList"]
        seen["ranking"] = runtime.get_personalized_ranking(campaignArn=campaigns["aws-personalized-ranking"],
                                                           userId="u7", inputList=["i1", "i9", "x"])["personalizedRanking"]
        seen["actions"] = runtime.get_action_recommendations(campaignArn=campaigns["aws-next-best-action"],
                                                             userId="u7")["actionList"]
        seen["for you"] = runtime.get_recommendations(recommenderArn=made["recommender"], userId="u7")["itemList"]
        for answer in seen.values():
            if isinstance(answer, dict):
                answer.pop("ResponseMetadata", None)
        return seen

    before = view()
    persistence.save(tmp_path)
    personalize_backends.reset()
    assert p.list_dataset_groups()["datasetGroups"] == []
    persistence.restore(tmp_path)
    assert view() == before
