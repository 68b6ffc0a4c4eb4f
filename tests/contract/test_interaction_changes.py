"""The shipped contract tests of interaction changes, on every adapter set."""

from lana_testing.contract.interaction_changes import *  # noqa: F403
