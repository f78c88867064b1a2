"""Settings from the environment: every setting has its PIGEON_* variable (docs/configuration.md)."""

from __future__ import annotations

from pigeon.settings import load_settings


def test_map_settings_read_yaml_from_the_environment():
    settings = load_settings(environ={"PIGEON_QUOTAS": "{CONFIGURATION_SETS: 5}",
                                      "PIGEON_SPEND_MAX_LIMITS": '{"TEXT_MESSAGE_MONTHLY_SPEND_LIMIT": 50}'})
    assert settings.quotas == {"CONFIGURATION_SETS": 5}
    assert settings.spend_max_limits == {"TEXT_MESSAGE_MONTHLY_SPEND_LIMIT": 50}
