"""The shipped contract tests of uniqueness, on every adapter set."""

from lana_testing.contract.uniqueness import *  # noqa: F403
