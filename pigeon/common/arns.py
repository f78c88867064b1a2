"""ARNs in AWS's form: ``arn:aws:sms-voice:{region}:{account}:{resource-type}/{id}``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pigeon.scope import Scope

SERVICE = "sms-voice"
_ARN = re.compile(r"arn:(?P<partition>aws[a-z-]*):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[0-9]{12}):"
                  r"(?P<resource_type>[a-z-]+)/(?P<resource_id>.+)")


@dataclass(frozen=True, slots=True)
class Arn:
    region: str
    account_id: str
    resource_type: str
    resource_id: str

    @property
    def scope(self) -> Scope:
        return Scope(self.account_id, self.region)


def build(scope: Scope, resource_type: str, resource_id: str) -> str:
    return f"arn:aws:{SERVICE}:{scope.region}:{scope.account_id}:{resource_type}/{resource_id}"


def parse(value: str) -> Arn | None:
    """The parts of an sms-voice ARN, or None when ``value`` is not one."""
    match = _ARN.fullmatch(value)
    if not match or match["service"] != SERVICE:
        return None
    return Arn(match["region"], match["account"], match["resource_type"], match["resource_id"])


def is_arn(value: str) -> bool:
    return value.startswith("arn:")
