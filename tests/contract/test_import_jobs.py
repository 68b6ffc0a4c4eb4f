"""The shipped contract tests of customer import jobs, on every adapter set."""

from lana_testing.contract.import_jobs import *  # noqa: F403
