"""Which cached views a change makes stale, so writes invalidate exactly those keys."""

from __future__ import annotations

import functools
from collections.abc import Iterable

DASHBOARD = "dashboard"
ANALYTICS = "analytics"
INSIGHTS = "insights"
# The pairs of a duplicate scan, kept between its pages (usecases/customer_merge.py).
DUPLICATES = "duplicates"

_BY_PREFIX = {
    "customer.": (DASHBOARD, ANALYTICS, DUPLICATES),
    # A merge moves the merged customers' projects, tasks and insights to the kept one.
    "customer.merged": (INSIGHTS,),
    "project.": (DASHBOARD, ANALYTICS),
    # The dashboard's task counts and interactions per day (usecases/crm_figures.py).
    "task.": (DASHBOARD, ANALYTICS),
    "interaction.": (DASHBOARD, ANALYTICS),
    "insight.": (INSIGHTS, ANALYTICS),
    "analytics.": (ANALYTICS,),
}


def stale_namespaces(event_types: Iterable[str]) -> tuple[str, ...]:
    """The cache namespaces that events of these types change, each named once."""
    found: dict[str, None] = {}
    for event_type in event_types:
        found.update(dict.fromkeys(_namespaces_of(event_type)))
    return tuple(found)


@functools.cache
def _namespaces_of(event_type: str) -> tuple[str, ...]:
    return tuple(
        namespace
        for prefix, namespaces in _BY_PREFIX.items()
        if event_type.startswith(prefix)
        for namespace in namespaces
    )
