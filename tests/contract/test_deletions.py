"""The shipped contract tests of deletions, on every adapter set."""

from lana_testing.contract.deletions import *  # noqa: F403
