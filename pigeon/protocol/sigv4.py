"""AWS Signature Version 4: read the credential scope from the Authorization header or a presigned
query string, and (when secrets are known) verify the signature strictly.

Signing-key derivation and the canonical header rules are botocore's (``SigV4Auth``); this module
only rebuilds the canonical request from what arrived on the wire.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from calendar import timegm
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from time import strptime
from typing import NamedTuple
from urllib.parse import quote, unquote

from botocore.auth import SigV4Auth
from botocore.credentials import Credentials

from pigeon.errors import (
    IncompleteSignature,
    InvalidClientTokenId,
    InvalidSignature,
    MissingAuthenticationToken,
    RequestExpired,
)
from pigeon.protocol.model import service_model

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600  # AWS's limit for X-Amz-Expires
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class SignedRequest(NamedTuple):
    """What a SigV4 signature claims: who, when, where, and the signature itself."""

    access_key_id: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str
    amz_date: str  # YYYYMMDD'T'HHMMSS'Z'
    signed_headers: tuple[str, ...]
    signature: str
    expires: int | None  # presigned URLs only
    presigned: bool


@dataclass(slots=True)
class WireRequest:
    """An HTTP request as it arrived; headers stay raw bytes (ASGI gives lower-case names)."""

    method: str
    path: str
    query_string: str
    raw_headers: Sequence[tuple[bytes, bytes]]
    body: bytes
    _first: dict[bytes, bytes] | None = None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lower-case)."""
        if self._first is None:
            first: dict[bytes, bytes] = {}
            for key, value in self.raw_headers:
                first.setdefault(key, value)
            self._first = first
        found = self._first.get(name.encode("latin-1"))
        return None if found is None else found.decode("latin-1")

    @property
    def headers(self) -> list[tuple[str, str]]:
        return [(key.decode("latin-1").lower(), value.decode("latin-1")) for key, value in self.raw_headers]


@lru_cache(maxsize=4096)
def _parse_credential(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise IncompleteSignature(f"Credential should be scoped to a valid region and service: '{credential}'.")
    return parts[0], parts[1], parts[2], parts[3]


_AUTHORIZATION = re.compile(
    r"(?P<algorithm>\S+)\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed_headers>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*"
)


def _parse_authorization(value: str, amz_date: str | None) -> SignedRequest:
    match = _AUTHORIZATION.fullmatch(value)
    if match is None:
        algorithm = value.split(" ", 1)[0]
        if algorithm != ALGORITHM:
            raise IncompleteSignature(f"Unsupported authorization algorithm '{algorithm}'; expected {ALGORITHM}.")
        raise IncompleteSignature(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. "
            f"Authorization={value}"
        )
    if match["algorithm"] != ALGORITHM:
        raise IncompleteSignature(f"Unsupported authorization algorithm '{match['algorithm']}'; expected {ALGORITHM}.")
    if not amz_date:
        raise IncompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    access_key, date, region, service = _parse_credential(match["credential"])
    return SignedRequest(
        access_key, date, region, service, amz_date, tuple(match["signed_headers"].split(";")),
        match["signature"], None, False,
    )


def _query_pairs(query_string: str) -> list[tuple[str, str]]:
    pairs = []
    for item in query_string.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
    return pairs


def _parse_presigned(query: Mapping[str, str]) -> SignedRequest:
    missing = [
        name
        for name in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
        if not query.get(name)
    ]
    if missing:
        raise IncompleteSignature(f"Presigned request requires {', '.join(missing)} query parameter(s).")
    if query.get("X-Amz-Algorithm") != ALGORITHM:
        raise IncompleteSignature(f"X-Amz-Algorithm must be {ALGORITHM}.")
    access_key, date, region, service = _parse_credential(query["X-Amz-Credential"])
    try:
        expires = int(query.get("X-Amz-Expires", "900"))
    except ValueError as error:
        raise IncompleteSignature("X-Amz-Expires must be a number of seconds.") from error
    return SignedRequest(
        access_key, date, region, service, query["X-Amz-Date"], tuple(query["X-Amz-SignedHeaders"].split(";")),
        query["X-Amz-Signature"], expires, True,
    )


def read_signature(request: WireRequest) -> SignedRequest | None:
    """The signature's claims, or None when the request carries no SigV4 signature at all."""
    authorization = request.header("authorization")
    if authorization:
        return _parse_authorization(authorization, request.header("x-amz-date") or request.header("date"))
    query = dict(_query_pairs(request.query_string))
    if "X-Amz-Signature" in query or "X-Amz-Credential" in query:
        return _parse_presigned(query)
    return None


def _epoch(amz_date: str) -> int:
    try:
        return timegm(strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError as error:
        raise IncompleteSignature(f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.") from error


def _canonical_query(request: WireRequest) -> str:
    pairs = [(k, v) for k, v in _query_pairs(request.query_string) if k != "X-Amz-Signature"]
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_request(request: WireRequest, signed: SignedRequest) -> str:
    helper = SigV4Auth(None, signed.service, signed.region)
    values: dict[str, list[str]] = {}
    for name, value in request.headers:
        values.setdefault(name, []).append(value)
    headers = "\n".join(
        f"{name}:{','.join(helper._header_value(v) for v in values.get(name, []))}" for name in signed.signed_headers
    )
    # The body's own hash, never the client's x-amz-content-sha256: that header would let a body altered after
    # signing keep the signature (a signed header that disagrees with the body fails the comparison all the same).
    payload = hashlib.sha256(request.body).hexdigest()
    return "\n".join(
        [
            request.method.upper(),
            helper._normalize_url_path(request.path),
            _canonical_query(request),
            headers + "\n",
            ";".join(signed.signed_headers),
            payload,
        ]
    )


def expected_signature(request: WireRequest, signed: SignedRequest, secret_key: str) -> str:
    helper = SigV4Auth(Credentials(signed.access_key_id, secret_key), signed.service, signed.region)
    scope = f"{signed.date}/{signed.region}/{signed.service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, signed.amz_date, scope, hashlib.sha256(canonical_request(request, signed).encode()).hexdigest()]
    )

    class _Context:  # the attributes SigV4Auth.signature reads
        context = {"timestamp": signed.amz_date}

    return helper.signature(string_to_sign, _Context())


SIGNING_NAME = service_model().signing_name
"""The service's SigV4 signing name, ``sms-voice`` (botocore's model: ``signingName``)."""


def verify(request: WireRequest, signed: SignedRequest | None, secrets: Mapping[str, str], now: float) -> None:
    """Strict verification: a known key, a fresh date and a matching signature, or AWS's error."""
    if signed is None:
        raise MissingAuthenticationToken("Missing Authentication Token")
    secret = secrets.get(signed.access_key_id)
    if secret is None:
        raise InvalidClientTokenId("The security token included in the request is invalid.")
    signed_at = _epoch(signed.amz_date)
    if not signed.amz_date.startswith(signed.date):
        raise InvalidSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.")
    if signed.presigned:
        if not 1 <= (signed.expires or 0) <= MAX_PRESIGNED_EXPIRES:
            raise IncompleteSignature(f"X-Amz-Expires must be between 1 and {MAX_PRESIGNED_EXPIRES} seconds.")
        if signed_at > now + MAX_SKEW_SECONDS:  # else a URL dated ahead would stay valid until then
            raise RequestExpired(
                f"Signature not yet current: {signed.amz_date} is later than the server time by more than 15 minutes."
            )
        if now > signed_at + (signed.expires or 0):
            raise RequestExpired(f"Request has expired. Signed at {signed.amz_date}, expires after {signed.expires} s.")
    elif abs(now - signed_at) > MAX_SKEW_SECONDS:
        raise RequestExpired(
            f"Signature expired: {signed.amz_date} is now earlier or later than the server time by more than 15 minutes."
        )
    if signed.service != SIGNING_NAME:  # a signature made for another service is not one for this one
        raise InvalidSignature(f"Credential should be scoped to correct service: '{SIGNING_NAME}'.")
    if "host" not in signed.signed_headers:
        raise IncompleteSignature("The host header must be signed.")
    if "x-amz-target" not in signed.signed_headers and request.header("x-amz-target") is not None:
        raise IncompleteSignature("The x-amz-target header must be signed.")  # it names the operation
    if not hmac.compare_digest(expected_signature(request, signed, secret).encode(), signed.signature.encode()):
        raise InvalidSignature(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )
