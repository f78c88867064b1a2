"""The AWS API endpoint: ``POST /`` with ``X-Amz-Target``. Parse -> authenticate -> validate -> invoke.

Generic over operations: it reads the operation table from the model and hands validated params to
an ``invoke`` callable. It knows nothing about SMS.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NamedTuple

from pigeon.common.ids import request_id as request_id_factory
from pigeon.errors import InternalError, ServiceError, UnknownOperation
from pigeon.protocol import sigv4
from pigeon.protocol.model import operation, operation_names, target_prefix
from pigeon.protocol.validate import checker_for, validate
from pigeon.protocol.wire import error_response, json_response, parse_body
from pigeon.scope import Scope, account_for_access_key

log = logging.getLogger("pigeon.api")

Response = tuple[int, list[tuple[bytes, bytes]], bytes]


class AfterCommit(NamedTuple):
    """An operation's output that may be answered only once ``commit`` has completed (a group commit)."""

    output: dict[str, Any]
    commit: Awaitable[None]


class Pending(NamedTuple):
    """A response waiting for its operation's commit: ``await ApiHandler.settle(pending)``."""

    response: Response
    commit: Awaitable[None]
    request_id: str


Invoke = Callable[[str, Scope, dict[str, Any], str], "dict[str, Any] | AfterCommit"]


class ApiHandler:
    """Turns one wire request into one wire response; never raises."""

    def __init__(
        self,
        invoke: Invoke,
        default_region: str,
        credentials: Mapping[str, tuple[str, str]] | None,
        now: Callable[[], float],
    ) -> None:
        self._invoke = invoke
        self._default_region = default_region
        self._credentials = credentials  # access key -> (secret, account id); None: permissive
        self._secrets = {key: secret for key, (secret, _) in (credentials or {}).items()}
        self._now = now
        prefix = target_prefix() + "."
        self._targets = {prefix + name: name for name in operation_names()}
        self._inputs = {name: operation(name).input_shape for name in operation_names()}
        for shape in self._inputs.values():
            checker_for(shape)  # compile every checker at start-up, not on the hot path

    def authenticate(self, request: sigv4.WireRequest) -> Scope:
        signed = sigv4.read_signature(request)
        if self._credentials is not None:
            sigv4.verify(request, signed, self._secrets, self._now())
            assert signed is not None
            return Scope(self._credentials[signed.access_key_id][1], signed.region)
        if signed is None:
            return Scope(account_for_access_key(""), self._default_region)
        return Scope(account_for_access_key(signed.access_key_id), signed.region or self._default_region)

    def handle(self, request: sigv4.WireRequest) -> Response | Pending:
        """The response, or (an operation that committed in a group) a ``Pending`` one to ``settle``."""
        request_id = request_id_factory()
        try:
            scope = self.authenticate(request)
            target = request.header("x-amz-target") or ""
            name = self._targets.get(target)
            if name is None:
                raise UnknownOperation(f"Unknown operation {target or '(no X-Amz-Target header)'}")
            params = validate(self._inputs[name], parse_body(request.body))
            result = self._invoke(name, scope, params, request_id)
            if type(result) is AfterCommit:
                return Pending(json_response(result.output, request_id), result.commit, request_id)
            return json_response(result, request_id)  # type: ignore[arg-type]
        except ServiceError as error:
            if error.status >= 500:
                log.error("request %s failed: %s", request_id, error.message)
            return error_response(error, request_id)
        except Exception:  # noqa: BLE001 - the one place that turns surprises into a 500
            log.exception("request %s failed unexpectedly", request_id)
            return error_response(InternalError("An internal error occurred.", request_id), request_id)

    @staticmethod
    async def settle(pending: Pending) -> Response:
        """The pending response once its commit is done; an InternalServerException if the commit failed."""
        try:
            await pending.commit
        except ServiceError as error:  # a failed commit that says why (the database unavailable): not accepted
            log.error("request %s failed to commit: %s", pending.request_id, error.message)
            if type(error) is InternalError:  # one error for a group's requests: each gets its own RequestId
                error = InternalError(error.message, pending.request_id)
            return error_response(error, pending.request_id)
        except Exception:  # noqa: BLE001 - a failed commit: nothing was accepted
            log.exception("request %s failed to commit", pending.request_id)
            return error_response(InternalError("An internal error occurred.", pending.request_id), pending.request_id)
        return pending.response
