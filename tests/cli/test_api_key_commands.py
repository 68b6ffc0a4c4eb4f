# ruff: noqa: F811 - the fixtures imported below are test arguments here
"""``lana api-keys create|list|revoke``, on SQLite and (with ``LANA_TEST_POSTGRES_URL``)
PostgreSQL: the token is printed once, the list never shows it, revoking is seen in the
list, and bad input fails in one line."""

from __future__ import annotations

from uuid import uuid4

from tests.cli.test_user_commands import (  # noqa: F401 - fixtures
    MEMBER_PASSWORD,
    Lana,
    _one_line_failure,
    database_url,
    lana,
)


def _listed(lana: Lana) -> dict[str, tuple[str, str, str]]:
    """key id → (role, state, name), as ``lana api-keys list`` prints them."""
    lines = lana.ok("api-keys", "list").output.splitlines()
    return {
        key_id: (role, state, line.rsplit("  ", 1)[-1])
        for line in lines
        for key_id, role, state, *_ in [line.split()]
    }


def test_create_prints_the_token_once_and_list_never_shows_it(lana: Lana) -> None:
    created = lana.ok("api-keys", "create", "--name", "n8n", "--role", "VIEWER").output
    key_id = created.splitlines()[0].rsplit("(", 1)[-1].rstrip(")")
    token = created.splitlines()[1].split(": ", 1)[1]

    listed = lana.ok("api-keys", "list").output

    assert token.startswith("lana_sk_")
    assert token not in listed
    assert token.rsplit("_", 1)[-1] not in listed
    assert _listed(lana) == {key_id: ("viewer", "active", "n8n")}


def test_revoke_is_seen_in_the_list_and_a_second_revoke_fails(lana: Lana) -> None:
    created = lana.ok("api-keys", "create", "--name", "zap", "--expires-at", "2099-01-01").output
    key_id = created.splitlines()[0].rsplit("(", 1)[-1].rstrip(")")

    lana.ok("api-keys", "revoke", key_id)

    assert _listed(lana)[key_id][:2] == ("agent", "revoked")
    _one_line_failure(lana("api-keys", "revoke", key_id), f"API key {key_id} is already revoked")


def test_bad_input_and_non_admins_fail_in_one_line(lana: Lana) -> None:
    lana.member("mia@example.com", role="manager")

    _one_line_failure(lana("api-keys", "create", "--name", "x", "--role", "owner"), "role:")
    _one_line_failure(lana("api-keys", "create", "--name", " ", "--role", "agent"), "name:")
    _one_line_failure(lana("api-keys", "create", "--name", "x", "--expires-at", "2001-01-01"), "expires_at:")
    _one_line_failure(lana("api-keys", "revoke", str(uuid4())), "API key")
    refused = lana("api-keys", "list", "--admin-email", "mia@example.com", password=MEMBER_PASSWORD)
    _one_line_failure(refused, "role manager may not read this api_key")
