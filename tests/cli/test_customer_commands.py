"""``lana customers merge``: merges for good, and a refusal is one line and a failing exit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from lana_http.cli import cli
from tests.cli.test_commands import _env

MERGE = ["customers", "merge", "--tenant", "demo", "--admin-email", "admin@demo.example.com"]


def _two_live_customers(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT id FROM customers WHERE archived_at IS NULL ORDER BY id LIMIT 2")
        return [str(_uuid(row[0])) for row in rows]


def _uuid(stored: str) -> str:
    return f"{stored[:8]}-{stored[8:12]}-{stored[12:16]}-{stored[16:20]}-{stored[20:]}"


def _merged_into(database: Path, customer_id: str) -> str | None:
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT merged_into FROM customers WHERE id = ?", (customer_id.replace("-", ""),)
        ).fetchone()
        return None if row[0] is None else _uuid(row[0])


def test_merge_makes_the_others_tombstones_of_the_kept_customer(tmp_path: Path) -> None:
    database = tmp_path / "lana.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--customers", "4"], env=_env(database)).exit_code == 0
    kept, other = _two_live_customers(database)

    result = runner.invoke(cli, [*MERGE, kept, other], env=_env(database))

    assert result.exit_code == 0, result.output
    assert f"merged 1 customer(s) into {kept}" in result.output
    assert _merged_into(database, other) == kept


def test_merging_a_customer_into_itself_fails_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "lana.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--customers", "2"], env=_env(database)).exit_code == 0
    kept, _ = _two_live_customers(database)

    result = runner.invoke(cli, [*MERGE, kept, kept], env=_env(database))

    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _merged_into(database, kept) is None
