"""Security adapters: argon2id password hashing, and the stores behind idempotency keys and
rate limits (in one process's memory here; shared stores satisfy the same Protocols).
Sign-in sessions are the core's (``lana_core.domain.sessions``), stored with the rest."""

from lana_adapters.security.hashing import Argon2Hasher
from lana_adapters.security.idempotency import (
    Claim,
    ClaimState,
    IdempotencyStore,
    InMemoryIdempotencyStore,
    StoredResponse,
)
from lana_adapters.security.rate_limit import InMemoryRateLimiter, RateDecision, RateLimiter

__all__ = [
    "Argon2Hasher",
    "Claim",
    "ClaimState",
    "IdempotencyStore",
    "InMemoryIdempotencyStore",
    "InMemoryRateLimiter",
    "RateDecision",
    "RateLimiter",
    "StoredResponse",
]
