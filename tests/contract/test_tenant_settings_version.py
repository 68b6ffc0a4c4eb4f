"""The shipped contract tests of tenant settings version, on every adapter set."""

from lana_testing.contract.tenant_settings_version import *  # noqa: F403
