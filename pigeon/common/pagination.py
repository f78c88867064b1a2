"""Opaque NextToken pagination with MaxResults bounds, written once for every Describe/List.

A token names the last item of the previous page and is bound by an HMAC to the server secret, the
scope and the operation: a forged, altered or foreign token answers ValidationException
INVALID_NEXT_TOKEN.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import orjson

from pigeon.errors import Invalid
from pigeon.service.context import Context

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100


def _mac(ctx: Context, payload: bytes) -> str:
    key = ctx.runtime.secret("pagination")
    binding = f"{ctx.scope.account_id}|{ctx.scope.region}|{ctx.operation}|".encode()
    return hmac.new(key, binding + payload, hashlib.sha256).hexdigest()[:32]


def encode_token(ctx: Context, position: Any) -> str:
    payload = orjson.dumps(position)
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _mac(ctx, payload)


def decode_token(ctx: Context, token: str) -> Any:
    try:
        body, mac = token.rsplit(".", 1)
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if hmac.compare_digest(mac.encode(), _mac(ctx, payload).encode()):  # bytes: the token may be non-ASCII
            return orjson.loads(payload)
    except (ValueError, orjson.JSONDecodeError):
        pass
    raise Invalid.field("NextToken", "The NextToken is not valid.", reason="INVALID_NEXT_TOKEN")


def page(
    ctx: Context,
    items: Sequence[T],
    next_token: str | None,
    max_results: int | None,
    key: Callable[[T], Any],
    default_size: int = DEFAULT_PAGE_SIZE,
) -> tuple[list[T], str | None]:
    """One page of ``items`` (already in ``key`` order) after the token's position, and the next token."""
    size = max_results or default_size
    start = 0
    if next_token:
        position = decode_token(ctx, next_token)
        start = next((index for index, item in enumerate(items) if key(item) > position), len(items))
    chunk = list(items[start : start + size])
    more = start + size < len(items)
    return chunk, (encode_token(ctx, key(chunk[-1])) if more and chunk else None)


def page_of(
    ctx: Context, params: Mapping[str, Any], items: Sequence[T], key: Callable[[T], Any] | None = None
) -> tuple[list[T], str | None]:
    """``page`` with the request's own NextToken and MaxResults (``key`` defaults to insertion order)."""
    return page(ctx, items, params.get("NextToken"), params.get("MaxResults"), key or by_seq)


def by_seq(record: Any) -> int:
    """The usual key: a stored record's insertion order."""
    return record.seq


def page_query(
    ctx: Context,
    fetch: Callable[[Any, int], Sequence[T]],
    next_token: str | None,
    max_results: int | None,
    key: Callable[[T], Any],
    default_size: int = DEFAULT_PAGE_SIZE,
) -> tuple[list[T], str | None]:
    """One page fetched by the store: ``fetch(position_after, limit)`` returns items in ``key`` order.

    For collections too large to load whole; one extra item is fetched to know whether a next page exists.
    Tokens are the same as ``page``'s (the last item's key), so both kinds can serve one operation.
    """
    size = max_results or default_size
    position = decode_token(ctx, next_token) if next_token else None
    items = list(fetch(position, size + 1))
    chunk = items[:size]
    return chunk, (encode_token(ctx, key(chunk[-1])) if len(items) > size and chunk else None)
