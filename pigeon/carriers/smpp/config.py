"""One SMSC connection's settings (a ``carriers:`` entry of ``type: smpp``), checked once at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

BIND_MODES = ("transceiver", "transmitter_receiver")
LONG_MESSAGE_METHODS = ("udh", "sar", "payload")


@dataclass(frozen=True)
class SmppConfig:
    name: str
    host: str
    port: int = 2775
    system_id: str = ""
    password: str = ""
    system_type: str = ""
    bind_mode: str = "transceiver"
    """``transceiver``: each bind sends and receives; ``transmitter_receiver``: each bind is a transmitter plus a
    receiver (two connections)."""
    binds: int = 1
    """Connections to this SMSC that share the load (each with its own window)."""
    tls: bool = False
    tls_verify: bool = True
    tls_ca_file: str | None = None
    window: int = 10
    """Outstanding submit_sm per bind (waiting for their submit_sm_resp)."""
    max_messages_per_second: float = 0.0
    """Submits per second over all binds of this connection (0: no limit but the window)."""
    enquire_link_seconds: float = 30.0
    response_timeout_seconds: float = 10.0
    """How long a submit_sm (or a bind, or an enquire_link) may wait for its answer before the link counts as dead."""
    reconnect_initial_seconds: float = 1.0
    reconnect_max_seconds: float = 30.0
    throttle_pause_seconds: float = 1.0
    """A bind answered ESME_RTHROTTLED / ESME_RMSGQFUL sends nothing for this long (doubling while it repeats)."""
    source_ton: int | None = None
    source_npi: int | None = None
    """Default source TON/NPI; unset: 1/1 (international/ISDN) for E.164, 5/0 (alphanumeric) for sender IDs,
    3/0 for short codes."""
    destination_ton: int = 1
    destination_npi: int = 1
    long_message_method: str = "udh"
    """``udh`` (concatenation header, IE 0x00), ``sar`` (sar_* TLVs) or ``payload`` (one submit_sm with message_payload)."""
    registered_delivery: int = 1
    """SMPP registered_delivery: 1 asks for a receipt of the final outcome, 0 for none (the message then ends at TTL)."""
    gsm_data_coding: int = 0
    """data_coding of GSM 03.38 texts: 0 (the SMSC default alphabet, usually GSM) or 1 (IA5) as the SMSC wants."""
    validity_period: bool = True
    """Send the message's TimeToLive as an absolute validity_period."""

    @property
    def sessions(self) -> int:
        return self.binds * (2 if self.bind_mode == "transmitter_receiver" else 1)


_INTS = {"port", "binds", "window", "source_ton", "source_npi", "destination_ton", "destination_npi",
         "registered_delivery", "gsm_data_coding"}
_FLOATS = {"max_messages_per_second", "enquire_link_seconds", "response_timeout_seconds",
           "reconnect_initial_seconds", "reconnect_max_seconds", "throttle_pause_seconds"}
_BOOLS = {"tls", "tls_verify", "validity_period"}


def parse_config(raw: Mapping[str, Any]) -> SmppConfig:
    """The typed settings of one SMPP carrier; ValueError (one line naming the carrier) when they cannot work."""
    name = raw.get("name", "?")
    known = {f.name for f in fields(SmppConfig)} | {"type"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"carrier {name}: unknown SMPP settings {', '.join(unknown)}")
    if not raw.get("host"):
        raise ValueError(f"carrier {name}: needs the SMSC's host")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "type" or value is None:
            continue
        try:
            if key in _INTS:
                value = int(value)
            elif key in _FLOATS:
                value = float(value)
            elif key in _BOOLS:
                value = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
            else:
                value = str(value)
        except (TypeError, ValueError):
            raise ValueError(f"carrier {name}: {key} must be a number") from None
        values[key] = value
    config = SmppConfig(**values)
    _check(config)
    return config


def _check(config: SmppConfig) -> None:
    problems = []
    if config.bind_mode not in BIND_MODES:
        problems.append(f"bind_mode is one of {', '.join(BIND_MODES)}")
    if config.long_message_method not in LONG_MESSAGE_METHODS:
        problems.append(f"long_message_method is one of {', '.join(LONG_MESSAGE_METHODS)}")
    if not 1 <= config.port <= 65535:
        problems.append("port is 1-65535")
    if not 1 <= config.binds <= 64:
        problems.append("binds is 1-64")
    if not 1 <= config.window <= 1000:
        problems.append("window is 1-1000")
    if len(config.system_id) > 15 or len(config.password) > 8 or len(config.system_type) > 12:
        problems.append("system_id, password and system_type are at most 15, 8 and 12 characters (SMPP 3.4)")
    if config.max_messages_per_second < 0 or config.enquire_link_seconds <= 0 or config.response_timeout_seconds <= 0:
        problems.append("rates and intervals are positive")
    if config.gsm_data_coding not in (0, 1):
        problems.append("gsm_data_coding is 0 or 1")
    if problems:
        raise ValueError(f"carrier {config.name}: " + "; ".join(problems))
