"""Attachments from bytes, from s3:// (a real moto_server) and from http(s)://; type, size, quota, deletion."""

from __future__ import annotations

import http.server
import threading
import time

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client, new_account_id
from tests.service.registrations.forms import JPEG, PDF, PNG
from tests.support.errors import error_of

TOO_BIG = PNG + b"\x00" * (500 * 1024)


def _error(call, **params):
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_body_uploads_of_each_type_are_stored_under_the_data_dir(client, server, account_id):
    created = [client.create_registration_attachment(AttachmentBody=body, Tags=[{"Key": "kind", "Value": name}])
               for name, body in (("png", PNG), ("pdf", PDF), ("jpeg", JPEG))]
    assert all(a["AttachmentStatus"] == "UPLOAD_COMPLETE" and a["RegistrationAttachmentId"].startswith("attachment-")
               for a in created)
    assert created[0]["RegistrationAttachmentArn"].endswith(f":{account_id}:registration-attachment/{created[0]['RegistrationAttachmentId']}")
    stored = sorted(p.name for p in (server.data_dir / "attachments" / account_id / "us-east-1").iterdir())
    assert stored == sorted(f"{a['RegistrationAttachmentId']}.{ext}" for a, ext in zip(created, ("png", "pdf", "jpg"), strict=True))
    assert (server.data_dir / "attachments" / account_id / "us-east-1" / stored[0]).stat().st_size > 0


def test_type_and_size_limits(client):
    wrong = _error(client.create_registration_attachment, AttachmentBody=b"GIF89a not allowed")
    assert (wrong["Reason"], wrong["Fields"][0]["Name"]) == ("ATTACHMENT_TYPE_NOT_SUPPORTED", "AttachmentBody")
    big = _error(client.create_registration_attachment, AttachmentBody=TOO_BIG)
    assert big["Reason"] == "MAXIMUM_SIZE_EXCEEDED"
    exactly = client.create_registration_attachment(AttachmentBody=PNG + b"\x00" * (500 * 1024 - len(PNG)))
    assert exactly["AttachmentStatus"] == "UPLOAD_COMPLETE"


def test_body_and_url_together_or_neither(client):
    both = _error(client.create_registration_attachment, AttachmentBody=PNG, AttachmentUrl="s3://b/k.png")
    assert both["Reason"] == "PARAMETERS_CANNOT_BE_USED_TOGETHER"
    assert _error(client.create_registration_attachment)["Reason"] == "MISSING_PARAMETER"
    assert _error(client.create_registration_attachment, AttachmentUrl="ftp://x/y.png")["Reason"] == "INVALID_PARAMETER"


def test_describe_filter_page_and_unknown(client):
    ids = [client.create_registration_attachment(AttachmentBody=PNG)["RegistrationAttachmentId"] for _ in range(3)]
    page = client.describe_registration_attachments(MaxResults=2)
    rest = client.describe_registration_attachments(MaxResults=2, NextToken=page["NextToken"])
    assert [a["RegistrationAttachmentId"] for a in page["RegistrationAttachments"] + rest["RegistrationAttachments"]] == ids
    done = client.describe_registration_attachments(Filters=[{"Name": "attachment-status", "Values": ["UPLOAD_COMPLETE"]}])
    assert len(done["RegistrationAttachments"]) == 3
    one = client.describe_registration_attachments(RegistrationAttachmentIds=[ids[1]])["RegistrationAttachments"]
    assert [a["RegistrationAttachmentId"] for a in one] == [ids[1]]
    missing = _error(client.describe_registration_attachments, RegistrationAttachmentIds=["attachment-" + "c" * 32])
    assert (missing["Code"], missing["ResourceType"]) == ("ResourceNotFoundException", "registration-attachment")
    assert _error(client.describe_registration_attachments,
                  Filters=[{"Name": "attachment-status", "Values": ["LOST"]}])["Reason"] == "INVALID_FILTER_VALUES"


def test_delete_removes_record_and_file_unless_a_field_uses_it(client, server, account_id):
    free = client.create_registration_attachment(AttachmentBody=PNG)["RegistrationAttachmentId"]
    deleted = client.delete_registration_attachment(RegistrationAttachmentId=free)
    assert deleted["AttachmentStatus"] == "DELETED"
    assert not (server.data_dir / "attachments" / account_id / "us-east-1" / f"{free}.png").exists()
    assert _error(client.delete_registration_attachment, RegistrationAttachmentId=free)["Code"] == "ResourceNotFoundException"
    used = client.create_registration_attachment(AttachmentBody=PNG)["RegistrationAttachmentId"]
    registration_id = client.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")["RegistrationId"]
    client.put_registration_field_value(RegistrationId=registration_id, FieldPath="messagingUseCase.optInImage",
                                        RegistrationAttachmentId=used)
    error = _error(client.delete_registration_attachment, RegistrationAttachmentId=used)
    assert (error["Code"], error["Reason"], error["ResourceType"]) == ("ConflictException", "RESOURCE_DELETION_NOT_ALLOWED",
                                                                      "registration-attachment")


def test_daily_attachment_limit(client, server):
    for _ in range(10):
        client.create_registration_attachment(AttachmentBody=PNG)
    error = _error(client.create_registration_attachment, AttachmentBody=PNG)
    assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException", "REGISTRATION_ATTACHMENTS_CREATED_PER_DAY")
    server.advance_clock(86400 + 1)
    assert client.create_registration_attachment(AttachmentBody=PNG)["AttachmentStatus"] == "UPLOAD_COMPLETE"
    limits = {limit["Name"]: limit for limit in client.describe_account_limits()["AccountLimits"]}
    assert limits["REGISTRATION_ATTACHMENTS"]["Used"] == 11


def test_s3_url_is_read_through_boto3_at_the_configured_endpoint(configured, moto):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="registration-files")
    s3.put_object(Bucket="registration-files", Key="loa.pdf", Body=PDF)
    s3.put_object(Bucket="registration-files", Key="big.png", Body=TOO_BIG)
    s3.put_object(Bucket="registration-files", Key="notes.txt", Body=b"plain text")
    client = make_client(configured, new_account_id())
    created = client.create_registration_attachment(AttachmentUrl="s3://registration-files/loa.pdf")
    assert created["AttachmentStatus"] == "UPLOAD_COMPLETE"
    described = client.describe_registration_attachments()["RegistrationAttachments"][0]
    assert described["AttachmentUrl"] == "s3://registration-files/loa.pdf"
    stored = next((configured.data_dir / "attachments").rglob(f"{created['RegistrationAttachmentId']}.pdf"))
    assert stored.read_bytes() == PDF
    assert _error(client.create_registration_attachment, AttachmentUrl="s3://registration-files/big.png")["Reason"] == "MAXIMUM_SIZE_EXCEEDED"
    assert _error(client.create_registration_attachment, AttachmentUrl="s3://registration-files/notes.txt")["Reason"] == "ATTACHMENT_TYPE_NOT_SUPPORTED"
    missing = _error(client.create_registration_attachment, AttachmentUrl="s3://registration-files/absent.png")
    assert (missing["Reason"], missing["Fields"][0]["Name"]) == ("RESOURCE_NOT_ACCESSIBLE", "AttachmentUrl")


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    (root / "optin.png").write_bytes(PNG)
    (root / "notes.txt").write_bytes(b"plain text")
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(*args, directory=str(root))  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_web_url_is_fetched(client, web):
    created = client.create_registration_attachment(AttachmentUrl=f"{web}/optin.png")
    assert created["AttachmentStatus"] == "UPLOAD_COMPLETE"
    assert _error(client.create_registration_attachment, AttachmentUrl=f"{web}/notes.txt")["Reason"] == "ATTACHMENT_TYPE_NOT_SUPPORTED"
    assert _error(client.create_registration_attachment, AttachmentUrl=f"{web}/absent.png")["Reason"] == "RESOURCE_NOT_ACCESSIBLE"


class _Tricky(http.server.BaseHTTPRequestHandler):
    """/moved redirects to the PNG; /trickle sends a PNG a byte every 0.2 s, never ending within the deadline."""

    png_url = ""

    def do_GET(self):  # noqa: N802
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", _Tricky.png_url)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG) * 1000))
        self.end_headers()
        try:
            for byte in (PNG * 1000)[:200]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:  # the fetch gave up
            pass

    def log_message(self, *args):
        pass


def test_web_url_redirects_and_trickling_servers_are_refused_in_time(client, web):
    _Tricky.png_url = f"{web}/optin.png"
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Tricky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        moved = _error(client.create_registration_attachment, AttachmentUrl=f"{base}/moved")
        assert (moved["Reason"], moved["Fields"][0]["Name"]) == ("RESOURCE_NOT_ACCESSIBLE", "AttachmentUrl")
        started = time.monotonic()
        slow = _error(client.create_registration_attachment, AttachmentUrl=f"{base}/trickle")
        assert slow["Reason"] == "RESOURCE_NOT_ACCESSIBLE" and "within 10 s" in slow["Message"]
        assert time.monotonic() - started < 15
    finally:
        httpd.shutdown()


def test_aws_cli_uploads_a_file_body(aws_cli, tmp_path):
    path = tmp_path / "loa.pdf"
    path.write_bytes(PDF)
    created = aws_cli("create-registration-attachment", "--attachment-body", f"fileb://{path}")
    assert created["AttachmentStatus"] == "UPLOAD_COMPLETE"
    listed = aws_cli("describe-registration-attachments")["RegistrationAttachments"]
    assert [a["RegistrationAttachmentId"] for a in listed] == [created["RegistrationAttachmentId"]]


def test_account_quota_on_attachments(client, server):
    for _ in range(10):
        for _ in range(10):
            client.create_registration_attachment(AttachmentBody=PNG)
        server.advance_clock(86400 + 1)
    error = _error(client.create_registration_attachment, AttachmentBody=PNG)
    assert (error["Code"], error["Reason"]) == ("ServiceQuotaExceededException", "REGISTRATION_ATTACHMENTS_PER_ACCOUNT")
