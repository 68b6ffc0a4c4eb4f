"""Configuration of the OpenAI-compatible insight model, read from ``LANA_OPENAI_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from attrs import field, frozen, validators

PREFIX = "LANA_OPENAI_"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})

N = TypeVar("N", int, float)


@frozen(kw_only=True)
class OpenAISettings:
    """How to reach the model server and what to send it.

    ``timeout_seconds`` bounds a whole ``assess()`` call, retries included, so the
    rules fallback always answers within it. Raises ValueError on an invalid value.
    """

    # Kept out of repr so a logged settings object never shows the key.
    api_key: str = field(repr=False, validator=validators.min_len(1))
    model: str = field(default="gpt-4o-mini", validator=validators.min_len(1))
    base_url: str | None = field(
        default=None, validator=validators.optional(validators.matches_re(r"https?://\S+"))
    )
    timeout_seconds: float = field(default=10.0, validator=[validators.gt(0), validators.le(120)])
    max_retries: int = field(default=0, validator=[validators.ge(0), validators.le(3)])
    send_contact_details: bool = False
    max_output_tokens: int = field(default=800, validator=[validators.ge(100), validators.le(16_384)])

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> OpenAISettings | None:
        """The settings in ``environ``, or None when no API key is set (the rules engine answers).

        Raises ValueError naming the setting whose value cannot be used.
        """
        api_key = environ.get(f"{PREFIX}API_KEY", "").strip()
        if not api_key:
            return None
        defaults = cls(api_key=api_key)
        try:
            return cls(
                api_key=api_key,
                model=environ.get(f"{PREFIX}MODEL", defaults.model).strip(),
                base_url=environ.get(f"{PREFIX}BASE_URL", "").strip() or None,
                timeout_seconds=_number(environ, "TIMEOUT_SECONDS", float, defaults.timeout_seconds),
                max_retries=_number(environ, "MAX_RETRIES", int, defaults.max_retries),
                send_contact_details=_flag(environ, "SEND_CONTACT_DETAILS"),
                max_output_tokens=_number(environ, "MAX_OUTPUT_TOKENS", int, defaults.max_output_tokens),
            )
        except ValueError as exc:
            # attrs' validators name the field, not the variable; say which family it is.
            detail = exc.args[0] if exc.args else exc
            raise ValueError(f"invalid {PREFIX}* setting: {detail}") from None


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
