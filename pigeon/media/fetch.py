"""Fetch a message's media file (``s3://bucket/key``) and check its type and size.

With an S3 endpoint configured the object is read through boto3 (real AWS, LocalStack, moto, MinIO);
without one, developers put files under ``{data_dir}/media/{bucket}/{key}``. A file that cannot be read,
has a type MMS does not carry, or is too large for its type ends the message with the documented event:
MEDIA_FILE_INACCESSIBLE, MEDIA_FILE_TYPE_UNSUPPORTED or MEDIA_FILE_SIZE_EXCEEDED.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from pigeon.aws import AwsClients

_S3_URL = re.compile(r"s3://(?P<bucket>[a-z0-9.-]{3,63})/(?P<key>.+)")
_GENERIC_TYPES = {"", "binary/octet-stream", "application/octet-stream"}
_MAGIC = [(b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
          (b"%PDF-", "application/pdf")]

INACCESSIBLE = "MEDIA_FILE_INACCESSIBLE"
TYPE_UNSUPPORTED = "MEDIA_FILE_TYPE_UNSUPPORTED"
SIZE_EXCEEDED = "MEDIA_FILE_SIZE_EXCEEDED"


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str
    data: bytes


class MediaError(Exception):
    """The media cannot be sent; ``event`` is the MEDIA_FILE_* event type that ends the message."""

    def __init__(self, event: str, description: str) -> None:
        super().__init__(description)
        self.event = event
        self.description = description


@lru_cache(maxsize=1)
def max_bytes() -> dict[str, int]:
    return dict(yaml.safe_load(resources.files("pigeon.data").joinpath("media.yaml").read_text())["max_bytes"])


def _content_type(declared: str | None, key: str, head: bytes) -> str:
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in _GENERIC_TYPES:
        return declared
    guessed = mimetypes.guess_type(key)[0]
    if guessed:
        return guessed
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), "application/octet-stream")


def _check(url: str, content_type: str, size: int) -> None:
    limit = max_bytes().get(content_type)
    if limit is None:
        raise MediaError(TYPE_UNSUPPORTED, f"{url}: the content type {content_type} is not supported for MMS")
    if size > limit:
        raise MediaError(SIZE_EXCEEDED, f"{url}: {size} bytes is over the {limit} byte limit for {content_type}")


class MediaFetcher:
    """Reads media from S3 (through ``clients``) or, with none, from a local directory tree."""

    def __init__(self, clients: AwsClients | None, local_root: Path) -> None:
        self._clients = clients
        self._local_root = local_root

    def fetch(self, url: str) -> Media:
        match = _S3_URL.fullmatch(url)
        if match is None:
            raise MediaError(INACCESSIBLE, f"{url} is not an s3:// URL")
        bucket, key = match["bucket"], match["key"]
        if self._clients is None:
            return self._fetch_local(url, bucket, key)
        return self._fetch_s3(url, bucket, key)

    def _fetch_local(self, url: str, bucket: str, key: str) -> Media:
        path = (self._local_root / bucket / key).resolve()
        if not path.is_relative_to(self._local_root.resolve()) or not path.is_file():
            raise MediaError(INACCESSIBLE, f"{url}: no such file under {self._local_root}")
        with path.open("rb") as handle:
            head = handle.read(16)
        content_type = _content_type(None, key, head)
        _check(url, content_type, path.stat().st_size)
        return Media(url, content_type, path.read_bytes())

    def _fetch_s3(self, url: str, bucket: str, key: str) -> Media:
        assert self._clients is not None
        s3 = self._clients.client("s3")
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
            declared, size = head.get("ContentType"), int(head["ContentLength"])
            first = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-15")["Body"].read() if size else b""
            content_type = _content_type(declared, key, first)
            _check(url, content_type, size)
            data = s3.get_object(Bucket=bucket, Key=key)["Body"].read(size + 1)  # no more than HEAD said
            if len(data) > size:
                raise MediaError(SIZE_EXCEEDED, f"{url}: the object grew past the {size} bytes its HEAD gave")
        except (ClientError, BotoCoreError) as error:
            raise MediaError(INACCESSIBLE, f"{url}: {error}") from error
        return Media(url, content_type, data)
