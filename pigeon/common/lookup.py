"""Find a resource by id, ARN or (where the spec allows) name, or answer ResourceNotFoundException."""

from __future__ import annotations

from pigeon.common import arns
from pigeon.errors import Invalid, NotFound
from pigeon.service.context import Context
from pigeon.store import resources
from pigeon.store.resources import Record


def resolve(
    ctx: Context,
    resource_type: str,
    value: str,
    *,
    by_name: bool = True,
    parent_id: str = "",
    for_update: bool = False,
    field: str | None = None,
) -> Record:
    """The resource ``value`` names in the request's scope: an ARN, an id, or a name."""
    found = find(ctx, resource_type, value, by_name=by_name, parent_id=parent_id, for_update=for_update, field=field)
    if found is None:
        raise NotFound(resource_type, value)
    return found


def find(
    ctx: Context,
    resource_type: str,
    value: str,
    *,
    by_name: bool = True,
    parent_id: str = "",
    for_update: bool = False,
    field: str | None = None,
) -> Record | None:
    if arns.is_arn(value):
        arn = arns.parse(value)
        if arn is None:
            raise Invalid.field(field or "ResourceArn", f"{value} is not a valid ARN", reason="INVALID_ARN")
        if arn.resource_type != resource_type or arn.scope != ctx.scope:
            return None
        return resources.get_by_arn(ctx.tx, value, for_update=for_update)
    found = resources.get(ctx.tx, ctx.scope, resource_type, value, for_update=for_update)
    if found is None and by_name:
        found = resources.get_by_name(ctx.tx, ctx.scope, resource_type, value, parent_id, for_update=for_update)
    return found
