"""Every test of the shipped contract suite runs once per set of ``ADAPTER_SETS``."""

from lana_testing.contract import adapter_set_fixture
from tests.contract.adapter_sets import ADAPTER_SETS

adapter_set = adapter_set_fixture(*ADAPTER_SETS)
