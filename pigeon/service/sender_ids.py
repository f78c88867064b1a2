"""Sender IDs: alphanumeric origination identities, one per SenderId and country.

Resource id and name are ``SenderId/IsoCountryCode``; the ARN is
``arn:aws:sms-voice:{region}:{account}:sender-id/{SenderId}/{IsoCountryCode}``. Which countries allow
sender IDs, and which need a registration first, is data (data/countries.yaml).
"""

from __future__ import annotations

import re
from dataclasses import replace

from pigeon.common import arns, filters, quotas, tags
from pigeon.common.describe import describe
from pigeon.errors import Conflict, FieldViolation, Invalid, NotFound
from pigeon.protocol.model import enum_values
from pigeon.service import identities, inventory
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

RESOURCE_TYPE = "sender-id"
SENDER_ID_FORMAT = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9_-]{1,11}")
"""At most 11 characters with at least one letter: what handsets display as an alphanumeric sender."""

FILTERS: filters.Table = {
    "sender-id": lambda r: r.data["SenderId"],
    "iso-country-code": lambda r: r.data["IsoCountryCode"],
    "message-type": filters.one_of(lambda r: r.data.get("MessageTypes", []), enum_values("MessageType")),
    "deletion-protection-enabled": filters.boolean(lambda r: r.data.get("DeletionProtectionEnabled", False)),
    "registered": filters.boolean(lambda r: r.data.get("Registered", False)),
}


def find(ctx: Context, sender_id_or_arn: str, iso_country_code: str | None = None, for_update: bool = False) -> Record:
    """A sender ID by ARN or by SenderId (and country), or ResourceNotFoundException."""
    found = identities.find_sender_id(ctx, sender_id_or_arn, iso_country_code, for_update=for_update)
    if found is None:
        named = iso_country_code and not arns.is_arn(sender_id_or_arn)
        key = f"{sender_id_or_arn}/{iso_country_code}" if named else sender_id_or_arn
        raise NotFound(RESOURCE_TYPE, key)
    return found


def check_country(iso: str) -> None:
    """Countries that do not support sender IDs, and those that require a registration, are refused."""
    if not inventory.is_country(iso):
        raise Invalid.field("IsoCountryCode", f"{iso} is not a known country or region.")
    rules = inventory.countries()["sender_ids"]
    if iso in rules["not_supported"]:
        raise Invalid("SENDER_ID_NOT_SUPPORTED", f"Sender IDs are not supported in {iso}.",
                      [FieldViolation("IsoCountryCode", "Sender IDs are not supported in this country")])
    if iso in rules["requires_registration"]:
        raise Invalid("SENDER_ID_REQUIRES_REGISTRATION", f"Sender IDs in {iso} must be registered first.",
                      [FieldViolation("SenderId", "This country requires a sender ID registration")])


@operation("RequestSenderId")
def request_sender_id(ctx: Context, params: Params) -> Result:
    """Request a new sender ID that doesn't require registration."""
    sender_id, iso = params["SenderId"], params["IsoCountryCode"]
    if not SENDER_ID_FORMAT.fullmatch(sender_id):
        raise Invalid.field("SenderId", "A sender ID is 1 to 11 letters, digits, '-' or '_', with at least one letter.")
    check_country(iso)
    key = f"{sender_id}/{iso}"
    if resources.get(ctx.tx, ctx.scope, RESOURCE_TYPE, key):
        raise Conflict("RESOURCE_ALREADY_EXISTS", RESOURCE_TYPE, key)
    quotas.check(ctx, "SENDER_IDS", resources.count(ctx.tx, ctx.scope, RESOURCE_TYPE), "SENDER_IDS_PER_ACCOUNT")
    arn = arns.build(ctx.scope, RESOURCE_TYPE, key)
    data = {
        "SenderIdArn": arn,
        "SenderId": sender_id,
        "IsoCountryCode": iso,
        "MessageTypes": list(dict.fromkeys(params.get("MessageTypes") or [])),
        "MonthlyLeasingPrice": inventory.leasing_price("sender_ids", iso),
        "DeletionProtectionEnabled": params.get("DeletionProtectionEnabled", False),
        "Registered": False,
        "_PoolIds": [],
    }
    record = resources.insert(
        ctx.tx, ctx.scope, Record(RESOURCE_TYPE, key, key, arn, ctx.now, data, tags.initial(params.get("Tags")))
    )
    return {**record.data, "Tags": tags.to_wire(record.tags)}


@operation("DescribeSenderIds")
def describe_sender_ids(ctx: Context, params: Params) -> Result:
    """Given sender IDs (an unknown one is an error) or all of the account's, filtered."""
    chunk, token = describe(ctx, params, RESOURCE_TYPE, "SenderIds", lambda item: find(ctx, item["SenderId"], item["IsoCountryCode"]), FILTERS)
    return {"SenderIds": [record.data for record in chunk], "NextToken": token}


@operation("UpdateSenderId")
def update_sender_id(ctx: Context, params: Params) -> Result:
    record = find(ctx, params["SenderId"], params["IsoCountryCode"], for_update=True)
    if "DeletionProtectionEnabled" in params:
        record = resources.update(ctx.tx, record.with_data(DeletionProtectionEnabled=params["DeletionProtectionEnabled"]))
    return record.data


@operation("ReleaseSenderId")
def release_sender_id(ctx: Context, params: Params) -> Result:
    """Release a sender ID; deletion protection or an association with a pool prevents it."""
    record = find(ctx, params["SenderId"], params["IsoCountryCode"], for_update=True)
    if record.data.get("DeletionProtectionEnabled"):
        raise Conflict("DELETION_PROTECTION_ENABLED", RESOURCE_TYPE, record.resource_id)
    if record.data.get("_PoolIds"):
        raise Conflict("SENDER_ID_ASSOCIATED_TO_POOL", RESOURCE_TYPE, record.resource_id)
    resources.delete(ctx.tx, replace(record))
    return record.data
