"""The shipped contract tests of api keys, on every adapter set."""

from lana_testing.contract.api_keys import *  # noqa: F403
