"""Notify configurations: a brand (DisplayName), its use case, the channels and countries it sends to, an
optional default template and pool, and its tier.

A configuration is ACTIVE at once on the BASIC tier (TierUpgradeStatus BASIC): AWS reviews only tier
upgrades, which no operation of the model requests. Channels are SMS and VOICE (the channels of Notify's
templates); countries come from the catalogue (service/notify_catalogue.py) and must be open to the tier.
Without EnabledCountries a configuration sends to every country of its tier.
"""

from __future__ import annotations

from typing import Any

from pigeon.common import arns, filters, ids, lookup, quotas, tags
from pigeon.common.describe import describe
from pigeon.errors import Conflict, FieldViolation, Invalid
from pigeon.protocol.model import enum_values
from pigeon.service import notify_catalogue as catalogue
from pigeon.service import pools
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

RESOURCE_TYPE = "notify-configuration"
CHANNELS = ("SMS", "VOICE")
"""The channels Notify sends on; MMS and RCS are in the model's list but no Notify template uses them."""
UNSET_TEMPLATE = "UNSET_DEFAULT_TEMPLATE"
UNSET_POOL = "UNSET_DEFAULT_POOL_FOR_NOTIFY"
PRIVATE = ("_Daily",)
"""Stored members that are not part of NotifyConfigurationInformation."""

FILTERS: filters.Table = {
    "display-name": lambda r: r.data["DisplayName"],
    "enabled-countries": lambda r: r.data.get("EnabledCountries"),
    "enabled-channels": filters.one_of(lambda r: r.data["EnabledChannels"], enum_values("NumberCapability")),
    "default-template": lambda r: r.data.get("DefaultTemplateId"),
    "default-pool": lambda r: r.data.get("PoolId"),
    "use-case": filters.one_of(lambda r: r.data["UseCase"], enum_values("NotifyConfigurationUseCase")),
    "status": filters.one_of(lambda r: r.data["Status"], enum_values("NotifyConfigurationStatus")),
    "deletion-protection-enabled": filters.boolean(lambda r: r.data.get("DeletionProtectionEnabled", False)),
    "tier-upgrade-status": filters.one_of(lambda r: r.data["TierUpgradeStatus"], enum_values("TierUpgradeStatus")),
}


def find(ctx: Context, id_or_arn: str, for_update: bool = False) -> Record:
    """A configuration by NotifyConfigurationId or its ARN, or ResourceNotFoundException."""
    return lookup.resolve(ctx, RESOURCE_TYPE, id_or_arn, by_name=False, for_update=for_update,
                          field="NotifyConfigurationId")


def information(record: Record) -> dict[str, Any]:
    return {key: value for key, value in record.data.items() if key not in PRIVATE}


def _channels(channels: list[str]) -> list[str]:
    bad = [(index, channel) for index, channel in enumerate(channels) if channel not in CHANNELS]
    if bad:
        raise Invalid("CHANNEL_NOT_ENABLED", f"Notify sends on {' and '.join(CHANNELS)} only.",
                      [FieldViolation(f"EnabledChannels[{index}]", f"{channel} is not a Notify channel")
                       for index, channel in bad])
    return list(dict.fromkeys(channels))


def _countries(countries: list[str], tier: str, channels: list[str]) -> list[str]:
    """Catalogue countries open to the tier on at least one of the channels."""
    for index, iso in enumerate(countries):
        entry = catalogue.countries().get(iso)
        if entry is None or tier not in entry["tiers"] or not set(entry["channels"]) & set(channels):
            raise Invalid("COUNTRY_NOT_ENABLED", f"Notify does not send to {iso} on the {tier} tier with "
                          f"{', '.join(channels)}.",
                          [FieldViolation(f"EnabledCountries[{index}]", f"{iso} is not available")])
    return list(dict.fromkeys(countries))


def _template_id(value: str | None, channels: list[str]) -> str | None:
    """An existing template that can send on one of the channels (UNSET or empty: none)."""
    if not value or value == UNSET_TEMPLATE:
        return None
    template = catalogue.template(value)
    if not set(template["Channels"]) & set(channels):
        raise Invalid("CHANNEL_NOT_ENABLED", f"The template {value} sends on {', '.join(template['Channels'])}.",
                      [FieldViolation("DefaultTemplateId", "No channel in common with EnabledChannels")])
    return value


def _pool_id(ctx: Context, value: str | None) -> str | None:
    if not value or value == UNSET_POOL:
        return None
    return pools.find(ctx, value).resource_id


def _check_identities(data: dict[str, Any]) -> None:
    """Countries where AWS provides no managed identity need the configuration's own pool."""
    if data.get("PoolId"):
        return
    for iso in data.get("EnabledCountries") or []:
        if catalogue.countries()[iso].get("customer_owned_identity_required"):
            raise Invalid("INVALID_IDENTITY_FOR_DESTINATION_COUNTRY",
                          f"{iso} needs your own origination identity: give a PoolId.",
                          [FieldViolation("PoolId", f"Required for {iso}")])


def _settled(ctx: Context, data: dict[str, Any], params: Params) -> dict[str, Any]:
    """``data`` with the request's channels, countries, template, pool and deletion protection applied."""
    result = dict(data)
    if "EnabledChannels" in params:
        result["EnabledChannels"] = _channels(params["EnabledChannels"])
    if "EnabledCountries" in params:
        result["EnabledCountries"] = _countries(params["EnabledCountries"], result["Tier"], result["EnabledChannels"])
    elif "EnabledCountries" in result:
        result["EnabledCountries"] = _countries(result["EnabledCountries"], result["Tier"], result["EnabledChannels"])
    if "DefaultTemplateId" in params:
        result["DefaultTemplateId"] = _template_id(params["DefaultTemplateId"], result["EnabledChannels"])
    elif result.get("DefaultTemplateId"):
        _template_id(result["DefaultTemplateId"], result["EnabledChannels"])
    if "PoolId" in params:
        result["PoolId"] = _pool_id(ctx, params["PoolId"])
    if params.get("DeletionProtectionEnabled") is not None:
        result["DeletionProtectionEnabled"] = bool(params["DeletionProtectionEnabled"])
    _check_identities(result)
    return {key: value for key, value in result.items() if value is not None}


@operation("CreateNotifyConfiguration")
def create_notify_configuration(ctx: Context, params: Params) -> Result:
    quotas.check(ctx, "NOTIFY_CONFIGURATIONS_PER_ACCOUNT", resources.count(ctx.tx, ctx.scope, RESOURCE_TYPE))
    configuration_id = ids.new("notify")
    arn = arns.build(ctx.scope, RESOURCE_TYPE, configuration_id)
    data = _settled(ctx, {
        "NotifyConfigurationArn": arn, "NotifyConfigurationId": configuration_id,
        "DisplayName": params["DisplayName"], "UseCase": params["UseCase"], "EnabledChannels": [],
        "Tier": "BASIC", "TierUpgradeStatus": "BASIC", "Status": "ACTIVE", "DeletionProtectionEnabled": False,
        "CreatedTimestamp": ctx.now}, params)
    record = resources.insert(ctx.tx, ctx.scope, Record(RESOURCE_TYPE, configuration_id, configuration_id, arn,
                                                        ctx.now, data, tags.initial(params.get("Tags"))))
    return {**information(record), "Tags": tags.to_wire(record.tags)}


@operation("DescribeNotifyConfigurations")
def describe_notify_configurations(ctx: Context, params: Params) -> Result:
    chunk, token = describe(ctx, params, RESOURCE_TYPE, "NotifyConfigurationIds", lambda value: find(ctx, value),
                            FILTERS)
    return {"NotifyConfigurations": [information(record) for record in chunk], "NextToken": token}


@operation("UpdateNotifyConfiguration")
def update_notify_configuration(ctx: Context, params: Params) -> Result:
    """Replace the channels or countries, set or unset (UNSET_DEFAULT_TEMPLATE, UNSET_DEFAULT_POOL_FOR_NOTIFY)
    the default template and pool, change deletion protection."""
    record = find(ctx, params["NotifyConfigurationId"], for_update=True)
    data = _settled(ctx, {**record.data, "DefaultTemplateId": record.data.get("DefaultTemplateId"),
                          "PoolId": record.data.get("PoolId")}, params)
    record = resources.update(ctx.tx, Record(record.resource_type, record.resource_id, record.name, record.arn,
                                             record.created_at, data, record.tags, record.parent_id,
                                             record.account_id, record.region, record.seq))
    return information(record)


@operation("DeleteNotifyConfiguration")
def delete_notify_configuration(ctx: Context, params: Params) -> Result:
    record = find(ctx, params["NotifyConfigurationId"], for_update=True)
    if record.data.get("DeletionProtectionEnabled"):
        raise Conflict("DELETION_PROTECTION_ENABLED", RESOURCE_TYPE, record.resource_id)
    resources.delete(ctx.tx, record)
    return information(record)


def using_pool(ctx: Context, pool_id: str) -> list[Record]:
    """The configurations whose default pool is ``pool_id``."""
    return [record for record in resources.list_of(ctx.tx, ctx.scope, RESOURCE_TYPE)
            if record.data.get("PoolId") == pool_id]
