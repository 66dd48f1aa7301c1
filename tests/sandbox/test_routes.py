"""The sandbox's routes take only unsigned requests under /personalize/: S3 still serves a bucket
named ``personalize`` (signed calls and presigned URLs alike)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.conftest import make_clients


def test_a_bucket_named_personalize_still_reaches_s3(personalize_server):
    s3 = make_clients("server", personalize_server).s3
    s3.create_bucket(Bucket="personalize")
    s3.put_object(Bucket="personalize", Key="faults", Body=b"not a fault")
    assert s3.get_object(Bucket="personalize", Key="faults")["Body"].read() == b"not a fault"
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "personalize", "Key": "faults"})
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"not a fault"
    # The same path unsigned is the sandbox's.
    with urllib.request.urlopen(f"{personalize_server}/personalize/faults") as response:
        assert json.loads(response.read()) == {"createFailures": [], "errors": [], "latencies": []}


def test_unknown_sandbox_paths_answer_404_with_a_message(personalize_server):
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(f"{personalize_server}/personalize/nothing-here")
    assert excinfo.value.code == 404
    assert json.loads(excinfo.value.read())["message"] == "No sandbox route GET /personalize/nothing-here."
