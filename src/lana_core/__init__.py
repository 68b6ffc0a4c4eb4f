"""Lana's framework-free CRM core: entities, policy, use cases and ports.

Start with :class:`Lana` (``Lana.in_memory()`` for a complete system in one process).
"""

from lana_core.app import Lana
from lana_core.usecases._base import Kernel

__all__ = ["Kernel", "Lana"]
