"""Microseconds per call of the core's hottest use cases on the in-memory adapters.

    uv run python benchmarks/core.py [--calls 20000]

Each figure is the best of five rounds of process CPU time (the least disturbed by the
rest of the machine), measured through the public use cases exactly as a library user
calls them.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

from lana_core import Lana
from lana_core.domain.tenancy import Actor
from lana_core.usecases.customers import CreateCustomer
from lana_core.usecases.tenants import CreateTenant

ROUNDS = 5


async def _best_per_call(calls: int, make_call: Callable[[int], Awaitable[object]]) -> float:
    best = float("inf")
    for round_ in range(ROUNDS):
        start = time.process_time()
        for i in range(calls):
            await make_call(round_ * calls + i)
        best = min(best, (time.process_time() - start) / calls)
    return best * 1e6


async def _tenant(lana: Lana) -> Actor:
    _, admin = await lana.create_tenant(
        CreateTenant(
            slug="bench",
            name="Bench",
            admin_email="admin@bench.test",
            admin_name="Admin",
            admin_password="a long benchmark password",
        )
    )
    return admin


async def run(calls: int) -> None:
    lana = Lana.in_memory()
    admin = await _tenant(lana)

    def create(i: int) -> Awaitable[object]:
        return lana.create_customer(
            admin, CreateCustomer(name=f"Customer {i}", email=f"c{i}@example.test", company="Example")
        )

    create_us = await _best_per_call(calls, create)
    target = await lana.create_customer(admin, CreateCustomer(name="Target", email="target@example.test"))
    get_us = await _best_per_call(calls, lambda _: lana.get_customer(admin, target.id))
    print(f"in-memory adapters, {calls} calls x {ROUNDS} rounds (best round)")
    print(f"create customer: {create_us:8.1f} µs/call  (target ≤ 20 µs)")
    print(f"get customer:    {get_us:8.1f} µs/call  (target ≤ 5 µs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per round")
    asyncio.run(run(parser.parse_args().calls))


if __name__ == "__main__":
    main()
