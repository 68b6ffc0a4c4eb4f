"""The shipped contract tests of customer pagination, on every adapter set."""

from lana_testing.contract.customer_pagination import *  # noqa: F403
