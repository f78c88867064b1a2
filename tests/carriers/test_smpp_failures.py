"""SMPP when things go wrong: the SMSC killed mid-stream and restarted, Pigeon killed -9 mid-stream, a wrong
password, an SMSC that stops answering, a receipt that never comes. Nothing accepted is lost: every MessageId
answered 200 reaches exactly one final event, and the SMSC got each message at least once."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.carriers.test_smpp_delivery import (
    carriers_config,
    connections,
    destination,
    final,
    gb_number,
    start_server,
    wait_bound,
    wait_for,
)
from tests.conftest import BACKENDS, make_client, new_account_id
from tests.messaging.support import events, messages
from tests.support.server import PigeonServer
from tests.support.smsc import NodeSmsc

BURST = 300


def _send_burst(client: Any, origination: str, count: int, accepted: list[tuple[str, str]],
                stop: threading.Event | None = None) -> None:
    for n in range(count):
        if stop is not None and stop.is_set():
            return
        to = destination("+447411")
        try:
            response = client.send_text_message(DestinationPhoneNumber=to, MessageBody=f"burst {n}",
                                                OriginationIdentity=origination)
        except Exception:  # noqa: BLE001 - the server was killed: what was not answered was not accepted
            return
        accepted.append((response["MessageId"], to))


def _finals(server: PigeonServer, account_id: str) -> Counter[str]:
    return Counter(e["messageId"] for e in events(server, account=account_id, limit="100000") if e["isFinal"])


def _all_final(server: PigeonServer, account_id: str, ids: list[str], timeout: float) -> Counter[str]:
    def complete() -> Counter[str] | None:
        found = _finals(server, account_id)
        return found if set(ids) <= set(found) else None
    try:
        return wait_for(complete, timeout, f"final events of {len(ids)} messages")  # type: ignore[no-any-return]
    except AssertionError:
        found = _finals(server, account_id)
        stored = {m["MessageId"]: m for m in messages(server, account=account_id, limit="100000")}
        missing = Counter(stored[m]["Status"] if m in stored else "NOT STORED" for m in ids if m not in found)
        raise AssertionError(f"{sum(missing.values())} of {len(ids)} messages have no final event: {missing}; "
                             f"{connections(server)}\n{server.log_path.read_text()[-3000:]}") from None


@pytest.mark.parametrize("backend", BACKENDS)
def test_smsc_killed_mid_stream_and_restarted_loses_nothing(backend, database_factory, tmp_path: Path):
    smsc = NodeSmsc(quiet=True).start()
    server = start_server(tmp_path, database_factory(backend), carriers_config(smsc))
    try:
        wait_bound(server, 3)
        account_id = new_account_id()
        client = make_client(server, account_id)
        origination = gb_number(client)
        accepted: list[tuple[str, str]] = []
        sender = threading.Thread(target=_send_burst, args=(client, origination, BURST, accepted))
        sender.start()
        wait_for(lambda: smsc.stats()["submits"] >= BURST // 4, 30, "a quarter of the burst at the SMSC")
        smsc.kill()
        wait_for(lambda: all(e["State"] != "BOUND" for e in connections(server) if e["Name"] == "smsc-udh"), 10,
                 "the link to notice")
        smsc.start()
        sender.join(60)
        ids = [message_id for message_id, _ in accepted]
        assert len(ids) == BURST
        # every message reaches the SMSC (again); those it had accepted before it died, and whose receipts died
        # with it, stay SUBMITTED until their TimeToLive ends them TEXT_TTL_EXPIRED
        wait_for(lambda: all(m["Status"] in ("DELIVERED", "SUBMITTED")
                             for m in messages(server, account=account_id, limit="100000")), 60, "every submit")
        at_live_smsc = {entry["destination_addr"] for entry in smsc.submits(limit="100000")}
        wait_for(lambda: all(m["Status"] == "DELIVERED" for m in messages(server, account=account_id, limit="100000")
                             if m["DestinationPhoneNumber"].lstrip("+") in at_live_smsc), 60, "their receipts")
        server.advance_clock(72 * 3600 + 120)
        finals = _all_final(server, account_id, ids, 60)
        assert all(finals[message_id] == 1 for message_id in ids)
        outcome = {e["messageId"]: e["eventType"] for e in events(server, account=account_id, limit="100000")
                   if e["isFinal"]}
        assert set(outcome.values()) <= {"TEXT_DELIVERED", "TEXT_TTL_EXPIRED"}
        after_restart = {entry["destination_addr"] for entry in smsc.submits(limit="100000")}
        assert after_restart  # the restarted SMSC got the rest of the burst
        undelivered = [(message_id, to, outcome[message_id]) for message_id, to in accepted
                       if to.lstrip("+") in after_restart and outcome[message_id] != "TEXT_DELIVERED"]
        assert undelivered == []  # whatever reached the live SMSC was delivered
        assert any(e["Reconnects"] > 0 for e in connections(server))
    finally:
        server.stop()
        smsc.stop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_pigeon_killed_minus_9_mid_stream_loses_nothing(backend, database_factory, tmp_path: Path):
    smsc = NodeSmsc(quiet=True).start()
    database_url = database_factory(backend)
    server = start_server(tmp_path, database_url, carriers_config(smsc))
    try:
        wait_bound(server, 3)
        account_id = new_account_id()
        client = make_client(server, account_id)
        origination = gb_number(client)
        accepted: list[tuple[str, str]] = []
        stop = threading.Event()
        senders = [threading.Thread(target=_send_burst, args=(make_client(server, account_id), origination,
                                                               BURST // 3, accepted, stop)) for _ in range(3)]
        for thread in senders:
            thread.start()
        wait_for(lambda: len(accepted) >= BURST // 3, 30, "a third of the burst accepted")
        server.stop(kill=True)
        stop.set()
        for thread in senders:
            thread.join(30)
        server.start()
        ids = [message_id for message_id, _ in accepted]
        finals = _all_final(server, account_id, ids, 60)
        assert all(finals[message_id] == 1 for message_id in ids), "a message got two final events"
        at_smsc = Counter(entry["destination_addr"] for entry in smsc.submits(limit="100000"))
        missing = [to for _, to in accepted if at_smsc[to.lstrip("+")] == 0]
        assert missing == []
        duplicates = sum(count - 1 for count in at_smsc.values() if count > 1)
        assert duplicates <= 3 * 20  # at most a window per bind was in flight when the process died
    finally:
        server.stop()
        smsc.stop()


def test_a_wrong_password_is_a_clear_error_retried_until_it_binds_and_nothing_is_lost(database_factory,
                                                                                      tmp_path: Path):
    smsc = NodeSmsc(system_id="udh", password="right").start()
    config = carriers_config(smsc, password="wrong")
    config["carriers"] = config["carriers"][:1]
    config["routes"] = []
    server = start_server(tmp_path, None, config)
    try:
        wait_for(lambda: any(e["State"] == "BIND_FAILED" for e in connections(server)), 10, "the refused bind")
        [entry] = connections(server)
        assert "ESME_RINVPASWD" in entry["LastError"]
        assert "smpp bind refused carrier=smsc-udh" in server.log_path.read_text()
        account_id = new_account_id()
        client = make_client(server, account_id)
        message_id = client.send_text_message(DestinationPhoneNumber=destination(), MessageBody="waiting",
                                              OriginationIdentity=gb_number(client))["MessageId"]
        assert [e for e in events(server, message_id=message_id)] == []  # queued, not failed
        smsc.kill()  # the SMSC's operator fixes the account: it now takes this password
        smsc.env["SMSC_PASSWORD"] = "wrong"
        smsc.start()
        assert final(server, message_id, 30)["eventType"] == "TEXT_DELIVERED"
    finally:
        server.stop()
        smsc.stop()


def test_an_smsc_that_stops_answering_is_dropped_and_its_messages_go_out_after(tmp_path: Path):
    smsc = NodeSmsc().start()
    config = carriers_config(smsc)
    config["carriers"] = config["carriers"][:1]
    config["routes"] = []
    server = start_server(tmp_path, None, config)
    try:
        wait_bound(server, 1)
        smsc.behave(respond=False)
        client = make_client(server, new_account_id())
        message_id = client.send_text_message(DestinationPhoneNumber=destination(), MessageBody="hung",
                                              OriginationIdentity=gb_number(client))["MessageId"]
        wait_for(lambda: any(e["Timeouts"] > 0 for e in connections(server)), 15, "the submit timeout")
        assert [e for e in events(server, message_id=message_id) if e["isFinal"]] == []
        smsc.behave(respond=True)
        assert final(server, message_id, 30)["eventType"] == "TEXT_DELIVERED"
    finally:
        server.stop()
        smsc.stop()


def test_a_receipt_that_never_comes_ends_the_message_at_its_time_to_live(tmp_path: Path):
    smsc = NodeSmsc(receipts="none").start()
    config = carriers_config(smsc)
    config["carriers"] = config["carriers"][:1]
    config["routes"] = []
    server = start_server(tmp_path, None, config)
    try:
        wait_bound(server, 1)
        client = make_client(server, new_account_id())
        message_id = client.send_text_message(DestinationPhoneNumber=destination(), MessageBody="silence",
                                              OriginationIdentity=gb_number(client), TimeToLive=300)["MessageId"]
        wait_for(lambda: events(server, message_id=message_id), 10, "TEXT_SUCCESSFUL")
        server.advance_clock(301 + 60)
        last = final(server, message_id, 20)
        assert (last["eventType"], last["messageStatus"]) == ("TEXT_TTL_EXPIRED", "TTL_EXPIRED")
        assert [e["eventType"] for e in events(server, message_id=message_id)] == ["TEXT_SUCCESSFUL", "TEXT_TTL_EXPIRED"]
    finally:
        server.stop()
        smsc.stop()


def test_transmitter_and_receiver_binds_share_the_load_and_the_cli_shows_them(tmp_path: Path):
    smsc = NodeSmsc().start()
    config = carriers_config(smsc, bind_mode="transmitter_receiver", binds=2)
    config["carriers"] = config["carriers"][:1]
    config["routes"] = []
    server = start_server(tmp_path, None, config)
    try:
        wait_bound(server, 4)
        client = make_client(server, new_account_id())
        origination = gb_number(client)
        ids = [client.send_text_message(DestinationPhoneNumber=destination(), MessageBody=f"shared {n}",
                                        OriginationIdentity=origination)["MessageId"] for n in range(20)]
        assert {final(server, message_id)["eventType"] for message_id in ids} == {"TEXT_DELIVERED"}
        def counted() -> list[dict[str, Any]] | None:
            entries = connections(server)
            return entries if sum(e["Submitted"] for e in entries) == 20 else None
        modes = {entry["Bind"]: entry for entry in wait_for(counted, 10, "the counters")}
        assert sorted(entry["Mode"] for entry in modes.values()) == ["receiver", "receiver", "transmitter",
                                                                     "transmitter"]
        assert all(entry["Submitted"] > 0 for entry in modes.values() if entry["Mode"] == "transmitter")
        assert sum(entry["ReceiptsReceived"] for entry in modes.values() if entry["Mode"] == "receiver") == 20
        shown = subprocess.run([sys.executable, "-m", "pigeon", "connections", "--data-dir", str(tmp_path / "data")],
                               capture_output=True, text=True, timeout=60, check=True).stdout
        assert shown.splitlines()[0].split()[:5] == ["Name", "Type", "Bind", "Mode", "State"]
        assert shown.count("smsc-udh") == 4 and "transmitter" in shown and "BOUND" in shown
    finally:
        server.stop()
        smsc.stop()


def test_enquire_link_finds_a_frozen_smsc_and_shutdown_unbinds(tmp_path: Path):
    smsc = NodeSmsc().start()
    config = carriers_config(smsc, enquire_link_seconds=0.5, response_timeout_seconds=1)
    config["carriers"] = config["carriers"][:1]
    config["routes"] = []
    server = start_server(tmp_path, None, config)
    try:
        wait_bound(server, 1)
        assert smsc.process is not None
        smsc.process.send_signal(signal.SIGSTOP)  # the link stays open, nothing answers
        try:
            entry = wait_for(lambda: next((e for e in connections(server) if e["State"] != "BOUND"), None), 15,
                             "the dead peer noticed")
            assert "enquire_link" in (entry["LastError"] or "") or entry["State"] in ("CONNECTING", "DISCONNECTED")
        finally:
            smsc.process.send_signal(signal.SIGCONT)
        wait_bound(server, 1)
        client = make_client(server, new_account_id())  # the link is live again: a message goes through
        message_id = client.send_text_message(DestinationPhoneNumber=destination(), MessageBody="awake",
                                              OriginationIdentity=gb_number(client))["MessageId"]
        assert final(server, message_id, 30)["eventType"] == "TEXT_DELIVERED"
        server.stop()
        assert wait_for(lambda: smsc.binds() == [], 10, "the unbind at shutdown")
        assert "smpp unbound carrier=smsc-udh" in server.log_path.read_text()
    finally:
        server.stop()
        smsc.stop()


def test_a_receipt_reaching_another_process_finds_its_message(database_factory, tmp_path: Path):
    """Two processes on one PostgreSQL database bind to the same SMSC account; the one that submitted dies
    before the receipts come, and the SMSC delivers them on the other's bind."""
    smsc = NodeSmsc(dlr_delay_ms=1500).start()
    database_url = database_factory("postgresql")
    config = carriers_config(smsc)
    config["carriers"] = config["carriers"][:1]
    config["routes"] = []
    first = start_server(tmp_path / "a", database_url, config)
    second = start_server(tmp_path / "b", database_url, config)
    try:
        wait_bound(first, 1)
        wait_for(lambda: len(smsc.binds()) == 2, 10, "both processes bound")
        client = make_client(first, new_account_id())
        origination = gb_number(client)
        ids = [client.send_text_message(DestinationPhoneNumber=destination(), MessageBody=f"handed over {n}",
                                        OriginationIdentity=origination)["MessageId"] for n in range(5)]
        wait_for(lambda: all(events(first, message_id=message_id) for message_id in ids), 10, "TEXT_SUCCESSFUL")
        first.stop(kill=True)
        assert {final(second, message_id, 20)["eventType"] for message_id in ids} == {"TEXT_DELIVERED"}
    finally:
        first.stop()
        second.stop()
        smsc.stop()


def test_a_pigeon_worker_delivers_over_smpp_and_the_api_process_shows_its_binds(database_factory, tmp_path: Path):
    smsc = NodeSmsc().start()
    database_url = database_factory("postgresql")
    config = carriers_config(smsc)
    config["carriers"] = config["carriers"][:1]
    config["routes"] = []
    config["dispatcher"] = False
    server = start_server(tmp_path, database_url, config)
    worker = subprocess.Popen([sys.executable, "-m", "pigeon", "worker", "--database-url", database_url,
                               "--data-dir", str(tmp_path / "worker"), "--config", str(tmp_path / "pigeon.yaml")],
                              stderr=(tmp_path / "worker.log").open("wb"))
    try:
        wait_bound(server, 1)  # the API process has no binds: these are the worker's, through the store
        [entry] = connections(server)
        assert entry["Process"] != "" and entry["Name"] == "smsc-udh"
        client = make_client(server, new_account_id())
        message_id = client.send_text_message(DestinationPhoneNumber=destination(), MessageBody="from a worker",
                                              OriginationIdentity=gb_number(client))["MessageId"]
        assert final(server, message_id)["eventType"] == "TEXT_DELIVERED"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
        assert connections(server) == []  # a stopped worker removes its state
        assert "smpp unbound carrier=smsc-udh" in (tmp_path / "worker.log").read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
        server.stop()
        smsc.stop()
