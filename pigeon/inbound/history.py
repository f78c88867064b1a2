"""The ``inbound_messages`` table: every message a handset sent to one of our numbers, and what was done.

A row is written in the same transaction as its effects (the opt-out, the automatic response in the outbox,
the forwards in the deliveries queue), so the history never claims what did not happen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pigeon.scope import Scope
from pigeon.store.schema import deliveries, inbound_messages, messages

_I = inbound_messages.c


@dataclass(frozen=True)
class InboundResult:
    """One inbound message as received and handled; ``outcome`` holds what was done with it."""

    inbound_message_id: str
    account_id: str
    region: str
    origination_number: str
    """The handset that wrote (AWS's ``originationNumber``)."""
    destination_number: str
    """Our number it wrote to (AWS's ``destinationNumber``)."""
    phone_number_id: str
    pool_id: str | None
    message_body: str
    keyword: str | None
    keyword_action: str | None
    created_at: float
    outcome: dict[str, Any]

    def view(self, delivery_statuses: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The inspection shape (``GET /_pigeon/inbound``); forwards carry their delivery status if known."""
        statuses = delivery_statuses or {}
        forwarded = [{**forward, "Status": statuses.get(forward["DeliveryId"], forward.get("Status"))}
                     for forward in self.outcome.get("Forwarded", [])]
        return {
            "InboundMessageId": self.inbound_message_id, "AccountId": self.account_id, "Region": self.region,
            "OriginationNumber": self.origination_number, "DestinationNumber": self.destination_number,
            "PhoneNumberId": self.phone_number_id, "PoolId": self.pool_id, "MessageBody": self.message_body,
            "Keyword": self.keyword, "KeywordAction": self.keyword_action, "ReceivedTimestamp": self.created_at,
            **self.outcome, "Forwarded": forwarded,
        }


def _result(row: sa.Row) -> InboundResult:
    return InboundResult(row.inbound_message_id, row.account_id, row.region, row.origination_number,
                         row.destination_number, row.phone_number_id, row.pool_id, row.message_body, row.keyword,
                         row.keyword_action, row.created_at, dict(row.outcome))


def insert(tx: Connection, result: InboundResult) -> None:
    tx.execute(inbound_messages.insert().values(
        inbound_message_id=result.inbound_message_id, account_id=result.account_id, region=result.region,
        origination_number=result.origination_number, destination_number=result.destination_number,
        phone_number_id=result.phone_number_id, pool_id=result.pool_id, message_body=result.message_body,
        keyword=result.keyword, keyword_action=result.keyword_action, created_at=result.created_at,
        outcome=result.outcome,
    ))


def list_inbound(tx: Connection, criteria: Mapping[str, str], limit: int = 1000) -> list[InboundResult]:
    """Inbound messages oldest first, filtered by account, region, destination and origination (each optional)."""
    columns = {"account": _I.account_id, "region": _I.region, "destination": _I.destination_number,
               "origination": _I.origination_number}
    conditions = [columns[key] == value for key, value in criteria.items() if key in columns and value]
    rows = tx.execute(sa.select(inbound_messages).where(*conditions).order_by(_I.seq).limit(limit))
    return [_result(row) for row in rows]


def delivery_statuses(tx: Connection, delivery_ids: list[str]) -> dict[str, str]:
    """PENDING, DONE or FAILED for each forward (the deliveries queue is the truth about them)."""
    if not delivery_ids:
        return {}
    query = sa.select(deliveries.c.delivery_id, deliveries.c.status).where(deliveries.c.delivery_id.in_(delivery_ids))
    return {row.delivery_id: row.status for row in tx.execute(query)}


def previous_message_id(tx: Connection, scope: Scope, our_number: str, handset: str) -> str | None:
    """The last message we sent to ``handset`` from ``our_number`` (AWS's ``previousPublishedMessageId``)."""
    query = (sa.select(messages.c.message_id)
             .where(messages.c.account_id == scope.account_id, messages.c.region == scope.region,
                    messages.c.origination_identity == our_number, messages.c.destination == handset)
             .order_by(messages.c.created_at.desc(), messages.c.message_id.desc()).limit(1))
    return tx.execute(query).scalar_one_or_none()
