"""TagResource / UntagResource / ListTagsForResource, and tags given on create."""

import pytest
from botocore.exceptions import ClientError

from tests.conftest import INTERACTIONS_SCHEMA, arn, error_code, error_message


def tags(*pairs):
    return [{"tagKey": k, "tagValue": v} for k, v in pairs]


def many(count, prefix="k"):
    return tags(*((f"{prefix}{i}", f"v{i}") for i in range(count)))


def listed(p, resource_arn):
    return {t["tagKey"]: t["tagValue"] for t in p.list_tags_for_resource(resourceArn=resource_arn)["tags"]}


def make(p, kind, resource_tags=None):
    """A dataset group, dataset or event tracker (created with ``resource_tags``); returns its ARN."""
    extra = {"tags": resource_tags} if resource_tags is not None else {}
    if kind == "dataset-group":
        return p.create_dataset_group(name="g", **extra)["datasetGroupArn"]
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    if kind == "dataset":
        schema = p.create_schema(name="s", schema=INTERACTIONS_SCHEMA)["schemaArn"]
        return p.create_dataset(
            name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions", **extra
        )["datasetArn"]
    return p.create_event_tracker(name="t", datasetGroupArn=group, **extra)["eventTrackerArn"]


KINDS = ["dataset-group", "dataset", "event-tracker"]


@pytest.mark.parametrize("kind", KINDS)
def test_tags_on_create_are_listed(api, kind):
    p = api.personalize
    resource = make(p, kind, tags(("team", "recs"), ("env", "test")))
    assert p.list_tags_for_resource(resourceArn=resource)["tags"] == tags(("team", "recs"), ("env", "test"))


def test_untagged_resource_lists_no_tags(api):
    p = api.personalize
    assert p.list_tags_for_resource(resourceArn=make(p, "dataset-group"))["tags"] == []


@pytest.mark.parametrize("kind", KINDS)
def test_tag_and_untag(api, kind):
    p = api.personalize
    resource = make(p, kind, tags(("team", "recs")))
    assert p.tag_resource(resourceArn=resource, tags=tags(("env", "dev"), ("team", "ml")))["ResponseMetadata"][
        "HTTPStatusCode"
    ] == 200
    assert listed(p, resource) == {"team": "ml", "env": "dev"}  # merged; an existing key is overwritten

    p.untag_resource(resourceArn=resource, tagKeys=["team", "not-there"])
    assert listed(p, resource) == {"env": "dev"}
    p.untag_resource(resourceArn=resource, tagKeys=["env"])
    assert listed(p, resource) == {}


def test_keys_are_case_sensitive(api):
    p = api.personalize
    resource = make(p, "dataset-group", tags(("Env", "a")))
    p.tag_resource(resourceArn=resource, tags=tags(("env", "b")))
    assert listed(p, resource) == {"Env": "a", "env": "b"}
    p.untag_resource(resourceArn=resource, tagKeys=["ENV"])
    assert listed(p, resource) == {"Env": "a", "env": "b"}


def test_fifty_tags_limit(api):
    p = api.personalize
    resource = make(p, "dataset-group", many(50))
    assert len(listed(p, resource)) == 50

    with pytest.raises(p.exceptions.TooManyTagsException):
        p.tag_resource(resourceArn=resource, tags=tags(("one-more", "x")))
    # Overwriting keys it already has keeps it at 50, which is fine.
    p.tag_resource(resourceArn=resource, tags=tags(("k0", "new"), ("k49", "new")))
    tagged = listed(p, resource)
    assert len(tagged) == 50 and tagged["k0"] == tagged["k49"] == "new"
    # After removing one, one new key fits again.
    p.untag_resource(resourceArn=resource, tagKeys=["k1"])
    p.tag_resource(resourceArn=resource, tags=tags(("one-more", "x")))
    assert len(listed(p, resource)) == 50


def test_too_many_tags_in_one_call(api):
    p = api.personalize
    resource = make(p, "dataset-group", many(10, "old"))
    with pytest.raises(p.exceptions.TooManyTagsException):
        p.tag_resource(resourceArn=resource, tags=many(41))
    assert len(listed(p, resource)) == 10  # all or nothing


@pytest.mark.parametrize("kind", KINDS)
def test_too_many_tags_on_create_creates_nothing(api, kind):
    p = api.personalize
    with pytest.raises(p.exceptions.TooManyTagsException):
        make(p, kind, many(51))
    if kind == "dataset-group":
        assert p.list_dataset_groups()["datasetGroups"] == []
    elif kind == "dataset":
        assert p.list_datasets()["datasets"] == []
    else:
        assert p.list_event_trackers()["eventTrackers"] == []


def test_too_many_tag_keys_to_untag(api):
    p = api.personalize
    resource = make(p, "dataset-group", many(5))
    with pytest.raises(p.exceptions.TooManyTagKeysException):
        p.untag_resource(resourceArn=resource, tagKeys=[f"k{i}" for i in range(51)])
    assert len(listed(p, resource)) == 5
    p.untag_resource(resourceArn=resource, tagKeys=[f"k{i}" for i in range(50)])  # 50 is allowed
    assert listed(p, resource) == {}


@pytest.mark.parametrize(
    "bad",
    [("aws:team", "x"), ("AWS:team", "x"), ("Aws:Team", "x"), ("team", "aws:x"), ("team", "AWS:x")],
    ids=["key", "key-upper", "key-mixed", "value", "value-upper"],
)
def test_aws_prefix_is_reserved(api, bad):
    p = api.personalize
    resource = make(p, "dataset-group", tags(("keep", "me")))
    with pytest.raises(p.exceptions.InvalidInputException) as excinfo:
        p.tag_resource(resourceArn=resource, tags=tags(("fine", "ok"), bad))
    assert "aws:" in error_message(excinfo).lower()
    assert listed(p, resource) == {"keep": "me"}
    with pytest.raises(p.exceptions.InvalidInputException):
        p.create_dataset_group(name="other", tags=tags(bad))
    assert len(p.list_dataset_groups()["datasetGroups"]) == 1


def test_aws_inside_a_key_is_fine(api):
    p = api.personalize
    resource = make(p, "dataset-group", tags(("my-aws:key", "the aws: value")))
    assert listed(p, resource) == {"my-aws:key": "the aws: value"}


@pytest.mark.parametrize(
    "tag, where",
    [(("k" * 129, "v"), "tagKey"), (("k", "v" * 257), "tagValue"), (("bad{key", "v"), "tagKey")],
    ids=["long-key", "long-value", "bad-char"],
)
def test_model_constraints_on_tags(api, tag, where):
    p = api.personalize
    resource = make(p, "dataset-group")
    with pytest.raises(p.exceptions.InvalidInputException) as excinfo:
        p.tag_resource(resourceArn=resource, tags=tags(tag))
    assert f"at 'tags.1.member.{where}'" in error_message(excinfo)
    assert listed(p, resource) == {}


@pytest.mark.parametrize(
    "unknown",
    [
        arn("dataset-group/nope"),
        arn("dataset/nope/INTERACTIONS"),
        arn("event-tracker/0badc0de"),
        "arn:aws:personalize:eu-west-1:123456789012:dataset-group/g",  # another region
        "arn:aws:personalize:us-east-1:210987654321:dataset-group/g",  # another account
    ],
    ids=["group", "dataset", "tracker", "other-region", "other-account"],
)
def test_unknown_arn(api, unknown):
    p = api.personalize
    make(p, "dataset-group")  # a group named "g" exists here
    for call in (
        lambda: p.list_tags_for_resource(resourceArn=unknown),
        lambda: p.tag_resource(resourceArn=unknown, tags=tags(("k", "v"))),
        lambda: p.untag_resource(resourceArn=unknown, tagKeys=["k"]),
    ):
        with pytest.raises(p.exceptions.ResourceNotFoundException):
            call()


@pytest.mark.parametrize("tail", ["campaign/nope", "solution/nope", "filter/nope"])
def test_unknown_arn_of_a_taggable_type_not_emulated_yet(api, tail):
    with pytest.raises(ClientError) as excinfo:
        api.personalize.list_tags_for_resource(resourceArn=arn(tail))
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_tags_go_with_the_resource(api):
    p = api.personalize
    group = make(p, "dataset-group", tags(("owner", "alice")))
    p.delete_dataset_group(datasetGroupArn=group)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.list_tags_for_resource(resourceArn=group)
    # A new group under the same name (hence ARN) starts without tags.
    assert p.create_dataset_group(name="g")["datasetGroupArn"] == group
    assert p.list_tags_for_resource(resourceArn=group)["tags"] == []
