"""PutRegistrationFieldValue, DeleteRegistrationFieldValue, DescribeRegistrationFieldValues.

Field values belong to a version; only the current version, and only while it is a DRAFT, can be edited
(ConflictException EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED otherwise). A value is checked against its
field definition: TEXT by length and pattern, SELECT by options and number of choices, ATTACHMENT by an
uploaded attachment of the account.
"""

from __future__ import annotations

import re
from typing import Any

from pigeon.common import lookup, pagination
from pigeon.errors import Conflict, FieldViolation, Invalid
from pigeon.service.context import Context, Params, Result
from pigeon.service.registrations import definitions, records, review
from pigeon.service.registrations.definitions import FieldDefinition, TypeDefinition
from pigeon.service.registrations.records import ATTACHMENT, REGISTRATION
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

VALUE_MEMBERS = {"TEXT": "TextValue", "SELECT": "SelectChoices", "ATTACHMENT": "RegistrationAttachmentId"}


def _invalid(member: str, message: str, reason: str = "FIELD_VALIDATION_FAILED") -> Invalid:
    return Invalid(reason, f"{member}: {message}", [FieldViolation(member, message)])


def _check_text(field: FieldDefinition, text: str) -> None:
    rules = field.wire["TextValidation"]
    if not rules["MinLength"] <= len(text) <= rules["MaxLength"]:
        raise _invalid("TextValue", f"{field.path} must have between {rules['MinLength']} and {rules['MaxLength']} "
                                    f"characters")
    if not re.fullmatch(rules["Pattern"], text):
        raise _invalid("TextValue", f"{field.path} must match the pattern {rules['Pattern']}")


def _check_choices(field: FieldDefinition, choices: list[str]) -> None:
    rules = field.wire["SelectValidation"]
    bad = [choice for choice in choices if choice not in rules["Options"]]
    if bad:
        raise _invalid("SelectChoices", f"{', '.join(bad)} not among the options of {field.path}")
    if len(set(choices)) != len(choices) or not rules["MinChoices"] <= len(choices) <= rules["MaxChoices"]:
        raise _invalid("SelectChoices", f"{field.path} takes between {rules['MinChoices']} and "
                                        f"{rules['MaxChoices']} distinct choices")


def _attachment_id(ctx: Context, value: str) -> str:
    attachment = lookup.resolve(ctx, ATTACHMENT, value, by_name=False, field="RegistrationAttachmentId")
    if attachment.data["AttachmentStatus"] != "UPLOAD_COMPLETE":
        raise _invalid("RegistrationAttachmentId", f"Attachment {attachment.resource_id} is "
                                                   f"{attachment.data['AttachmentStatus']}", "INVALID_PARAMETER")
    return attachment.resource_id


def checked_value(ctx: Context, field: FieldDefinition, params: Params) -> dict[str, Any]:
    """The one value member the field's type takes, validated against the definition."""
    given = [member for member in VALUE_MEMBERS.values() if params.get(member) is not None]
    if len(given) > 1:
        raise Invalid("PARAMETERS_CANNOT_BE_USED_TOGETHER", f"Give only one of {', '.join(given)}",
                      [FieldViolation(member, "Cannot be used together") for member in given])
    expected = VALUE_MEMBERS[field.field_type]
    if given != [expected]:
        raise _invalid(expected, f"{field.path} is a {field.field_type} field: give {expected}", "MISSING_PARAMETER")
    if field.field_type == "TEXT":
        _check_text(field, params[expected])
        return {expected: params[expected]}
    if field.field_type == "SELECT":
        _check_choices(field, list(params[expected]))
        return {expected: list(params[expected])}
    return {expected: _attachment_id(ctx, params[expected])}


def _field(definition: TypeDefinition, path: str) -> FieldDefinition:
    found = definition.field(path)
    if found is None:
        definitions.check_fields(definition, [path], "FieldPath")
    assert found is not None
    return found


def _editable(ctx: Context, params: Params) -> tuple[Record, FieldDefinition, Record]:
    """The registration, the field definition and the current version, which must be a DRAFT."""
    registration = review.load(ctx, params["RegistrationId"], for_update=True)
    field = _field(definitions.type_definition(registration.data["RegistrationType"]), params["FieldPath"])
    version = records.current_version(ctx, registration, for_update=True)
    if version.data["RegistrationVersionStatus"] != "DRAFT":
        raise Conflict("EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED", REGISTRATION, registration.resource_id,
                       f"Version {version.data['VersionNumber']} is {version.data['RegistrationVersionStatus']}; "
                       f"field values can only be edited in a DRAFT version.")
    return registration, field, version


def _answer(registration: Record, version: Record, path: str, value: dict[str, Any]) -> Result:
    return {"RegistrationArn": registration.arn, "RegistrationId": registration.resource_id,
            "VersionNumber": version.data["VersionNumber"], "FieldPath": path, **value}


@operation("PutRegistrationFieldValue")
def put_registration_field_value(ctx: Context, params: Params) -> Result:
    """Creates or updates a field value for a registration."""
    registration, field, version = _editable(ctx, params)
    value = checked_value(ctx, field, params)
    resources.update(ctx.tx, version.with_data(_FieldValues={**version.data.get("_FieldValues", {}), field.path: value}))
    return _answer(registration, version, field.path, value)


@operation("DeleteRegistrationFieldValue")
def delete_registration_field_value(ctx: Context, params: Params) -> Result:
    """Delete the value in a registration form field; a field without a value cannot be deleted."""
    registration, field, version = _editable(ctx, params)
    values = dict(version.data.get("_FieldValues", {}))
    if field.path not in values:
        raise _invalid("FieldPath", f"{field.path} has no value to delete", "REGISTRATION_FIELD_CANNOT_BE_DELETED")
    removed = values.pop(field.path)
    resources.update(ctx.tx, version.with_data(_FieldValues=values))
    return _answer(registration, version, field.path, removed)


def _condition_met(field: FieldDefinition, values: dict[str, dict[str, Any]]) -> bool:
    for path, accepted in field.when.items():
        value = values.get(path, {})
        given = set(value.get("SelectChoices", [])) | ({value["TextValue"]} if "TextValue" in value else set())
        if given & set(accepted):
            return True
    return False


def missing_fields(definition: TypeDefinition, values: dict[str, dict[str, Any]]) -> list[str]:
    """Field paths a submission lacks: REQUIRED fields, and CONDITIONAL ones whose condition is met."""
    return [field.path for field in definition.fields if field.path not in values and (
        field.requirement == "REQUIRED" or (field.requirement == "CONDITIONAL" and _condition_met(field, values)))]


@operation("DescribeRegistrationFieldValues", writes=True)  # settles the registration (review.settle), which may write
def describe_registration_field_values(ctx: Context, params: Params) -> Result:
    registration = review.load(ctx, params["RegistrationId"])
    number = params.get("VersionNumber") or registration.data["CurrentVersionNumber"]
    version = records.version(ctx, registration, number)
    if version is None:
        raise _invalid("VersionNumber", f"Version {number} does not exist", "UNKNOWN_REGISTRATION_VERSION")
    definition = definitions.type_definition(registration.data["RegistrationType"])
    chosen = definitions.selected_fields(definition, params.get("SectionPath"), params.get("FieldPaths"))
    values = version.data.get("_FieldValues", {})
    order = {field.path: index for index, field in enumerate(definition.fields)}
    present = [{"FieldPath": field.path, **values[field.path]} for field in chosen if field.path in values]
    chunk, token = pagination.page_of(ctx, params, present, lambda value: order[value["FieldPath"]])
    return {"RegistrationArn": registration.arn, "RegistrationId": registration.resource_id,
            "VersionNumber": number, "RegistrationFieldValues": chunk, "NextToken": token}
