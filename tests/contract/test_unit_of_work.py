"""The shipped contract tests of unit of work, on every adapter set."""

from lana_testing.contract.unit_of_work import *  # noqa: F403
