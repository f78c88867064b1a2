"""A SIP carrier's settings (``carriers: [{name, type: sip, host, ...}]``), checked when the settings are read.

Pure Python: importable (and the settings checkable) without the SIP library installed.
"""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TRANSPORTS = ("udp", "tcp", "tls")
CODECS = ("PCMU", "PCMA")
MAX_CALLS_PER_PROCESS = 100
"""A carrier's calls at once in one dispatching process (25 call processes of 4)."""
TEMPLATE_FIELDS = frozenset({"origination", "origination_digits", "destination", "destination_digits", "host",
                             "port"})
_KEYS = {"name", "type", "host", "port", "transport", "username", "password", "realm", "caller_id", "from_domain",
         "request_uri", "codecs", "max_concurrent_calls", "ring_timeout_seconds", "tail_seconds", "local_address",
         "local_port", "public_address", "rtp_ports", "tls_verify_server", "tls_ca_file"}


@dataclass(frozen=True)
class SipConfig:
    name: str
    host: str
    port: int
    transport: str = "udp"
    username: str | None = None
    password: str | None = None
    realm: str = "*"
    caller_id: str = "{origination}"
    """Template of the calling party (From user): ``{origination}`` (the default), a fixed number, or e.g.
    ``"{origination_digits}"``."""
    from_domain: str = ""
    request_uri: str = "sip:{destination}@{host}:{port}"
    codecs: tuple[str, ...] = CODECS
    max_concurrent_calls: int = 10
    ring_timeout_seconds: float = 30.0
    tail_seconds: float = 0.5
    local_address: str = ""
    """The address SIP and RTP bind to (empty: every interface)."""
    local_port: int = 0
    """The local SIP port (0: any free port)."""
    public_address: str = ""
    """The address announced in Contact and SDP when it differs from ``local_address`` (NAT)."""
    rtp_ports: tuple[int, int] = (16384, 32767)
    tls_verify_server: bool = True
    tls_ca_file: str = ""

    def caller(self, origination: str, destination: str) -> str:
        return self.caller_id.format(**self._fields(origination, destination))

    def target(self, origination: str, destination: str) -> str:
        uri = self.request_uri.format(**self._fields(origination, destination))
        if self.transport != "udp" and "transport=" not in uri:
            uri += f";transport={self.transport}"
        return uri

    def from_uri(self, origination: str, destination: str) -> str:
        scheme = "sips" if self.transport == "tls" else "sip"
        return f"{scheme}:{self.caller(origination, destination)}@{self.from_domain or self.host}"

    def _fields(self, origination: str, destination: str) -> dict[str, Any]:
        return {"origination": origination, "origination_digits": origination.lstrip("+"),
                "destination": destination, "destination_digits": destination.lstrip("+"),
                "host": _uri_host(self.host), "port": self.port}


def _uri_host(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def parse_config(raw: Mapping[str, Any]) -> SipConfig:
    """The typed settings of one SIP carrier; ValueError with one line naming what is wrong."""
    name = raw.get("name")
    where = f"carrier {name}"
    unknown = set(raw) - _KEYS
    if unknown:
        raise ValueError(f"{where}: unknown setting {', '.join(sorted(unknown))} (known: {', '.join(sorted(_KEYS))})")
    host = raw.get("host")
    if not isinstance(host, str) or not host.strip():
        raise ValueError(f"{where}: needs host (the SIP trunk or peer, e.g. host: sip.example.net)")
    transport = str(raw.get("transport", "udp")).lower()
    if transport not in TRANSPORTS:
        raise ValueError(f"{where}: transport is one of {', '.join(TRANSPORTS)}, not {raw.get('transport')!r}")
    port = _int(raw.get("port", 5061 if transport == "tls" else 5060), f"{where}: port", 1, 65535)
    username, password = raw.get("username"), raw.get("password")
    if (username is None) != (password is None) or not all(v is None or isinstance(v, str) for v in (username, password)):
        raise ValueError(f"{where}: username and password go together (digest authentication), as strings")
    codecs = raw.get("codecs", list(CODECS))
    if isinstance(codecs, str):
        codecs = [codecs]
    if not isinstance(codecs, list) or not codecs or any(str(c).upper() not in CODECS for c in codecs):
        raise ValueError(f"{where}: codecs is a non-empty list of {', '.join(CODECS)}, in order of preference")
    caller_id = str(raw.get("caller_id", "origination"))
    if caller_id == "origination":
        caller_id = "{origination}"
    for label, template in (("caller_id", caller_id), ("request_uri", str(raw.get("request_uri", "")))):
        _check_template(where, label, template)
    low, high = _ports(where, raw.get("rtp_ports", [16384, 32767]))
    config = SipConfig(
        name=str(name), host=host.strip(), port=port, transport=transport, username=username, password=password,
        realm=str(raw.get("realm", "*")), caller_id=caller_id, from_domain=str(raw.get("from_domain", "")),
        request_uri=str(raw.get("request_uri", SipConfig.request_uri)),
        codecs=tuple(dict.fromkeys(str(c).upper() for c in codecs)),
        max_concurrent_calls=_int(raw.get("max_concurrent_calls", 10), f"{where}: max_concurrent_calls", 1,
                                  MAX_CALLS_PER_PROCESS),
        ring_timeout_seconds=_number(raw.get("ring_timeout_seconds", 30), f"{where}: ring_timeout_seconds", 1, 600),
        tail_seconds=_number(raw.get("tail_seconds", 0.5), f"{where}: tail_seconds", 0, 10),
        local_address=_address(where, "local_address", raw.get("local_address", "")),
        local_port=_int(raw.get("local_port", 0), f"{where}: local_port", 0, 65535),
        public_address=_address(where, "public_address", raw.get("public_address", "")),
        rtp_ports=(low, high), tls_verify_server=bool(raw.get("tls_verify_server", True)),
        tls_ca_file=str(raw.get("tls_ca_file", "")))
    if not config.target("+10000000000", "+10000000000").startswith(("sip:", "sips:")):
        raise ValueError(f"{where}: request_uri must be a sip: or sips: URI template")
    return config


def _check_template(where: str, label: str, template: str) -> None:
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as error:
        raise ValueError(f"{where}: {label} {template!r} is not a template: {error}") from error
    if names - TEMPLATE_FIELDS:
        raise ValueError(f"{where}: {label} may use {{{'}, {'.join(sorted(TEMPLATE_FIELDS))}}}, "
                         f"not {{{', '.join(sorted(names - TEMPLATE_FIELDS))}}}")


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, not {value!r}")
    return value


def _number(value: Any, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{what} must be a number of seconds from {low:g} to {high:g}, not {value!r}")
    return float(value)


def _address(where: str, label: str, value: Any) -> str:
    if value in ("", None):
        return ""
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError as error:
        raise ValueError(f"{where}: {label} must be an IP address of this machine, not {value!r}") from error


def _ports(where: str, value: Any) -> tuple[int, int]:
    if isinstance(value, str) and "-" in value:
        value = value.split("-", 1)
    try:
        low, high = (int(v) for v in value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: rtp_ports is a range like [16384, 32767] or \"16384-32767\"") from error
    if not 1024 <= low < high <= 65535:
        raise ValueError(f"{where}: rtp_ports must lie within 1024-65535, low before high, not {low}-{high}")
    return low, high
