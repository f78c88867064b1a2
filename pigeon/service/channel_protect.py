"""Protect configurations for media and voice sends.

The model has no MEDIA_ or VOICE_PROTECT_BLOCKED event type (only TEXT_PROTECT_BLOCKED), so where a text
message is accepted and ends blocked, a blocked MMS or call is refused before a MessageId exists with the
model's ConflictException reasons: DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE when a number
override blocks it, DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION when the country rule does. An
allowed send carries ``protectConfiguration`` in its event records, as text does.
"""

from __future__ import annotations

from typing import Any

from pigeon.errors import Conflict
from pigeon.service import protect_configurations, sending
from pigeon.service.context import Context, Params
from pigeon.service.origination import Destination
from pigeon.store import resources


def protect_or_refuse(ctx: Context, params: Params, capability: str, destination: Destination) -> dict[str, Any] | None:
    """The protect verdict of an MMS (capability MMS) or call (VOICE) to ``destination``, or the refusal."""
    protect = sending.protect_of(ctx, params, capability, destination)
    if protect is None or not protect["blocked"]:
        return protect
    protect_id = protect["protectConfigurationId"]
    override = resources.get_by_name(ctx.tx, ctx.scope, protect_configurations.OVERRIDE_TYPE, destination.number,
                                     parent_id=protect_id)
    if override is not None and override.data.get("Action") == "BLOCK":
        raise Conflict("DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE",
                       protect_configurations.RESOURCE_TYPE, protect_id,
                       f"A number override of {protect_id} blocks {destination.number}.")
    raise Conflict("DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION", protect_configurations.RESOURCE_TYPE,
                   protect_id, f"{protect_id} blocks {capability} to {destination.iso_country}.")
