"""``personalize-mock-server --demo``: a ready example, and the snippets it prints work."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import urllib.request

from personalize_mock import demo
from tests.api.test_server import console_script, fake_env, free_port, running_server
from tests.conftest import make_clients


def test_generated_data_is_deterministic_and_meets_the_minimums():
    files = demo.generate()
    assert files == demo.generate()
    interactions = files["Interactions"].splitlines()[1:]
    assert len(interactions) >= 1000
    users = {line.split(",")[0] for line in interactions}
    assert len(users) == demo.USERS
    assert files["Items"].count("new-movie-") == demo.NEW_ITEMS


def test_demo_server_prints_working_snippets(tmp_path):
    port = free_port()
    log = tmp_path / "demo.log"
    with running_server([console_script(), "--port", str(port), "--demo"], port, tmp_path, log) as url:
        printed = log.read_text()
        campaign = re.search(r"campaign\s+(arn:\S+)", printed).group(1)
        flt = re.search(r"filter\s+(arn:\S+)", printed).group(1)
        tracking = re.search(r"trackingId ([0-9a-f-]+)", printed).group(1)
        assert f"console: {url}/personalize/" in printed
        assert re.search(r"metrics\s+normalized_discounted_cumulative_gain_at_10=0\.\d+", printed)

        api = make_clients("server", url)
        items = api.runtime.get_recommendations(campaignArn=campaign, userId="user-1", numResults=5)["itemList"]
        assert len(items) == 5 and all("score" in item for item in items)
        comedies = api.runtime.get_recommendations(campaignArn=campaign, userId="user-1", numResults=5, filterArn=flt,
                                                   filterValues={"GENRES": '"Comedy"'})["itemList"]
        assert comedies
        api.events.put_events(trackingId=tracking, userId="user-1", sessionId="s",
                              eventList=[{"eventType": "view", "itemId": "movie-3", "sentAt": 1_767_225_600}])
        jobs = api.personalize.list_dataset_import_jobs()["datasetImportJobs"]
        assert sorted(j["status"] for j in jobs) == ["ACTIVE"] * 3

        # The AWS CLI line, exactly as printed (with this interpreter's awscli).
        line = printed[printed.index("AWS CLI:"):].split("\n", 1)[1]
        command = shlex.split(line.replace("\\\n", " ").split("\n")[0])
        start = command.index("aws")
        env = dict(fake_env(), **dict(word.split("=", 1) for word in command[:start]))  # VAR=value prefixes
        arguments = command[start + 1:]
        result = subprocess.run([sys.executable, "-m", "awscli", *arguments, "--output", "json"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert '"itemList"' in result.stdout

        with urllib.request.urlopen(f"{url}/personalize/") as page:
            assert page.status == 200


def test_demo_with_a_state_dir_is_built_once(tmp_path):
    state = tmp_path / "state"
    logs = []
    for run in ("first", "second"):
        port = free_port()
        log = tmp_path / f"{run}.log"
        command = [console_script(), "--port", str(port), "--demo", "--state-dir", str(state)]
        with running_server(command, port, tmp_path, log) as url:
            groups = make_clients("server", url).personalize.list_dataset_groups()["datasetGroups"]
            assert [g["name"] for g in groups] == ["demo"]
        logs.append(log.read_text())
    assert "restored 1 backend(s)" in logs[1]
    campaign = [re.search(r"campaign\s+(arn:\S+)", text).group(1) for text in logs]
    assert campaign[0] == campaign[1]
