"""Which addresses a webhook call may connect to: public unicast ones, nothing inside."""

from __future__ import annotations

import ipaddress

import pytest

from lana_adapters.messaging.address_guard import is_public

REFUSED = [
    "127.0.0.1", "127.8.9.10", "::1",  # loopback
    "10.1.2.3", "172.16.0.1", "192.168.1.1", "fd12:3456::1", "fc00::1",  # private, unique-local
    "169.254.10.10", "fe80::1",  # link-local
    "169.254.169.254", "fd00:ec2::254",  # cloud metadata
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "0.0.0.0", "::", "255.255.255.255", "224.0.0.1", "ff02::1", "192.0.2.1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1",  # NAT64 of metadata, of loopback
    "2002:a9fe:a9fe::1", "2002:0a00:0001::1",  # 6to4 of metadata, of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo of 10.0.0.1
]  # fmt: skip
ALLOWED = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"]


@pytest.mark.parametrize("address", REFUSED)
def test_addresses_inside_a_network_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_public_unicast_addresses_are_allowed(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))
