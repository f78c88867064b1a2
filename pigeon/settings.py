"""One typed Settings object, built once from flags > PIGEON_* environment > config file > defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from pigeon import cpu_affinity
from pigeon.carriers import routing, simulator

ACCOUNT_TIERS = ("SANDBOX", "PRODUCTION")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8090
    data_dir: Path = Path(".pigeon")
    database_url: str | None = None
    credentials_file: Path | None = None
    default_account_tier: str = "PRODUCTION"
    default_region: str = "us-east-1"
    clock_control: bool = False
    """Allow POST /_pigeon/clock to move the clock forward (tests, demos). Off in production."""
    log_level: str = "info"
    quotas: Mapping[str, int] = field(default_factory=dict)
    """Overrides of the account quotas in data/quotas.yaml, by AccountLimitName or quota name."""
    spend_max_limits: Mapping[str, int] = field(default_factory=dict)
    """Overrides of the monthly spend MaxLimit (USD) per SpendLimitName."""
    registration_auto_approve_seconds: float | None = None
    """Approve submitted registration versions by themselves this many seconds after submission (developers;
    default off: an operator reviews through POST /_pigeon/registrations/{id}/review)."""
    aws_endpoint_url: str | None = None
    """Endpoint for Pigeon's outbound AWS calls (real AWS when unset; LocalStack or moto when set)."""
    s3_endpoint_url: str | None = None
    """Endpoint for S3 only (e.g. MinIO); falls back to aws_endpoint_url."""
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    """Credentials for outbound AWS calls (boto3's own chain when unset)."""
    aws_region: str | None = None
    """Region for outbound AWS calls that do not name one (default: default_region)."""
    inbound_webhook_url: str | None = None
    """Every inbound message (handset -> any of our numbers) is POSTed here as AWS's two-way JSON, signed with
    ``inbound_webhook_secret`` (see pigeon/inbound/webhook.py and docs/operators-guide.md); off when unset."""
    inbound_webhook_secret: str | None = None
    number_inventory: Mapping[str, Any] = field(default_factory=dict)
    """Operators' phone numbers: ISO country -> NumberType -> list of blocks ``{connection, numbers: [E.164],
    ranges: [[first, last]], capabilities}``. A country and type with blocks allocates only from them (see
    pigeon/service/inventory.py); without, Pigeon makes up valid-looking numbers (developer default)."""
    simulator_rules: Sequence[Mapping[str, Any]] = ()
    """Simulated carrier outcomes by destination prefix, e.g. ``[{prefix: "+4477009", status: UNREACHABLE}]``;
    ``transient: true`` makes the carrier refuse for now (retried until the TTL). See pigeon/carriers/simulator.py."""
    simulator_failure_status: str | None = None
    """Status of AWS's failure simulator numbers (default from data/simulator.yaml: BLOCKED)."""
    carriers: Sequence[Mapping[str, Any]] = ()
    """Real carrier connections, each ``{name, type: smpp | sip, ...}`` (docs/configuration.md, "Carriers");
    none by default: every message goes to the simulator."""
    routes: Sequence[Mapping[str, Any]] = ()
    """Which carrier takes a message, first match wins: ``[{carrier: uk-smsc, destination_prefixes: ["+44"]}]``
    (pigeon/carriers/routing.py). Simulator numbers always go to the simulator."""
    mps: Mapping[str, float] = field(default_factory=dict)
    """Message parts per second by NumberType or by identity (E.164 / sender ID), over data/throughput.yaml."""
    dispatcher: bool = True
    """Run the dispatcher inside ``pigeon serve`` (off when separate ``pigeon worker`` processes deliver)."""
    dispatch_batch_size: int = 200
    dispatch_lease_seconds: int = 30
    """A claimed message not finished within the lease is taken again by a worker (crash recovery)."""
    database_lock_timeout_seconds: float = 5.0
    """SQLite: how long a transaction waits for a lock another program holds on the database file before its
    request gets InternalServerException (docs/decisions.md, "Reliability suite")."""
    cpu_affinity: str = "auto"
    """Keep ``pigeon serve`` / ``pigeon worker`` on one CPU: ``auto`` (a CPU no other Pigeon process holds),
    ``none``, or a CPU number. See pigeon/cpu_affinity.py."""

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pigeon.db').resolve()}"

    def __post_init__(self) -> None:
        if self.default_account_tier not in ACCOUNT_TIERS:
            raise ValueError(f"default_account_tier must be one of {ACCOUNT_TIERS}")
        if not 0 < self.database_lock_timeout_seconds <= 3600:
            raise ValueError("database_lock_timeout_seconds must be more than 0 and at most 3600")
        cpu_affinity.validate(self.cpu_affinity)
        simulator.parse_rules(self.simulator_rules)
        simulator.check_failure_status(self.simulator_failure_status)
        routing.check(self.carriers, self.routes)


_PATHS = {"data_dir", "credentials_file"}
_INTS = {"port"}
_BOOLS = {"clock_control"}
_FLOATS = {"registration_auto_approve_seconds", "database_lock_timeout_seconds"}
_MAPPINGS = {"number_inventory"}


_INTS |= {"dispatch_batch_size", "dispatch_lease_seconds"}
_BOOLS |= {"dispatcher"}
_STRS = {"cpu_affinity"}  # YAML reads ``cpu_affinity: 1`` as a number
_MAPPINGS |= {"simulator_rules", "mps", "quotas", "spend_max_limits", "carriers", "routes"}


def _coerce(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _PATHS:
        return Path(value)
    if name in _STRS:
        return str(value)
    if name in _INTS:
        return int(value)
    if name in _FLOATS:
        return float(value)
    if name in _MAPPINGS and isinstance(value, str):
        return yaml.safe_load(value) or {}
    if name in _BOOLS:
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
    return value


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Merge the sources in precedence order; unknown keys in the file are an error, not a surprise."""
    environ = os.environ if environ is None else environ
    known = {f.name for f in fields(Settings)}
    merged: dict[str, Any] = {}
    config_file = config_file or (Path(environ["PIGEON_CONFIG"]) if environ.get("PIGEON_CONFIG") else None)
    if config_file:
        loaded = yaml.safe_load(config_file.read_text()) or {}
        unknown = set(loaded) - known
        if unknown:
            raise ValueError(f"unknown settings in {config_file}: {', '.join(sorted(unknown))}")
        merged.update(loaded)
    for name in known:
        env_value = environ.get(f"PIGEON_{name.upper()}")
        if env_value is not None:
            merged[name] = env_value
    for name, value in (flags or {}).items():
        if value is not None and name in known:
            merged[name] = value
    coerced = {}
    for name, value in merged.items():
        try:
            coerced[name] = _coerce(name, value)
        except (TypeError, ValueError, yaml.YAMLError) as error:
            raise ValueError(f"setting {name}: {error}") from None
    return Settings(**coerced)
