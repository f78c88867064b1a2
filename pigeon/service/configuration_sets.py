"""Configuration sets: named rule sets applied to sends (defaults, event destinations, protect config)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pigeon.common import arns, filters, lookup, quotas, tags
from pigeon.common.describe import describe
from pigeon.errors import Conflict
from pigeon.protocol.model import enum_values
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

RESOURCE_TYPE = "configuration-set"

FILTERS: filters.Table = {
    "event-destination-name": lambda r: [d["EventDestinationName"] for d in r.data["EventDestinations"]],
    "matching-event-types": filters.one_of(
        lambda r: [t for d in r.data["EventDestinations"] for t in d["MatchingEventTypes"]], enum_values("EventType")),
    "default-message-type": filters.one_of(lambda r: r.data.get("DefaultMessageType"), enum_values("MessageType")),
    "default-sender-id": lambda r: r.data.get("DefaultSenderId"),
    "default-message-feedback-enabled": filters.boolean(lambda r: r.data.get("DefaultMessageFeedbackEnabled", False)),
    "protect-configuration-id": lambda r: r.data.get("ProtectConfigurationId"),
}


def find(ctx: Context, name_or_arn: str, for_update: bool = False) -> Record:
    """A configuration set by name or ARN, or ResourceNotFoundException."""
    return lookup.resolve(ctx, RESOURCE_TYPE, name_or_arn, for_update=for_update, field="ConfigurationSetName")


def _named(record: Record, **extra: Any) -> Result:
    return {"ConfigurationSetArn": record.arn, "ConfigurationSetName": record.name, **extra}


@operation("CreateConfigurationSet")
def create_configuration_set(ctx: Context, params: Params) -> Result:
    name = params["ConfigurationSetName"]
    if resources.get_by_name(ctx.tx, ctx.scope, RESOURCE_TYPE, name):
        raise Conflict("RESOURCE_ALREADY_EXISTS", RESOURCE_TYPE, name)
    quotas.check(ctx, "CONFIGURATION_SETS", resources.count(ctx.tx, ctx.scope, RESOURCE_TYPE),
                 "CONFIGURATION_SETS_PER_ACCOUNT")
    arn = arns.build(ctx.scope, RESOURCE_TYPE, name)
    data = {
        "ConfigurationSetArn": arn,
        "ConfigurationSetName": name,
        "EventDestinations": [],
        "DefaultMessageFeedbackEnabled": False,
        "CreatedTimestamp": ctx.now,
    }
    record = resources.insert(
        ctx.tx, ctx.scope,
        Record(RESOURCE_TYPE, name, name, arn, ctx.now, data, tags.initial(params.get("Tags"))),
    )
    return {**_named(record), "Tags": tags.to_wire(record.tags), "CreatedTimestamp": ctx.now}


@operation("DeleteConfigurationSet")
def delete_configuration_set(ctx: Context, params: Params) -> Result:
    record = find(ctx, params["ConfigurationSetName"], for_update=True)
    resources.delete(ctx.tx, record)
    return record.data


@operation("DescribeConfigurationSets")
def describe_configuration_sets(ctx: Context, params: Params) -> Result:
    chunk, token = describe(ctx, params, RESOURCE_TYPE, "ConfigurationSetNames", lambda name: find(ctx, name), FILTERS)
    return {"ConfigurationSets": [r.data for r in chunk], "NextToken": token}


def _set(ctx: Context, params: Params, member: str, value: Any) -> tuple[Record, Any]:
    """Set (or with None, remove) one default of a configuration set; return it and the previous value."""
    record = find(ctx, params["ConfigurationSetName"], for_update=True)
    previous = record.data.get(member)
    data = {key: item for key, item in record.data.items() if key != member}
    if value is not None:
        data[member] = value
    return resources.update(ctx.tx, replace(record, data=data)), previous


@operation("SetDefaultSenderId")
def set_default_sender_id(ctx: Context, params: Params) -> Result:
    record, _ = _set(ctx, params, "DefaultSenderId", params["SenderId"])
    return _named(record, SenderId=params["SenderId"])


@operation("DeleteDefaultSenderId")
def delete_default_sender_id(ctx: Context, params: Params) -> Result:
    record, previous = _set(ctx, params, "DefaultSenderId", None)
    return _named(record, SenderId=previous)


@operation("SetDefaultMessageType")
def set_default_message_type(ctx: Context, params: Params) -> Result:
    record, _ = _set(ctx, params, "DefaultMessageType", params["MessageType"])
    return _named(record, MessageType=params["MessageType"])


@operation("DeleteDefaultMessageType")
def delete_default_message_type(ctx: Context, params: Params) -> Result:
    record, previous = _set(ctx, params, "DefaultMessageType", None)
    return _named(record, MessageType=previous)


@operation("SetDefaultMessageFeedbackEnabled")
def set_default_message_feedback_enabled(ctx: Context, params: Params) -> Result:
    record, _ = _set(ctx, params, "DefaultMessageFeedbackEnabled", params["MessageFeedbackEnabled"])
    return _named(record, MessageFeedbackEnabled=params["MessageFeedbackEnabled"])
