"""Signing webhook requests as the Standard Webhooks specification says, and checking them.

Each request carries ``webhook-id`` (the event id: the same for every attempt, so receivers
de-duplicate on it), ``webhook-timestamp`` (unix seconds of this attempt) and
``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``. The key is
the base64 part of a ``whsec_…`` secret. A signature header may list several space-separated
signatures (while a secret is rotated); a request is genuine if any of them matches.

Only the standard library is used, so a receiver written in Python can import :func:`verify`
from a bare ``pip install lana``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix every secret starts with, not a secret
VERSION = "v1"
# The specification's suggested window: an older (or future) request is a replay.
DEFAULT_TOLERANCE_SECONDS = 300
# 24 to 64 bytes, the specification says; 32 matches HMAC-SHA256's block of output.
_SECRET_BYTES = 32


class InvalidSecret(ValueError):
    """A secret that is neither ``whsec_<base64>`` nor a usable plain string."""


def new_secret() -> str:
    """A fresh ``whsec_<base64>`` secret of 256 random bits."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of ``secret``: the decoded base64 after ``whsec_``; a secret without that
    prefix (an operator's ``LANA_WEBHOOK_SECRET`` from before) is used as its UTF-8 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        if not secret:
            raise InvalidSecret("a signing secret cannot be empty")
        return secret.encode()
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise InvalidSecret("the part after whsec_ is not base64") from None
    if not key:
        raise InvalidSecret("a signing secret cannot be empty")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for ``body`` sent as ``message_id`` at ``timestamp``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode()}"


def signature_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, message_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """Whether a received request is genuine and recent: one of its ``v1`` signatures matches
    and its timestamp is within ``tolerance_seconds`` of ``now`` (unix seconds, e.g.
    ``time.time()``). Header names are matched case-insensitively; ``body`` must be the raw
    bytes received, before any JSON parsing."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get(ID_HEADER, "")
    raw_timestamp = lowered.get(TIMESTAMP_HEADER, "")
    if not message_id or not (raw_timestamp.isascii() and raw_timestamp.isdigit()):
        return False
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, message_id, timestamp, body)
    offered = lowered.get(SIGNATURE_HEADER, "").split()
    # Every candidate is compared, so the time taken does not tell which one matched.
    matched = [hmac.compare_digest(expected, candidate) for candidate in offered]
    return any(matched)
