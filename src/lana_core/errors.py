"""The typed errors every use case raises for a caller's mistake or a failed dependency.

Drivers translate them to their own protocol: HTTP problem+json, CLI exit codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar
from uuid import UUID

from attrs import frozen

__all__ = [
    "Conflict",
    "FieldError",
    "Gone",
    "InvalidChoice",
    "LanaError",
    "LimitExceeded",
    "NotFound",
    "PermissionDenied",
    "StaleVersion",
    "Unauthenticated",
    "Unavailable",
    "ValidationError",
]


@frozen
class FieldError:
    """One invalid field: where it is, a machine-readable code and a sentence for people."""

    field: str
    code: str
    message: str


class LanaError(Exception):
    """Base of every error Lana raises on purpose; ``code`` is stable across releases."""

    code: ClassVar[str] = "lana_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(LanaError):
    """The record does not exist in the caller's tenant (or is hidden from the caller)."""

    code = "not_found"

    def __init__(self, kind: str, identifier: object, message: str | None = None) -> None:
        super().__init__(message or f"{kind} {identifier} was not found")
        self.kind = kind
        self.identifier = identifier


class Gone(LanaError):
    """The record was merged into another one, named by ``merged_into``; it is not coming back."""

    code = "gone"

    def __init__(self, kind: str, identifier: object, merged_into: UUID) -> None:
        super().__init__(f"{kind} {identifier} was merged into {kind} {merged_into}")
        self.kind = kind
        self.identifier = identifier
        self.merged_into = merged_into


class Conflict(LanaError):
    """The change clashes with the stored state: a stale version or a duplicate key.
    ``errors`` names the clashing fields when they are known (``customers[3].email``)."""

    code = "conflict"

    def __init__(self, message: str, errors: Iterable[FieldError] = ()) -> None:
        super().__init__(message)
        self.errors = tuple(errors)


class ValidationError(LanaError):
    """The input breaks a rule of the domain; ``errors`` names every offending field."""

    code = "validation_error"

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = tuple(errors)
        summary = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(f"invalid input: {summary}")

    @classmethod
    def single(cls, field: str, code: str, message: str) -> ValidationError:
        return cls([FieldError(field, code, message)])


class InvalidChoice(ValidationError, ValueError):
    """A value outside a closed set (a status, a priority, a role…); ``allowed`` lists the set.

    Also a ValueError: what looking an enum member up by a value it does not hold raises.
    """

    def __init__(self, field: str, allowed: Sequence[str]) -> None:
        self.allowed = tuple(allowed)
        super().__init__([self.field_error(field, self.allowed)])

    @staticmethod
    def field_error(field: str, allowed: Sequence[str]) -> FieldError:
        """The error of ``field`` holding none of ``allowed``, worded the same wherever it is found."""
        return FieldError(field, "invalid_choice", f"must be one of: {', '.join(allowed)} (in any case)")


class StaleVersion(Conflict):
    """The change was made against an older version than the stored one: reload and retry."""

    code = "stale_version"


class PermissionDenied(LanaError):
    """The actor's role or ownership does not allow the action."""

    code = "permission_denied"


class Unauthenticated(LanaError):
    """Credentials are missing, wrong or no longer valid."""

    code = "unauthenticated"


class LimitExceeded(LanaError):
    """A quota or rate limit was reached; ``retry_after`` is in seconds when known."""

    code = "limit_exceeded"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(LanaError):
    """A dependency (database, broker, model) cannot serve the request right now."""

    code = "unavailable"
