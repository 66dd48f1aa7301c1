"""Load on the server: 8 client threads at once lose no request and no event.

The driver is bench/load.py's (the benchmark runs it against a server in its own process);
here it runs against the ``personalize_server`` fixture, in this process, so the stored events
can also be read straight from the backend.
"""

from __future__ import annotations

from bench.load import EVENTS_PER_CALL, MIX, drive, exported_events, set_up
from personalize_mock import inspect

THREADS = 8
CYCLES = 8  # of the mix, per thread


def test_eight_threads_of_mixed_calls_fail_none_and_lose_no_event(personalize_server):
    target = set_up(personalize_server)

    result = drive(personalize_server, target, THREADS, CYCLES * len(MIX))

    assert result.failures == []
    assert {op: len(samples) for op, samples in result.latencies.items()} == {
        op: THREADS * CYCLES * MIX.count(op) for op in MIX
    }
    stored = inspect.recorded_events(target.dataset_group)
    assert len(stored) == result.events_sent == THREADS * CYCLES * MIX.count("PutEvents") * EVENTS_PER_CALL
    assert len({event["sentAt"] for event in stored}) == len(stored)
    # The bench's count, through a dataset export job, agrees with the backend's own.
    assert exported_events(personalize_server, target) == len(stored)
