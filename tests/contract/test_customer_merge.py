"""The shipped contract tests of customer merge and duplicates, on every adapter set."""

from lana_testing.contract.customer_merge import *  # noqa: F403
