"""SMPP over TLS: stunnel (Debian's stunnel4, nobody here wrote it) terminates TLS with a fresh self-signed
certificate in front of the node-smpp peer; Pigeon verifies the certificate against it as its CA; and the
connection at rate limit ``max_messages_per_second`` spreads its submits."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.carriers.test_smpp_delivery import (
    carriers_config,
    connections,
    destination,
    final,
    gb_number,
    start_server,
    wait_bound,
)
from tests.conftest import make_client, new_account_id
from tests.support.postgres import free_port, wait_for_port
from tests.support.smsc import NodeSmsc


@pytest.fixture
def tls_smsc(tmp_path: Path) -> Iterator[tuple[NodeSmsc, int, Path]]:
    smsc = NodeSmsc().start()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    port = free_port()
    (tmp_path / "stunnel.conf").write_text(
        f"foreground = yes\npid =\n[smpp]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{smsc.port}\n"
        f"cert = {cert}\nkey = {key}\n")
    tunnel = subprocess.Popen(["stunnel4", str(tmp_path / "stunnel.conf")], stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / "stunnel.log", "wb"))
    try:
        wait_for_port(port)
        yield smsc, port, cert
    finally:
        tunnel.terminate()
        tunnel.wait(10)
        smsc.stop()


def test_a_tls_link_with_a_verified_certificate_delivers(tls_smsc, tmp_path: Path):
    smsc, port, cert = tls_smsc
    config = carriers_config(smsc, tls=True, tls_ca_file=str(cert), port=port, max_messages_per_second=20)
    config["carriers"] = config["carriers"][:1]
    config["routes"] = []
    server = start_server(tmp_path / "pigeon", None, config)
    try:
        wait_bound(server, 1)
        client = make_client(server, new_account_id())
        origination = gb_number(client)
        ids = [client.send_text_message(DestinationPhoneNumber=destination(), MessageBody=f"over TLS {n}",
                                        OriginationIdentity=origination)["MessageId"] for n in range(10)]
        assert {final(server, message_id)["eventType"] for message_id in ids} == {"TEXT_DELIVERED"}
        submits = sorted(entry["at"] for entry in smsc.submits())
        assert len(submits) == 10
        assert (submits[-1] - submits[0]) / 1000 >= 9 / 20 * 0.8  # 10 submits at 20 a second: ~0.45 s apart
    finally:
        server.stop()


def test_a_certificate_that_does_not_verify_never_binds(tls_smsc, tmp_path: Path):
    smsc, port, _ = tls_smsc
    config = carriers_config(smsc, tls=True, port=port)  # the system CAs do not know the self-signed one
    config["carriers"] = config["carriers"][:1]
    config["routes"] = []
    server = start_server(tmp_path / "pigeon", None, config)
    try:
        from tests.carriers.test_smpp_delivery import wait_for
        entry = wait_for(lambda: next((e for e in connections(server) if "CERTIFICATE_VERIFY_FAILED" in
                                       (e["LastError"] or "")), None), 15, "the refused certificate")
        assert entry["State"] != "BOUND"
        assert smsc.binds() == []
    finally:
        server.stop()
