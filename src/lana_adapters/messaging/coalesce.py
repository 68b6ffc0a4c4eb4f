"""Concurrent calls run as one batch: one database round trip (and one commit) for many messages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class Coalescer(Generic[In, Out]):
    """Calls ``run_batch`` with the items of every call waiting, ``max_batch`` at most.

    No timer: a call arriving while no batch runs starts one at once; calls arriving while
    a batch runs form the next. So a lone call waits for nothing, and under load each
    batch holds what queued up during the previous one. ``run_batch`` returns one result
    per item, in order; when it raises, every call of that batch raises the same error.
    """

    __slots__ = ("_max", "_run", "_task", "_waiting")

    def __init__(
        self, run_batch: Callable[[Sequence[In]], Awaitable[Sequence[Out]]], max_batch: int = 256
    ) -> None:
        self._run = run_batch
        self._max = max_batch
        self._waiting: list[tuple[In, asyncio.Future[Out]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, item: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._max], self._waiting[self._max :]
                await self._run_one(batch)
        finally:
            self._task = None

    async def _run_one(self, batch: list[tuple[In, asyncio.Future[Out]]]) -> None:
        try:
            results = await self._run([item for item, _ in batch])
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        except BaseException:  # cancelled: so are the calls waiting for this batch
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
