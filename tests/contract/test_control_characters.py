"""The shipped contract tests of control characters, on every adapter set."""

from lana_testing.contract.control_characters import *  # noqa: F403
