"""The Redis guard judges Redis, not its own process: a stall of the event loop is no outage."""

from __future__ import annotations

import asyncio
import time

import pytest

from lana_adapters.redis.connection import Circuit, Guard, RedisDown

TIMEOUT = 0.1


def _guard() -> Guard:
    return Guard(TIMEOUT, Circuit(30.0))


async def _answered_during_a_stall(hops: int) -> str:
    """An answer that arrives while the loop is blocked for three timeouts, then takes
    ``hops`` turns of the loop to reach its caller, as a reply read off a socket and parsed does."""
    loop = asyncio.get_running_loop()
    reply: asyncio.Future[str] = loop.create_future()
    loop.call_soon(time.sleep, 3 * TIMEOUT)  # a busy core, a garbage collection
    loop.call_soon(reply.set_result, "PONG")
    answer = await reply
    for _ in range(hops):
        await asyncio.sleep(0)
    return answer


async def test_an_answer_that_arrived_while_the_loop_stalled_is_taken() -> None:
    guard = _guard()

    assert await guard.run(lambda: _answered_during_a_stall(hops=5)) == "PONG"
    assert guard.circuit.is_closed


async def test_a_redis_that_does_not_answer_still_fails_after_a_stall() -> None:
    guard = _guard()

    async def never_answered() -> str:
        asyncio.get_running_loop().call_soon(time.sleep, 3 * TIMEOUT)
        await asyncio.Event().wait()
        return "never"

    started = time.monotonic()
    with pytest.raises(RedisDown):
        await guard.run(never_answered)
    # The stall (three timeouts) is given back once, then Redis is judged.
    assert time.monotonic() - started < 8 * TIMEOUT
    assert not guard.circuit.is_closed
