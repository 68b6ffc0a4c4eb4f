"""The shipped contract tests of outbox relay, on every adapter set."""

from lana_testing.contract.outbox_relay import *  # noqa: F403
