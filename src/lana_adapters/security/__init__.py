"""Security adapters: argon2id password hashing, and the stores behind idempotency keys and
rate limits (in one process's memory here; shared stores satisfy the same Protocols).
Sign-in sessions are the core's (``lana_core.domain.sessions``), stored with the rest.

Names load on first use: the Redis stores need the Protocols, not argon2 (``lana[http]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lana_adapters._lazy import lazy_attributes

if TYPE_CHECKING:
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

_HOMES = {
    "Argon2Hasher": "lana_adapters.security.hashing",
    "Claim": "lana_adapters.security.idempotency",
    "ClaimState": "lana_adapters.security.idempotency",
    "IdempotencyStore": "lana_adapters.security.idempotency",
    "InMemoryIdempotencyStore": "lana_adapters.security.idempotency",
    "InMemoryRateLimiter": "lana_adapters.security.rate_limit",
    "RateDecision": "lana_adapters.security.rate_limit",
    "RateLimiter": "lana_adapters.security.rate_limit",
    "StoredResponse": "lana_adapters.security.idempotency",
}

__getattr__ = lazy_attributes(__name__, _HOMES)
