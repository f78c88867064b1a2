"""Media fetching from a real moto_server S3 and from the developers' local tree; type and size rules."""

from __future__ import annotations

import pytest

from pigeon.aws import AwsClients, AwsTarget
from pigeon.media.fetch import INACCESSIBLE, SIZE_EXCEEDED, TYPE_UNSUPPORTED, MediaError, MediaFetcher
from tests.support.moto import MotoServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture(scope="module")
def moto():
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bucket(moto):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="mms-media")
    s3.put_object(Bucket="mms-media", Key="cat.png", Body=PNG, ContentType="image/png")
    s3.put_object(Bucket="mms-media", Key="untyped", Body=PNG)  # binary/octet-stream: sniffed
    s3.put_object(Bucket="mms-media", Key="big.jpg", Body=b"\xff\xd8\xff" + b"\x00" * 2_000_001, ContentType="image/jpeg")
    s3.put_object(Bucket="mms-media", Key="big.pdf", Body=b"%PDF-" + b"\x00" * 600_001, ContentType="application/pdf")
    s3.put_object(Bucket="mms-media", Key="script.exe", Body=b"MZ", ContentType="application/x-msdownload")
    return "mms-media"


@pytest.fixture
def fetcher(moto, tmp_path):
    return MediaFetcher(AwsClients(AwsTarget(moto.url, "testing", "testing")), tmp_path)


def test_fetches_an_image_with_its_type(fetcher, bucket):
    media = fetcher.fetch(f"s3://{bucket}/cat.png")
    assert (media.content_type, media.data) == ("image/png", PNG)


def test_generic_content_type_is_sniffed(fetcher, bucket):
    assert fetcher.fetch(f"s3://{bucket}/untyped").content_type == "image/png"


@pytest.mark.parametrize("key,event", [
    ("missing.png", INACCESSIBLE),
    ("script.exe", TYPE_UNSUPPORTED),
    ("big.jpg", SIZE_EXCEEDED),     # images: 2 MB
    ("big.pdf", SIZE_EXCEEDED),     # other types: 600 KB
])
def test_failures_name_their_media_event(fetcher, bucket, key, event):
    with pytest.raises(MediaError) as excinfo:
        fetcher.fetch(f"s3://{bucket}/{key}")
    assert excinfo.value.event == event


def test_missing_bucket_is_inaccessible(fetcher):
    with pytest.raises(MediaError) as excinfo:
        fetcher.fetch("s3://no-such-bucket/a.png")
    assert excinfo.value.event == INACCESSIBLE


def test_local_tree_for_developers(tmp_path):
    (tmp_path / "media-bucket" / "pics").mkdir(parents=True)
    (tmp_path / "media-bucket" / "pics" / "dog.gif").write_bytes(b"GIF89a" + b"\x00" * 10)
    local = MediaFetcher(None, tmp_path)
    assert local.fetch("s3://media-bucket/pics/dog.gif").content_type == "image/gif"
    with pytest.raises(MediaError) as excinfo:
        local.fetch("s3://media-bucket/../../etc/passwd")
    assert excinfo.value.event == INACCESSIBLE
    with pytest.raises(MediaError):
        local.fetch("https://example.com/a.png")
