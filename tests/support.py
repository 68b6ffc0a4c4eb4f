"""Helpers every test may use; they ship with Lana's test kit (:mod:`lana_testing.support`)."""

from lana_testing.support import FAST_HASHER, PASSWORD, START, make_kernel, make_tenant, make_user

__all__ = ["FAST_HASHER", "PASSWORD", "START", "make_kernel", "make_tenant", "make_user"]
