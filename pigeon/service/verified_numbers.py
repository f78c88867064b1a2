"""Verified destination numbers: the only destinations (with the simulator's) a SANDBOX account may send to.

A number is created PENDING; the sending family sends it a code and, on VerifyDestinationNumber, calls
``mark_verified``. Records are named by the E.164 number, so sending finds one with ``get_by_name``.
"""

from __future__ import annotations

from pigeon.common import arns, filters, ids, lookup, pagination, quotas, tags
from pigeon.errors import Conflict, NotFound
from pigeon.protocol.model import enum_values
from pigeon.service import opt_outs
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

RESOURCE_TYPE = "verified-destination-number"
RCS_AGENT_TYPE = "rcs-agent"
DELETION_DELAY_SECONDS = 24 * 3600
""""A verified destination can only be deleted 24 h after it was added" (user guide, sandbox)."""

FILTERS: filters.Table = {
    "status": filters.one_of(lambda record: record.data["Status"], enum_values("VerificationStatus")),
    "rcs-agent-id": lambda record: record.data.get("RcsAgentId"),
}


def find(ctx: Context, id_or_arn: str, for_update: bool = False) -> Record:
    """A verified destination number by id or ARN, or ResourceNotFoundException."""
    return lookup.resolve(ctx, RESOURCE_TYPE, id_or_arn, by_name=False, for_update=for_update,
                          field="VerifiedDestinationNumberId")


def find_by_number(ctx: Context, number: str, for_update: bool = False) -> Record | None:
    """The account's entry for an E.164 number, if any."""
    return resources.get_by_name(ctx.tx, ctx.scope, RESOURCE_TYPE, number, for_update=for_update)


def mark_verified(ctx: Context, record: Record) -> Record:
    """Record a successful VerifyDestinationNumber: the number's Status becomes VERIFIED."""
    return resources.update(ctx.tx, record.with_data(Status="VERIFIED"))


def _rcs_agent(ctx: Context, value: str | None) -> str | None:
    """The RCS agent id a number is verified for (the agent must exist)."""
    if not value:
        return None
    agent = lookup.find(ctx, RCS_AGENT_TYPE, value, by_name=False, field="RcsAgentId")
    if agent is None:
        raise NotFound(RCS_AGENT_TYPE, value)
    return agent.resource_id


@operation("CreateVerifiedDestinationNumber")
def create_verified_destination_number(ctx: Context, params: Params) -> Result:
    """You can add up to 10 verified destination numbers; each starts PENDING."""
    number = opt_outs.e164(params["DestinationPhoneNumber"], field="DestinationPhoneNumber")
    if find_by_number(ctx, number) is not None:
        raise Conflict("RESOURCE_ALREADY_EXISTS", RESOURCE_TYPE, number)
    rcs_agent_id = _rcs_agent(ctx, params.get("RcsAgentId"))
    quotas.check(ctx, "VERIFIED_DESTINATION_NUMBERS", resources.count(ctx.tx, ctx.scope, RESOURCE_TYPE),
                 "VERIFIED_DESTINATION_NUMBERS_PER_ACCOUNT")
    verified_id = ids.new("verified")
    arn = arns.build(ctx.scope, RESOURCE_TYPE, verified_id)
    data = {
        "VerifiedDestinationNumberArn": arn,
        "VerifiedDestinationNumberId": verified_id,
        "DestinationPhoneNumber": number,
        "Status": "PENDING",
        "CreatedTimestamp": ctx.now,
    }
    if rcs_agent_id:
        data["RcsAgentId"] = rcs_agent_id
    record = resources.insert(
        ctx.tx, ctx.scope,
        Record(RESOURCE_TYPE, verified_id, number, arn, ctx.now, data, tags.initial(params.get("Tags"))),
    )
    return {**record.data, "Tags": tags.to_wire(record.tags)}


@operation("DescribeVerifiedDestinationNumbers")
def describe_verified_destination_numbers(ctx: Context, params: Params) -> Result:
    """By ids and by numbers (both given: a number must match both lists), filtered, oldest first."""
    records = stored = resources.list_of(ctx.tx, ctx.scope, RESOURCE_TYPE)
    wanted_ids = params.get("VerifiedDestinationNumberIds")
    if wanted_ids:
        chosen = {find(ctx, value).seq for value in wanted_ids}
        records = [record for record in records if record.seq in chosen]
    wanted_numbers = params.get("DestinationPhoneNumbers")
    if wanted_numbers:
        numbers = {opt_outs.e164(value, field="DestinationPhoneNumbers") for value in wanted_numbers}
        missing = sorted(numbers - {record.name for record in stored})
        if missing:
            raise NotFound(RESOURCE_TYPE, missing[0])
        records = [record for record in records if record.name in numbers]
    records = filters.apply(records, params.get("Filters"), FILTERS)
    chunk, token = pagination.page_of(ctx, params, records)
    return {"VerifiedDestinationNumbers": [record.data for record in chunk], "NextToken": token}


@operation("DeleteVerifiedDestinationNumber")
def delete_verified_destination_number(ctx: Context, params: Params) -> Result:
    """A verified destination can only be deleted 24 hours after it was added."""
    record = find(ctx, params["VerifiedDestinationNumberId"], for_update=True)
    if ctx.now < record.data["CreatedTimestamp"] + DELETION_DELAY_SECONDS:
        raise Conflict("RESOURCE_DELETION_NOT_ALLOWED", RESOURCE_TYPE, record.resource_id,
                       "A verified destination number can only be deleted 24 hours after it was added.")
    resources.delete(ctx.tx, record)
    return record.data
