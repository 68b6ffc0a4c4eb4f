"""The SSRF guard: webhook calls reach public internet addresses only.

A subscription's URL is chosen by a tenant, so a call must not become a way into the
network Lana runs in: every address a subscription's URL may not name (see
:mod:`lana_core.domain.webhook_urls`: loopback, private, link-local with the metadata
endpoints, unique-local, shared, multicast, reserved) is refused, and so is an IPv6 address
carrying such an IPv4 one (mapped, 6to4, Teredo). The check runs in the connection itself:
the host is resolved once, each address checked, and the socket connected to the checked
address, so a DNS answer that changes between check and connect (rebinding) changes
nothing. TLS still names the URL's host (SNI, certificate check), and so does ``Host``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterable

import httpcore

from lana_core.domain.webhook_urls import is_internal_address

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Permit = Callable[[IPAddress], bool]


class ForbiddenAddress(Exception):
    """The URL's host resolves only to addresses webhook calls may not reach."""


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client), if any. NAT64
    addresses (64:ff9b::/96) lie in reserved space, refused as a whole."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    return address.teredo[1] if address.teredo is not None else None


def is_public(address: IPAddress) -> bool:
    """Whether a webhook call may connect to ``address``: not one a subscription's URL may not
    name (global unicast only, which leaves out the metadata addresses), and not carrying one."""
    if is_internal_address(address):
        return False
    inner = embedded_ipv4(address)
    return inner is None or is_public(inner)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses ``host`` resolves to for a TCP connection, in the resolver's order."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the first reachable address of the host it is given that ``permit``
    accepts (:func:`is_public` unless told); raises :class:`ForbiddenAddress` when it
    resolves to none."""

    def __init__(self, permit: Permit = is_public) -> None:
        self._permit = permit
        self._sockets = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            resolved = await resolve(host, port)
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        allowed = [address for address in resolved if self._permit(address)]
        if not allowed:
            shown = ", ".join(str(address) for address in resolved)
            raise ForbiddenAddress(f"{host} resolves to {shown}, which webhooks may not reach")
        for address in allowed[:-1]:
            try:
                return await self._connect(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                continue  # the next address may answer, as a browser would try it
        return await self._connect(allowed[-1], port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ForbiddenAddress("webhooks do not call Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._sockets.sleep(seconds)

    async def _connect(
        self,
        address: IPAddress,
        port: int,
        timeout: float | None,  # noqa: ASYNC109 - passed on to httpcore
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._sockets.connect_tcp(
            str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
