"""Stored shapes of the registration family and the reads and writes every concern shares.

A registration is a ``registration`` record (RegistrationInformation). Each version is a child record
``registration-version`` (parent_id = registration id, name = zero-padded version number) holding
RegistrationVersionInformation plus its field values under ``_FieldValues``. Each association is a child
record ``registration-association`` (name = the associated resource's ARN) holding
RegistrationAssociationMetadata.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pigeon.common import lookup
from pigeon.service.context import Context
from pigeon.store import resources
from pigeon.store.resources import Record

REGISTRATION = "registration"
VERSION = "registration-version"
ASSOCIATION = "registration-association"
ATTACHMENT = "registration-attachment"

UNDER_REVIEW = ("SUBMITTED", "AWS_REVIEWING", "REVIEWING", "REQUIRES_AUTHENTICATION")
"""Version statuses of a submitted version awaiting a decision: no edits, no new version, no deletion."""

HISTORY_KEYS = {
    "DRAFT": "DraftTimestamp", "SUBMITTED": "SubmittedTimestamp", "AWS_REVIEWING": "AwsReviewingTimestamp",
    "REVIEWING": "ReviewingTimestamp", "REQUIRES_AUTHENTICATION": "RequiresAuthenticationTimestamp",
    "APPROVED": "ApprovedTimestamp", "DISCARDED": "DiscardedTimestamp", "DENIED": "DeniedTimestamp",
    "REVOKED": "RevokedTimestamp", "ARCHIVED": "ArchivedTimestamp",
}


def find(ctx: Context, registration_id: str, for_update: bool = False) -> Record:
    """A registration by id or ARN, or ResourceNotFoundException (registrations have no names)."""
    return lookup.resolve(ctx, REGISTRATION, registration_id, by_name=False, for_update=for_update,
                          field="RegistrationId")


def version_name(number: int) -> str:
    return f"{number:06d}"


def versions(ctx: Context, registration: Record) -> list[Record]:
    """All versions of a registration, oldest first."""
    return resources.list_of(ctx.tx, ctx.scope, VERSION, parent_id=registration.resource_id)


def version(ctx: Context, registration: Record, number: int, for_update: bool = False) -> Record | None:
    return resources.get_by_name(ctx.tx, ctx.scope, VERSION, version_name(number), registration.resource_id,
                                 for_update=for_update)


def current_version(ctx: Context, registration: Record, for_update: bool = False) -> Record:
    found = version(ctx, registration, registration.data["CurrentVersionNumber"], for_update)
    assert found is not None, "a registration always has its current version"
    return found


def new_version(ctx: Context, registration: Record, number: int, field_values: dict[str, Any]) -> Record:
    data = {
        "VersionNumber": number,
        "RegistrationVersionStatus": "DRAFT",
        "RegistrationVersionStatusHistory": {"DraftTimestamp": ctx.now},
        "_FieldValues": field_values,
    }
    record = Record(VERSION, f"{registration.resource_id}/{number}", version_name(number), "", ctx.now, data,
                    parent_id=registration.resource_id)
    return resources.insert(ctx.tx, ctx.scope, record)


def set_version_status(ctx: Context, record: Record, status: str, at: float | None = None, **extra: Any) -> Record:
    """Move a version to ``status``, stamping its RegistrationVersionStatusHistory."""
    history = {**record.data["RegistrationVersionStatusHistory"], HISTORY_KEYS[status]: ctx.now if at is None else at}
    return resources.update(ctx.tx, record.with_data(RegistrationVersionStatus=status,
                                                     RegistrationVersionStatusHistory=history, **extra))


def save(ctx: Context, registration: Record, **changes: Any) -> Record:
    """Write changed members of a registration (None removes a member)."""
    data = {**registration.data, **changes}
    return resources.update(ctx.tx, replace(registration, data={k: v for k, v in data.items() if v is not None}))


def associations(ctx: Context, registration: Record) -> list[Record]:
    """The registration's associations, oldest first: the stored ones, and phone numbers requested with its
    RegistrationId ("to attach your phone number for an external registration process"), adopted as such."""
    stored = resources.list_of(ctx.tx, ctx.scope, ASSOCIATION, parent_id=registration.resource_id)
    known = {record.name for record in stored}
    adopted = [Record(ASSOCIATION, f"{registration.resource_id}|{phone.arn}", phone.arn, "", phone.created_at,
                      phone_metadata(phone), parent_id=registration.resource_id, seq=phone.seq)
               for phone in resources.list_of(ctx.tx, ctx.scope, "phone-number")
               if phone.data.get("RegistrationId") == registration.resource_id and phone.arn not in known]
    return sorted(stored + adopted, key=lambda record: record.seq)


def phone_metadata(phone: Record) -> dict[str, Any]:
    return {"ResourceArn": phone.arn, "ResourceId": phone.resource_id, "ResourceType": phone.resource_type,
            "IsoCountryCode": phone.data["IsoCountryCode"], "PhoneNumber": phone.data["PhoneNumber"]}


def associations_of_resource(ctx: Context, resource_arn: str) -> list[Record]:
    """Associations (of any registration in scope) whose associated resource is ``resource_arn``."""
    return resources.list_of(ctx.tx, ctx.scope, ASSOCIATION, names=[resource_arn])


def version_wire(record: Record) -> dict[str, Any]:
    return {key: value for key, value in record.data.items() if not key.startswith("_")}
