"""Strict SigV4 (``--credentials``): valid, tampered, expired, unknown key, missing, presigned."""

from __future__ import annotations

import datetime
import hashlib
import json
import re

import boto3
import botocore.auth
import pytest
import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.errors import error_of
from tests.support.server import PigeonServer

KEY, SECRET, ACCOUNT = "AKIAPIGEONTEST000001", "s3cr3t/key+value", "444455556666"


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory, database_factory):
    directory = tmp_path_factory.mktemp("strict")
    credentials = directory / "credentials.yaml"
    credentials.write_text(
        f"credentials:\n  - access_key_id: {KEY}\n    secret_access_key: {SECRET}\n    account_id: '{ACCOUNT}'\n"
        "  - access_key_id: '777788889999'\n    secret_access_key: other\n"
    )
    server = PigeonServer(database_factory("sqlite"), ["--credentials", str(credentials)], directory / "data").start()
    yield server
    server.stop()


def strict_client(server: PigeonServer, key: str = KEY, secret: str = SECRET, region: str = "us-east-1"):
    return boto3.client("pinpoint-sms-voice-v2", endpoint_url=server.url, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def signed_request(server: PigeonServer, body: dict, secret: str = SECRET, when: datetime.datetime | None = None,
                   monkeypatch: pytest.MonkeyPatch | None = None) -> AWSRequest:
    request = AWSRequest(method="POST", url=server.url + "/", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "PinpointSMSVoiceV2.DescribeAccountAttributes",
    })
    if when is not None and monkeypatch is not None:
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: when)
    SigV4Auth(Credentials(KEY, secret), "sms-voice", "us-east-1").add_auth(request)
    return request


def send(request: AWSRequest, body: bytes | None = None) -> requests.Response:
    return requests.post(request.url, data=body if body is not None else request.body,
                         headers=dict(request.headers.items()), timeout=10)


def test_valid_signature_acts_as_the_credentials_account(strict_server):
    client = strict_client(strict_server)
    arn = client.create_configuration_set(ConfigurationSetName="strict")["ConfigurationSetArn"]
    assert f":{ACCOUNT}:" in arn


def test_twelve_digit_key_without_account_id_is_that_account(strict_server):
    client = strict_client(strict_server, "777788889999", "other")
    assert ":777788889999:" in client.create_configuration_set(ConfigurationSetName="own")["ConfigurationSetArn"]


def test_wrong_secret_is_signature_does_not_match(strict_server):
    with pytest.raises(ClientError) as excinfo:
        strict_client(strict_server, secret="wrong").describe_account_attributes()
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Status"]) == ("SignatureDoesNotMatch", 403)


def test_tampered_body_is_signature_does_not_match(strict_server):
    request = signed_request(strict_server, {})
    assert send(request).status_code == 200
    response = send(request, body=json.dumps({"MaxResults": 1}).encode())
    assert response.status_code == 403
    assert response.json()["__type"] == "SignatureDoesNotMatch"


def test_unknown_key_is_invalid_client_token_id(strict_server):
    with pytest.raises(ClientError) as excinfo:
        strict_client(strict_server, key="AKIANOBODY").describe_account_attributes()
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Status"]) == ("InvalidClientTokenId", 403)


def test_missing_signature_is_missing_authentication_token(strict_server):
    response = requests.post(strict_server.url + "/", data=b"{}", timeout=10, headers={
        "X-Amz-Target": "PinpointSMSVoiceV2.DescribeAccountAttributes"})
    assert response.status_code == 403
    assert response.json()["__type"] == "MissingAuthenticationToken"


def test_malformed_authorization_is_incomplete_signature(strict_server):
    response = requests.post(strict_server.url + "/", data=b"{}", timeout=10, headers={
        "X-Amz-Target": "PinpointSMSVoiceV2.DescribeAccountAttributes",
        "Authorization": "AWS4-HMAC-SHA256 Credential=onlykey", "X-Amz-Date": "20260101T000000Z"})
    assert response.status_code == 400
    assert response.json()["__type"] == "IncompleteSignature"


def test_request_more_than_15_minutes_old_is_expired(strict_server, monkeypatch):
    old = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=16)
    response = send(signed_request(strict_server, {}, when=old, monkeypatch=monkeypatch))
    assert response.status_code == 400
    assert response.json()["__type"] == "RequestExpired"


def test_request_within_15_minutes_is_accepted(strict_server, monkeypatch):
    recent = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=10)
    assert send(signed_request(strict_server, {}, when=recent, monkeypatch=monkeypatch)).status_code == 200


def test_freshness_is_judged_by_the_wall_clock_not_the_advanced_one(tmp_path, database_factory):
    credentials = tmp_path / "credentials.yaml"
    credentials.write_text(f"credentials:\n  - access_key_id: {KEY}\n    secret_access_key: {SECRET}\n")
    server = PigeonServer(database_factory("sqlite"), ["--credentials", str(credentials)], tmp_path / "data").start()
    try:
        server.advance_clock(3600)  # to test expiry without sleeping; the SDK still signs with the real time
        assert strict_client(server).describe_account_attributes()["AccountAttributes"]
    finally:
        server.stop()


def presigned(server: PigeonServer, expires: int, secret: str = SECRET) -> AWSRequest:
    request = AWSRequest(method="POST", url=server.url + "/",
                         headers={"X-Amz-Target": "PinpointSMSVoiceV2.DescribeAccountAttributes"})
    SigV4QueryAuth(Credentials(KEY, secret), "sms-voice", "eu-west-1", expires=expires).add_auth(request)
    return request


def test_presigned_query_string_is_verified(strict_server):
    request = presigned(strict_server, 300)
    response = requests.post(request.url, headers=dict(request.headers.items()), timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["AccountAttributes"][0]["Name"] == "ACCOUNT_TIER"
    bad = presigned(strict_server, 300, secret="wrong")
    response = requests.post(bad.url, headers=dict(bad.headers.items()), timeout=10)
    assert (response.status_code, response.json()["__type"]) == (403, "SignatureDoesNotMatch")


def test_presigned_url_past_expiry_is_expired(strict_server, monkeypatch):
    old = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(seconds=120)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: old)
    request = presigned(strict_server, 60)
    response = requests.post(request.url, headers=dict(request.headers.items()), timeout=10)
    assert (response.status_code, response.json()["__type"]) == (400, "RequestExpired")


def test_region_comes_from_the_credential_scope(strict_server):
    arn = strict_client(strict_server, region="ap-southeast-2").create_configuration_set(
        ConfigurationSetName="sydney")["ConfigurationSetArn"]
    assert arn.startswith("arn:aws:sms-voice:ap-southeast-2:")


def test_body_altered_under_its_signed_content_sha256_is_refused(strict_server):
    """The payload hash is the body's own, not the x-amz-content-sha256 header a client (or attacker) sends."""
    request = AWSRequest(method="POST", url=strict_server.url + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "PinpointSMSVoiceV2.DescribeAccountAttributes",
        "X-Amz-Content-SHA256": hashlib.sha256(b"{}").hexdigest(),
    })
    SigV4Auth(Credentials(KEY, SECRET), "sms-voice", "us-east-1").add_auth(request)
    assert send(request).status_code == 200
    response = send(request, body=json.dumps({"MaxResults": 1}).encode())
    assert (response.status_code, response.json()["__type"]) == (403, "SignatureDoesNotMatch")


def test_unsigned_x_amz_target_is_refused(strict_server):
    """X-Amz-Target names the operation: added after signing it could turn one signed request into another."""
    request = AWSRequest(method="POST", url=strict_server.url + "/", data=b"{}",
                         headers={"Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials(KEY, SECRET), "sms-voice", "us-east-1").add_auth(request)
    request.headers["X-Amz-Target"] = "PinpointSMSVoiceV2.DescribeAccountAttributes"
    response = send(request)
    assert (response.status_code, response.json()["__type"]) == (400, "IncompleteSignature")
    assert "x-amz-target" in response.json()["message"]


def test_presigned_url_valid_longer_than_a_week_is_refused(strict_server):
    request = presigned(strict_server, 7 * 24 * 3600 + 1)
    response = requests.post(request.url, headers=dict(request.headers.items()), timeout=10)
    assert (response.status_code, response.json()["__type"]) == (400, "IncompleteSignature")


def test_presigned_url_dated_ahead_is_refused(strict_server, monkeypatch):
    ahead = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(days=30)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: ahead)
    request = presigned(strict_server, 60)
    response = requests.post(request.url, headers=dict(request.headers.items()), timeout=10)
    assert (response.status_code, response.json()["__type"]) == (400, "RequestExpired")


def test_non_ascii_presigned_signature_is_signature_does_not_match(strict_server):
    request = presigned(strict_server, 300)
    url = re.sub(r"X-Amz-Signature=[0-9a-f]+", "X-Amz-Signature=%C3%A9", request.url)
    response = requests.post(url, headers=dict(request.headers.items()), timeout=10)
    assert (response.status_code, response.json()["__type"]) == (403, "SignatureDoesNotMatch")


def _forged(server: PigeonServer, service: str = "sms-voice", region: str = "us-east-1") -> AWSRequest:
    request = AWSRequest(method="POST", url=server.url + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "PinpointSMSVoiceV2.DescribeAccountAttributes"})
    SigV4Auth(Credentials(KEY, SECRET), service, region).add_auth(request)
    return request


@pytest.mark.parametrize("service", ["sns", "sms", "execute-api"])
def test_a_signature_for_another_service_is_refused(strict_server, service):
    response = send(_forged(strict_server, service=service))
    assert response.status_code in (400, 403)
    assert response.json()["__type"] in ("SignatureDoesNotMatch", "IncompleteSignature", "InvalidSignatureException")


def test_a_signature_moved_to_another_region_is_refused(strict_server):
    request = _forged(strict_server, region="eu-west-1")
    authorization = request.headers["Authorization"].replace("/eu-west-1/", "/us-east-1/")
    response = requests.post(request.url, data=request.body, timeout=10,
                             headers={**dict(request.headers.items()), "Authorization": authorization})
    assert (response.status_code, response.json()["__type"]) == (403, "SignatureDoesNotMatch")


def test_a_signed_header_changed_after_signing_is_refused(strict_server):
    request = _forged(strict_server)
    headers = {**dict(request.headers.items()), "X-Amz-Target": "PinpointSMSVoiceV2.DeleteConfigurationSet"}
    response = requests.post(request.url, data=b'{"ConfigurationSetName": "strict"}', headers=headers, timeout=10)
    assert (response.status_code, response.json()["__type"]) == (403, "SignatureDoesNotMatch")


def test_a_query_added_after_signing_is_refused(strict_server):
    request = _forged(strict_server)
    response = requests.post(request.url + "?Action=anything", data=request.body,
                             headers=dict(request.headers.items()), timeout=10)
    assert (response.status_code, response.json()["__type"]) == (403, "SignatureDoesNotMatch")


def test_a_replay_is_accepted_only_within_the_15_minutes_then_expired(strict_server, monkeypatch):
    """SigV4 has no nonce: AWS accepts a replayed request while it is fresh; after 15 minutes it is expired."""
    request = signed_request(strict_server, {})
    assert [send(request).status_code for _ in range(2)] == [200, 200]
    stale = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=15, seconds=30)
    replay = signed_request(strict_server, {}, when=stale, monkeypatch=monkeypatch)
    assert send(replay).json()["__type"] == "RequestExpired"
