"""The shipped CRM state machine, on every adapter set."""

from lana_testing.contract.crm import *  # noqa: F403
