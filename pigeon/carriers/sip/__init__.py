"""SIP voice carrier (``type: sip``): real calls through a trunk or SIP peer that play the synthesized message.

``parse_config`` checks the settings without the SIP library; ``connect`` needs the optional ``sip`` extra
(PJSUA2, GPLv2: README "Licences"). See docs/configuration.md ("Carriers") and docs/decisions.md ("SIP voice").
"""

from __future__ import annotations

import importlib.util
from typing import Any

from pigeon.carriers.sip.config import SipConfig, parse_config

__all__ = ["SipConfig", "connect", "parse_config"]


def connect(config: SipConfig, context: Any) -> Any:
    """The carrier's connector; its call processes are up when this returns (or it reports why not)."""
    if importlib.util.find_spec("pjsua2") is None:
        raise RuntimeError(f"carrier {config.name}: type sip needs the optional SIP stack: "
                           f"pip install 'pigeon[sip]' (pjsua2-python)")
    from pigeon.carriers.sip.connector import SipConnector

    return SipConnector(config, context)
