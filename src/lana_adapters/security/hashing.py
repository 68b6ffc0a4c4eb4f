"""Password hashing with argon2id, at or above OWASP's minimum cost."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import Argon2Error

# OWASP Password Storage Cheat Sheet: argon2id with 19 MiB, 2 iterations, 1 lane at least.
MIN_MEMORY_KIB = 19 * 1024
MIN_TIME_COST = 2
MIN_PARALLELISM = 1


class Argon2Hasher:
    """A :class:`~lana_core.ports.PasswordHasher` producing argon2id PHC strings.

    The cost is read back from each stored hash, so raising it later keeps old hashes
    valid. Raises ValueError for a cost below OWASP's minimum.
    """

    __slots__ = ("_decoy", "_hasher")

    def __init__(
        self,
        *,
        memory_kib: int = MIN_MEMORY_KIB,
        time_cost: int = MIN_TIME_COST,
        parallelism: int = MIN_PARALLELISM,
    ) -> None:
        if memory_kib < MIN_MEMORY_KIB or time_cost < MIN_TIME_COST or parallelism < MIN_PARALLELISM:
            raise ValueError("argon2id cost below OWASP's minimum (19 MiB, t=2, p=1)")
        self._hasher = _Argon2(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._decoy = self._hasher.hash("decoy password that matches nothing")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; False (after the same work) for a malformed hash."""
        try:
            return self._hasher.verify(password_hash, password)
        except Argon2Error:
            return self._burn(password)
        except (TypeError, ValueError):
            return self._burn(password)

    def _burn(self, password: str) -> bool:
        # A malformed hash must not answer faster than a real miss: that would be a timing tell.
        with contextlib.suppress(Argon2Error):
            self._hasher.verify(self._decoy, password)
        return False
