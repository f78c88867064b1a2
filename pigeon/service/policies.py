"""Resource-based policies: sharing a phone number, sender ID, pool or opt-out list with other accounts.

"A shared resource can be a Pool, Opt-out list, Sender Id, or Phone number." The policy is an IAM-style JSON
document checked here and stored on the shared record (``_Policy`` as given, ``_PolicyStatements`` as
evaluated by ``allows``, ``_SharedWith`` the accounts it is shared with). Sending through a shared resource
asks ``allows(record, account_id, action)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from pigeon.common import arns
from pigeon.errors import FieldViolation, Invalid, NotFound
from pigeon.protocol.model import operation_names
from pigeon.service import opt_outs
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources, shares
from pigeon.store.resources import Record

SHAREABLE = ("phone-number", "sender-id", "pool", "opt-out-list")
POLICY_TYPE = "policy"
VERSIONS = ("2012-10-17", "2008-10-17")
ACTION_PREFIX = "sms-voice:"
NO_POLICY = "{}"
"""What GetResourcePolicy answers for a resource without a policy (AWS returns the literal ``{}``)."""

_DOCUMENT_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}
_ACCOUNT = re.compile(r"[0-9]{12}")
_IAM_PRINCIPAL = re.compile(r"arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):(root|(user|role)/\S+)")
_PRIVATE_KEYS = ("_Policy", "_PolicyCreatedTimestamp", "_PolicyStatements", "_SharedWith")


def _bad(path: str, message: str, reason: str = "INVALID_PARAMETER") -> Invalid:
    return Invalid(reason, f"Policy: {path}: {message}", [FieldViolation("Policy", f"{path}: {message}")])


def _strings(value: Any, path: str) -> list[str]:
    """A policy element that is a string or a non-empty list of strings."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(item, str) and item for item in items):
        raise _bad(path, "must be a string or a non-empty list of strings")
    return list(items)


@lru_cache(maxsize=1)
def _operations() -> tuple[str, ...]:
    return tuple(name.lower() for name in operation_names())


def _actions(value: Any, path: str) -> list[str]:
    """``sms-voice:Operation`` names, with ``*`` and ``?`` wildcards that match at least one operation."""
    actions = []
    for index, action in enumerate(_strings(value, path)):
        pattern = action.lower()
        if pattern != "*" and not (pattern.startswith(ACTION_PREFIX) and any(
                fnmatchcase(name, pattern[len(ACTION_PREFIX):]) for name in _operations())):
            raise _bad(f"{path}[{index}]", f"{action} is not an sms-voice action (expected sms-voice:Operation, "
                                           "wildcards allowed)")
        actions.append(pattern)
    return actions


def _principals(value: Any, path: str) -> list[str]:
    """Account ids (or ``*``) from ``"*"`` or ``{"AWS": account id | IAM ARN | list}``."""
    if value == "*":
        return ["*"]
    if not isinstance(value, dict) or set(value) != {"AWS"}:
        raise _bad(path, 'must be "*" or {"AWS": account ids or IAM ARNs}')
    accounts = []
    for index, principal in enumerate(_strings(value["AWS"], f"{path}.AWS")):
        match = _IAM_PRINCIPAL.fullmatch(principal)
        if principal != "*" and not _ACCOUNT.fullmatch(principal) and not match:
            raise _bad(f"{path}.AWS[{index}]", f"{principal} is not an account id or IAM principal ARN")
        accounts.append(match["account"] if match else principal)
    return accounts


def _statement(statement: Any, path: str, resource_arn: str) -> dict[str, Any]:
    if not isinstance(statement, dict):
        raise _bad(path, "must be an object")
    unknown = sorted(set(statement) - _STATEMENT_KEYS)
    if unknown:
        raise _bad(f"{path}.{unknown[0]}", "is not supported (use Sid, Effect, Principal, Action, Resource, Condition)")
    for key in ("Effect", "Principal", "Action", "Resource"):
        if key not in statement:
            raise _bad(f"{path}.{key}", "is required")
    if statement["Effect"] not in ("Allow", "Deny"):
        raise _bad(f"{path}.Effect", "must be Allow or Deny")
    for index, resource in enumerate(_strings(statement["Resource"], f"{path}.Resource")):
        if not fnmatchcase(resource_arn, resource):
            raise _bad(f"{path}.Resource[{index}]", f"{resource} does not match the resource {resource_arn}")
    if "Condition" in statement and not isinstance(statement["Condition"], dict):
        raise _bad(f"{path}.Condition", "must be an object")
    return {"Effect": statement["Effect"], "Accounts": _principals(statement["Principal"], f"{path}.Principal"),
            "Actions": _actions(statement["Action"], f"{path}.Action")}


def _not_json(constant: str) -> Any:
    """NaN, Infinity and -Infinity, which Python's json reads and JSON (RFC 8259) does not have."""
    raise ValueError(f"{constant} is not JSON")


def parse(text: str, resource_arn: str) -> list[dict[str, Any]]:
    """The statements of a policy document for ``resource_arn``, or ValidationException naming what is wrong."""
    try:
        document = json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise _bad("$", "is not valid JSON", reason="CANNOT_PARSE") from None
    if not isinstance(document, dict):
        raise _bad("$", "must be a JSON object")
    unknown = sorted(set(document) - _DOCUMENT_KEYS)
    if unknown:
        raise _bad(unknown[0], "is not a policy element (use Version, Id, Statement)")
    if document.get("Version") not in VERSIONS:
        raise _bad("Version", f"must be one of {', '.join(VERSIONS)}")
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements:
        raise _bad("Statement", "must be an object or a non-empty list of objects")
    return [_statement(statement, f"Statement[{index}]", resource_arn) for index, statement in enumerate(statements)]


# --- what sending asks -------------------------------------------------------------------------


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    name = action.lower() if action.lower().startswith(ACTION_PREFIX) else ACTION_PREFIX + action.lower()
    return any(pattern == "*" or fnmatchcase(name, pattern) for pattern in statement["Actions"])


def allows(record: Record, account_id: str, action: str) -> bool:
    """Whether ``account_id`` may perform ``action`` (``SendTextMessage`` or ``sms-voice:SendTextMessage``) on
    the resource: always for its owner; otherwise an Allow statement must name the account (or ``*``) and no
    Deny statement may. Conditions are not evaluated."""
    if account_id == record.account_id:
        return True
    effects = {statement["Effect"] for statement in record.data.get("_PolicyStatements") or []
               if (account_id in statement["Accounts"] or "*" in statement["Accounts"])
               and _action_matches(statement, action)}
    return "Allow" in effects and "Deny" not in effects


def shared_with(record: Record) -> set[str]:
    """The accounts (``*`` for anyone) the resource's policy allows something, the owner excepted."""
    return set(record.data.get("_SharedWith") or [])


def _shared_with(statements: list[dict[str, Any]], owner: str) -> list[str]:
    return sorted({account for statement in statements if statement["Effect"] == "Allow"
                   for account in statement["Accounts"] if account != owner})


# --- operations --------------------------------------------------------------------------------


def _target(ctx: Context, resource_arn: str, for_update: bool = False) -> Record:
    """The shareable resource an ARN names in the caller's scope."""
    parsed = arns.parse(resource_arn)
    if parsed is None:
        raise Invalid.field("ResourceArn", f"{resource_arn} is not a valid ARN", reason="INVALID_ARN")
    if parsed.resource_type not in SHAREABLE:
        raise Invalid.field("ResourceArn", f"A {parsed.resource_type} cannot have a resource policy; a shared "
                            "resource can be a pool, opt-out list, sender ID or phone number.", reason="INVALID_ARN")
    if parsed.scope != ctx.scope:
        raise NotFound(parsed.resource_type, resource_arn)
    if parsed.resource_type == opt_outs.LIST_TYPE:
        return opt_outs.find_list(ctx, resource_arn, for_update=for_update)
    record = resources.get_by_arn(ctx.tx, resource_arn, for_update=for_update)
    if record is None:
        raise NotFound(parsed.resource_type, resource_arn)
    return record


def _result(record: Record) -> Result:
    return {"ResourceArn": record.arn, "Policy": record.data.get("_Policy", NO_POLICY),
            "CreatedTimestamp": record.data.get("_PolicyCreatedTimestamp")}


@operation("PutResourcePolicy")
def put_resource_policy(ctx: Context, params: Params) -> Result:
    """Attaches (or replaces) the resource-based policy that shares the resource."""
    record = _target(ctx, params["ResourceArn"], for_update=True)
    statements = parse(params["Policy"], record.arn)
    grantees = _shared_with(statements, ctx.scope.account_id)
    record = resources.update(ctx.tx, record.with_data(
        _Policy=params["Policy"], _PolicyCreatedTimestamp=ctx.now, _PolicyStatements=statements,
        _SharedWith=grantees))
    shares.set_grantees(ctx.tx, record, grantees, ctx.now)
    return _result(record)


@operation("GetResourcePolicy")
def get_resource_policy(ctx: Context, params: Params) -> Result:
    """The policy attached to the resource; ``{}`` when it has none."""
    return _result(_target(ctx, params["ResourceArn"]))


@operation("DeleteResourcePolicy")
def delete_resource_policy(ctx: Context, params: Params) -> Result:
    """Deletes the policy and returns it; a resource without one is ResourceNotFoundException (policy)."""
    record = _target(ctx, params["ResourceArn"], for_update=True)
    if "_Policy" not in record.data:
        raise NotFound(POLICY_TYPE, record.arn, f"The resource {record.arn} has no resource policy.")
    remaining = {key: value for key, value in record.data.items() if key not in _PRIVATE_KEYS}
    resources.update(ctx.tx, replace(record, data=remaining))
    shares.set_grantees(ctx.tx, record, (), ctx.now)
    return _result(record)
