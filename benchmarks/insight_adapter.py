"""What the OpenAI insight adapter costs on top of the model server's own time.

Run from the repository root: ``uv run --no-sync python -m benchmarks.insight_adapter``.

1. Overhead: against a local server that answers at once, the latency of ``assess()``
   next to a bare HTTP POST of the very same body (http.client, and httpx's async client).
   The difference is what prompt building, the SDK, parsing and validation add per call.
2. Batch: N concurrent ``assess()`` calls, at most C at a time, against a server that takes
   200 ms per answer; the floor is N / C x 200 ms.

The server runs in a thread of this process, so both sides share one CPU budget; the
absolute figures are a ceiling, the differences are what matters.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import statistics
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from tests.integration.openai.conftest import make_context
from tests.integration.openai.fake_server import FakeChatServer, Reply

from lana_adapters.openai import OpenAIInsightModel, OpenAISettings
from lana_adapters.openai.parsing import parse_completion
from lana_adapters.openai.prompt import build_messages


def summary(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (
        f"  {name:<28} median {statistics.median(ordered) * 1e3:7.3f} ms   "
        f"p95 {p95 * 1e3:7.3f} ms   mean {statistics.fmean(ordered) * 1e3:7.3f} ms"
    )


async def timed_async(call: Callable[[], Awaitable[object]], samples: int) -> list[float]:
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        await call()
        durations.append(time.perf_counter() - started)
    return durations


def timed_sync(call: Callable[[], object], samples: int) -> list[float]:
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return durations


def http_client_post(base_url: str, body: bytes) -> Callable[[], bytes]:
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port)
    headers = {"content-type": "application/json", "authorization": "Bearer bench"}

    def post() -> bytes:
        connection.request("POST", f"{url.path}/chat/completions", body=body, headers=headers)
        return connection.getresponse().read()

    return post


async def overhead(samples: int) -> None:
    context = make_context()
    with FakeChatServer() as server:
        model = OpenAIInsightModel(OpenAISettings(api_key="bench", base_url=server.base_url))
        await timed_async(lambda: model.assess(context), 50)
        body = server.requests[-1].body
        adapter = await timed_async(lambda: model.assess(context), samples)
        raw_sync = timed_sync(http_client_post(server.base_url, body), samples)
        raw_async = await httpx_post(server.base_url, body, samples)
        await model.aclose()
        answer = Reply.completion().body
    build = timed_sync(lambda: build_messages(context, send_contact_details=False), samples)
    parse = timed_sync(lambda: parse_completion(answer, default_model="m"), samples)
    print(f"Overhead per call, {samples} sequential calls, server answering at once:")
    for name, seconds in [
        ("adapter assess()", adapter),
        ("raw POST, http.client", raw_sync),
        ("raw POST, httpx async", raw_async),
        ("  of which build_messages", build),
        ("  of which parse+validate", parse),
    ]:
        print(summary(name, seconds))
    added = statistics.median(adapter) - statistics.median(raw_sync)
    print(f"  adapter overhead vs http.client: {added * 1e3:.3f} ms per call (medians)")


async def httpx_post(base_url: str, body: bytes, samples: int) -> list[float]:
    import httpx

    headers = {"content-type": "application/json", "authorization": "Bearer bench"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
        await timed_async(lambda: client.post("/chat/completions", content=body), 50)
        return await timed_async(lambda: client.post("/chat/completions", content=body), samples)


async def batch(calls: int, concurrency: int, delay: float) -> None:
    context = make_context()
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    with FakeChatServer(default=Reply.completion(delay_seconds=delay)) as server:
        model = OpenAIInsightModel(OpenAISettings(api_key="bench", base_url=server.base_url))

        async def one() -> None:
            async with gate:
                started = time.perf_counter()
                await model.assess(context)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(calls)))
        wall = time.perf_counter() - started
        await model.aclose()
        connections = len({request.connection for request in server.requests})
    floor = calls / concurrency * delay
    print(
        f"\nBatch: {calls} assess() calls, concurrency {concurrency}, "
        f"server answering in {delay * 1e3:.0f} ms:"
    )
    print(
        f"  wall time {wall:.2f} s (floor {floor:.2f} s, {floor / wall:.1%} of ideal), "
        f"{calls / wall:.1f} calls/s"
    )
    print(summary("per call", latencies))
    print(f"  TCP connections opened: {connections}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--calls", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--delay", type=float, default=0.2)
    args = parser.parse_args()
    asyncio.run(overhead(args.samples))
    asyncio.run(batch(args.calls, args.concurrency, args.delay))


if __name__ == "__main__":
    main()
