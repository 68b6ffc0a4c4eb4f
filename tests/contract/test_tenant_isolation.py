"""The shipped contract tests of tenant isolation, on every adapter set."""

from lana_testing.contract.tenant_isolation import *  # noqa: F403
