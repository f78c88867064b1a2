"""Reading AWS-shaped errors out of botocore's ClientError."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def error_of(excinfo: pytest.ExceptionInfo[ClientError] | ClientError) -> dict[str, Any]:
    """Code, HTTP Status, Message and the modeled members (Reason, ResourceType, ResourceId, Fields)."""
    error = excinfo.value if isinstance(excinfo, pytest.ExceptionInfo) else excinfo
    response = error.response
    return {
        **{key: value for key, value in response.items() if key not in ("Error", "ResponseMetadata")},
        "Code": response["Error"]["Code"],
        "Status": response["ResponseMetadata"]["HTTPStatusCode"],
    }
