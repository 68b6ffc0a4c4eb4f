"""The shipped contract tests of failed commands, on every adapter set."""

from lana_testing.contract.failed_commands import *  # noqa: F403
