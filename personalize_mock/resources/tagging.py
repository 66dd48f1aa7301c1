"""TagResource, UntagResource, ListTagsForResource and tags on create, via moto's TaggingService."""

from __future__ import annotations

from typing import Any

from ..exceptions import (
    InvalidInputException,
    TooManyTagKeysException,
    TooManyTagsException,
)
from .base import Resource, Store

MAX_TAGS = 50


class TaggingMixin:
    """Mixed into PersonalizeBackend, which provides ``tagger`` and ``resource``."""

    def _check_tags(self, arn: str, tags: list[dict[str, str]]) -> None:
        for tag in tags:
            for part in ("tagKey", "tagValue"):
                if tag[part].lower().startswith("aws:"):
                    raise InvalidInputException(
                        f"Tag {part} '{tag[part]}' is not allowed: the prefix 'aws:' is reserved."
                    )
        keys = set(self.tagger.get_tag_dict_for_resource(arn)) | {t["tagKey"] for t in tags}
        if len(keys) > MAX_TAGS:
            raise TooManyTagsException(
                f"Resource {arn} would have {len(keys)} tags; at most {MAX_TAGS} tags are allowed."
            )

    def create_tagged(self, store: Store[Any], resource: Resource, tags: list[dict[str, str]] | None) -> None:
        """Add a new resource with its create-time tags: all or nothing."""
        self._check_tags(resource.arn, tags or [])
        store.add(resource)
        if tags:
            self.tagger.tag_resource(resource.arn, tags)

    def tag_resource(self, resource_arn: str, tags: list[dict[str, str]]) -> None:
        self.resource(resource_arn)
        self._check_tags(resource_arn, tags)
        self.tagger.tag_resource(resource_arn, tags)

    def untag_resource(self, resource_arn: str, tag_keys: list[str]) -> None:
        self.resource(resource_arn)
        if len(tag_keys) > MAX_TAGS:
            raise TooManyTagKeysException(
                f"{len(tag_keys)} tag keys given; at most {MAX_TAGS} can be removed in one call."
            )
        self.tagger.untag_resource_using_names(resource_arn, tag_keys)

    def list_tags_for_resource(self, resource_arn: str) -> dict[str, Any]:
        self.resource(resource_arn)
        return self.tagger.list_tags_for_resource(resource_arn)
