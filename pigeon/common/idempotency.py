"""ClientToken idempotency: the same token with the same request returns the first result.

Applied by the dispatcher to every operation whose input has an ``idempotencyToken`` member, so no
family writes it. A reused token with a different request answers ValidationException.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import sqlalchemy as sa

from pigeon.errors import FieldViolation, Invalid
from pigeon.service.context import Context
from pigeon.store.schema import idempotency


def request_hash(params: dict[str, Any], token_member: str) -> str:
    significant = {key: value for key, value in params.items() if key != token_member}
    return hashlib.sha256(orjson.dumps(significant, option=orjson.OPT_SORT_KEYS, default=repr)).hexdigest()


def previous(ctx: Context, token: str, digest: str, token_member: str) -> dict[str, Any] | None:
    """The stored response for this token, or None if it is new."""
    row = ctx.tx.execute(
        sa.select(idempotency.c.request_hash, idempotency.c.response).where(
            idempotency.c.account_id == ctx.scope.account_id,
            idempotency.c.region == ctx.scope.region,
            idempotency.c.operation == ctx.operation,
            idempotency.c.client_token == token,
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != digest:
        raise Invalid(
            "INVALID_REQUEST",
            "The ClientToken was already used with a different request.",
            [FieldViolation(token_member, "ClientToken reused with different parameters")],
        )
    return dict(row.response)


def remember(ctx: Context, token: str, digest: str, response: dict[str, Any]) -> None:
    ctx.tx.execute(
        idempotency.insert().values(
            account_id=ctx.scope.account_id,
            region=ctx.scope.region,
            operation=ctx.operation,
            client_token=token,
            request_hash=digest,
            response=response,
            created_at=ctx.now,
        )
    )
