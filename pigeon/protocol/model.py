"""The botocore service model, loaded once: the single source of operations, shapes and constraints."""

from __future__ import annotations

from functools import lru_cache

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "pinpoint-sms-voice-v2"


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


def target_prefix() -> str:
    return service_model().metadata["targetPrefix"]


def operation_names() -> list[str]:
    return list(service_model().operation_names)


def operation(name: str) -> OperationModel:
    return service_model().operation_model(name)


def enum_values(shape_name: str) -> list[str]:
    return list(service_model().shape_for(shape_name).enum)
