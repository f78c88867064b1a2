"""Inspection API under ``/_pigeon``: a public interface (see DESIGN.md). Extend, don't rename."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pigeon import __version__
from pigeon.admin.deliveries import routes as delivery_routes
from pigeon.admin.http import RefuseNul, error, json
from pigeon.admin.http import document as read_document
from pigeon.admin.inbound import routes as inbound_routes
from pigeon.admin.messages import routes as message_routes
from pigeon.errors import FieldViolation, InternalError, Invalid, ServiceError
from pigeon.runtime import Runtime
from pigeon.settings import ACCOUNT_TIERS
from pigeon.store import accounts
from pigeon.store.database_file import DatabaseUnavailable

_ACCOUNT_ID = re.compile(r"[0-9]{12}")
SIMULATOR_CONNECTION = {"Name": "simulator", "Type": "simulator", "State": "READY"}


def build_admin(runtime: Runtime) -> Starlette:
    async def health(_: Request) -> Response:
        with runtime.store.transaction(write=False) as tx:
            tx.exec_driver_sql("SELECT 1")
        return json({"Status": "OK", "Version": __version__, "Time": runtime.clock.now()})

    async def put_account(request: Request) -> Response:
        account_id = request.path_params["account_id"]
        try:
            if not _ACCOUNT_ID.fullmatch(account_id):
                raise Invalid("INVALID_PARAMETER", "Account ids are 12 digits", [FieldViolation("AccountId", "Must be 12 digits")])
            tier = (await read_document(request)).get("AccountTier")
            if tier not in ACCOUNT_TIERS:
                raise Invalid(
                    "FIELD_VALIDATION_FAILED",
                    f"AccountTier must be one of {', '.join(ACCOUNT_TIERS)}",
                    [FieldViolation("AccountTier", f"Must be one of {', '.join(ACCOUNT_TIERS)}")],
                )
        except ServiceError as err:
            return error(err)
        with runtime.store.transaction(write=True) as tx:
            accounts.set_tier(tx, account_id, tier, runtime.clock.now())
        return json({"AccountId": account_id, "AccountTier": tier})

    async def get_account(request: Request) -> Response:
        account_id = request.path_params["account_id"]
        with runtime.store.transaction(write=False) as tx:
            tier = runtime.account_tier(tx, account_id)
        return json({"AccountId": account_id, "AccountTier": tier})

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            if not runtime.settings.clock_control:
                return error(Invalid("INVALID_REQUEST", "Clock control is off; start Pigeon with --clock-control"))
            try:
                seconds = (await read_document(request)).get("AdvanceSeconds")
                if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                    raise Invalid("FIELD_VALIDATION_FAILED", "AdvanceSeconds must be a number >= 0",
                                  [FieldViolation("AdvanceSeconds", "Must be a number >= 0")])
            except ServiceError as err:
                return error(err)
            runtime.clock.advance(float(seconds))
        return json({"Now": runtime.clock.now(), "OffsetSeconds": runtime.clock.offset_seconds})

    async def review_registration(request: Request) -> Response:
        """An operator's decision on a submitted registration version (see service/registrations/review.py)."""
        from pigeon.service.registrations.review import review_registration as decide

        try:
            document = await read_document(request)
            return json(decide(runtime, request.path_params["registration_id"], document.get("Decision"),
                               document.get("Reason"), document.get("FieldReasons")))
        except ServiceError as err:
            return error(err)

    async def review_rcs_country(request: Request) -> Response:
        """An operator's decision on an RCS agent's launch in one country (see service/rcs_agents.py)."""
        from pigeon.service.rcs_agents import review_country

        try:
            document = await read_document(request)
            return json(review_country(runtime, request.path_params["agent_id"], request.path_params["iso"],
                                       document))
        except ServiceError as err:
            return error(err)

    async def connections(_: Request) -> Response:
        """Carrier connections of every process (pigeon/messaging/connection_status.py), the simulator first."""
        from pigeon.messaging import connection_status

        return json({"Connections": [SIMULATOR_CONNECTION, *connection_status.read(runtime.store)]})

    routes = [
        Route("/_pigeon/health", health, methods=["GET"]),
        Route("/_pigeon/connections", connections, methods=["GET"]),
        Route("/_pigeon/registrations/{registration_id:path}/review", review_registration, methods=["POST"]),
        Route("/_pigeon/rcs-agents/{agent_id:path}/countries/{iso}/review", review_rcs_country, methods=["POST"]),
        Route("/_pigeon/accounts/{account_id}", put_account, methods=["PUT"]),
        Route("/_pigeon/accounts/{account_id}", get_account, methods=["GET"]),
        Route("/_pigeon/clock", clock, methods=["GET", "POST"]),
        *message_routes(runtime),
        *inbound_routes(runtime),
        *delivery_routes(runtime),
    ]
    async def unavailable(_: Request, failure: Exception) -> Response:
        """The database unavailable (pigeon/store/database_file.py): 503, so a health check sees it."""
        return error(InternalError(str(failure)), 503)

    return Starlette(routes=routes, middleware=[Middleware(RefuseNul)],
                     exception_handlers={DatabaseUnavailable: unavailable})
