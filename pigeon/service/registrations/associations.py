"""CreateRegistrationAssociation, ListRegistrationAssociations.

"Associate the registration with an origination identity such as a phone number or sender ID" — or, for
10DLC vetting and campaigns, with the brand registration. What may be associated, and when, is the
registration type's SupportedAssociations: ResourceType (and IsoCountryCode, and for phone numbers the
number type) must match one of them, else ValidationException INVALID_REGISTRATION_ASSOCIATION; its
AssociationBehavior decides when: ASSOCIATE_BEFORE_SUBMIT while the current version is a DRAFT,
ASSOCIATE_AFTER_COMPLETE once the registration is COMPLETE, ASSOCIATE_ON_APPROVAL any time before the
registration closes (the identity becomes registered when the version is approved).
"""

from __future__ import annotations

from typing import Any

from pigeon.common import arns, filters, pagination, quotas
from pigeon.errors import Conflict, FieldViolation, Invalid, QuotaExceeded
from pigeon.service import identities
from pigeon.service.context import Context, Params, Result
from pigeon.service.registrations import definitions, records, review
from pigeon.service.registrations.definitions import Association, TypeDefinition
from pigeon.service.registrations.records import ASSOCIATION, REGISTRATION, UNDER_REVIEW
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

ASSOCIABLE = ("phone-number", "sender-id", REGISTRATION)

FILTERS = {
    "resource-type": lambda r: r.data["ResourceType"],
    "iso-country-code": lambda r: r.data.get("IsoCountryCode"),
}


def resolve_resource(ctx: Context, value: str) -> Record:
    """A registration (id or ARN), phone number (id, ARN or E.164) or sender ID (``SenderId/IsoCountryCode``,
    SenderId or ARN), through ``identities.resolve`` for the origination identities."""
    if arns.is_arn(value):
        parsed = arns.parse(value)
        if parsed is None:
            raise Invalid.field("ResourceId", f"{value} is not a valid ARN", reason="INVALID_ARN")
        if parsed.resource_type not in ASSOCIABLE:
            raise Invalid("INVALID_REGISTRATION_ASSOCIATION",
                          f"A {parsed.resource_type} cannot be associated with a registration.",
                          [FieldViolation("ResourceId", f"Unsupported resource type {parsed.resource_type}")])
        if parsed.resource_type == REGISTRATION:
            return records.find(ctx, value)
    elif value.startswith("registration-"):
        return records.find(ctx, value)
    return identities.resolve(ctx, value, kinds=(identities.PHONE_NUMBER, identities.SENDER_ID), field="ResourceId")


def metadata(resource: Record) -> dict[str, Any]:
    """RegistrationAssociationMetadata of a resource."""
    data: dict[str, Any] = {"ResourceArn": resource.arn, "ResourceId": resource.resource_id,
                            "ResourceType": resource.resource_type, "IsoCountryCode": resource.data.get("IsoCountryCode"),
                            "PhoneNumber": resource.data.get("PhoneNumber")}
    return {key: value for key, value in data.items() if value is not None}


def _matches(association: Association, resource: Record) -> bool:
    if association.wire["ResourceType"] != resource.resource_type:
        return False
    country = association.wire.get("IsoCountryCode")
    if country and resource.data.get("IsoCountryCode") != country:
        return False
    if association.number_types and resource.data.get("NumberType") not in association.number_types:
        return False
    return not association.registration_types or resource.data.get("RegistrationType") in association.registration_types


def supported(definition: TypeDefinition, resource: Record) -> Association:
    """The SupportedAssociation the resource falls under, or INVALID_REGISTRATION_ASSOCIATION."""
    for association in definition.associations:
        if _matches(association, resource):
            return association
    allowed = "; ".join(
        f"{a.wire['ResourceType']} {a.wire.get('IsoCountryCode', '')} {'/'.join(a.number_types + a.registration_types)}".strip()
        for a in definition.associations) or "nothing"
    raise Invalid("INVALID_REGISTRATION_ASSOCIATION",
                  f"{definition.name} cannot be associated with {resource.resource_type} {resource.resource_id}; "
                  f"it supports: {allowed}.", [FieldViolation("ResourceId", "Not a supported association")])


def _check_timing(ctx: Context, registration: Record, association: Association) -> None:
    status = registration.data["RegistrationStatus"]
    version_status = records.current_version(ctx, registration).data["RegistrationVersionStatus"]
    if status == "CLOSED":
        raise Conflict("RESOURCE_NOT_ACTIVE", REGISTRATION, registration.resource_id, "The registration is CLOSED.")
    if association.behavior == "ASSOCIATE_AFTER_COMPLETE" and status != "COMPLETE":
        raise Conflict("REGISTRATION_NOT_COMPLETE", REGISTRATION, registration.resource_id,
                       f"Associate after the registration is COMPLETE; it is {status}.")
    if association.behavior == "ASSOCIATE_BEFORE_SUBMIT" and version_status != "DRAFT":
        reason = "REGISTRATION_ALREADY_SUBMITTED" if version_status in UNDER_REVIEW else "RESOURCE_MODIFICATION_NOT_ALLOWED"
        raise Conflict(reason, REGISTRATION, registration.resource_id,
                       f"Associate before submitting, while the current version is a DRAFT; it is {version_status}.")


def _check_resource(ctx: Context, registration: Record, resource: Record) -> None:
    """Not already associated (with this or, for an identity, another registration); a registration must be COMPLETE."""
    for existing in records.associations_of_resource(ctx, resource.arn):
        if existing.parent_id == registration.resource_id or resource.resource_type != REGISTRATION:
            reason = ("PHONE_NUMBER_ASSOCIATED_TO_REGISTRATION" if resource.resource_type == "phone-number"
                      and existing.parent_id != registration.resource_id else "RESOURCE_ALREADY_ASSOCIATED")
            raise Conflict(reason, resource.resource_type, resource.resource_id,
                           f"{resource.resource_id} is already associated with registration {existing.parent_id}.")
    holder = resource.data.get("RegistrationId")
    if resource.resource_type == "phone-number" and holder == registration.resource_id:
        raise Conflict("RESOURCE_ALREADY_ASSOCIATED", resource.resource_type, resource.resource_id,
                       f"{resource.resource_id} was requested with registration {holder}.")
    if resource.resource_type == "phone-number" and holder and holder != registration.resource_id and resources.get(
            ctx.tx, ctx.scope, REGISTRATION, holder) is not None:
        raise Conflict("PHONE_NUMBER_ASSOCIATED_TO_REGISTRATION", resource.resource_type, resource.resource_id,
                       f"{resource.resource_id} belongs to registration {holder}.")
    if resource.resource_type == REGISTRATION and review.settle(ctx, resource).data["RegistrationStatus"] != "COMPLETE":
        raise Conflict("REGISTRATION_NOT_COMPLETE", REGISTRATION, resource.resource_id,
                       f"The associated registration {resource.resource_id} is not COMPLETE.")


def _check_counts(ctx: Context, registration: Record, association: Association, resource: Record) -> None:
    existing = records.associations(ctx, registration)
    quotas.check(ctx, "ASSOCIATIONS_PER_REGISTRATION", len(existing))
    same_kind = [a for a in existing if a.data["ResourceType"] == resource.resource_type]
    if resource.resource_type == "phone-number":
        quotas.check(ctx, "PHONE_NUMBERS_PER_REGISTRATION", len(same_kind))
    if association.max is not None and len(same_kind) >= association.max:
        reason = "PHONE_NUMBERS_PER_REGISTRATION" if resource.resource_type == "phone-number" else "ASSOCIATIONS_PER_REGISTRATION"
        raise QuotaExceeded(reason, f"{registration.data['RegistrationType']} takes at most {association.max} "
                                    f"{resource.resource_type} association(s).")


@operation("CreateRegistrationAssociation")
def create_registration_association(ctx: Context, params: Params) -> Result:
    registration = review.load(ctx, params["RegistrationId"], for_update=True)
    definition = definitions.type_definition(registration.data["RegistrationType"])
    resource = resolve_resource(ctx, params["ResourceId"])
    association = supported(definition, resource)
    _check_timing(ctx, registration, association)
    _check_resource(ctx, registration, resource)
    _check_counts(ctx, registration, association, resource)
    data = metadata(resource)
    record = Record(ASSOCIATION, f"{registration.resource_id}|{resource.arn}", resource.arn, "", ctx.now, data,
                    parent_id=registration.resource_id)
    record = resources.insert(ctx.tx, ctx.scope, record)
    review.mark_identity(ctx, record, registration.resource_id,
                         registered=registration.data["RegistrationStatus"] == "COMPLETE")
    return {"RegistrationArn": registration.arn, "RegistrationId": registration.resource_id,
            "RegistrationType": registration.data["RegistrationType"], **data}


@operation("ListRegistrationAssociations", writes=True)  # settles the registration (review.settle), which may write
def list_registration_associations(ctx: Context, params: Params) -> Result:
    """Retrieve all of the origination identities that are associated with a registration."""
    registration = review.load(ctx, params["RegistrationId"])
    chosen = filters.apply(records.associations(ctx, registration), params.get("Filters"), FILTERS)
    chunk, token = pagination.page_of(ctx, params, chosen)
    return {"RegistrationArn": registration.arn, "RegistrationId": registration.resource_id,
            "RegistrationType": registration.data["RegistrationType"],
            "RegistrationAssociations": [record.data for record in chunk], "NextToken": token}
