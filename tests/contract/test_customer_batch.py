"""The shipped contract tests of customer batch, on every adapter set."""

from lana_testing.contract.customer_batch import *  # noqa: F403
