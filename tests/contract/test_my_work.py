"""The shipped contract tests of my work, on every adapter set."""

from lana_testing.contract.my_work import *  # noqa: F403
