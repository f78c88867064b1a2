"""RCS agents: the resource (ids, ARNs, tags, deletion protection, opt-out and two-way settings) and its
per-country launch status.

An agent is launched country by country. Each country's launch is a child record (``rcs-agent-country``)
that the operator moves through CREATED/PENDING/PARTIAL/ACTIVE/REJECTED with the inspection API
(``review_country``, ``POST /_pigeon/rcs-agents/{id}/countries/{iso}/review``), as AWS's reviewers and the
carriers do. The agent's Status is derived from its countries, never stored (see docs/decisions.md, "Notify
and RCS").
"""

from __future__ import annotations

from typing import Any

import phonenumbers

from pigeon.common import arns, filters, ids, lookup, pagination, quotas, tags
from pigeon.common.describe import describe
from pigeon.errors import Conflict, FieldViolation, Invalid, NotFound
from pigeon.protocol.model import enum_values
from pigeon.service import identities
from pigeon.service.context import Context, Params, Result
from pigeon.service.registry import operation
from pigeon.store import resources
from pigeon.store.resources import Record

RESOURCE_TYPE = "rcs-agent"
COUNTRY = "rcs-agent-country"
"""A country launch: child of its agent (parent_id), named by the ISO country code."""

SETTINGS = ("OptOutListName", "SelfManagedOptOutsEnabled", "TwoWayEnabled", "TwoWayChannelArn",
            "TwoWayChannelRole", "DeletionProtectionEnabled")

DECISIONS: dict[str, tuple[tuple[str | None, ...], str]] = {
    "CREATE": ((None,), "CREATED"),
    "SUBMIT": ((None, "CREATED", "REJECTED"), "PENDING"),
    "PARTIAL": (("PENDING", "PARTIAL"), "PARTIAL"),
    "APPROVE": (("PENDING", "PARTIAL"), "ACTIVE"),
    "REJECT": (("CREATED", "PENDING", "PARTIAL"), "REJECTED"),
}
"""Operator decision -> (the country statuses it applies to, None for a country not yet started; the new
status)."""

FILTERS: filters.Table = {
    "status": filters.one_of(lambda r: r.data["Status"], enum_values("RcsAgentStatus")),
    "two-way-enabled": filters.boolean(lambda r: r.data.get("TwoWayEnabled", False)),
    "self-managed-opt-outs-enabled": filters.boolean(lambda r: r.data.get("SelfManagedOptOutsEnabled", False)),
    "opt-out-list-name": lambda r: r.data.get("OptOutListName"),
    "deletion-protection-enabled": filters.boolean(lambda r: r.data.get("DeletionProtectionEnabled", False)),
    "two-way-channel-arn": lambda r: r.data.get("TwoWayChannelArn"),
}
COUNTRY_FILTERS: filters.Table = {
    "country-launch-status": filters.one_of(lambda r: r.data["Status"], enum_values("CountryLaunchStatus")),
}


def find(ctx: Context, id_or_arn: str, for_update: bool = False) -> Record:
    """An RCS agent by RcsAgentId or RcsAgentArn, or ResourceNotFoundException."""
    return lookup.resolve(ctx, RESOURCE_TYPE, id_or_arn, by_name=False, for_update=for_update, field="RcsAgentId")


def agent_status(country_statuses: list[str]) -> str:
    """CREATED with no country under way; ACTIVE when every country is; PARTIAL when some are (or some
    carriers of one are); PENDING while a country is reviewed."""
    live = [status for status in country_statuses if status != "REJECTED"]
    if live and all(status == "ACTIVE" for status in live):
        return "ACTIVE"
    if any(status in ("ACTIVE", "PARTIAL") for status in live):
        return "PARTIAL"
    return "PENDING" if "PENDING" in live else "CREATED"


def _countries(ctx: Context, agent: Record) -> list[Record]:
    return resources.list_of(ctx.tx, agent.scope, COUNTRY, parent_id=agent.resource_id)


def information(ctx: Context, agent: Record) -> dict[str, Any]:
    """RcsAgentInformation with the derived Status."""
    return {**agent.data, "Status": agent_status([c.data["Status"] for c in _countries(ctx, agent)])}


@operation("CreateRcsAgent")
def create_rcs_agent(ctx: Context, params: Params) -> Result:
    quotas.check(ctx, "RCS_AGENTS_PER_ACCOUNT", resources.count(ctx.tx, ctx.scope, RESOURCE_TYPE))
    opt_out_list = identities.opt_out_list_name(ctx, params.get("OptOutListName")) or identities.DEFAULT_OPT_OUT_LIST
    agent_id = ids.new("rcs")
    arn = arns.build(ctx.scope, RESOURCE_TYPE, agent_id)
    data = {"RcsAgentArn": arn, "RcsAgentId": agent_id, "CreatedTimestamp": ctx.now,
            "DeletionProtectionEnabled": bool(params.get("DeletionProtectionEnabled", False)),
            "OptOutListName": opt_out_list, "SelfManagedOptOutsEnabled": False, "TwoWayEnabled": False}
    agent = resources.insert(ctx.tx, ctx.scope, Record(RESOURCE_TYPE, agent_id, agent_id, arn, ctx.now, data,
                                                       tags.initial(params.get("Tags"))))
    return {**data, "Status": "CREATED", "Tags": tags.to_wire(agent.tags)}


@operation("DescribeRcsAgents")
def describe_rcs_agents(ctx: Context, params: Params) -> Result:
    """Given agents (an unknown one is an error) or all of the account's, filtered (on the derived Status too)."""
    def all_records() -> list[Record]:
        return [_with_status(ctx, agent) for agent in resources.list_of(ctx.tx, ctx.scope, RESOURCE_TYPE)]

    chunk, token = describe(ctx, params, RESOURCE_TYPE, "RcsAgentIds",
                            lambda value: _with_status(ctx, find(ctx, value)), FILTERS, all_records)
    return {"RcsAgents": [record.data for record in chunk], "NextToken": token}


def _with_status(ctx: Context, agent: Record) -> Record:
    return agent.with_data(Status=information(ctx, agent)["Status"])


@operation("UpdateRcsAgent")
def update_rcs_agent(ctx: Context, params: Params) -> Result:
    """Change the opt-out, two-way and deletion-protection settings (TwoWayEnabled needs a channel)."""
    agent = find(ctx, params["RcsAgentId"], for_update=True)
    changes = {key: params[key] for key in SETTINGS if key in params}
    data = identities.updated_settings(ctx, agent.data, changes)
    agent = resources.update(ctx.tx, agent.with_data(**data))
    return information(ctx, agent)


@operation("DeleteRcsAgent")
def delete_rcs_agent(ctx: Context, params: Params) -> Result:
    """Delete an agent (not with deletion protection, nor while in a pool) and its country launches."""
    agent = find(ctx, params["RcsAgentId"], for_update=True)
    if agent.data.get("DeletionProtectionEnabled"):
        raise Conflict("DELETION_PROTECTION_ENABLED", RESOURCE_TYPE, agent.resource_id)
    if agent.data.get("PoolId"):
        raise Conflict("RCS_AGENT_ASSOCIATED_TO_POOL", RESOURCE_TYPE, agent.resource_id)
    result = {**information(ctx, agent), "Status": "DELETED"}
    resources.delete_children(ctx.tx, ctx.scope, agent.resource_id, COUNTRY)
    resources.delete(ctx.tx, agent)
    return result


@operation("DescribeRcsAgentCountryLaunchStatus")
def describe_rcs_agent_country_launch_status(ctx: Context, params: Params) -> Result:
    """The agent's country launches, oldest first; IsoCountryCodes narrows them (a country the agent was
    never launched in is left out)."""
    agent = find(ctx, params["RcsAgentId"])
    launches = _countries(ctx, agent)
    wanted = params.get("IsoCountryCodes")
    if wanted:
        launches = [launch for launch in launches if launch.name in set(wanted)]
    launches = filters.apply(launches, params.get("Filters"), COUNTRY_FILTERS)
    chunk, token = pagination.page_of(ctx, params, launches)
    return {"RcsAgentId": agent.resource_id, "RcsAgentArn": agent.arn,
            "CountryLaunchStatus": [launch.data for launch in chunk], "NextToken": token}


def _check_country(iso: str) -> None:
    if iso not in phonenumbers.SUPPORTED_REGIONS:
        raise Invalid.field("IsoCountryCode", f"{iso} is not an ISO 3166-1 alpha-2 country code")


def _carriers(document: dict[str, Any], current: list[dict[str, str]], decision: str) -> list[dict[str, str]]:
    """The country's CarrierStatus after the decision: SUBMIT names the carriers (``Carriers``, each PENDING),
    PARTIAL activates ``ActiveCarriers`` among them, APPROVE and REJECT settle every carrier."""
    if decision in ("CREATE", "SUBMIT"):
        names = document.get("Carriers") or [entry["CarrierName"] for entry in current]
        if not isinstance(names, list) or not all(isinstance(name, str) and name for name in names):
            raise Invalid("FIELD_VALIDATION_FAILED", "Carriers must be a list of carrier names",
                          [FieldViolation("Carriers", "Must be a list of non-empty strings")])
        return [{"CarrierName": name, "Status": "PENDING"} for name in names]
    if decision == "PARTIAL":
        active = document.get("ActiveCarriers")
        known = {entry["CarrierName"] for entry in current}
        if not isinstance(active, list) or not active or not set(active) <= known:
            raise Invalid("FIELD_VALIDATION_FAILED", "ActiveCarriers must name some of the country's carriers",
                          [FieldViolation("ActiveCarriers", f"Must be a non-empty subset of {sorted(known)}")])
        return [{**entry, "Status": "ACTIVE" if entry["CarrierName"] in active else entry["Status"]}
                for entry in current]
    settled = "ACTIVE" if decision == "APPROVE" else "REJECTED"
    return [{**entry, "Status": settled} for entry in current]


def decide(ctx: Context, agent: Record, iso: str, document: dict[str, Any]) -> dict[str, Any]:
    """Apply one operator decision to the agent's launch in ``iso``; returns the CountryLaunchStatusInformation."""
    decision = document.get("Decision")
    if decision not in DECISIONS:
        raise Invalid("FIELD_VALIDATION_FAILED", f"Decision must be one of {', '.join(DECISIONS)}",
                      [FieldViolation("Decision", f"Must be one of {', '.join(DECISIONS)}")])
    _check_country(iso)
    launch = resources.get(ctx.tx, agent.scope, COUNTRY, f"{agent.resource_id}/{iso}", for_update=True)
    allowed, status = DECISIONS[decision]
    current = launch.data["Status"] if launch else None
    if current not in allowed:
        raise Conflict("RESOURCE_MODIFICATION_NOT_ALLOWED", RESOURCE_TYPE, agent.resource_id,
                       f"{decision} does not apply to a launch in {iso} that is {current or 'not started'}.")
    carriers = _carriers(document, launch.data["CarrierStatus"] if launch else [], decision)
    if launch is None:
        data = {"IsoCountryCode": iso, "Status": status, "RegistrationId": ids.new("registration"),
                "RcsPlatformId": ids.new("rbm"), "CarrierStatus": carriers}
        resources.insert(ctx.tx, agent.scope, Record(COUNTRY, f"{agent.resource_id}/{iso}", iso,
                                                     f"{agent.arn}/country/{iso}", ctx.now, data,
                                                     parent_id=agent.resource_id))
        return data
    launch = resources.update(ctx.tx, launch.with_data(Status=status, CarrierStatus=carriers))
    return launch.data


def review_country(runtime: Any, agent_id: str, iso: str, document: dict[str, Any]) -> dict[str, Any]:
    """The operator's decision (``POST /_pigeon/rcs-agents/{id}/countries/{iso}/review``): the agent is found by
    id or ARN in whichever account and region holds it."""
    with runtime.store.transaction(write=True) as tx:
        if arns.is_arn(agent_id):
            agent = resources.get_by_arn(tx, agent_id, for_update=True)
        else:
            agent = resources.get_in_any_scope(tx, RESOURCE_TYPE, agent_id, for_update=True)
        if agent is None or agent.resource_type != RESOURCE_TYPE:
            raise NotFound(RESOURCE_TYPE, agent_id)
        ctx = Context(agent.scope, runtime, "ReviewRcsAgentCountry", ids.new_uuid(), runtime.clock.now(),
                      True, _tx=tx)  # type: ignore[arg-type]
        launch = decide(ctx, agent, iso, document)
        return {"RcsAgentId": agent.resource_id, "RcsAgentArn": agent.arn, **launch,
                "RcsAgentStatus": information(ctx, agent)["Status"]}
