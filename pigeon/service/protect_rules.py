"""Country rule sets and number overrides of protect configurations, and ``decide`` for sending.

A configuration stores only its non-ALLOW country rules (``_CountryRules``: capability -> country -> status);
every other country of ``phonenumbers``' regions is ALLOW. Number overrides are child records named by the
E.164 number; one past its ExpirationTimestamp (by the request's clock) is neither listed nor applied.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import phonenumbers

from pigeon.common import filters, pagination, phone
from pigeon.errors import FieldViolation, Invalid, NotFound
from pigeon.protocol.model import enum_values
from pigeon.service import opt_outs
from pigeon.service.context import Context, Params, Result
from pigeon.service.protect_configurations import OVERRIDE_TYPE, RESOURCE_TYPE, find
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

CAPABILITIES = ("SMS", "VOICE", "MMS")
"""The reference: "Valid values are SMS, VOICE, or MMS" (the model's NumberCapability also has RCS)."""

STATUSES = {"SMS": ("ALLOW", "BLOCK", "MONITOR", "FILTER"), "VOICE": ("ALLOW", "BLOCK"), "MMS": ("ALLOW", "BLOCK")}
"""MONITOR and FILTER rest on the SMS AIT model ("To help lessen the impact of an SMS AIT attack... set
country rules to either block, or filter", user guide "Country rule modes"); voice and MMS rules allow or block."""

COUNTRIES = tuple(sorted(phonenumbers.SUPPORTED_REGIONS))

OVERRIDE_FILTERS: filters.Table = {
    "iso-country-code": lambda record: record.data.get("IsoCountryCode"),
    "destination-phone-number-begins-with": filters.begins_with(lambda record: record.data["DestinationPhoneNumber"]),
    "action": filters.one_of(lambda record: record.data["Action"], enum_values("ProtectConfigurationRuleOverrideAction")),
    "expires-before": filters.before(lambda record: record.data.get("ExpirationTimestamp")),
    "expires-after": filters.after(lambda record: record.data.get("ExpirationTimestamp")),
    "created-before": filters.before(lambda record: record.data["CreatedTimestamp"]),
    "created-after": filters.after(lambda record: record.data["CreatedTimestamp"]),
}


def _capability(value: str) -> str:
    if value not in CAPABILITIES:
        raise Invalid.field("NumberCapability", f"{value} is not supported by protect configurations; "
                            "valid values are SMS, VOICE or MMS.")
    return value


def _rules(record: Record, capability: str) -> dict[str, str]:
    return dict((record.data.get("_CountryRules") or {}).get(capability) or {})


def _rule_set(record: Record, capability: str) -> Result:
    """The whole CountryRuleSet of one capability: every supported country, ALLOW unless stored otherwise."""
    rules = _rules(record, capability)
    return {
        "ProtectConfigurationArn": record.arn,
        "ProtectConfigurationId": record.resource_id,
        "NumberCapability": capability,
        "CountryRuleSet": {iso: {"ProtectStatus": rules.get(iso, "ALLOW")} for iso in COUNTRIES},
    }


@operation("GetProtectConfigurationCountryRuleSet")
def get_protect_configuration_country_rule_set(ctx: Context, params: Params) -> Result:
    capability = _capability(params["NumberCapability"])
    return _rule_set(find(ctx, params["ProtectConfigurationId"]), capability)


def _check_updates(capability: str, updates: dict[str, Any]) -> None:
    violations = []
    for iso, rule in updates.items():
        if iso not in phonenumbers.SUPPORTED_REGIONS:
            violations.append(FieldViolation(f"CountryRuleSetUpdates.{iso}", f"{iso} is not a supported country"))
        elif rule["ProtectStatus"] not in STATUSES[capability]:
            violations.append(FieldViolation(f"CountryRuleSetUpdates.{iso}.ProtectStatus",
                                             f"{rule['ProtectStatus']} is not available for {capability}; "
                                             f"valid values are {', '.join(STATUSES[capability])}"))
    if violations:
        raise Invalid("INVALID_PARAMETER", fields=violations)


@operation("UpdateProtectConfigurationCountryRuleSet")
def update_protect_configuration_country_rule_set(ctx: Context, params: Params) -> Result:
    """Updates only the countries given, only for the NumberCapability given."""
    capability = _capability(params["NumberCapability"])
    updates = params["CountryRuleSetUpdates"]
    _check_updates(capability, updates)
    record = find(ctx, params["ProtectConfigurationId"], for_update=True)
    rules = _rules(record, capability)
    for iso, rule in updates.items():
        rules.pop(iso, None)
        if rule["ProtectStatus"] != "ALLOW":
            rules[iso] = rule["ProtectStatus"]
    all_rules = {**(record.data.get("_CountryRules") or {}), capability: rules}
    record = resources.update(ctx.tx, record.with_data(_CountryRules=all_rules))
    return _rule_set(record, capability)


# --- number overrides --------------------------------------------------------------------------


def _live(ctx: Context, override: Record | None) -> Record | None:
    """The override unless it has expired."""
    if override is None:
        return None
    expires = override.data.get("ExpirationTimestamp")
    return override if expires is None or expires > ctx.now else None


def _override(ctx: Context, protect_id: str, number: str, for_update: bool = False) -> Record | None:
    return resources.get_by_name(ctx.tx, ctx.scope, OVERRIDE_TYPE, number, parent_id=protect_id,
                                 for_update=for_update)


def _override_result(record: Record, override: dict[str, Any]) -> Result:
    return {"ProtectConfigurationArn": record.arn, "ProtectConfigurationId": record.resource_id, **override}


def _country(number: str) -> str | None:
    """The number's country; for a number no region claims (fictional 555 numbers), its calling code's main one."""
    parsed = phone.parse(number).number
    if parsed is None:
        return None
    region = phonenumbers.region_code_for_number(parsed) or phonenumbers.region_code_for_country_code(
        parsed.country_code or 0)
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


@operation("PutProtectConfigurationRuleSetNumberOverride")
def put_protect_configuration_rule_set_number_override(ctx: Context, params: Params) -> Result:
    """Create or update a phone number rule override; without ExpirationTimestamp it does not expire."""
    record = find(ctx, params["ProtectConfigurationId"])
    number = opt_outs.e164(params["DestinationPhoneNumber"], field="DestinationPhoneNumber")
    expires = params.get("ExpirationTimestamp")
    if expires is not None and expires <= ctx.now:
        raise Invalid.field("ExpirationTimestamp", "The expiration time must be in the future.")
    existing = _override(ctx, record.resource_id, number, for_update=True)
    live = _live(ctx, existing)
    data = {
        "DestinationPhoneNumber": number,
        "CreatedTimestamp": live.data["CreatedTimestamp"] if live else ctx.now,
        "Action": params["Action"],
        "IsoCountryCode": _country(number),
        "ExpirationTimestamp": expires,
    }
    data = {key: value for key, value in data.items() if value is not None}
    if existing is None:
        resources.insert(ctx.tx, ctx.scope, Record(OVERRIDE_TYPE, f"{record.resource_id}/{number}", number, "",
                                                   ctx.now, data, parent_id=record.resource_id))
    else:
        resources.update(ctx.tx, replace(existing, data=data))
    return _override_result(record, data)


@operation("DeleteProtectConfigurationRuleSetNumberOverride")
def delete_protect_configuration_rule_set_number_override(ctx: Context, params: Params) -> Result:
    record = find(ctx, params["ProtectConfigurationId"])
    number = opt_outs.e164(params["DestinationPhoneNumber"], field="DestinationPhoneNumber")
    existing = _override(ctx, record.resource_id, number, for_update=True)
    live = _live(ctx, existing)
    if existing is not None:
        resources.delete(ctx.tx, existing)
    if live is None:
        raise NotFound(RESOURCE_TYPE, number, f"The protect configuration {record.resource_id} has no number "
                                              f"override for {number}.")
    return _override_result(record, live.data)


@operation("ListProtectConfigurationRuleSetNumberOverrides")
def list_protect_configuration_rule_set_number_overrides(ctx: Context, params: Params) -> Result:
    record = find(ctx, params["ProtectConfigurationId"])
    overrides = [override for override in resources.list_of(ctx.tx, ctx.scope, OVERRIDE_TYPE,
                                                             parent_id=record.resource_id)
                 if _live(ctx, override)]
    overrides = filters.apply(overrides, params.get("Filters"), OVERRIDE_FILTERS)
    chunk, token = pagination.page_of(ctx, params, overrides)
    return {"ProtectConfigurationArn": record.arn, "ProtectConfigurationId": record.resource_id,
            "RuleSetNumberOverrides": [override.data for override in chunk], "NextToken": token}


# --- for sending -------------------------------------------------------------------------------


def decide(ctx: Context, protect_configuration_id: str, capability: str, destination_e164: str) -> tuple[str, str]:
    """What a protect configuration does with a send: ``(action, protect_status)``.

    ``action`` is ALLOW or BLOCK (whether the message may go); ``protect_status`` is the rule that applied,
    ALLOW | BLOCK | MONITOR | FILTER, for the event's ``protectConfiguration.protectStatus``. An unexpired
    number override wins over the country rule. MONITOR and FILTER send (Pigeon has no AIT model to filter
    with). An unknown configuration is ResourceNotFoundException.
    """
    record = find(ctx, protect_configuration_id)
    override = _live(ctx, _override(ctx, record.resource_id, destination_e164))
    if override is not None:
        action = str(override.data["Action"])
        return action, action
    try:
        country = _country(destination_e164)
    except phonenumbers.NumberParseException:
        country = None
    status = _rules(record, capability).get(country or "", "ALLOW")
    return ("BLOCK" if status == "BLOCK" else "ALLOW"), status
