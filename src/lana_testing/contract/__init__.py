"""The contract suite of the core's ports: :mod:`lana_testing.contract.suite` collects every
test, each module here one topic (``unit_of_work``, ``outbox_relay``, ``sessions``…).

Importing this package loads no test: a conftest may import :class:`AdapterSet` before it
loads its hypothesis profile.
"""

from lana_testing.contract.adapter_sets import IN_MEMORY, Adapters, AdapterSet, adapter_set_fixture

__all__ = ["IN_MEMORY", "AdapterSet", "Adapters", "adapter_set_fixture"]
