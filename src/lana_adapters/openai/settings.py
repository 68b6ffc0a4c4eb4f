"""Configuration of the OpenAI-compatible insight model, read from ``LANA_OPENAI_*`` variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar

from attrs import field, frozen, validators

PREFIX = "LANA_OPENAI_"
# The one place each default lives: ``lana_adapters.settings.Settings`` reads these too.
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_RETRIES = 1
DEFAULT_MAX_OUTPUT_TOKENS = 800
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})

N = TypeVar("N", int, float)


@frozen(kw_only=True)
class OpenAISettings:
    """How to reach the model server and what to send it.

    ``timeout_seconds`` bounds a whole ``assess()`` call, retries included, so the
    rules fallback always answers within it. Raises ValueError on an invalid value
    (:meth:`checked` names the variables in it).
    """

    # Kept out of repr so a logged settings object never shows the key.
    api_key: str = field(repr=False, validator=validators.min_len(1))
    model: str = field(default=DEFAULT_MODEL, validator=validators.min_len(1))
    base_url: str | None = field(
        default=None, validator=validators.optional(validators.matches_re(r"https?://\S+"))
    )
    timeout_seconds: float = field(
        default=DEFAULT_TIMEOUT_SECONDS, validator=[validators.gt(0), validators.le(120)]
    )
    max_retries: int = field(default=DEFAULT_MAX_RETRIES, validator=[validators.ge(0), validators.le(3)])
    send_contact_details: bool = False
    max_output_tokens: int = field(
        default=DEFAULT_MAX_OUTPUT_TOKENS, validator=[validators.ge(100), validators.le(16_384)]
    )

    @classmethod
    def checked(cls, **values: object) -> OpenAISettings:
        """Settings of these values; raises ValueError saying which ``LANA_OPENAI_*`` value is wrong."""
        try:
            return cls(**values)  # type: ignore[arg-type]
        except ValueError as exc:
            # attrs' validators name the field in quotes in their message, not the variable.
            message = str(exc.args[0]) if exc.args else str(exc)
            named = re.search(r"'(\w+)'", message)
            variable = f"{PREFIX}{named.group(1).upper()}" if named else f"{PREFIX}*"
            raise ValueError(f"invalid {variable} setting: {message}") from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> OpenAISettings | None:
        """The settings in ``environ``, or None when no API key is set (the rules engine answers).

        Raises ValueError naming the setting whose value cannot be used.
        """
        api_key = environ.get(f"{PREFIX}API_KEY", "").strip()
        if not api_key:
            return None
        try:
            values = {
                "model": environ.get(f"{PREFIX}MODEL", DEFAULT_MODEL).strip(),
                "base_url": environ.get(f"{PREFIX}BASE_URL", "").strip() or None,
                "timeout_seconds": _number(environ, "TIMEOUT_SECONDS", float, DEFAULT_TIMEOUT_SECONDS),
                "max_retries": _number(environ, "MAX_RETRIES", int, DEFAULT_MAX_RETRIES),
                "send_contact_details": _flag(environ, "SEND_CONTACT_DETAILS"),
                "max_output_tokens": _number(environ, "MAX_OUTPUT_TOKENS", int, DEFAULT_MAX_OUTPUT_TOKENS),
            }
        except ValueError as exc:
            raise ValueError(f"invalid {PREFIX}* setting: {exc}") from None
        return cls.checked(api_key=api_key, **values)


def _number(environ: Mapping[str, str], name: str, kind: type[N], default: N) -> N:
    raw = environ.get(f"{PREFIX}{name}", "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{PREFIX}{name} must be a number, not {raw!r}") from None


def _flag(environ: Mapping[str, str], name: str) -> bool:
    raw = environ.get(f"{PREFIX}{name}", "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{PREFIX}{name} must be true or false, not {raw!r}")
