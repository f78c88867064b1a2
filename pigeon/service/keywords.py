"""Keywords of phone numbers and pools: words an end user sends to elicit a reply, an opt-out or an opt-in.

"When your number receives a message that begins with a keyword, AWS End User Messaging SMS responds with a
customizable message." Every number and pool has HELP and STOP (data/keywords.yaml): they are not stored
until changed, DescribeKeywords shows them anyway, and "Keywords "HELP" and "STOP" can't be deleted or
modified" (their message may change, their action may not). Inbound handling calls ``match``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources as package_files
from typing import Any

import yaml

from pigeon.common import filters, pagination, quotas
from pigeon.errors import Conflict, Invalid, NotFound
from pigeon.protocol.model import enum_values
from pigeon.service import identities
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

RESOURCE_TYPE = "keyword"
IDENTITY_TYPES = (identities.PHONE_NUMBER, identities.POOL)
QUOTAS = {"phone-number": "KEYWORDS_PER_PHONE_NUMBER", "pool": "KEYWORDS_PER_POOL"}
FILTERS: filters.Table = {"keyword-action": filters.one_of(lambda keyword: keyword["KeywordAction"], enum_values("KeywordAction"))}

Keyword = dict[str, Any]
"""KeywordInformation: Keyword, KeywordMessage, KeywordAction."""


@cache
def _data() -> dict[str, Any]:
    return yaml.safe_load(package_files.files("pigeon.data").joinpath("keywords.yaml").read_text())


def default_keywords() -> list[Keyword]:
    """The keywords every number and pool starts with (HELP and STOP), as KeywordInformation."""
    return [{"Keyword": word, "KeywordAction": entry["action"], "KeywordMessage": entry["message"]}
            for word, entry in _data()["mandatory"].items()]


def _normal(keyword: str) -> str:
    """The form keywords are compared in: upper case, single spaces ("Keywords are case insensitive")."""
    return " ".join(keyword.split()).upper()


def find_identity(ctx: Context, value: str, for_update: bool = False) -> Record:
    """The phone number or pool an OriginationIdentity names: its id, its ARN, or a number's E.164 value."""
    return identities.resolve(ctx, value, for_update=for_update, kinds=IDENTITY_TYPES)


def _stored(ctx: Context, identity_id: str) -> list[Record]:
    return resources.list_of(ctx.tx, ctx.scope, RESOURCE_TYPE, parent_id=identity_id)


def keywords_of(ctx: Context, identity: Record) -> list[Keyword]:
    """The keywords DescribeKeywords lists for a number or pool: HELP and STOP unless changed, and the
    stored ones, in keyword order."""
    merged = {_normal(keyword["Keyword"]): keyword for keyword in default_keywords()}
    merged.update({record.name: record.data for record in _stored(ctx, identity.resource_id)})
    return [merged[name] for name in sorted(merged)]


def _identity_result(identity: Record, keyword: Keyword) -> Result:
    return {**keyword, "OriginationIdentity": identity.resource_id, "OriginationIdentityArn": identity.arn}


def _checked(keyword: str) -> str:
    """A keyword "can't start or end with a space"."""
    if keyword != keyword.strip():
        raise Invalid.field("Keyword", "A keyword can't start or end with a space.")
    return keyword


@operation("PutKeyword")
def put_keyword(ctx: Context, params: Params) -> Result:
    """Create or update a keyword; HELP and STOP keep their action (another one is KEYWORD_MISMATCH)."""
    identity = find_identity(ctx, params["OriginationIdentity"], for_update=True)
    keyword = _checked(params["Keyword"])
    name = _normal(keyword)
    existing = resources.get_by_name(ctx.tx, ctx.scope, RESOURCE_TYPE, name, identity.resource_id, for_update=True)
    mandatory = _data()["mandatory"].get(name)
    previous = existing.data if existing else None
    action = params.get("KeywordAction") or (previous or {}).get("KeywordAction") or (
        mandatory["action"] if mandatory else "AUTOMATIC_RESPONSE")
    if mandatory and action != mandatory["action"]:
        raise Conflict("KEYWORD_MISMATCH", RESOURCE_TYPE, keyword,
                       f"The action of {name} is {mandatory['action']} and can't be changed.")
    data = {"Keyword": keyword, "KeywordMessage": params["KeywordMessage"], "KeywordAction": action}
    if existing is not None:
        resources.update(ctx.tx, existing.with_data(**data))
        return _identity_result(identity, data)
    if not mandatory:
        quotas.check(ctx, QUOTAS[identity.resource_type], len(keywords_of(ctx, identity)))
    resources.insert(ctx.tx, ctx.scope, Record(RESOURCE_TYPE, f"{identity.resource_id}/{name}", name, "", ctx.now,
                                               data, parent_id=identity.resource_id))
    return _identity_result(identity, data)


@operation("DeleteKeyword")
def delete_keyword(ctx: Context, params: Params) -> Result:
    """Delete a keyword; "Keywords "HELP" and "STOP" can't be deleted" (RESOURCE_DELETION_NOT_ALLOWED)."""
    identity = find_identity(ctx, params["OriginationIdentity"], for_update=True)
    keyword = params["Keyword"]
    name = _normal(keyword)
    if name in _data()["mandatory"]:
        raise Conflict("RESOURCE_DELETION_NOT_ALLOWED", RESOURCE_TYPE, keyword,
                       f"The keyword {name} can't be deleted.")
    existing = resources.get_by_name(ctx.tx, ctx.scope, RESOURCE_TYPE, name, identity.resource_id, for_update=True)
    if existing is None:
        raise NotFound(RESOURCE_TYPE, keyword)
    resources.delete(ctx.tx, existing)
    return _identity_result(identity, existing.data)


@operation("DescribeKeywords")
def describe_keywords(ctx: Context, params: Params) -> Result:
    """The keywords of a number or pool; a keyword asked for by name that it doesn't have is not found."""
    identity = find_identity(ctx, params["OriginationIdentity"])
    keywords = keywords_of(ctx, identity)
    wanted = params.get("Keywords")
    if wanted:
        present = {_normal(keyword["Keyword"]) for keyword in keywords}
        missing = [keyword for keyword in wanted if _normal(keyword) not in present]
        if missing:
            raise NotFound(RESOURCE_TYPE, missing[0])
        names = {_normal(keyword) for keyword in wanted}
        keywords = [keyword for keyword in keywords if _normal(keyword["Keyword"]) in names]
    keywords = filters.apply(keywords, params.get("Filters"), FILTERS)
    chunk, token = pagination.page_of(ctx, params, keywords, lambda keyword: _normal(keyword["Keyword"]))
    return {"OriginationIdentity": identity.resource_id, "OriginationIdentityArn": identity.arn,
            "Keywords": chunk, "NextToken": token}


# --- for inbound handling and for the owners of numbers and pools ------------------------------


def _begins_with(text: str, keywords: Iterable[Keyword]) -> Keyword | None:
    """The longest keyword ``text`` begins with as a whole word (a message "begins with a keyword")."""
    for keyword in sorted(keywords, key=lambda k: -len(_normal(k["Keyword"]))):
        word = _normal(keyword["Keyword"])
        if text.startswith(word) and (len(text) == len(word) or not text[len(word)].isalnum()):
            return keyword
    return None


def match(ctx: Context, identity: Record, message_body: str) -> Keyword | None:
    """The keyword an inbound message to ``identity`` (a phone number or pool) begins with, or None.

    Looked up case-insensitively in the number's own keywords, then its pool's (a pool's keywords apply
    to its numbers), then HELP and STOP, then the required opt-out words (ARRET, CANCEL, END, OPT-OUT,
    OPTOUT, QUIT, REMOVE, STOP, TD, UNSUBSCRIBE), which answer OPT_OUT with the STOP message in force,
    then the opt-in words (START, UNSTOP), which answer OPT_IN.
    """
    text = _normal(message_body)
    if not text:
        return None
    groups = [[record.data for record in _stored(ctx, identity.resource_id)]]
    pool_id = identity.data.get("PoolId") if identity.resource_type == "phone-number" else None
    if pool_id:
        groups.append([record.data for record in _stored(ctx, pool_id)])
    groups.append(default_keywords())
    for keywords in groups:
        found = _begins_with(text, keywords)
        if found is not None:
            return found
    stop = next(k for keywords in groups for k in keywords if _normal(k["Keyword"]) == "STOP")
    words = [{**stop, "Keyword": word} for word in _data()["opt_out_words"]]
    words += [{"Keyword": word, "KeywordAction": "OPT_IN", "KeywordMessage": _data()["opt_in_message"]}
              for word in _data()["opt_in_words"]]
    return _begins_with(text, words)


def delete_keywords_of(ctx: Context, identity: Record) -> None:
    """Forget every stored keyword of a number or pool (when it is released or deleted)."""
    resources.delete_children(ctx.tx, ctx.scope, identity.resource_id, RESOURCE_TYPE)
