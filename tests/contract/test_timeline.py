"""The shipped contract tests of timeline, on every adapter set."""

from lana_testing.contract.timeline import *  # noqa: F403
