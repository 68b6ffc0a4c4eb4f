"""In-process single flight: concurrent callers of one key share one computation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _LeaderGone(Exception):
    """The computing caller was cancelled; a waiter takes over."""


class SingleFlight(Generic[T]):
    """While a computation of a key runs, later callers of that key await its result.

    When the computation fails, each waiter runs its own (the failure may have been the
    leader's alone, e.g. its cancellation): errors propagate as they would without sharing.
    """

    __slots__ = ("_flights",)

    def __init__(self) -> None:
        self._flights: dict[Hashable, asyncio.Future[Any]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        """The result of ``work()``, or of the computation of ``key`` already running."""
        shared = self._flights.get(key)
        if shared is not None:
            try:
                result: T = await asyncio.shield(shared)
            except Exception:  # the leader's failure: compute ourselves, as without sharing
                return await self.run(key, work)
            return result
        return await self._lead(key, work)

    async def _lead(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._flights[key] = future
        try:
            value = await work()
        except BaseException as error:
            future.set_exception(error if isinstance(error, Exception) else _LeaderGone())
            future.exception()  # marks it retrieved: nobody may be waiting
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._flights[key]
