"""The core is framework-free: importing it pulls in no adapter, driver or infrastructure library."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = (
    "lana_adapters",
    "lana_http",
    "sqlalchemy",
    "psycopg",
    "redis",
    "kombu",
    "openai",
    "litestar",
    "cattrs",
    "dependency_injector",
)


def test_importing_the_core_loads_no_forbidden_package() -> None:
    script = (
        "import json, sys\n"
        "import lana_core, lana_core.memory, lana_core.rules_engine\n"
        "from lana_core.usecases import analytics, customers, dashboard, insights, interactions\n"
        "from lana_core.usecases import projects, tasks, tenants, timeline\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(completed.stdout)
    offenders = sorted(
        name for name in loaded if any(name == f or name.startswith(f"{f}.") for f in FORBIDDEN)
    )
    assert offenders == []
    assert "lana_core.usecases.customers" in loaded
