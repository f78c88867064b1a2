"""SMPP 3.4 to an operator's SMSC (``carriers: [{name, type: smpp, host, ...}]``): see connector.py."""

from __future__ import annotations

from typing import Any

from pigeon.carriers.smpp.config import SmppConfig, parse_config

__all__ = ["SmppConfig", "connect", "parse_config"]


def connect(config: SmppConfig, context: Any) -> Any:
    """Start the connector's binds (they connect and bind in the background)."""
    from pigeon.carriers.smpp.connector import SmppConnector

    return SmppConnector(config, context)
