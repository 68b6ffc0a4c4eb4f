"""What webhook requests share: the older signature of the operator's routes, and URLs
fit for logs.

Receivers of the operator's routes written before Standard Webhooks check
``X-Lana-Timestamp`` and ``X-Lana-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<timestamp>.<body>``, which requests to them under a secret still carry (see
:func:`~lana_adapters.messaging.subscription_delivery.request_headers`). URLs in logs and
errors have their credentials masked (:func:`shown_url`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TIMESTAMP_HEADER = "X-Lana-Timestamp"
SIGNATURE_HEADER = "X-Lana-Signature"
MASK = "***"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The legacy ``X-Lana-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def legacy_signature_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """``X-Lana-Timestamp`` and ``X-Lana-Signature`` of a request sent at ``timestamp``."""
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, str(timestamp), body)}


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance_seconds: float = 300
) -> bool:
    """Whether a request is genuine and recent by its legacy ``X-Lana-Signature``; new receivers
    use :func:`lana_core.domain.webhook_signing.verify`."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= tolerance_seconds
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


@functools.lru_cache(maxsize=256)
def shown_url(url: str) -> str:
    """``url`` fit for logs: its user info and every query value masked (n8n and others put
    credentials and tokens there), its fragment dropped."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{MASK}@{host}" if "@" in parts.netloc else host
    query = urlencode([(name, MASK) for name, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
