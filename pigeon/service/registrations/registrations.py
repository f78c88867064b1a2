"""CreateRegistration, DeleteRegistration, DescribeRegistrations."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pigeon.common import arns, filters, ids, pagination, quotas, tags
from pigeon.errors import Conflict
from pigeon.protocol.model import enum_values
from pigeon.service.context import Context, Params, Result
from pigeon.service.registrations import definitions, records, review
from pigeon.service.registrations.records import ASSOCIATION, REGISTRATION, UNDER_REVIEW, VERSION
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

FILTERS: filters.Table = {
    "registration-type": lambda r: r.data["RegistrationType"],
    "registration-status": filters.one_of(lambda r: r.data["RegistrationStatus"], enum_values("RegistrationStatus")),
}


def wire(record: Record) -> dict[str, Any]:
    return {key: value for key, value in record.data.items() if not key.startswith("_")}


@operation("CreateRegistration")
def create_registration(ctx: Context, params: Params) -> Result:
    """A new registration of a catalogue type: status CREATED with version 1 in DRAFT."""
    definition = definitions.type_definition(params["RegistrationType"])
    quotas.check(ctx, "REGISTRATIONS", resources.count(ctx.tx, ctx.scope, REGISTRATION), "REGISTRATIONS_PER_ACCOUNT")
    registration_id = ids.new("registration")
    arn = arns.build(ctx.scope, REGISTRATION, registration_id)
    data = {
        "RegistrationArn": arn,
        "RegistrationId": registration_id,
        "RegistrationType": definition.name,
        "RegistrationStatus": "CREATED",
        "CurrentVersionNumber": 1,
        "AdditionalAttributes": {},
        "CreatedTimestamp": ctx.now,
    }
    record = resources.insert(ctx.tx, ctx.scope, Record(REGISTRATION, registration_id, registration_id, arn, ctx.now,
                                                         data, tags.initial(params.get("Tags"))))
    records.new_version(ctx, record, 1, {})
    return {**wire(record), "Tags": tags.to_wire(record.tags)}


def _refuse_deletion(registration: Record, why: str) -> Conflict:
    return Conflict("RESOURCE_DELETION_NOT_ALLOWED", REGISTRATION, registration.resource_id, why)


def _check_deletable(ctx: Context, registration: Record) -> None:
    """Refuse to delete a registration under review, or one another registration is associated with (a 10DLC
    brand of a campaign). Its own associations are dissolved with it (the API has no way to disassociate)."""
    status = records.current_version(ctx, registration).data["RegistrationVersionStatus"]
    if status in UNDER_REVIEW:
        raise _refuse_deletion(registration, f"The registration cannot be deleted while its version is {status}.")
    users = records.associations_of_resource(ctx, registration.arn)
    if users:
        names = ", ".join(sorted({user.parent_id for user in users}))
        raise _refuse_deletion(registration, f"The registration is associated with registration(s) {names}.")


def _release_identity(ctx: Context, association: Record, registration_id: str) -> None:
    """Deleting the registration disassociates its identities: they lose the RegistrationId."""
    identity = resources.get(ctx.tx, ctx.scope, association.data["ResourceType"], association.data["ResourceId"],
                             for_update=True)
    if identity is None or identity.data.get("RegistrationId") != registration_id:
        return
    data = {key: value for key, value in identity.data.items() if key != "RegistrationId"}
    if association.data["ResourceType"] == "sender-id":
        data["Registered"] = False
    resources.update(ctx.tx, replace(identity, data=data))


@operation("DeleteRegistration")
def delete_registration(ctx: Context, params: Params) -> Result:
    """Permanently delete a registration with its versions and associations."""
    registration = review.load(ctx, params["RegistrationId"], for_update=True)
    _check_deletable(ctx, registration)
    for association in records.associations(ctx, registration):
        _release_identity(ctx, association, registration.resource_id)
    resources.delete_children(ctx.tx, ctx.scope, registration.resource_id, VERSION)
    resources.delete_children(ctx.tx, ctx.scope, registration.resource_id, ASSOCIATION)
    resources.delete(ctx.tx, registration)
    return {**wire(registration), "RegistrationStatus": "DELETED"}


@operation("DescribeRegistrations", writes=True)  # settles the registration (review.settle), which may write
def describe_registrations(ctx: Context, params: Params) -> Result:
    wanted = params.get("RegistrationIds")
    if wanted:
        found = {record.seq: record for record in (records.find(ctx, value) for value in wanted)}
        chosen = [found[seq] for seq in sorted(found)]
    else:
        chosen = resources.list_of(ctx.tx, ctx.scope, REGISTRATION)
    chosen = filters.apply([review.settle(ctx, record) for record in chosen], params.get("Filters"), FILTERS)
    chunk, token = pagination.page_of(ctx, params, chosen)
    return {"Registrations": [wire(record) for record in chunk], "NextToken": token}
