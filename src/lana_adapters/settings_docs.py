"""Writes the settings table of the README and ``docs/operations.md`` from :class:`Settings`.

``uv run python -m lana_adapters.settings_docs`` rewrites both tables in place;
``--check`` only says whether they are current (exit 1 when not). The table sits between
a ``<!-- settings:start`` line and a ``<!-- settings:end -->`` line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lana_adapters.settings import markdown_table

DOCUMENTS = ("README.md", "docs/operations.md")
START = "<!-- settings:start (regenerate: uv run python -m lana_adapters.settings_docs) -->"
_START_PREFIX = "<!-- settings:start"
END = "<!-- settings:end -->"


def with_table(text: str) -> str:
    """``text`` with its settings block holding the current table; ValueError if it has no block."""
    head, start, rest = text.partition(_START_PREFIX)
    _old, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"no {_START_PREFIX} … {END} block")
    return f"{head}{START}\n{markdown_table()}\n{END}{tail}"


def stale_documents(root: Path) -> list[str]:
    """The documents under ``root`` whose table differs from the generated one."""
    return [name for name in DOCUMENTS if (text := (root / name).read_text()) != with_table(text)]


def main(argv: list[str]) -> int:
    root = Path.cwd()
    stale = stale_documents(root)
    if "--check" in argv:
        for name in stale:
            print(f"{name}: settings table is out of date; run python -m lana_adapters.settings_docs")
        return 1 if stale else 0
    for name in stale:
        path = root / name
        path.write_text(with_table(path.read_text()))
        print(f"rewrote the settings table of {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
