"""A SIP carrier's settings are checked at start, with one line naming what is wrong (no SIP stack needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pigeon.carriers import routing
from pigeon.carriers.sip import parse_config
from pigeon.carriers.sip.outcome import ending

BASE = {"name": "trunk", "type": "sip", "host": "sip.example.net"}


def test_defaults_and_templates():
    config = parse_config({**BASE, "transport": "TCP", "caller_id": "{origination_digits}", "codecs": ["pcma"]})
    assert (config.port, config.transport, config.codecs, config.max_concurrent_calls) == (5060, "tcp", ("PCMA",), 10)
    assert config.target("+18005550100", "+12065550101") == "sip:+12065550101@sip.example.net:5060;transport=tcp"
    assert config.from_uri("+18005550100", "+12065550101") == "sip:18005550100@sip.example.net"
    assert parse_config({**BASE, "transport": "tls"}).port == 5061
    assert parse_config({**BASE, "caller_id": "+442079460000"}).caller("+1800", "+1206") == "+442079460000"


@pytest.mark.parametrize(("change", "words"), [
    ({"host": ""}, "needs host"),
    ({"transport": "sctp"}, "transport is one of udp, tcp, tls"),
    ({"username": "u"}, "username and password go together"),
    ({"codecs": ["G729"]}, "codecs is a non-empty list of PCMU, PCMA"),
    ({"caller_id": "{account}"}, "caller_id may use"),
    ({"max_concurrent_calls": 0}, "max_concurrent_calls must be a whole number from 1 to 100"),
    ({"ring_timeout_seconds": "soon"}, "ring_timeout_seconds must be a number"),
    ({"local_address": "eth0"}, "local_address must be an IP address"),
    ({"rtp_ports": [5000, 4000]}, "rtp_ports must lie within"),
    ({"request_uri": "tel:{destination}"}, "request_uri must be a sip: or sips: URI"),
    ({"rgin_timeout": 3}, "unknown setting rgin_timeout"),
])
def test_bad_settings_name_what_is_wrong(change, words):
    with pytest.raises(ValueError, match=words) as excinfo:
        routing.check([{**BASE, **change}], [])
    assert "\n" not in str(excinfo.value) and "carrier trunk" in str(excinfo.value)


def test_voice_routes_to_the_sip_carrier_and_text_cannot():
    [route] = routing.check([BASE], [])
    assert (route.carrier, route.channels) == ("trunk", frozenset({"VOICE"}))
    with pytest.raises(ValueError, match="it carries VOICE only, not TEXT"):
        routing.check([BASE], [{"carrier": "trunk", "channels": ["TEXT"]}])


def test_sip_responses_map_to_voice_statuses():
    kinds = {"answered": False, "heard": True, "timed_out": False, "played": False}
    assert ending(486, "Busy Here", **kinds).status == "BUSY"
    assert ending(600, "Busy Everywhere", **kinds).status == "BUSY"
    assert ending(480, "Temporarily Unavailable", **kinds).status == "NO_ANSWER"
    assert ending(487, "Request Terminated", **{**kinds, "timed_out": True}).status == "NO_ANSWER"
    assert ending(603, "Decline", **kinds).status == "FAILED"
    assert ending(408, "Request Timeout", **{**kinds, "heard": False}).status == "FAILED"
    assert ending(200, "OK", **{**kinds, "answered": True, "played": True}).status == "COMPLETED"


def test_a_bad_sip_carrier_stops_the_server_at_start(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pigeon", "serve", "--data-dir", str(tmp_path), "--port", "0"],
                            env={"PIGEON_CARRIERS": '[{"name": "trunk", "type": "sip"}]', "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "carrier trunk: needs host" in result.stderr + result.stdout
