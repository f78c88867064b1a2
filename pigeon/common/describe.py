"""The one shape of every Describe* over stored resources: named ones (an unknown name is an error) or all
of the scope's, the ``Owner`` parameter, filters, and a page.

``Owner`` SELF is the account's own resources; SHARED lists the resources of other accounts that a resource
policy shares with it (in the same region). Owner together with explicit names is
PARAMETERS_CANNOT_BE_USED_TOGETHER, as the reference says for each operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pigeon.common import filters, pagination
from pigeon.errors import FieldViolation, Invalid
from pigeon.service.context import Context, Params
from pigeon.store import resources, shares
from pigeon.store.resources import Record


def describe(
    ctx: Context,
    params: Params,
    resource_type: str,
    names_member: str,
    find: Callable[[Any], Record],
    filter_table: filters.Table,
    all_records: Callable[[], Iterable[Record]] | None = None,
) -> tuple[list[Record], str | None]:
    """One page of the records the request asks for, and the next token."""
    wanted = params.get(names_member)
    owner = params.get("Owner")
    if wanted and owner:
        raise Invalid("PARAMETERS_CANNOT_BE_USED_TOGETHER", f"Owner and {names_member} can't be used together.",
                      [FieldViolation("Owner", f"Not with {names_member}"), FieldViolation(names_member, "Not with Owner")])
    if wanted:
        found = {record.seq: record for record in (find(value) for value in wanted)}
        records: Iterable[Record] = [found[seq] for seq in sorted(found)]
    elif owner == "SHARED":
        records = shares.shared_with(ctx.tx, ctx.scope.account_id, ctx.scope.region, resource_type)
    else:
        records = all_records() if all_records else resources.list_of(ctx.tx, ctx.scope, resource_type)
    selected = filters.apply(records, params.get("Filters"), filter_table)
    return pagination.page(ctx, selected, params.get("NextToken"), params.get("MaxResults"), pagination.by_seq)
