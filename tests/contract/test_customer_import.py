"""The shipped contract tests of customer import, on every adapter set."""

from lana_testing.contract.customer_import import *  # noqa: F403
