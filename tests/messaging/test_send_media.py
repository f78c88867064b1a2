"""SendMediaMessage through boto3 against a real server: admission rules and errors; delivery fetches the media
from the local tree or from a real moto_server S3, ending MEDIA_DELIVERED or with a MEDIA_FILE_* event; the
fetched file is downloadable from the inspection API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from botocore.exceptions import ClientError

from tests.conftest import make_client, new_account_id
from tests.messaging.support import TEXT_RECORD_FIELDS as RECORD_FIELDS
from tests.messaging.support import US_FAILURE, US_SUCCESS, final_events, messages
from tests.support.errors import error_of
from tests.support.moto import MotoServer
from tests.support.server import PigeonServer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def refused(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def mms_number(client: Any, capabilities: tuple[str, ...] = ("SMS", "MMS")) -> dict[str, Any]:
    return client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                       NumberCapabilities=list(capabilities), NumberType="SIMULATOR")


def local_media(server: PigeonServer, name: str, data: bytes) -> str:
    """Put ``data`` in the server's local media tree; returns its s3:// URL."""
    bucket = f"bucket-{uuid.uuid4().hex[:8]}"
    path = Path(server.data_dir) / "media" / bucket / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return f"s3://{bucket}/{name}"


def send(client: Any, origin: str, url: str, **kwargs: Any) -> str:
    return client.send_media_message(DestinationPhoneNumber=kwargs.pop("destination", US_SUCCESS),
                                     OriginationIdentity=origin, MediaUrls=[url], **kwargs)["MessageId"]


def test_media_from_the_local_tree_is_delivered_and_downloadable(client, server, account_id):
    number = mms_number(client)
    url = local_media(server, "pic.png", PNG)
    message_id = send(client, number["PhoneNumberId"], url, MessageBody="look", Context={"case": "mms"})
    records = final_events(server, message_id)
    assert [(r["eventType"], r["isFinal"]) for r in records] == [("MEDIA_SUCCESSFUL", False),
                                                                ("MEDIA_DELIVERED", True)]
    successful, delivered = records
    assert list(successful) == RECORD_FIELDS
    assert (successful["messageStatus"], delivered["messageStatus"]) == ("SUCCESSFUL", "DELIVERED")
    assert successful["originationPhoneNumber"] == number["PhoneNumber"]
    assert (successful["destinationPhoneNumber"], successful["isoCountryCode"]) == (US_SUCCESS, "US")
    assert (successful["messageEncoding"], successful["messageType"]) == ("GSM", "TRANSACTIONAL")
    assert successful["totalMessageParts"] == 1
    assert (successful["totalMessagePrice"], successful["totalCarrierFee"]) == (0.02, 0.005)
    assert delivered["context"] == {"case": "mms"}
    [message] = messages(server, account=account_id)
    assert (message["Channel"], message["MediaUrls"], message["Status"]) == ("MEDIA", [url], "DELIVERED")
    download = requests.get(f"{server.url}/_pigeon/messages/{message_id}/media", timeout=10)
    assert download.status_code == 200
    assert (download.content, download.headers["content-type"]) == (PNG, "image/png")
    [message] = messages(server, account=account_id)
    assert (message["MediaContentType"], message["MediaBytes"]) == ("image/png", len(PNG))
    assert message["MediaDownload"] == f"/_pigeon/messages/{message_id}/media"


def test_missing_file_ends_inaccessible_and_uncharged(client, server):
    message_id = send(client, mms_number(client)["PhoneNumberId"], "s3://nobody-here/none.png")
    [record] = final_events(server, message_id)
    assert (record["eventType"], record["messageStatus"], record["isFinal"]) == (
        "MEDIA_FILE_INACCESSIBLE", "FILE_INACCESSIBLE", True)
    assert (record["totalMessagePrice"], record["totalCarrierFee"]) == (0.0, 0.0)
    assert "none.png" in record["messageStatusDescription"]
    assert requests.get(f"{server.url}/_pigeon/messages/{message_id}/media", timeout=10).status_code == 404


def test_unsupported_type_and_oversized_file_end_with_their_events(client, server):
    origin = mms_number(client)["PhoneNumberId"]
    text = send(client, origin, local_media(server, "notes.txt", b"plain text"))
    assert final_events(server, text)[-1]["eventType"] == "MEDIA_FILE_TYPE_UNSUPPORTED"
    big = send(client, origin, local_media(server, "song.mp3", b"\xff\xfb" + b"\0" * 600_001))
    assert final_events(server, big)[-1]["eventType"] == "MEDIA_FILE_SIZE_EXCEEDED"
    fits = send(client, origin, local_media(server, "small.mp3", b"\xff\xfb" + b"\0" * 1000))
    assert final_events(server, fits)[-1]["eventType"] == "MEDIA_DELIVERED"


def test_failure_number_ends_blocked(client, server):
    message_id = send(client, mms_number(client)["PhoneNumberId"], local_media(server, "p.png", PNG),
                      destination=US_FAILURE)
    [record] = final_events(server, message_id)
    assert (record["eventType"], record["isFinal"]) == ("MEDIA_BLOCKED", True)


def test_number_without_mms_and_sender_ids_are_refused(client, server):
    sms_only = mms_number(client, ("SMS",))
    error = refused(client.send_media_message, DestinationPhoneNumber=US_SUCCESS,
                    OriginationIdentity=sms_only["PhoneNumberId"], MediaUrls=["s3://bucket/p.png"])
    assert (error["Code"], error["Reason"]) == ("ConflictException", "NUMBER_CAPABILITIES_MISMATCH")
    sender = client.request_sender_id(SenderId="MEDIA", IsoCountryCode="GB")
    error = refused(client.send_media_message, DestinationPhoneNumber="+447400123456",
                    OriginationIdentity=sender["SenderIdArn"], MediaUrls=["s3://bucket/p.png"])
    assert (error["Code"], error["Reason"]) == ("ConflictException", "NUMBER_CAPABILITIES_MISMATCH")


def test_max_price_spend_limit_and_dry_run(client, server, account_id):
    origin = mms_number(client)["PhoneNumberId"]
    error = refused(client.send_media_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                    MediaUrls=["s3://bucket/p.png"], MaxPrice="0.02")
    assert (error["Code"], error["Reason"]) == ("ValidationException", "PRICE_OVER_THRESHOLD")
    send(client, origin, "s3://bucket/p.png", MaxPrice="0.025", DryRun=True)
    assert messages(server, account=account_id) == []
    client.set_media_message_spend_limit_override(MonthlyLimit=0)
    error = refused(client.send_media_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                    MediaUrls=["s3://bucket/p.png"])
    assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException",
                                                "MONTHLY_SPEND_LIMIT_REACHED_FOR_MEDIA")
    client.send_text_message(DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin, MessageBody="text ok")


def test_media_urls_are_validated(unchecked_client, client):
    origin = mms_number(client)["PhoneNumberId"]
    for urls in (["https://example.com/p.png"], ["s3://bucket/a.png", "s3://bucket/b.png"], []):
        error = refused(unchecked_client.send_media_message, DestinationPhoneNumber=US_SUCCESS,
                        OriginationIdentity=origin, MediaUrls=urls)
        assert error["Code"] == "ValidationException", urls


def test_nul_in_the_body_or_media_url_is_a_validation_error(client, server, account_id):
    origin = mms_number(client)["PhoneNumberId"]
    for extra, field in (({"MessageBody": "a\x00b", "MediaUrls": ["s3://bucket/p.png"]}, "MessageBody"),
                         ({"MediaUrls": ["s3://bucket/p\x00.png"]}, "MediaUrls[0]")):
        error = refused(client.send_media_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                        **extra)
        assert (error["Code"], error["Reason"], error["Fields"][0]["Name"]) == (
            "ValidationException", "FIELD_VALIDATION_FAILED", field)
    assert messages(server, account=account_id) == []


def test_unknown_message_downloads_are_aws_shaped_404(server):
    for what in ("media", "audio"):
        response = requests.get(f"{server.url}/_pigeon/messages/no-such-id/{what}", timeout=10)
        assert response.status_code == 404
        body = response.json()
        assert (body["__type"], body["ResourceType"], body["ResourceId"]) == (
            "ResourceNotFoundException", "message", "no-such-id")


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def s3_pigeon(moto: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PigeonServer]:
    config = tmp_path_factory.mktemp("media") / "pigeon.yaml"
    config.write_text(yaml.safe_dump({"s3_endpoint_url": moto.url, "aws_access_key_id": "testing",
                                      "aws_secret_access_key": "testing"}))
    server = PigeonServer(None, ["--config", str(config)]).start()
    yield server
    server.stop()


def test_media_from_moto_s3_is_delivered_or_inaccessible(moto, s3_pigeon):
    s3 = moto.client("s3")
    bucket = f"media-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="cards/card.png", Body=PNG, ContentType="image/png")
    s3.put_object(Bucket=bucket, Key="big.gif", Body=b"GIF89a" + b"\0" * 2_000_001, ContentType="image/gif")
    client = make_client(s3_pigeon, new_account_id())
    origin = mms_number(client)["PhoneNumberId"]
    delivered = send(client, origin, f"s3://{bucket}/cards/card.png")
    assert final_events(s3_pigeon, delivered)[-1]["eventType"] == "MEDIA_DELIVERED"
    download = requests.get(f"{s3_pigeon.url}/_pigeon/messages/{delivered}/media", timeout=10)
    assert (download.content, download.headers["content-type"]) == (PNG, "image/png")
    missing = send(client, origin, f"s3://{bucket}/cards/none.png")
    assert final_events(s3_pigeon, missing)[-1]["eventType"] == "MEDIA_FILE_INACCESSIBLE"
    too_big = send(client, origin, f"s3://{bucket}/big.gif")
    assert final_events(s3_pigeon, too_big)[-1]["eventType"] == "MEDIA_FILE_SIZE_EXCEEDED"


def test_protect_configuration_refuses_blocked_media(client, server):
    origin = mms_number(client)["PhoneNumberId"]
    protect_id = client.create_protect_configuration()["ProtectConfigurationId"]
    client.set_account_default_protect_configuration(ProtectConfigurationId=protect_id)
    client.update_protect_configuration_country_rule_set(
        ProtectConfigurationId=protect_id, NumberCapability="MMS", CountryRuleSetUpdates={"US": {"ProtectStatus": "BLOCK"}})
    error = refused(client.send_media_message, DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin,
                    MediaUrls=["s3://bucket/p.png"])
    assert (error["Code"], error["Reason"]) == ("ConflictException",
                                                "DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION")
    client.send_text_message(DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=origin, MessageBody="sms ok")
