"""SendNotifyTextMessage and SendNotifyVoiceMessage: render a Notify template with the request's variables,
then the text or voice admission and the same durable outbox as SendTextMessage / SendVoiceMessage.

The message goes from the configuration's pool when it has one, else from the identity AWS manages for
Notify in the destination country (the catalogue's ``managed_sms`` / ``managed_voice``). A BASIC-tier
configuration sends at most the catalogue's daily limit (200) a UTC day.
"""

from __future__ import annotations

import re
import time
from typing import Any

from pigeon.errors import Conflict, FieldViolation, Invalid, QuotaExceeded
from pigeon.messaging import encoding
from pigeon.service import (
    channel_protect,
    notify_configurations,
    origination,
    sending,
    sending_voice,
)
from pigeon.service import notify_catalogue as catalogue
from pigeon.service.context import Context, Params, Result
from pigeon.service.origination import Destination, Origin
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
SYSTEM_VALUES = {"brandName": "DisplayName"}
"""SYSTEM variables and the configuration member that supplies each."""


def render(template: dict[str, Any], values: dict[str, str], configuration: dict[str, Any]) -> str:
    """The template's Content with every ``{{name}}`` replaced, each variable checked against its metadata."""
    variables: dict[str, dict[str, Any]] = template.get("Variables") or {}
    for name in values:
        if name not in variables:
            raise Invalid("INVALID_PARAMETER", f"The template {template['TemplateId']} has no variable {name}.",
                          [FieldViolation(f"TemplateVariables.{name}", "Unknown variable")])
        if variables[name].get("Source") == "SYSTEM":
            raise Invalid("INVALID_PARAMETER", f"{name} is set by Notify, not by the request.",
                          [FieldViolation(f"TemplateVariables.{name}", "A SYSTEM variable")])
    resolved: dict[str, str] = {}
    for name, metadata in variables.items():
        if metadata.get("Source") == "SYSTEM":
            resolved[name] = str(configuration.get(SYSTEM_VALUES.get(name, name), ""))
        elif name in values:
            resolved[name] = _checked(name, values[name], metadata)
        elif metadata.get("DefaultValue") is not None:
            resolved[name] = str(metadata["DefaultValue"])
        elif metadata.get("Required"):
            raise Invalid("MISSING_PARAMETER", f"The template needs the variable {name}.",
                          [FieldViolation(f"TemplateVariables.{name}", "Required")])
        else:
            resolved[name] = ""
    return PLACEHOLDER.sub(lambda match: resolved.get(match[1], ""), template["Content"])


def _checked(name: str, value: str, metadata: dict[str, Any]) -> str:
    """A customer value of the variable's Type, within MaxLength, Pattern and MinValue/MaxValue."""
    field = f"TemplateVariables.{name}"

    def refuse(why: str) -> Invalid:
        return Invalid("FIELD_VALIDATION_FAILED", f"{name}: {why}", [FieldViolation(field, why)])

    kind = metadata["Type"]
    if kind == "INTEGER":
        if not re.fullmatch(r"-?[0-9]+", value):
            raise refuse("Must be an integer")
        number = int(value)
        if metadata.get("MinValue") is not None and number < int(metadata["MinValue"]):
            raise refuse(f"Must be at least {metadata['MinValue']}")
        if metadata.get("MaxValue") is not None and number > int(metadata["MaxValue"]):
            raise refuse(f"Must be at most {metadata['MaxValue']}")
    elif kind == "BOOLEAN" and value not in ("true", "false"):
        raise refuse("Must be true or false")
    if metadata.get("MaxLength") is not None and len(value) > int(metadata["MaxLength"]):
        raise refuse(f"Longer than {metadata['MaxLength']} characters")
    if metadata.get("Pattern") and not re.fullmatch(metadata["Pattern"], value):
        raise refuse(f"Must match {metadata['Pattern']}")
    return value


def _admit(ctx: Context, params: Params, channel: str) -> tuple[Record, dict[str, Any], Destination, str]:
    """The configuration, template, destination and rendered body of an admissible Notify send."""
    configuration = notify_configurations.find(ctx, params["NotifyConfigurationId"], for_update=True)
    data = configuration.data
    if data["Status"] != "ACTIVE":
        raise Conflict("NOTIFY_CONFIGURATION_NOT_ACTIVE", notify_configurations.RESOURCE_TYPE,
                       configuration.resource_id)
    if channel not in data["EnabledChannels"]:
        raise Invalid("CHANNEL_NOT_ENABLED", f"{channel} is not enabled in {configuration.resource_id}.",
                      [FieldViolation("NotifyConfigurationId", f"{channel} is not an enabled channel")])
    template_id = params.get("TemplateId") or data.get("DefaultTemplateId")
    if not template_id or template_id == notify_configurations.UNSET_TEMPLATE:
        raise Invalid("MISSING_PARAMETER", "Give a TemplateId: the configuration has no default template.",
                      [FieldViolation("TemplateId", "Required without a DefaultTemplateId")])
    template = catalogue.template(template_id)
    if template.get("Status", "ACTIVE") != "ACTIVE":
        raise Conflict("RESOURCE_NOT_ACTIVE", catalogue.TEMPLATE, template_id)
    if channel not in template["Channels"]:
        raise Invalid("CHANNEL_NOT_ENABLED", f"The template {template_id} does not send on {channel}.",
                      [FieldViolation("TemplateId", f"Not a {channel} template")])
    if data["Tier"] not in template.get("TierAccess", [data["Tier"]]):
        raise Invalid("INVALID_PARAMETER", f"The template {template_id} is not open to the {data['Tier']} tier.",
                      [FieldViolation("TemplateId", f"Not available on the {data['Tier']} tier")])
    destination = sending.destination_of(params["DestinationPhoneNumber"])
    _check_country(data, template, destination)
    body = render(template, params["TemplateVariables"], data)
    return configuration, template, destination, body


def _check_country(data: dict[str, Any], template: dict[str, Any], destination: Destination) -> None:
    """The destination's country must be enabled in the configuration (or open to its tier) and served by the
    template; a simulator destination counts as its simulated country."""
    iso = destination.iso_country
    entry = catalogue.countries().get(iso)
    enabled = data.get("EnabledCountries")
    allowed = iso in enabled if enabled else entry is not None and data["Tier"] in entry["tiers"]
    if not allowed or (template.get("SupportedCountries") and iso not in template["SupportedCountries"]):
        raise Invalid("COUNTRY_NOT_ENABLED", f"The configuration does not send to {iso or 'that country'}.",
                      [FieldViolation("DestinationPhoneNumber", f"{iso or 'The country'} is not enabled")])


def _origin(ctx: Context, data: dict[str, Any], destination: Destination, capability: str) -> Origin:
    """The configuration's pool, else the AWS-managed identity of the destination's country."""
    if data.get("PoolId"):
        return origination.choose(ctx, data["PoolId"], destination, None, capability)
    entry = catalogue.countries().get(destination.iso_country) or {}
    managed = entry.get("managed_sms" if capability == "SMS" else "managed_voice")
    if not managed:
        raise Conflict("NO_ORIGINATION_IDENTITIES_FOUND", notify_configurations.RESOURCE_TYPE,
                       data["NotifyConfigurationId"],
                       f"AWS manages no Notify {capability} identity in {destination.iso_country}: set a PoolId.")
    number_type = "LONG_CODE" if managed.startswith("+") else "SHARED"
    return Origin(managed, "", number_type, destination.iso_country, "Default")


def _count_daily(ctx: Context, configuration: Record, params: Params) -> None:
    """Book one message against the tier's daily limit (UTC day), or ServiceQuotaExceededException."""
    limit = catalogue.daily_message_limit(configuration.data["Tier"])
    if limit is None:
        return
    day = time.strftime("%Y-%m-%d", time.gmtime(ctx.now))
    booked = configuration.data.get("_Daily") or {}
    used = int(booked.get("Count", 0)) if booked.get("Day") == day else 0
    if used >= limit:
        raise QuotaExceeded("DAILY_NOTIFY_TIER_MESSAGE_LIMIT",
                            f"A {configuration.data['Tier']} configuration sends at most {limit} messages a day.")
    if not params.get("DryRun"):
        resources.update(ctx.tx, configuration.with_data(_Daily={"Day": day, "Count": used + 1}))


@operation("SendNotifyTextMessage", sends=True)
def send_notify_text_message(ctx: Context, params: Params) -> Result:
    configuration, template, destination, body = _admit(ctx, params, "SMS")
    configuration_set = sending.configuration_set_of(ctx, params.get("ConfigurationSetName"))
    origin = _origin(ctx, configuration.data, destination, "SMS")
    sending.check_destination_allowed(ctx, origin, destination)
    protect = sending.protect_of(ctx, params, "SMS", destination)
    _count_daily(ctx, configuration, params)
    message_id = sending.accept_text(ctx, {**params, "MessageBody": body}, origin, destination, configuration_set,
                                     "TRANSACTIONAL", encoding.segment(body), protect)
    return {"MessageId": message_id, "TemplateId": template["TemplateId"], "ResolvedMessageBody": body}


@operation("SendNotifyVoiceMessage", sends=True)
def send_notify_voice_message(ctx: Context, params: Params) -> Result:
    configuration, template, destination, body = _admit(ctx, params, "VOICE")
    voices = template.get("SupportedVoiceIds")
    if params.get("VoiceId") and voices and params["VoiceId"] not in voices:
        raise Invalid("INVALID_PARAMETER", f"The template {template['TemplateId']} is not spoken by {params['VoiceId']}.",
                      [FieldViolation("VoiceId", f"Must be one of {', '.join(voices)}")])
    voice_params = {**params, "MessageBody": body, "VoiceId": params.get("VoiceId") or (voices[0] if voices else None)}
    sending_voice.check_body(body, "TEXT")
    configuration_set = sending.configuration_set_of(ctx, params.get("ConfigurationSetName"))
    origin = _origin(ctx, configuration.data, destination, "VOICE")
    sending.check_destination_allowed(ctx, origin, destination)
    sandbox = sending_voice.check_sandbox_calls(ctx, destination)
    protect = channel_protect.protect_or_refuse(ctx, params, "VOICE", destination)
    _count_daily(ctx, configuration, params)
    message_id = sending_voice.accept_voice(ctx, voice_params, origin, destination, configuration_set, "TEXT", protect,
                                            sending_voice.SANDBOX_MAX_SECONDS if sandbox else None)
    return {"MessageId": message_id, "TemplateId": template["TemplateId"], "ResolvedMessageBody": body}
