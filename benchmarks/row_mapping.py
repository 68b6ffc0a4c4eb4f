"""Microseconds per row of the SQL adapter's mapping between rows and domain records.

    uv run python benchmarks/row_mapping.py [--calls 20000]

For a customer (the widest aggregate, with tags and attributes), an insight (nested JSON
signals) and an outbox event: reading a record from a row shaped as the drivers give it
(a named tuple, JSON columns decoded) and writing a record's column values. Each figure
is the best of five rounds of process CPU time, the least disturbed by the rest of the
machine. Only the mapping runs here: no statement, no driver.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import namedtuple
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from lana_adapters.sql.records import event_of, event_values, insight_of, insight_values
from lana_adapters.sql.rows import customer_of, customer_values
from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue
from lana_core.domain.events import DomainEvent
from lana_core.domain.insights import ChurnRisk, Insight, InsightSource, Signal

ROUNDS = 5
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _customer() -> Customer:
    return Customer(
        id=uuid4(),
        tenant_id=uuid4(),
        name="Ada Lovelace",
        email="ada@example.test",
        phone=None,
        company="Analytical Engines",
        notes=None,
        tags=("vip", "engine"),
        attributes={"tier": 2, "region": "eu"},
        value=CustomerValue.HIGH,
        status=CustomerStatus.ACTIVE,
        owner_id=uuid4(),
        version=3,
        created_at=NOW,
        updated_at=NOW,
        activated_at=NOW,
        archived_at=None,
    )


def _insight() -> Insight:
    return Insight(
        id=uuid4(),
        tenant_id=uuid4(),
        customer_id=uuid4(),
        health_score=72,
        churn_risk=ChurnRisk.LOW,
        summary="Engaged and growing.",
        recommendations=("Offer the annual plan", "Invite to the beta"),
        signals=(Signal("recent_interactions", "4 in 30 days", 10), Signal("overdue", "none", 0)),
        model="rules",
        source=InsightSource.RULES,
        fallback_reason=None,
        latency_ms=1.5,
        prompt_tokens=0,
        completion_tokens=0,
        created_at=NOW,
    )


def _event() -> DomainEvent:
    return DomainEvent(
        id=uuid4(),
        type="customer.created",
        tenant_id=uuid4(),
        aggregate_type="customer",
        aggregate_id=uuid4(),
        aggregate_version=1,
        occurred_at=NOW,
        actor_id=uuid4(),
        payload={"name": "Ada Lovelace", "tags": ["vip"]},
        trace_context={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )


def _row(values: dict[str, Any]) -> Any:
    """The row a driver returns for ``values``: a named tuple, JSON documents decoded."""
    decoded = {
        key: json.loads(json.dumps(value)) if isinstance(value, list | tuple | dict) else value
        for key, value in values.items()
    }
    return namedtuple("Row", list(decoded))(**decoded)  # type: ignore[misc]


def _best_per_call(calls: int, call: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(calls):
            call()
        best = min(best, (time.process_time() - start) / calls)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    cases: list[tuple[str, Any, Callable[[Any], Any], Callable[[Any], dict[str, Any]]]] = [
        ("customer", _customer(), customer_of, customer_values),
        ("insight", _insight(), insight_of, insight_values),
        ("outbox event", _event(), event_of, event_values),
    ]
    print(f"row mapping, {args.calls} calls x {ROUNDS} rounds (best round), microseconds per row")
    print(f"{'record':<14}{'read':>8}{'write':>8}")
    for name, record, read, write in cases:
        row = _row(write(record))
        assert read(row) == record, name
        read_us = _best_per_call(args.calls, lambda read=read, row=row: read(row))
        write_us = _best_per_call(args.calls, lambda write=write, record=record: write(record))
        print(f"{name:<14}{read_us:>8.2f}{write_us:>8.2f}")


if __name__ == "__main__":
    main()
