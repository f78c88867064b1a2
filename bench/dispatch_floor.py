"""The floor of delivering a message on this stack: only the store writes of one simulated delivery, with
none of Pigeon's logic. For the QUEUED rows that `durable_floor.py` left in DATABASE_PATH, in batches of 200
(Pigeon's `dispatch_batch_size`), one transaction each: the guarded status update of every message (its
payload rewritten, as Pigeon's does), two event records per message (TEXT_SUCCESSFUL and TEXT_DELIVERED in
AWS's format, into a table shaped like Pigeon's `events`), one spend upsert, the commit. Prints the CPU time
of the loop per message, in µs (one thread, nothing else running in the process).

Usage: dispatch_floor.py DATABASE_PATH [messages, default 20000]
"""

from __future__ import annotations

import sqlite3
import sys
import time

import orjson

SCHEMA = """
create table if not exists events (
  seq integer primary key, account_id varchar(12) not null, region varchar(32) not null,
  message_id varchar(36) not null, event_type varchar(40) not null, is_final boolean not null,
  configuration_set varchar(256), created_at float not null, published_at float, record json not null);
create index if not exists ix_events_message on events (message_id, seq);
create index if not exists ix_events_scope on events (account_id, region, seq);
create table if not exists spend (
  account_id varchar(12), region varchar(32), channel varchar(8), month varchar(7), amount_micros bigint not null,
  primary key (account_id, region, channel, month));
"""
UPDATE = ("update messages set status = ?, due_at = ?, updated_at = ?, attempts = attempts + 1, payload = ?"
          " where message_id = ? and status = ?")
INSERT_EVENT = ("insert into events (account_id, region, message_id, event_type, is_final, configuration_set,"
                " created_at, published_at, record) values (?, ?, ?, ?, ?, ?, ?, NULL, ?)")
ADD_SPEND = ("insert into spend values (?, ?, ?, ?, ?) on conflict (account_id, region, channel, month)"
             " do update set amount_micros = amount_micros + excluded.amount_micros")
BATCH = 200


def record(message_id: str, destination: str, event_type: str, status: str, final: bool, now: float) -> bytes:
    return orjson.dumps({
        "eventType": event_type, "eventVersion": "1.0", "eventTimestamp": int(now * 1000), "isFinal": final,
        "originationPhoneNumber": "+12065550100", "destinationPhoneNumber": destination, "isoCountryCode": "US",
        "isInternationalSend": False, "mcc": "310", "mnc": "800", "carrierName": "Example Wireless",
        "messageId": message_id, "messageRequestTimestamp": int(now * 1000), "messageEncoding": "GSM",
        "messageType": "TRANSACTIONAL", "messageStatus": status,
        "messageStatusDescription": "Message has been accepted by phone carrier", "totalMessageParts": 1,
        "totalMessagePrice": 0.00581, "totalCarrierFee": 0.00302})


def main(path: str, limit: int) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("pragma journal_mode=wal")
    db.execute("pragma synchronous=normal")
    db.executescript(SCHEMA)
    rows = db.execute("select message_id, destination, payload from messages where status = 'QUEUED' limit ?",
                      (limit,)).fetchall()
    started = time.process_time()
    for start in range(0, len(rows), BATCH):
        now = time.time()
        batch = rows[start:start + BATCH]
        db.execute("begin immediate")
        db.executemany(UPDATE, [("DELIVERED", now, now, payload, message_id, "QUEUED")
                                for message_id, _, payload in batch])
        db.executemany(INSERT_EVENT, [
            ("123456789012", "us-east-1", message_id, event_type, final, None, now,
             record(message_id, destination, event_type, status, final, now))
            for message_id, destination, _ in batch
            for event_type, status, final in (("TEXT_SUCCESSFUL", "SUCCESSFUL", False),
                                              ("TEXT_DELIVERED", "DELIVERED", True))])
        db.execute(ADD_SPEND, ("123456789012", "us-east-1", "SMS", time.strftime("%Y-%m"), 5810 * len(batch)))
        db.execute("commit")
    elapsed = time.process_time() - started
    print(f"{1e6 * elapsed / max(1, len(rows)):.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20000)
