"""``lana tenants create`` and ``lana users list|set-role|deactivate|reactivate|reset-password``,
on SQLite and (with ``LANA_TEST_POSTGRES_URL``) PostgreSQL: what they change, what the audit
says, and how each fails on bad input."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from lana_http.cli import cli
from tests.integration.sql.databases import POSTGRES_ENV, postgres_database

ADMIN_PASSWORD = "the admin's first passphrase"
NEW_PASSWORD = "the admin's second passphrase"
MEMBER_PASSWORD = "a member's long passphrase"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        if not os.environ.get(POSTGRES_ENV):
            pytest.skip(f"set {POSTGRES_ENV} to run the command tests on PostgreSQL")
        return postgres_database()
    return f"sqlite+aiosqlite:///{tmp_path / 'lana.db'}"  # a new file: `tenants create` migrates it


class Lana:
    """The ``lana`` command against one database, with one tenant ``slug`` whose admin is ``admin``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.slug = f"t-{uuid4().hex[:10]}"
        self.admin = f"admin@{self.slug}.example.com"

    def __call__(self, *args: str, password: str | None = ADMIN_PASSWORD, stdin: str | None = None) -> Result:
        env = {
            "LANA_DATABASE_URL": self.url,
            "LANA_TENANT_SLUG": self.slug,
            "LANA_ADMIN_EMAIL": self.admin,
            "LANA_ADMIN_PASSWORD": password,
        }
        return CliRunner().invoke(cli, list(args), env=env, input=stdin)

    def ok(self, *args: str, **kwargs: Any) -> Result:
        result = self(*args, **kwargs)
        assert result.exit_code == 0, (result.output, result.stderr)
        return result

    def member(self, email: str, role: str = "agent") -> None:
        self.ok(
            "users", "create", "--email", email, "--name", "M", "--role", role, "--password", MEMBER_PASSWORD
        )

    def users(self, password: str = ADMIN_PASSWORD) -> dict[str, tuple[str, str]]:
        """email → (role, state), as ``lana users list`` prints them."""
        lines = self.ok("users", "list", password=password).output.splitlines()
        return {email: (role, state) for email, role, state, *_ in (line.split() for line in lines)}

    def user_id(self, email: str) -> str:
        lines = self.ok("users", "list").output.splitlines()
        return next(line.split()[-1] for line in lines if line.split()[0] == email)

    def audit(self, email: str) -> list[tuple[str, str | None]]:
        """(action, actor id) of every audit entry about the user with ``email``, oldest first."""
        sync_url = self.url.replace("sqlite+aiosqlite", "sqlite")
        engine = create_engine(sync_url)
        query = text(
            "SELECT a.action, a.actor_id FROM audit_log a"
            " JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.aggregate_id"
            " JOIN tenants t ON t.id = u.tenant_id"
            " WHERE t.slug = :slug AND u.email = :email ORDER BY a.occurred_at, a.id"
        )
        try:
            with engine.connect() as connection:
                rows = connection.execute(query, {"slug": self.slug, "email": email}).all()
        finally:
            engine.dispose()
        return [(action, None if actor is None else str(UUID(str(actor)))) for action, actor in rows]


@pytest.fixture
def lana(database_url: str) -> Iterator[Lana]:
    command = Lana(database_url)
    command.ok(
        "tenants",
        "create",
        "--slug",
        command.slug,
        "--name",
        "Acme",
        "--admin-email",
        command.admin,
        "--admin-name",
        "Ada",
        "--password-stdin",
        stdin=f"{ADMIN_PASSWORD}\n",
        password=None,
    )
    return command


def _one_line_failure(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"lana: {message}"), result.stderr
    assert "Traceback" not in result.output


def test_tenants_create_makes_a_tenant_whose_admin_signs_in(lana: Lana) -> None:
    assert lana.users() == {lana.admin: ("admin", "active")}
    assert lana.audit(lana.admin) == [("user.created", lana.user_id(lana.admin))]


def test_tenants_create_on_a_taken_slug_fails_in_one_line(lana: Lana) -> None:
    again = lana(
        "tenants",
        "create",
        "--slug",
        lana.slug.upper(),
        "--name",
        "Again",
        "--admin-email",
        "b@example.com",
        "--admin-name",
        "B",
        "--password-stdin",
        stdin=f"{ADMIN_PASSWORD}\n",
    )
    _one_line_failure(again, f"tenant slug '{lana.slug}' is taken")


def test_tenants_create_refuses_a_bad_slug_and_a_weak_password(lana: Lana) -> None:
    common = ["--name", "X", "--admin-email", "x@example.com", "--admin-name", "X", "--password-stdin"]
    bad_slug = lana("tenants", "create", "--slug", "-bad-", *common, stdin=f"{ADMIN_PASSWORD}\n")
    weak = lana("tenants", "create", "--slug", f"{lana.slug}-2", *common, stdin="short\n")
    _one_line_failure(bad_slug, "slug: ")
    _one_line_failure(weak, "password: must be at least 12 characters")


def test_an_operator_resets_a_lost_admin_password_without_it_and_the_audit_names_no_actor(
    lana: Lana,
) -> None:
    prompted = lana(
        "users",
        "reset-password",
        "--email",
        lana.admin.upper(),
        password=None,
        stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert prompted.exit_code == 0, prompted.output
    assert f"password reset for {lana.admin}" in prompted.output
    assert NEW_PASSWORD not in prompted.output
    assert lana.users(password=NEW_PASSWORD)[lana.admin] == ("admin", "active")
    _one_line_failure(lana("users", "list"), "unknown account or wrong password")
    assert lana.audit(lana.admin)[-1] == ("user.password_changed", None)


def test_reset_password_reads_the_first_line_of_stdin_when_asked(lana: Lana) -> None:
    lana.member("lin@example.com")
    reset = lana.ok(
        "users",
        "reset-password",
        "--email",
        "lin@example.com",
        "--password-stdin",
        password=None,
        stdin=f"{NEW_PASSWORD}\nignored\n",
    )
    assert NEW_PASSWORD not in reset.output
    signed_in = lana("users", "list", "--admin-email", "lin@example.com", password=NEW_PASSWORD)
    _one_line_failure(signed_in, "role agent may not read this user")  # signed in: the policy answered


def test_set_role_takes_a_role_in_any_case_and_is_audited_as_the_admin(lana: Lana) -> None:
    lana.member("lin@example.com")
    admin_id = lana.user_id(lana.admin)

    changed = lana.ok("users", "set-role", "--email", "Lin@Example.com", "--role", "MANAGER")

    assert changed.output.strip() == "lin@example.com is now manager"
    assert lana.users()["lin@example.com"] == ("manager", "active")
    assert lana.audit("lin@example.com")[-1] == ("user.updated", admin_id)


def test_a_manager_lists_users_but_cannot_change_them(lana: Lana) -> None:
    lana.member("mia@example.com", role="manager")
    lana.member("lin@example.com")
    as_manager = ["--admin-email", "mia@example.com"]

    listed = lana.ok("users", "list", *as_manager, password=MEMBER_PASSWORD)
    refused = lana(
        "users",
        "set-role",
        "--email",
        "lin@example.com",
        "--role",
        "viewer",
        *as_manager,
        password=MEMBER_PASSWORD,
    )

    assert {line.split()[0] for line in listed.output.splitlines()} == {
        lana.admin,
        "lin@example.com",
        "mia@example.com",
    }
    _one_line_failure(refused, "role manager may not update this user")


def test_deactivate_then_reactivate_lets_the_user_sign_in_again(lana: Lana) -> None:
    lana.member("lin@example.com")
    as_lin = ["--admin-email", "lin@example.com"]

    assert lana.ok("users", "deactivate", "--email", "lin@example.com").output.strip() == (
        "deactivated lin@example.com"
    )
    assert lana.users()["lin@example.com"] == ("agent", "inactive")
    _one_line_failure(lana("users", "list", *as_lin, password=MEMBER_PASSWORD), "unknown account")
    _one_line_failure(lana("users", "deactivate", "--email", "lin@example.com"), "user ")
    assert lana.ok("users", "reactivate", "--email", "lin@example.com").output.strip() == (
        "reactivated lin@example.com"
    )

    assert lana.users()["lin@example.com"] == ("agent", "active")
    _one_line_failure(lana("users", "list", *as_lin, password=MEMBER_PASSWORD), "role agent may not read")
    _one_line_failure(lana("users", "reactivate", "--email", "lin@example.com"), "user ")
    assert [action for action, _ in lana.audit("lin@example.com")] == [
        "user.created",
        "user.updated",
        "user.updated",
    ]


def test_an_admin_cannot_deactivate_or_demote_itself(lana: Lana) -> None:
    _one_line_failure(lana("users", "deactivate", "--email", lana.admin), "you cannot deactivate yourself")
    _one_line_failure(
        lana("users", "set-role", "--email", lana.admin, "--role", "viewer"), "you cannot change the role of"
    )


UNKNOWN_USER = ["--email", "nobody@example.com"]


@pytest.mark.parametrize(
    ("arguments", "stdin", "message"),
    [
        (["users", "set-role", *UNKNOWN_USER, "--role", "agent"], None, "user 'nobody@example.com' was not"),
        (["users", "set-role", "--email", "lin@example.com", "--role", "boss"], None, "role: must be one of"),
        (["users", "create", *UNKNOWN_USER, "--name", "N", "--role", "chief"], None, "role: must be one of"),
        (["users", "create", *UNKNOWN_USER, "--name", "N", "--password", "short"], None, "password: must be"),
        (["users", "deactivate", *UNKNOWN_USER], None, "user 'nobody@example.com' was not found"),
        (["users", "reactivate", *UNKNOWN_USER], None, "user 'nobody@example.com' was not found"),
        (["users", "list", "--tenant", "no-such-tenant"], None, "unknown account or wrong password"),
        (["users", "reset-password", *UNKNOWN_USER, "--password-stdin"], NEW_PASSWORD, "user 'nobody@"),
        (
            ["users", "reset-password", "--email", "lin@example.com", "--tenant", "nope", "--password-stdin"],
            NEW_PASSWORD,
            "tenant 'nope' was not found",
        ),
        (
            ["users", "reset-password", "--email", "lin@example.com", "--password-stdin"],
            "short",
            "new_password: must be at least 12 characters",
        ),
    ],
    ids=[
        "set-role unknown email",
        "set-role bad role",
        "create bad role",
        "create weak password",
        "deactivate unknown email",
        "reactivate unknown email",
        "list unknown tenant",
        "reset-password unknown email",
        "reset-password unknown tenant",
        "reset-password weak password",
    ],
)
def test_bad_input_fails_in_one_line_and_changes_nothing(
    lana: Lana, arguments: list[str], stdin: str | None, message: str
) -> None:
    lana.member("lin@example.com")
    before = lana.users(), lana.audit("lin@example.com")

    _one_line_failure(lana(*arguments, stdin=None if stdin is None else f"{stdin}\n"), message)

    assert (lana.users(), lana.audit("lin@example.com")) == before
