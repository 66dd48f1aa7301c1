"""The standalone server: both ways to launch it, moto's ThreadedMotoServer, and concurrency.

The server processes are real subprocesses on a free local port; each is terminated in a
``finally`` whatever the test's outcome.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import personalize_mock  # noqa: F401  (registers the plugin for ThreadedMotoServer)
from tests.conftest import INTERACTIONS_SCHEMA

REGION = "us-east-1"
REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
THREADS = 16


def fake_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def client(service: str, endpoint_url: str):
    """A client with fake credentials and one pooled connection per thread we run.

    boto3 clients (unlike sessions) are thread-safe, so the threads below share one.
    """
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    config = Config(max_pool_connections=THREADS, retries={"max_attempts": 1})
    return session.client(service, endpoint_url=endpoint_url, config=config)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    pytest.fail(f"server did not answer within {STARTUP_TIMEOUT}s:\n{log.read_text()}")


@contextlib.contextmanager
def running_server(command: list[str], port: int, cwd: Path, log: Path) -> Iterator[str]:
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=fake_env(), stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def exercise(url: str) -> None:
    """Create and describe a dataset group through ``url``; ``/moto-api/reset`` clears it."""
    personalize = client("personalize", url)
    arn = personalize.create_dataset_group(name="served")["datasetGroupArn"]
    group = personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
    assert group["name"] == "served"
    assert group["datasetGroupArn"] == arn
    assert group["status"] == "ACTIVE"
    assert [g["name"] for g in personalize.list_dataset_groups()["datasetGroups"]] == ["served"]

    reset(url)

    assert personalize.list_dataset_groups()["datasetGroups"] == []
    with pytest.raises(ClientError) as excinfo:
        personalize.describe_dataset_group(datasetGroupArn=arn)
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # The name is free again.
    assert personalize.create_dataset_group(name="served")["datasetGroupArn"] == arn


def console_script() -> str:
    # The script installed next to this interpreter first, then anything on PATH.
    search = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    script = shutil.which("personalize-mock-server", path=search)
    if script is None:
        pytest.skip("personalize-mock-server is not installed (pip install -e .)")
    return script


# ---- launching ---------------------------------------------------------------------------


def test_console_script_serves_personalize(tmp_path):
    port = free_port()
    command = [console_script(), "--port", str(port)]
    with running_server(command, port, tmp_path, tmp_path / "server.log") as url:
        exercise(url)


def test_python_dash_m_serves_personalize(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "personalize_mock", "--port", str(port)]
    with running_server(command, port, REPO_ROOT, tmp_path / "server.log") as url:
        exercise(url)
        # All three APIs reach the same backend through the one server.
        with pytest.raises(ClientError) as excinfo:
            client("personalize-runtime", url).get_recommendations(
                campaignArn=f"arn:aws:personalize:{REGION}:123456789012:campaign/none", userId="u"
            )
        assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_threaded_moto_server_serves_personalize():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        # An in-process server shares this process's backends: start and end clean.
        reset(url)
        try:
            exercise(url)
        finally:
            reset(url)
    finally:
        server.stop()


# ---- concurrency against the plugin's server ----------------------------------------------


def run_together(calls: list) -> list[str]:
    """Run every call at once (released by one barrier); "ok" or the error code of each."""
    barrier = threading.Barrier(len(calls))

    def run(call) -> str:
        barrier.wait(timeout=30)
        try:
            call()
        except ClientError as error:
            return error.response["Error"]["Code"]
        return "ok"

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_creates_of_one_name_let_exactly_one_through(personalize_server):
    personalize = client("personalize", personalize_server)
    outcomes = run_together([lambda: personalize.create_dataset_group(name="contended")] * THREADS)

    assert Counter(outcomes) == {"ok": 1, "ResourceAlreadyExistsException": THREADS - 1}
    groups = personalize.list_dataset_groups()["datasetGroups"]
    assert [g["name"] for g in groups] == ["contended"]


def test_concurrent_creates_of_one_schema_name_let_exactly_one_through(personalize_server):
    personalize = client("personalize", personalize_server)
    outcomes = run_together(
        [lambda: personalize.create_schema(name="contended", schema=INTERACTIONS_SCHEMA)] * THREADS
    )

    assert Counter(outcomes) == {"ok": 1, "ResourceAlreadyExistsException": THREADS - 1}
    assert len(personalize.list_schemas()["schemas"]) == 1


def test_concurrent_creates_of_distinct_schemas_all_succeed(personalize_server):
    personalize = client("personalize", personalize_server)
    outcomes = run_together(
        [
            lambda i=i: personalize.create_schema(name=f"schema-{i:02d}", schema=INTERACTIONS_SCHEMA)
            for i in range(THREADS)
        ]
    )

    assert outcomes == ["ok"] * THREADS
    schemas = personalize.list_schemas()["schemas"]
    assert len(schemas) == THREADS
    assert sorted(s["name"] for s in schemas) == [f"schema-{i:02d}" for i in range(THREADS)]
    paged = [
        s["name"]
        for page in personalize.get_paginator("list_schemas").paginate(PaginationConfig={"PageSize": 5})
        for s in page["schemas"]
    ]
    assert sorted(paged) == [f"schema-{i:02d}" for i in range(THREADS)]
