"""CreateRegistrationAttachment, DeleteRegistrationAttachment, DescribeRegistrationAttachments.

"The maximum file size is 500KB and valid file extensions are PDF, JPEG and PNG." The file comes either as
AttachmentBody or from AttachmentUrl ("If both are specified then an exception is returned"): ``s3://bucket/key``
read through boto3 at the configured endpoint, or ``https://`` (and ``http://`` for local servers; no redirects,
one deadline for the transfer). The type is judged by the file's signature bytes, not its name. Files are stored under ``<data dir>/attachments``.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from pigeon.common import arns, filters, ids, lookup, pagination, quotas, tags
from pigeon.errors import Conflict, FieldViolation, Invalid, NotFound
from pigeon.protocol.model import enum_values
from pigeon.service.context import Context, Params, Result
from pigeon.service.registrations.records import ATTACHMENT, VERSION
from pigeon.service.registry import operation
from pigeon.settings import Settings
from pigeon.store import resources
from pigeon.store.resources import Record

MAX_BYTES = 500 * 1024
DAY_SECONDS = 86400.0
FETCH_TIMEOUT_SECONDS = 10.0
SIGNATURES = {"PDF": (b"%PDF-", "application/pdf", "pdf"), "JPEG": (b"\xff\xd8\xff", "image/jpeg", "jpg"),
              "PNG": (b"\x89PNG\r\n\x1a\n", "image/png", "png")}

FILTERS: filters.Table = {"attachment-status": filters.one_of(lambda r: r.data["AttachmentStatus"], enum_values("AttachmentStatus"))}


def _invalid(reason: str, member: str, message: str) -> Invalid:
    return Invalid(reason, f"{member}: {message}", [FieldViolation(member, message)])


def _s3_client(settings: Settings) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=settings.s3_endpoint_url or settings.aws_endpoint_url,
                        region_name=settings.aws_region or settings.default_region,
                        aws_access_key_id=settings.aws_access_key_id,
                        aws_secret_access_key=settings.aws_secret_access_key,
                        config=Config(connect_timeout=FETCH_TIMEOUT_SECONDS, read_timeout=FETCH_TIMEOUT_SECONDS,
                                      retries={"max_attempts": 2}, s3={"addressing_style": "path"}))


def _from_s3(settings: Settings, url: str) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = url[len("s3://"):].partition("/")
    if not bucket or not key:
        raise _invalid("INVALID_PARAMETER", "AttachmentUrl", "Use the form s3://BucketName/FileName")
    try:
        response = _s3_client(settings).get_object(Bucket=bucket, Key=key)
        if response.get("ContentLength", 0) > MAX_BYTES:
            raise _invalid("MAXIMUM_SIZE_EXCEEDED", "AttachmentUrl", f"The file is larger than {MAX_BYTES} bytes")
        return bytes(response["Body"].read(MAX_BYTES + 1))
    except (BotoCoreError, ClientError) as error:
        raise _invalid("RESOURCE_NOT_ACCESSIBLE", "AttachmentUrl", f"Cannot read {url}: {error}") from error


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: it could lead the server anywhere, e.g. into the operator's own network."""

    def redirect_request(self, *args: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _from_web(url: str) -> bytes:
    """The body at ``url``, within one deadline for the whole transfer: the request runs on the event loop, and
    a server trickling bytes would otherwise hold it (and every other request of the process) for as long as
    it liked, each read within the socket timeout."""
    deadline = time.monotonic() + FETCH_TIMEOUT_SECONDS
    try:
        with _OPENER.open(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 (scheme checked)
            data = bytearray()
            while len(data) <= MAX_BYTES:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no complete answer within {FETCH_TIMEOUT_SECONDS:g} s")
                chunk = response.read1(MAX_BYTES + 1 - len(data))
                if not chunk:
                    break
                data += chunk
            return bytes(data)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise _invalid("RESOURCE_NOT_ACCESSIBLE", "AttachmentUrl", f"Cannot read {url}: {error}") from error


def fetch(settings: Settings, url: str) -> bytes:
    """The bytes at an attachment URL (at most one byte more than the size limit)."""
    if url.startswith("s3://"):
        return _from_s3(settings, url)
    if url.startswith(("https://", "http://")):
        return _from_web(url)
    raise _invalid("INVALID_PARAMETER", "AttachmentUrl", "Use s3://BucketName/FileName or an https:// URL")


def file_kind(content: bytes) -> str | None:
    """PDF, JPEG or PNG by the file's signature; None for anything else."""
    return next((kind for kind, (magic, _, _) in SIGNATURES.items() if content.startswith(magic)), None)


def _content(ctx: Context, params: Params) -> tuple[bytes, str]:
    body, url = params.get("AttachmentBody"), params.get("AttachmentUrl")
    if body is not None and url is not None:
        raise Invalid("PARAMETERS_CANNOT_BE_USED_TOGETHER", "Use either AttachmentUrl or AttachmentBody, not both.",
                      [FieldViolation("AttachmentBody", "Cannot be used with AttachmentUrl"),
                       FieldViolation("AttachmentUrl", "Cannot be used with AttachmentBody")])
    if body is None and url is None:
        raise _invalid("MISSING_PARAMETER", "AttachmentBody", "Give AttachmentBody or AttachmentUrl")
    member = "AttachmentBody" if body is not None else "AttachmentUrl"
    content = bytes(body) if body is not None else fetch(ctx.settings, str(url))
    if len(content) > MAX_BYTES:
        raise _invalid("MAXIMUM_SIZE_EXCEEDED", member, f"The maximum file size is 500KB ({MAX_BYTES} bytes)")
    return content, member


def storage_path(settings: Settings, record: Record) -> Path:
    return settings.data_dir / "attachments" / record.data["_File"]


def _check_quotas(ctx: Context) -> None:
    existing = resources.list_of(ctx.tx, ctx.scope, ATTACHMENT)
    quotas.check(ctx, "REGISTRATION_ATTACHMENTS", len(existing), "REGISTRATION_ATTACHMENTS_PER_ACCOUNT")
    today = sum(1 for record in existing if record.created_at > ctx.now - DAY_SECONDS)
    quotas.check(ctx, "REGISTRATION_ATTACHMENTS_CREATED_PER_DAY", today)


@operation("CreateRegistrationAttachment")
def create_registration_attachment(ctx: Context, params: Params) -> Result:
    _check_quotas(ctx)
    content, member = _content(ctx, params)
    kind = file_kind(content)
    if kind is None:
        raise _invalid("ATTACHMENT_TYPE_NOT_SUPPORTED", member, "Valid file types are PDF, JPEG and PNG")
    attachment_id = ids.new("attachment")
    arn = arns.build(ctx.scope, ATTACHMENT, attachment_id)
    relative = f"{ctx.scope.account_id}/{ctx.scope.region}/{attachment_id}.{SIGNATURES[kind][2]}"
    data = {"RegistrationAttachmentArn": arn, "RegistrationAttachmentId": attachment_id,
            "AttachmentStatus": "UPLOAD_COMPLETE", "CreatedTimestamp": ctx.now, "AttachmentUrl": params.get("AttachmentUrl"),
            "_File": relative, "_ContentType": SIGNATURES[kind][1], "_Size": len(content)}
    record = Record(ATTACHMENT, attachment_id, attachment_id, arn, ctx.now,
                    {k: v for k, v in data.items() if v is not None}, tags.initial(params.get("Tags")))
    path = storage_path(ctx.settings, record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    record = resources.insert(ctx.tx, ctx.scope, record)
    return {**wire(record), "Tags": tags.to_wire(record.tags)}


def wire(record: Record) -> dict[str, Any]:
    return {key: value for key, value in record.data.items() if not key.startswith("_")}


def _users(ctx: Context, attachment_id: str) -> list[str]:
    """Registrations whose versions hold this attachment as a field value."""
    return sorted({version.parent_id for version in resources.list_of(ctx.tx, ctx.scope, VERSION)
                   if any(value.get("RegistrationAttachmentId") == attachment_id
                          for value in version.data.get("_FieldValues", {}).values())})


@operation("DeleteRegistrationAttachment")
def delete_registration_attachment(ctx: Context, params: Params) -> Result:
    """Permanently delete an attachment no registration field refers to."""
    record = lookup.resolve(ctx, ATTACHMENT, params["RegistrationAttachmentId"], by_name=False, for_update=True,
                            field="RegistrationAttachmentId")
    users = _users(ctx, record.resource_id)
    if users:
        raise Conflict("RESOURCE_DELETION_NOT_ALLOWED", ATTACHMENT, record.resource_id,
                       f"The attachment is a field value of registration(s) {', '.join(users)}.")
    resources.delete(ctx.tx, record)
    storage_path(ctx.settings, record).unlink(missing_ok=True)
    return {**wire(record), "AttachmentStatus": "DELETED"}


@operation("DescribeRegistrationAttachments")
def describe_registration_attachments(ctx: Context, params: Params) -> Result:
    wanted = params.get("RegistrationAttachmentIds")
    if wanted:
        found: dict[int, Record] = {}
        for value in wanted:
            record = lookup.find(ctx, ATTACHMENT, value, by_name=False, field="RegistrationAttachmentIds")
            if record is None:
                raise NotFound(ATTACHMENT, value)
            found[record.seq] = record
        chosen = [found[seq] for seq in sorted(found)]
    else:
        chosen = resources.list_of(ctx.tx, ctx.scope, ATTACHMENT)
    chosen = filters.apply(chosen, params.get("Filters"), FILTERS)
    chunk, token = pagination.page_of(ctx, params, chosen)
    return {"RegistrationAttachments": [wire(record) for record in chunk], "NextToken": token}
