"""The only code that touches moto's S3: read job inputs, write job outputs.

Problems are raised as ``S3Error`` whose text is a job's ``failureReason``; moto's own S3
exceptions never reach a Personalize client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any


class S3Error(Exception):
    """A location that cannot be read or written; ``str(error)`` is the failure reason."""


@dataclass(frozen=True)
class Location:
    bucket: str
    key: str  # may be a prefix; "" for the whole bucket

    @classmethod
    def parse(cls, path: str) -> Location:
        if not path.startswith("s3://") or len(path) <= 5:
            raise S3Error(f"Invalid Data location: {path} is not an s3://bucket/key path.")
        bucket, _, key = path[5:].partition("/")
        if not bucket:
            raise S3Error(f"Invalid Data location: {path} names no bucket.")
        return cls(bucket, key)

    def url(self, key: str | None = None) -> str:
        return f"s3://{self.bucket}/{self.key if key is None else key}"


class S3:
    """moto's S3 as one account and region see it."""

    def __init__(self, account_id: str, region_name: str, partition: str = "aws") -> None:
        from moto.s3.models import (
            s3_backends,  # imported on first use: moto's S3 is heavy
        )

        self.backend = s3_backends[account_id][partition]
        self.region_name = region_name

    def _bucket(self, location: Location):  # type: ignore[no-untyped-def]
        from moto.s3.exceptions import MissingBucket

        try:
            bucket = self.backend.get_bucket(location.bucket)
        except MissingBucket:
            raise S3Error(
                f"Invalid Data location: bucket {location.bucket} of {location.url()} does not exist."
            ) from None
        if bucket.region_name != self.region_name:
            raise S3Error(
                f"Invalid Data location: bucket {location.bucket} is in {bucket.region_name}; it "
                f"must be in the same region as Amazon Personalize ({self.region_name})."
            )
        return bucket

    def read(self, path: str) -> list[tuple[str, bytes]]:
        """``(s3 url, content)`` of the object at ``path``, or of every object under it when it
        is a prefix (a folder ending in ``/``, or any key prefix), in key order. Empty objects
        and folder markers are skipped."""
        return list(self.each(path))

    def each(self, path: str) -> Iterator[tuple[str, bytes]]:
        """What :meth:`read` returns, one object's content at a time (a 10-million-row import
        in ten files holds one file's bytes, not ten); a location with nothing to read raises
        ``S3Error`` before the first object."""
        location = Location.parse(path)
        bucket = self._bucket(location)
        names = self._names(bucket, location)
        if not names:
            raise S3Error(f"Invalid Data location: no object found at {path}.")
        return self._contents(bucket, location, names)

    @staticmethod
    def _names(bucket: Any, location: Location) -> list[str]:
        """The keys a location reads: the object named exactly (even an empty one), else every
        object under the prefix in key order, empty objects, folder markers and delete markers
        skipped."""
        if location.key and not location.key.endswith("/"):
            exact = bucket.keys.get(location.key)
            if exact is not None and getattr(exact, "size", None) is not None:  # delete markers have no size
                return [location.key]
        return [
            name for name in sorted(bucket.keys.keys())
            if name.startswith(location.key) and not name.endswith("/")
            and getattr(bucket.keys.get(name), "size", None)  # empty, or a delete marker (no size)
        ]

    @staticmethod
    def _contents(bucket: Any, location: Location, names: list[str]) -> Iterator[tuple[str, bytes]]:
        for name in names:
            yield location.url(name), bucket.keys.get(name).value

    def objects(self, path: str) -> list[tuple[str, int]]:
        """``(s3 url, size in bytes)`` of the objects ``read`` would return for ``path``, without
        their content; ``[]`` where there are none or the location cannot be read."""
        try:
            location = Location.parse(path)
            bucket = self._bucket(location)
        except S3Error:
            return []
        return [(location.url(name), int(bucket.keys.get(name).size)) for name in self._names(bucket, location)]

    def check(self, path: str) -> None:
        """Raise ``S3Error`` unless ``path`` is a usable location (parsed, bucket present in
        this region): what a job checks before it promises output there."""
        self._bucket(Location.parse(path))

    def write(self, path: str, name: str, data: bytes, not_before: datetime | None = None) -> str:
        """Write ``data`` as ``name`` under the folder ``path``; return its s3 url.

        ``not_before`` (a job's creation time): the object's ``LastModified`` is after it even
        when the job ran within the same second. S3 shows ``LastModified`` to the whole second,
        and clients find a job's output by comparing it with the job's ``creationDateTime``
        (milliseconds), so the stamp is at least the next whole second after the creation."""
        location = Location.parse(path)
        self._bucket(location)
        key = location.key if not location.key or location.key.endswith("/") else location.key + "/"
        written = self.backend.put_object(location.bucket, key + name, data)
        if not_before is not None:
            floor = not_before.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
            written.last_modified = max(written.last_modified, floor + timedelta(seconds=1))
        return location.url(key + name)
