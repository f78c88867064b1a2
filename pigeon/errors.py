"""AWS-shaped errors: one class per error the service model (or the common errors) names.

Business code raises these with enum values from the model; the protocol layer renders them as
``__type``, HTTP status and body. Nothing here knows HTTP beyond the status number.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every error a client may see. ``members`` are the documented members of the shape."""

    code: str = "InternalServerException"
    status: int = 400

    def __init__(self, message: str, **members: Any) -> None:
        super().__init__(message)
        self.message = message
        self.members = {key: value for key, value in members.items() if value is not None}

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message, "Message": self.message, **self.members}


class FieldViolation(dict):
    """One entry of ValidationException.Fields: ``{"Name": ..., "Message": ...}``."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(Name=name, Message=message)


class Invalid(ServiceError):
    """ValidationException with a ValidationExceptionReason and the offending fields."""

    code = "ValidationException"

    def __init__(
        self, reason: str, message: str | None = None, fields: list[FieldViolation] | None = None
    ) -> None:
        if message is None:
            message = "; ".join(f"{f['Name']}: {f['Message']}" for f in fields or []) or reason
        super().__init__(message, Reason=reason, Fields=list(fields) if fields else None)
        self.reason = reason

    @classmethod
    def field(cls, name: str, message: str, reason: str = "INVALID_PARAMETER") -> Invalid:
        return cls(reason, f"{name}: {message}", [FieldViolation(name, message)])


class Conflict(ServiceError):
    """ConflictException: the action is not valid for the resource's current state."""

    code = "ConflictException"

    def __init__(self, reason: str, resource_type: str, resource_id: str, message: str | None = None):
        super().__init__(
            message or f"{reason} for {resource_type} {resource_id}",
            Reason=reason,
            ResourceType=resource_type,
            ResourceId=resource_id,
        )
        self.reason = reason


class NotFound(ServiceError):
    """ResourceNotFoundException naming the resource type and the id as given."""

    code = "ResourceNotFoundException"

    def __init__(self, resource_type: str, resource_id: str, message: str | None = None) -> None:
        super().__init__(
            message or f"The {resource_type} {resource_id} was not found.",
            ResourceType=resource_type,
            ResourceId=resource_id,
        )


class QuotaExceeded(ServiceError):
    code = "ServiceQuotaExceededException"

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message or f"Service quota exceeded: {reason}", Reason=reason)
        self.reason = reason


class AccessDenied(ServiceError):
    code = "AccessDeniedException"

    def __init__(self, reason: str | None, message: str) -> None:
        super().__init__(message, Reason=reason)


class Throttled(ServiceError):
    code = "ThrottlingException"


class InternalError(ServiceError):
    code = "InternalServerException"
    status = 500

    def __init__(self, message: str, request_id: str | None = None) -> None:
        super().__init__(message, RequestId=request_id)


# --- protocol-level errors (common errors of every AWS service) -------------------------------


class UnknownOperation(ServiceError):
    code = "UnknownOperationException"


class NotImplementedYet(ServiceError):
    """An operation of the model that Pigeon routes but does not implement yet."""

    code = "NotImplementedException"
    status = 501

    def __init__(self, operation: str) -> None:
        super().__init__(f"Pigeon does not implement the operation {operation} yet.")


class SerializationError(ServiceError):
    code = "SerializationException"


class RequestTooLarge(ServiceError):
    code = "RequestEntityTooLargeException"
    status = 413


class MissingAuthenticationToken(ServiceError):
    code = "MissingAuthenticationToken"
    status = 403


class IncompleteSignature(ServiceError):
    code = "IncompleteSignature"
    status = 400


class InvalidClientTokenId(ServiceError):
    code = "InvalidClientTokenId"
    status = 403


class InvalidSignature(ServiceError):
    code = "SignatureDoesNotMatch"
    status = 403


class RequestExpired(ServiceError):
    code = "RequestExpired"
    status = 400
