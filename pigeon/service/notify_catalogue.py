"""Notify's catalogue (data/notify.yaml): the countries Notify sends to and its system-managed templates, with
DescribeNotifyTemplates and ListNotifyCountries.

"Notify templates are pre-approved, AWS-managed message templates ... You select from available templates but
cannot create or modify them": the same for every account, so they are data, not stored resources.
"""

from __future__ import annotations

from functools import cache
from importlib import resources as package_data
from typing import Any

import yaml

from pigeon.common import filters, pagination
from pigeon.errors import NotFound
from pigeon.protocol.model import enum_values
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation

TEMPLATE = "notify-template"
USE_CASES = ["CODE_VERIFICATION"]
"""Every catalogue country serves the model's one NotifyConfigurationUseCase."""

TEMPLATE_FILTERS: filters.Table = {
    "template-type": filters.one_of(lambda t: t["TemplateType"], enum_values("NotifyTemplateType")),
    "channels": filters.one_of(lambda t: t["Channels"], enum_values("NumberCapability")),
    "tier-access": filters.one_of(lambda t: t.get("TierAccess"), enum_values("NotifyConfigurationTier")),
    "supported-countries": lambda t: t.get("SupportedCountries"),
    "language-code": lambda t: t.get("LanguageCode"),
    "supported-voice-ids": filters.one_of(lambda t: t.get("SupportedVoiceIds"), enum_values("VoiceId")),
}


@cache
def _data() -> dict[str, Any]:
    return yaml.safe_load(package_data.files("pigeon.data").joinpath("notify.yaml").read_text())


@cache
def countries() -> dict[str, dict[str, Any]]:
    """IsoCountryCode -> the catalogue entry (name, channels, tiers, managed identities), in ISO order."""
    return {iso: _data()["countries"][iso] for iso in sorted(_data()["countries"])}


def country_information(iso: str) -> dict[str, Any]:
    """NotifyCountryInformation of a catalogue country."""
    entry = countries()[iso]
    return {"IsoCountryCode": iso, "CountryName": entry["name"], "SupportedChannels": entry["channels"],
            "SupportedUseCases": entry.get("use_cases", USE_CASES), "SupportedTiers": entry["tiers"],
            "CustomerOwnedIdentityRequired": bool(entry.get("customer_owned_identity_required"))}


@cache
def templates() -> dict[str, dict[str, Any]]:
    """TemplateId -> NotifyTemplateInformation, in TemplateId order."""
    created = float(_data()["created"])
    found = {template_id: {"TemplateId": template_id, **entry, "CreatedTimestamp": created}
             for template_id, entry in _data()["templates"].items()}
    return {template_id: found[template_id] for template_id in sorted(found)}


def template(template_id: str) -> dict[str, Any]:
    """A template by id, or ResourceNotFoundException naming the notify-template."""
    found = templates().get(template_id)
    if found is None:
        raise NotFound(TEMPLATE, template_id)
    return found


def daily_message_limit(tier: str) -> int | None:
    """The tier's daily message limit per configuration (None: unlimited)."""
    limit = _data().get("daily_message_limit", {}).get(tier)
    return None if limit is None else int(limit)


@operation("DescribeNotifyTemplates")
def describe_notify_templates(ctx: Context, params: Params) -> Result:
    """Named templates (an unknown one is not found) or all of them, filtered, a page at a time."""
    wanted = params.get("TemplateIds")
    items = [template(template_id) for template_id in dict.fromkeys(wanted)] if wanted else list(templates().values())
    items.sort(key=lambda t: t["TemplateId"])
    selected = filters.apply(items, params.get("Filters"), TEMPLATE_FILTERS)
    chunk, token = pagination.page_of(ctx, params, selected, lambda t: t["TemplateId"])
    return {"NotifyTemplates": chunk, "NextToken": token}


def _supports(entry: dict[str, Any], channels: list[str] | None, use_cases: list[str] | None,
              tier: str | None) -> bool:
    """A country matches a criterion when it supports any of its values ("filter by channel, use case, or tier")."""
    return ((not channels or bool(set(channels) & set(entry["SupportedChannels"])))
            and (not use_cases or bool(set(use_cases) & set(entry["SupportedUseCases"])))
            and (not tier or tier in entry["SupportedTiers"]))


@operation("ListNotifyCountries")
def list_notify_countries(ctx: Context, params: Params) -> Result:
    every = [country_information(iso) for iso in countries()]
    selected = [entry for entry in every
                if _supports(entry, params.get("Channels"), params.get("UseCases"), params.get("Tier"))]
    chunk, token = pagination.page_of(ctx, params, selected, lambda c: c["IsoCountryCode"])
    return {"NotifyCountries": chunk, "NextToken": token}
