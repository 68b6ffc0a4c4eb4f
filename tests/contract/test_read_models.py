"""The shipped contract tests of read models, on every adapter set."""

from lana_testing.contract.read_models import *  # noqa: F403
