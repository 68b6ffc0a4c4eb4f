"""Which URLs a webhook subscription may name.

Checked when a subscription is made or changed: ``http`` or ``https``, a host, no user or
password (they would show in every list of subscriptions), and no literal address a
server should not be made to call: loopback, private, link-local (which holds the cloud
metadata address 169.254.169.254), unique-local (fd00:ec2::254), multicast, reserved or
unspecified, nor ``localhost``. A host name is not resolved here: what it resolves to is
checked again when a delivery connects, on the address actually connected to. An
operator may allow private addresses (development against a local receiver).
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

from lana_core.domain import validation

MAX_URL_LENGTH: Final = 2048
_SCHEMES = frozenset({"http", "https"})
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})


def check_url(errors: validation.Errors, field: str, value: object, *, allow_private: bool) -> str | None:
    """The URL, stripped; None (with an error on ``field``) when it may not be called."""
    url = validation.text(errors, field, value, max_length=MAX_URL_LENGTH, required=True)
    if url is None:
        return None
    problem = _problem(url, allow_private=allow_private)
    if problem is not None:
        errors.add(field, *problem)
        return None
    return url


def _problem(url: str, *, allow_private: bool) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number in range
    except ValueError:
        return "invalid_url", "must be an absolute http or https URL"
    del port
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        return "invalid_url", "must be an absolute http or https URL"
    if parts.username is not None or parts.password is not None:
        return "invalid_url", "must not hold a user name or password"
    if not allow_private and is_internal_host(parts.hostname):
        return (
            "private_address",
            "must not point at a loopback, private, link-local or metadata address",
        )
    return None


def is_internal_host(host: str) -> bool:
    """Whether ``host`` (a name or a literal address) is one a server must not call."""
    name = host.strip("[]").rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return is_internal_address(address)


def is_internal_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local, unique-local, multicast, reserved or unspecified;
    an IPv4 address mapped into IPv6 is judged as itself."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )
