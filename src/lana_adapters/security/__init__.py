"""Security adapters: argon2id password hashing, and the stores behind sessions, idempotency
keys and rate limits (in one process's memory here; shared stores satisfy the same Protocols)."""

from lana_adapters.security.hashing import Argon2Hasher
from lana_adapters.security.idempotency import (
    Claim,
    ClaimState,
    IdempotencyStore,
    InMemoryIdempotencyStore,
    StoredResponse,
)
from lana_adapters.security.rate_limit import InMemoryRateLimiter, RateDecision, RateLimiter
from lana_adapters.security.tokens import (
    AccessTokenRevocations,
    InMemoryTokenStore,
    RefreshToken,
    RefreshTokenStore,
    Rotation,
)

__all__ = [
    "AccessTokenRevocations",
    "Argon2Hasher",
    "Claim",
    "ClaimState",
    "IdempotencyStore",
    "InMemoryIdempotencyStore",
    "InMemoryRateLimiter",
    "InMemoryTokenStore",
    "RateDecision",
    "RateLimiter",
    "RefreshToken",
    "RefreshTokenStore",
    "Rotation",
    "StoredResponse",
]
