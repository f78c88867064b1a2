"""CreateRegistrationVersion, SubmitRegistrationVersion, DiscardRegistrationVersion,
DescribeRegistrationVersions: the version status machine.

DRAFT --submit--> SUBMITTED (AWS_REVIEWING with AwsReview) --operator--> APPROVED | DENIED;
DRAFT --discard--> DISCARDED. A new version may be created once the current one is no longer a draft or
under review ("The previous version of the registration becomes read-only"); it starts as a DRAFT holding
the field values of the latest version that was not discarded.
"""

from __future__ import annotations

from typing import Any

from pigeon.common import filters, pagination, quotas
from pigeon.errors import Conflict, FieldViolation, Invalid
from pigeon.protocol.model import enum_values
from pigeon.service.context import Context, Params, Result
from pigeon.service.registrations import definitions, field_values, records, review
from pigeon.service.registrations.records import REGISTRATION, UNDER_REVIEW, VERSION
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

DAY_SECONDS = 86400.0

FILTERS: filters.Table = {"registration-version-status": filters.one_of(lambda v: v.data["RegistrationVersionStatus"],
                                                        enum_values("RegistrationVersionStatus"))}


def _answer(registration: Record, version: Record, **extra: Any) -> Result:
    return {"RegistrationArn": registration.arn, "RegistrationId": registration.resource_id,
            **records.version_wire(version), **extra}


def _refuse(reason: str, registration: Record, version: Record, action: str) -> Conflict:
    status = version.data["RegistrationVersionStatus"]
    return Conflict(reason, REGISTRATION, registration.resource_id,
                    f"Cannot {action}: version {version.data['VersionNumber']} is {status}.")


def _versions_created_today(ctx: Context) -> int:
    """Versions created with CreateRegistrationVersion in the account and region in the last 24 hours."""
    since = ctx.now - DAY_SECONDS
    return sum(1 for v in resources.list_of(ctx.tx, ctx.scope, VERSION)
               if v.data["VersionNumber"] > 1 and v.data["RegistrationVersionStatusHistory"]["DraftTimestamp"] > since)


def _values_to_copy(ctx: Context, registration: Record) -> dict[str, Any]:
    for earlier in reversed(records.versions(ctx, registration)):
        if earlier.data["RegistrationVersionStatus"] != "DISCARDED":
            return {path: {k: v for k, v in value.items() if k not in ("DeniedReason", "Feedback")}
                    for path, value in earlier.data.get("_FieldValues", {}).items()}
    return {}


@operation("CreateRegistrationVersion")
def create_registration_version(ctx: Context, params: Params) -> Result:
    registration = review.load(ctx, params["RegistrationId"], for_update=True)
    current = records.current_version(ctx, registration)
    if registration.data["RegistrationStatus"] == "CLOSED":
        raise Conflict("CREATE_REGISTRATION_VERSION_NOT_ALLOWED", REGISTRATION, registration.resource_id,
                       "The registration is CLOSED: its identity was deleted; delete the registration.")
    if current.data["RegistrationVersionStatus"] in ("DRAFT", *UNDER_REVIEW):
        raise _refuse("CREATE_REGISTRATION_VERSION_NOT_ALLOWED", registration, current, "create a new version")
    quotas.check(ctx, "REGISTRATION_VERSIONS_CREATED_PER_DAY", _versions_created_today(ctx))
    number = registration.data["CurrentVersionNumber"] + 1
    version = records.new_version(ctx, registration, number, _values_to_copy(ctx, registration))
    records.save(ctx, registration, CurrentVersionNumber=number,
                 RegistrationStatus=review.registration_status(registration.data, "DRAFT"))
    return _answer(registration, version)


def _check_complete(ctx: Context, registration: Record, version: Record) -> None:
    """A submission names every missing required field, and needs its ASSOCIATE_BEFORE_SUBMIT associations."""
    definition = definitions.type_definition(registration.data["RegistrationType"])
    missing = field_values.missing_fields(definition, version.data.get("_FieldValues", {}))
    if missing:
        raise Invalid("MISSING_PARAMETER", f"Required registration fields have no value: {', '.join(missing)}",
                      [FieldViolation(path, "Required field has no value") for path in missing])
    present = {a.data["ResourceType"] for a in records.associations(ctx, registration)}
    for association in definition.associations:
        if association.required and association.wire["ResourceType"] not in present:
            raise Invalid("INVALID_REGISTRATION_ASSOCIATION",
                          f"{definition.name} must be associated with a {association.wire['ResourceType']} "
                          f"before it is submitted ({association.behavior}).",
                          [FieldViolation("RegistrationId", f"Missing {association.wire['ResourceType']} association")])


@operation("SubmitRegistrationVersion")
def submit_registration_version(ctx: Context, params: Params) -> Result:
    """Submit the current DRAFT version for review (AWS_REVIEWING when AwsReview is set)."""
    registration = review.load(ctx, params["RegistrationId"], for_update=True)
    version = records.current_version(ctx, registration, for_update=True)
    status = version.data["RegistrationVersionStatus"]
    if status in UNDER_REVIEW:
        raise _refuse("REGISTRATION_ALREADY_SUBMITTED", registration, version, "submit")
    if status != "DRAFT":
        raise _refuse("SUBMIT_REGISTRATION_VERSION_NOT_ALLOWED", registration, version, "submit")
    _check_complete(ctx, registration, version)
    aws_review = bool(params.get("AwsReview", False))
    new_status = "AWS_REVIEWING" if aws_review else "SUBMITTED"
    history = {**version.data["RegistrationVersionStatusHistory"], "SubmittedTimestamp": ctx.now}
    version = records.set_version_status(ctx, version.with_data(RegistrationVersionStatusHistory=history), new_status,
                                         _AwsReview=aws_review)
    records.save(ctx, registration, RegistrationStatus=review.registration_status(registration.data, new_status))
    return _answer(registration, version, AwsReview=aws_review)


@operation("DiscardRegistrationVersion")
def discard_registration_version(ctx: Context, params: Params) -> Result:
    """Discard the current version, which must be a DRAFT."""
    registration = review.load(ctx, params["RegistrationId"], for_update=True)
    version = records.current_version(ctx, registration, for_update=True)
    if version.data["RegistrationVersionStatus"] != "DRAFT":
        raise _refuse("DISCARD_REGISTRATION_VERSION_NOT_ALLOWED", registration, version, "discard")
    version = records.set_version_status(ctx, version, "DISCARDED")
    records.save(ctx, registration, RegistrationStatus=review.registration_status(registration.data, "DISCARDED"))
    return _answer(registration, version)


@operation("DescribeRegistrationVersions", writes=True)  # settles the registration (review.settle), which may write
def describe_registration_versions(ctx: Context, params: Params) -> Result:
    """The versions of a registration, newest first."""
    registration = review.load(ctx, params["RegistrationId"])
    every = records.versions(ctx, registration)
    wanted = params.get("VersionNumbers")
    if wanted:
        known = {v.data["VersionNumber"] for v in every}
        unknown = [str(number) for number in wanted if number not in known]
        if unknown:
            raise Invalid("UNKNOWN_REGISTRATION_VERSION", f"Unknown version(s): {', '.join(unknown)}",
                          [FieldViolation("VersionNumbers", f"Unknown version {number}") for number in unknown])
        every = [v for v in every if v.data["VersionNumber"] in wanted]
    chosen = filters.apply(list(reversed(every)), params.get("Filters"), FILTERS)
    chunk, token = pagination.page_of(ctx, params, chosen, lambda v: -v.data["VersionNumber"])
    return {"RegistrationArn": registration.arn, "RegistrationId": registration.resource_id,
            "RegistrationVersions": [records.version_wire(v) for v in chunk], "NextToken": token}
