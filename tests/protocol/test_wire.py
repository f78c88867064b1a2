"""Raw HTTP against the AWS endpoint: routing, malformed input, model validation, response headers."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest
import requests

from tests.conftest import new_account_id

TARGET = "PinpointSMSVoiceV2."


def post(server, target: str | None, body: bytes | str = b"{}", account: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target is not None:
        headers["X-Amz-Target"] = target
    key = account or new_account_id()
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/sms-voice/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0000"
    )
    headers["X-Amz-Date"] = "20260101T000000Z"
    return requests.post(server.url + "/", data=body, headers=headers, timeout=10)


def test_unknown_target_answers_unknown_operation(server):
    response = post(server, TARGET + "SendCarrierPigeon")
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_missing_target_answers_unknown_operation(server):
    response = post(server, None)
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"


def test_every_model_operation_is_implemented(server):
    """No operation answers NotImplementedException any more (coverage: 106 of 106)."""
    response = post(server, TARGET + "DescribeNotifyTemplates", "{}")
    assert response.status_code == 200, response.text
    done = subprocess.run([sys.executable, "-m", "pigeon", "coverage", "--missing"], capture_output=True, text=True,
                          check=True)
    assert "[ ]" not in done.stdout


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_json_answers_serialization_exception(server, body):
    response = post(server, TARGET + "DescribeAccountAttributes", body)
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"


def test_empty_body_is_an_empty_request(server):
    response = post(server, TARGET + "DescribeAccountAttributes", b"")
    assert response.status_code == 200
    assert response.json()["AccountAttributes"][0]["Name"] == "ACCOUNT_TIER"


def test_success_carries_request_id_and_content_type(server):
    response = post(server, TARGET + "DescribeAccountAttributes")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert len(response.headers["x-amzn-RequestId"]) == 36


def validation(server, operation: str, document: dict) -> dict:
    response = post(server, TARGET + operation, json.dumps(document))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["__type"] == "ValidationException"
    assert response.headers["x-amzn-RequestId"]
    return body


def test_missing_required_member(server):
    body = validation(server, "CreateConfigurationSet", {})
    assert body["Reason"] == "MISSING_PARAMETER"
    assert body["Fields"] == [{"Name": "ConfigurationSetName", "Message": "Member must not be null"}]


def test_string_too_long_and_pattern_and_enum(server):
    body = validation(server, "CreateConfigurationSet", {"ConfigurationSetName": "x" * 65})
    assert body["Reason"] == "FIELD_VALIDATION_FAILED"
    assert body["Fields"][0]["Name"] == "ConfigurationSetName"
    body = validation(server, "CreateConfigurationSet", {"ConfigurationSetName": "has space"})
    assert "pattern" in body["Fields"][0]["Message"]
    body = validation(server, "SetDefaultMessageType", {"ConfigurationSetName": "a", "MessageType": "URGENT"})
    assert body["Fields"][0]["Name"] == "MessageType"
    assert "enum" in body["Fields"][0]["Message"]


def test_wrong_types_numeric_ranges_and_list_sizes(server):
    body = validation(server, "DescribeConfigurationSets", {"MaxResults": 0})
    assert body["Fields"][0]["Name"] == "MaxResults"
    body = validation(server, "DescribeConfigurationSets", {"MaxResults": "ten"})
    assert body["Fields"][0]["Message"] == "Expected an integer"
    body = validation(server, "SetDefaultMessageFeedbackEnabled",
                      {"ConfigurationSetName": "a", "MessageFeedbackEnabled": "yes"})
    assert body["Fields"][0]["Name"] == "MessageFeedbackEnabled"
    body = validation(server, "DescribeConfigurationSets", {"ConfigurationSetNames": ["a"] * 6})
    assert body["Fields"][0]["Name"] == "ConfigurationSetNames"


@pytest.mark.parametrize("value", [253402300800, 1e20, -1e20])
def test_timestamps_sdks_cannot_read_back_are_invalid(server, value):
    """Stored, a time after 9999 made every later ListProtectConfigurationRuleSetNumberOverrides fail in boto3."""
    body = validation(server, "PutProtectConfigurationRuleSetNumberOverride", {
        "ProtectConfigurationId": "protect-" + "0" * 32, "DestinationPhoneNumber": "+12065550100", "Action": "BLOCK",
        "ExpirationTimestamp": value})
    assert (body["Reason"], body["Fields"][0]["Name"]) == ("FIELD_VALIDATION_FAILED", "ExpirationTimestamp")


def test_unknown_member_and_nested_paths(server):
    body = validation(server, "CreateConfigurationSet", {"ConfigurationSetName": "ok", "Colour": "blue"})
    assert body["Fields"] == [{"Name": "Colour", "Message": "Unknown member"}]
    body = validation(server, "CreateConfigurationSet",
                      {"ConfigurationSetName": "ok", "Tags": [{"Key": "k", "Value": "v"}, {"Value": "v"}]})
    assert body["Fields"][0]["Name"] == "Tags[1].Key"
    assert body["Reason"] == "MISSING_PARAMETER"


def test_every_violation_is_listed(server):
    body = validation(server, "CreateEventDestination",
                      {"ConfigurationSetName": "bad name", "MatchingEventTypes": ["NOPE"]})
    names = {field["Name"] for field in body["Fields"]}
    assert names == {"ConfigurationSetName", "MatchingEventTypes[0]", "EventDestinationName"}


def test_non_object_member_types(server):
    body = validation(server, "CreateConfigurationSet", {"ConfigurationSetName": "ok", "Tags": {"Key": "k"}})
    assert body["Fields"] == [{"Name": "Tags", "Message": "Expected a list"}]


def test_other_paths_are_not_the_api(server):
    assert requests.get(server.url + "/", timeout=5).status_code == 404
    assert requests.get(server.url + "/_pigeon/health", timeout=5).json()["Status"] == "OK"


def test_body_over_the_limit_is_refused_while_reading(server):
    """Bodies are read up to 4 MiB (twice the largest request the model allows), then refused with 413."""
    huge = b'{"ConfigurationSetName": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    response = post(server, TARGET + "CreateConfigurationSet", huge)
    assert (response.status_code, response.json()["__type"]) == (413, "RequestEntityTooLargeException")
    chunks = (huge[start:start + 65536] for start in range(0, len(huge), 65536))  # chunked: no Content-Length
    response = post(server, TARGET + "CreateConfigurationSet", chunks)  # type: ignore[arg-type]
    assert (response.status_code, response.json()["__type"]) == (413, "RequestEntityTooLargeException")


def test_attachment_at_the_model_limit_still_reaches_validation(server):
    body = json.dumps({"AttachmentBody": base64.b64encode(b"%PDF-" + b"0" * (1572864 - 5)).decode()})
    response = post(server, TARGET + "CreateRegistrationAttachment", body)
    assert (response.status_code, response.json()["Reason"]) == (400, "MAXIMUM_SIZE_EXCEEDED")
