"""TagResource, UntagResource, ListTagsForResource; tags at create time; the limits."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of


@pytest.fixture
def arn(client) -> str:
    return client.create_configuration_set(ConfigurationSetName="tagged", Tags=[{"Key": "a", "Value": "1"}])["ConfigurationSetArn"]


def tags_of(client, arn) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceArn=arn)["Tags"]}


def test_tag_overwrite_and_untag(client, arn):
    assert tags_of(client, arn) == {"a": "1"}
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": ""}])
    assert tags_of(client, arn) == {"a": "2", "b": ""}
    client.untag_resource(ResourceArn=arn, TagKeys=["a", "not-there"])
    assert tags_of(client, arn) == {"b": ""}


def test_unknown_and_malformed_arns(client, account_id):
    with pytest.raises(ClientError) as excinfo:
        client.list_tags_for_resource(ResourceArn=f"arn:aws:sms-voice:us-east-1:{account_id}:pool/pool-missing")
    assert error_of(excinfo).items() >= {"Code": "ResourceNotFoundException", "ResourceType": "pool"}.items()
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(ResourceArn="arn:aws:sns:us-east-1:123456789012:topic", Tags=[{"Key": "k", "Value": "v"}])
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Reason"]) == ("ValidationException", "INVALID_ARN")


@pytest.mark.parametrize("resource_type", ["protect-number-override", "widget"])
def test_an_arn_of_no_resource_type_is_invalid_arn(client, account_id, resource_type):
    """A ResourceNotFoundException would name a ResourceType outside the model's enum."""
    with pytest.raises(ClientError) as excinfo:
        client.list_tags_for_resource(ResourceArn=f"arn:aws:sms-voice:us-east-1:{account_id}:{resource_type}/x")
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Reason"]) == ("ValidationException", "INVALID_ARN")


def test_reserved_prefix_and_per_resource_limit(client, arn):
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": "aws:owner", "Value": "x"}])
    assert error_of(excinfo)["Code"] == "ValidationException"
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Reason"]) == ("ServiceQuotaExceededException", "TAGS_PER_RESOURCE")
    assert len(tags_of(client, arn)) == 50


def test_tag_key_length_is_validated(client, arn):
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": "k" * 129, "Value": "v"}])
    assert error_of(excinfo)["Fields"][0]["Name"] == "Tags[0].Key"
