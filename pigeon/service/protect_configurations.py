"""Protect configurations: which destination countries (and numbers) a send may reach, per capability.

A configuration applies to a send when named in the request, through its configuration set, or as the
account default (``effective_id``). Its country rules and number overrides live in ``protect_rules``, which
also holds ``decide``, the function sending calls.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pigeon.common import arns, filters, ids, lookup, quotas, tags
from pigeon.common.describe import describe
from pigeon.errors import Conflict, NotFound
from pigeon.service import configuration_sets
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import accounts, resources
from pigeon.store.resources import Record

RESOURCE_TYPE = "protect-configuration"
OVERRIDE_TYPE = "protect-number-override"
"""Number overrides are child records of their configuration (parent_id), named by the E.164 number."""

DEFAULT_KEY = "DefaultProtectConfigurationId"
"""Key of the account default in the per-region account settings (DescribeAccountAttributes reads it)."""


def _filters(default_id: str | None) -> dict[str, filters.OneOf]:
    return {
        "account-default": filters.boolean(lambda record: record.resource_id == default_id),
        "deletion-protection-enabled": filters.boolean(lambda record: record.data.get("DeletionProtectionEnabled", False)),
    }


def find(ctx: Context, id_or_arn: str, for_update: bool = False) -> Record:
    """A protect configuration by id or ARN, or ResourceNotFoundException."""
    return lookup.resolve(ctx, RESOURCE_TYPE, id_or_arn, by_name=False, for_update=for_update,
                          field="ProtectConfigurationId")


def account_default_id(ctx: Context) -> str | None:
    return accounts.setting(ctx.tx, ctx.scope, DEFAULT_KEY)


def effective_id(ctx: Context, protect_configuration_id: str | None, configuration_set: Record | None) -> str | None:
    """The protect configuration a send uses: the one in the request, else the configuration set's, else the
    account default ("The selection process for the effective protect configuration", user guide)."""
    if protect_configuration_id:
        return find(ctx, protect_configuration_id).resource_id
    if configuration_set is not None and configuration_set.data.get("ProtectConfigurationId"):
        return str(configuration_set.data["ProtectConfigurationId"])
    return account_default_id(ctx)


def information(record: Record, default_id: str | None) -> dict[str, Any]:
    """ProtectConfigurationInformation: AccountDefault is derived from the account settings, never stored."""
    return {**record.data, "AccountDefault": record.resource_id == default_id}


def _named(record: Record) -> Result:
    return {"ProtectConfigurationArn": record.arn, "ProtectConfigurationId": record.resource_id}


@operation("CreateProtectConfiguration")
def create_protect_configuration(ctx: Context, params: Params) -> Result:
    """By default all country rule sets for each capability are set to ALLOW."""
    quotas.check(ctx, "PROTECT_CONFIGURATIONS_PER_ACCOUNT", resources.count(ctx.tx, ctx.scope, RESOURCE_TYPE))
    protect_id = ids.new("protect")
    arn = arns.build(ctx.scope, RESOURCE_TYPE, protect_id)
    data = {
        "ProtectConfigurationArn": arn,
        "ProtectConfigurationId": protect_id,
        "CreatedTimestamp": ctx.now,
        "DeletionProtectionEnabled": bool(params.get("DeletionProtectionEnabled", False)),
        "_CountryRules": {},
    }
    record = resources.insert(
        ctx.tx, ctx.scope,
        Record(RESOURCE_TYPE, protect_id, protect_id, arn, ctx.now, data, tags.initial(params.get("Tags"))),
    )
    return {**information(record, None), "Tags": tags.to_wire(record.tags)}


@operation("UpdateProtectConfiguration")
def update_protect_configuration(ctx: Context, params: Params) -> Result:
    record = find(ctx, params["ProtectConfigurationId"], for_update=True)
    if params.get("DeletionProtectionEnabled") is not None:
        record = resources.update(ctx.tx, record.with_data(DeletionProtectionEnabled=params["DeletionProtectionEnabled"]))
    return information(record, account_default_id(ctx))


def associated_sets(ctx: Context, protect_id: str) -> list[Record]:
    """The configuration sets whose protect configuration is ``protect_id``."""
    return [record for record in resources.list_of(ctx.tx, ctx.scope, configuration_sets.RESOURCE_TYPE)
            if record.data.get("ProtectConfigurationId") == protect_id]


@operation("DeleteProtectConfiguration")
def delete_protect_configuration(ctx: Context, params: Params) -> Result:
    """The protect configuration must have deletion protection disabled and must not be associated as the
    account default protect configuration or associated with a configuration set."""
    record = find(ctx, params["ProtectConfigurationId"], for_update=True)
    protect_id = record.resource_id
    if record.data.get("DeletionProtectionEnabled"):
        raise Conflict("DELETION_PROTECTION_ENABLED", RESOURCE_TYPE, protect_id)
    if account_default_id(ctx) == protect_id:
        raise Conflict("PROTECT_CONFIGURATION_IS_ACCOUNT_DEFAULT", RESOURCE_TYPE, protect_id)
    if associated_sets(ctx, protect_id):
        raise Conflict("PROTECT_CONFIGURATION_ASSOCIATED_WITH_CONFIGURATION_SET", RESOURCE_TYPE, protect_id)
    resources.delete_children(ctx.tx, ctx.scope, protect_id, OVERRIDE_TYPE)
    resources.delete(ctx.tx, record)
    return information(record, None)


@operation("DescribeProtectConfigurations")
def describe_protect_configurations(ctx: Context, params: Params) -> Result:
    default_id = account_default_id(ctx)
    chunk, token = describe(ctx, params, RESOURCE_TYPE, "ProtectConfigurationIds", lambda value: find(ctx, value),
                            _filters(default_id))
    return {"ProtectConfigurations": [information(record, default_id) for record in chunk], "NextToken": token}


@operation("SetAccountDefaultProtectConfiguration")
def set_account_default_protect_configuration(ctx: Context, params: Params) -> Result:
    """You can only have one account default protect configuration at a time; it is replaced."""
    record = find(ctx, params["ProtectConfigurationId"])
    settings = accounts.settings(ctx.tx, ctx.scope)
    settings[DEFAULT_KEY] = record.resource_id
    accounts.save_settings(ctx.tx, ctx.scope, settings)
    return {"DefaultProtectConfigurationArn": record.arn, "DefaultProtectConfigurationId": record.resource_id}


@operation("DeleteAccountDefaultProtectConfiguration")
def delete_account_default_protect_configuration(ctx: Context, params: Params) -> Result:
    """Removes the current account default protect configuration (none set: ResourceNotFoundException)."""
    settings = accounts.settings(ctx.tx, ctx.scope)
    protect_id = settings.pop(DEFAULT_KEY, None)
    if not protect_id:
        raise NotFound(RESOURCE_TYPE, "account-default", "No account default protect configuration is set.")
    accounts.save_settings(ctx.tx, ctx.scope, settings)
    return {"DefaultProtectConfigurationArn": arns.build(ctx.scope, RESOURCE_TYPE, protect_id),
            "DefaultProtectConfigurationId": protect_id}


def _association(configuration_set: Record, record: Record) -> Result:
    return {"ConfigurationSetArn": configuration_set.arn, "ConfigurationSetName": configuration_set.name,
            **_named(record)}


@operation("AssociateProtectConfiguration")
def associate_protect_configuration(ctx: Context, params: Params) -> Result:
    """A configuration set has one protect configuration at a time (this replaces it); a protect
    configuration can be associated with many configuration sets."""
    record = find(ctx, params["ProtectConfigurationId"])
    configuration_set = configuration_sets.find(ctx, params["ConfigurationSetName"], for_update=True)
    resources.update(ctx.tx, configuration_set.with_data(ProtectConfigurationId=record.resource_id))
    return _association(configuration_set, record)


@operation("DisassociateProtectConfiguration")
def disassociate_protect_configuration(ctx: Context, params: Params) -> Result:
    record = find(ctx, params["ProtectConfigurationId"])
    configuration_set = configuration_sets.find(ctx, params["ConfigurationSetName"], for_update=True)
    if configuration_set.data.get("ProtectConfigurationId") != record.resource_id:
        raise Conflict("PROTECT_CONFIGURATION_NOT_ASSOCIATED_WITH_CONFIGURATION_SET", RESOURCE_TYPE,
                       record.resource_id)
    data = {key: value for key, value in configuration_set.data.items() if key != "ProtectConfigurationId"}
    resources.update(ctx.tx, replace(configuration_set, data=data))
    return _association(configuration_set, record)
