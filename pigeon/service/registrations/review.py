"""Review of submitted versions: an operator approves or denies; developers may auto-approve after a delay.

Approval: "COMPLETE: Your registration has been approved and your origination identity has been created" —
the version becomes APPROVED, the previously approved version ARCHIVED ("moves into this status when a more
recently submitted version is approved"), and associated phone numbers and sender IDs carry the
registration's id (sender IDs become ``Registered``). Denial: the version becomes DENIED with its
DeniedReasons, the registration REQUIRES_UPDATES ("You must fix your registration and resubmit it").

Auto-approval (``Settings.registration_auto_approve_seconds``) is applied lazily whenever a registration is
loaded: a version submitted at least that long ago (by the injected clock) is approved as of that moment.
"""

from __future__ import annotations

from typing import Any

from pigeon.common import arns, ids
from pigeon.errors import Conflict, FieldViolation, Invalid, NotFound
from pigeon.service import inventory
from pigeon.service.context import Context
from pigeon.service.registrations import definitions, records
from pigeon.service.registrations.records import REGISTRATION, UNDER_REVIEW
from pigeon.store import resources
from pigeon.store.resources import Record

DECISIONS = ("APPROVE", "DENY")
IDENTITY_TYPES = ("phone-number", "sender-id")

_STATUS_OF_VERSION = {"SUBMITTED": "SUBMITTED", "AWS_REVIEWING": "AWS_REVIEWING", "REVIEWING": "REVIEWING",
                      "REQUIRES_AUTHENTICATION": "REQUIRES_AUTHENTICATION", "DENIED": "REQUIRES_UPDATES"}


def registration_status(registration: dict[str, Any], version_status: str) -> str:
    """The registration's status given its current version's: an approved registration stays COMPLETE while
    a newer version is drafted or reviewed (its identities stay usable); otherwise it follows the version."""
    if registration.get("RegistrationStatus") == "CLOSED":
        return "CLOSED"
    if registration.get("ApprovedVersionNumber"):
        return "COMPLETE"
    if version_status in _STATUS_OF_VERSION:
        return _STATUS_OF_VERSION[version_status]
    return "REQUIRES_UPDATES" if registration.get("LatestDeniedVersionNumber") else "CREATED"


def load(ctx: Context, registration_id: str, for_update: bool = False) -> Record:
    """A registration by id or ARN with any due auto-approval applied."""
    return settle(ctx, records.find(ctx, registration_id, for_update=for_update))


def settle(ctx: Context, registration: Record) -> Record:
    """Apply what time and other families changed since the registration was last written: a due
    auto-approval, and identities deleted since (see ``_close_if_orphaned``)."""
    return _close_if_orphaned(ctx, _auto_approve(ctx, registration))


def _close_if_orphaned(ctx: Context, registration: Record) -> Record:
    """"CLOSED: The phone number or sender ID has been deleted and you must also delete the registration": when
    every associated identity is gone and the type's DisassociationBehavior is DISASSOCIATE_ALL_CLOSES_REGISTRATION.
    Associations of deleted identities are dropped."""
    if registration.data["RegistrationStatus"] != "COMPLETE":
        return registration
    stored = resources.list_of(ctx.tx, ctx.scope, records.ASSOCIATION, parent_id=registration.resource_id)
    identities = [a for a in stored if a.data["ResourceType"] in IDENTITY_TYPES]
    gone = [a for a in identities
            if resources.get(ctx.tx, ctx.scope, a.data["ResourceType"], a.data["ResourceId"]) is None]
    if not gone:
        return registration
    for association in gone:
        resources.delete(ctx.tx, association)
    definition = definitions.type_definition(registration.data["RegistrationType"])
    closing = {a.wire["ResourceType"] for a in definition.associations
               if a.disassociation == "DISASSOCIATE_ALL_CLOSES_REGISTRATION"}
    if len(gone) == len(identities) and any(a.data["ResourceType"] in closing for a in gone):
        registration = records.save(ctx, registration, RegistrationStatus="CLOSED")
    return registration


def _auto_approve(ctx: Context, registration: Record) -> Record:
    delay = ctx.settings.registration_auto_approve_seconds
    if delay is None:
        return registration
    current = records.current_version(ctx, registration)
    if current.data["RegistrationVersionStatus"] not in UNDER_REVIEW:
        return registration
    due = current.data["RegistrationVersionStatusHistory"]["SubmittedTimestamp"] + float(delay)
    if due > ctx.now:
        return registration
    return approve(ctx, registration, current, at=due)


def approve(ctx: Context, registration: Record, version: Record, at: float | None = None) -> Record:
    previous = registration.data.get("ApprovedVersionNumber")
    if previous and previous != version.data["VersionNumber"]:
        archived = records.version(ctx, registration, previous)
        if archived is not None:
            records.set_version_status(ctx, archived, "ARCHIVED", at)
    records.set_version_status(ctx, version, "APPROVED", at)
    registration = records.save(ctx, registration, ApprovedVersionNumber=version.data["VersionNumber"],
                                RegistrationStatus="COMPLETE")
    _provision_sender_id(ctx, registration, version)
    for association in records.associations(ctx, registration):
        mark_identity(ctx, association, registration.resource_id, registered=True)
    return registration


def _provision_sender_id(ctx: Context, registration: Record, version: Record) -> None:
    """ASSOCIATE_ON_APPROVAL sender IDs are created on approval ("your origination identity has been created")
    from the form's ``senderIdInfo.senderId``, unless one is associated already."""
    definition = definitions.type_definition(registration.data["RegistrationType"])
    wanted = next((a for a in definition.associations
                   if a.wire["ResourceType"] == "sender-id" and a.behavior == "ASSOCIATE_ON_APPROVAL"), None)
    value = version.data.get("_FieldValues", {}).get("senderIdInfo.senderId", {}).get("TextValue")
    if wanted is None or not value or any(a.data["ResourceType"] == "sender-id"
                                          for a in records.associations(ctx, registration)):
        return
    iso = wanted.wire["IsoCountryCode"]
    key = f"{value}/{iso}"
    identity = resources.get(ctx.tx, ctx.scope, "sender-id", key)
    if identity is None:
        message_type = version.data["_FieldValues"].get("senderIdInfo.messageType", {}).get("SelectChoices", [])
        arn = arns.build(ctx.scope, "sender-id", key)
        data = {"SenderIdArn": arn, "SenderId": value, "IsoCountryCode": iso, "MessageTypes": list(message_type),
                "MonthlyLeasingPrice": inventory.leasing_price("sender_ids", iso), "DeletionProtectionEnabled": False,
                "Registered": True, "RegistrationId": registration.resource_id, "_PoolIds": []}
        identity = resources.insert(ctx.tx, ctx.scope, Record("sender-id", key, key, arn, ctx.now, data))
    metadata = {"ResourceArn": identity.arn, "ResourceId": key, "ResourceType": "sender-id", "IsoCountryCode": iso}
    resources.insert(ctx.tx, ctx.scope, Record(records.ASSOCIATION, f"{registration.resource_id}|{identity.arn}",
                                               identity.arn, "", ctx.now, metadata, parent_id=registration.resource_id))


def deny(ctx: Context, registration: Record, version: Record, reason: str, field_reasons: dict[str, str]) -> Record:
    denied = [{"Reason": reason, "ShortDescription": reason}]
    values = {path: ({**value, "DeniedReason": field_reasons[path]} if path in field_reasons else value)
              for path, value in version.data.get("_FieldValues", {}).items()}
    records.set_version_status(ctx, version, "DENIED", DeniedReasons=denied, _FieldValues=values)
    data = {**registration.data, "LatestDeniedVersionNumber": version.data["VersionNumber"]}
    return records.save(ctx, registration, LatestDeniedVersionNumber=version.data["VersionNumber"],
                        RegistrationStatus=registration_status(data, "DENIED"))


def mark_identity(ctx: Context, association: Record, registration_id: str, registered: bool) -> None:
    """Give an associated phone number or sender ID its RegistrationId; a sender ID is ``Registered`` once the
    registration is COMPLETE."""
    resource_type = association.data["ResourceType"]
    if resource_type not in IDENTITY_TYPES:
        return
    identity = resources.get(ctx.tx, ctx.scope, resource_type, association.data["ResourceId"], for_update=True)
    if identity is None:
        return
    changes: dict[str, Any] = {"RegistrationId": registration_id}
    if resource_type == "sender-id":
        changes["Registered"] = registered
    resources.update(ctx.tx, identity.with_data(**changes))


def identity_registered(ctx: Context, identity: Record) -> bool:
    """Whether a phone number or sender ID belongs to a COMPLETE registration (for the send-side gate)."""
    registration_id = identity.data.get("RegistrationId")
    if not registration_id:
        return False
    registration = resources.get(ctx.tx, ctx.scope, REGISTRATION, registration_id)
    return registration is not None and settle(ctx, registration).data["RegistrationStatus"] == "COMPLETE"


def decide(ctx: Context, registration: Record, decision: Any, reason: Any,
           field_reasons: Any = None) -> dict[str, Any]:
    """Apply an operator's decision to the registration's version under review."""
    if decision not in DECISIONS:
        raise Invalid("FIELD_VALIDATION_FAILED", f"Decision must be one of {', '.join(DECISIONS)}",
                      [FieldViolation("Decision", f"Must be one of {', '.join(DECISIONS)}")])
    if not isinstance(reason, (str, type(None))) or not isinstance(field_reasons, (dict, type(None))) or any(
            not isinstance(value, str) for value in (field_reasons or {}).values()):
        raise Invalid("FIELD_VALIDATION_FAILED", "Reason must be a string and FieldReasons an object of strings",
                      [FieldViolation("Reason", "Must be a string"), FieldViolation("FieldReasons", "Must map to strings")])
    registration = settle(ctx, registration)
    version = records.current_version(ctx, registration, for_update=True)
    status = version.data["RegistrationVersionStatus"]
    if status not in UNDER_REVIEW:
        raise Conflict("RESOURCE_MODIFICATION_NOT_ALLOWED", REGISTRATION, registration.resource_id,
                       f"Version {version.data['VersionNumber']} is {status}, not awaiting review.")
    if decision == "APPROVE":
        registration = approve(ctx, registration, version)
    else:
        registration = deny(ctx, registration, version, reason or "Denied by the operator.", field_reasons or {})
    version = records.current_version(ctx, registration)
    return {"RegistrationId": registration.resource_id, "RegistrationArn": registration.arn,
            "RegistrationStatus": registration.data["RegistrationStatus"],
            "VersionNumber": version.data["VersionNumber"],
            "RegistrationVersionStatus": version.data["RegistrationVersionStatus"]}


def review_registration(runtime: Any, registration_id: str, decision: Any, reason: Any = None,
                        field_reasons: Any = None) -> dict[str, Any]:
    """The operator's review (``POST /_pigeon/registrations/{id}/review``, ``pigeon registration-review``):
    the registration is found by id or ARN in whichever account and region holds it."""
    with runtime.store.transaction(write=True) as tx:
        if registration_id.startswith("arn:"):
            registration = resources.get_by_arn(tx, registration_id, for_update=True)
        else:
            registration = resources.get_in_any_scope(tx, REGISTRATION, registration_id, for_update=True)
        if registration is None or registration.resource_type != REGISTRATION:
            raise NotFound(REGISTRATION, registration_id)
        ctx = Context(registration.scope, runtime, "ReviewRegistration", ids.new_uuid(), runtime.clock.now(),
                      True, _tx=tx)  # type: ignore[arg-type]
        return decide(ctx, registration, decision, reason, field_reasons)
