"""The shipped contract tests of webhook subscriptions and deliveries, on every adapter set."""

from lana_testing.contract.webhooks import *  # noqa: F403
