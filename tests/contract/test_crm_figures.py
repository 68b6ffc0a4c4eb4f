"""The shipped contract tests of the tenant's task counts and interactions per day, on every adapter set."""

from lana_testing.contract.crm_figures import *  # noqa: F403
