"""The shipped contract tests of customer export, on every adapter set."""

from lana_testing.contract.customer_export import *  # noqa: F403
