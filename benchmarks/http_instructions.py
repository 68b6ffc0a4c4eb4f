"""Instructions one worker executes per API request, counted by callgrind.

    uv run --no-sync python -m benchmarks.http_instructions [--requests 800]
        [--database both|sqlite|postgres] [--scenario both|get|create]

CPU time on a shared 2-core machine varies by a tenth from run to run, which hides a
change worth a few per cent. Instruction counts repeat to within about 0.5 %: this runs
the app of ``benchmarks.http_inprocess`` under ``valgrind --tool=callgrind`` with counting
off while it starts, signs up and warms up, counts exactly the ``--requests`` requests
(eight at a time), and prints instructions per request. Kernel time (system calls, page
faults) is not counted, so confirm a change that moves I/O with ``http_inprocess`` too.
PostgreSQL is measured when ``LANA_BENCH_POSTGRES_URL`` or ``LANA_TEST_POSTGRES_URL``
names a server. Needs valgrind (``apt install valgrind``); a scenario takes about half a
minute.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

from benchmarks.http_api import temporary_postgres
from benchmarks.http_inprocess import Call, loop_runner, scenarios_on

_CALLERS = 8


def _mark(stream: IO[str], word: str) -> None:
    stream.write(word + "\n")
    stream.flush()


def _expect(stream: IO[str] | None, word: str) -> None:
    """Block until ``word`` arrives on ``stream``: the measured side waits so, with no event
    loop turning, and so nothing is counted while it waits."""
    assert stream is not None
    line = stream.readline().strip()
    if line != word:
        raise SystemExit(f"expected {word!r} from the other side, got {line or 'nothing'!r}")


async def _run_all(call: Call, requests: int) -> None:
    async def caller(count: int) -> None:
        for _ in range(count):
            await call()

    await asyncio.gather(*(caller(count) for count in _shares(requests)))


def _shares(requests: int) -> list[int]:
    """``requests`` split between the callers, so that exactly that many run."""
    share, extra = divmod(requests, _CALLERS)
    return [share + (1 if index < extra else 0) for index in range(_CALLERS)]


async def _measured(database_url: str, scenario: str, requests: int) -> None:
    """The side under callgrind: warm up, then run ``requests`` between the handshake's marks
    (lines on standard output, answered on standard input)."""
    async with scenarios_on(database_url, scenario) as calls:
        (call,) = calls.values()
        await _run_all(call, 20 * _CALLERS)  # every cache and prepared statement warm
        _mark(sys.stdout, "ready")
        _expect(sys.stdin, "go")
        await _run_all(call, requests)
        _mark(sys.stdout, "done")
        _expect(sys.stdin, "stop")


def _count(database_url: str, scenario: str, requests: int) -> int:
    """Instructions callgrind counted for ``requests`` requests of ``scenario``."""
    with tempfile.TemporaryDirectory(prefix="lana_callgrind_") as directory:
        out = Path(directory) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
            sys.executable, "-m", "benchmarks.http_instructions", "--measure", database_url,
            "--scenario", scenario, "--requests", str(requests),
        ]  # fmt: skip
        with subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        ) as process:
            assert process.stdin is not None
            _expect(process.stdout, "ready")
            _callgrind_control("--instr=on", process.pid)
            _mark(process.stdin, "go")
            _expect(process.stdout, "done")
            _callgrind_control("--instr=off", process.pid)
            _mark(process.stdin, "stop")
        if process.returncode != 0:
            raise SystemExit(f"the measured process failed (exit {process.returncode})")
        return _total(out)


def _callgrind_control(switch: str, pid: int) -> None:
    subprocess.run(["callgrind_control", switch, str(pid)], check=True, capture_output=True)


def _total(out: Path) -> int:
    for line in out.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"callgrind wrote no totals to {out}")


def _report(label: str, database_url: str, args: argparse.Namespace) -> None:
    for scenario in ("get", "create"):
        if args.scenario in ("both", scenario):
            per_request = _count(database_url, scenario, args.requests) / args.requests
            print(f"{label:<12}{scenario + ' customer':<18}{per_request / 1e6:>8.3f} M instructions/request")


def main(args: argparse.Namespace) -> None:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (apt install valgrind)")
    print(f"{args.requests} requests per scenario, {_CALLERS} at a time, counted by callgrind")
    if args.database in ("both", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="lana_bench_") as directory:
            _report("SQLite", f"sqlite+aiosqlite:///{Path(directory) / 'lana.db'}", args)
    if args.database == "sqlite":
        return
    with temporary_postgres() as urls:
        if urls is not None:
            _report("PostgreSQL", urls[0], args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--database", choices=("both", "sqlite", "postgres"), default="both")
    parser.add_argument("--scenario", choices=("both", "get", "create"), default="both")
    parser.add_argument("--measure", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        loop_runner()(_measured(arguments.measure, arguments.scenario, arguments.requests))
    else:
        main(arguments)
