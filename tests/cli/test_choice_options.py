"""Options naming a role or a status take it in any case, and list the names on a wrong one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from lana_http.cli import cli
from tests.cli.test_commands import _env

ADMIN = ["--tenant", "demo", "--admin-email", "admin@demo.example.com"]


def test_users_create_takes_the_role_in_any_case_and_stores_it_in_lower_case(tmp_path: Path) -> None:
    database = tmp_path / "lana.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--customers", "1"], env=_env(database)).exit_code == 0
    args = ["users", "create", *ADMIN, "--email", "maria@example.com", "--name", "Maria", "--role", "MANAGER"]
    result = runner.invoke(cli, args, env=_env(database))
    assert result.exit_code == 0, result.output
    assert "created manager maria@example.com" in result.output
    with sqlite3.connect(database) as connection:
        roles = dict(connection.execute("SELECT email, role FROM users"))
    assert roles["maria@example.com"] == "manager"


def test_insights_refresh_takes_the_status_in_any_case(tmp_path: Path) -> None:
    database = tmp_path / "lana.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--customers", "3"], env=_env(database)).exit_code == 0
    result = runner.invoke(cli, ["insights", "refresh", *ADMIN, "--status", "ACTIVE"], env=_env(database))
    assert result.exit_code == 0, result.output


def test_a_status_outside_the_set_is_a_usage_error_listing_the_names() -> None:
    # (a wrong --role is a one-line failure naming the roles: tests/cli/test_user_commands.py)
    result = CliRunner().invoke(cli, ["insights", "refresh", "--status", "won"])
    assert result.exit_code == 2
    assert "'prospect', 'active', 'inactive'" in result.stderr
    assert "Traceback" not in result.output
