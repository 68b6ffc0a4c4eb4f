"""The core is framework-free: importing it, every module of it, loads nothing but the standard
library and attrs (import-linter checks the imports it writes; this checks what runs)."""

from __future__ import annotations

import json
import subprocess
import sys

ALLOWED = frozenset({"lana_core", "attr", "attrs"}) | sys.stdlib_module_names


def test_importing_every_core_module_loads_only_the_standard_library_and_attrs() -> None:
    script = (
        "import json, sys\n"
        "before = set(sys.modules)\n"  # what the interpreter's start-up loaded is not the core's
        "import importlib, pkgutil, lana_core\n"
        "for module in pkgutil.walk_packages(lana_core.__path__, 'lana_core.'):\n"
        "    importlib.import_module(module.name)\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(completed.stdout)
    offenders = sorted({name.split(".")[0] for name in loaded} - ALLOWED)
    assert offenders == []
    assert "lana_core.usecases.customers" in loaded
