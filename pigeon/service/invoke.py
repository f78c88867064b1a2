"""One path per request on the service side: one transaction, idempotency, the handler, the output shape."""

from __future__ import annotations

from functools import cache
from typing import Any

from pigeon.common import idempotency
from pigeon.errors import InternalError, NotImplementedYet
from pigeon.protocol.handler import AfterCommit
from pigeon.protocol.model import operation
from pigeon.protocol.serialize import serialize
from pigeon.scope import Scope
from pigeon.service.context import Context, Params
from pigeon.service.registry import OPERATIONS
from pigeon.store.database_file import DatabaseUnavailable


@cache
def _output_shape(name: str) -> Any:
    return operation(name).output_shape


@cache
def _token_member(name: str) -> str | None:
    shape = operation(name).input_shape
    if shape is None:
        return None
    for member, member_shape in shape.members.items():
        if member_shape.metadata.get("idempotencyToken"):
            return member
    return None


def invoke(runtime: Any, name: str, scope: Scope, params: Params, request_id: str) -> dict[str, Any] | AfterCommit:
    """Run operation ``name`` in one transaction and return its wire-shaped output (to be sent once the
    group commit of its queued messages is done, when there is one)."""
    registered = OPERATIONS.get(name)
    if registered is None:
        raise NotImplementedYet(name)
    output_shape = _output_shape(name)
    ctx = Context(scope, runtime, name, request_id, runtime.clock.now(), registered.writes, registered.sends)
    try:
        wire = _run(ctx, registered, params, output_shape)
    except BaseException as error:
        ctx.finish(error)
        if isinstance(error, DatabaseUnavailable):
            raise InternalError(str(error), request_id) from error
        raise
    try:
        pending = ctx.finish()
    except DatabaseUnavailable as error:
        raise InternalError(str(error), request_id) from error
    return wire if pending is None else AfterCommit(wire, pending)


def _run(ctx: Context, registered: Any, params: Params, output_shape: Any) -> dict[str, Any]:
    if registered.writes:
        ctx.runtime.ensure_account(ctx.tx, ctx.scope.account_id)
    token_member = _token_member(ctx.operation)
    token = params.get(token_member) if token_member else None
    if token:
        digest = idempotency.request_hash(params, token_member)  # type: ignore[arg-type]
        earlier = idempotency.previous(ctx, token, digest, token_member)  # type: ignore[arg-type]
        if earlier is not None:
            return earlier
    wire = serialize(output_shape, registered.handler(ctx, params))
    if token:
        idempotency.remember(ctx, token, digest, wire)
    return wire
