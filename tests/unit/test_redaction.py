"""Passwords inside URLs and the webhook signing secret never reach a log line."""

from __future__ import annotations

import io
import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_adapters.settings import Settings
from lana_adapters.telemetry import configure_logging, redact
from lana_adapters.telemetry.redaction import SUSPECT_WORDS, looks_secret

WEBHOOK_SECRET = "whsec-0123456789abcdef"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://lana:s3cret@host/db", "postgresql://lana:***@host/db"),
        ("postgresql+psycopg://lana:s3cret@db:5432/lana", "postgresql+psycopg://lana:***@db:5432/lana"),
        ("amqp://guest:guest@127.0.0.1:5672//", "amqp://guest:***@127.0.0.1:5672//"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://default:s3cret@cache:6380", "rediss://default:***@cache:6380"),
        ("https://ada:pa%40ss@n8n.example.com/hook?x=1", "https://ada:***@n8n.example.com/hook?x=1"),
        ("https://ada:p@ss@n8n.example.com/hook", "https://ada:***@n8n.example.com/hook"),
    ],
)
def test_a_password_inside_a_url_is_masked(url: str, masked: str) -> None:
    assert redact(f"cannot connect to {url}: refused") == f"cannot connect to {masked}: refused"


@pytest.mark.parametrize(
    "text",
    [
        "POST http://testserver.local/api/v1/customers 201",
        "https://n8n.example.com:5678/webhook/high-value?user=ada",
        "postgresql://lana@db/lana",
        "contact ada@example.com at 10:30",
    ],
)
def test_urls_and_lines_without_a_password_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_the_webhook_signing_secret_is_masked_by_value() -> None:
    settings = Settings.from_env({"LANA_LOG_FORMAT": "json", "LANA_WEBHOOK_SECRET": WEBHOOK_SECRET})
    buffer = io.StringIO()
    handler = configure_logging(settings, stream=buffer)
    try:
        # Nothing in the line looks like a secret but the value itself.
        logging.getLogger("lana.test").warning("signed with %s", WEBHOOK_SECRET)
    finally:
        logging.getLogger().removeHandler(handler)
    assert WEBHOOK_SECRET not in buffer.getvalue()
    assert "signed with [REDACTED]" in buffer.getvalue()


def _any_case(word: str) -> st.SearchStrategy[str]:
    return st.tuples(*(st.sampled_from((c.lower(), c.upper())) for c in word)).map("".join)


_LINES = st.lists(
    st.one_of(st.sampled_from(SUSPECT_WORDS).flatmap(_any_case), st.text(max_size=6)), max_size=6
).map("".join)


@given(_LINES)
def test_the_quick_check_for_secret_words_agrees_with_a_case_insensitive_search(text: str) -> None:
    # The check gates every masking pattern: a line it passes over is logged as it is.
    search = re.compile("|".join(map(re.escape, SUSPECT_WORDS)), re.IGNORECASE)
    assert looks_secret(text) == (search.search(text) is not None)


@pytest.mark.parametrize("word", ["token", "pa\u017fsword", "api_\u212aey"])
def test_a_secret_in_a_line_with_other_scripts_is_masked(word: str) -> None:
    assert redact(f"café {word}=abcd1234efgh") == f"café {word}=[REDACTED]"
