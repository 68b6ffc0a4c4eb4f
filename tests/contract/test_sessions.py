"""The shipped contract tests of sessions, on every adapter set."""

from lana_testing.contract.sessions import *  # noqa: F403
