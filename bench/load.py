"""Load: client threads against personalize-mock-server in its own process; none may fail or lose an event.

    python bench/load.py [--threads 8] [--requests 500]

The server runs in a subprocess on a free 127.0.0.1 port, so the client threads do not share
its GIL. Set-up through boto3: 1,600 interactions imported from (moto's) S3, a trained
aws-user-personalization campaign and an event tracker. Then every thread makes one untimed
cycle of calls (the first calls of each operation load code, server and client side) and
``--requests`` timed ones, released together by one barrier, in a fixed mix: 4 PutEvents
(2 events each, the first naming the thread's last recommendationId), 4 GetRecommendations,
1 DescribeCampaign and 1 DescribeDatasetGroup in every 10. The clients never retry, so no
failure is hidden.

Reported: requests/s overall and per operation, latency p50/p90/p99/max per operation, the
failures, and events sent against events stored; the stored ones are counted through the
public API from outside the server: a dataset export job of PUT events to moto's S3.
Exit status 1 if a request failed or an event was lost.

``tests/sandbox/test_load.py`` runs the same ``set_up`` and ``drive`` against the in-process
``personalize_server`` fixture.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
BUCKET = "bench-load"
USERS, ITEMS, PER_USER = 200, 100, 8
EVENTS_PER_CALL = 2
FIRST_EVENT = 1_800_000_000  # sentAt of the first event; each event gets its own second
# One cycle of the mix; thread t starts it at position t, so the threads do not move in step.
MIX = (
    "PutEvents", "GetRecommendations", "PutEvents", "GetRecommendations", "DescribeCampaign",
    "PutEvents", "GetRecommendations", "DescribeDatasetGroup", "PutEvents", "GetRecommendations",
)
INTERACTIONS_SCHEMA = json.dumps({
    "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
               {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"}],
    "version": "1.0",
})


def clients(endpoint_url: str, threads: int) -> dict[str, Any]:
    """One client per API, shared by the threads (boto3 clients are thread-safe): a pooled
    connection per thread and no retries."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)
    config = Config(max_pool_connections=threads, retries={"max_attempts": 0})
    return {name: session.client(name, endpoint_url=endpoint_url, config=config)
            for name in ("personalize", "personalize-events", "personalize-runtime", "s3")}


@dataclass
class Target:
    dataset_group: str
    dataset: str
    campaign: str
    tracking_id: str


def set_up(endpoint_url: str) -> Target:
    """Import interactions (user u views items of its group u % 4), train, deploy, track."""
    api = clients(endpoint_url, 1)
    s3, p = api["s3"], api["personalize"]
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    for user in range(USERS):
        for k in range(PER_USER):
            item = (user % 4) * (ITEMS // 4) + (user + k) % (ITEMS // 4)
            lines.append(f"u{user},i{item},{FIRST_EVENT - 100_000 + user * PER_USER + k},view")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="interactions.csv", Body="\n".join(lines) + "\n")
    group = p.create_dataset_group(name="load")["datasetGroupArn"]
    schema = p.create_schema(name="load-interactions", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(name="interactions", schemaArn=schema, datasetGroupArn=group,
                               datasetType="Interactions")["datasetArn"]
    job = p.create_dataset_import_job(jobName="load", datasetArn=dataset,
                                      dataSource={"dataLocation": f"s3://{BUCKET}/interactions.csv"})
    imported = p.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"])["datasetImportJob"]
    if imported["status"] != "ACTIVE":
        raise RuntimeError(f"import job: {imported['status']}: {imported.get('failureReason')}")
    solution = p.create_solution(name="load", datasetGroupArn=group,
                                 recipeArn="arn:aws:personalize:::recipe/aws-user-personalization")["solutionArn"]
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    trained = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    if trained["status"] != "ACTIVE":
        raise RuntimeError(f"solution version: {trained['status']}: {trained.get('failureReason')}")
    campaign = p.create_campaign(name="load", solutionVersionArn=version)["campaignArn"]
    tracking_id = p.create_event_tracker(name="load", datasetGroupArn=group)["trackingId"]
    return Target(group, dataset, campaign, tracking_id)


@dataclass
class Result:
    threads: int
    warm_up: int  # untimed calls per thread
    seconds: float  # of the timed calls
    latencies: dict[str, list[float]] = field(default_factory=dict)  # seconds, by operation (timed calls)
    failures: list[str] = field(default_factory=list)  # of all calls
    events_sent: int = 0  # events in PutEvents calls that succeeded (all calls)

    @property
    def requests(self) -> int:
        return sum(len(samples) for samples in self.latencies.values())


def drive(endpoint_url: str, target: Target, threads: int, requests: int, warm_up: int = 0) -> Result:
    """``threads`` threads, each making ``warm_up`` untimed calls, then ``requests`` timed ones
    released together, in the order of ``MIX``. Every event gets its own ``sentAt``, so drive a
    target once: a second run would send the same events again."""
    api = clients(endpoint_url, threads)
    p, events, runtime = api["personalize"], api["personalize-events"], api["personalize-runtime"]
    barrier = threading.Barrier(threads)
    outcomes: list[dict[str, Any]] = [{} for _ in range(threads)]

    def worker(t: int) -> None:
        latencies: dict[str, list[float]] = {op: [] for op in MIX}
        failures: list[str] = []
        sent = 0
        last_recommendation: str | None = None
        started = 0.0
        for n in range(warm_up + requests):
            if n == warm_up:
                barrier.wait(timeout=60)
                started = time.perf_counter()
            op = MIX[(t + n) % len(MIX)]
            user = f"u{(t * 37 + n) % USERS}"
            first = FIRST_EVENT + (t * (warm_up + requests) + n) * EVENTS_PER_CALL  # unique per event
            call_started = time.perf_counter()
            try:
                if op == "PutEvents":
                    batch = [{"eventType": "view", "itemId": f"i{(first + k) % ITEMS}", "sentAt": first + k}
                             for k in range(EVENTS_PER_CALL)]
                    if last_recommendation:
                        batch[0]["recommendationId"] = last_recommendation
                    events.put_events(trackingId=target.tracking_id, userId=user, sessionId=f"s-{user}",
                                      eventList=batch)
                    sent += len(batch)
                elif op == "GetRecommendations":
                    answer = runtime.get_recommendations(campaignArn=target.campaign, userId=user, numResults=10)
                    last_recommendation = answer["recommendationId"]
                elif op == "DescribeCampaign":
                    p.describe_campaign(campaignArn=target.campaign)
                else:
                    p.describe_dataset_group(datasetGroupArn=target.dataset_group)
            except Exception as error:  # noqa: BLE001  (every failure is counted, none hidden)
                failures.append(f"{op}: {type(error).__name__}: {error}")
            else:
                if n >= warm_up:
                    latencies[op].append(time.perf_counter() - call_started)
        outcomes[t] = {"latencies": latencies, "failures": failures, "sent": sent,
                       "started": started, "ended": time.perf_counter()}

    pool = [threading.Thread(target=worker, args=(t,), name=f"load-{t}") for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if any(not outcome for outcome in outcomes):
        raise RuntimeError("a client thread died before reporting")
    result = Result(threads, warm_up, max(o["ended"] for o in outcomes) - min(o["started"] for o in outcomes))
    for outcome in outcomes:
        for op, samples in outcome["latencies"].items():
            result.latencies.setdefault(op, []).extend(samples)
        result.failures.extend(outcome["failures"])
        result.events_sent += outcome["sent"]
    return result


def exported_events(endpoint_url: str, target: Target) -> int:
    """Events stored in the interactions dataset, counted from outside the server: a dataset
    export job of the PUT rows to moto's S3, then the CSV rows (each event has its own
    timestamp, so the export's merging of identical rows merges none)."""
    api = clients(endpoint_url, 1)
    prefix = f"export-{time.time_ns()}/"
    job = api["personalize"].create_dataset_export_job(
        jobName=prefix.rstrip("/"), datasetArn=target.dataset, ingestionMode="PUT",
        roleArn="arn:aws:iam::123456789012:role/personalize",
        jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/{prefix}"}},
    )["datasetExportJobArn"]
    status = api["personalize"].describe_dataset_export_job(datasetExportJobArn=job)["datasetExportJob"]
    if status["status"] != "ACTIVE":
        raise RuntimeError(f"export job: {status['status']}: {status.get('failureReason')}")
    rows = 0
    for listed in api["s3"].list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []):
        body = api["s3"].get_object(Bucket=BUCKET, Key=listed["Key"])["Body"].read().decode()
        rows += len(body.splitlines()) - 1  # less the header
    return rows


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank: the smallest sample with at least ``q`` percent of the samples at or below it."""
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def report(result: Result) -> list[str]:
    heading = " ".join(f"{title:>7s}" for title in ("req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"))
    lines = [
        (f"{result.requests} requests from {result.threads} threads in {result.seconds:.2f} s "
         f"(after {result.warm_up * result.threads} untimed): {result.requests / result.seconds:.1f} requests/s, "
         f"{len(result.failures)} failed"),
        f"  {'operation':22s} {'count':>6s} {heading}",
    ]
    for op, samples in sorted(result.latencies.items()):
        if not samples:
            continue
        ordered = sorted(samples)
        figures = " ".join(f"{percentile(ordered, q) * 1e3:7.2f}" for q in (50, 90, 99, 100))
        lines.append(f"  {op:22s} {len(ordered):6d} {len(ordered) / result.seconds:7.1f} {figures}")
    lines += [f"  failed: {failure}" for failure in result.failures[:10]]
    return lines


# ---- the server in its own process ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server_process(log: Any, timeout: float = 30.0) -> Iterator[str]:
    """``personalize-mock-server`` (this interpreter's) on a free port; its URL, then terminated."""
    script = shutil.which("personalize-mock-server", path=os.path.dirname(sys.executable))
    command = [script] if script else [sys.executable, "-m", "personalize_mock"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start (exit status {process.poll()}); see {log.name}")
            with contextlib.suppress(urllib.error.URLError, OSError):
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500, help="requests per thread (default 500)")
    args = parser.parse_args()
    log = tempfile.NamedTemporaryFile(prefix="personalize-mock-server-", suffix=".log", delete=False)  # noqa: SIM115
    with log, server_process(log) as url:
        started = time.perf_counter()
        target = set_up(url)
        print(f"personalize-mock-server at {url}: set up (import, train, deploy) in "
              f"{time.perf_counter() - started:.2f} s")
        # One untimed cycle of the mix per thread first: the server's and the clients' first
        # calls of each operation load code and models (about 1 s when 8 threads start at once).
        result = drive(url, target, args.threads, args.requests, warm_up=len(MIX))
        stored = exported_events(url, target)
    os.unlink(log.name)
    print("\n".join(report(result)))
    print(f"events: {result.events_sent} sent, {stored} stored (dataset export job of PUT events)")
    ok = not result.failures and stored == result.events_sent
    print("OK" if ok else "FAILED: " + ("requests failed" if result.failures else "events lost"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
