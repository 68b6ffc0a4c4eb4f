# ruff: noqa: F811 - the fixtures imported below are test arguments here
"""``lana webhooks list|create|delete|deliveries``, on SQLite and (with
``LANA_TEST_POSTGRES_URL``) PostgreSQL: the secret is printed once and never listed, a
deleted subscription leaves the list, and bad input fails in one line."""

from __future__ import annotations

from uuid import uuid4

from tests.cli.test_user_commands import (  # noqa: F401 - fixtures
    MEMBER_PASSWORD,
    Lana,
    _one_line_failure,
    database_url,
    lana,
)

URL = "https://hooks.example.com/lana"


def _create(lana: Lana, *options: str) -> tuple[str, str]:
    """The new subscription's id and secret, as ``lana webhooks create`` prints them."""
    printed = lana.ok("webhooks", "create", "--url", URL, *options).output.splitlines()
    return printed[0].split()[2], printed[1].split(": ", 1)[1]


def test_create_prints_the_secret_once_and_list_shows_the_rest(lana: Lana) -> None:
    subscription_id, secret = _create(
        lana, "--event-type", "customer.*", "--filter", "value = high", "--filter", "status in (active,lead)"
    )

    listed = lana.ok("webhooks", "list").output

    assert secret.startswith("whsec_")
    assert secret not in listed
    assert listed.split() == [
        subscription_id,
        "active",
        "lana",
        URL,
        "customer.*",
        "where",
        *["value", "=", "high", "and", "status", "in", "(active,", "lead)"],
    ]


def test_delete_and_deliveries(lana: Lana) -> None:
    subscription_id, _ = _create(lana, "--event-type", "customer.created.#", "--format", "seed")

    assert lana.ok("webhooks", "deliveries", subscription_id).output == ""
    lana.ok("webhooks", "delete", subscription_id)

    assert lana.ok("webhooks", "list").output == ""
    _one_line_failure(lana("webhooks", "deliveries", subscription_id), "webhook subscription")


def test_bad_input_and_non_admins_fail_in_one_line(lana: Lana) -> None:
    lana.member("mia@example.com", role="manager")

    _one_line_failure(lana("webhooks", "create", "--url", "http://10.0.0.7/", "--event-type", "#"), "url:")
    _one_line_failure(lana("webhooks", "create", "--url", URL, "--event-type", "a b"), "event_types[0]:")
    _one_line_failure(
        lana("webhooks", "create", "--url", URL, "--event-type", "#", "--filter", "value"), "filters[0]:"
    )
    _one_line_failure(
        lana("webhooks", "create", "--url", URL, "--event-type", "task.*", "--format", "xml"), "format:"
    )
    _one_line_failure(lana("webhooks", "delete", str(uuid4())), "webhook subscription")
    refused = lana("webhooks", "list", "--admin-email", "mia@example.com", password=MEMBER_PASSWORD)
    _one_line_failure(refused, "role manager may not read this webhook")
