"""protect_rules.decide and protect_configurations.effective_id, the functions sending calls, over a real
SQLite store (no HTTP): number overrides first (unexpired), then the country rule of the capability."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pigeon.errors import NotFound
from pigeon.runtime import Runtime
from pigeon.scope import Scope
from pigeon.service import configuration_sets, protect_configurations, protect_rules
from pigeon.service.context import Context
from pigeon.settings import Settings
from tests.support.contexts import runner

SCOPE = Scope("111122223333", "us-east-1")


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    instance = Runtime(Settings(data_dir=tmp_path))
    instance.start()
    yield instance
    instance.close()


@pytest.fixture
def run(runtime: Runtime) -> Callable[..., Any]:
    """``run(fn, *args)`` calls ``fn(ctx, *args)`` in one committed write transaction at the clock's time."""
    return runner(runtime, SCOPE)


@pytest.fixture
def protect_id(run: Callable[..., Any]) -> str:
    created = run(protect_configurations.create_protect_configuration, {})
    run(protect_rules.update_protect_configuration_country_rule_set, {
        "ProtectConfigurationId": created["ProtectConfigurationId"], "NumberCapability": "SMS",
        "CountryRuleSetUpdates": {"GB": {"ProtectStatus": "BLOCK"}, "IN": {"ProtectStatus": "FILTER"},
                                  "BR": {"ProtectStatus": "MONITOR"}}})
    return str(created["ProtectConfigurationId"])


def decide(run: Callable[..., Any], protect_id: str, capability: str, number: str) -> tuple[str, str]:
    return run(lambda ctx: protect_rules.decide(ctx, protect_id, capability, number))


def test_country_rules_per_capability(run, protect_id):
    assert decide(run, protect_id, "SMS", "+447700900123") == ("BLOCK", "BLOCK")
    assert decide(run, protect_id, "VOICE", "+447700900123") == ("ALLOW", "ALLOW")
    assert decide(run, protect_id, "SMS", "+919876543210") == ("ALLOW", "FILTER")
    assert decide(run, protect_id, "SMS", "+5511987654321") == ("ALLOW", "MONITOR")
    assert decide(run, protect_id, "SMS", "+12065550100") == ("ALLOW", "ALLOW")


def test_an_unexpired_override_wins_until_it_expires(run, runtime, protect_id):
    run(protect_rules.put_protect_configuration_rule_set_number_override, {
        "ProtectConfigurationId": protect_id, "DestinationPhoneNumber": "+447700900123", "Action": "ALLOW",
        "ExpirationTimestamp": runtime.clock.now() + 60})
    run(protect_rules.put_protect_configuration_rule_set_number_override, {
        "ProtectConfigurationId": protect_id, "DestinationPhoneNumber": "+12065550100", "Action": "BLOCK"})
    assert decide(run, protect_id, "SMS", "+447700900123") == ("ALLOW", "ALLOW")
    assert decide(run, protect_id, "VOICE", "+12065550100") == ("BLOCK", "BLOCK")
    runtime.clock.advance(61)
    assert decide(run, protect_id, "SMS", "+447700900123") == ("BLOCK", "BLOCK")
    assert decide(run, protect_id, "SMS", "+12065550100") == ("BLOCK", "BLOCK")


def test_unknown_configuration_is_not_found(run):
    with pytest.raises(NotFound):
        decide(run, "protect-" + "0" * 32, "SMS", "+12065550100")


def test_effective_configuration_request_then_set_then_account_default(run, protect_id):
    other = run(protect_configurations.create_protect_configuration, {})["ProtectConfigurationId"]
    run(configuration_sets.create_configuration_set, {"ConfigurationSetName": "guarded"})
    run(configuration_sets.create_configuration_set, {"ConfigurationSetName": "plain"})
    run(protect_configurations.associate_protect_configuration,
        {"ConfigurationSetName": "guarded", "ProtectConfigurationId": protect_id})

    def effective(explicit: str | None, set_name: str | None) -> str | None:
        def pick(ctx: Context) -> str | None:
            configuration_set = configuration_sets.find(ctx, set_name) if set_name else None
            return protect_configurations.effective_id(ctx, explicit, configuration_set)
        return run(pick)

    assert effective(None, "plain") is None
    run(protect_configurations.set_account_default_protect_configuration, {"ProtectConfigurationId": other})
    assert effective(None, "plain") == other
    assert effective(None, None) == other
    assert effective(None, "guarded") == protect_id
    assert effective(other, "guarded") == other
