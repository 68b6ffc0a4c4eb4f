"""The CRM state machine, once per adapter set."""

from __future__ import annotations

from hypothesis.stateful import run_state_machine_as_test

from lana_testing.contract.adapter_sets import AdapterSet
from lana_testing.contract.crm_machine import make_machine


def test_customers_projects_and_tasks_follow_the_model(adapter_set: AdapterSet) -> None:
    run_state_machine_as_test(make_machine(adapter_set))


__all__ = [
    "test_customers_projects_and_tasks_follow_the_model",
]
