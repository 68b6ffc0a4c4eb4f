"""The CRM state machine, once per adapter set."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from tests.contract.adapter_sets import AdapterSet, adapter_params
from tests.contract.crm_machine import make_machine


@pytest.mark.parametrize("adapter_set", adapter_params())
def test_customers_projects_and_tasks_follow_the_model(adapter_set: AdapterSet) -> None:
    run_state_machine_as_test(make_machine(adapter_set))
