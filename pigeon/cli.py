"""Command line: ``pigeon serve``, ``pigeon worker``, ``pigeon coverage``, ``pigeon account``, ``pigeon inbound``,
``pigeon connections``."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from pigeon import cpu_affinity
from pigeon.settings import ACCOUNT_TIERS, Settings, load_settings


def _account_id(value: str) -> str:
    if len(value) != 12 or not value.isdigit():
        raise argparse.ArgumentTypeError("an account id is exactly 12 digits")
    return value


def _serve_parser(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the AWS API, the inspection API and the inbox on one port")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--data-dir", dest="data_dir", type=Path)
    serve.add_argument("--database-url", dest="database_url", help="e.g. postgresql://user@host/db (default: SQLite in the data dir)")
    serve.add_argument("--credentials", dest="credentials_file", type=Path, help="verify SigV4 strictly with these keys")
    serve.add_argument("--default-account-tier", dest="default_account_tier", choices=ACCOUNT_TIERS)
    serve.add_argument("--default-region", dest="default_region")
    serve.add_argument("--clock-control", dest="clock_control", action="store_const", const=True,
                       help="allow POST /_pigeon/clock to move time forward (tests)")
    serve.add_argument("--log-level", dest="log_level")
    serve.add_argument("--config", type=Path, help="a YAML settings file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pigeon", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    _serve_parser(commands)
    coverage = commands.add_parser("coverage", help="which operations of the service model are implemented")
    coverage.add_argument("--missing", action="store_true", help="list the operations not implemented yet")
    worker = commands.add_parser("worker", help="deliver queued messages (several workers may share PostgreSQL)")
    worker.add_argument("--data-dir", dest="data_dir", type=Path)
    worker.add_argument("--database-url", dest="database_url")
    worker.add_argument("--log-level", dest="log_level")
    worker.add_argument("--config", type=Path)
    account = commands.add_parser("account", help="set an account's tier in the store")
    account.add_argument("account_id", type=_account_id)
    account.add_argument("--tier", choices=ACCOUNT_TIERS, required=True)
    account.add_argument("--data-dir", dest="data_dir", type=Path)
    account.add_argument("--database-url", dest="database_url")
    account.add_argument("--config", type=Path)
    review = commands.add_parser("registration-review", help="approve or deny a submitted registration version")
    review.add_argument("registration_id", help="registration id or ARN")
    review.add_argument("--decision", choices=["APPROVE", "DENY"], required=True)
    review.add_argument("--reason", help="why a version is denied (shown in DeniedReasons)")
    review.add_argument("--data-dir", dest="data_dir", type=Path)
    review.add_argument("--database-url", dest="database_url")
    review.add_argument("--config", type=Path)
    inbound = commands.add_parser("inbound", help="a handset's message to one of our numbers (keywords, opt-out, "
                                  "automatic response, two-way forwarding)")
    inbound.add_argument("--from", dest="origination_number", required=True, help="the handset, E.164")
    inbound.add_argument("--to", dest="destination_number", required=True, help="one of our numbers, E.164")
    inbound.add_argument("--body", dest="message_body", required=True)
    inbound.add_argument("--data-dir", dest="data_dir", type=Path)
    inbound.add_argument("--database-url", dest="database_url")
    inbound.add_argument("--config", type=Path)
    connections = commands.add_parser("connections", help="carrier connections (SMPP binds, SIP trunks) of every process")
    connections.add_argument("--json", action="store_true", help="print the entries as JSON")
    connections.add_argument("--data-dir", dest="data_dir", type=Path)
    connections.add_argument("--database-url", dest="database_url")
    connections.add_argument("--config", type=Path)
    return parser


_CONNECTION_COLUMNS = ("Name", "Type", "Bind", "Mode", "State", "InFlight", "Submitted", "Accepted", "Refused",
                       "Throttled", "ReceiptsReceived", "InboundReceived", "LastError")


def _connections(args: argparse.Namespace) -> int:
    import json

    from pigeon.messaging import connection_status
    from pigeon.runtime import Runtime

    runtime = Runtime(_settings(args))
    runtime.start()
    try:
        entries = connection_status.read(runtime.store)
    finally:
        runtime.close()
    if args.json:
        print(json.dumps({"Connections": entries}))
        return 0
    if not entries:
        print("no carrier connections (every message goes to the simulator, or no process is running)")
        return 0
    rows = [[str(entry.get(column, "") if entry.get(column) is not None else "") for column in _CONNECTION_COLUMNS]
            for entry in entries]
    widths = [max(len(column), *(len(row[i]) for row in rows)) for i, column in enumerate(_CONNECTION_COLUMNS)]
    for row in [list(_CONNECTION_COLUMNS), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def _inbound(args: argparse.Namespace) -> int:
    import json

    from pigeon.errors import ServiceError
    from pigeon.inbound.receive import receive
    from pigeon.runtime import Runtime

    runtime = Runtime(_settings(args))
    runtime.start()
    try:
        result = receive(runtime, args.origination_number, args.destination_number, args.message_body)
    except ServiceError as err:
        print(json.dumps(err.body()), file=sys.stderr)
        return 1
    finally:
        runtime.close()
    print(json.dumps(result.view()))
    return 0


@contextmanager
def _bad_settings_end_the_command() -> Iterator[None]:
    """A bad setting, settings file or CPU ends the command with one line saying what is wrong."""
    try:
        yield
    except (ValueError, OSError, yaml.YAMLError) as error:
        raise SystemExit(f"pigeon: {error}") from None


def _settings(args: argparse.Namespace) -> Settings:
    with _bad_settings_end_the_command():
        return load_settings(vars(args), config_file=getattr(args, "config", None))


def _pin_cpu(settings: Settings) -> None:
    """Keep this process on one CPU (``cpu_affinity``)."""
    with _bad_settings_end_the_command():
        cpu_affinity.apply(settings.cpu_affinity)


def serve(settings: Settings) -> int:
    import uvicorn

    from pigeon.app import build_app
    from pigeon.http_protocol import CoalescingHttpToolsProtocol
    from pigeon.runtime import Runtime

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    _pin_cpu(settings)
    runtime = Runtime(settings)
    runtime.start()
    app = build_app(runtime)
    # The service model and compiled checkers are long-lived: keep the garbage collector from re-scanning them.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level=settings.log_level,
        access_log=False, loop="uvloop", http=CoalescingHttpToolsProtocol, lifespan="on",
        proxy_headers=False,  # Pigeon reads no client address: no X-Forwarded-* rewriting on every request
    )
    return 0


def _registration_review(args: argparse.Namespace) -> int:
    import json

    from pigeon.errors import ServiceError
    from pigeon.runtime import Runtime
    from pigeon.service import load_families
    from pigeon.service.registrations.review import review_registration

    load_families()
    runtime = Runtime(_settings(args))
    runtime.start()
    try:
        print(json.dumps(review_registration(runtime, args.registration_id, args.decision, args.reason)))
    except ServiceError as err:
        print(json.dumps(err.body()), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(_settings(args))
    if args.command == "worker":
        from pigeon.messaging.worker import run_worker
        from pigeon.runtime import Runtime

        settings = _settings(args)
        logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
        _pin_cpu(settings)
        runtime = Runtime(settings)
        runtime.start()
        return run_worker(runtime)
    if args.command == "coverage":
        from pigeon.coverage import report

        print(report(show_missing=args.missing))
        return 0
    if args.command == "account":
        from pigeon.runtime import Runtime
        from pigeon.store import accounts

        runtime = Runtime(_settings(args))
        runtime.start()
        with runtime.store.transaction() as tx:
            accounts.set_tier(tx, args.account_id, args.tier, runtime.clock.now())
        print(f"{args.account_id}: {args.tier}")
        return 0
    if args.command == "registration-review":
        return _registration_review(args)
    if args.command == "inbound":
        return _inbound(args)
    if args.command == "connections":
        return _connections(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
