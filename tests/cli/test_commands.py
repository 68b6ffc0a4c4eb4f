"""``lana migrate``, ``lana demo``, ``lana users create`` and how the command fails."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from lana_http.cli import cli

PASSWORD = "demo password 12345"


def _env(database: Path, **extra: str) -> dict[str, str]:
    return {"LANA_DATABASE_URL": f"sqlite+aiosqlite:///{database}", "LANA_ADMIN_PASSWORD": PASSWORD, **extra}


def test_migrate_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    database = tmp_path / "lana.db"
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(cli, ["migrate"], env=_env(database))
        assert result.exit_code == 0, result.output
        assert "is at the newest schema" in result.output
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"tenants", "users", "customers", "projects", "tasks"} <= tables


def _customer_names(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM customers ORDER BY email")]


def test_demo_loads_the_same_sample_tenant_for_the_same_seed(tmp_path: Path) -> None:
    runner = CliRunner()
    outputs, names = [], []
    for name in ("one.db", "two.db"):
        database = tmp_path / name
        result = runner.invoke(cli, ["demo", "--customers", "12", "--seed", "3"], env=_env(database))
        assert result.exit_code == 0, result.output
        outputs.append(result.output.splitlines()[0])
        names.append(_customer_names(database))
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith("Loaded tenant 'demo': 12 customers")
    assert names[0] == names[1]
    assert len(names[0]) == 12


def test_users_create_adds_a_user_who_can_then_be_listed(tmp_path: Path) -> None:
    database = tmp_path / "lana.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--customers", "1"], env=_env(database)).exit_code == 0
    args = ["users", "create", "--tenant", "demo", "--admin-email", "admin@demo.example.com"]
    args += ["--email", "new.agent@example.com", "--name", "New Agent", "--role", "agent"]
    result = runner.invoke(cli, args, env=_env(database))
    assert result.exit_code == 0, result.output
    assert "created agent new.agent@example.com" in result.output
    assert "password (shown once):" in result.output
    with sqlite3.connect(database) as connection:
        roles = dict(connection.execute("SELECT email, role FROM users"))
    assert roles["new.agent@example.com"] == "agent"


def test_a_wrong_admin_password_fails_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "lana.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--customers", "1"], env=_env(database)).exit_code == 0
    args = ["users", "create", "--tenant", "demo", "--admin-email", "admin@demo.example.com"]
    args += ["--email", "x@example.com", "--name", "X"]
    result = runner.invoke(cli, args, env=_env(database, LANA_ADMIN_PASSWORD="not the password"))
    assert result.exit_code == 1
    assert result.stderr.strip() == "lana: unknown account or wrong password"


def test_an_unreachable_database_fails_in_one_line_without_a_traceback() -> None:
    env = {"LANA_DATABASE_URL": "postgresql+psycopg://nobody:hunter2-secret@127.0.0.1:1/nothing"}
    result = CliRunner().invoke(cli, ["migrate"], env=env)
    assert result.exit_code == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("lana: unavailable")
    assert 'server at "127.0.0.1", port 1 failed' in result.stderr  # the driver's reason, for the operator
    assert "hunter2-secret" not in result.output
    assert "Traceback" not in result.output


def test_a_bad_setting_names_the_variable(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["migrate"], env=_env(tmp_path / "x.db", LANA_DATABASE_POOL_SIZE="many"))
    assert result.exit_code == 1
    assert result.stderr.startswith("lana: LANA_DATABASE_POOL_SIZE")


def test_bad_arguments_are_usage_errors() -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "99999"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert (CliRunner().invoke(cli, ["no-such-command"])).exit_code == 2
