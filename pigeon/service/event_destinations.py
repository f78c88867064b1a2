"""Event destinations of a configuration set: where its messages' event records go."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pigeon.common import quotas
from pigeon.errors import Conflict, FieldViolation, Invalid, NotFound
from pigeon.service import configuration_sets
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

RESOURCE_TYPE = "event-destination"
DESTINATION_KINDS = ("CloudWatchLogsDestination", "KinesisFirehoseDestination", "SnsDestination")


def _destination_kind(params: Params, required: bool) -> str | None:
    """The one destination kind given; none (when optional) or several is a ValidationException."""
    given = [kind for kind in DESTINATION_KINDS if params.get(kind)]
    if len(given) > 1:
        raise Invalid(
            "PARAMETERS_CANNOT_BE_USED_TOGETHER",
            f"Only one destination may be given; got {', '.join(given)}.",
            [FieldViolation(kind, "Only one destination may be given") for kind in given],
        )
    if not given and required:
        raise Invalid(
            "MISSING_PARAMETER",
            f"One of {', '.join(DESTINATION_KINDS)} is required.",
            [FieldViolation(kind, "One destination is required") for kind in DESTINATION_KINDS],
        )
    return given[0] if given else None


def _result(config_set: Record, destination: dict[str, Any]) -> Result:
    return {
        "ConfigurationSetArn": config_set.arn,
        "ConfigurationSetName": config_set.name,
        "EventDestination": destination,
    }


def _save(ctx: Context, config_set: Record, destinations: list[dict[str, Any]]) -> None:
    resources.update(ctx.tx, replace(config_set, data={**config_set.data, "EventDestinations": destinations}))


def _index(config_set: Record, name: str) -> int:
    for index, destination in enumerate(config_set.data["EventDestinations"]):
        if destination["EventDestinationName"] == name:
            return index
    raise NotFound(RESOURCE_TYPE, name)


@operation("CreateEventDestination")
def create_event_destination(ctx: Context, params: Params) -> Result:
    config_set = configuration_sets.find(ctx, params["ConfigurationSetName"], for_update=True)
    kind = _destination_kind(params, required=True)
    assert kind is not None
    name = params["EventDestinationName"]
    destinations = list(config_set.data["EventDestinations"])
    if any(d["EventDestinationName"] == name for d in destinations):
        raise Conflict("RESOURCE_ALREADY_EXISTS", RESOURCE_TYPE, name)
    quotas.check(ctx, "EVENT_DESTINATIONS_PER_CONFIGURATION_SET", len(destinations))
    destination = {
        "EventDestinationName": name,
        "Enabled": True,
        "MatchingEventTypes": list(dict.fromkeys(params["MatchingEventTypes"])),
        kind: params[kind],
    }
    _save(ctx, config_set, destinations + [destination])
    return _result(config_set, destination)


@operation("UpdateEventDestination")
def update_event_destination(ctx: Context, params: Params) -> Result:
    config_set = configuration_sets.find(ctx, params["ConfigurationSetName"], for_update=True)
    destinations = list(config_set.data["EventDestinations"])
    index = _index(config_set, params["EventDestinationName"])
    destination = dict(destinations[index])
    kind = _destination_kind(params, required=False)
    if kind is not None:
        if kind not in destination:
            current = next(k for k in DESTINATION_KINDS if k in destination)
            raise Conflict(
                "EVENT_DESTINATION_MISMATCH", RESOURCE_TYPE, params["EventDestinationName"],
                f"The event destination sends to {current}; it cannot be changed to {kind}.",
            )
        destination[kind] = params[kind]
    if "Enabled" in params:
        destination["Enabled"] = params["Enabled"]
    if "MatchingEventTypes" in params:
        destination["MatchingEventTypes"] = list(dict.fromkeys(params["MatchingEventTypes"]))
    destinations[index] = destination
    _save(ctx, config_set, destinations)
    return _result(config_set, destination)


@operation("DeleteEventDestination")
def delete_event_destination(ctx: Context, params: Params) -> Result:
    config_set = configuration_sets.find(ctx, params["ConfigurationSetName"], for_update=True)
    destinations = list(config_set.data["EventDestinations"])
    destination = destinations.pop(_index(config_set, params["EventDestinationName"]))
    _save(ctx, config_set, destinations)
    return _result(config_set, destination)
