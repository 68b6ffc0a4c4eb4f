"""Password hashing with the standard library's scrypt, for embedding without extra packages."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

_SCHEME = "scrypt"
_SALT_BYTES = 16
_KEY_BYTES = 32
_MAXMEM_MARGIN = 1 << 20


class ScryptHasher:
    """A :class:`~lana_core.ports.PasswordHasher` producing ``scrypt$n$r$p$salt$hash`` (base64 parts).

    Verification reads the cost from the stored hash, so raising ``n`` later keeps old
    hashes valid. Raises ValueError for a cost that is not a power of two above 1.
    """

    __slots__ = ("_n", "_p", "_r")

    def __init__(self, n: int = 2**14, r: int = 8, p: int = 1) -> None:
        if n < 2 or n & (n - 1) or r < 1 or p < 1:
            raise ValueError("scrypt needs n a power of two above 1, and r, p of at least 1")
        self._n, self._r, self._p = n, r, p

    def hash(self, password: str) -> str:
        salt = os.urandom(_SALT_BYTES)
        key = _derive(password, salt, self._n, self._r, self._p)
        return "$".join((_SCHEME, str(self._n), str(self._r), str(self._p), _b64(salt), _b64(key)))

    def verify(self, password_hash: str, password: str) -> bool:
        parsed = _parse(password_hash)
        if parsed is None:
            # Burn the same work as a real check so a malformed hash is not a timing tell.
            _derive(password, b"\0" * _SALT_BYTES, self._n, self._r, self._p)
            return False
        n, r, p, salt, expected = parsed
        return hmac.compare_digest(_derive(password, salt, n, r, p), expected)


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    maxmem = 128 * r * (n + p + 2) + _MAXMEM_MARGIN
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=_KEY_BYTES)


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or len(key) != _KEY_BYTES:
        return None
    return n, r, p, salt, key


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
