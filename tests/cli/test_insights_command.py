"""``lana insights refresh``: every live customer assessed once, and a rerun resumes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from lana_http.cli import cli
from tests.cli.test_commands import _env

REFRESH = ["insights", "refresh", "--tenant", "demo", "--admin-email", "admin@demo.example.com"]


def _insights_per_customer(database: Path) -> list[int]:
    with sqlite3.connect(database) as connection:
        query = (
            "SELECT COUNT(i.id) FROM customers c LEFT JOIN insights i ON i.customer_id = c.id"
            " WHERE c.archived_at IS NULL GROUP BY c.id"
        )
        return [row[0] for row in connection.execute(query)]


def test_refresh_assesses_each_customer_and_a_rerun_keeps_fresh_insights(tmp_path: Path) -> None:
    database = tmp_path / "lana.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--customers", "6"], env=_env(database)).exit_code == 0

    first = runner.invoke(cli, REFRESH, env=_env(database))
    assert first.exit_code == 0, first.output
    assert "from rules" in first.output
    counts = _insights_per_customer(database)
    assert len(counts) >= 6

    again = runner.invoke(cli, REFRESH, env=_env(database))
    assert again.exit_code == 0, again.output
    assert _insights_per_customer(database) == counts

    forced = runner.invoke(cli, [*REFRESH, "--force"], env=_env(database))
    assert forced.exit_code == 0, forced.output
    assert _insights_per_customer(database) == [n + 1 for n in counts]


def test_refresh_with_a_wrong_password_fails_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "lana.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--customers", "1"], env=_env(database)).exit_code == 0
    result = runner.invoke(cli, REFRESH, env=_env(database, LANA_ADMIN_PASSWORD="not the password 1"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_a_breaker_setting_out_of_range_fails_in_one_line_naming_it(tmp_path: Path) -> None:
    env = _env(tmp_path / "lana.db", LANA_INSIGHT_BREAKER_FAILURES="0")
    result = CliRunner().invoke(cli, ["demo", "--customers", "1"], env=env)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("lana: LANA_INSIGHT_BREAKER_FAILURES")
