"""Opt-out lists and the destination numbers opted out in them.

"An opt-out list is a list of phone numbers that are opted out, meaning you can't send SMS or voice
messages to them." Every account and region has the list ``Default``: it exists implicitly and is stored
the first time a write uses it or DescribeOptOutLists shows it (see docs/decisions.md). Inbound keyword
handling and sending use ``opt_out``, ``opt_in`` and ``is_opted_out``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pigeon.common import arns, filters, lookup, pagination, phone, quotas, tags
from pigeon.errors import Conflict, FieldViolation, Invalid, NotFound
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources, shares
from pigeon.store.resources import Record

LIST_TYPE = "opt-out-list"
NUMBER_TYPE = "opted-out-number"
REMOVAL_TYPE = "opted-out-number-removal"
"""Private record of when a number was last deleted from a list (the once-every-30-days rule)."""
DEFAULT_LIST = "Default"
REMOVAL_INTERVAL_SECONDS = 30 * 24 * 3600
END_USER_FILTER = "end-user-opted-out"
USERS_OF_LISTS = ("phone-number", "pool")
"""Resource types whose documents name an opt-out list in ``OptOutListName``."""


# --- numbers and lists ------------------------------------------------------------------------


def e164(value: str, field: str = "OptedOutNumber") -> str:
    """``value`` in E.164 form (a leading + added), or ValidationException if no phone number could be it."""
    parsed = phone.parse(value)
    if not parsed.possible:
        raise Invalid.field(field, f"{value} is not a valid E.164 phone number.")
    return parsed.e164


def _list_name(ctx: Context, name_or_arn: str) -> str:
    """The list name a value refers to (an ARN's resource id, else the value itself)."""
    arn = arns.parse(name_or_arn) if arns.is_arn(name_or_arn) else None
    return arn.resource_id if arn and arn.resource_type == LIST_TYPE and arn.scope == ctx.scope else name_or_arn


def is_default(ctx: Context, name_or_arn: str) -> bool:
    """Whether the value names this account and region's ``Default`` list (by name or by its own ARN)."""
    return name_or_arn in (DEFAULT_LIST, arns.build(ctx.scope, LIST_TYPE, DEFAULT_LIST))


def _new_list(ctx: Context, name: str, tag_list: Any = None) -> Record:
    arn = arns.build(ctx.scope, LIST_TYPE, name)
    data = {"OptOutListArn": arn, "OptOutListName": name, "CreatedTimestamp": ctx.now}
    return Record(LIST_TYPE, name, name, arn, ctx.now, data, tags.initial(tag_list))


def find_list(ctx: Context, name_or_arn: str, for_update: bool = False) -> Record:
    """An opt-out list by name or ARN, or ResourceNotFoundException.

    ``Default`` always exists: in a write transaction it is stored on first use; a read sees an unstored
    stand-in (it can hold no numbers until a write has stored it).
    """
    found = lookup.find(ctx, LIST_TYPE, name_or_arn, for_update=for_update, field="OptOutListName")
    if found is not None:
        return found
    if not is_default(ctx, name_or_arn):
        raise NotFound(LIST_TYPE, name_or_arn)
    default = _new_list(ctx, DEFAULT_LIST)
    if not ctx.writes:
        return default
    stored = resources.insert_if_absent(ctx.tx, ctx.scope, default)
    if for_update:  # a concurrent transaction may have stored it first: lock it as a found list is locked
        stored = resources.get(ctx.tx, ctx.scope, LIST_TYPE, stored.resource_id, for_update=True) or stored
    return stored


def _users_of(ctx: Context, record: Record) -> list[Record]:
    """Phone numbers and pools whose opt-out list is ``record``."""
    names = {record.name, record.arn}
    return [user for resource_type in USERS_OF_LISTS
            for user in resources.list_of(ctx.tx, ctx.scope, resource_type)
            if user.data.get("OptOutListName") in names]


def _number_result(opt_out_list: Record, number: dict[str, Any]) -> Result:
    return {"OptOutListArn": opt_out_list.arn, "OptOutListName": opt_out_list.name, **number}


def _opted_out(ctx: Context, list_name: str, number: str, for_update: bool = False) -> Record | None:
    return resources.get_by_name(ctx.tx, ctx.scope, NUMBER_TYPE, number, parent_id=list_name, for_update=for_update)


# --- the functions inbound handling and sending call ------------------------------------------


def opt_out(ctx: Context, list_name: str, number: str, end_user: bool) -> dict[str, Any]:
    """Add ``number`` to the list (an end user's opt-out marks an existing entry as theirs too).

    Returns the OptedOutNumberInformation. Needs a write transaction (``Default`` may be stored here).
    """
    return _add(ctx, find_list(ctx, list_name), e164(number), end_user)


def _add(ctx: Context, opt_out_list: Record, number: str, end_user: bool) -> dict[str, Any]:
    existing = _opted_out(ctx, opt_out_list.name, number, for_update=True)
    if existing is not None:
        if end_user and not existing.data["EndUserOptedOut"]:
            existing = resources.update(ctx.tx, existing.with_data(EndUserOptedOut=True))
        return existing.data
    data = {"OptedOutNumber": number, "OptedOutTimestamp": ctx.now, "EndUserOptedOut": end_user}
    record = Record(NUMBER_TYPE, f"{opt_out_list.name}/{number}", number, "", ctx.now, data,
                    parent_id=opt_out_list.name)
    return resources.insert(ctx.tx, ctx.scope, record).data


def opt_in(ctx: Context, list_name: str, number: str) -> bool:
    """Remove ``number`` from the list when the end user asks (an OPT_IN keyword); False if it was not there.

    The once-every-30-days rule binds DeleteOptedOutNumber, not the end user's own opt-in.
    """
    record = _opted_out(ctx, _list_name(ctx, list_name), e164(number), for_update=True)
    if record is None:
        return False
    resources.delete(ctx.tx, record)
    return True


def is_opted_out(ctx: Context, list_name: str, number: str) -> bool:
    """Whether ``number`` is on the list (name or ARN). Sending refuses such destinations."""
    return _opted_out(ctx, _list_name(ctx, list_name), e164(number, "DestinationPhoneNumber")) is not None


# --- operations ------------------------------------------------------------------------------


@operation("CreateOptOutList")
def create_opt_out_list(ctx: Context, params: Params) -> Result:
    """A new, empty opt-out list; "If the opt-out list name already exists, an error is returned".

    Default is stored first (so it stays the oldest list); it counts towards OPT_OUT_LISTS like any list.
    """
    name = params["OptOutListName"]
    find_list(ctx, DEFAULT_LIST)
    if resources.get_by_name(ctx.tx, ctx.scope, LIST_TYPE, name):
        raise Conflict("RESOURCE_ALREADY_EXISTS", LIST_TYPE, name)
    quotas.check(ctx, "OPT_OUT_LISTS", resources.count(ctx.tx, ctx.scope, LIST_TYPE), "OPT_OUT_LISTS_PER_ACCOUNT")
    record = resources.insert(ctx.tx, ctx.scope, _new_list(ctx, name, params.get("Tags")))
    return {**record.data, "Tags": tags.to_wire(record.tags)}


@operation("DeleteOptOutList")
def delete_opt_out_list(ctx: Context, params: Params) -> Result:
    """Delete a list and every number in it; refused while a phone number or pool uses it.

    "If the specified opt-out list name doesn't exist or is in-use by an origination phone number or pool,
    an error is returned." The implicit ``Default`` list cannot be deleted.
    """
    given = params["OptOutListName"]
    if is_default(ctx, given):
        raise Conflict("RESOURCE_DELETION_NOT_ALLOWED", LIST_TYPE, DEFAULT_LIST,
                       "The Default opt-out list cannot be deleted.")
    record = find_list(ctx, given, for_update=True)
    users = _users_of(ctx, record)
    if users:
        raise Conflict("RESOURCE_DELETION_NOT_ALLOWED", LIST_TYPE, record.name,
                       f"The opt-out list {record.name} is in use by {users[0].resource_id}.")
    resources.delete_children(ctx.tx, ctx.scope, record.name, NUMBER_TYPE)
    resources.delete_children(ctx.tx, ctx.scope, record.name, REMOVAL_TYPE)
    resources.delete(ctx.tx, record)
    return record.data


@operation("DescribeOptOutLists", writes=True)
def describe_opt_out_lists(ctx: Context, params: Params) -> Result:
    """The named lists, or all of them (Default included, stored here on first sight), oldest first.

    "The Owner and OptOutListNames parameters can't be used at the same time." Owner SHARED lists other
    accounts' lists that a resource policy shares with this account.
    """
    names, owner = params.get("OptOutListNames"), params.get("Owner")
    if names and owner:
        raise Invalid("PARAMETERS_CANNOT_BE_USED_TOGETHER", "Owner and OptOutListNames can't be used together.",
                      [FieldViolation("Owner", "Can't be used with OptOutListNames"),
                       FieldViolation("OptOutListNames", "Can't be used with Owner")])
    if owner == "SHARED":
        records: list[Record] = shares.shared_with(ctx.tx, ctx.scope.account_id, ctx.scope.region, LIST_TYPE)
    elif names:
        found = {record.seq: record for record in (find_list(ctx, name) for name in names)}
        records = [found[seq] for seq in sorted(found)]
    else:
        find_list(ctx, DEFAULT_LIST)
        records = resources.list_of(ctx.tx, ctx.scope, LIST_TYPE)
    chunk, token = pagination.page_of(ctx, params, records)
    return {"OptOutLists": [record.data for record in chunk], "NextToken": token}


@operation("PutOptedOutNumber")
def put_opted_out_number(ctx: Context, params: Params) -> Result:
    """Opt a destination number out; an already opted-out number is returned as it is. Like an inbound opt-out,
    it locks the list first: the two adding the same number at once collided on its entry (a 500)."""
    opt_out_list = find_list(ctx, params["OptOutListName"], for_update=True)
    return _number_result(opt_out_list, _add(ctx, opt_out_list, e164(params["OptedOutNumber"]), end_user=False))


@operation("DeleteOptedOutNumber")
def delete_opted_out_number(ctx: Context, params: Params) -> Result:
    """Opt a number back in. "Each destination phone number can only be deleted once every 30 days."

    A number the end user opted out may be deleted too (the response's EndUserOptedOut tells which).
    The refusal within 30 days is ValidationException PHONE_NUMBER_CANNOT_BE_OPTED_IN. Locks the list, as an
    inbound opt-out or opt-in does.
    """
    opt_out_list = find_list(ctx, params["OptOutListName"], for_update=True)
    number = e164(params["OptedOutNumber"])
    record = _opted_out(ctx, opt_out_list.name, number, for_update=True)
    if record is None:
        raise NotFound(NUMBER_TYPE, params["OptedOutNumber"])
    removal = resources.get_by_name(ctx.tx, ctx.scope, REMOVAL_TYPE, number, opt_out_list.name, for_update=True)
    if removal is not None and ctx.now - removal.data["RemovedTimestamp"] < REMOVAL_INTERVAL_SECONDS:
        raise Invalid("PHONE_NUMBER_CANNOT_BE_OPTED_IN",
                      f"{number} was already deleted from {opt_out_list.name} in the last 30 days.",
                      [FieldViolation("OptedOutNumber", "Can only be deleted once every 30 days")])
    resources.delete(ctx.tx, record)
    if removal is not None:
        resources.update(ctx.tx, removal.with_data(RemovedTimestamp=ctx.now))
    else:
        resources.insert(ctx.tx, ctx.scope, Record(REMOVAL_TYPE, record.resource_id, number, "", ctx.now,
                                                   {"RemovedTimestamp": ctx.now}, parent_id=opt_out_list.name))
    return _number_result(opt_out_list, {**record.data, "OptedOutTimestamp": ctx.now})


def _end_user_condition(given: list[Mapping[str, Any]] | None) -> dict[str, Any] | None:
    """The SQL condition for the end-user-opted-out filters, or None when they select nothing at all."""
    filters.check_names(given, {END_USER_FILTER})
    filters.check_values(given, END_USER_FILTER, ["true", "false"])
    allowed = {"true", "false"}
    for item in given or []:
        allowed &= set(item["Values"])
    if not allowed:
        return None
    return {} if len(allowed) == 2 else {"EndUserOptedOut": allowed == {"true"}}


@operation("DescribeOptedOutNumbers")
def describe_opted_out_numbers(ctx: Context, params: Params) -> Result:
    """The list's opted-out numbers in number order, paged and filtered in the store.

    "If you specify an opted out number that isn't valid, an exception is returned": a number not on the
    list answers ResourceNotFoundException.
    """
    opt_out_list = find_list(ctx, params["OptOutListName"])
    wanted: list[str] = params.get("OptedOutNumbers") or []
    numbers = [e164(number, "OptedOutNumbers") for number in wanted] or None
    condition = _end_user_condition(params.get("Filters"))
    if numbers:
        present = {r.name for r in resources.list_page(ctx.tx, ctx.scope, NUMBER_TYPE, opt_out_list.name,
                                                       after=None, limit=len(numbers), names=numbers)}
        missing = [given for given, number in zip(wanted, numbers, strict=True) if number not in present]
        if missing:
            raise NotFound(NUMBER_TYPE, missing[0])

    def fetch(after: Any, limit: int) -> list[Record]:
        if condition is None:
            return []
        return resources.list_page(ctx.tx, ctx.scope, NUMBER_TYPE, opt_out_list.name, after=after, limit=limit,
                                   names=numbers, data_equals=condition)

    chunk, token = pagination.page_query(ctx, fetch, params.get("NextToken"), params.get("MaxResults"),
                                         lambda record: record.name)
    return {"OptOutListArn": opt_out_list.arn, "OptOutListName": opt_out_list.name,
            "OptedOutNumbers": [record.data for record in chunk], "NextToken": token}
