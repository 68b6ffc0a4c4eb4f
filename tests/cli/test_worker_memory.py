"""The allocator settings `lana serve` gives its workers keep memory flat across password hashes."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from lana_http.cli.serve import WORKER_MALLOC

# Hashes passwords the way a worker does (in threads, as the login handler runs it) and
# prints how much resident memory grew after the first hash had warmed everything up.
_HASH_IN_THREADS = """
import json, re, threading
from lana_adapters.security.hashing import Argon2Hasher

def resident_mib():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024

hasher = Argon2Hasher()
hasher.hash("warm up every import and cache")
before = resident_mib()
for _ in range(4):
    thread = threading.Thread(target=lambda: [hasher.hash("a password") for _ in range(3)])
    thread.start()
    thread.join()
print(json.dumps(resident_mib() - before))
"""


def _growth_mib(allocator: dict[str, str]) -> float:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    found = subprocess.run(
        [sys.executable, "-c", _HASH_IN_THREADS],
        env={**env, **allocator},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(json.loads(found.stdout))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="settings of glibc's allocator")
def test_password_hashes_leave_no_resident_memory_behind() -> None:
    # An argon2 block is 19 MiB: keeping even one would show.
    assert _growth_mib(WORKER_MALLOC) < 8
