"""Reading the adapter's settings from ``LANA_OPENAI_*`` variables."""

from __future__ import annotations

import pytest

from lana_adapters.openai import OpenAISettings


def test_without_an_api_key_there_are_no_settings() -> None:
    assert OpenAISettings.from_env({"LANA_OPENAI_MODEL": "gpt-4o"}) is None
    assert OpenAISettings.from_env({"LANA_OPENAI_API_KEY": "  "}) is None


def test_defaults_are_a_short_timeout_and_one_retry() -> None:
    settings = OpenAISettings.from_env({"LANA_OPENAI_API_KEY": "sk-test"})

    assert settings == OpenAISettings(api_key="sk-test")
    assert settings.timeout_seconds == 10.0
    assert settings.max_retries == 1
    assert settings.send_contact_details is False


def test_every_variable_is_read() -> None:
    settings = OpenAISettings.from_env(
        {
            "LANA_OPENAI_API_KEY": "ollama",
            "LANA_OPENAI_MODEL": "llama3.1:8b",
            "LANA_OPENAI_BASE_URL": "http://localhost:11434/v1",
            "LANA_OPENAI_TIMEOUT_SECONDS": "4.5",
            "LANA_OPENAI_MAX_RETRIES": "1",
            "LANA_OPENAI_SEND_CONTACT_DETAILS": "true",
            "LANA_OPENAI_MAX_OUTPUT_TOKENS": "1200",
        }
    )

    assert settings == OpenAISettings(
        api_key="ollama",
        model="llama3.1:8b",
        base_url="http://localhost:11434/v1",
        timeout_seconds=4.5,
        max_retries=1,
        send_contact_details=True,
        max_output_tokens=1200,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LANA_OPENAI_TIMEOUT_SECONDS", "soon"),
        ("LANA_OPENAI_TIMEOUT_SECONDS", "0"),
        ("LANA_OPENAI_TIMEOUT_SECONDS", "600"),
        ("LANA_OPENAI_MAX_RETRIES", "-1"),
        ("LANA_OPENAI_MAX_RETRIES", "1.5"),
        ("LANA_OPENAI_SEND_CONTACT_DETAILS", "maybe"),
        ("LANA_OPENAI_MAX_OUTPUT_TOKENS", "5"),
        ("LANA_OPENAI_BASE_URL", "localhost:11434"),
    ],
)
def test_unusable_value_is_refused_at_startup(name: str, value: str) -> None:
    with pytest.raises(
        ValueError, match=r"LANA_OPENAI|timeout_seconds|max_retries|max_output_tokens|base_url"
    ):
        OpenAISettings.from_env({"LANA_OPENAI_API_KEY": "sk-test", name: value})


def test_api_key_never_shows_in_the_settings_repr() -> None:
    assert "sk-secret" not in repr(OpenAISettings(api_key="sk-secret"))
