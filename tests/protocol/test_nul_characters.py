"""A NUL character in any string member of any operation is a ValidationException naming that member, on
both backends (PostgreSQL's text and jsonb cannot hold one: it used to be a 500 there, e.g. in tags)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from botocore.model import Shape

from pigeon.protocol.model import service_model
from pigeon.service import load_families
from pigeon.service.registry import OPERATIONS
from tests.support.errors import error_of

NUL = "nul\x00here"


def _string_paths(shape: Shape, path: str = "", depth: int = 0) -> Iterator[str]:
    """The paths of the string members of ``shape`` (``[]`` a list item, ``{k}`` / ``{v}`` a map's)."""
    if depth > 4:
        return
    if shape.type_name == "string":
        yield path
    elif shape.type_name == "list":
        yield from _string_paths(shape.member, path + "[]", depth + 1)
    elif shape.type_name == "map":
        yield from _string_paths(shape.key, path + "{k}", depth + 1)
        yield from _string_paths(shape.value, path + "{v}", depth + 1)
    elif shape.type_name == "structure":
        for name, member in shape.members.items():
            yield from _string_paths(member, f"{path}.{name}" if path else name, depth + 1)


def _value(shape: Shape, path: str, target: str) -> Any:
    """A request value of ``shape``: the required members only, plain values, and NUL at ``target``."""
    kind = shape.type_name
    if kind == "string":
        return NUL if path == target else (shape.enum[0] if shape.enum else "abc")
    if kind in ("integer", "long"):
        return int(shape.metadata.get("min", 1))
    if kind in ("float", "double"):
        return 1.0
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return 1700000000
    if kind == "list":
        return [_value(shape.member, path + "[]", target)]
    if kind == "map":
        return {_value(shape.key, path + "{k}", target): _value(shape.value, path + "{v}", target)}
    members = {}
    for name, member in shape.members.items():
        member_path = f"{path}.{name}" if path else name
        if name in shape.required_members or target.startswith(member_path):
            members[name] = _value(member, member_path, target)
    return members


def _cases() -> list[tuple[str, str]]:
    load_families()
    model = service_model()
    return [(name, target) for name in sorted(OPERATIONS)
            if (shape := model.operation_model(name).input_shape) is not None
            for target in _string_paths(shape)]


def test_every_implemented_operation_refuses_a_nul_in_any_string_member(server, account_id):
    cases = _cases()
    assert len(cases) > 250  # every operation's members, nested ones included (279 in this model)
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Date": "20260101T000000Z",
               "Authorization": f"AWS4-HMAC-SHA256 Credential={account_id}/20260101/us-east-1/sms-voice/aws4_request, "
                                "SignedHeaders=host;x-amz-date, Signature=00"}
    model = service_model()
    wrong = []
    for name, target in cases:
        body = _value(model.operation_model(name).input_shape, "", target)
        answer = requests.post(server.url + "/", data=json.dumps(body), timeout=10,
                               headers={**headers, "X-Amz-Target": f"PinpointSMSVoiceV2.{name}"})
        if answer.status_code != 400 or answer.json().get("__type") != "ValidationException":
            wrong.append((name, target, answer.status_code, answer.text[:200]))
    assert wrong == []


def test_a_nul_in_a_tag_is_refused_naming_the_tag(client):
    with pytest.raises(ClientError) as excinfo:
        client.create_opt_out_list(OptOutListName="nul-tags", Tags=[{"Key": "team", "Value": "a\x00b"}])
    error = error_of(excinfo)
    assert (error["Code"], error["Reason"]) == ("ValidationException", "FIELD_VALIDATION_FAILED")
    assert error["Fields"] == [{"Name": "Tags[0].Value", "Message": "Member must not contain NUL characters"}]
    assert [entry["OptOutListName"] for entry in client.describe_opt_out_lists()["OptOutLists"]
            if entry["OptOutListName"] == "nul-tags"] == []
    arn = client.create_configuration_set(ConfigurationSetName="nul-tags")["ConfigurationSetArn"]
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": "k\x00", "Value": "v"}])
    assert error_of(excinfo)["Fields"][0]["Name"] == "Tags[0].Key"
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == []


@pytest.mark.parametrize("path, params, named", [
    ("/_pigeon/messages", {"destination": "+1\x00"}, "destination"),
    ("/_pigeon/messages", {"account": "1\x00", "channel": "TEXT"}, "account"),
    ("/_pigeon/events", {"message_id": "m\x00"}, "message_id"),
    ("/_pigeon/deliveries", {"account": "\x00"}, "account"),
    ("/_pigeon/inbound", {"origination": "+1\x00"}, "origination"),
    ("/_pigeon/accounts/1111%0022222", {}, "path"),
    ("/_pigeon/messages/m%00/audio", {}, "path"),
])
def test_the_inspection_api_refuses_a_nul_in_the_path_or_a_query_parameter(server, path, params, named):
    answer = requests.get(server.url + path, params=params, timeout=10)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["__type"], body["Reason"], [field["Name"] for field in body["Fields"]]) == (
        "ValidationException", "FIELD_VALIDATION_FAILED", [named])
