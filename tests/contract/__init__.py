"""Lana's own run of the shipped contract suite (:mod:`lana_testing.contract`)."""

from lana_testing.contract import builders

__all__ = ["builders"]
