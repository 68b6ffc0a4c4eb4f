"""Configuration of the OpenAI-compatible insight model, read from ``LANA_OPENAI_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen, validators

from lana_adapters.variables import read_group, variable

DEFAULT_MODEL = "gpt-4o-mini"


@frozen(kw_only=True)
class OpenAISettings:
    """How to reach the model server and what to send it; no ``api_key``: no model, the
    rules engine answers every insight.

    ``timeout_seconds`` bounds a whole ``assess()`` call, retries included, so the
    rules fallback always answers within it. Raises ValueError on an invalid value.
    """

    api_key: str | None = variable(
        "LANA_OPENAI_API_KEY",
        None,
        "API key of an OpenAI-compatible server; unset: rules engine only.",
        secret=True,
        validator=validators.optional(validators.min_len(1)),
    )
    model: str = variable(
        "LANA_OPENAI_MODEL", DEFAULT_MODEL, "Model name sent to the server.", validator=validators.min_len(1)
    )
    base_url: str | None = variable(
        "LANA_OPENAI_BASE_URL",
        None,
        "Base URL of an OpenAI-compatible server (vLLM, Ollama, …).",
        validator=validators.optional(validators.matches_re(r"https?://\S+")),
    )
    timeout_seconds: float = variable(
        "LANA_OPENAI_TIMEOUT_SECONDS",
        10.0,
        "Deadline of one model call, retries included (more than 0, at most 120).",
        validator=[validators.gt(0), validators.le(120)],
    )
    max_retries: int = variable(
        "LANA_OPENAI_MAX_RETRIES",
        1,
        "Retries of a model call after a connection error, timeout, 408, 409, 429 or 5xx (0 to 3),"
        " within the deadline.",
        validator=[validators.ge(0), validators.le(3)],
    )
    send_contact_details: bool = variable(
        "LANA_OPENAI_SEND_CONTACT_DETAILS", False, "Send customers' email and phone to the model."
    )
    max_output_tokens: int = variable(
        "LANA_OPENAI_MAX_OUTPUT_TOKENS",
        800,
        "`max_completion_tokens` of the model's answer (100 to 16,384).",
        validator=[validators.ge(100), validators.le(16_384)],
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> OpenAISettings | None:
        """The settings in ``environ``, or None when no API key is set (the rules engine answers).

        Raises ValueError naming the setting whose value cannot be used.
        """
        settings = read_group(cls, environ)
        return settings if settings.api_key else None
