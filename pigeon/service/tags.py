"""TagResource, UntagResource, ListTagsForResource over every taggable resource, found by ARN."""

from __future__ import annotations

from dataclasses import replace

from pigeon.common import arns, tags
from pigeon.errors import FieldViolation, Invalid, NotFound
from pigeon.protocol.model import enum_values
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record


def _tagged(ctx: Context, arn: str, for_update: bool = False) -> Record:
    """The resource an ARN names; one whose resource type is not in the model's ResourceType enum (which a
    ResourceNotFoundException would have to name) can name no resource: INVALID_ARN."""
    parsed = arns.parse(arn)
    if parsed is None or parsed.resource_type not in enum_values("ResourceType"):
        raise Invalid("INVALID_ARN", f"{arn} is not a valid ARN", [FieldViolation("ResourceArn", "Not a valid ARN")])
    record = resources.get_by_arn(ctx.tx, arn, for_update=for_update) if parsed.scope == ctx.scope else None
    if record is None:
        raise NotFound(parsed.resource_type, arn)
    return record


@operation("TagResource")
def tag_resource(ctx: Context, params: Params) -> Result:
    record = _tagged(ctx, params["ResourceArn"], for_update=True)
    resources.update(ctx.tx, replace(record, tags=tags.merged(record.tags, tags.from_wire(params["Tags"]))))
    return {}


@operation("UntagResource")
def untag_resource(ctx: Context, params: Params) -> Result:
    record = _tagged(ctx, params["ResourceArn"], for_update=True)
    remaining = {key: value for key, value in record.tags.items() if key not in set(params["TagKeys"])}
    resources.update(ctx.tx, replace(record, tags=remaining))
    return {}


@operation("ListTagsForResource")
def list_tags_for_resource(ctx: Context, params: Params) -> Result:
    record = _tagged(ctx, params["ResourceArn"])
    return {"ResourceArn": record.arn, "Tags": tags.to_wire(record.tags)}
